// SPDX-License-Identifier: GPL-2.0
/*
 * fixtures.c — the BPF_PROG_TEST_RUN fixture table of the data plane: for every
 * path, outcome and drop reason an input frame, the expected verdict, the
 * expected output bytes (built here field by field from the RFC 2473 / RFC 4443 /
 * RFC 6040 layouts, never by the code under test) and the counter that must move.
 * Prints TAP. Runs in a private network namespace (unshare) so that FIB lookups
 * see an empty, non-forwarding namespace: deterministic "to the stack" results.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "dp/dataplane.h"
#include "fm_dp_maps.h"
#include "fm_stats.h"
#include "core/log.h"

/* The agent's logger lives in log.c (another module); a weak stand-in keeps this
 * runner linkable on its own and quiet unless FM_FX_VERBOSE is set. */
__attribute__((weak)) void fm_log(enum fm_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!getenv("FM_FX_VERBOSE") && level > FM_LOG_ERROR)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "# ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}
__attribute__((weak)) enum fm_log_level fm_log_get_level(void)
{
	return FM_LOG_INFO;
}

/* ---- TAP ------------------------------------------------------------------------ */
static int tap_n, tap_fail;

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_fail++;
}

/* ---- frame builder ------------------------------------------------------------------ */
struct pkt {
	uint8_t b[2048];
	size_t len;
	size_t l3; /* offset of the (first) IPv6 header */
};

static const uint8_t MAC_CN[6] = {0x02, 0xc0, 0, 0, 0, 0x02};
static const uint8_t MAC_LMA[6] = {0x02, 0x1a, 0, 0, 0, 0x01};
static const uint8_t MAC_MAG1[6] = {0x02, 0x3a, 0, 0, 0, 0x11};
static const uint8_t MAC_MAG2[6] = {0x02, 0x3a, 0, 0, 0, 0x12};
static const uint8_t MAC_MN[6] = {0x02, 0, 0, 0, 0x01, 0x01};

#define LMA_ADDR "fd00:11::1"
#define MAG1	 "fd00:11::2"
#define MAG2	 "fd00:12::2"
#define MAG3	 "fd00:13::2"
#define CN	 "fd00:1::2"
#define MN_A	 "fd00:100:0:1::10" /* MN 1, prefix fd00:100:0:1::/64 */
#define MN_B	 "fd00:100:0:2::20" /* MN 2, prefix fd00:100:0:2::/64 */
#define NOT_MN	 "fd00:200::5"

static struct in6_addr A(const char *s) {
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	return a;
}

static void
put(struct pkt *p, const void *d, size_t n)
{
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static void put8(struct pkt *p, uint8_t v)
{
	put(p, &v, 1);
}

static void put16(struct pkt *p, uint16_t v)
{
	uint16_t n = htons(v);

	put(p, &n, 2);
}

static void put32(struct pkt *p, uint32_t v)
{
	uint32_t n = htonl(v);

	put(p, &n, 4);
}

static void p_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	p->len = 0;
	put(p, dst, 6);
	put(p, src, 6);
	put16(p, type);
}

/* RFC 8200 §3: version 6, traffic class, flow label, payload length (fixed by p_done), next header,
 * hop limit. */
static void p_ip6(struct pkt *p, uint8_t tc, uint32_t fl, uint8_t nh, uint8_t hl, const char *src,
		  const char *dst)
{
	struct in6_addr s = A(src), d = A(dst);

	p->l3 = p->len;
	put32(p, (6u << 28) | ((uint32_t)tc << 20) | (fl & 0xfffff));
	put16(p, 0);
	put8(p, nh);
	put8(p, hl);
	put(p, &s, 16);
	put(p, &d, 16);
}

/* Generic extension header (hop-by-hop, routing, destination options): 8 octets. */
static void p_ext8(struct pkt *p, uint8_t next)
{
	put8(p, next);
	put8(p, 0); /* Hdr Ext Len 0: 8 octets */
	put8(p, 1); /* PadN */
	put8(p, 4);
	put32(p, 0);
}

static void p_frag(struct pkt *p, uint8_t next, uint16_t off8, int more, uint32_t id)
{
	put8(p, next);
	put8(p, 0);
	put16(p, (uint16_t)(off8 << 3) | (more ? 1 : 0));
	put32(p, id);
}

static void p_udp(struct pkt *p, uint16_t sport, uint16_t dport, size_t payload)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, (uint16_t)(8 + payload));
	put16(p, 0x1234); /* checksum: opaque to the data plane */
	for (size_t i = 0; i < payload; i++)
		put8(p, (uint8_t)i);
}

static void p_pad(struct pkt *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(p, (uint8_t)(0xa0 + i));
}

/* Fixes the payload length of the IPv6 header at l3. */
static void p_done_at(struct pkt *p, size_t l3)
{
	uint16_t plen = htons((uint16_t)(p->len - l3 - 40));

	memcpy(p->b + l3 + 4, &plen, 2);
}

static void p_done(struct pkt *p)
{
	p_done_at(p, p->l3);
}

static struct pkt udp_pkt(const char *src, const char *dst, uint16_t sport, uint16_t dport,
			  uint8_t tc, uint32_t fl, uint8_t hl)
{
	struct pkt p;

	p_eth(&p, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&p, tc, fl, 17, hl, src, dst);
	p_udp(&p, sport, dport, 16);
	p_done(&p);
	return p;
}

/*
 * The expected result of encapsulation (RFC 2473 §3, RFC 6040 normal mode): Ethernet
 * with the next hop's MACs, an outer header (TC = inner TC with CE -> ECT(0), flow
 * label copied, payload = inner packet, next header 41, hop limit 64), then the inner
 * packet whose hop limit is one less.
 */
static struct pkt expect_encap(const struct pkt *in, const uint8_t *dmac, const uint8_t *smac,
			       const char *src, const char *dst)
{
	const uint8_t *ip = in->b + in->l3;
	size_t ilen = in->len - in->l3;
	uint8_t tc = (uint8_t)(((ip[0] & 0x0f) << 4) | (ip[1] >> 4));
	uint32_t fl = ((uint32_t)(ip[1] & 0x0f) << 16) | ((uint32_t)ip[2] << 8) | ip[3];
	struct in6_addr s = A(src), d = A(dst);
	struct pkt o;

	if ((tc & 3) == 3)
		tc = (tc & 0xfc) | 2;
	p_eth(&o, dmac, smac, 0x86dd);
	put32(&o, (6u << 28) | ((uint32_t)tc << 20) | fl);
	put16(&o, (uint16_t)ilen);
	put8(&o, 41);
	put8(&o, 64);
	put(&o, &s, 16);
	put(&o, &d, 16);
	o.l3 = o.len;
	put(&o, ip, ilen);
	o.b[o.l3 + 7]--; /* inner hop limit */
	return o;
}

/* A tunnel packet MAG -> LMA (or LMA -> MAG) around an inner packet. */
static struct pkt tunnel(const struct pkt *inner, const uint8_t *dmac, const uint8_t *smac,
			 const char *src, const char *dst, uint8_t outer_tc)
{
	struct pkt o;

	p_eth(&o, dmac, smac, 0x86dd);
	p_ip6(&o, outer_tc, 0, 41, 64, src, dst);
	put(&o, inner->b + inner->l3, inner->len - inner->l3);
	p_done(&o);
	return o;
}

/* ---- running ----------------------------------------------------------------------------------
 */
struct run {
	int ret;
	struct pkt out;
};

