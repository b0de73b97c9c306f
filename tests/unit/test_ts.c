// SPDX-License-Identifier: GPL-2.0
/*
 * test_ts.c — unit tests of the traffic selector helpers (agent/mh/ts.c): names,
 * maxima, validation, equality and the CLI text form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "mh/ts.h"

static void test_names(void **state)
{
	(void)state;
	static const char *const v6[] = {"src_addr", "dst_addr", "spi", "flow_label",
					 "src_port", "dst_port", "tc",	"next_header"};
	static const char *const c6[] = {"src-addr", "dst-addr", "spi", "flow-label",
					 "src-port", "dst-port", "tc",	"next-header"};

	for (int f = 0; f < TS_NFIELDS; f++) {
		assert_string_equal(ts_field_name(f, TS_FMT_IPV6), v6[f]);
		assert_string_equal(ts_field_cli_name(f, TS_FMT_IPV6), c6[f]);
	}
	assert_string_equal(ts_field_name(TS_TC, TS_FMT_IPV4), "tos");
	assert_string_equal(ts_field_name(TS_NEXT_HEADER, TS_FMT_IPV4), "protocol");
	assert_string_equal(ts_field_cli_name(TS_TC, TS_FMT_IPV4), "tos");
	assert_string_equal(ts_field_cli_name(TS_NEXT_HEADER, TS_FMT_IPV4), "protocol");
	assert_string_equal(ts_field_name(TS_SRC_PORT, TS_FMT_IPV4), "src_port");
}

static void test_max(void **state)
{
	(void)state;
	assert_int_equal(ts_field_max(TS_FLOW_LABEL), 0xfffff);
	assert_int_equal(ts_field_max(TS_SPI), 0xffffffffu);
	assert_int_equal(ts_field_max(TS_SRC_PORT), 0xffff);
	assert_int_equal(ts_field_max(TS_DST_PORT), 0xffff);
	assert_int_equal(ts_field_max(TS_TC), 0xff);
	assert_int_equal(ts_field_max(TS_NEXT_HEADER), 0xff);
}

static void test_valid(void **state)
{
	(void)state;
	struct fm_ts ts = {.format = TS_FMT_IPV6};
	char err[128];

	assert_true(ts_valid(&ts, err, sizeof(err))); /* empty selector matches all */
	ts.f[TS_DST_PORT].n = TS_RANGE;
	ts.f[TS_DST_PORT].num[0] = 6000;
	ts.f[TS_DST_PORT].num[1] = 5000;
	assert_false(ts_valid(&ts, err, sizeof(err)));
	assert_non_null(strstr(err, "dst_port"));
	ts.f[TS_DST_PORT].num[1] = 6000;
	assert_true(ts_valid(&ts, err, sizeof(err)));
	ts.f[TS_DST_PORT].num[1] = 70000;
	assert_false(ts_valid(&ts, err, sizeof(err)));
	ts.f[TS_DST_PORT].n = TS_ABSENT;
	ts.f[TS_FLOW_LABEL].n = TS_EXACT;
	ts.f[TS_FLOW_LABEL].num[0] = 0x100000;
	assert_false(ts_valid(&ts, err, sizeof(err)));
	ts.f[TS_FLOW_LABEL].num[0] = 0xfffff;
	assert_true(ts_valid(&ts, err, sizeof(err)));
	/* IPv4: no flow label, addresses IPv4-mapped */
	ts.format = TS_FMT_IPV4;
	assert_false(ts_valid(&ts, err, sizeof(err)));
	assert_non_null(strstr(err, "flow_label"));
	ts.f[TS_FLOW_LABEL].n = TS_ABSENT;
	ts.f[TS_SRC_ADDR].n = TS_EXACT;
	inet_pton(AF_INET6, "fd00::1", &ts.f[TS_SRC_ADDR].addr[0]);
	assert_false(ts_valid(&ts, err, sizeof(err)));
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &ts.f[TS_SRC_ADDR].addr[0]);
	assert_true(ts_valid(&ts, err, sizeof(err)));
	/* address range order */
	ts.f[TS_SRC_ADDR].n = TS_RANGE;
	inet_pton(AF_INET6, "::ffff:10.1.2.2", &ts.f[TS_SRC_ADDR].addr[1]);
	assert_false(ts_valid(&ts, err, sizeof(err)));
	ts.format = 3;
	assert_false(ts_valid(&ts, err, sizeof(err)));
	ts.format = TS_FMT_IPV6;
	ts.f[TS_SRC_ADDR].n = 3;
	assert_false(ts_valid(&ts, err, sizeof(err)));
}

