// SPDX-License-Identifier: GPL-2.0
/*
 * test_view.c — typed views of decoded Mobility Header messages (agent/mh/view.c):
 * every field of each kind is read from its option, the first of a repeated
 * singleton counts, flow requests point into the message, the status for anything
 * missing or malformed comes in the LMA's order (160, 158, 161, 162), the
 * timestamp is one 48.16 number, and a view stays a few kilobytes.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mh/view.h"

static struct in6_addr A(const char *s) {
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct mh_msg *
msg(enum mh_kind k)
{
	static struct mh_msg m;

	memset(&m, 0, sizeof(m));
	mh_msg_init(&m, k);
	return &m;
}

static void add_mn_id(struct mh_msg *m, const char *nai, size_t len)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_MN_ID);

	o->mn_id.subtype = 1;
	o->mn_id.len = (uint8_t)len;
	memcpy(o->mn_id.id, nai, len);
}

static void add_hnp(struct mh_msg *m, const char *p, uint8_t plen)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_HNP);

	o->hnp.prefix = A(p);
	o->hnp.plen = plen;
}

static struct mh_opt *add_flow(struct mh_msg *m, uint16_t fid, uint16_t bid)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_FLOW_ID);

	o->flow_id.fid = fid;
	o->flow_id.priority = 7;
	o->flow_id.n_bids = 1;
	o->flow_id.bids[0] = bid;
	o->flow_id.has_ts = true;
	o->flow_id.ts.format = TS_FMT_IPV6;
	o->flow_id.ts.f[TS_DST_PORT].n = TS_EXACT;
	o->flow_id.ts.f[TS_DST_PORT].num[0] = 5000;
	return o;
}

static struct mh_msg *full_pbu(void)
{
	struct mh_msg *m = msg(MH_PBU);
	struct mh_opt *o;

	m->seq = 42;
	m->flags = MH_PBU_A | MH_PBU_P;
	m->lifetime = 3600;
	add_mn_id(m, "mn1@example.net", 15);
	add_hnp(m, "::", 0);
	add_hnp(m, "fd00:100::", 64);
	mh_opt_add(m, MH_OPT_HI)->hi = MH_HI_NEW_IFACE;
	mh_opt_add(m, MH_OPT_ATT)->att = 4;
	o = mh_opt_add(m, MH_OPT_LL_ID);
	o->ll_id.len = 6;
	memcpy(o->ll_id.id, "\x02\x00\x00\x00\x00\x01", 6);
	mh_opt_add(m, MH_OPT_LLA)->lla = A("fe80::1");
	o = mh_opt_add(m, MH_OPT_TIMESTAMP);
	o->timestamp.seconds = 0x123456789aull;
	o->timestamp.fraction = 0x8000;
	mh_opt_add(m, MH_OPT_BID)->bid.bid = 3;
	mh_opt_add(m, MH_OPT_GRE_KEY)->gre_key = 99;
	add_flow(m, 10, 3);
	add_flow(m, 11, 0);
	return m;
}

static void test_pbu_fields(void **st)
{
	struct mh_msg *m = full_pbu();
	struct pbu_view v;

	(void)st;
	assert_int_equal(pbu_view_build(&v, m), 0);
	assert_int_equal(v.seq, 42);
	assert_int_equal(v.flags, MH_PBU_A | MH_PBU_P);
	assert_int_equal(v.lifetime, 3600);
	assert_true(v.mn_id.present && v.mn_id.valid);
	assert_string_equal(v.mn_id.nai, "mn1@example.net");
	assert_int_equal(v.mn_id.len, 15);
	assert_int_equal(v.n_hnp, 2);
	assert_int_equal(v.n_hnp_nonzero, 1);
	assert_int_equal(v.hnp[0].plen, 0);
	assert_int_equal(v.hnp[1].plen, 64);
	assert_memory_equal(&v.hnp[1].prefix, &m->opts[2].hnp.prefix, 16);
	assert_true(v.has_hi && v.hi == MH_HI_NEW_IFACE);
	assert_true(v.has_att && v.att == 4);
	assert_true(v.ll_id.present);
	assert_int_equal(v.ll_id.len, 6);
	assert_memory_equal(v.ll_id.id, "\x02\x00\x00\x00\x00\x01", 6);
	assert_true(v.has_lla);
	struct in6_addr lla = A("fe80::1");
	assert_memory_equal(&v.lla, &lla, 16);
	assert_true(v.ts.present);
	assert_true(v.ts.fixed == ((0x123456789aull << 16) | 0x8000));
	assert_true(v.bid.present && v.bid.bid == 3);
	assert_true(v.has_gre_key && v.gre_key == 99);
	assert_int_equal(v.n_flows, 2);
	/* flow requests point into the message (the selector is not copied) */
	assert_ptr_equal(v.flows[0], &mh_opt_find(m, MH_OPT_FLOW_ID, 0)->flow_id);
	assert_int_equal(v.flows[1]->fid, 11);
}