static struct run run_prog(int fd, const struct pkt *in)
{
	struct run r = {.ret = -1};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->b, .data_size_in = (uint32_t)in->len,
		    .data_out = r.out.b, .data_size_out = sizeof(r.out.b), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "# test_run: %s\n", strerror(errno));
		return r;
	}
	r.ret = (int)o.retval;
	r.out.len = o.data_size_out;
	return r;
}

static struct fm_dp *dp;
static int fd_xdp, fd_tc;
static uint64_t st0[FM_ST_MAX];

static void stats_mark(void)
{
	fm_dp_stats(dp, st0, FM_ST_MAX);
}

static uint64_t stat_delta(int idx)
{
	uint64_t now[FM_ST_MAX];

	fm_dp_stats(dp, now, FM_ST_MAX);
	return now[idx] - st0[idx];
}

static int same(const struct pkt *a, const struct pkt *b)
{
	if (a->len != b->len) {
		fprintf(stderr, "# length %zu, expected %zu\n", a->len, b->len);
		return 0;
	}
	for (size_t i = 0; i < a->len; i++)
		if (a->b[i] != b->b[i]) {
			fprintf(stderr,
				"# first difference at byte %zu: %02x, expected %02x\n#  got:", i,
				a->b[i], b->b[i]);
			for (size_t j = 0; j < a->len && j < 96; j++)
				fprintf(stderr, "%s%02x", j % 16 ? " " : "\n#   ", a->b[j]);
			fprintf(stderr, "\n#  exp:");
			for (size_t j = 0; j < b->len && j < 96; j++)
				fprintf(stderr, "%s%02x", j % 16 ? " " : "\n#   ", b->b[j]);
			fprintf(stderr, "\n");
			return 0;
		}
	return 1;
}

/* One fixture: verdict, exact bytes (when exp), and a counter that moved by one. */
static void fx(const char *name, int fd, const struct pkt *in, int want_ret, const struct pkt *exp,
	       int stat)
{
	struct run r;
	int good;

	stats_mark();
	r = run_prog(fd, in);
	good = r.ret == want_ret;
	if (!good)
		fprintf(stderr, "# %s: verdict %d, expected %d\n", name, r.ret, want_ret);
	if (good && exp)
		good = same(&r.out, exp);
	if (good && stat >= 0 && stat_delta(stat) != 1) {
		fprintf(stderr, "# %s: counter %s moved by %llu\n", name, fm_dp_stat_name(stat),
			(unsigned long long)stat_delta(stat));
		good = 0;
	}
	ok(good, "%s", name);
}

static uint16_t outer_dst_tail(const struct run *r)
{
	/* last two bytes of the outer destination: tells MAG1 (::2 in fd00:11) from MAG2 */
	return (uint16_t)((r->out.b[14 + 24 + 2] << 8) | r->out.b[14 + 24 + 3]);
}

/* Which MAG got the packet: 11, 12, 13, 0 = not encapsulated / dropped. */
static int which_mag(int fd, const struct pkt *in)
{
	struct run r = run_prog(fd, in);

	if (r.ret != XDP_REDIRECT && r.ret != TC_ACT_REDIRECT)
		return 0;
	if (r.out.len < 54 || r.out.b[14 + 6] != 41)
		return 0;
	return outer_dst_tail(&r) == 0x0011 ? 11 : outer_dst_tail(&r) == 0x0012 ? 12 : 13;
}

/* ---- rules --------------------------------------------------------------------------------------
 */
static struct fm_dp_rule rule(uint16_t fid, uint16_t prio, uint16_t bid)
{
	struct fm_dp_rule r;

	memset(&r, 0, sizeof(r));
	r.fid = fid;
	r.priority = prio;
	r.bid = bid;
	r.active = true;
	r.action = FM_DP_FORWARD;
	r.ts.format = TS_FMT_IPV6;
	return r;
}

static void num(struct fm_dp_rule *r, enum ts_field f, uint32_t lo, uint32_t hi)
{
	r->ts.f[f].n = lo == hi ? TS_EXACT : TS_RANGE;
	r->ts.f[f].num[0] = lo;
	r->ts.f[f].num[1] = hi;
}

static void addr(struct fm_dp_rule *r, enum ts_field f, const char *lo, const char *hi)
{
	r->ts.f[f].n = hi ? TS_RANGE : TS_EXACT;
	r->ts.f[f].addr[0] = A(lo);
	if (hi)
		r->ts.f[f].addr[1] = A(hi);
}

/* ---- the table ----------------------------------------------------------------------------------
 */

static void setup_lma(void)
{
	struct fm_dp_binding b = {0};
	struct in6_addr p1 = A("fd00:100:0:1::"), p2 = A("fd00:100:0:2::");

	fm_dp_prefix_set(dp, &p1, 64, 1, 1);
	fm_dp_prefix_set(dp, &p2, 64, 2, 1);
	b.coa = A(MAG1);
	b.att = 3; /* 802.3 */
	fm_dp_binding_set(dp, 1, 1, &b);
	fm_dp_nexthop_static(dp, 1, 1, 7, MAC_MAG1, MAC_LMA);
	b.coa = A(MAG2);
	b.att = 4; /* 802.11 */
	fm_dp_binding_set(dp, 1, 2, &b);
	fm_dp_nexthop_static(dp, 1, 2, 8, MAC_MAG2, MAC_LMA);
	b.coa = A(MAG3);
	b.att = 5;
	fm_dp_binding_set(dp, 1, 3, &b);
	fm_dp_nexthop_static(dp, 1, 3, 9, MAC_MAG2, MAC_LMA);
	b.coa = A(MAG2);
	b.att = 4;
	fm_dp_binding_set(dp, 2, 1, &b);
	fm_dp_nexthop_static(dp, 2, 1, 8, MAC_MAG2, MAC_LMA);
	fm_dp_peer_set(dp, &(struct in6_addr){0});
	p1 = A(MAG1);
	fm_dp_peer_set(dp, &p1);
	p1 = A(MAG2);
	fm_dp_peer_set(dp, &p1);
}

static void t_basic(int fd, const char *mode, int redirect)
{
	struct pkt in, exp;
	char name[128];

	/* ARP: not ours */
	p_eth(&in, MAC_LMA, MAC_CN, 0x0806);
	p_pad(&in, 28);
	snprintf(name, sizeof(name), "%s: ARP passes untouched", mode);
	fx(name, fd, &in, redirect == XDP_REDIRECT ? XDP_PASS : TC_ACT_OK, &in, FM_ST_PASS_NOT_IP6);

	/* truncated IPv6 header (test_run refuses such an skb: XDP only) */
	if (redirect == XDP_REDIRECT) {
		p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
		p_pad(&in, 20);
		snprintf(name, sizeof(name), "%s: truncated IPv6 header dropped", mode);
		fx(name, fd, &in, XDP_DROP, NULL, FM_ST_DROP_TRUNC);
	}

	in = udp_pkt(CN, NOT_MN, 1000, 2000, 0, 0, 64);
	snprintf(name, sizeof(name), "%s: non-mobile destination passes untouched", mode);
	fx(name, fd, &in, redirect == XDP_REDIRECT ? XDP_PASS : TC_ACT_OK, &in, FM_ST_PASS_NOT_MN);

	in = udp_pkt(CN, MN_A, 1000, 2000, 0x28, 0x12345, 64);
	exp = expect_encap(&in, MAC_MAG1, MAC_LMA, LMA_ADDR, MAG1);
	snprintf(name, sizeof(name),
		 "%s: downlink UDP encapsulated to the default binding (exact bytes)", mode);
	fx(name, fd, &in, redirect, &exp, FM_ST_DL_FWD);
}

