// SPDX-License-Identifier: GPL-2.0
/*
 * test_mh.c — unit tests of the Mobility Header codec (agent/mh/mh.c).
 *
 * The byte vectors below are written by hand from the RFC and draft layouts
 * (RFC 6275 §6.1, RFC 5213 §6.9/§8, RFC 5846, RFC 5847, RFC 7077 §4, RFC 5648/6089,
 * RFC 6088, seed draft §4), with the padding each option's alignment rule
 * demands; they are not produced by the encoder. Each vector is checked in both
 * directions (encode == bytes, decode == fields), and every vector is decoded
 * truncated at every byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "mh/mh.h"

/* ---- helpers ------------------------------------------------------------------------ */

/* Hex with spaces and '|' as separators for readability. */
static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v = 0;

		if (*s == ' ' || *s == '|')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			fail_msg("bad hex digit '%c' in vector", *s);
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < max);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return n;
}

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct mh_msg *new_msg(enum mh_kind k)
{
	struct mh_msg *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->kind = k;
	return m;
}

static void dump_mismatch(const uint8_t *got, int glen, const uint8_t *want, size_t wlen)
{
	fprintf(stderr, "# got  (%d): ", glen);
	for (int i = 0; i < glen; i++)
		fprintf(stderr, "%02x", got[i]);
	fprintf(stderr, "\n# want (%zu): ", wlen);
	for (size_t i = 0; i < wlen; i++)
		fprintf(stderr, "%02x", want[i]);
	fprintf(stderr, "\n");
}

/*
 * The common check: m encodes to exactly hex; hex decodes and re-encodes to the
 * same bytes; every truncation of hex is rejected; the decoded message is returned
 * for field checks (caller frees).
 */
static struct mh_msg *check_vector(const struct mh_msg *m, const char *hex)
{
	uint8_t want[2048], got[2048];
	size_t wlen = unhex(hex, want, sizeof(want));
	struct mh_err err;
	struct mh_msg *d = calloc(1, sizeof(*d)), *t = calloc(1, sizeof(*t));
	int n;

	assert_non_null(d);
	assert_non_null(t);
	assert_int_equal(wlen % 8, 0);
	assert_int_equal((want[1] + 1) * 8, wlen);

	n = mh_encode(m, got, sizeof(got), &err);
	if (n < 0)
		fail_msg("encode failed: %s (offset %zu)", err.msg, err.offset);
	if ((size_t)n != wlen || memcmp(got, want, wlen)) {
		dump_mismatch(got, n, want, wlen);
		fail_msg("encoding differs from the hand-written vector");
	}

	if (mh_decode(want, wlen, d, &err))
		fail_msg("decode failed: %s (offset %zu)", err.msg, err.offset);
	n = mh_encode(d, got, sizeof(got), &err);
	assert_int_equal(n, (int)wlen);
	assert_memory_equal(got, want, wlen);

	/* Truncated at every byte: rejected, never read past the buffer (ASan). */
	for (size_t cut = 0; cut < wlen; cut++) {
		uint8_t *part = malloc(cut ? cut : 1);

		memcpy(part, want, cut);
		if (mh_decode(part, cut, t, &err) == 0)
			fail_msg("truncated at %zu of %zu decoded", cut, wlen);
		free(part);
	}
	/* One trailing byte more than Header Len says: rejected too. */
	{
		uint8_t *more = malloc(wlen + 1);

		memcpy(more, want, wlen);
		more[wlen] = 0;
		assert_int_equal(mh_decode(more, wlen + 1, t, &err), -1);
		free(more);
	}
	free(t);
	return d;
}

static void expect_decode_error(const char *hex, size_t offset, const char *needle)
{
	uint8_t buf[2048];
	size_t len = unhex(hex, buf, sizeof(buf));
	struct mh_msg *m = calloc(1, sizeof(*m));
	struct mh_err err = {0};

	if (mh_decode(buf, len, m, &err) == 0)
		fail_msg("decoded a malformed message (expected '%s')", needle);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' does not mention '%s'", err.msg, needle);
	if (err.offset != offset)
		fail_msg("error '%s' at offset %zu, expected %zu", err.msg, err.offset, offset);
	free(m);
}

static struct mh_msg *decode_ok(const char *hex)
{
	uint8_t buf[2048];
	size_t len = unhex(hex, buf, sizeof(buf));
	struct mh_msg *m = calloc(1, sizeof(*m));
	struct mh_err err = {0};

	if (mh_decode(buf, len, m, &err))
		fail_msg("decode failed: %s (offset %zu)", err.msg, err.offset);
	return m;
}

/* A PBU header seq 1, flags A|P, lifetime 0: the frame for single-option vectors. */
#define PBU_HDR(hl) "3b " hl " 05 00 0000 | 0001 8200 0000 | "

static struct mh_msg *pbu1(void)
{
	struct mh_msg *m = new_msg(MH_PBU);

	m->seq = 1;
	m->flags = MH_PBU_A | MH_PBU_P;
	return m;
}

/* ---- messages ------------------------------------------------------------------------ */

static void test_pbu_mnid(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_PBU), *d;
	struct mh_opt *o;

	m->seq = 7;
	m->flags = MH_PBU_A | MH_PBU_P;
	m->lifetime = 400;
	o = mh_opt_add(m, MH_OPT_MN_ID);
	o->mn_id.subtype = 1;
	o->mn_id.len = 15;
	memcpy(o->mn_id.id, "mn1@example.net", 15);
	/* 12 fixed + MN-ID 18 = 30, PadN(0) to 32: Header Len 3 */
	d = check_vector(m, "3b 03 05 00 0000 | 0007 | 8200 | 0064 |"
			    " 08 10 01 6d6e31406578616d706c652e6e6574 | 01 00");
	assert_int_equal(d->kind, MH_PBU);
	assert_int_equal(d->seq, 7);
	assert_int_equal(d->flags, MH_PBU_A | MH_PBU_P);
	assert_int_equal(d->lifetime, 400);
	assert_int_equal(d->n_opts, 1);
	assert_int_equal(d->opts[0].mn_id.subtype, 1);
	assert_int_equal(d->opts[0].mn_id.len, 15);
	assert_memory_equal(d->opts[0].mn_id.id, "mn1@example.net", 15);
	free(m);
	free(d);
}

static void test_pbu_all_flags(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_PBU), *d;

	m->seq = 0xfffe;
	m->flags = MH_PBU_A | MH_PBU_H | MH_PBU_L | MH_PBU_K | MH_PBU_M | MH_PBU_R | MH_PBU_P |
		   MH_PBU_F | MH_PBU_T | MH_PBU_B;
	m->lifetime = 0xffff * 4;
	d = check_vector(m, "3b 01 05 00 0000 | fffe | ffc0 | ffff | 01 02 0000");
	assert_int_equal(d->flags, 0xffc0);
	assert_int_equal(d->lifetime, 262140);
	free(m);
	free(d);
}

static void test_pba(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_PBA), *d;

	m->status = PBA_ACCEPTED;
	m->flags = MH_PBA_P;
	m->seq = 7;
	m->lifetime = 400;
	d = check_vector(m, "3b 01 06 00 0000 | 00 | 20 | 0007 | 0064 | 01 02 0000");
	assert_int_equal(d->kind, MH_PBA);
	assert_int_equal(d->status, 0);
	assert_int_equal(d->flags, MH_PBA_P);
	assert_int_equal(d->seq, 7);
	assert_int_equal(d->lifetime, 400);
	free(d);

	m->status = PBA_TIMESTAMP_LOWER;
	m->flags = MH_PBA_K | MH_PBA_R | MH_PBA_P | MH_PBA_T | MH_PBA_B;
	m->seq = 0x1234;
	m->lifetime = 0;
	d = check_vector(m, "3b 01 06 00 0000 | 9d | f8 | 1234 | 0000 | 01 02 0000");
	assert_int_equal(d->status, 157);
	free(m);
	free(d);
}