static void test_pbu_status_order(void **st)
{
	struct mh_msg *m;
	struct pbu_view v;

	(void)st;
	/* everything missing: the MN-ID is reported first */
	m = msg(MH_PBU);
	assert_int_equal(pbu_view_build(&v, m), PBA_MISSING_MN_ID);
	assert_false(v.mn_id.present);
	/* an empty MN-ID is missing (160); one with a NUL inside is not an NAI (129, issue 11) */
	add_mn_id(m, "", 0);
	assert_int_equal(pbu_view_build(&v, m), PBA_MISSING_MN_ID);
	assert_true(v.mn_id.present);
	assert_false(v.mn_id.valid);
	m = msg(MH_PBU);
	add_mn_id(m, "a\0b", 3);
	assert_int_equal(pbu_view_build(&v, m), PBA_ADMIN_PROHIBITED);
	/* then HNP, HI, ATT in that order; the rest of the view is still filled */
	m = msg(MH_PBU);
	add_mn_id(m, "mn", 2);
	mh_opt_add(m, MH_OPT_ATT)->att = 4;
	assert_int_equal(pbu_view_build(&v, m), PBA_MISSING_HNP);
	assert_string_equal(v.mn_id.nai, "mn");
	assert_true(v.has_att);
	add_hnp(m, "::", 0);
	assert_int_equal(pbu_view_build(&v, m), PBA_MISSING_HI);
	mh_opt_add(m, MH_OPT_HI)->hi = 1;
	assert_int_equal(pbu_view_build(&v, m), 0);
	m = msg(MH_PBU);
	add_mn_id(m, "mn", 2);
	add_hnp(m, "::", 0);
	mh_opt_add(m, MH_OPT_HI)->hi = 1;
	assert_int_equal(pbu_view_build(&v, m), PBA_MISSING_ATT);
	assert_false(v.ts.present);
	assert_false(v.bid.present);
	assert_false(v.ll_id.present);
	assert_int_equal(v.n_flows, 0);
	/* not a PBU */
	assert_int_equal(pbu_view_build(&v, msg(MH_PBA)), -1);
}

static void test_first_singleton_counts(void **st)
{
	struct mh_msg *m = full_pbu();
	struct pbu_view v;

	(void)st;
	mh_opt_add(m, MH_OPT_HI)->hi = MH_HI_HANDOFF_MAGS;
	mh_opt_add(m, MH_OPT_BID)->bid.bid = 9;
	add_mn_id(m, "other", 5);
	assert_int_equal(pbu_view_build(&v, m), 0);
	assert_int_equal(v.hi, MH_HI_NEW_IFACE);
	assert_int_equal(v.bid.bid, 3);
	assert_string_equal(v.mn_id.nai, "mn1@example.net");
}