static void t_downlink_misc(void)
{
	struct pkt in, exp;
	int i;

	/* Mobility Header to an MN prefix: to the stack */
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 135, 64, CN, MN_A);
	put8(&in, 59);
	put8(&in, 0);
	put8(&in, 5);
	put8(&in, 0);
	put32(&in, 0);
	p_done(&in);
	fx("MH passes to the stack", fd_xdp, &in, XDP_PASS, &in, FM_ST_PASS_MH);

	/* Neighbour Solicitation */
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 58, 255, CN, MN_A);
	put8(&in, 135);
	put8(&in, 0);
	put16(&in, 0);
	put32(&in, 0);
	p_pad(&in, 16);
	p_done(&in);
	fx("ND (NS) passes to the stack", fd_xdp, &in, XDP_PASS, &in, FM_ST_PASS_ND);

	in = udp_pkt(CN, MN_A, 1000, 2000, 0, 0, 1);
	fx("hop limit 1 goes to the stack untouched (Time Exceeded)", fd_xdp, &in, XDP_PASS, &in,
	   FM_ST_PASS_HOPLIMIT);

	/* 8 extension headers: classified and forwarded */
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 0, 64, CN, MN_A);
	for (i = 0; i < 8; i++)
		p_ext8(&in, i == 7 ? 17 : 60);
	p_udp(&in, 1000, 2000, 8);
	p_done(&in);
	exp = expect_encap(&in, MAC_MAG1, MAC_LMA, LMA_ADDR, MAG1);
	fx("8 extension headers: forwarded", fd_xdp, &in, XDP_REDIRECT, &exp, FM_ST_DL_FWD);

	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 0, 64, CN, MN_A);
	for (i = 0; i < 9; i++)
		p_ext8(&in, i == 8 ? 17 : 60);
	p_udp(&in, 1000, 2000, 8);
	p_done(&in);
	fx("9 extension headers to an MN: dropped (fail closed)", fd_xdp, &in, XDP_DROP, NULL,
	   FM_ST_DROP_EXTHDR);

	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 0, 64, CN, NOT_MN);
	for (i = 0; i < 9; i++)
		p_ext8(&in, i == 8 ? 17 : 60);
	p_udp(&in, 1000, 2000, 8);
	p_done(&in);
	fx("9 extension headers to a non-MN: passes", fd_xdp, &in, XDP_PASS, &in,
	   FM_ST_PASS_NOT_MN);

	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 60, 64, CN, MN_A);
	put8(&in, 17);
	put8(&in, 1); /* 16 octets announced, 4 present */
	put16(&in, 0);
	p_done(&in);
	fx("truncated extension header to an MN: dropped", fd_xdp, &in, XDP_DROP, NULL,
	   FM_ST_DROP_TRUNC);

	/* UDP header cut short */
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 17, 64, CN, MN_A);
	put16(&in, 1000);
	p_done(&in);
	fx("truncated UDP header to an MN: dropped", fd_xdp, &in, XDP_DROP, NULL, FM_ST_DROP_TRUNC);
}

static void t_ecn(void)
{
	struct pkt in, exp;
	struct run r;

	in = udp_pkt(CN, MN_A, 1000, 2000, 0xb8 | 3, 0, 64); /* EF + CE */
	exp = expect_encap(&in, MAC_MAG1, MAC_LMA, LMA_ADDR, MAG1);
	r = run_prog(fd_xdp, &in);
	ok(r.ret == XDP_REDIRECT && same(&r.out, &exp) && (r.out.b[15] >> 4 & 3) == 2 &&
	       (r.out.b[55] >> 4 & 3) == 3,
	   "ECN encap: inner CE -> outer ECT(0), inner stays CE, DSCP copied");
	in = udp_pkt(CN, MN_A, 1000, 2000, 0x01, 0, 64); /* ECT(1) */
	exp = expect_encap(&in, MAC_MAG1, MAC_LMA, LMA_ADDR, MAG1);
	r = run_prog(fd_xdp, &in);
	ok(r.ret == XDP_REDIRECT && same(&r.out, &exp) && (r.out.b[15] >> 4 & 3) == 1,
	   "ECN encap: ECT(1) copied to the outer header");
}

