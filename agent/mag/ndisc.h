/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ndisc.h — the MAG's side of IPv6 Neighbor Discovery (RFC 4861) on its access
 * links: Router Solicitations in, unicast Router Advertisements out, and the
 * Neighbor Solicitation / Advertisement pair used to probe a silent MN.
 *
 * Pure builders and parsers on byte buffers (ICMPv6 message bodies and whole
 * Ethernet frames), plus a small AF_PACKET socket per access interface: frames
 * are received with their link-layer source (so an RS from :: still names its
 * MN) and sent whole, with the MN's MAC as the Ethernet destination and the
 * shared link-local (fe80::1) as the IPv6 source.
 */
#ifndef FLOWMOB_NDISC_H
#define FLOWMOB_NDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

#include "core/prefix.h"

/* ---- wire numbers (RFC 4861 §4, §4.6) ------------------------------------- */
#define ND_RS 133
#define ND_RA 134
#define ND_NS 135
#define ND_NA 136

#define ND_OPT_SLLA   1
#define ND_OPT_TLLA   2
#define ND_OPT_PREFIX 3
#define ND_OPT_MTU    5

#define ND_PI_FLAG_L 0x80 /* on-link */
#define ND_PI_FLAG_A 0x40 /* autonomous address configuration */
#define ND_NA_FLAG_R 0x80
#define ND_NA_FLAG_S 0x40
#define ND_NA_FLAG_O 0x20

#define ND_HOP_LIMIT	255
#define ND_ETH_HLEN	14
#define ND_IP6_HLEN	40
#define ND_MAX_PREFIXES 16
#define ND_FRAME_MAX	1514

struct nd_prefix {
	struct fm_prefix pfx;
	uint32_t valid;	    /* seconds; 0 withdraws the prefix */
	uint32_t preferred; /* seconds */
};

struct nd_ra {
	uint8_t cur_hop_limit;	  /* 0: unspecified */
	uint8_t flags;		  /* M 0x80, O 0x40 */
	uint16_t router_lifetime; /* seconds; 0: not a default router */
	uint32_t reachable_ms;
	uint32_t retrans_ms;
	bool has_slla;
	uint8_t slla[6];
	uint32_t mtu; /* 0: no MTU option */
	int n_prefixes;
	struct nd_prefix prefixes[ND_MAX_PREFIXES];
};

/* An ICMPv6 ND message as parsed from a frame (only what the MAG needs). */
struct nd_msg {
	uint8_t type;
	bool has_lla; /* SLLA (RS, NS) or TLLA (NA) option */
	uint8_t lla[6];
	struct in6_addr target; /* NS, NA */
	uint8_t na_flags;	/* NA */
};

/* An Ethernet + IPv6 + ICMPv6 frame, parsed. */
struct nd_frame {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	struct in6_addr src;
	struct in6_addr dst;
	uint8_t hop_limit;
	const uint8_t *icmp; /* points into the frame */
	size_t icmp_len;
};

/* Build an RA body (ICMPv6 header with checksum 0, then options: SLLA, MTU, prefixes).
 * Returns its length, or -1 when buf is too small. */
int nd_build_ra(const struct nd_ra *ra, uint8_t *buf, size_t len);
/* Parse an RA body (tests, diagnostics); returns 0 or -1 on a malformed message. */
int nd_parse_ra(const uint8_t *buf, size_t len, struct nd_ra *ra);
/* Build a Neighbor Solicitation for target with an SLLA option; returns length or -1. */
int nd_build_ns(const struct in6_addr *target, const uint8_t slla[6], uint8_t *buf, size_t len);
/* Build a Router Solicitation (tests): with slla when non-NULL. */
int nd_build_rs(const uint8_t *slla, uint8_t *buf, size_t len);

/*
 * Validate and parse an RS, NS or NA body received from src (RFC 4861 §6.1.1,
 * §7.1: code 0, hop limit 255, option lengths non-zero and inside the message,
 * no SLLA when the source is unspecified). Returns 0, or -1 with a reason.
 */
int nd_parse_msg(const uint8_t *buf, size_t len, const struct in6_addr *src, uint8_t hop_limit,
		 struct nd_msg *out, const char **why);

/* ICMPv6 checksum over the pseudo-header and the message (checksum field included as is). */
uint16_t nd_icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
			   const uint8_t *icmp, size_t len);

/* Wrap an ICMPv6 message into an Ethernet frame (hop limit 255), filling in the
 * ICMPv6 checksum. Returns the frame length or -1 when it does not fit. */
int nd_build_frame(const uint8_t src_mac[6], const uint8_t dst_mac[6], const struct in6_addr *src,
		   const struct in6_addr *dst, const uint8_t *icmp, size_t icmp_len, uint8_t *buf,
		   size_t len);
/* Parse a frame carrying ICMPv6 directly after the IPv6 header; checks the checksum.
 * Returns 0 or -1 with a reason. */
int nd_parse_frame(const uint8_t *buf, size_t len, struct nd_frame *out, const char **why);

/* Multicast MAC for an IPv6 multicast address (33:33:xx:xx:xx:xx). */
void nd_mcast_mac(const struct in6_addr *dst, uint8_t mac[6]);
/* The EUI-64 link-local address (fe80::/64) of a MAC. */
void nd_eui64_ll(const uint8_t mac[6], struct in6_addr *out);

/* ---- the access-link socket ------------------------------------------------ */
struct nd_sock {
	int fd;
	int ifindex;
	char name[IF_NAMESIZE];
	uint8_t mac[6]; /* the access interface's own MAC */
	uint64_t rx, rx_bad, tx, tx_errors;
};

/* AF_PACKET socket on one interface, filtered (classic BPF) to ICMPv6 RS and NA,
 * outgoing frames ignored. Returns 0 or a negative errno. */
int nd_sock_open(const char *ifname, struct nd_sock *s);
void nd_sock_close(struct nd_sock *s);
/* Read one frame (non-blocking): returns its length, 0 when none is waiting, <0 on error. */
int nd_sock_recv(struct nd_sock *s, uint8_t *buf, size_t len);
/* Send a whole Ethernet frame; returns 0 or a negative errno. */
int nd_sock_send(struct nd_sock *s, const uint8_t *frame, size_t len);
/* Current IFF_RUNNING state of an interface: 1, 0, or a negative errno. */
int nd_link_running(const char *ifname);

#endif /* FLOWMOB_NDISC_H */
