// SPDX-License-Identifier: GPL-2.0
/*
 * test_fmc.c — the flow mobility cache (seed §5.2): FID uniqueness, resolution of
 * entries against bindings (active/inactive, first usable BID, ATT placement) and
 * the ordered rule set handed to the data plane.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lma/fmc.h"

static struct fmc_flow flow(uint16_t fid, uint16_t pri, uint16_t bid)
{
	struct fmc_flow f;

	memset(&f, 0, sizeof(f));
	f.fid = fid;
	f.priority = pri;
	f.origin = FMC_CTL;
	f.ts.format = TS_FMT_IPV6;
	f.ts.f[TS_NEXT_HEADER].n = TS_EXACT;
	f.ts.f[TS_NEXT_HEADER].num[0] = 17;
	if (bid) {
		f.n_bids = 1;
		f.bids[0] = bid;
	}
	return f;
}

static void test_add_find_del(void **st)
{
	static struct fmc c;
	struct fmc_flow f = flow(2, 10, 1);

	(void)st;
	fmc_init(&c);
	assert_int_equal(fmc_add(&c, &f), 0);
	assert_int_equal(fmc_add(&c, &f), -EEXIST);
	f.fid = 4;
	f.action = 7;
	assert_int_equal(fmc_add(&c, &f), -EINVAL);
	f.action = FM_DP_DROP;
	assert_int_equal(fmc_add(&c, &f), 0);
	assert_non_null(fmc_find(&c, 2));
	assert_int_equal(fmc_find(&c, 4)->action, FM_DP_DROP);
	assert_int_equal(fmc_del(&c, 2), 0);
	assert_int_equal(fmc_del(&c, 2), -ENOENT);
	assert_null(fmc_find(&c, 2));
	assert_int_equal(fmc_find(&c, 4)->fid, 4);
	for (unsigned i = 100; c.n < FMC_MAX_FLOWS; i++) {
		f.fid = (uint16_t)i;
		assert_int_equal(fmc_add(&c, &f), 0);
	}
	f.fid = 9999;
	assert_int_equal(fmc_add(&c, &f), -ENOSPC);
	assert_string_equal(fmc_action_name(FM_DP_DROP), "drop");
	assert_string_equal(fmc_action_name(FM_DP_FORWARD), "forward");
	fmc_free(&c);
}

/* Figure 8: FID 2 on BID 1 active; FID 4 on BIDs 1,2 inactive only when both are gone. */
static void test_active_inactive(void **st)
{
	static struct fmc c;
	struct fmc_flow f2 = flow(2, 10, 1), f4 = flow(4, 20, 1);
	struct fmc_bview b[2] = {{.bid = 1, .att = 4, .usable = true},
				 {.bid = 2, .att = 8, .usable = true}};
	bool ch[FMC_MAX_FLOWS];

	(void)st;
	fmc_init(&c);
	f4.n_bids = 2;
	f4.bids[1] = 2;
	fmc_add(&c, &f2);
	fmc_add(&c, &f4);
	assert_int_equal(fmc_resolve(&c, b, 2, ch), 2);
	assert_true(fmc_find(&c, 2)->active);
	assert_int_equal(fmc_find(&c, 2)->dp_bid, 1);
	assert_int_equal(fmc_find(&c, 4)->dp_bid, 1);
	/* nothing changed: nothing reported */
	assert_int_equal(fmc_resolve(&c, b, 2, ch), 0);
	/* BID 1 de-registered: FID 2 inactive, FID 4 falls to BID 2 */
	b[0].usable = false;
	assert_int_equal(fmc_resolve(&c, b, 2, ch), 2);
	assert_true(ch[0] && ch[1]);
	assert_false(fmc_find(&c, 2)->active);
	assert_int_equal(fmc_find(&c, 2)->dp_bid, 0);
	assert_true(fmc_find(&c, 4)->active);
	assert_int_equal(fmc_find(&c, 4)->dp_bid, 2);
	/* both gone (no bindings at all): both inactive, BIDs kept */
	assert_int_equal(fmc_resolve(&c, b, 0, ch), 1);
	assert_false(fmc_find(&c, 4)->active);
	assert_int_equal(fmc_find(&c, 4)->n_bids, 2);
	/* a binding for BID 1 returns: both active again */
	b[0].usable = true;
	assert_int_equal(fmc_resolve(&c, b, 1, ch), 2);
	assert_true(fmc_find(&c, 2)->active);
	assert_true(fmc_find(&c, 4)->active);
	assert_int_equal(fmc_find(&c, 4)->dp_bid, 1);
	fmc_free(&c);
}