static void t_rules(void)
{
	static struct fm_dp_rule rs[FM_DP_RULES_MAX + 1];
	struct pkt in;
	int n = 0;

	/* dst port range 5000-5999 -> BID 2 */
	rs[0] = rule(10, 10, 2);
	num(&rs[0], TS_DST_PORT, 5000, 5999);
	ok(fm_dp_rules_set(dp, 1, rs, 1) == 0, "rules_set: dst-port 5000-5999 -> BID 2");
	in = udp_pkt(CN, MN_A, 1, 4999, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "dst port 4999 (below range) -> default binding");
	in = udp_pkt(CN, MN_A, 1, 5000, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 12, "dst port 5000 (range start) -> rule binding");
	in = udp_pkt(CN, MN_A, 1, 5999, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 12, "dst port 5999 (range end) -> rule binding");
	in = udp_pkt(CN, MN_A, 1, 6000, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "dst port 6000 (above range) -> default binding");

	/* flow cache: the same flow again is a hit */
	in = udp_pkt(CN, MN_A, 1, 5000, 0, 0, 64);
	stats_mark();
	which_mag(fd_xdp, &in);
	ok(stat_delta(FM_ST_CACHE_HIT) == 1 && stat_delta(FM_ST_CACHE_MISS) == 0,
	   "flow cache hit on the second packet of a flow");

	/* the cache carries the binding's CoA: a CoA change must reach cached flows */
	{
		struct fm_dp_binding b = {.coa = A(MAG3), .att = 4};

		fm_dp_binding_set(dp, 1, 2, &b);
		fm_dp_nexthop_static(dp, 1, 2, 8, MAC_MAG2, MAC_LMA);
		ok(which_mag(fd_xdp, &in) == 13,
		   "binding CoA change: the next packet of a cached flow goes to the new MAG");
		b.coa = A(MAG2);
		fm_dp_binding_set(dp, 1, 2, &b);
		fm_dp_nexthop_static(dp, 1, 2, 8, MAC_MAG2, MAC_LMA);
		ok(which_mag(fd_xdp, &in) == 12, "binding CoA back: the cached flow follows");
		stats_mark();
		which_mag(fd_xdp, &in);
		ok(stat_delta(FM_ST_CACHE_HIT) == 1 && stat_delta(FM_ST_NH_CACHE_HIT) == 1 &&
		       stat_delta(FM_ST_DL_FWD) == 1 && stat_delta(FM_ST_RX) == 1,
		   "a hit counts rx, flow_cache_hit, nexthop_cached and lma_downlink_encap once "
		   "each");
	}

	/* slot flip mid-stream: new rules, the cached decision is stale */
	rs[0] = rule(10, 10, 3);
	num(&rs[0], TS_DST_PORT, 5000, 5999);
	fm_dp_rules_set(dp, 1, rs, 1);
	stats_mark();
	ok(which_mag(fd_xdp, &in) == 13 && stat_delta(FM_ST_CACHE_STALE) == 1,
	   "slot flip mid-stream: the next packet sees the new rule set, never the cached one");
	ok(which_mag(fd_xdp, &in) == 13, "slot flip: the following packet hits the new decision");

	/* priority order: lower FID-PRI first, whatever the insertion order */
	rs[0] = rule(1, 20, 2);
	num(&rs[0], TS_NEXT_HEADER, 17, 17);
	rs[1] = rule(2, 5, 3);
	num(&rs[1], TS_DST_PORT, 7000, 7000);
	fm_dp_rules_set(dp, 1, rs, 2);
	in = udp_pkt(CN, MN_A, 1, 7000, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 13, "priority: FID-PRI 5 wins over FID-PRI 20");
	in = udp_pkt(CN, MN_A, 1, 7001, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 12,
	   "priority: the lower-priority rule still matches the rest");
	rs[1].active = false;
	fm_dp_rules_set(dp, 1, rs, 2);
	in = udp_pkt(CN, MN_A, 1, 7000, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 12, "inactive rule skipped");

	/* every RFC 6088 field, at its boundaries */
	n = 0;
	rs[n] = rule(1, 1, 3);
	addr(&rs[n++], TS_SRC_ADDR, "fd00:1::10", "fd00:1::1f");
	fm_dp_rules_set(dp, 1, rs, n);
	in = udp_pkt("fd00:1::10", MN_A, 1, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 13, "src address range: start matches");
	in = udp_pkt("fd00:1::1f", MN_A, 1, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 13, "src address range: end matches");
	in = udp_pkt("fd00:1::f", MN_A, 1, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "src address range: start - 1 does not");
	in = udp_pkt("fd00:1::20", MN_A, 1, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "src address range: end + 1 does not");

	rs[0] = rule(1, 1, 3);
	addr(&rs[0], TS_DST_ADDR, "fd00:100:0:1::10", NULL);
	fm_dp_rules_set(dp, 1, rs, 1);
	in = udp_pkt(CN, "fd00:100:0:1::10", 1, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 13, "dst address exact: matches");
	in = udp_pkt(CN, "fd00:100:0:1::11", 1, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "dst address exact: neighbour address does not");

	rs[0] = rule(1, 1, 3);
	num(&rs[0], TS_FLOW_LABEL, 0x100, 0xfffff);
	fm_dp_rules_set(dp, 1, rs, 1);
	in = udp_pkt(CN, MN_A, 1, 1, 0, 0xfffff, 64);
	ok(which_mag(fd_xdp, &in) == 13, "flow label 0xfffff (max) in range");
	in = udp_pkt(CN, MN_A, 1, 1, 0, 0xff, 64);
	ok(which_mag(fd_xdp, &in) == 11, "flow label 0xff below range");

	rs[0] = rule(1, 1, 3);
	num(&rs[0], TS_SRC_PORT, 1024, 1024);
	fm_dp_rules_set(dp, 1, rs, 1);
	in = udp_pkt(CN, MN_A, 1024, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 13, "src port exact 1024");
	in = udp_pkt(CN, MN_A, 1025, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "src port 1025 differs");

	rs[0] = rule(1, 1, 3);
	num(&rs[0], TS_TC, 0xb8, 0xbb);
	fm_dp_rules_set(dp, 1, rs, 1);
	in = udp_pkt(CN, MN_A, 1, 1, 0xbb, 0, 64);
	ok(which_mag(fd_xdp, &in) == 13, "traffic class 0xbb in 0xb8-0xbb");
	in = udp_pkt(CN, MN_A, 1, 1, 0xb7, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "traffic class 0xb7 outside");

	rs[0] = rule(1, 1, 3);
	num(&rs[0], TS_NEXT_HEADER, 6, 6);
	fm_dp_rules_set(dp, 1, rs, 1);
	in = udp_pkt(CN, MN_A, 1, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "next header 6 rule: UDP does not match");
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 60, 64, CN, MN_A);
	p_ext8(&in, 6);
	put16(&in, 80);
	put16(&in, 443);
	put32(&in, 1);
	put32(&in, 0);
	put16(&in, 0x5002);
	put16(&in, 1000);
	put32(&in, 0);
	p_done(&in);
	ok(which_mag(fd_xdp, &in) == 13,
	   "next header 6 rule: TCP after a destination-options header matches");

	rs[0] = rule(1, 1, 3);
	num(&rs[0], TS_SPI, 0x1000, 0x1000);
	rs[1] = rule(2, 2, 2);
	num(&rs[1], TS_DST_PORT, 0, 65535); /* needs ports: never matches ESP */
	fm_dp_rules_set(dp, 1, rs, 2);
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 50, 64, CN, MN_A);
	put32(&in, 0x1000); /* ESP SPI */
	put32(&in, 1);	    /* sequence */
	p_pad(&in, 16);
	p_done(&in);
	ok(which_mag(fd_xdp, &in) == 13, "SPI from ESP matches");
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 51, 64, CN, MN_A);
	put8(&in, 17); /* AH: next header UDP, payload len 4 (24 octets) */
	put8(&in, 4);
	put16(&in, 0);
	put32(&in, 0x1000);
	put32(&in, 7);
	p_pad(&in, 12);
	p_udp(&in, 1, 1, 8);
	p_done(&in);
	ok(which_mag(fd_xdp, &in) == 13, "SPI from AH matches");
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 50, 64, CN, MN_A);
	put32(&in, 0x1001);
	put32(&in, 1);
	p_pad(&in, 16);
	p_done(&in);
	ok(which_mag(fd_xdp, &in) == 11, "SPI 0x1001: no match, and a port rule never matches ESP");

	/* IPv4 selectors never match IPv6 packets */
	rs[0] = rule(1, 1, 3);
	rs[0].ts.format = TS_FMT_IPV4;
	fm_dp_rules_set(dp, 1, rs, 1);
	in = udp_pkt(CN, MN_A, 1, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "IPv4 selector: not applied to IPv6");

	/* access technology rule (bid 0): first binding with ATT 4 (802.11) */
	rs[0] = rule(1, 1, 0);
	rs[0].n_att = 2;
	rs[0].att[0] = 9;
	rs[0].att[1] = 4;
	num(&rs[0], TS_DST_PORT, 80, 80);
	fm_dp_rules_set(dp, 1, rs, 1);
	in = udp_pkt(CN, MN_A, 1, 80, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 12, "att rule: first binding of ATT 802.11");

	/* binding down: the rule falls through to the default */
	{
		struct fm_dp_binding b = {.coa = A(MAG2), .att = 4, .down = true};

		fm_dp_binding_set(dp, 1, 2, &b);
		fm_dp_nexthop_static(dp, 1, 2, 8, MAC_MAG2, MAC_LMA);
		ok(which_mag(fd_xdp, &in) == 11, "att rule: its binding down -> default binding");
		b.down = false;
		fm_dp_binding_set(dp, 1, 2, &b);
		ok(which_mag(fd_xdp, &in) == 12, "att rule: binding up again -> back to it");
	}

	/* drop action, counted per FID */
	{
		struct fm_dp_counters c0, c1;

		rs[0] = rule(77, 1, 0);
		rs[0].action = FM_DP_DROP;
		num(&rs[0], TS_DST_PORT, 9, 9);
		fm_dp_rules_set(dp, 1, rs, 1);
		fm_dp_fid_counters(dp, 1, 77, &c0);
		in = udp_pkt(CN, MN_A, 1, 9, 0, 0, 64);
		fx("drop rule: dropped and counted", fd_xdp, &in, XDP_DROP, NULL, FM_ST_DROP_RULE);
		fm_dp_fid_counters(dp, 1, 77, &c1);
		ok(c1.packets == c0.packets + 1 && c1.bytes == c0.bytes + (in.len - 14),
		   "per-FID counter: +1 packet, +%zu bytes", in.len - 14);
	}

	/* 256 rules: each port its own rule, the last one still matches, and the cost of
	 * a miss does not depend on which one (the bit-vector classifier) */
	for (n = 0; n < FM_DP_RULES_MAX; n++) {
		rs[n] = rule((uint16_t)(100 + n), (uint16_t)(n + 1), n == 255 ? 3 : 2);
		num(&rs[n], TS_DST_PORT, (uint32_t)(20000 + n), (uint32_t)(20000 + n));
	}
	ok(fm_dp_rules_set(dp, 1, rs, FM_DP_RULES_MAX) == 0, "256 rules accepted");
	in = udp_pkt(CN, MN_A, 1, 20255, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 13, "256th rule matches");
	in = udp_pkt(CN, MN_A, 1, 20000, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 12, "256 rules: the first one matches");
	in = udp_pkt(CN, MN_A, 1, 20256, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11, "256 rules: the port after the last goes to the default");
	in = udp_pkt(CN, MN_A, 1, 19999, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 11,
	   "256 rules: the port before the first goes to the default");
	{
		int good = 1;

		for (n = 0; n < FM_DP_RULES_MAX && good; n += 17) {
			struct fm_dp_counters c0, c1;

			fm_dp_fid_counters(dp, 1, (uint16_t)(100 + n), &c0);
			in = udp_pkt(CN, MN_A, 7, (uint16_t)(20000 + n), 0, 0, 64);
			good = which_mag(fd_xdp, &in) == (n == 255 ? 13 : 12);
			fm_dp_fid_counters(dp, 1, (uint16_t)(100 + n), &c1);
			good = good && c1.packets == c0.packets + 1;
		}
		ok(good, "256 rules: every 17th port reaches its own rule and counts its FID");
	}
	ok(fm_dp_rules_set(dp, 1, rs, FM_DP_RULES_MAX + 1) == -E2BIG, "257 rules refused");

	/* 256 rules, the top priority one last in the list: insertion order is irrelevant */
	for (n = 0; n < FM_DP_RULES_MAX; n++) {
		rs[n] = rule((uint16_t)(1000 + n), (uint16_t)(FM_DP_RULES_MAX - n), 2);
		num(&rs[n], TS_DST_PORT, 30000, 30000);
	}
	rs[FM_DP_RULES_MAX - 1].bid = 3; /* priority 1 */
	fm_dp_rules_set(dp, 1, rs, FM_DP_RULES_MAX);
	in = udp_pkt(CN, MN_A, 1, 30000, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 13, "256 overlapping rules: the lowest FID-PRI wins");

	/* priority across fields: overlapping rules on different fields, lowest FID-PRI
	 * of those matching every field they name wins */
	n = 0;
	rs[n] = rule(1, 30, 2); /* UDP: MAG2 */
	num(&rs[n++], TS_NEXT_HEADER, 17, 17);
	rs[n] = rule(2, 20, 3); /* src fd00:1::/112 and tc 0x20-0x3f: MAG3 */
	addr(&rs[n], TS_SRC_ADDR, "fd00:1::", "fd00:1::ffff");
	num(&rs[n++], TS_TC, 0x20, 0x3f);
	rs[n] = rule(3, 10, 1); /* flow label 7 and dst port 53: MAG1 */
	num(&rs[n], TS_FLOW_LABEL, 7, 7);
	num(&rs[n++], TS_DST_PORT, 53, 53);
	rs[n] = rule(4, 25, 2); /* dst address range, src port range */
	addr(&rs[n], TS_DST_ADDR, "fd00:100:0:1::", "fd00:100:0:1::ff");
	num(&rs[n++], TS_SRC_PORT, 100, 199);
	fm_dp_rules_set(dp, 1, rs, n);
	in = udp_pkt(CN, MN_A, 1, 53, 0x20, 7, 64); /* matches all four */
	ok(which_mag(fd_xdp, &in) == 11, "across fields: FID-PRI 10 (flow label + port) wins");
	in = udp_pkt(CN, MN_A, 1, 53, 0x20, 8, 64); /* flow label differs */
	ok(which_mag(fd_xdp, &in) == 13, "across fields: then FID-PRI 20 (source + tc)");
	in = udp_pkt(CN, MN_A, 150, 54, 0x40, 8, 64); /* tc outside rule 2; rule 4 */
	ok(which_mag(fd_xdp, &in) == 12,
	   "across fields: then FID-PRI 25 (destination range + source port)");
	{
		struct fm_dp_counters c0, c1;

		fm_dp_fid_counters(dp, 1, 4, &c0);
		in = udp_pkt(CN, MN_A, 150, 54, 0x40, 8, 64);
		which_mag(fd_xdp, &in);
		fm_dp_fid_counters(dp, 1, 4, &c1);
		ok(c1.packets == c0.packets + 1,
		   "across fields: the cached decision still counts FID 4 on a hit");
		fm_dp_fid_counters(dp, 1, 1, &c0);
		in = udp_pkt("fd00:1::1:0", "fd00:100:0:1::1:0", 150, 54, 0x20, 8, 64);
		ok(which_mag(fd_xdp, &in) == 12,
		   "across fields: address ranges end where they say (FID 1 only)");
		fm_dp_fid_counters(dp, 1, 1, &c1);
		ok(c1.packets == c0.packets + 1, "across fields: FID 1 counted");
	}
	fm_dp_rules_set(dp, 1, NULL, 0);
}

