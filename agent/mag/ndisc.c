// SPDX-License-Identifier: GPL-2.0
/*
 * ndisc.c — Neighbor Discovery for the MAG's access links (RFC 4861): RA, NS and
 * RS builders, RS/NS/NA and RA parsers, Ethernet framing with the ICMPv6
 * checksum, and the per-interface AF_PACKET socket.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "core/log.h"
#include "mag/ndisc.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int nd_build_ra(const struct nd_ra *ra, uint8_t *buf, size_t len)
{
	size_t need = 16 + (ra->has_slla ? 8 : 0) + (ra->mtu ? 8 : 0) + 32 * (size_t)ra->n_prefixes;
	uint8_t *p = buf;

	if (ra->n_prefixes < 0 || ra->n_prefixes > ND_MAX_PREFIXES || need > len)
		return -1;
	memset(buf, 0, need);
	p[0] = ND_RA;
	p[4] = ra->cur_hop_limit;
	p[5] = ra->flags;
	put16(p + 6, ra->router_lifetime);
	put32(p + 8, ra->reachable_ms);
	put32(p + 12, ra->retrans_ms);
	p += 16;
	if (ra->has_slla) {
		p[0] = ND_OPT_SLLA;
		p[1] = 1;
		memcpy(p + 2, ra->slla, 6);
		p += 8;
	}
	if (ra->mtu) {
		p[0] = ND_OPT_MTU;
		p[1] = 1;
		put32(p + 4, ra->mtu);
		p += 8;
	}
	for (int i = 0; i < ra->n_prefixes; i++) {
		const struct nd_prefix *pf = &ra->prefixes[i];
		struct in6_addr masked = pf->pfx.addr;

		/* Bits beyond the prefix length are zero on the wire (RFC 4861 §4.6.2). */
		for (int b = pf->pfx.plen; b < 128; b++)
			masked.s6_addr[b / 8] &= ~(0x80 >> (b % 8));
		p[0] = ND_OPT_PREFIX;
		p[1] = 4;
		p[2] = pf->pfx.plen;
		p[3] = ND_PI_FLAG_L | ND_PI_FLAG_A;
		put32(p + 4, pf->valid);
		put32(p + 8, pf->preferred);
		memcpy(p + 16, &masked, 16);
		p += 32;
	}
	return (int)need;
}

int nd_parse_ra(const uint8_t *buf, size_t len, struct nd_ra *ra)
{
	size_t off = 16;

	memset(ra, 0, sizeof(*ra));
	if (len < 16 || buf[0] != ND_RA || buf[1] != 0)
		return -1;
	ra->cur_hop_limit = buf[4];
	ra->flags = buf[5];
	ra->router_lifetime = get16(buf + 6);
	ra->reachable_ms = get32(buf + 8);
	ra->retrans_ms = get32(buf + 12);
	while (off < len) {
		size_t olen;

		if (len - off < 2 || buf[off + 1] == 0)
			return -1;
		olen = (size_t)buf[off + 1] * 8;
		if (olen > len - off)
			return -1;
		const uint8_t *o = buf + off;
		switch (o[0]) {
		case ND_OPT_SLLA:
			if (olen != 8)
				return -1;
			ra->has_slla = true;
			memcpy(ra->slla, o + 2, 6);
			break;
		case ND_OPT_MTU:
			if (olen != 8)
				return -1;
			ra->mtu = get32(o + 4);
			break;
		case ND_OPT_PREFIX:
			if (olen != 32 || o[2] > 128)
				return -1;
			if (ra->n_prefixes < ND_MAX_PREFIXES) {
				struct nd_prefix *pf = &ra->prefixes[ra->n_prefixes++];

				pf->pfx.plen = o[2];
				pf->valid = get32(o + 4);
				pf->preferred = get32(o + 8);
				memcpy(&pf->pfx.addr, o + 16, 16);
			}
			break;
		default:
			break;
		}
		off += olen;
	}
	return 0;
}

int nd_build_ns(const struct in6_addr *target, const uint8_t slla[6], uint8_t *buf, size_t len)
{
	if (len < 32)
		return -1;
	memset(buf, 0, 32);
	buf[0] = ND_NS;
	memcpy(buf + 8, target, 16);
	buf[24] = ND_OPT_SLLA;
	buf[25] = 1;
	memcpy(buf + 26, slla, 6);
	return 32;
}