static void test_pba(void **st)
{
	struct mh_msg *m = msg(MH_PBA);
	struct pba_view v;
	struct mh_opt *o;

	(void)st;
	assert_int_equal(pba_view_build(&v, m), PBA_MISSING_MN_ID);
	m->seq = 7;
	m->status = PBA_ACCEPTED;
	m->flags = MH_PBA_P;
	m->lifetime = 600;
	add_mn_id(m, "mn1", 3);
	add_hnp(m, "fd00:100::", 64);
	add_hnp(m, "fd00:101::", 64);
	mh_opt_add(m, MH_OPT_BID)->bid.bid = 2;
	o = add_flow(m, 5, 2);
	o->flow_id.status = FID_BID_NOT_FOUND;
	assert_int_equal(pba_view_build(&v, m), 0);
	assert_int_equal(v.seq, 7);
	assert_int_equal(v.flags, MH_PBA_P);
	assert_int_equal(v.lifetime, 600);
	assert_int_equal(v.n_hnp, 2);
	assert_true(v.bid.present && v.bid.bid == 2);
	assert_int_equal(v.n_flows, 1);
	assert_int_equal(v.flows[0]->status, FID_BID_NOT_FOUND);
	assert_false(v.ll_id.present);
}

static void test_fmi_fma(void **st)
{
	struct mh_msg *m = msg(MH_FMI);
	struct fmi_view v;
	struct fma_view a;

	(void)st;
	m->seq = 100;
	m->flags = MH_FMI_C | MH_FMI_R;
	m->lifetime = 30;
	add_mn_id(m, "mn1", 3);
	/* no Flow Identification: unspecified */
	assert_int_equal(fmi_view_build(&v, m), FMA_UNSPECIFIED);
	add_flow(m, 1, 2);
	add_hnp(m, "fd00:100::", 64);
	assert_int_equal(fmi_view_build(&v, m), 0);
	assert_true(v.cancel);
	assert_false(v.refresh); /* C wins over R */
	assert_int_equal(v.lifetime, 30);
	assert_int_equal(v.n_flows, 1);
	assert_int_equal(v.n_hnp, 1);
	m = msg(MH_FMI);
	add_flow(m, 1, 2);
	assert_int_equal(fmi_view_build(&v, m), FMA_UNSPECIFIED); /* no MN-ID */
	m->flags = MH_FMI_R;
	fmi_view_build(&v, m);
	assert_true(v.refresh);

	m = msg(MH_FMA);
	m->seq = 100;
	m->status = FMA_NO_ENTRY;
	add_mn_id(m, "mn1", 3);
	add_flow(m, 1, 2);
	assert_int_equal(fma_view_build(&a, m), 0);
	assert_int_equal(a.seq, 100);
	assert_int_equal(a.status, FMA_NO_ENTRY);
	assert_int_equal(a.n_flows, 1);
	assert_int_equal(fma_view_build(&a, msg(MH_FMI)), -1);
}

static void test_upn_upa_bri_bra(void **st)
{
	struct mh_msg *m = msg(MH_UPN);
	struct upn_view u;
	struct upa_view ua;
	struct bri_view b;
	struct bra_view ba;

	(void)st;
	m->seq = 9;
	m->reason = MH_UPN_REASON_FLOW_MOBILITY;
	m->flags = MH_UPN_A;
	assert_int_equal(upn_view_build(&u, m), UPA_MN_NOT_ATTACHED);
	add_mn_id(m, "mn1", 3);
	add_hnp(m, "fd00:100::", 64);
	mh_opt_add(m, MH_OPT_BID)->bid.bid = 4;
	add_flow(m, 3, 4);
	assert_int_equal(upn_view_build(&u, m), 0);
	assert_int_equal(u.reason, MH_UPN_REASON_FLOW_MOBILITY);
	assert_int_equal(u.flags, MH_UPN_A);
	assert_int_equal(u.n_hnp, 1);
	assert_int_equal(u.bid.bid, 4);
	assert_int_equal(u.n_flows, 1);

	m = msg(MH_UPA);
	m->seq = 9;
	m->status = UPA_SUCCESS;
	assert_int_equal(upa_view_build(&ua, m), 0);
	assert_int_equal(ua.seq, 9);
	assert_false(ua.mn_id.present);

	m = msg(MH_BRI);
	m->seq = 11;
	m->trigger = 1;
	m->flags = MH_BR_P;
	assert_int_equal(bri_view_build(&b, m), BRA_NO_BINDING);
	add_mn_id(m, "mn1", 3);
	mh_opt_add(m, MH_OPT_BID)->bid.bid = 1;
	assert_int_equal(bri_view_build(&b, m), 0);
	assert_int_equal(b.n_hnp, 0); /* the whole binding */
	assert_int_equal(b.trigger, 1);
	assert_int_equal(b.flags, MH_BR_P);
	assert_int_equal(b.bid.bid, 1);

	m = msg(MH_BRA);
	m->seq = 11;
	m->status = BRA_PARTIAL;
	assert_int_equal(bra_view_build(&ba, m), 0);
	assert_int_equal(ba.status, BRA_PARTIAL);
	assert_int_equal(bra_view_build(&ba, msg(MH_BRI)), -1);
}

