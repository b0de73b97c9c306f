// SPDX-License-Identifier: GPL-2.0
/*
 * test_bul.c — the MAG's binding update list (agent/mag/bul.c): PBU contents field by
 * field, the 1.5 s doubling-to-32 s retransmission schedule, refresh and expiry,
 * and every class of PBA status. Clock injected, the entry's timers on a manual
 * wheel, PBUs captured from the send hook, timer-driven events from the event hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "mag/bul.h"
#include "fm_test_weak.h"

#define MAXCAP 64
static struct mh_msg cap[MAXCAP];
static int ncap;

static int cap_send(void *ctx, const struct mh_msg *m)
{
	uint8_t buf[2048];
	struct mh_err err;
	struct mh_msg back;
	int n = mh_encode(m, buf, sizeof(buf), &err);

	(void)ctx;
	/* what the entry builds must be encodable and survive a decode */
	if (n < 0)
		fail_msg("mh_encode: %s", err.msg);
	assert_int_equal(mh_decode(buf, (size_t)n, &back, &err), 0);
	assert_int_equal(back.kind, MH_PBU);
	assert_int_equal(back.seq, m->seq);
	assert_int_equal(back.flags, m->flags);
	assert_int_equal(back.lifetime, m->lifetime);
	assert_int_equal(back.n_opts, m->n_opts);
	if (ncap < MAXCAP)
		cap[ncap] = *m;
	ncap++;
	return 0;
}

static const uint8_t MAC[6] = {0x02, 0, 0, 0, 1, 1};
static const struct fm_cfg_mag_timers timers = {
    .retransmit_initial_ms = 1500, .retransmit_max_ms = 32000, .lifetime_s = 3600};
static struct fm_timers wheel;
static enum bul_event last_ev;

static void cap_event(void *c, struct bul_entry *x, enum bul_event ev, uint64_t now)
{
	(void)c;
	(void)x;
	(void)now;
	last_ev = ev;
}

static struct bul_ctx ctx = {
    .t = &timers,
    .send = cap_send,
    .event = cap_event,
    .wheel = &wheel,
};

static struct bul_entry e;

/* The wheel at time t: what the entry's timers decided (BUL_EV_NONE: nothing). */
static enum bul_event tick(uint64_t t)
{
	last_ev = BUL_EV_NONE;
	fm_timers_run(&wheel, t);
	return last_ev;
}

static int setup(void **state)
{
	struct in6_addr ll;

	(void)state;
	test_clock_install();
	ncap = 0;
	fm_timers_fini(&wheel);
	fm_timers_init(&wheel, NULL);
	inet_pton(AF_INET6, "fe80::1", &ll);
	bul_entry_init(&e, &ctx, "mn1@example.net", MAC, "mag1-mn", 4, &ll, 100);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bul_entry_fini(&e);
	fm_timers_fini(&wheel);
	return 0;
}

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static void pba(struct mh_msg *m, uint8_t status, uint16_t seq, uint32_t lifetime, const char *p1,
		const char *p2, uint16_t bid)
{
	struct mh_opt *o;

	memset(m, 0, sizeof(*m));
	m->kind = MH_PBA;
	m->status = status;
	m->flags = MH_PBA_P;
	m->seq = seq;
	m->lifetime = lifetime;
	o = mh_opt_add(m, MH_OPT_MN_ID);
	o->mn_id.subtype = 1;
	o->mn_id.len = 15;
	memcpy(o->mn_id.id, "mn1@example.net", 15);
	if (p1) {
		o = mh_opt_add(m, MH_OPT_HNP);
		o->hnp.plen = 64;
		o->hnp.prefix = a6(p1);
	}
	if (p2) {
		o = mh_opt_add(m, MH_OPT_HNP);
		o->hnp.plen = 64;
		o->hnp.prefix = a6(p2);
	}
	if (bid) {
		o = mh_opt_add(m, MH_OPT_BID);
		o->bid.bid = bid;
	}
}

/* The PBA as the MAG reads it: through its view. */
static enum bul_event on_pba(const struct mh_msg *m, uint64_t now)
{
	struct pba_view v;

	assert_int_equal(pba_view_build(&v, m), 0);
	return bul_on_pba(&ctx, &e, &v, now);
}