static void test_bri_bra(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_BRI), *d;

	m->seq = 3;
	m->trigger = 1;
	m->flags = MH_BR_P | MH_BR_G;
	d = check_vector(m, "3b 01 10 00 0000 | 01 | 01 | 0003 | a000 | 01 02 0000");
	assert_int_equal(d->kind, MH_BRI);
	assert_int_equal(d->trigger, 1);
	assert_int_equal(d->flags, MH_BR_P | MH_BR_G);
	free(d);

	m->kind = MH_BRA;
	m->trigger = 0;
	m->status = BRA_PARTIAL;
	m->flags = MH_BR_P | MH_BR_V | MH_BR_G;
	d = check_vector(m, "3b 01 10 00 0000 | 02 | 01 | 0003 | e000 | 01 02 0000");
	assert_int_equal(d->kind, MH_BRA);
	assert_int_equal(d->status, 1);
	assert_int_equal(d->seq, 3);
	free(m);
	free(d);
}

static void test_heartbeat(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_HEARTBEAT), *d;
	struct mh_opt *o;

	m->seq = 100000;
	m->flags = MH_HB_U | MH_HB_R;
	o = mh_opt_add(m, MH_OPT_RESTART_COUNTER);
	o->restart_counter = 3;
	/* Restart Counter 4n+2 at 12: PadN(0) then the option at 14, PadN(2) to 24 */
	d = check_vector(m, "3b 02 0d 00 0000 | 00 | 03 | 000186a0 | 01 00 | 1c 04 00000003 |"
			    " 01 02 0000");
	assert_int_equal(d->kind, MH_HEARTBEAT);
	assert_int_equal(d->seq, 100000);
	assert_int_equal(d->flags, 3);
	assert_int_equal(d->opts[0].restart_counter, 3);
	free(m);
	free(d);
}

static void test_be(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_BE), *d;

	m->status = 2;
	m->home_address = a6("fd00:100::1");
	d = check_vector(m, "3b 02 07 00 0000 | 02 | 00 | fd000100 00000000 00000000 00000001");
	assert_int_equal(d->kind, MH_BE);
	assert_int_equal(d->status, 2);
	assert_memory_equal(&d->home_address, &m->home_address, 16);
	free(m);
	free(d);
}

static void test_fma_upn_upa(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_FMA), *d;

	m->seq = 5;
	m->status = FMA_SUCCESS;
	m->lifetime = 30;
	d = check_vector(m, "3b 01 0b 00 0000 | 0005 | 00 | 00 | 001e | 01 02 0000");
	assert_int_equal(d->kind, MH_FMA);
	assert_int_equal(d->lifetime, 30);
	free(d);

	m->status = FMA_ENTRY_EXISTS;
	d = check_vector(m, "3b 01 0b 00 0000 | 0005 | 00 | 85 | 001e | 01 02 0000");
	assert_int_equal(d->status, 133);
	free(d);

	memset(m, 0, sizeof(*m));
	m->kind = MH_UPN;
	m->seq = 9;
	m->reason = MH_UPN_REASON_FLOW_MOBILITY;
	m->flags = MH_UPN_A;
	/* RFC 7077 §4.1 Figure 3: Sequence # | Notification Reason (16 bits) | A D + 14
	 * reserved bits | options at 12 (this vector used to carry an 8-bit reason at 8 and
	 * the flags at 9: the old, wrong layout) */
	d = check_vector(m, "3b 01 13 00 0000 | 0009 | 0008 | 8000 | 01 02 0000");
	assert_int_equal(d->kind, MH_UPN);
	assert_int_equal(d->reason, 8);
	assert_int_equal(d->flags, MH_UPN_A);
	free(d);
	/* a retransmission: D (0x4000) with A; a reason above 255 needs the 16 bits */
	m->flags = MH_UPN_A | MH_UPN_D;
	m->reason = 0x0102;
	d = check_vector(m, "3b 01 13 00 0000 | 0009 | 0102 | c000 | 01 02 0000");
	assert_int_equal(d->reason, 0x0102);
	assert_int_equal(d->flags, MH_UPN_A | MH_UPN_D);
	free(d);

	memset(m, 0, sizeof(*m));
	m->kind = MH_UPA;
	m->seq = 9;
	m->status = UPA_MN_NOT_ATTACHED;
	d = check_vector(m, "3b 01 14 00 0000 | 0009 | 84 | 000000 | 01 02 0000");
	assert_int_equal(d->kind, MH_UPA);
	assert_int_equal(d->status, 132);
	free(m);
	free(d);
}

static void test_fm_type_configurable(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_FMI), *d;
	uint8_t buf[64];
	struct mh_err err;

	m->seq = 5;
	m->flags = MH_FMI_C;
	m->lifetime = 0;
	d = check_vector(m, "3b 01 0b 00 0000 | 0005 | c000 | 0000 | 01 02 0000");
	assert_int_equal(d->kind, MH_FMI);
	assert_int_equal(d->flags, MH_FMI_C); /* I implied, not stored */
	free(d);

	mh_fm_type = 200;
	d = check_vector(m, "3b 01 c8 00 0000 | 0005 | c000 | 0000 | 01 02 0000");
	assert_int_equal(d->kind, MH_FMI);
	free(d);
	/* with the type moved, 11 is no longer understood */
	assert_int_equal(mh_decode((const uint8_t *)"\x3b\x01\x0b\x00\x00\x00\x00\x05\xc0\x00\x00"
						    "\x00\x01\x02\x00\x00",
				   16, m, &err),
			 -1);
	assert_int_equal(err.offset, 2);
	mh_fm_type = MH_FM_TYPE_DEFAULT;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1); /* m was cleared by decode */
	free(m);
}

/* ---- options --------------------------------------------------------------------------- */

static void test_opt_hnp(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;
	struct mh_opt *o = mh_opt_add(m, MH_OPT_HNP);

	o->hnp.plen = 64;
	o->hnp.prefix = a6("fd00:100::");
	/* 8n+4: at 12 already aligned; 12 + 20 = 32 */
	d = check_vector(m, PBU_HDR("03") "16 12 00 40 fd000100 00000000 00000000 00000000");
	assert_int_equal(d->opts[0].type, MH_OPT_HNP);
	assert_int_equal(d->opts[0].hnp.plen, 64);
	assert_memory_equal(&d->opts[0].hnp.prefix, &o->hnp.prefix, 16);
	free(d);

	/* after an MN-ID of odd length, HNP needs PadN */
	memset(m->opts, 0, sizeof(m->opts));
	m->n_opts = 0;
	o = mh_opt_add(m, MH_OPT_HI);
	o->hi = MH_HI_HANDOFF_IFACES;
	o = mh_opt_add(m, MH_OPT_HNP);
	o->hnp.plen = 48;
	o->hnp.prefix = a6("fd00:100::");
	/* HI 12..16, HNP must start at 20: PadN(2) at 16; 20 + 20 = 40 */
	d = check_vector(m, PBU_HDR("04") "17 02 00 02 | 01 02 0000 |"
					  " 16 12 00 30 fd000100 00000000 00000000 00000000");
	assert_int_equal(d->n_opts, 2);
	assert_int_equal(d->opts[0].hi, 2);
	assert_int_equal(d->opts[1].hnp.plen, 48);
	free(m);
	free(d);
}

