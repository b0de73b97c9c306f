// SPDX-License-Identifier: GPL-2.0
/*
 * test_ndisc.c — RFC 4861 builders and parsers of agent/mag/ndisc.c, byte-exact.
 * The RA body vector is spelled out from the RFC 4861 §4.2/§4.6 layouts; the
 * whole-frame vectors (with their ICMPv6 checksums) were produced by scapy 2.5,
 * an independent implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "fm_test_weak.h"
#include "mag/ndisc.h"

static const uint8_t MN_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};
static const uint8_t MAG_MAC[6] = {0x02, 0, 0, 0, 0, 0xaa};

/* scapy: Ether/IPv6(fe80::1 -> fe80::ff:fe00:101, hlim 255)/RA(chlim 64, lifetime 1800)
 * /SLLA/MTU 1460/PI fd00:100::/64 L A 86400 14400/PI fd00:100:0:1::/64 L A 0 0 */
static const char RA_FRAME[] =
    "0200000001010200000000aa86dd6000000000603afffe800000000000000000000000000001"
    "fe80000000000000000000fffe000101860019ac40000708000000000000000001010200000000aa"
    "05010000000005b4030440c0000151800000384000000000fd000100000000000000000000000000"
    "030440c0000000000000000000000000fd000100000000010000000000000000";
/* scapy: RS from fe80::ff:fe00:101 to ff02::2 with SLLA 02:00:00:00:01:01 */
static const char RS_FRAME[] =
    "33330000000202000000010186dd6000000000103afffe80000000000000000000"
    "fffe000101ff0200000000000000000000000000028500792c000000000101020000000101";
/* scapy: NA (S, O) for fe80::ff:fe00:101 with TLLA, to fe80::1 */
static const char NA_FRAME[] = "0200000000aa02000000010186dd6000000000203afffe80000000000000000000"
			       "fffe000101fe8000000000000000000000000000018800171d60000000fe800000"
			       "00000000000000fffe0001010201020000000101";
/* scapy: NS from fe80::1 for fe80::ff:fe00:101 with SLLA 02:00:00:00:00:aa */
static const char NS_FRAME[] = "0200000001010200000000aa86dd6000000000203afffe800000000000000000000"
			       "000000001fe80000000000000000000fffe0001018700797400000000fe800000"
			       "00000000000000fffe00010101010200000000aa";

static void make_ra(struct nd_ra *ra)
{
	memset(ra, 0, sizeof(*ra));
	ra->cur_hop_limit = 64;
	ra->router_lifetime = 1800;
	ra->has_slla = true;
	memcpy(ra->slla, MAG_MAC, 6);
	ra->mtu = 1460;
	ra->n_prefixes = 2;
	inet_pton(AF_INET6, "fd00:100::", &ra->prefixes[0].pfx.addr);
	ra->prefixes[0].pfx.plen = 64;
	ra->prefixes[0].valid = 86400;
	ra->prefixes[0].preferred = 14400;
	/* host bits set on purpose: they must be cleared on the wire */
	inet_pton(AF_INET6, "fd00:100:0:1::dead", &ra->prefixes[1].pfx.addr);
	ra->prefixes[1].pfx.plen = 64;
}