static void test_first_pbu_fields(void **state)
{
	(void)state;
	const struct mh_opt *o;
	struct in6_addr ll = a6("fe80::1"), zero = IN6ADDR_ANY_INIT;

	e.n_flow_req = 1;
	e.flow_req[0].fid = 7;
	e.flow_req[0].priority = 10;
	e.flow_req[0].selector.format = TS_FMT_IPV6;
	e.flow_req[0].selector.f[TS_NEXT_HEADER].n = TS_EXACT;
	e.flow_req[0].selector.f[TS_NEXT_HEADER].num[0] = 17;

	assert_int_equal(bul_start(&ctx, &e, 0), 0);
	assert_int_equal(ncap, 1);
	assert_int_equal(e.state, BUL_REGISTERING);
	const struct mh_msg *m = &cap[0];
	assert_int_equal(m->kind, MH_PBU);
	assert_int_equal(m->seq, 100);
	assert_int_equal(m->flags, MH_PBU_A | MH_PBU_P);
	assert_int_equal(m->lifetime, 3600);
	/* options in RFC 5213 order, each exactly once */
	assert_int_equal(m->opts[0].type, MH_OPT_MN_ID);
	assert_int_equal(m->opts[0].mn_id.subtype, 1);
	assert_int_equal(m->opts[0].mn_id.len, 15);
	assert_memory_equal(m->opts[0].mn_id.id, "mn1@example.net", 15);
	o = mh_opt_find(m, MH_OPT_HNP, 0);
	assert_non_null(o);
	assert_int_equal(o->hnp.plen, 0);
	assert_memory_equal(&o->hnp.prefix, &zero, 16);
	assert_null(mh_opt_find(m, MH_OPT_HNP, 1));
	assert_int_equal(mh_opt_find(m, MH_OPT_HI, 0)->hi, MH_HI_NEW_IFACE);
	assert_int_equal(mh_opt_find(m, MH_OPT_ATT, 0)->att, 4);
	o = mh_opt_find(m, MH_OPT_TIMESTAMP, 0);
	assert_int_equal(o->timestamp.seconds, 1700000000);
	assert_int_equal(o->timestamp.fraction, 0x8000);
	assert_memory_equal(&mh_opt_find(m, MH_OPT_LLA, 0)->lla, &ll, 16);
	o = mh_opt_find(m, MH_OPT_LL_ID, 0);
	assert_int_equal(o->ll_id.len, 6);
	assert_memory_equal(o->ll_id.id, MAC, 6);
	assert_null(mh_opt_find(m, MH_OPT_BID, 0));
	o = mh_opt_find(m, MH_OPT_FLOW_ID, 0);
	assert_non_null(o);
	assert_int_equal(o->flow_id.fid, 7);
	assert_int_equal(o->flow_id.priority, 10);
	assert_true(o->flow_id.has_ts);
	assert_int_equal(o->flow_id.ts.f[TS_NEXT_HEADER].num[0], 17);
	/* starting again while registering sends nothing */
	assert_int_equal(bul_start(&ctx, &e, 10), 0);
	assert_int_equal(ncap, 1);
}

static void test_retransmission_schedule(void **state)
{
	(void)state;
	/* 1.5 s, doubling, capped at 32 s */
	static const uint64_t at[] = {1500, 4500, 10500, 22500, 46500, 78500, 110500, 142500};

	bul_start(&ctx, &e, 0);
	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		assert_int_equal(bul_deadline(&e), at[i]);
		tick(at[i] - 1);
		assert_int_equal(ncap, i + 1);
		tick(at[i]);
		assert_int_equal(ncap, i + 2);
		/* every retransmission carries a new sequence number */
		assert_int_equal(cap[i + 1].seq, 100 + i + 1);
		assert_int_equal(cap[i + 1].lifetime, 3600);
	}
	assert_int_equal(e.state, BUL_REGISTERING);
}

static void test_accept_then_refresh(void **state)
{
	(void)state;
	struct mh_msg m;
	const struct mh_opt *o;

	bul_start(&ctx, &e, 0);
	pba(&m, PBA_ACCEPTED, 100, 1000, "fd00:100::", "fd00:100:0:5::", 3);
	assert_int_equal(on_pba(&m, 200), BUL_EV_REGISTERED);
	assert_int_equal(e.state, BUL_REGISTERED);
	assert_int_equal(e.bid, 3);
	assert_int_equal(e.n_prefixes, 2);
	assert_int_equal(e.lifetime_s, 1000);
	/* a duplicate is ignored */
	assert_int_equal(on_pba(&m, 300), BUL_EV_NONE);
	/* refresh at 80 % of the lifetime, with the assigned set and the BID */
	assert_int_equal(bul_deadline(&e), 200 + 800000);
	tick(200 + 799999);
	assert_int_equal(ncap, 1);
	tick(200 + 800000);
	assert_int_equal(ncap, 2);
	assert_int_equal(cap[1].seq, 101);
	assert_int_equal(mh_opt_find(&cap[1], MH_OPT_HNP, 0)->hnp.plen, 64);
	assert_memory_equal(&mh_opt_find(&cap[1], MH_OPT_HNP, 1)->hnp.prefix, &e.prefixes[1].addr,
			    16);
	assert_null(mh_opt_find(&cap[1], MH_OPT_HNP, 2));
	o = mh_opt_find(&cap[1], MH_OPT_BID, 0);
	assert_non_null(o);
	assert_int_equal(o->bid.bid, 3);
	assert_int_equal(mh_opt_find(&cap[1], MH_OPT_HI, 0)->hi, MH_HI_NOT_CHANGED);
	/* still registered while the refresh is outstanding */
	assert_int_equal(e.state, BUL_REGISTERED);
	/* no answer: retransmitted, then the binding expires */
	tick(200 + 800000 + 1500);
	assert_int_equal(ncap, 3);
	assert_int_equal(tick(200 + 1000000), BUL_EV_EXPIRED);
	assert_int_equal(e.state, BUL_IDLE);
	assert_int_equal(e.n_prefixes, 0);
}

