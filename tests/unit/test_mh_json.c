// SPDX-License-Identifier: GPL-2.0
/*
 * test_mh_json.c — unit tests of the JSON form (agent/mh/mh_json.c): every example of
 * docs/mh-json.md parses, maps to the expected struct fields and prints back to the
 * same JSON; errors name the key; selectors via ts_to_json/ts_from_json.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "mh/mh_json.h"

static struct mh_msg msg;

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		fail_msg("test JSON invalid: %s: %s", s, e.text);
	return j;
}

/* s -> struct -> JSON equals s (s is written in the canonical key order). */
static struct mh_msg *round_trip(const char *s)
{
	json_t *in = parse(s), *out;
	char err[256];
	char *dump;

	if (mh_from_json(in, &msg, err, sizeof(err)))
		fail_msg("refused %s: %s", s, err);
	out = mh_to_json(&msg);
	assert_non_null(out);
	if (!json_equal(in, out)) {
		dump = json_dumps(out, JSON_COMPACT);
		fail_msg("round trip differs:\n in  %s\n out %s", s, dump);
	}
	dump = json_dumps(out, JSON_COMPACT);
	assert_string_equal(dump, s); /* key order too */
	free(dump);
	json_decref(in);
	json_decref(out);
	return &msg;
}

static void expect_error(const char *s, const char *needle)
{
	json_t *in = parse(s);
	char err[256] = "";

	if (mh_from_json(in, &msg, err, sizeof(err)) == 0)
		fail_msg("accepted %s", s);
	if (!strstr(err, needle))
		fail_msg("%s: error '%s' does not mention '%s'", s, err, needle);
	json_decref(in);
}

static void test_messages(void **state)
{
	(void)state;
	struct mh_msg *m;

	m = round_trip(
	    "{\"type\":\"pbu\",\"seq\":7,\"flags\":\"AP\",\"lifetime\":400,\"options\":[]}");
	assert_int_equal(m->kind, MH_PBU);
	assert_int_equal(m->seq, 7);
	assert_int_equal(m->flags, MH_PBU_A | MH_PBU_P);
	assert_int_equal(m->lifetime, 400);
	m = round_trip("{\"type\":\"pbu\",\"seq\":1,\"flags\":\"AHLKMRPFTB\",\"lifetime\":0,"
		       "\"options\":[]}");
	assert_int_equal(m->flags, 0xffc0);
	m = round_trip("{\"type\":\"pba\",\"seq\":7,\"status\":129,\"flags\":\"KRPTB\","
		       "\"lifetime\":400,\"options\":[]}");
	assert_int_equal(m->kind, MH_PBA);
	assert_int_equal(m->status, 129);
	assert_int_equal(m->flags, 0xf8);
	m = round_trip(
	    "{\"type\":\"bri\",\"seq\":3,\"trigger\":1,\"flags\":\"PVG\",\"options\":[]}");
	assert_int_equal(m->kind, MH_BRI);
	assert_int_equal(m->trigger, 1);
	assert_int_equal(m->flags, MH_BR_P | MH_BR_V | MH_BR_G);
	m = round_trip(
	    "{\"type\":\"bra\",\"seq\":3,\"status\":128,\"flags\":\"P\",\"options\":[]}");
	assert_int_equal(m->kind, MH_BRA);
	assert_int_equal(m->status, 128);
	m = round_trip(
	    "{\"type\":\"heartbeat\",\"seq\":4294967295,\"flags\":\"UR\",\"options\":[]}");
	assert_int_equal(m->kind, MH_HEARTBEAT);
	assert_int_equal(m->seq, 0xffffffffu);
	assert_int_equal(m->flags, MH_HB_U | MH_HB_R);
	m = round_trip("{\"type\":\"be\",\"status\":2,\"home_address\":\"fd00:100::1\","
		       "\"options\":[]}");
	assert_int_equal(m->kind, MH_BE);
	assert_int_equal(m->home_address.s6_addr[15], 1);
	m = round_trip("{\"type\":\"fmi\",\"seq\":5,\"flags\":\"CR\",\"lifetime\":65535,"
		       "\"options\":[]}");
	assert_int_equal(m->kind, MH_FMI);
	assert_int_equal(m->flags, MH_FMI_C | MH_FMI_R);
	assert_int_equal(m->lifetime, 65535);
	m = round_trip(
	    "{\"type\":\"fma\",\"seq\":5,\"status\":133,\"lifetime\":30,\"options\":[]}");
	assert_int_equal(m->kind, MH_FMA);
	assert_int_equal(m->status, 133);
	m = round_trip("{\"type\":\"upn\",\"seq\":9,\"reason\":8,\"flags\":\"A\",\"options\":[]}");
	assert_int_equal(m->kind, MH_UPN);
	assert_int_equal(m->reason, 8);
	assert_int_equal(m->flags, MH_UPN_A);
	/* RFC 7077 §4.1: a 16-bit reason and the D (retransmission) flag */
	m = round_trip(
	    "{\"type\":\"upn\",\"seq\":9,\"reason\":65535,\"flags\":\"AD\",\"options\":[]}");
	assert_int_equal(m->reason, 0xffff);
	assert_int_equal(m->flags, MH_UPN_A | MH_UPN_D);
	m = round_trip("{\"type\":\"upa\",\"seq\":9,\"status\":0,\"options\":[]}");
	assert_int_equal(m->kind, MH_UPA);
}