static void test_heartbeat(void **st)
{
	struct mh_msg *m = msg(MH_HEARTBEAT);
	struct hb_view v;

	(void)st;
	m->seq = 0x80000001u;
	assert_int_equal(hb_view_build(&v, m), 0);
	assert_false(v.response);
	assert_false(v.has_rc);
	m->flags = MH_HB_R;
	mh_opt_add(m, MH_OPT_RESTART_COUNTER)->restart_counter = 5;
	assert_int_equal(hb_view_build(&v, m), 0);
	assert_true(v.response);
	assert_true(v.seq == 0x80000001u);
	assert_true(v.has_rc && v.restart_counter == 5);
	assert_int_equal(hb_view_build(&v, msg(MH_PBU)), -1);
}

/* A message full of options of one kind fits in its view. */
static void test_full_message(void **st)
{
	struct mh_msg *m = msg(MH_PBU);
	struct pbu_view v;

	(void)st;
	add_mn_id(m, "mn", 2);
	while (m->n_opts < MH_MAX_OPTS)
		add_hnp(m, "fd00:100::", 64);
	assert_int_equal(pbu_view_build(&v, m), PBA_MISSING_HI);
	assert_int_equal(v.n_hnp, MH_MAX_OPTS - 1);
}

static void test_sizes(void **st)
{
	(void)st;
	/* a decoded message is tens of KB; a view a few KB at most */
	assert_true(sizeof(struct pbu_view) <= 4096);
	assert_true(sizeof(struct pba_view) <= 4096);
	assert_true(sizeof(struct fmi_view) <= 4096);
	assert_true(sizeof(struct fma_view) <= 4096);
	assert_true(sizeof(struct upn_view) <= 4096);
	assert_true(sizeof(struct upa_view) <= 4096);
	assert_true(sizeof(struct bri_view) <= 4096);
	assert_true(sizeof(struct bra_view) <= 4096);
	assert_true(sizeof(struct hb_view) <= 64);
	if (getenv("VIEW_SIZES"))
		print_message("pbu %zu pba %zu fmi %zu fma %zu upn %zu upa %zu bri %zu bra %zu "
			      "hb %zu (mh_msg %zu)\n",
			      sizeof(struct pbu_view), sizeof(struct pba_view),
			      sizeof(struct fmi_view), sizeof(struct fma_view),
			      sizeof(struct upn_view), sizeof(struct upa_view),
			      sizeof(struct bri_view), sizeof(struct bra_view),
			      sizeof(struct hb_view), sizeof(struct mh_msg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pbu_fields),
	    cmocka_unit_test(test_pbu_status_order),
	    cmocka_unit_test(test_first_singleton_counts),
	    cmocka_unit_test(test_pba),
	    cmocka_unit_test(test_fmi_fma),
	    cmocka_unit_test(test_upn_upa_bri_bra),
	    cmocka_unit_test(test_heartbeat),
	    cmocka_unit_test(test_full_message),
	    cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