static void test_opt_hi_att(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;

	mh_opt_add(m, MH_OPT_HI)->hi = MH_HI_NEW_IFACE;
	d = check_vector(m, PBU_HDR("01") "17 02 00 01");
	assert_int_equal(d->opts[0].hi, 1);
	free(d);
	m->n_opts = 0;
	mh_opt_add(m, MH_OPT_ATT)->att = 4;
	d = check_vector(m, PBU_HDR("01") "18 02 00 04");
	assert_int_equal(d->opts[0].type, MH_OPT_ATT);
	assert_int_equal(d->opts[0].att, 4);
	free(m);
	free(d);
}

static void test_opt_llid(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;
	struct mh_opt *o = mh_opt_add(m, MH_OPT_LL_ID);
	static const uint8_t mac[6] = {2, 0, 0, 0, 1, 1};

	o->ll_id.len = 6;
	memcpy(o->ll_id.id, mac, 6);
	/* 8n+2: PadN(4) at 12, option at 18..28, PadN(2) to 32 */
	d = check_vector(m, PBU_HDR("03") "01 04 00000000 | 19 08 0000 020000000101 | 01 02 0000");
	assert_int_equal(d->opts[0].ll_id.len, 6);
	assert_memory_equal(d->opts[0].ll_id.id, mac, 6);
	free(m);
	free(d);
}

static void test_opt_lla(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;

	mh_opt_add(m, MH_OPT_LLA)->lla = a6("fe80::1");
	/* 8n+6: PadN(0) at 12, option at 14..32 */
	d = check_vector(m, PBU_HDR("03") "01 00 | 1a 10 fe800000 00000000 00000000 00000001");
	assert_int_equal(d->opts[0].type, MH_OPT_LLA);
	assert_int_equal(d->opts[0].lla.s6_addr[0], 0xfe);
	assert_int_equal(d->opts[0].lla.s6_addr[15], 1);
	free(m);
	free(d);
}

static void test_opt_timestamp(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;
	struct mh_opt *o = mh_opt_add(m, MH_OPT_TIMESTAMP);

	o->timestamp.seconds = 1764162000; /* 0x6926f9d0 */
	o->timestamp.fraction = 32768;
	/* 8n+2: PadN(4), option at 18..28, PadN(2) */
	d = check_vector(m, PBU_HDR("03") "01 04 00000000 | 1b 08 0000 6926f9d0 8000 | 01 02 0000");
	assert_int_equal(d->opts[0].timestamp.seconds, 1764162000);
	assert_int_equal(d->opts[0].timestamp.fraction, 32768);
	free(d);
	/* all 48 bits */
	o->timestamp.seconds = 0xfedcba987654ull;
	o->timestamp.fraction = 1;
	d = check_vector(m, PBU_HDR("03") "01 04 00000000 | 1b 08 fedc ba987654 0001 | 01 02 0000");
	assert_true(d->opts[0].timestamp.seconds == 0xfedcba987654ull);
	free(m);
	free(d);
}

static void test_opt_gre_key(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;

	mh_opt_add(m, MH_OPT_GRE_KEY)->gre_key = 42;
	/* 4n+2: PadN(0) at 12, option at 14..22, PadN(0) to 24 */
	d = check_vector(m, PBU_HDR("02") "01 00 | 21 06 0000 0000002a | 01 00");
	assert_int_equal(d->opts[0].gre_key, 42);
	free(m);
	free(d);
}

static void test_opt_bid(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;
	struct mh_opt *o = mh_opt_add(m, MH_OPT_BID);

	o->bid.bid = 1;
	d = check_vector(m, PBU_HDR("02") "23 04 0001 00 00 | 01 04 00000000");
	assert_int_equal(d->opts[0].bid.bid, 1);
	assert_int_equal(d->opts[0].bid.coa_len, 0);
	free(d);

	/* H flag and 7-bit priority share one octet */
	o->bid.bid = 0x0102;
	o->bid.status = 0x80;
	o->bid.h = true;
	o->bid.priority = 5;
	o->bid.coa_len = 4;
	memcpy(o->bid.coa, "\x0a\x00\x00\x01", 4);
	/* RFC 5648 §4.3: with a care-of address the option is 8n+2 (the CoA 8-aligned):
	 * PadN(4) at 12, the option at 18 */
	d = check_vector(m,
			 PBU_HDR("03") "01 04 00000000 | 23 08 0102 80 85 0a000001 | 01 02 0000");
	assert_true(d->opts[0].bid.h);
	assert_int_equal(d->opts[0].bid.priority, 5);
	assert_int_equal(d->opts[0].bid.status, 0x80);
	assert_int_equal(d->opts[0].bid.coa_len, 4);
	free(d);

	o->bid.h = false;
	o->bid.priority = 127;
	o->bid.status = 0;
	o->bid.coa_len = 16;
	{
		struct in6_addr c = a6("fd00:11::2");

		memcpy(o->bid.coa, &c, 16);
	}
	d = check_vector(
	    m,
	    PBU_HDR("04") "01 04 00000000 | 23 14 0102 00 7f fd000011 00000000 00000000 00000002");
	assert_false(d->opts[0].bid.h);
	assert_int_equal(d->opts[0].bid.priority, 127);
	assert_int_equal(d->opts[0].bid.coa_len, 16);
	assert_int_equal(d->opts[0].bid.coa[15], 2);
	free(m);
	free(d);
}

static void test_opt_flow_summary(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;
	struct mh_opt *o = mh_opt_add(m, MH_OPT_FLOW_SUMMARY);

	o->flow_summary.n = 2;
	o->flow_summary.fids[0] = 1;
	o->flow_summary.fids[1] = 0xabcd;
	d = check_vector(m, PBU_HDR("02") "2c 04 0001 abcd | 01 04 00000000");
	assert_int_equal(d->opts[0].flow_summary.n, 2);
	assert_int_equal(d->opts[0].flow_summary.fids[1], 0xabcd);
	free(m);
	free(d);
}

static void test_opt_flow_id_ipv6(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;
	struct mh_opt *o = mh_opt_add(m, MH_OPT_FLOW_ID);
	struct mh_flowid *fi = &o->flow_id;

	fi->fid = 1;
	fi->priority = 10;
	fi->n_bids = 2;
	fi->bids[0] = 1;
	fi->bids[1] = 2;
	fi->has_ts = true;
	fi->ts.format = TS_FMT_IPV6;
	fi->ts.f[TS_SRC_ADDR].n = TS_RANGE;
	fi->ts.f[TS_SRC_ADDR].addr[0] = a6("fd00::1");
	fi->ts.f[TS_SRC_ADDR].addr[1] = a6("fd00::ff");
	fi->ts.f[TS_DST_PORT].n = TS_RANGE;
	fi->ts.f[TS_DST_PORT].num[0] = 5000;
	fi->ts.f[TS_DST_PORT].num[1] = 5999;
	fi->ts.f[TS_NEXT_HEADER].n = TS_EXACT;
	fi->ts.f[TS_NEXT_HEADER].num[0] = 17;
	/*
	 * FID 0001, FID-PRI 000a, Reserved 00, Status 00 (6) + BID Reference 02 04 0001 0002 (6)
	 * + PadN sub-option (6): RFC 6088 §3.2 / RFC 6089 §4.2.1, a selector with A-D
	 * starts at 8n (MH offset 32) so its addresses sit on 8-octet boundaries
	 * + Traffic Selector 03 2b: format 02, reserved 00, flags A B K L O = c0320000,
	 * src start/end, dst port 1388 176f, next header 11 (45) = option length 63 (0x3f);
	 * 12 + 65 = 77, PadN(3) to 80.
	 */
	d = check_vector(m, PBU_HDR("09") "2d 3f 0001 000a 00 00 | 02 04 0001 0002 |"
					  " 01 04 00000000 |"
					  " 03 2b 02 00 c0320000"
					  " fd000000 00000000 00000000 00000001"
					  " fd000000 00000000 00000000 000000ff"
					  " 1388 176f 11 | 01 01 00");
	fi = &d->opts[0].flow_id;
	assert_int_equal(fi->fid, 1);
	assert_int_equal(fi->priority, 10);
	assert_int_equal(fi->n_bids, 2);
	assert_int_equal(fi->bids[1], 2);
	assert_true(fi->has_ts);
	assert_true(ts_equal(&fi->ts, &o->flow_id.ts));
	assert_int_equal(fi->ts.f[TS_DST_PORT].n, TS_RANGE);
	assert_int_equal(fi->ts.f[TS_NEXT_HEADER].n, TS_EXACT);
	assert_int_equal(fi->ts.f[TS_SPI].n, TS_ABSENT);
	free(m);
	free(d);
}