int nd_build_rs(const uint8_t *slla, uint8_t *buf, size_t len)
{
	size_t need = slla ? 16 : 8;

	if (len < need)
		return -1;
	memset(buf, 0, need);
	buf[0] = ND_RS;
	if (slla) {
		buf[8] = ND_OPT_SLLA;
		buf[9] = 1;
		memcpy(buf + 10, slla, 6);
	}
	return (int)need;
}

int nd_parse_msg(const uint8_t *buf, size_t len, const struct in6_addr *src, uint8_t hop_limit,
		 struct nd_msg *out, const char **why)
{
	size_t off;
	const char *dummy;

	if (!why)
		why = &dummy;
	memset(out, 0, sizeof(*out));
	if (len < 8) {
		*why = "truncated";
		return -1;
	}
	if (hop_limit != ND_HOP_LIMIT) {
		*why = "hop limit not 255";
		return -1;
	}
	if (buf[1] != 0) {
		*why = "code not 0";
		return -1;
	}
	out->type = buf[0];
	switch (out->type) {
	case ND_RS:
		off = 8;
		break;
	case ND_NS:
	case ND_NA:
		if (len < 24) {
			*why = "truncated";
			return -1;
		}
		memcpy(&out->target, buf + 8, 16);
		if (IN6_IS_ADDR_MULTICAST(&out->target)) {
			*why = "multicast target";
			return -1;
		}
		if (out->type == ND_NA)
			out->na_flags = buf[4] & (ND_NA_FLAG_R | ND_NA_FLAG_S | ND_NA_FLAG_O);
		off = 24;
		break;
	default:
		*why = "not RS, NS or NA";
		return -1;
	}
	while (off < len) {
		size_t olen;
		uint8_t want = out->type == ND_NA ? ND_OPT_TLLA : ND_OPT_SLLA;

		if (len - off < 2 || buf[off + 1] == 0) {
			*why = "option with length 0";
			return -1;
		}
		olen = (size_t)buf[off + 1] * 8;
		if (olen > len - off) {
			*why = "option past the end";
			return -1;
		}
		if (buf[off] == want && olen == 8) {
			out->has_lla = true;
			memcpy(out->lla, buf + off + 2, 6);
		}
		off += olen;
	}
	if (out->has_lla && out->type != ND_NA && IN6_IS_ADDR_UNSPECIFIED(src)) {
		*why = "SLLA from the unspecified address";
		return -1;
	}
	return 0;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t nd_icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
			   const uint8_t *icmp, size_t len)
{
	uint8_t ph[8] = {0};
	uint32_t sum = 0;

	sum = csum_add(sum, src->s6_addr, 16);
	sum = csum_add(sum, dst->s6_addr, 16);
	put32(ph, (uint32_t)len);
	ph[7] = IPPROTO_ICMPV6;
	sum = csum_add(sum, ph, 8);
	sum = csum_add(sum, icmp, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int nd_build_frame(const uint8_t src_mac[6], const uint8_t dst_mac[6], const struct in6_addr *src,
		   const struct in6_addr *dst, const uint8_t *icmp, size_t icmp_len, uint8_t *buf,
		   size_t len)
{
	size_t total = ND_ETH_HLEN + ND_IP6_HLEN + icmp_len;
	uint8_t *ip = buf + ND_ETH_HLEN, *ic = ip + ND_IP6_HLEN;
	uint16_t cs;

	if (total > len || icmp_len < 4 || icmp_len > 0xffff)
		return -1;
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	put16(buf + 12, ETH_P_IPV6);
	memset(ip, 0, ND_IP6_HLEN);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)icmp_len);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = ND_HOP_LIMIT;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memmove(ic, icmp, icmp_len);
	ic[2] = ic[3] = 0;
	cs = nd_icmp6_checksum(src, dst, ic, icmp_len);
	put16(ic + 2, cs);
	return (int)total;
}