static void test_equal(void **state)
{
	(void)state;
	struct fm_ts a = {.format = TS_FMT_IPV6}, b;

	a.f[TS_NEXT_HEADER].n = TS_EXACT;
	a.f[TS_NEXT_HEADER].num[0] = 17;
	b = a;
	b.f[TS_NEXT_HEADER].num[1] = 99; /* unused end value does not matter */
	assert_true(ts_equal(&a, &b));
	b.f[TS_NEXT_HEADER].n = TS_RANGE;
	assert_false(ts_equal(&a, &b));
	b = a;
	b.format = TS_FMT_IPV4;
	assert_false(ts_equal(&a, &b));
	b = a;
	b.f[TS_SRC_ADDR].n = TS_EXACT;
	assert_false(ts_equal(&a, &b));
	a.f[TS_SRC_ADDR].n = TS_EXACT;
	inet_pton(AF_INET6, "fd00::1", &a.f[TS_SRC_ADDR].addr[0]);
	b = a;
	assert_true(ts_equal(&a, &b));
	b.f[TS_SRC_ADDR].addr[0].s6_addr[15] = 2;
	assert_false(ts_equal(&a, &b));
}

static void check_cli(const char *in, enum ts_format fmt, const char *canon)
{
	struct fm_ts ts, again;
	char err[128], out[512];

	if (ts_parse_cli(in, fmt, &ts, err, sizeof(err)))
		fail_msg("'%s' refused: %s", in, err);
	assert_true(ts_format_cli(&ts, out, sizeof(out)) >= 0);
	assert_string_equal(out, canon);
	assert_int_equal(ts_parse_cli(out, fmt, &again, err, sizeof(err)), 0);
	assert_true(ts_equal(&ts, &again));
}

static void test_cli_parse(void **state)
{
	(void)state;
	struct fm_ts ts;
	char err[128];

	assert_int_equal(
	    ts_parse_cli("next-header 17 dst-port 5000-5999", TS_FMT_IPV6, &ts, err, sizeof(err)),
	    0);
	assert_int_equal(ts.format, TS_FMT_IPV6);
	assert_int_equal(ts.f[TS_NEXT_HEADER].n, TS_EXACT);
	assert_int_equal(ts.f[TS_NEXT_HEADER].num[0], 17);
	assert_int_equal(ts.f[TS_DST_PORT].n, TS_RANGE);
	assert_int_equal(ts.f[TS_DST_PORT].num[0], 5000);
	assert_int_equal(ts.f[TS_DST_PORT].num[1], 5999);
	assert_int_equal(ts.f[TS_SRC_PORT].n, TS_ABSENT);

	/* prefixes become ranges */
	assert_int_equal(ts_parse_cli("src-addr fd00:100::/64", TS_FMT_IPV6, &ts, err, sizeof(err)),
			 0);
	assert_int_equal(ts.f[TS_SRC_ADDR].n, TS_RANGE);
	assert_int_equal(ts.f[TS_SRC_ADDR].addr[0].s6_addr[8], 0);
	assert_int_equal(ts.f[TS_SRC_ADDR].addr[1].s6_addr[8], 0xff);
	assert_int_equal(ts.f[TS_SRC_ADDR].addr[1].s6_addr[7], 0);
	/* host bits in the prefix are cleared in the start */
	assert_int_equal(ts_parse_cli("dst-addr fd00::1:2/112", TS_FMT_IPV6, &ts, err, sizeof(err)),
			 0);
	assert_int_equal(ts.f[TS_DST_ADDR].addr[0].s6_addr[15], 0);
	assert_int_equal(ts.f[TS_DST_ADDR].addr[0].s6_addr[13], 1);
	assert_int_equal(ts.f[TS_DST_ADDR].addr[1].s6_addr[15], 0xff);
	/* underscores accepted too, hex SPI */
	assert_int_equal(
	    ts_parse_cli("flow_label 0xfffff spi 0x10", TS_FMT_IPV6, &ts, err, sizeof(err)), 0);
	assert_int_equal(ts.f[TS_FLOW_LABEL].num[0], 0xfffff);
	assert_int_equal(ts.f[TS_SPI].num[0], 16);
	/* IPv4 */
	assert_int_equal(ts_parse_cli("src-addr 10.0.0.0/8 protocol 6 tos 0-63", TS_FMT_IPV4, &ts,
				      err, sizeof(err)),
			 0);
	assert_int_equal(ts.format, TS_FMT_IPV4);
	assert_int_equal(ts.f[TS_SRC_ADDR].addr[0].s6_addr[10], 0xff);
	assert_int_equal(ts.f[TS_SRC_ADDR].addr[0].s6_addr[12], 10);
	assert_int_equal(ts.f[TS_SRC_ADDR].addr[1].s6_addr[15], 0xff);
	assert_int_equal(ts.f[TS_NEXT_HEADER].num[0], 6);
	assert_int_equal(ts.f[TS_TC].num[1], 63);
	/* empty selector */
	assert_int_equal(ts_parse_cli("", TS_FMT_IPV6, &ts, err, sizeof(err)), 0);
}