/* RFC 6089 §4.1: BID-PRI 0 is reserved; a BID option written without a priority gets 1. */
static void test_bid_priority_default(void **state)
{
	(void)state;
	json_t *in = parse("{\"type\":\"pbu\",\"options\":[{\"type\":\"bid\",\"bid\":4}]}");
	char err[128];

	assert_int_equal(mh_from_json(in, &msg, err, sizeof(err)), 0);
	assert_int_equal(msg.opts[0].bid.priority, MH_BID_PRI_DEFAULT);
	assert_int_not_equal(MH_BID_PRI_DEFAULT, 0);
	json_decref(in);
}

static void test_defaults_and_flag_order(void **state)
{
	(void)state;
	json_t *in = parse("{\"type\":\"pbu\",\"flags\":\"PA\"}"), *out;
	char err[128], *s;

	assert_int_equal(mh_from_json(in, &msg, err, sizeof(err)), 0);
	assert_int_equal(msg.seq, 0);
	assert_int_equal(msg.n_opts, 0);
	out = mh_to_json(&msg);
	s = json_dumps(out, JSON_COMPACT);
	assert_string_equal(s, "{\"type\":\"pbu\",\"seq\":0,\"flags\":\"AP\",\"lifetime\":0,"
			       "\"options\":[]}");
	free(s);
	json_decref(in);
	json_decref(out);
}