static void test_ra_body_layout(void **state)
{
	(void)state;
	/* RFC 4861 §4.2 header, §4.6.1 SLLA, §4.6.4 MTU, §4.6.2 prefix information */
	static const uint8_t want[] = {
	    0x86, 0x00, 0x00, 0x00, 0x40, 0x00, 0x07, 0x08, 0,	  0,	0,    0,    0,	  0,
	    0,	  0,	0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x05, 0x01, 0x00, 0x00,
	    0x00, 0x00, 0x05, 0xb4, 0x03, 0x04, 0x40, 0xc0, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00,
	    0x38, 0x40, 0,    0,    0,	  0,	0xfd, 0x00, 0x01, 0x00, 0,    0,    0,	  0,
	    0,	  0,	0,    0,    0,	  0,	0,    0,    0x03, 0x04, 0x40, 0xc0, 0,	  0,
	    0,	  0,	0,    0,    0,	  0,	0,    0,    0,	  0,	0xfd, 0x00, 0x01, 0x00,
	    0x00, 0x00, 0x00, 0x01, 0,	  0,	0,    0,    0,	  0,	0,    0,
	};
	struct nd_ra ra;
	uint8_t buf[256];
	int n;

	make_ra(&ra);
	n = nd_build_ra(&ra, buf, sizeof(buf));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* too small a buffer is refused, not overrun */
	assert_int_equal(nd_build_ra(&ra, buf, sizeof(want) - 1), -1);
}

static void test_ra_frame_matches_scapy(void **state)
{
	(void)state;
	uint8_t want[256], body[256], frame[ND_FRAME_MAX];
	struct in6_addr src, dst;
	struct nd_ra ra;
	size_t wn = hex2bin(RA_FRAME, want, sizeof(want));
	int bn, fn;

	make_ra(&ra);
	inet_pton(AF_INET6, "fe80::1", &src);
	inet_pton(AF_INET6, "fe80::ff:fe00:101", &dst);
	bn = nd_build_ra(&ra, body, sizeof(body));
	assert_true(bn > 0);
	fn = nd_build_frame(MAG_MAC, MN_MAC, &src, &dst, body, (size_t)bn, frame, sizeof(frame));
	assert_int_equal(fn, wn);
	assert_memory_equal(frame, want, wn);
}

static void test_ra_parse_roundtrip(void **state)
{
	(void)state;
	uint8_t f[256];
	size_t n = hex2bin(RA_FRAME, f, sizeof(f));
	struct nd_frame fr;
	struct nd_ra ra;
	char s[64];

	assert_int_equal(nd_parse_frame(f, n, &fr, NULL), 0);
	assert_int_equal(fr.hop_limit, 255);
	assert_int_equal(nd_parse_ra(fr.icmp, fr.icmp_len, &ra), 0);
	assert_int_equal(ra.cur_hop_limit, 64);
	assert_int_equal(ra.router_lifetime, 1800);
	assert_int_equal(ra.mtu, 1460);
	assert_true(ra.has_slla);
	assert_memory_equal(ra.slla, MAG_MAC, 6);
	assert_int_equal(ra.n_prefixes, 2);
	inet_ntop(AF_INET6, &ra.prefixes[1].pfx.addr, s, sizeof(s));
	assert_string_equal(s, "fd00:100:0:1::");
	assert_int_equal(ra.prefixes[0].valid, 86400);
	assert_int_equal(ra.prefixes[0].preferred, 14400);
	assert_int_equal(ra.prefixes[1].valid, 0);
	/* option with length 0 */
	f[ND_ETH_HLEN + ND_IP6_HLEN + 16 + 1] = 0;
	assert_int_equal(nd_parse_ra(fr.icmp, fr.icmp_len, &ra), -1);
}