static void expect_cli_error(const char *in, enum ts_format fmt, const char *needle)
{
	struct fm_ts ts;
	char err[128] = "";

	if (ts_parse_cli(in, fmt, &ts, err, sizeof(err)) == 0)
		fail_msg("'%s' accepted", in);
	if (!strstr(err, needle))
		fail_msg("'%s': error '%s' does not mention '%s'", in, err, needle);
}

static void test_cli_errors(void **state)
{
	(void)state;
	expect_cli_error("dst-port", TS_FMT_IPV6, "no value");
	expect_cli_error("color red", TS_FMT_IPV6, "unknown selector field 'color'");
	expect_cli_error("dst-port 70000", TS_FMT_IPV6, "dst-port");
	expect_cli_error("dst-port 6000-5000", TS_FMT_IPV6, "range start");
	expect_cli_error("dst-port 1-", TS_FMT_IPV6, "dst-port");
	expect_cli_error("dst-port -1", TS_FMT_IPV6, "dst-port");
	expect_cli_error("dst-port 5x", TS_FMT_IPV6, "dst-port");
	expect_cli_error("dst-port 1 dst-port 2", TS_FMT_IPV6, "twice");
	expect_cli_error("next-header 256", TS_FMT_IPV6, "next-header");
	expect_cli_error("flow-label 1048576", TS_FMT_IPV6, "flow-label");
	expect_cli_error("flow-label 1", TS_FMT_IPV4, "unknown selector field 'flow-label'");
	expect_cli_error("src-addr 10.0.0.1", TS_FMT_IPV6, "src-addr");
	expect_cli_error("src-addr fd00::1", TS_FMT_IPV4, "src-addr");
	expect_cli_error("src-addr fd00::/129", TS_FMT_IPV6, "src-addr");
	expect_cli_error("src-addr fd00::2-fd00::1", TS_FMT_IPV6, "range start");
	expect_cli_error("tc 1", 7, "format");
}

static void test_cli_format(void **state)
{
	(void)state;
	struct fm_ts ts = {.format = TS_FMT_IPV6};
	char small[8];

	check_cli("next-header 17 dst-port 5000-5999", TS_FMT_IPV6,
		  "dst-port 5000-5999 next-header 17");
	check_cli("src-addr fd00:100::/64", TS_FMT_IPV6, "src-addr fd00:100::/64");
	check_cli("src-addr fd00::1-fd00::ff", TS_FMT_IPV6, "src-addr fd00::1-fd00::ff");
	check_cli("src-addr fd00::1/128", TS_FMT_IPV6, "src-addr fd00::1");
	check_cli("src-addr ::/0", TS_FMT_IPV6, "src-addr ::/0");
	check_cli("tc 184 flow-label 5 spi 1-2 src-port 9", TS_FMT_IPV6,
		  "spi 1-2 flow-label 5 src-port 9 tc 184");
	check_cli("dst-addr 192.168.0.0/16 tos 4 protocol 17", TS_FMT_IPV4,
		  "dst-addr 192.168.0.0/16 tos 4 protocol 17");
	check_cli("src-addr 10.0.0.1-10.0.0.7", TS_FMT_IPV4, "src-addr 10.0.0.1-10.0.0.7");
	check_cli("", TS_FMT_IPV6, "");
	/* a range of one address is not a prefix /128 but an explicit range */
	ts.f[TS_SRC_ADDR].n = TS_RANGE;
	inet_pton(AF_INET6, "fd00::5", &ts.f[TS_SRC_ADDR].addr[0]);
	ts.f[TS_SRC_ADDR].addr[1] = ts.f[TS_SRC_ADDR].addr[0];
	{
		char out[128];
		struct fm_ts again;
		char err[64];

		assert_true(ts_format_cli(&ts, out, sizeof(out)) > 0);
		assert_string_equal(out, "src-addr fd00::5-fd00::5");
		assert_int_equal(ts_parse_cli(out, TS_FMT_IPV6, &again, err, sizeof(err)), 0);
		assert_true(ts_equal(&ts, &again));
	}
	assert_int_equal(ts_format_cli(&ts, small, sizeof(small)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),      cmocka_unit_test(test_max),
	    cmocka_unit_test(test_valid),      cmocka_unit_test(test_equal),
	    cmocka_unit_test(test_cli_parse),  cmocka_unit_test(test_cli_errors),
	    cmocka_unit_test(test_cli_format),
	};

	return cmocka_run_group_tests_name("ts", tests, NULL, NULL);
}