static void test_options(void **state)
{
	(void)state;
	struct mh_msg *m;
	const struct mh_flowid *fi;

	m = round_trip(
	    "{\"type\":\"pbu\",\"seq\":7,\"flags\":\"AP\",\"lifetime\":400,\"options\":["
	    "{\"type\":\"mn-id\",\"subtype\":1,\"id\":\"mn1@example.net\"},"
	    "{\"type\":\"hnp\",\"prefix\":\"fd00:100::/64\"},"
	    "{\"type\":\"hi\",\"value\":1},"
	    "{\"type\":\"att\",\"value\":4},"
	    "{\"type\":\"ll-id\",\"id\":\"02:00:00:00:01:01\"},"
	    "{\"type\":\"lla\",\"address\":\"fe80::1\"},"
	    "{\"type\":\"timestamp\",\"seconds\":1764162000,\"fraction\":32768},"
	    "{\"type\":\"restart-counter\",\"value\":3},"
	    "{\"type\":\"gre-key\",\"key\":42},"
	    "{\"type\":\"bid\",\"bid\":1,\"status\":0,\"h\":false,\"priority\":0,"
	    "\"coa\":\"fd00:11::2\"},"
	    "{\"type\":\"bid\",\"bid\":2,\"status\":0,\"h\":true,\"priority\":3},"
	    "{\"type\":\"bid\",\"bid\":3,\"status\":0,\"h\":false,\"priority\":0,"
	    "\"coa\":\"10.0.0.1\"},"
	    "{\"type\":\"flow-summary\",\"fids\":[1,2]},"
	    "{\"type\":\"flow-id\",\"fid\":1,\"priority\":10,\"status\":0,\"bids\":[1,2],"
	    "\"ts\":{\"format\":\"ipv6\",\"src_addr\":[\"fd00::1\",\"fd00::ff\"],"
	    "\"dst_port\":[5000,5999],\"next_header\":[17]}},"
	    "{\"type\":\"unknown\",\"otype\":99,\"data\":\"00ff\"},"
	    "{\"type\":\"mn-id\",\"subtype\":2,\"data\":\"0102\"}"
	    "]}");
	assert_int_equal(m->n_opts, 16);
	assert_int_equal(m->opts[0].type, MH_OPT_MN_ID);
	assert_int_equal(m->opts[0].mn_id.len, 15);
	assert_int_equal(m->opts[1].hnp.plen, 64);
	assert_int_equal(m->opts[1].hnp.prefix.s6_addr[2], 0x01);
	assert_int_equal(m->opts[2].hi, 1);
	assert_int_equal(m->opts[3].att, 4);
	assert_int_equal(m->opts[4].ll_id.len, 6);
	assert_int_equal(m->opts[4].ll_id.id[5], 1);
	assert_int_equal(m->opts[5].lla.s6_addr[0], 0xfe);
	assert_int_equal(m->opts[6].timestamp.seconds, 1764162000);
	assert_int_equal(m->opts[6].timestamp.fraction, 32768);
	assert_int_equal(m->opts[7].restart_counter, 3);
	assert_int_equal(m->opts[8].gre_key, 42);
	assert_int_equal(m->opts[9].bid.coa_len, 16);
	assert_int_equal(m->opts[10].bid.coa_len, 0);
	assert_true(m->opts[10].bid.h);
	assert_int_equal(m->opts[10].bid.priority, 3);
	assert_int_equal(m->opts[11].bid.coa_len, 4);
	assert_int_equal(m->opts[11].bid.coa[0], 10);
	assert_int_equal(m->opts[12].flow_summary.n, 2);
	fi = &m->opts[13].flow_id;
	assert_int_equal(fi->fid, 1);
	assert_int_equal(fi->priority, 10);
	assert_int_equal(fi->n_bids, 2);
	assert_true(fi->has_ts);
	assert_int_equal(fi->ts.format, TS_FMT_IPV6);
	assert_int_equal(fi->ts.f[TS_SRC_ADDR].n, TS_RANGE);
	assert_int_equal(fi->ts.f[TS_DST_PORT].num[1], 5999);
	assert_int_equal(fi->ts.f[TS_NEXT_HEADER].n, TS_EXACT);
	assert_int_equal(m->opts[14].type, 99);
	assert_int_equal(m->opts[14].raw.len, 2);
	assert_int_equal(m->opts[14].raw.data[1], 0xff);
	assert_int_equal(m->opts[15].mn_id.subtype, 2);

	m = round_trip("{\"type\":\"fmi\",\"seq\":5,\"flags\":\"\",\"lifetime\":10,\"options\":["
		       "{\"type\":\"flow-id\",\"fid\":7,\"priority\":1,\"status\":0,"
		       "\"ts\":{\"format\":\"ipv4\",\"src_addr\":[\"10.0.0.1\",\"10.0.0.9\"],"
		       "\"dst_addr\":[\"192.0.2.1\"],\"spi\":[5],\"src_port\":[1,2],"
		       "\"dst_port\":[3],\"tos\":[1,4],\"protocol\":[6]},"
		       "\"subs\":[{\"sub\":9,\"data\":\"aabb\"}]}]}");
	fi = &m->opts[0].flow_id;
	assert_int_equal(fi->n_bids, 0);
	assert_int_equal(fi->ts.format, TS_FMT_IPV4);
	assert_int_equal(fi->ts.f[TS_SRC_ADDR].addr[1].s6_addr[15], 9);
	assert_int_equal(fi->ts.f[TS_SRC_ADDR].addr[1].s6_addr[10], 0xff);
	assert_int_equal(fi->ts.f[TS_TC].num[1], 4);
	assert_int_equal(fi->n_raw, 1);
	assert_int_equal(fi->raw[0].type, 9);
}