static void t_frag(void)
{
	struct fm_dp_rule r = rule(5, 1, 2);
	struct pkt in;

	num(&r, TS_DST_PORT, 5353, 5353);
	fm_dp_rules_set(dp, 1, &r, 1);
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 44, 64, CN, MN_A);
	p_frag(&in, 17, 0, 1, 0xabcd);
	p_udp(&in, 1, 5353, 32);
	p_done(&in);
	stats_mark();
	ok(which_mag(fd_xdp, &in) == 12 && stat_delta(FM_ST_FRAG_FIRST) == 1,
	   "first fragment classified by its ports");
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 44, 64, CN, MN_A);
	p_frag(&in, 17, 5, 0, 0xabcd);
	p_pad(&in, 40);
	p_done(&in);
	stats_mark();
	ok(which_mag(fd_xdp, &in) == 12 && stat_delta(FM_ST_FRAG_FOLLOW) == 1,
	   "non-first fragment follows the first fragment's decision");
	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 44, 64, CN, MN_A);
	p_frag(&in, 17, 5, 0, 0x9999);
	p_pad(&in, 40);
	p_done(&in);
	stats_mark();
	/* issue 11: the first fragment's decision may be gone (the 4096-entry LRU
	 * overflowed): the default binding could be another MAG than the first fragment's,
	 * splitting the packet; with rules such a fragment is dropped and counted */
	fx("non-first fragment without a decision, MN with rules: dropped, counted", fd_xdp, &in,
	   XDP_DROP, NULL, FM_ST_DROP_FRAG_MN);
	ok(stat_delta(FM_ST_FRAG_DEFAULT) == 0, "... not sent to the default binding");
	fm_dp_rules_set(dp, 1, NULL, 0);
	/* without rules every packet of the MN takes the default binding: so does it */
	stats_mark();
	ok(which_mag(fd_xdp, &in) == 11 && stat_delta(FM_ST_FRAG_DEFAULT) == 1,
	   "non-first fragment without a decision, MN without rules: default binding, counted");
}