int nd_parse_frame(const uint8_t *buf, size_t len, struct nd_frame *out, const char **why)
{
	const uint8_t *ip = buf + ND_ETH_HLEN;
	size_t plen;
	const char *dummy;

	if (!why)
		why = &dummy;
	memset(out, 0, sizeof(*out));
	if (len < ND_ETH_HLEN + ND_IP6_HLEN + 4) {
		*why = "truncated";
		return -1;
	}
	if (get16(buf + 12) != ETH_P_IPV6 || (ip[0] >> 4) != 6) {
		*why = "not IPv6";
		return -1;
	}
	if (ip[6] != IPPROTO_ICMPV6) {
		*why = "not ICMPv6 (extension headers are not walked)";
		return -1;
	}
	plen = get16(ip + 4);
	if (plen < 4 || plen > len - ND_ETH_HLEN - ND_IP6_HLEN) {
		*why = "bad payload length";
		return -1;
	}
	memcpy(out->dst_mac, buf, 6);
	memcpy(out->src_mac, buf + 6, 6);
	out->hop_limit = ip[7];
	memcpy(&out->src, ip + 8, 16);
	memcpy(&out->dst, ip + 24, 16);
	out->icmp = ip + ND_IP6_HLEN;
	out->icmp_len = plen;
	if (nd_icmp6_checksum(&out->src, &out->dst, out->icmp, plen) != 0) {
		*why = "bad ICMPv6 checksum";
		return -1;
	}
	return 0;
}

void nd_mcast_mac(const struct in6_addr *dst, uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, dst->s6_addr + 12, 4);
}

void nd_eui64_ll(const uint8_t mac[6], struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[0] = 0xfe;
	out->s6_addr[1] = 0x80;
	out->s6_addr[8] = mac[0] ^ 0x02;
	out->s6_addr[9] = mac[1];
	out->s6_addr[10] = mac[2];
	out->s6_addr[11] = 0xff;
	out->s6_addr[12] = 0xfe;
	out->s6_addr[13] = mac[3];
	out->s6_addr[14] = mac[4];
	out->s6_addr[15] = mac[5];
}

/* ---- socket ----------------------------------------------------------------- */

int nd_sock_open(const char *ifname, struct nd_sock *s)
{
	/* ICMPv6 directly after the IPv6 header, type RS or NA. */
	static struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 6),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ND_ETH_HLEN + 6),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 4),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ND_ETH_HLEN + ND_IP6_HLEN),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ND_RS, 1, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ND_NA, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0xffff),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
	struct sockaddr_ll sll = {0};
	struct ifreq ifr = {0};
	int one = 1, err;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (strlen(ifname) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	strcpy(s->name, ifname);
	s->ifindex = (int)if_nametoindex(ifname);
	if (!s->ifindex) {
		err = -errno;
		pr_err("ndisc: interface %s: %s", ifname, strerror(errno));
		return err;
	}
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IPV6));
	if (s->fd < 0) {
		err = -errno;
		pr_err("ndisc: AF_PACKET socket: %s", strerror(errno));
		return err;
	}
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(s->fd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail;
	memcpy(s->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		goto fail;
	/* Not fatal on old kernels: outgoing frames are also skipped in nd_sock_recv. */
	setsockopt(s->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IPV6);
	sll.sll_ifindex = s->ifindex;
	if (bind(s->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	return 0;
fail:
	err = -errno;
	pr_err("ndisc: %s: %s", ifname, strerror(errno));
	close(s->fd);
	s->fd = -1;
	return err;
}

void nd_sock_close(struct nd_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int nd_sock_recv(struct nd_sock *s, uint8_t *buf, size_t len)
{
	struct sockaddr_ll from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	for (;;) {
		n = recvfrom(s->fd, buf, len, MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if ((size_t)n > len) {
			s->rx_bad++;
			continue;
		}
		s->rx++;
		return (int)n;
	}
}

int nd_sock_send(struct nd_sock *s, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll to = {0};

	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_IPV6);
	to.sll_ifindex = s->ifindex;
	to.sll_halen = 6;
	memcpy(to.sll_addr, frame, 6);
	if (sendto(s->fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		s->tx_errors++;
		return -errno;
	}
	s->tx++;
	return 0;
}

int nd_link_running(const char *ifname)
{
	struct ifreq ifr = {0};
	int fd, ret;

	if (strlen(ifname) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, ifname);
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ? -errno : !!(ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return ret;
}