static void test_opt_flow_id_ipv6_every_field(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;
	struct fm_ts *ts = &mh_opt_add(m, MH_OPT_FLOW_ID)->flow_id.ts;

	m->opts[0].flow_id.fid = 2;
	m->opts[0].flow_id.has_ts = true;
	ts->format = TS_FMT_IPV6;
	/* exact values everywhere: flags A C E G I K M O = aaaa0000 */
	ts->f[TS_SRC_ADDR].n = TS_EXACT;
	ts->f[TS_SRC_ADDR].addr[0] = a6("fd00::1");
	ts->f[TS_DST_ADDR].n = TS_EXACT;
	ts->f[TS_DST_ADDR].addr[0] = a6("fd00::2");
	ts->f[TS_SPI].n = TS_EXACT;
	ts->f[TS_SPI].num[0] = 0x01020304;
	ts->f[TS_FLOW_LABEL].n = TS_EXACT;
	ts->f[TS_FLOW_LABEL].num[0] = 0xfffff;
	ts->f[TS_SRC_PORT].n = TS_EXACT;
	ts->f[TS_SRC_PORT].num[0] = 1;
	ts->f[TS_DST_PORT].n = TS_EXACT;
	ts->f[TS_DST_PORT].num[0] = 2;
	ts->f[TS_TC].n = TS_EXACT;
	ts->f[TS_TC].num[0] = 0xb8;
	ts->f[TS_NEXT_HEADER].n = TS_EXACT;
	ts->f[TS_NEXT_HEADER].num[0] = 6;
	/* RFC 6088 §3.2 Figure 2: the flow label fields are 32 bits, the 20-bit label
	 * right-aligned (this vector used to carry 3-octet labels: the old, wrong layout).
	 * PadN(2) sub-option so that the selector starts at 8n (24);
	 * TS: 2 + 4 + 16 + 16 + 4 + 4 + 2 + 2 + 1 + 1 = 52 (0x34); option 6 + 4 + 54 = 64
	 * (0x40); 12 + 66 = 78, PadN(0) to 80 */
	d = check_vector(m, PBU_HDR("09") "2d 40 0002 0000 00 00 | 01 02 0000 |"
					  " 03 34 02 00 aaaa0000"
					  " fd000000 00000000 00000000 00000001"
					  " fd000000 00000000 00000000 00000002"
					  " 01020304 000fffff 0001 0002 b8 06 | 01 00");
	assert_true(ts_equal(&d->opts[0].flow_id.ts, ts));
	assert_int_equal(d->opts[0].flow_id.n_bids, 0);
	free(d);

	/* ranges everywhere: all 16 flags = ffff0000 */
	ts->f[TS_SRC_ADDR].n = TS_RANGE;
	ts->f[TS_SRC_ADDR].addr[1] = a6("fd00::3");
	ts->f[TS_DST_ADDR].n = TS_RANGE;
	ts->f[TS_DST_ADDR].addr[1] = a6("fd00::4");
	ts->f[TS_SPI].n = TS_RANGE;
	ts->f[TS_SPI].num[1] = 0x01020305;
	ts->f[TS_FLOW_LABEL].n = TS_RANGE;
	ts->f[TS_FLOW_LABEL].num[0] = 0x12345;
	ts->f[TS_FLOW_LABEL].num[1] = 0x23456;
	ts->f[TS_SRC_PORT].n = TS_RANGE;
	ts->f[TS_SRC_PORT].num[1] = 1024;
	ts->f[TS_DST_PORT].n = TS_RANGE;
	ts->f[TS_DST_PORT].num[1] = 65535;
	ts->f[TS_TC].n = TS_RANGE;
	ts->f[TS_TC].num[0] = 0;
	ts->f[TS_TC].num[1] = 0xff;
	ts->f[TS_NEXT_HEADER].n = TS_RANGE;
	ts->f[TS_NEXT_HEADER].num[1] = 17;
	/* TS: 2 + 4 + 32 + 32 + 8 + 8 + 4 + 4 + 2 + 2 = 98 (0x62); option 6 + 4 + 100 = 110
	 * (0x6e); 12 + 112 = 124, PadN(2) to 128 */
	d = check_vector(
	    m, PBU_HDR("0f") "2d 6e 0002 0000 00 00 | 01 02 0000 |"
			     " 03 62 02 00 ffff0000"
			     " fd000000 00000000 00000000 00000001"
			     " fd000000 00000000 00000000 00000003"
			     " fd000000 00000000 00000000 00000002"
			     " fd000000 00000000 00000000 00000004"
			     " 01020304 01020305 00012345 00023456 0001 0400 0002 ffff 00 ff"
			     " 06 11 | 01 02 0000");
	assert_true(ts_equal(&d->opts[0].flow_id.ts, ts));
	free(m);
	free(d);
}

static void test_fmi_flow_id_ipv4(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_FMI), *d;
	struct mh_opt *o;
	struct mh_flowid *fi;
	struct fm_ts *ts;

	m->seq = 5;
	m->flags = MH_FMI_C | MH_FMI_R;
	m->lifetime = MH_FM_LIFETIME_INFINITE;
	o = mh_opt_add(m, MH_OPT_FLOW_ID);
	fi = &o->flow_id;
	fi->fid = 1;
	fi->priority = 10;
	fi->n_bids = 1;
	fi->bids[0] = 1;
	fi->has_ts = true;
	ts = &fi->ts;
	ts->format = TS_FMT_IPV4;
	ts->f[TS_SRC_ADDR].n = TS_RANGE;
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &ts->f[TS_SRC_ADDR].addr[0]);
	inet_pton(AF_INET6, "::ffff:10.0.0.9", &ts->f[TS_SRC_ADDR].addr[1]);
	ts->f[TS_SPI].n = TS_EXACT;
	ts->f[TS_SPI].num[0] = 5;
	ts->f[TS_TC].n = TS_RANGE;
	ts->f[TS_TC].num[0] = 1;
	ts->f[TS_TC].num[1] = 4;
	ts->f[TS_NEXT_HEADER].n = TS_EXACT;
	ts->f[TS_NEXT_HEADER].num[0] = 6;
	fi->n_raw = 1;
	fi->raw[0].type = 9;
	fi->raw[0].len = 2;
	fi->raw[0].data[0] = 0xaa;
	fi->raw[0].data[1] = 0xbb;
	/*
	 * FMI: seq 0005, flags I|C|R = e000, lifetime ffff.
	 * Flow-ID: 6 + BID Ref 02 02 0001 (4) + TS 03 15 (23): format 01, flags A B E K L M =
	 * c8380000, 0a000001 0a000009, SPI 00000005, TOS 01 04, protocol 06
	 * + raw sub 09 02 aabb (4) = 37 (0x25); 12 + 39 = 51, PadN(3) to 56.
	 */
	d = check_vector(m, "3b 06 0b 00 0000 | 0005 | e000 | ffff |"
			    " 2d 25 0001 000a 00 00 | 02 02 0001 |"
			    " 03 15 01 00 c8380000 0a000001 0a000009 00000005 01 04 06 |"
			    " 09 02 aabb | 01 03 000000");
	assert_int_equal(d->kind, MH_FMI);
	assert_int_equal(d->flags, MH_FMI_C | MH_FMI_R);
	assert_int_equal(d->lifetime, 65535);
	fi = &d->opts[0].flow_id;
	assert_true(ts_equal(&fi->ts, ts));
	assert_int_equal(fi->n_raw, 1);
	assert_int_equal(fi->raw[0].type, 9);
	assert_int_equal(fi->raw[0].len, 2);
	assert_int_equal(fi->raw[0].data[1], 0xbb);
	free(m);
	free(d);
}

