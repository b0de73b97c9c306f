// SPDX-License-Identifier: GPL-2.0
/*
 * test_bce.c — the LMA binding cache: MN index allocation, BIDs per MN (lowest
 * free, reused per access technology), prefix holders and the /64 prefix pool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lma/bce.h"

static struct in6_addr A(const char *s) {
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct fm_prefix
P(const char *s) {
	struct fm_prefix p;

	assert_int_equal(fm_prefix_parse(s, &p), 0);
	return p;
}

static void
assert_prefix(const struct fm_prefix *p, const char *want)
{
	char b[64];

	fm_prefix_fmt(p, b, sizeof(b));
	assert_string_equal(b, want);
}

static void test_pool_alloc_order_and_reuse(void **st)
{
	struct bce c;
	struct in6_addr pool = A("fd00:100::");
	struct fm_prefix p1, p2, p3;

	(void)st;
	assert_int_equal(bce_init(&c, &pool, 48), 0);
	assert_int_equal(bce_pool_alloc(&c, &p1), 0);
	assert_prefix(&p1, "fd00:100::/64");
	assert_int_equal(bce_pool_alloc(&c, &p2), 0);
	assert_prefix(&p2, "fd00:100:0:1::/64");
	assert_int_equal(c.pool_used, 2);
	bce_pool_free(&c, &p1);
	assert_int_equal(c.pool_used, 1);
	assert_int_equal(bce_pool_alloc(&c, &p3), 0);
	assert_prefix(&p3, "fd00:100::/64"); /* lowest free again */
	/* take: restore after a restart */
	assert_int_equal(
	    bce_pool_take(&c, &(struct fm_prefix){.addr = A("fd00:100:0:ff::"), .plen = 64}), 0);
	assert_int_equal(
	    bce_pool_take(&c, &(struct fm_prefix){.addr = A("fd00:100:0:ff::"), .plen = 64}),
	    -EEXIST);
	assert_int_equal(
	    bce_pool_take(&c, &(struct fm_prefix){.addr = A("fd00:200::"), .plen = 64}), -ERANGE);
	assert_false(
	    bce_pool_contains(&c, &(struct fm_prefix){.addr = A("fd00:100::"), .plen = 56}));
	assert_false(
	    bce_pool_contains(&c, &(struct fm_prefix){.addr = A("fd00:100::1"), .plen = 64}));
	assert_true(
	    bce_pool_contains(&c, &(struct fm_prefix){.addr = A("fd00:100:0:ffff::"), .plen = 64}));
	bce_destroy(&c);
}

