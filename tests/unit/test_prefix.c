// SPDX-License-Identifier: GPL-2.0
/*
 * test_prefix.c — the one IPv6 prefix type (agent/core/prefix.c): equality, lookup in
 * a set, and the "ADDR/LEN" text form both ways, strict about what it accepts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "core/prefix.h"

static struct fm_prefix P(const char *a, uint8_t plen) {
	struct fm_prefix p = {.plen = plen};

	assert_int_equal(inet_pton(AF_INET6, a, &p.addr), 1);
	return p;
}

static void
test_eq_index(void **state)
{
	struct fm_prefix set[3] = {P("fd00:100::", 64), P("fd00:100:0:1::", 64), P("fd00::", 48)};
	struct fm_prefix q = P("fd00:100:0:1::", 64), r = P("fd00:100:0:1::", 56);

	(void)state;
	assert_true(fm_prefix_eq(&set[1], &q));
	assert_false(fm_prefix_eq(&set[1], &r)); /* same address, other length */
	assert_int_equal(fm_prefix_index(set, 3, &q), 1);
	assert_int_equal(fm_prefix_index(set, 3, &r), -1);
	assert_int_equal(fm_prefix_index(set, 1, &q), -1);
	assert_int_equal(fm_prefix_index(set, 0, &set[0]), -1);
}

static void test_text(void **state)
{
	char buf[FM_PREFIX_STRLEN];
	struct fm_prefix p, q = P("fd00:100:0:5::", 64);
	static const char *const bad[] = {
	    "fd00::",	  "fd00::/", "fd00::/129", "fd00::/-1",	 "fd00::/64x",
	    "fd00::/ 64", "zz::/64", "/64",	   "10.0.0.0/8", ""};

	(void)state;
	assert_int_equal(fm_prefix_fmt(&q, buf, sizeof(buf)), (int)strlen("fd00:100:0:5::/64"));
	assert_string_equal(buf, "fd00:100:0:5::/64");
	assert_int_equal(fm_prefix_parse(buf, &p), 0);
	assert_true(fm_prefix_eq(&p, &q));
	assert_int_equal(fm_prefix_parse("::/0", &p), 0);
	assert_int_equal(p.plen, 0);
	assert_int_equal(fm_prefix_parse("fd00::1/128", &p), 0);
	assert_int_equal(p.plen, 128);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fm_prefix_parse(bad[i], &p) == 0)
			fail_msg("'%s' parsed as a prefix", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eq_index),
	    cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