static void test_rs_parse(void **state)
{
	(void)state;
	uint8_t f[128];
	size_t n = hex2bin(RS_FRAME, f, sizeof(f));
	struct nd_frame fr;
	struct nd_msg m;
	const char *why = NULL;

	assert_int_equal(nd_parse_frame(f, n, &fr, &why), 0);
	assert_memory_equal(fr.src_mac, MN_MAC, 6);
	assert_int_equal(nd_parse_msg(fr.icmp, fr.icmp_len, &fr.src, fr.hop_limit, &m, &why), 0);
	assert_int_equal(m.type, ND_RS);
	assert_true(m.has_lla);
	assert_memory_equal(m.lla, MN_MAC, 6);

	/* our builder produces the same RS body */
	uint8_t body[16];
	assert_int_equal(nd_build_rs(MN_MAC, body, sizeof(body)), 16);
	body[2] = fr.icmp[2];
	body[3] = fr.icmp[3];
	assert_memory_equal(body, fr.icmp, 16);

	/* hop limit other than 255 is refused (RFC 4861 §6.1.1) */
	assert_int_equal(nd_parse_msg(fr.icmp, fr.icmp_len, &fr.src, 254, &m, &why), -1);
	assert_string_equal(why, "hop limit not 255");
	/* an SLLA from :: is refused */
	struct in6_addr unspec = IN6ADDR_ANY_INIT;
	assert_int_equal(nd_parse_msg(fr.icmp, fr.icmp_len, &unspec, 255, &m, &why), -1);
	/* RS from :: without options is fine */
	assert_int_equal(nd_parse_msg(fr.icmp, 8, &unspec, 255, &m, &why), 0);
	assert_false(m.has_lla);
	/* one flipped bit breaks the checksum */
	f[n - 1] ^= 1;
	assert_int_equal(nd_parse_frame(f, n, &fr, &why), -1);
	assert_string_equal(why, "bad ICMPv6 checksum");
	/* truncation never reads past the buffer */
	for (size_t i = 0; i < n; i++)
		nd_parse_frame(f, i, &fr, &why);
}

static void test_na_parse(void **state)
{
	(void)state;
	uint8_t f[128];
	size_t n = hex2bin(NA_FRAME, f, sizeof(f));
	struct nd_frame fr;
	struct nd_msg m;
	struct in6_addr tgt;

	inet_pton(AF_INET6, "fe80::ff:fe00:101", &tgt);
	assert_int_equal(nd_parse_frame(f, n, &fr, NULL), 0);
	assert_int_equal(nd_parse_msg(fr.icmp, fr.icmp_len, &fr.src, fr.hop_limit, &m, NULL), 0);
	assert_int_equal(m.type, ND_NA);
	assert_int_equal(m.na_flags, ND_NA_FLAG_S | ND_NA_FLAG_O);
	assert_memory_equal(&m.target, &tgt, 16);
	assert_true(m.has_lla);
	assert_memory_equal(m.lla, MN_MAC, 6);
}

static void test_ns_frame_matches_scapy(void **state)
{
	(void)state;
	uint8_t want[128], body[64], frame[128];
	size_t wn = hex2bin(NS_FRAME, want, sizeof(want));
	struct in6_addr src, tgt;
	int bn;

	inet_pton(AF_INET6, "fe80::1", &src);
	inet_pton(AF_INET6, "fe80::ff:fe00:101", &tgt);
	bn = nd_build_ns(&tgt, MAG_MAC, body, sizeof(body));
	assert_int_equal(bn, 32);
	assert_int_equal(
	    nd_build_frame(MAG_MAC, MN_MAC, &src, &tgt, body, 32, frame, sizeof(frame)), wn);
	assert_memory_equal(frame, want, wn);
}

static void test_eui64_and_mcast(void **state)
{
	(void)state;
	struct in6_addr ll, want, all;
	uint8_t mac[6];

	nd_eui64_ll(MN_MAC, &ll);
	inet_pton(AF_INET6, "fe80::ff:fe00:101", &want);
	assert_memory_equal(&ll, &want, 16);
	inet_pton(AF_INET6, "ff02::1", &all);
	nd_mcast_mac(&all, mac);
	static const uint8_t m1[6] = {0x33, 0x33, 0, 0, 0, 1};
	assert_memory_equal(mac, m1, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ra_body_layout),
	    cmocka_unit_test(test_ra_frame_matches_scapy),
	    cmocka_unit_test(test_ra_parse_roundtrip),
	    cmocka_unit_test(test_rs_parse),
	    cmocka_unit_test(test_na_parse),
	    cmocka_unit_test(test_ns_frame_matches_scapy),
	    cmocka_unit_test(test_eui64_and_mcast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