static void test_opt_unknown_and_mnid_other(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;
	struct mh_opt *o = mh_opt_add(m, 99);

	o->raw.type = 99;
	o->raw.len = 2;
	o->raw.data[0] = 1;
	o->raw.data[1] = 2;
	d = check_vector(m, PBU_HDR("01") "63 02 0102");
	assert_int_equal(d->opts[0].type, 99);
	assert_int_equal(d->opts[0].raw.len, 2);
	free(d);
	/* zero-length unknown option is legal */
	o->raw.len = 0;
	d = check_vector(m, PBU_HDR("01") "63 00 | 01 00");
	assert_int_equal(d->opts[0].raw.len, 0);
	free(m);
	free(d);

	m = pbu1();
	o = mh_opt_add(m, MH_OPT_MN_ID);
	o->mn_id.subtype = 2;
	o->mn_id.len = 3;
	memcpy(o->mn_id.id, "\x00\xff\x10", 3);
	d = check_vector(m, PBU_HDR("02") "08 04 02 00ff10 | 01 04 00000000");
	assert_int_equal(d->opts[0].mn_id.subtype, 2);
	assert_memory_equal(d->opts[0].mn_id.id, "\x00\xff\x10", 3);
	free(m);
	free(d);
}

static void test_typical_mag_pbu(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_PBU), *d;
	struct mh_opt *o;

	m->seq = 0x10;
	m->flags = MH_PBU_A | MH_PBU_P;
	m->lifetime = 3600;
	o = mh_opt_add(m, MH_OPT_MN_ID);
	o->mn_id.subtype = 1;
	o->mn_id.len = 3;
	memcpy(o->mn_id.id, "mn1", 3);
	o = mh_opt_add(m, MH_OPT_HNP);
	o->hnp.plen = 0; /* request a prefix: ::/0 */
	mh_opt_add(m, MH_OPT_HI)->hi = 1;
	mh_opt_add(m, MH_OPT_ATT)->att = 3;
	o = mh_opt_add(m, MH_OPT_TIMESTAMP);
	o->timestamp.seconds = 1;
	/*
	 * 12: MN-ID 08 04 01 6d6e31 -> 18; HNP 8n+4 -> PadN(2) at 18, HNP 20..40;
	 * HI 40..44; ATT 44..48; Timestamp 8n+2 -> PadN(0) at 48, 50..60; PadN(2) to 64.
	 */
	d = check_vector(m, "3b 07 05 00 0000 | 0010 8200 0384 |"
			    " 08 04 01 6d6e31 | 01 00 |"
			    " 16 12 00 00 00000000 00000000 00000000 00000000 |"
			    " 17 02 00 01 | 18 02 00 03 | 01 00 |"
			    " 1b 08 0000 00000001 0000 | 01 02 0000");
	assert_int_equal(d->n_opts, 5);
	assert_non_null(mh_opt_find(d, MH_OPT_TIMESTAMP, 0));
	assert_null(mh_opt_find(d, MH_OPT_TIMESTAMP, 1));
	assert_int_equal(mh_opt_find(d, MH_OPT_ATT, 0)->att, 3);
	free(m);
	free(d);
}

/* ---- decoding: alignment is the sender's business ------------------------------------------- */

static void test_misaligned_decode(void **state)
{
	(void)state;
	struct mh_msg *d;

	/* HNP at 12 (8n+4 is fine) but LLA at 32 with no padding, timestamp at 50, GRE key at 60:
	 * all packed, padded only at the end to 72. */
	d = decode_ok("3b 08 05 00 0000 | 0001 8200 0000 |"
		      " 16 12 00 40 fd000100 00000000 00000000 00000000 |"
		      " 1a 10 fe800000 00000000 00000000 00000001 |"
		      " 1b 08 0000 00000002 0003 |"
		      " 21 06 0000 00000007 |"
		      " 00 00 00 00");
	assert_int_equal(d->n_opts, 4);
	assert_int_equal(d->opts[0].hnp.plen, 64);
	assert_int_equal(d->opts[1].lla.s6_addr[15], 1);
	assert_int_equal(d->opts[2].timestamp.seconds, 2);
	assert_int_equal(d->opts[2].timestamp.fraction, 3);
	assert_int_equal(d->opts[3].gre_key, 7);
	free(d);

	/* HNP directly at 13 after a Pad1 */
	d = decode_ok("3b 04 05 00 0000 | 0001 8200 0000 | 00 |"
		      " 16 12 00 40 fd000100 00000000 00000000 00000000 | 00 00 00 00 00 00 00");
	assert_int_equal(d->n_opts, 1);
	assert_int_equal(d->opts[0].hnp.prefix.s6_addr[1], 0);
	free(d);

	/* PadN carrying non-zero bytes is still padding */
	d = decode_ok("3b 01 05 00 0000 | 0001 8200 0000 | 01 02 ffff");
	assert_int_equal(d->n_opts, 0);
	free(d);
}

/* ---- decoding: malformed input --------------------------------------------------------------- */

static void test_bad_header(void **state)
{
	(void)state;
	expect_decode_error("3c 01 05 00 0000 0001 8200 0000 01 02 0000", 0, "Payload Proto");
	expect_decode_error("3b 02 05 00 0000 0001 8200 0000 01 02 0000", 1, "Header Len");
	expect_decode_error("3b 00 05 00 0000", 6, "truncated");
	expect_decode_error("3b 00 05 00 0000 0001", 1, "fixed fields");
	expect_decode_error("3b 01 63 00 0000 0001 8200 0000 01 02 0000", 2, "MH Type 99");
	expect_decode_error("3b 01 10 00 0000 03 00 0001 0000 01 02 0000", 6, "B.R. Type 3");
	/* Binding Error needs 24 octets */
	expect_decode_error("3b 01 07 00 0000 02 00 fd000100 00000000", 1, "24");
	expect_decode_error("", 0, "truncated");
}