/* Internet checksum, written here from RFC 1071. */
static uint16_t csum(const uint8_t *d, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (n & 1)
		sum += (uint32_t)d[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void t_ptb(int fd, const char *mode, int tx, int drop)
{
	struct pkt in, exp;
	struct in6_addr me = A(LMA_ADDR), cn = A(CN);
	uint8_t ph[40];
	uint16_t c;
	char name[160];

	p_eth(&in, MAC_LMA, MAC_CN, 0x86dd);
	p_ip6(&in, 0, 0, 17, 64, CN, MN_A);
	p_udp(&in, 1, 2, 1500 - 40 - 40 - 8 + 1); /* 1 byte more than the tunnel fits */
	p_done(&in);

	/* RFC 4443 §3.2 Packet Too Big, quoting as much as fits in 1280 octets */
	p_eth(&exp, MAC_CN, MAC_LMA, 0x86dd);
	p_ip6(&exp, 0, 0, 58, 255, LMA_ADDR, CN);
	put8(&exp, 2);
	put8(&exp, 0);
	put16(&exp, 0);
	put32(&exp, 1460);
	put(&exp, in.b + 14, 1280 - 48);
	p_done(&exp);
	memcpy(ph, &me, 16);
	memcpy(ph + 16, &cn, 16);
	ph[32] = 0;
	ph[33] = 0;
	ph[34] = (1240 >> 8) & 0xff;
	ph[35] = 1240 & 0xff;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = 58;
	{
		uint32_t s = 0;

		for (int i = 0; i < 40; i += 2)
			s += (uint32_t)(ph[i] << 8 | ph[i + 1]);
		c = csum(exp.b + 54, 1240, s);
	}
	exp.b[56] = (uint8_t)(c >> 8);
	exp.b[57] = (uint8_t)c;
	snprintf(name, sizeof(name),
		 "%s: oversize packet -> exact ICMPv6 Packet Too Big (MTU 1460)", mode);
	fx(name, fd, &in, tx, &exp, FM_ST_PTB_SENT);
	snprintf(name, sizeof(name), "%s: second PTB within the interval is rate-limited", mode);
	fx(name, fd, &in, drop, NULL, FM_ST_PTB_RATELIMITED);
}

static void t_uplink(void)
{
	struct pkt inner, in, exp;

	/* MN 1 (via MAG1) -> CN */
	inner = udp_pkt(MN_A, CN, 3000, 80, 0, 0, 64);
	in = tunnel(&inner, MAC_LMA, MAC_MAG1, "fd00:99::2", LMA_ADDR, 0);
	fx("uplink from an unknown MAG: dropped", fd_xdp, &in, XDP_DROP, NULL,
	   FM_ST_DROP_UNKNOWN_PEER);

	in = tunnel(&inner, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR, 0);
	exp = inner;
	memcpy(exp.b, MAC_LMA, 6);
	memcpy(exp.b + 6, MAC_MAG1, 6);
	fx("uplink: decapsulated, no route here -> inner packet to the stack (exact bytes)", fd_xdp,
	   &in, XDP_PASS, &exp, FM_ST_UL_TO_STACK);

	inner = udp_pkt("fd00:100:0:7::1", CN, 3000, 80, 0, 0, 64);
	in = tunnel(&inner, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR, 0);
	fx("uplink with a spoofed inner source (no MN): dropped", fd_xdp, &in, XDP_DROP, NULL,
	   FM_ST_DROP_SPOOF);

	inner = udp_pkt(MN_B, CN, 3000, 80, 0, 0, 64);
	in = tunnel(&inner, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR, 0);
	fx("uplink with another MN's source via a MAG it is not bound through: dropped", fd_xdp,
	   &in, XDP_DROP, NULL, FM_ST_DROP_SPOOF);

	/* moved flow: MN 1 is also bound through MAG2 */
	inner = udp_pkt(MN_A, CN, 3000, 80, 0, 0, 64);
	in = tunnel(&inner, MAC_LMA, MAC_MAG2, MAG2, LMA_ADDR, 0);
	fx("moved flow's uplink from its new MAG: accepted", fd_xdp, &in, XDP_PASS, NULL,
	   FM_ST_UL_TO_STACK);

	/* ECN on decapsulation (RFC 6040 Figure 4) */
	inner = udp_pkt(MN_A, CN, 3000, 80, 0, 0, 64); /* Not-ECT */
	in = tunnel(&inner, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR, 3);
	fx("decap: outer CE on a Not-ECT inner packet is dropped", fd_xdp, &in, XDP_DROP, NULL,
	   FM_ST_DROP_ECN);
	inner = udp_pkt(MN_A, CN, 3000, 80, 2, 0, 64); /* ECT(0) */
	in = tunnel(&inner, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR, 3);
	exp = udp_pkt(MN_A, CN, 3000, 80, 3, 0, 64);
	memcpy(exp.b + 6, MAC_MAG1, 6);
	fx("decap: outer CE marks an ECT(0) inner packet CE", fd_xdp, &in, XDP_PASS, &exp,
	   FM_ST_UL_TO_STACK);
	in = tunnel(&inner, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR, 1);
	exp = udp_pkt(MN_A, CN, 3000, 80, 1, 0, 64);
	memcpy(exp.b + 6, MAC_MAG1, 6);
	fx("decap: outer ECT(1) over inner ECT(0) gives ECT(1)", fd_xdp, &in, XDP_PASS, &exp,
	   FM_ST_UL_TO_STACK);

	/* MN to MN: MN 1 -> MN 2 goes back down the tunnel to MN 2's MAG */
	inner = udp_pkt(MN_A, MN_B, 3000, 80, 0, 0, 64);
	in = tunnel(&inner, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR, 0);
	exp = expect_encap(&inner, MAC_MAG2, MAC_LMA, LMA_ADDR, MAG2);
	fx("MN to MN: decapsulated and re-encapsulated to the peer MN's MAG (exact bytes)", fd_xdp,
	   &in, XDP_REDIRECT, &exp, FM_ST_MN_TO_MN);

	/* TC entry point: same decapsulation */
	inner = udp_pkt(MN_A, CN, 3000, 80, 0, 0, 64);
	in = tunnel(&inner, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR, 0);
	exp = inner;
	memcpy(exp.b, MAC_LMA, 6);
	memcpy(exp.b + 6, MAC_MAG1, 6);
	fx("tc: uplink decapsulated (exact bytes)", fd_tc, &in, TC_ACT_OK, &exp, FM_ST_UL_TO_STACK);

	/* a routed uplink: the first packet asks the FIB, the next ones use the cached
	 * next hop of their destination (no FIB lookup per packet) */
	if (system(
		"sysctl -qw net.ipv6.conf.all.forwarding=1 && ip link add fxr type veth peer name "
		"fxs && "
		"ip link set fxr address 02:77:00:00:00:01 up && ip link set fxs up && "
		"ip -6 addr add fd00:77::1/64 dev fxr nodad && "
		"ip -6 neigh replace fd00:77::2 lladdr 02:77:00:00:00:02 dev fxr nud permanent && "
		"ip -6 route add fd00:1::/64 via fd00:77::2 dev fxr") == 0) {
		struct pkt exp2;

		inner = udp_pkt(MN_A, CN, 3001, 80, 0, 0, 64);
		in = tunnel(&inner, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR, 0);
		exp2 = inner;
		memcpy(exp2.b, (uint8_t[]){0x02, 0x77, 0, 0, 0, 2}, 6);
		memcpy(exp2.b + 6, (uint8_t[]){0x02, 0x77, 0, 0, 0, 1}, 6);
		exp2.b[exp2.l3 + 7]--;
		stats_mark();
		fx("routed uplink: decapsulated and forwarded by the FIB (exact bytes)", fd_xdp,
		   &in, XDP_REDIRECT, &exp2, FM_ST_NH_FIB);
		stats_mark();
		fx("routed uplink, next packet: the cached next hop, no FIB lookup", fd_xdp, &in,
		   XDP_REDIRECT, &exp2, FM_ST_NH_CACHE_HIT);
		ok(stat_delta(FM_ST_NH_FIB) == 0 && stat_delta(FM_ST_UL_FWD) == 1,
		   "routed uplink: counted as lma_uplink_decap");
		if (system("ip link del fxr; sysctl -qw net.ipv6.conf.all.forwarding=0")) {
		}
	} else {
		ok(0, "routed uplink: could not set up a route");
	}

	/* after the MAG2 binding goes, its uplink for MN 1 is spoofed */
	fm_dp_binding_del(dp, 1, 2);
	inner = udp_pkt(MN_A, CN, 3000, 80, 0, 0, 64);
	in = tunnel(&inner, MAC_LMA, MAC_MAG2, MAG2, LMA_ADDR, 0);
	fx("binding via MAG2 deleted: MN 1's uplink from MAG2 now dropped", fd_xdp, &in, XDP_DROP,
	   NULL, FM_ST_DROP_SPOOF);
	{
		struct fm_dp_binding b = {.coa = A(MAG2), .att = 4};

		fm_dp_binding_set(dp, 1, 2, &b);
		fm_dp_nexthop_static(dp, 1, 2, 8, MAC_MAG2, MAC_LMA);
	}
}

static void t_fail_closed(void)
{
	struct in6_addr p = A("fd00:100:0:3::");
	struct pkt in;

	fm_dp_prefix_set(dp, &p, 64, 3, 1); /* MN 3: prefix, no binding */
	in = udp_pkt(CN, "fd00:100:0:3::1", 1, 1, 0, 0, 64);
	fx("MN prefix without a usable binding: dropped (fail closed)", fd_xdp, &in, XDP_DROP, NULL,
	   FM_ST_DROP_NO_BINDING);
	fm_dp_prefix_del(dp, &p, 64);
	fx("prefix removed: the same packet passes (not a mobile node)", fd_xdp, &in, XDP_PASS, &in,
	   FM_ST_PASS_NOT_MN);

	/* a cached flow of a prefix that goes: the packet is no longer for a mobile node */
	{
		struct in6_addr p2 = A("fd00:100:0:2::");

		in = udp_pkt(CN, MN_B, 5, 5, 0, 0, 64);
		which_mag(fd_xdp, &in);
		ok(which_mag(fd_xdp, &in) == 12, "MN 2: flow cached");
		fm_dp_prefix_del(dp, &p2, 64);
		fx("prefix deleted under a cached flow: the packet passes (not a mobile node)",
		   fd_xdp, &in, XDP_PASS, &in, FM_ST_PASS_NOT_MN);
		fm_dp_prefix_set(dp, &p2, 64, 2, 1);
		ok(which_mag(fd_xdp, &in) == 12, "prefix back: forwarded again");
	}

	/* a /56 prefix through the LPM trie */
	p = A("fd00:100:1::");
	fm_dp_prefix_set(dp, &p, 48, 2, 1);
	in = udp_pkt(CN, "fd00:100:1:ff::1", 1, 1, 0, 0, 64);
	ok(which_mag(fd_xdp, &in) == 12, "non-/64 prefix (LPM) reaches its MN");
	/* a longer prefix of another MN inside it takes its cached flows over */
	{
		struct in6_addr p80 = A("fd00:100:1:ff::");
		int rc_dbg;

		fm_dp_prefix_set(dp, &p80, 80, 1, 1);
		ok(which_mag(fd_xdp, &in) == 11,
		   "a longer prefix of MN 1 added: the flow cached for MN 2 goes to MN 1");
		fm_dp_prefix_del(dp, &p80, 80);
		rc_dbg = which_mag(fd_xdp, &in);
		ok(rc_dbg == 12, "longer prefix removed: back to MN 2 (%d)", rc_dbg);
	}
	fm_dp_prefix_del(dp, &p, 48);

	/* no cached next hop: FIB here is empty -> encapsulated packet to the stack */
	{
		struct fm_dp_binding b = {.coa = A("fd00:14::2"), .att = 3};
		struct in6_addr p4 = A("fd00:100:0:4::");
		struct pkt exp;

		fm_dp_prefix_set(dp, &p4, 64, 4, 9);
		fm_dp_binding_set(dp, 4, 9, &b);
		in = udp_pkt(CN, "fd00:100:0:4::1", 1, 1, 0, 0, 64);
		exp = expect_encap(&in, MAC_LMA, MAC_CN, LMA_ADDR, "fd00:14::2");
		fx("next hop unresolved: encapsulated packet handed to the stack (exact bytes)",
		   fd_xdp, &in, XDP_PASS, &exp, FM_ST_DL_TO_STACK);
	}
}

static void t_counters(void)
{
	struct fm_dp_counters c0, c1;
	struct pkt in = udp_pkt(CN, MN_B, 1, 1, 0, 0, 64);

	fm_dp_binding_counters(dp, 2, 1, &c0);
	run_prog(fd_xdp, &in);
	run_prog(fd_xdp, &in);
	fm_dp_binding_counters(dp, 2, 1, &c1);
	ok(c1.packets == c0.packets + 2 && c1.bytes == c0.bytes + 2 * (in.len - 14),
	   "per-binding counter: +2 packets, +%zu bytes", 2 * (in.len - 14));
	ok(fm_dp_binding_counters(dp, 2, 99, &c1) == -ENOENT,
	   "counters of an unknown binding: ENOENT");
	ok(fm_dp_stats_count() == FM_ST_MAX &&
	       !strcmp(fm_dp_stat_name(FM_ST_DROP_SPOOF), "drop_spoofed_source") &&
	       fm_dp_stat_name(FM_ST_MAX) == NULL,
	   "stat names");
}

/* ---- MAG ---------------------------------------------------------------------------------------
 */
static void t_mag(const char *inst)
{
	struct fm_dp_opts o = {.instance = inst,
			       .role = FM_DP_MAG,
			       .mode = FM_DP_MODE_XDP,
			       .tunnel_mtu = 1500,
			       .ptb_per_sec = 1};
	struct fm_dp *mag = NULL;
	struct pkt inner, in, exp;
	struct in6_addr p = A("fd00:100:0:1::");
	struct fm_dp_counters c;
	int fx_, ft, rc;
	struct fm_dp *save = dp;

	o.local = A(MAG1);
	o.lma = A(LMA_ADDR);
	rc = fm_dp_open(&o, &mag);
	ok(rc == 0, "MAG data plane opens (%d)", rc);
	if (rc)
		return;
	dp = mag;
	fx_ = fm_dp_prog_fd(mag, false);
	ft = fm_dp_prog_fd(mag, true);
	rc = fm_dp_mag_route_set(mag, &p, 64, "lo", MAC_MN, 1);
	ok(rc == 0, "mag_route_set");
	fm_dp_nexthop_static(mag, 0, 0, 5, MAC_LMA, MAC_MAG1);

	/* downlink: LMA -> MAG1, decapsulated, to the MN's MAC on its access interface
	 * (here lo, which is also the test_run ingress: sent back out: a redirect to itself) */
	inner = udp_pkt(CN, MN_A, 80, 3000, 0, 0, 63);
	in = tunnel(&inner, MAC_MAG1, MAC_LMA, LMA_ADDR, MAG1, 0);
	exp = inner;
	memcpy(exp.b, MAC_MN, 6);
	memset(exp.b + 6, 0, 6); /* lo's MAC */
	exp.b[exp.l3 + 7]--;
	fx("MAG downlink: decapsulated, MN MAC, hop limit - 1 (exact bytes)", fx_, &in,
	   XDP_REDIRECT, &exp, FM_ST_MAG_DL_FWD);
	fx("tc MAG downlink: same bytes", ft, &in, TC_ACT_REDIRECT, &exp, FM_ST_MAG_DL_FWD);
	in = tunnel(&inner, MAC_MAG1, MAC_LMA, "fd00:11::66", MAG1, 0);
	fx("MAG downlink from a non-LMA source: dropped", fx_, &in, XDP_DROP, NULL,
	   FM_ST_DROP_UNKNOWN_PEER);
	inner = udp_pkt(CN, "fd00:100:0:9::1", 80, 3000, 0, 0, 63);
	in = tunnel(&inner, MAC_MAG1, MAC_LMA, LMA_ADDR, MAG1, 0);
	fx("MAG downlink to an unknown MN: dropped", fx_, &in, XDP_DROP, NULL, FM_ST_DROP_NO_ROUTE);

	/* uplink: MN -> CN, encapsulated to the LMA */
	in = udp_pkt(MN_A, CN, 3000, 80, 0x10, 0xbeef, 64);
	memcpy(in.b, MAC_MAG1, 6);
	memcpy(in.b + 6, MAC_MN, 6);
	exp = expect_encap(&in, MAC_LMA, MAC_MAG1, MAG1, LMA_ADDR);
	fx("MAG uplink: encapsulated to the LMA (exact bytes)", fx_, &in, XDP_REDIRECT, &exp,
	   FM_ST_MAG_UL_FWD);
	fx("tc MAG uplink: same bytes", ft, &in, TC_ACT_REDIRECT, &exp, FM_ST_MAG_UL_FWD);
	ok(fm_dp_mn_counters(mag, 1, &c) == 0 && c.packets >= 3,
	   "MN counters count both directions");

	in = udp_pkt("fe80::2", "fe80::1", 1, 1, 0, 0, 255);
	fx("MAG: link-local traffic passes", fx_, &in, XDP_PASS, &in, FM_ST_PASS_LOCAL);
	in = udp_pkt("fd00:100:0:8::1", CN, 1, 1, 0, 0, 64);
	fx("MAG: a source that is no attached MN passes to the stack", fx_, &in, XDP_PASS, &in,
	   FM_ST_PASS_NOT_MN);

	/* spoof: route bound to another interface than the ingress */
	if (system("ip link add fxa type veth peer name fxb 2>/dev/null") == 0) {
		fm_dp_mag_route_set(mag, &p, 64, "fxa", MAC_MN, 1);
		in = udp_pkt(MN_A, CN, 3000, 80, 0, 0, 64);
		fx("MAG uplink from the wrong access interface: dropped", fx_, &in, XDP_DROP, NULL,
		   FM_ST_DROP_SPOOF);
	} else {
		ok(0, "MAG uplink from the wrong access interface: could not create a veth");
	}
	/* oversize uplink: PTB to the MN */
	{
		struct in6_addr none = {0};

		(void)none;
		fm_dp_mag_route_set(mag, &p, 64, "lo", MAC_MN, 1);
		p_eth(&in, MAC_MAG1, MAC_MN, 0x86dd);
		p_ip6(&in, 0, 0, 17, 64, MN_A, CN);
		p_udp(&in, 1, 2, 1500 - 88 + 1);
		p_done(&in);
		stats_mark();
		rc = run_prog(fx_, &in).ret;
		ok(rc == XDP_REDIRECT && stat_delta(FM_ST_PTB_SENT) == 1,
		   "MAG uplink too big for the tunnel: PTB back to the MN");
	}
	fm_dp_close(mag);
	{
		struct fm_dp_opts c2 = o;

		fm_dp_cleanup(&c2);
	}
	dp = save;
}

/* ---- restart
 * ------------------------------------------------------------------------------------- */
static int nb;
static void count_b(uint32_t mn, uint16_t bid, const struct fm_dp_binding *b, void *arg)
{
	(void)mn;
	(void)bid;
	(void)b;
	(void)arg;
	nb++;
}

int dpctl_main(int argc, char **argv);

/* Pins of this run, removed at exit whatever happened. */
static char exit_inst[2][64];

static void cleanup_at_exit(void)
{
	for (int i = 0; i < 2; i++) {
		struct fm_dp_opts o = {.instance = exit_inst[i]};

		if (exit_inst[i][0])
			fm_dp_cleanup(&o);
	}
}

int main(int argc, char **argv)
{
	char inst[64], pin[512];
	struct fm_dp_opts o = {.role = FM_DP_LMA,
			       .mode = FM_DP_MODE_XDP,
			       .tunnel_mtu = 1500,
			       .ptb_per_sec = 1,
			       .max_mns = 1024,
			       .max_rulesets = 64,
			       .flow_cache = 4096};
	struct stat st;
	int rc;

	if (argc > 1 && !strcmp(argv[1], "dpctl"))
		return dpctl_main(argc - 1, argv + 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (unshare(CLONE_NEWNET)) {
		printf("not ok 1 - unshare(CLONE_NEWNET): %s (needs root)\n", strerror(errno));
		return 1;
	}
	if (system("ip link set lo up") != 0)
		fprintf(stderr, "# could not bring lo up\n");
	snprintf(inst, sizeof(inst), "fx%d", getpid());
	o.instance = inst;
	snprintf(exit_inst[0], sizeof(exit_inst[0]), "%s", inst);
	snprintf(exit_inst[1], sizeof(exit_inst[1]), "fx%d-mag", getpid());
	atexit(cleanup_at_exit);
	o.local = A(LMA_ADDR);

	rc = fm_dp_open(&o, &dp);
	ok(rc == 0, "LMA data plane opens (%d)", rc);
	if (rc)
		return 1;
	ok(!fm_dp_reused(dp), "fresh instance: nothing reused");
	fd_xdp = fm_dp_prog_fd(dp, false);
	fd_tc = fm_dp_prog_fd(dp, true);
	setup_lma();

	t_basic(fd_xdp, "xdp", XDP_REDIRECT);
	t_basic(fd_tc, "tc", TC_ACT_REDIRECT);
	t_downlink_misc();
	t_ecn();
	t_rules();
	t_frag();
	t_ptb(fd_xdp, "xdp", XDP_REDIRECT, XDP_DROP);
	t_uplink();
	t_fail_closed();
	t_counters();

	/* restart: same instance, maps reused, state intact */
	{
		struct fm_dp_rule r = rule(3, 1, 3);
		struct pkt in = udp_pkt(CN, MN_A, 1, 4444, 0, 0, 64);

		num(&r, TS_DST_PORT, 4444, 4444);
		fm_dp_rules_set(dp, 1, &r, 1);
		fm_dp_close(dp);
		dp = NULL;
		rc = fm_dp_open(&o, &dp);
		ok(rc == 0 && fm_dp_reused(dp), "reopen: pinned maps reused");
		if (rc)
			return 1;
		fd_xdp = fm_dp_prog_fd(dp, false);
		fd_tc = fm_dp_prog_fd(dp, true);
		nb = 0;
		fm_dp_bindings_foreach(dp, count_b, NULL);
		ok(nb == 5, "reopen: the 5 bindings are still there (%d)", nb);
		ok(which_mag(fd_xdp, &in) == 13, "reopen: rules still in force");
		ok(fm_dp_rules_set(dp, 2, &r, 1) == 0, "reopen: a rule set shared with MN 2");
	}
	usleep(1100 * 1000); /* one PTB per second (ptb_per_sec = 1): let a token accrue */
	t_ptb(fd_tc, "tc", TC_ACT_REDIRECT, TC_ACT_SHOT);

	snprintf(pin, sizeof(pin), "fx%d-mag", getpid());
	t_mag(pin);

	snprintf(pin, sizeof(pin), "%s", fm_dp_pin_dir(dp));
	fm_dp_close(dp);
	fm_dp_cleanup(&o);
	ok(stat(pin, &st) != 0, "cleanup removed %s", pin);

	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}