static void test_pool_exhaustion(void **st)
{
	struct bce c;
	struct in6_addr pool = A("fd00:100:0:4::"); /* a /62: four /64s */
	struct fm_prefix p;

	(void)st;
	assert_int_equal(bce_init(&c, &pool, 62), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(bce_pool_alloc(&c, &p), 0);
	assert_prefix(&p, "fd00:100:0:7::/64");
	assert_int_equal(bce_pool_alloc(&c, &p), -ENOSPC);
	bce_pool_free(&c, &(struct fm_prefix){.addr = A("fd00:100:0:5::"), .plen = 64});
	assert_int_equal(bce_pool_alloc(&c, &p), 0);
	assert_prefix(&p, "fd00:100:0:5::/64");
	bce_destroy(&c);
}

static void test_mn_index(void **st)
{
	struct bce c;
	struct in6_addr pool = A("fd00:100::");
	struct bce_mn *a, *b, *d;
	char longnai[FM_NAI_MAX + 2];

	(void)st;
	assert_int_equal(bce_init(&c, &pool, 48), 0);
	a = bce_mn_add(&c, "mn1@example.net", 0);
	b = bce_mn_add(&c, "mn2@example.net", 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->index, 1);
	assert_int_equal(b->index, 2);
	assert_null(bce_mn_add(&c, "mn1@example.net", 0)); /* duplicate NAI */
	assert_ptr_equal(bce_mn_find(&c, "mn2@example.net"), b);
	assert_ptr_equal(bce_mn_by_index(&c, 1), a);
	assert_null(bce_mn_find(&c, "nobody"));
	assert_null(bce_mn_by_index(&c, 0));
	assert_null(bce_mn_add(&c, "", 0));
	memset(longnai, 'x', sizeof(longnai) - 1);
	longnai[sizeof(longnai) - 1] = 0;
	assert_null(bce_mn_add(&c, longnai, 0));
	/* a restored index is honoured, a taken one refused */
	d = bce_mn_add(&c, "mn9@example.net", 9);
	assert_non_null(d);
	assert_int_equal(d->index, 9);
	assert_null(bce_mn_add(&c, "mn10@example.net", 9));
	bce_mn_del(&c, a);
	assert_null(bce_mn_find(&c, "mn1@example.net"));
	assert_null(bce_mn_by_index(&c, 1));
	assert_int_equal(c.n_mns, 2);
	bce_destroy(&c);
}

static void test_bids(void **st)
{
	struct bce c;
	struct in6_addr pool = A("fd00:100::");
	struct bce_mn *mn;
	struct bce_binding *b1, *b2, *b3, *x;

	(void)st;
	assert_int_equal(bce_init(&c, &pool, 48), 0);
	mn = bce_mn_add(&c, "mn1@example.net", 0);
	b1 = bce_binding_add(&c, mn, 4);
	b2 = bce_binding_add(&c, mn, 8);
	b3 = bce_binding_add(&c, mn, 3);
	assert_int_equal(b1->bid, 1);
	assert_int_equal(b2->bid, 2);
	assert_int_equal(b3->bid, 3);
	assert_int_equal(c.n_bindings, 3);
	assert_ptr_equal(bce_binding_find(mn, 2), b2);
	bce_binding_del(&c, b1);
	assert_null(bce_binding_find(mn, 1));
	/* ATT 8's BID 2 is taken: the lowest free BID */
	x = bce_binding_add(&c, mn, 8);
	assert_int_equal(x->bid, 1);
	bce_binding_del(&c, b2);
	/* ATT 4 used BID 1 before, but BID 1 is now ATT 8's: lowest free (2) */
	x = bce_binding_add(&c, mn, 4);
	assert_int_equal(x->bid, 2);
	bce_binding_del(&c, b3);
	/* ATT 3 comes back: it gets its old BID 3 */
	x = bce_binding_add(&c, mn, 3);
	assert_int_equal(x->bid, 3);
	/* bindings stay ordered by BID */
	assert_int_equal(mn->b[0]->bid, 1);
	assert_int_equal(mn->b[1]->bid, 2);
	assert_int_equal(mn->b[2]->bid, 3);
	for (int i = 3; i < BCE_MAX_BINDINGS; i++)
		assert_non_null(bce_binding_add(&c, mn, 1));
	assert_null(bce_binding_add(&c, mn, 1));
	bce_destroy(&c);
}

static void test_prefix_holders(void **st)
{
	struct bce c;
	struct in6_addr pool = A("fd00:100::");
	struct bce_mn *mn;
	struct bce_binding *b1, *b2;
	struct fm_prefix p = P("fd00:100::/64"), q = P("fd00:100:0:1::/64");

	(void)st;
	assert_int_equal(bce_init(&c, &pool, 48), 0);
	mn = bce_mn_add(&c, "mn1@example.net", 0);
	b1 = bce_binding_add(&c, mn, 4);
	b2 = bce_binding_add(&c, mn, 8);
	assert_int_equal(bce_binding_add_prefix(b1, &p), 0);
	assert_int_equal(bce_binding_add_prefix(b1, &p), 0); /* idempotent */
	assert_int_equal(b1->n_pfx, 1);
	assert_int_equal(bce_binding_add_prefix(b2, &p), 0);
	assert_int_equal(bce_binding_add_prefix(b2, &q), 0);
	assert_ptr_equal(bce_prefix_holder(mn, &p), b1);
	b1->state = BCE_PEER_DOWN; /* usable holders first */
	assert_ptr_equal(bce_prefix_holder(mn, &p), b2);
	b2->state = BCE_DEREG;
	assert_ptr_equal(bce_prefix_holder(mn, &p), b1); /* any holder when none usable */
	assert_ptr_equal(bce_prefix_owner(&c, &q), mn);
	assert_true(bce_binding_remove_prefix(b2, &q));
	assert_false(bce_binding_remove_prefix(b2, &q));
	assert_null(bce_prefix_owner(&c, &q));
	assert_string_equal(bce_state_name(BCE_DEREG), "deregistering");
	assert_string_equal(bce_state_name(BCE_PEER_DOWN), "peer-down");
	assert_int_equal(fm_prefix_parse("fd00::/129", &p), -EINVAL);
	assert_int_equal(fm_prefix_parse("fd00::", &p), -EINVAL);
	bce_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_alloc_order_and_reuse),
	    cmocka_unit_test(test_pool_exhaustion),
	    cmocka_unit_test(test_mn_index),
	    cmocka_unit_test(test_bids),
	    cmocka_unit_test(test_prefix_holders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