static void test_stale_and_late_pba(void **state)
{
	(void)state;
	struct mh_msg m;

	bul_start(&ctx, &e, 0);
	tick(1500); /* seq 101 */
	tick(4500); /* seq 102 */
	/* an answer to a sequence number we never sent is ignored */
	pba(&m, PBA_ACCEPTED, 99, 1000, "fd00:100::", NULL, 1);
	assert_int_equal(on_pba(&m, 5000), BUL_EV_NONE);
	pba(&m, PBA_ACCEPTED, 103, 1000, "fd00:100::", NULL, 1);
	assert_int_equal(on_pba(&m, 5000), BUL_EV_NONE);
	/* a late answer to the first transmission of this exchange is good */
	pba(&m, PBA_ACCEPTED, 100, 1000, "fd00:100::", NULL, 1);
	assert_int_equal(on_pba(&m, 5000), BUL_EV_REGISTERED);
}

static void test_seq_out_of_window(void **state)
{
	(void)state;
	struct mh_msg m;

	bul_start(&ctx, &e, 0);
	pba(&m, PBA_SEQ_OUT_OF_WINDOW, 5000, 0, NULL, NULL, 0);
	assert_int_equal(on_pba(&m, 10), BUL_EV_NONE);
	assert_int_equal(ncap, 2);
	assert_int_equal(cap[1].seq, 5001);
	assert_int_equal(e.state, BUL_REGISTERING);
	pba(&m, PBA_ACCEPTED, 5001, 1000, "fd00:100::", NULL, 1);
	assert_int_equal(on_pba(&m, 20), BUL_EV_REGISTERED);
}

static void test_reject_backs_off(void **state)
{
	(void)state;
	struct mh_msg m;
	static const uint8_t statuses[] = {PBA_UNSPECIFIED,
					   PBA_ADMIN_PROHIBITED,
					   PBA_INSUFFICIENT_RESOURCES,
					   PBA_PROXY_REG_NOT_ENABLED,
					   PBA_NOT_LMA_FOR_MN,
					   PBA_MAG_NOT_AUTHORIZED,
					   PBA_NOT_AUTHORIZED_FOR_HNP,
					   PBA_MISSING_HNP,
					   PBA_MISSING_MN_ID,
					   PBA_MISSING_HI,
					   PBA_MISSING_ATT};

	for (unsigned i = 0; i < sizeof(statuses); i++) {
		setup(NULL);
		bul_start(&ctx, &e, 0);
		pba(&m, statuses[i], 100, 0, NULL, NULL, 0);
		assert_int_equal(on_pba(&m, 10), BUL_EV_REJECTED);
		assert_int_equal(e.last_status, statuses[i]);
		assert_int_equal(e.state, BUL_REGISTERING);
		/* nothing until the 32 s back-off, then a fresh ::/0 registration */
		assert_int_equal(bul_deadline(&e), 10 + 32000);
		tick(10 + 31999);
		assert_int_equal(ncap, 1);
		tick(10 + 32000);
		assert_int_equal(ncap, 2);
		assert_int_equal(mh_opt_find(&cap[1], MH_OPT_HNP, 0)->hnp.plen, 0);
		assert_int_equal(mh_opt_find(&cap[1], MH_OPT_HI, 0)->hi, MH_HI_NEW_IFACE);
		assert_int_equal(bul_deadline(&e), 10 + 32000 + 1500);
	}
}