static void test_att_placement(void **st)
{
	static struct fmc c;
	struct fmc_flow f = flow(1, 10, 0);
	struct fmc_bview b[3] = {{.bid = 1, .att = 4, .usable = true},
				 {.bid = 2, .att = 8, .usable = true},
				 {.bid = 3, .att = 8, .usable = false}};

	(void)st;
	fmc_init(&c);
	f.origin = FMC_POLICY;
	f.n_att = 2;
	f.att[0] = 8; /* prefer E-UTRAN, then WLAN */
	f.att[1] = 4;
	fmc_add(&c, &f);
	/* no binding yet: inactive, no BIDs */
	fmc_resolve(&c, b, 0, NULL);
	assert_false(fmc_find(&c, 1)->active);
	assert_int_equal(fmc_find(&c, 1)->n_bids, 0);
	fmc_resolve(&c, b, 1, NULL);
	assert_int_equal(fmc_find(&c, 1)->n_bids, 1);
	assert_int_equal(fmc_find(&c, 1)->dp_bid, 1);
	fmc_resolve(&c, b, 3, NULL);
	assert_int_equal(fmc_find(&c, 1)->n_bids, 3);
	assert_int_equal(fmc_find(&c, 1)->bids[0], 2);
	assert_int_equal(fmc_find(&c, 1)->bids[1], 3);
	assert_int_equal(fmc_find(&c, 1)->bids[2], 1);
	assert_int_equal(fmc_find(&c, 1)->dp_bid, 2);
	b[1].usable = false; /* ATT 8 bindings both down: WLAN */
	fmc_resolve(&c, b, 3, NULL);
	assert_int_equal(fmc_find(&c, 1)->dp_bid, 1);
	fmc_free(&c);
}

static void test_rules_order_and_fields(void **st)
{
	static struct fmc c;
	struct fmc_flow a = flow(7, 30, 1), b = flow(3, 10, 2), d = flow(5, 10, 9);
	struct fmc_bview v[2] = {{.bid = 1, .att = 4, .usable = true},
				 {.bid = 2, .att = 8, .usable = true}};
	struct fm_dp_rule r[FMC_MAX_FLOWS];
	unsigned n;

	(void)st;
	fmc_init(&c);
	d.action = FM_DP_DROP;
	fmc_add(&c, &a);
	fmc_add(&c, &b);
	fmc_add(&c, &d);
	fmc_resolve(&c, v, 2, NULL);
	n = fmc_to_rules(&c, r, FMC_MAX_FLOWS);
	assert_int_equal(n, 3);
	/* FID-PRI first, then FID */
	assert_int_equal(r[0].fid, 3);
	assert_int_equal(r[1].fid, 5);
	assert_int_equal(r[2].fid, 7);
	assert_int_equal(r[0].priority, 10);
	assert_int_equal(r[0].bid, 2);
	assert_true(r[0].active);
	assert_int_equal(r[1].action, FM_DP_DROP);
	assert_false(r[1].active); /* BID 9 does not exist */
	assert_int_equal(r[1].bid, 0);
	assert_int_equal(r[2].bid, 1);
	assert_int_equal(r[2].ts.f[TS_NEXT_HEADER].num[0], 17);
	assert_int_equal(r[2].n_att, 0);
	/* a drop entry without BIDs is always active */
	{
		struct fmc_flow x = flow(11, 1, 0);

		x.action = FM_DP_DROP;
		fmc_add(&c, &x);
		fmc_resolve(&c, v, 0, NULL);
		assert_true(fmc_find(&c, 11)->active);
		assert_int_equal(fmc_find(&c, 11)->dp_bid, 0);
		assert_false(fmc_find(&c, 7)->active);
	}
	assert_int_equal(fmc_to_rules(&c, r, 2), 2);
	fmc_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_find_del),
	    cmocka_unit_test(test_active_inactive),
	    cmocka_unit_test(test_att_placement),
	    cmocka_unit_test(test_rules_order_and_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