static void test_bad_option_lengths(void **state)
{
	(void)state;
	/* option crossing the end of the message */
	expect_decode_error(PBU_HDR("01") "17 03 00 01", 13, "crosses the end");
	expect_decode_error(PBU_HDR("01") "00 00 00 17", 15, "no Length");
	expect_decode_error(PBU_HDR("01") "63 ff 0102", 13, "crosses the end");
	/* fixed-length options too small / too large */
	expect_decode_error(PBU_HDR("01") "17 01 00 00", 13, "Handoff Indicator option: length 1");
	expect_decode_error(PBU_HDR("02") "17 03 00 01 00 | 01 05 0000000000", 13, "length 3");
	expect_decode_error(PBU_HDR("01") "18 00 | 01 00", 13, "Access Technology Type option");
	expect_decode_error(PBU_HDR("03") "16 11 00 40 fd000100 00000000 00000000 000000 | 00", 13,
			    "Home Network Prefix option: length 17");
	expect_decode_error(
	    PBU_HDR("04") "16 13 00 40 fd000100 00000000 00000000 00000000 00 | 00 00"
			  " 00 00 00 00 00",
	    13, "length 19");
	expect_decode_error(PBU_HDR("03") "16 12 00 81 fd000100 00000000 00000000 00000000", 15,
			    "prefix length 129");
	expect_decode_error(PBU_HDR("03") "1a 0f fe800000 00000000 00000000 000000 | 00 00 00", 13,
			    "Link-local Address option: length 15");
	expect_decode_error(PBU_HDR("02") "1b 07 0000 00000001 00 | 00 00 00", 13, "Timestamp");
	expect_decode_error(PBU_HDR("02") "1b 09 0000 00000001 0000 00 | 00", 13, "Timestamp");
	expect_decode_error(PBU_HDR("01") "1c 02 0000", 13, "Restart Counter option: length 2");
	expect_decode_error(PBU_HDR("02") "1c 05 00000000 00 | 00 00 00 00 00", 13,
			    "Restart Counter");
	expect_decode_error(PBU_HDR("02") "21 04 00000000 | 00 00 00 00 00 00", 13, "GRE Key");
	expect_decode_error(PBU_HDR("02") "21 07 0000 00000000 00 | 00 00 00", 13, "GRE Key");
	/* BID: 4, 8 or 20 only */
	expect_decode_error(PBU_HDR("02") "23 05 0001 00 00 00 | 00 00 00 00 00", 13,
			    "Binding Identifier option: length 5");
	expect_decode_error(PBU_HDR("02") "23 03 0001 00 | 00 00 00 00 00 00 00", 13, "length 3");
	expect_decode_error(PBU_HDR("03") "23 10 0001 00 00 00000000 00000000 00000000 | 00 00", 13,
			    "length 16");
	/* zero-length fields */
	expect_decode_error(PBU_HDR("01") "08 01 01 00", 13, "MN-ID option: length 1");
	expect_decode_error(PBU_HDR("01") "08 00 | 00 00", 13, "MN-ID option: length 0");
	expect_decode_error(PBU_HDR("01") "19 02 0000", 13, "MN Link-layer ID option: length 2");
	expect_decode_error(PBU_HDR("01") "2c 00 | 00 00", 13, "Flow Summary option: length 0");
	expect_decode_error(PBU_HDR("01") "2c 01 00 | 00", 13, "Flow Summary option: length 1");
	expect_decode_error(PBU_HDR("02") "2c 03 0001 00 | 00 00 00 00 00 00 00", 13,
			    "Flow Summary option: length 3");
}

static void test_bad_flow_id(void **state)
{
	(void)state;
	/* Flow-ID body shorter than its 6 fixed octets */
	expect_decode_error(PBU_HDR("02") "2d 05 0001 000a 00 | 00 00 00 00 00", 13,
			    "Flow Identification option: length 5");
	/* sub-option crossing the end of the option (but not the message) */
	expect_decode_error(PBU_HDR("02") "2d 08 0001 000a 00 00 | 02 04 | 00 00", 21,
			    "length 4 crosses the end");
	/* sub-option header cut by the end of the option */
	expect_decode_error(PBU_HDR("02") "2d 07 0001 000a 00 00 | 02 | 00 00 00", 20,
			    "header crosses");
	/* BID Reference: empty and odd */
	expect_decode_error(PBU_HDR("02") "2d 08 0001 000a 00 00 | 02 00 | 00 00", 21,
			    "BID Reference sub-option: length 0");
	expect_decode_error(PBU_HDR("02") "2d 09 0001 000a 00 00 | 02 01 00 | 00", 21,
			    "BID Reference sub-option: length 1");
	/* duplicate BID Reference */
	expect_decode_error(
	    PBU_HDR("03") "2d 0e 0001 000a 00 00 | 02 02 0001 | 02 02 0002 | 00 00 00 00", 24,
	    "duplicate BID Reference");
	/* TS: too short for format + flags */
	expect_decode_error(
	    PBU_HDR("03") "2d 0b 0001 000a 00 00 | 03 03 02 00 00 | 00 00 00 00 00 00 00", 22,
	    "Traffic Selector sub-option too short");
	/* TS: unknown format: not an error, kept raw for the receiver to refuse (FMA 131) */
	{
		struct mh_msg *m = decode_ok(PBU_HDR("03") "2d 0e 0001 000a 00 00 | 03 06 03 00 "
							   "00000000 | 00 00 00 00");
		const struct mh_opt *o = mh_opt_find(m, MH_OPT_FLOW_ID, 0);
		const uint8_t body[6] = {3, 0, 0, 0, 0, 0};

		assert_non_null(o);
		assert_false(o->flow_id.has_ts);
		assert_int_equal(o->flow_id.n_raw, 1);
		assert_int_equal(o->flow_id.raw[0].type, MH_FIDSUB_TS);
		assert_int_equal(o->flow_id.raw[0].len, 6);
		assert_memory_equal(o->flow_id.raw[0].data, body, 6);
		free(m);
	}
	/* TS: reserved flag bits, the Reserved octet and the FID Reserved octet are ignored
	 * on receipt (RFC 6088 §3, RFC 6089 §4.2): decoded, not rejected (this used to be an
	 * error) */
	{
		struct mh_msg *m = decode_ok(PBU_HDR("03") "2d 0e 0001 000a ff 00 | 03 06 02 ff "
							   "0000ffff | 00 00 00 00");
		const struct mh_opt *o = mh_opt_find(m, MH_OPT_FLOW_ID, 0);

		assert_non_null(o);
		assert_true(o->flow_id.has_ts);
		assert_int_equal(o->flow_id.ts.format, TS_FMT_IPV6);
		for (int f = 0; f < TS_NFIELDS; f++)
			assert_int_equal(o->flow_id.ts.f[f].n, TS_ABSENT);
		free(m);
		/* IPv4: the 18 bits past N */
		m = decode_ok(PBU_HDR("03") "2d 0e 0001 000a 00 00 | 03 06 01 00 0003ffff |"
					    " 00 00 00 00");
		o = mh_opt_find(m, MH_OPT_FLOW_ID, 0);
		assert_non_null(o);
		assert_true(o->flow_id.has_ts);
		assert_int_equal(o->flow_id.ts.format, TS_FMT_IPV4);
		for (int f = 0; f < TS_NFIELDS; f++)
			assert_int_equal(o->flow_id.ts.f[f].n, TS_ABSENT);
		free(m);
	}
	/* TS: end without start (B without A) */
	expect_decode_error(PBU_HDR("05") "2d 1e 0001 000a 00 00 | 03 16 02 00 40000000"
					  " fd000000 00000000 00000000 00000001 | 00 00 00 00",
			    24, "end but no start");
	/* TS: field crossing the end of the sub-option: K set (dst port), one octet present */
	expect_decode_error(
	    PBU_HDR("03") "2d 0f 0001 000a 00 00 | 03 07 02 00 00200000 13 | 00 00 00", 28,
	    "dst_port crosses");
	/* TS: bytes left after the last field */
	expect_decode_error(
	    PBU_HDR("03") "2d 10 0001 000a 00 00 | 03 08 02 00 00020000 11 00 | 00 00", 29,
	    "after the last selector field");
	/* TS: range start above end (next header 17..6) */
	expect_decode_error(
	    PBU_HDR("03") "2d 10 0001 000a 00 00 | 03 08 02 00 00030000 11 06 | 00 00", 22,
	    "range start");
	/* TS: a 3-octet flow label (the old layout) is now a field crossing the end */
	expect_decode_error(
	    PBU_HDR("03") "2d 11 0001 000a 00 00 | 03 09 02 00 02000000 0fffff | 00", 28,
	    "flow_label crosses");
	/* duplicate TS */
	expect_decode_error(PBU_HDR("04") "2d 16 0001 000a 00 00 | 03 06 02 00 00000000 |"
					  " 03 06 02 00 00000000 | 00 00 00 00",
			    28, "duplicate Traffic Selector");
	/* more than MH_MAX_RAW_SUBS unknown sub-options */
	expect_decode_error(PBU_HDR("03") "2d 10 0001 000a 00 00 | 09 00 09 00 09 00 09 00 09 00 |"
					  " 00 00",
			    28, "unknown sub-options");
}