static void test_errors_name_the_key(void **state)
{
	(void)state;
	expect_error("[]", "object");
	expect_error("{}", "type: missing");
	expect_error("{\"type\":\"xyz\"}", "type: unknown message type 'xyz'");
	expect_error("{\"type\":\"pbu\",\"seq\":65536}", "seq: 65536 is out of range");
	expect_error("{\"type\":\"pbu\",\"seq\":-1}", "seq");
	expect_error("{\"type\":\"pbu\",\"seq\":\"7\"}", "seq: must be an integer");
	expect_error("{\"type\":\"pbu\",\"flags\":\"AX\"}", "flags: 'X' is not a pbu flag");
	expect_error("{\"type\":\"pba\",\"flags\":\"A\"}", "flags: 'A' is not a pba flag (KRPTB)");
	expect_error("{\"type\":\"fma\",\"flags\":\"C\"}", "flags: not a key of a fma message");
	expect_error("{\"type\":\"bri\",\"lifetime\":4}", "lifetime: not a key of a bri message");
	expect_error("{\"type\":\"pbu\",\"colour\":4}", "colour: not a key");
	expect_error("{\"type\":\"pbu\",\"lifetime\":262144}", "lifetime");
	expect_error("{\"type\":\"fmi\",\"lifetime\":65536}", "lifetime");
	expect_error("{\"type\":\"be\",\"home_address\":\"x\"}", "home_address: 'x' is not");
	expect_error("{\"type\":\"pbu\",\"options\":{}}", "options: must be a list");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"hnp\",\"prefix\":\"fd00::\"}]}",
		     "options[0].prefix");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"hi\",\"value\":1},"
		     "{\"type\":\"hnp\",\"prefix\":\"fd00::/129\"}]}",
		     "options[1].prefix");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"hi\"}]}",
		     "options[0].value: missing");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"hi\",\"value\":256}]}",
		     "options[0].value");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"hi\",\"value\":1,\"x\":1}]}",
		     "options[0].x: unknown key");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"wat\"}]}",
		     "options[0].type: unknown option type 'wat'");
	expect_error(
	    "{\"type\":\"pbu\",\"options\":[{\"type\":\"mn-id\",\"subtype\":1,\"id\":\"\"}]}",
	    "options[0].id");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"ll-id\",\"id\":\"02:0\"}]}",
		     "options[0].id");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"ll-id\",\"id\":\"0200\"}]}",
		     "options[0].id");
	expect_error(
	    "{\"type\":\"pbu\",\"options\":[{\"type\":\"bid\",\"bid\":1,\"priority\":128}]}",
	    "options[0].priority");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"bid\",\"bid\":1,\"coa\":\"zz\"}]}",
		     "options[0].coa");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"bid\",\"bid\":1,\"h\":1}]}",
		     "options[0].h");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"flow-summary\",\"fids\":[]}]}",
		     "options[0].fids");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"unknown\",\"otype\":22,"
		     "\"data\":\"\"}]}",
		     "options[0].otype: 22 is a known option type");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"unknown\",\"otype\":99,"
		     "\"data\":\"abc\"}]}",
		     "options[0].data: hex string has an odd number");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"unknown\",\"otype\":99,"
		     "\"data\":\"zz\"}]}",
		     "options[0].data: not a hex string");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"timestamp\","
		     "\"seconds\":281474976710656}]}",
		     "options[0].seconds");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"flow-id\",\"fid\":1,"
		     "\"ts\":{\"format\":\"ipv6\",\"dst_port\":[1,2,3]}}]}",
		     "options[0].ts.dst_port: must be [value] or [start, end]");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"flow-id\",\"fid\":1,"
		     "\"ts\":{\"format\":\"ipv6\",\"dst_port\":[6,5]}}]}",
		     "options[0].ts: dst_port: range start");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"flow-id\",\"fid\":1,"
		     "\"ts\":{\"format\":\"ipv4\",\"flow_label\":[1]}}]}",
		     "options[0].ts.flow_label: unknown selector field");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"flow-id\",\"fid\":1,"
		     "\"ts\":{\"format\":\"ipv5\"}}]}",
		     "options[0].ts.format");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"flow-id\",\"fid\":1,"
		     "\"ts\":{\"format\":\"ipv4\",\"src_addr\":[\"fd00::1\"]}}]}",
		     "options[0].ts.src_addr: 'fd00::1' is not an IPv4 address");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"flow-id\",\"fid\":1,"
		     "\"subs\":[{\"sub\":3,\"data\":\"\"}]}]}",
		     "options[0].subs[0].sub: 3 is a known sub-option");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"flow-id\",\"fid\":1,"
		     "\"bids\":[70000]}]}",
		     "options[0].bids");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"flow-id\"}]}",
		     "options[0].fid: missing");
	expect_error("{\"type\":\"pbu\",\"options\":[{\"type\":\"pad1\"}]}", "options[0].type");
}

