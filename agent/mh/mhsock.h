/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mhsock.h — the raw IPPROTO_MH socket: receive, decode and hand messages to the
 * role; encode and send. The kernel fills and checks the MH checksum. Malformed
 * messages are counted, logged at info level (rate-limited), answered with an ICMPv6
 * Parameter Problem or a Binding Error where RFC 6275 §9.2 says so, reported to the
 * role's fault hook, and never passed on.
 */
#ifndef FLOWMOB_MHSOCK_H
#define FLOWMOB_MHSOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <ev.h>
#include <jansson.h>
#include <netinet/in.h>

#include "mh/auth.h"
#include "mh/mh.h"

struct fm_mhsock;

/* Why a received message was not handed to the role (per-peer counters). */
enum fm_mh_fault {
	FM_MH_FAULT_HEADER_LEN = 0, /* Header Len disagrees with the octets received */
	FM_MH_FAULT_PAYLOAD_PROTO,  /* Payload Proto is not 59 (RFC 6275 §6.1.1) */
	FM_MH_FAULT_UNKNOWN_TYPE,   /* an MH type we do not know (answered with BE 2) */
	FM_MH_FAULT_DECODE,	    /* an option or field that does not decode */
	FM_MH_FAULT_COUNT,
};
const char *fm_mh_fault_name(enum fm_mh_fault f);

/* Told of every message dropped for a fault, with its source (optional). */
typedef void (*fm_mh_bad)(void *ctx, const struct in6_addr *src, enum fm_mh_fault f);

typedef void (*fm_mh_rx)(void *ctx, const struct mh_msg *m, const struct in6_addr *src,
			 const struct in6_addr *dst, int ifindex);

struct fm_mhsock_stats {
	uint64_t rx, tx, rx_malformed, rx_unknown_type, tx_errors;
	uint64_t
	    be_suppressed; /* Binding Errors, Parameter Problems, PBA 146 not sent: rate limit */
	uint64_t tx_param_problem; /* ICMPv6 Parameter Problems sent (RFC 6275 §9.2) */
	uint64_t rx_fault[FM_MH_FAULT_COUNT];
	uint64_t rx_auth_failed;      /* keyed peer: authenticator missing or wrong */
	uint64_t rx_replayed;	      /* keyed peer: Timestamp missing, outside the window, old */
	uint64_t rx_authenticated;    /* keyed peer: verified and delivered */
	uint64_t rx_kind[MH_UPA + 1]; /* by enum mh_kind */
	uint64_t tx_kind[MH_UPA + 1];
};

/* Bind to local (the LMA address or Proxy-CoA) and start reading on loop. */
int fm_mhsock_open(struct ev_loop *loop, const struct in6_addr *local, fm_mh_rx rx, void *ctx,
		   struct fm_mhsock **out);
/* Reports dropped messages to bad(ctx, ...) (the role's per-peer counters). */
void fm_mhsock_on_fault(struct fm_mhsock *s, fm_mh_bad bad);
void fm_mhsock_close(struct fm_mhsock *s);
int fm_mhsock_send(struct fm_mhsock *s, const struct mh_msg *m, const struct in6_addr *dst);
/* RFC 4285 authentication with one peer: sign everything sent to it, and accept from
 * it only what carries a valid authenticator (mhsock.c). k NULL or empty: no key. */
int fm_mhsock_set_key(struct fm_mhsock *s, const struct in6_addr *peer,
		      const struct mh_auth_key *k);
/* True when peer has a key: every message the role received from it was verified
 * (the role may then believe what it says, e.g. a restart counter). */
bool fm_mhsock_peer_authenticated(const struct fm_mhsock *s, const struct in6_addr *peer);
const struct fm_mhsock_stats *fm_mhsock_stats(const struct fm_mhsock *s);
/* The socket-level counters (what never reached the role) for `stats`:
 * {"rx_malformed", "rx_unknown_type", "tx_errors", "binding_errors_suppressed"}. */
json_t *fm_mhsock_stats_json(const struct fm_mhsock *s);

#endif /* FLOWMOB_MHSOCK_H */