static void test_too_many_options(void **state)
{
	(void)state;
	char hex[1024];
	uint8_t buf[512];
	struct mh_msg *m = calloc(1, sizeof(*m));
	struct mh_err err;
	size_t len;
	int n = 0;

	/* 33 HI options: 12 + 132 = 144 = 18 * 8 */
	n += sprintf(hex + n, "3b 11 05 00 0000 0001 8200 0000");
	for (int i = 0; i < MH_MAX_OPTS + 1; i++)
		n += sprintf(hex + n, " 17 02 00 01");
	len = unhex(hex, buf, sizeof(buf));
	assert_int_equal(len, 144);
	assert_int_equal(mh_decode(buf, len, m, &err), -1);
	assert_non_null(strstr(err.msg, "too many options"));
	assert_int_equal(err.offset, 12 + 4 * MH_MAX_OPTS);
	/* exactly 32 is fine (replace the last HI by PadN) */
	buf[140] = 1;
	buf[141] = 2;
	assert_int_equal(mh_decode(buf, len, m, &err), 0);
	assert_int_equal(m->n_opts, MH_MAX_OPTS);
	free(m);
}

/* Cutting a valid message at each option boundary and fixing Header Len never crashes. */
static void test_truncated_fixed_header_len(void **state)
{
	(void)state;
	uint8_t full[128], part[128];
	struct mh_msg *m = calloc(1, sizeof(*m));
	struct mh_err err;
	size_t len = unhex("3b 08 05 00 0000 | 0001 8200 0000 | 2d 39 0001 000a 00 00 |"
			   " 02 04 0001 0002 | 03 2b 02 00 c0320000"
			   " fd000000 00000000 00000000 00000001"
			   " fd000000 00000000 00000000 000000ff 1388 176f 11 | 00",
			   full, sizeof(full));

	for (size_t cut = 16; cut < len; cut += 8) {
		memcpy(part, full, cut);
		part[1] = (uint8_t)(cut / 8 - 1);
		assert_int_equal(mh_decode(part, cut, m, &err), -1);
		assert_true(err.offset < cut);
	}
	/* and with the option's own Length cut to each shorter value */
	for (int l = 0; l < 0x39; l++) {
		memcpy(part, full, len);
		part[13] = (uint8_t)l;
		/* whatever follows the shortened option is parsed as options: may or may
		 * not be valid, but must never crash; lengths < 6 must fail */
		if (mh_decode(part, len, m, &err) == 0)
			assert_true(l >= 6);
	}
	free(m);
}

/* ---- encoding errors ---------------------------------------------------------------------- */

static void test_encode_errors(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_PBU);
	uint8_t buf[2048];
	struct mh_err err;
	struct mh_opt *o;

	m->lifetime = 401;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	assert_non_null(strstr(err.msg, "multiple of 4"));
	m->kind = MH_PBA;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	assert_non_null(strstr(err.msg, "multiple of 4"));
	m->lifetime = 0x10000 * 4;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	m->lifetime = 0;
	m->seq = 0x10000;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	assert_non_null(strstr(err.msg, "16 bits"));
	m->kind = MH_HEARTBEAT;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), 16); /* 32-bit there */
	m->kind = MH_FMI;
	m->seq = 0;
	m->lifetime = 65536;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	m->lifetime = 65535;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), 16);
	/* buffer too small */
	assert_int_equal(mh_encode(m, buf, 15, &err), -1);
	assert_non_null(strstr(err.msg, "too small"));
	assert_int_equal(mh_encode(m, buf, 8, &err), -1);

	/* option body over 255 octets: 64 BIDs (128) + a full IPv6 selector (98) + header */
	o = mh_opt_add(m, MH_OPT_FLOW_ID);
	o->flow_id.n_bids = 64;
	o->flow_id.n_raw = 2;
	o->flow_id.raw[0].type = o->flow_id.raw[1].type = 9;
	o->flow_id.raw[0].len = o->flow_id.raw[1].len = 20;
	o->flow_id.has_ts = true;
	o->flow_id.ts.format = TS_FMT_IPV6;
	for (int f = 0; f < TS_NFIELDS; f++) {
		o->flow_id.ts.f[f].n = TS_RANGE;
		if (f != TS_SRC_ADDR && f != TS_DST_ADDR)
			o->flow_id.ts.f[f].num[1] = 1;
	}
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	assert_non_null(strstr(err.msg, "too long"));
	/* invalid selector refused */
	o->flow_id.n_bids = 1;
	o->flow_id.n_raw = 0;
	o->flow_id.ts.f[TS_TC].num[0] = 9;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	assert_non_null(strstr(err.msg, "range start"));

	/* bad option contents */
	m->n_opts = 0;
	o = mh_opt_add(m, MH_OPT_BID);
	o->bid.coa_len = 5;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	o->bid.coa_len = 0;
	o->bid.priority = 128;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	m->n_opts = 0;
	o = mh_opt_add(m, MH_OPT_MN_ID);
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1); /* empty identifier */
	m->n_opts = 0;
	o = mh_opt_add(m, MH_OPT_HNP);
	o->hnp.plen = 129;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	m->n_opts = 0;
	o = mh_opt_add(m, MH_OPT_TIMESTAMP);
	o->timestamp.seconds = 1ull << 48;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	m->n_opts = 0;
	mh_opt_add(m, MH_OPT_FLOW_SUMMARY);
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1); /* no FIDs */

	/* message over 2048 octets: 9 raw options of 255 */
	m->n_opts = 0;
	for (int i = 0; i < 9; i++) {
		o = mh_opt_add(m, 200);
		o->raw.type = 200;
		o->raw.len = 255;
	}
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	assert_non_null(strstr(err.msg, "2048"));
	m->n_opts = 7;
	assert_true(mh_encode(m, buf, sizeof(buf), &err) > 0);

	m->kind = (enum mh_kind)0;
	assert_int_equal(mh_encode(m, buf, sizeof(buf), &err), -1);
	free(m);
}

static void test_padding_options_skipped_on_encode(void **state)
{
	(void)state;
	struct mh_msg *m = pbu1(), *d;

	mh_opt_add(m, MH_OPT_PADN);
	mh_opt_add(m, MH_OPT_HI)->hi = 5;
	mh_opt_add(m, MH_OPT_PAD1);
	d = check_vector(m, PBU_HDR("01") "17 02 00 05");
	assert_int_equal(d->n_opts, 1);
	free(m);
	free(d);
}