static void test_ts_json(void **state)
{
	(void)state;
	struct fm_ts ts;
	char err[128], *s;
	json_t *in, *out;

	in = parse("{\"dst_port\":[5000,5999],\"next_header\":[17]}");
	assert_int_equal(ts_from_json(in, TS_FMT_IPV6, &ts, err, sizeof(err)), 0);
	assert_int_equal(ts.f[TS_DST_PORT].n, TS_RANGE);
	assert_int_equal(ts.f[TS_NEXT_HEADER].n, TS_EXACT);
	out = ts_to_json(&ts);
	s = json_dumps(out, JSON_COMPACT);
	assert_string_equal(s, "{\"dst_port\":[5000,5999],\"next_header\":[17]}");
	free(s);
	json_decref(in);
	json_decref(out);

	in = parse("{\"src_addr\":[\"10.0.0.0\",\"10.255.255.255\"],\"tos\":[8],"
		   "\"protocol\":[6]}");
	assert_int_equal(ts_from_json(in, TS_FMT_IPV4, &ts, err, sizeof(err)), 0);
	assert_int_equal(ts.format, TS_FMT_IPV4);
	assert_int_equal(ts.f[TS_SRC_ADDR].addr[1].s6_addr[13], 255);
	out = ts_to_json(&ts);
	assert_true(json_equal(in, out));
	json_decref(out);
	/* the same keys are not valid IPv6 names */
	assert_int_equal(ts_from_json(in, TS_FMT_IPV6, &ts, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "src_addr"));
	json_decref(in);

	in = parse("{\"spi\":[4294967296]}");
	assert_int_equal(ts_from_json(in, TS_FMT_IPV6, &ts, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "spi"));
	json_decref(in);
	in = parse("{\"tc\":\"5\"}");
	assert_int_equal(ts_from_json(in, TS_FMT_IPV6, &ts, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tc"));
	json_decref(in);
	in = parse("[1]");
	assert_int_equal(ts_from_json(in, TS_FMT_IPV6, &ts, err, sizeof(err)), -1);
	json_decref(in);
}

/* Decoded wire bytes -> JSON: non-printable NAIs are shown as data, reserved flag bits dropped. */
static void test_decoded_to_json(void **state)
{
	(void)state;
	struct mh_msg *m = calloc(1, sizeof(*m));
	struct mh_opt *o;
	json_t *j;
	char *s;

	m->kind = MH_PBU;
	m->flags = MH_PBU_A | 0x0001; /* a reserved bit */
	o = mh_opt_add(m, MH_OPT_MN_ID);
	o->mn_id.subtype = 1;
	o->mn_id.len = 2;
	o->mn_id.id[0] = 'a';
	o->mn_id.id[1] = 0;
	j = mh_to_json(m);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s,
			    "{\"type\":\"pbu\",\"seq\":0,\"flags\":\"A\",\"lifetime\":0,"
			    "\"options\":[{\"type\":\"mn-id\",\"subtype\":1,\"data\":\"6100\"}]}");
	free(s);
	json_decref(j);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_defaults_and_flag_order),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_errors_name_the_key),
	    cmocka_unit_test(test_ts_json),
	    cmocka_unit_test(test_decoded_to_json),
	    cmocka_unit_test(test_bid_priority_default),
	};

	return cmocka_run_group_tests_name("mh_json", tests, NULL, NULL);
}