static void test_timestamp_and_prefix_mismatch(void **state)
{
	(void)state;
	struct mh_msg m;

	bul_start(&ctx, &e, 0);
	/* 157: keep the back-off schedule */
	pba(&m, PBA_TIMESTAMP_LOWER, 100, 0, NULL, NULL, 0);
	assert_int_equal(on_pba(&m, 10), BUL_EV_NONE);
	assert_int_equal(ncap, 1);
	assert_int_equal(bul_deadline(&e), 1500);
	/* registered, then 159 on an update: start over from ::/0 at once */
	pba(&m, PBA_ACCEPTED, 100, 1000, "fd00:100::", NULL, 2);
	assert_int_equal(on_pba(&m, 20), BUL_EV_REGISTERED);
	assert_int_equal(bul_update(&ctx, &e, NULL, 0, 30), 0);
	assert_int_equal(ncap, 2);
	pba(&m, PBA_BCE_PBU_PREFIX_MISMATCH, 101, 0, NULL, NULL, 0);
	assert_int_equal(on_pba(&m, 40), BUL_EV_NONE);
	assert_int_equal(ncap, 3);
	assert_int_equal(mh_opt_find(&cap[2], MH_OPT_HNP, 0)->hnp.plen, 0);
}

static void test_update_with_new_set(void **state)
{
	(void)state;
	struct mh_msg m;
	struct fm_prefix set[2] = {{a6("fd00:100::"), 64}, {a6("fd00:100:0:9::"), 64}};

	bul_start(&ctx, &e, 0);
	pba(&m, PBA_ACCEPTED, 100, 1000, "fd00:100::", NULL, 2);
	on_pba(&m, 10);
	assert_int_equal(bul_update(&ctx, &e, set, 2, 20), 0);
	assert_int_equal(ncap, 2);
	assert_memory_equal(&mh_opt_find(&cap[1], MH_OPT_HNP, 1)->hnp.prefix, &set[1].addr, 16);
	/* no flow requests after the first accepted registration */
	assert_null(mh_opt_find(&cap[1], MH_OPT_FLOW_ID, 0));
	pba(&m, PBA_ACCEPTED, 101, 1000, "fd00:100:0:9::", NULL, 2);
	assert_int_equal(on_pba(&m, 30), BUL_EV_REGISTERED);
	assert_int_equal(e.n_prefixes, 1);
	assert_false(e.pending_set);
}

static void test_deregistration(void **state)
{
	(void)state;
	struct mh_msg m;

	bul_start(&ctx, &e, 0);
	pba(&m, PBA_ACCEPTED, 100, 1000, "fd00:100::", NULL, 2);
	on_pba(&m, 10);
	assert_int_equal(bul_stop(&ctx, &e, 20), 0);
	assert_int_equal(e.state, BUL_DEREGISTERING);
	assert_int_equal(ncap, 2);
	assert_int_equal(cap[1].lifetime, 0);
	assert_int_equal(mh_opt_find(&cap[1], MH_OPT_HNP, 0)->hnp.plen, 64);
	assert_int_equal(mh_opt_find(&cap[1], MH_OPT_BID, 0)->bid.bid, 2);
	pba(&m, PBA_ACCEPTED, 101, 0, NULL, NULL, 0);
	assert_int_equal(on_pba(&m, 30), BUL_EV_DEREGISTERED);
	assert_int_equal(e.state, BUL_IDLE);
	assert_int_equal(bul_deadline(&e), BUL_NO_DEADLINE);

	/* unanswered de-registration: retransmitted up to the 32 s step, then 8 more
	 * tries at that step (a lossy path must not leave the LMA a binding the MAG
	 * forgot) while the binding lives; then it is given up */
	setup(NULL);
	bul_start(&ctx, &e, 0);
	pba(&m, PBA_ACCEPTED, 100, 1000, "fd00:100::", NULL, 2);
	on_pba(&m, 0);
	bul_stop(&ctx, &e, 0);
	enum bul_event ev = BUL_EV_NONE;
	uint64_t t = 0;
	int guard = 0;
	while (ev == BUL_EV_NONE && guard++ < 40) {
		t = bul_deadline(&e);
		ev = tick(t);
	}
	assert_int_equal(ev, BUL_EV_DEREGISTERED);
	/* 1.5 + 3 + 6 + 12 + 24 + 32 s: five retransmissions, then 8 × 32 s */
	assert_int_equal(t, 78500 + 8 * 32000);
	assert_int_equal(ncap, 2 + 5 + 8);
	assert_int_equal(e.state, BUL_IDLE);
	assert_int_equal(bul_deadline(&e), BUL_NO_DEADLINE);
	for (int i = 1; i < ncap; i++)
		assert_int_equal(cap[i].lifetime, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_first_pbu_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retransmission_schedule, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_accept_then_refresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_and_late_pba, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seq_out_of_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reject_backs_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timestamp_and_prefix_mismatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_with_new_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deregistration, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