/* ---- helpers of the API --------------------------------------------------------------------- */

static void test_opt_add_find(void **state)
{
	(void)state;
	struct mh_msg *m = new_msg(MH_PBU);

	for (int i = 0; i < MH_MAX_OPTS; i++)
		assert_non_null(mh_opt_add(m, i % 2 ? MH_OPT_HI : MH_OPT_ATT));
	assert_null(mh_opt_add(m, MH_OPT_HI));
	assert_int_equal(m->n_opts, MH_MAX_OPTS);
	assert_ptr_equal(mh_opt_find(m, MH_OPT_HI, 0), &m->opts[1]);
	assert_ptr_equal(mh_opt_find(m, MH_OPT_HI, 2), &m->opts[5]);
	assert_ptr_equal(mh_opt_find(m, MH_OPT_ATT, 15), &m->opts[30]);
	assert_null(mh_opt_find(m, MH_OPT_ATT, 16));
	assert_null(mh_opt_find(m, MH_OPT_LLA, 0));
	free(m);
}

/* The one alignment table (RFC 6275 §6.2 notation) and the kind table. */
static void test_tables(void **state)
{
	(void)state;
	assert_int_equal(mh_align_rules[MH_AL_HNP].x, 8);
	assert_int_equal(mh_align_rules[MH_AL_HNP].y, 4);
	assert_int_equal(mh_align_rules[MH_AL_BID].x, 2); /* RFC 5648 §4.3 */
	assert_int_equal(mh_align_rules[MH_AL_BID_COA].x, 8);
	assert_int_equal(mh_align_rules[MH_AL_BID_COA].y, 2);
	assert_int_equal(mh_align_rules[MH_AL_TS6_ADDR].x, 8); /* RFC 6088 §3.2 */
	assert_int_equal(mh_align_rules[MH_AL_TS6_SPI_FL].x, 4);
	assert_int_equal(mh_align_rules[MH_AL_TS6_OTHER].x, 2);
	assert_int_equal(mh_align_rules[MH_AL_TS4_ADDR_SPI].x, 4); /* RFC 6088 §3.1 */
	assert_int_equal(mh_align_rules[MH_AL_TS4_OTHER].x, 2);
	for (int a = 0; a < MH_AL_COUNT; a++)
		assert_non_null(mh_align_rules[a].source);
	assert_int_equal(MH_KIND_COUNT, MH_UPA + 1);
	for (int k = 1; k < MH_KIND_COUNT; k++) {
		const struct mh_kind_desc *d = mh_kind_desc(k);

		assert_non_null(d);
		assert_int_equal(d->kind, k);
		assert_string_equal(d->name, mh_kind_name(k));
	}
	assert_null(mh_kind_desc(MH_KIND_COUNT));
	assert_null(mh_kind_desc(MH_KIND_NONE));
	assert_int_equal(mh_kind_flag_mask(mh_kind_desc(MH_UPN)), MH_UPN_A | MH_UPN_D);
	assert_string_equal(mh_opt_name(MH_OPT_FLOW_ID), "Flow Identification");
	assert_string_equal(mh_opt_name(200), "unknown");
}

/* A UPA with non-zero reserved octets and a UPN with reserved flag bits decode
 * (RFC 7077 §4.1/§4.2: reserved, ignored on receipt). */
static void test_reserved_ignored(void **state)
{
	(void)state;
	struct mh_msg *m = decode_ok("3b 01 14 00 0000 | 0009 | 00 | ffffff | 01 02 0000");

	assert_int_equal(m->kind, MH_UPA);
	assert_int_equal(m->seq, 9);
	assert_int_equal(m->status, 0);
	free(m);
	m = decode_ok("3b 01 13 00 0000 | 0009 | 0008 | 3fff | 01 02 0000");
	assert_int_equal(m->kind, MH_UPN);
	assert_int_equal(m->reason, 8);
	assert_int_equal(m->flags, 0);
	free(m);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(mh_kind_name(MH_PBU), "pbu");
	assert_string_equal(mh_kind_name(MH_PBA), "pba");
	assert_string_equal(mh_kind_name(MH_BRI), "bri");
	assert_string_equal(mh_kind_name(MH_BRA), "bra");
	assert_string_equal(mh_kind_name(MH_HEARTBEAT), "heartbeat");
	assert_string_equal(mh_kind_name(MH_BE), "be");
	assert_string_equal(mh_kind_name(MH_FMI), "fmi");
	assert_string_equal(mh_kind_name(MH_FMA), "fma");
	assert_string_equal(mh_kind_name(MH_UPN), "upn");
	assert_string_equal(mh_kind_name(MH_UPA), "upa");
}

static void test_checksum(void **state)
{
	(void)state;
	uint8_t mh[16];
	struct in6_addr s = a6("fd00:11::2"), d = a6("fd00:11::1");
	uint16_t c;

	/* The PBA vector; 0xc2b3 computed independently (Python, RFC 1071 over the pseudo-header)
	 */
	unhex("3b 01 06 00 0000 00 20 0007 0064 01 02 0000", mh, sizeof(mh));
	c = mh_checksum(&s, &d, mh, sizeof(mh));
	assert_int_equal(c, 0xc2b3);
	mh[4] = c >> 8;
	mh[5] = c & 0xff;
	assert_int_equal(mh_checksum(&s, &d, mh, sizeof(mh)), 0);
	/* swapping addresses does not change a one's-complement sum */
	assert_int_equal(mh_checksum(&d, &s, mh, sizeof(mh)), 0);
	/* a flipped bit does */
	mh[9] ^= 1;
	assert_int_not_equal(mh_checksum(&s, &d, mh, sizeof(mh)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pbu_mnid),
	    cmocka_unit_test(test_pbu_all_flags),
	    cmocka_unit_test(test_pba),
	    cmocka_unit_test(test_bri_bra),
	    cmocka_unit_test(test_heartbeat),
	    cmocka_unit_test(test_be),
	    cmocka_unit_test(test_fma_upn_upa),
	    cmocka_unit_test(test_fm_type_configurable),
	    cmocka_unit_test(test_opt_hnp),
	    cmocka_unit_test(test_opt_hi_att),
	    cmocka_unit_test(test_opt_llid),
	    cmocka_unit_test(test_opt_lla),
	    cmocka_unit_test(test_opt_timestamp),
	    cmocka_unit_test(test_opt_gre_key),
	    cmocka_unit_test(test_opt_bid),
	    cmocka_unit_test(test_opt_flow_summary),
	    cmocka_unit_test(test_opt_flow_id_ipv6),
	    cmocka_unit_test(test_opt_flow_id_ipv6_every_field),
	    cmocka_unit_test(test_fmi_flow_id_ipv4),
	    cmocka_unit_test(test_opt_unknown_and_mnid_other),
	    cmocka_unit_test(test_typical_mag_pbu),
	    cmocka_unit_test(test_misaligned_decode),
	    cmocka_unit_test(test_bad_header),
	    cmocka_unit_test(test_bad_option_lengths),
	    cmocka_unit_test(test_bad_flow_id),
	    cmocka_unit_test(test_too_many_options),
	    cmocka_unit_test(test_truncated_fixed_header_len),
	    cmocka_unit_test(test_encode_errors),
	    cmocka_unit_test(test_padding_options_skipped_on_encode),
	    cmocka_unit_test(test_opt_add_find),
	    cmocka_unit_test(test_kind_names),
	    cmocka_unit_test(test_tables),
	    cmocka_unit_test(test_reserved_ignored),
	    cmocka_unit_test(test_checksum),
	};

	return cmocka_run_group_tests_name("mh", tests, NULL, NULL);
}
