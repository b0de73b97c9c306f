// SPDX-License-Identifier: GPL-2.0
/*
 * test_metrics.c — the Prometheus rendering of the control commands' JSON
 * (core/metrics.c): one HELP and TYPE line per family, samples grouped under
 * it; signaling by direction and kind, status by kind, code and name; data-plane
 * drops apart from outcomes; bindings by state and ATT, MNs counted once per
 * ATT, per-MAG sums; peer state as 0/1 per state; per-FID series only with
 * per_flow; label values escaped; listen addresses parsed or refused; the
 * in-process command call the scrape uses (fm_ctl_call).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#include "core/metrics.h"

static const char *status_name(const char *kind, unsigned code)
{
	if (!strcmp(kind, "pba") && code == 154)
		return "MAG not authorized";
	if (!strcmp(kind, "pba") && code == 0)
		return "accepted";
	return NULL;
}

static const struct fm_metrics_opts opts = {
    .role = "lma",
    .instance = "lma\"1",
    .version = "0.1.0",
    .libbpf = "1.1",
    .status_name = status_name,
};

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	assert_non_null(j);
	return j;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_render_lma(void **state)
{
	json_t *st =
	    J("{\"dataplane\":{\"rx\":10,\"lma_downlink_encap\":7,\"drop_spoofed_source\":2},"
	      "\"signaling\":{\"rx\":{\"pbu\":3},\"tx\":{\"pba\":3},"
	      "\"status\":{\"pba:0\":2,\"pba:154\":1,\"fma:133\":1},\"rx_ignored\":4,"
	      "\"pending\":1,\"socket\":{\"rx_malformed\":5}},"
	      "\"mobile_nodes\":2,\"bindings\":3,\"prefixes_used\":3,\"restart_counter\":1}");
	json_t *bi =
	    J("[{\"mn\":\"a\",\"bid\":1,\"att\":4,\"mag\":\"fd00::2\",\"state\":\"active\","
	      "\"packets\":5,\"bytes\":500},"
	      "{\"mn\":\"a\",\"bid\":2,\"att\":4,\"mag\":\"fd00::3\",\"state\":\"active\","
	      "\"packets\":1,\"bytes\":100},"
	      "{\"mn\":\"b\",\"bid\":1,\"att\":8,\"mag\":\"fd00::2\",\"state\":\"peer-down\","
	      "\"packets\":2,\"bytes\":20}]");
	json_t *pe = J("[{\"mag\":\"fd00::2\",\"state\":\"up\",\"restart_counter\":7,"
		       "\"last_seen\":1.5,\"missed\":0,\"bindings\":2,\"rejected\":{\"161\":3},"
		       "\"malformed\":{\"header-len\":2,\"decode\":0}},"
		       "{\"mag\":\"fd00::3\",\"state\":\"down\",\"restart_counter\":null,"
		       "\"last_seen\":null,\"missed\":3,\"bindings\":1}]");
	json_t *fl = J("[{\"mn\":\"a\",\"fid\":9,\"packets\":4,\"bytes\":400}]");
	struct fm_metrics_input in = {.stats = st, .peers = pe, .bindings = bi, .flows = fl};
	char *t;

	(void)state;
	t = fm_metrics_render(&in, &opts);
	assert_non_null(t);
	assert_non_null(strstr(t,
			       "flowmob_build_info{version=\"0.1.0\",libbpf=\"1.1\",role=\"lma\","
			       "instance=\"lma\\\"1\"} 1\n"));
	assert_non_null(
	    strstr(t, "# TYPE flowmob_signaling_messages_total counter\n"
		      "flowmob_signaling_messages_total{direction=\"rx\",kind=\"pbu\"} 3\n"
		      "flowmob_signaling_messages_total{direction=\"tx\",kind=\"pba\"} 3\n"));
	assert_non_null(strstr(t, "flowmob_signaling_status_total{kind=\"pba\",code=\"154\","
				  "status=\"MAG not authorized\"} 1\n"));
	assert_non_null(strstr(t, "flowmob_signaling_status_total{kind=\"fma\",code=\"133\"} 1\n"));
	assert_non_null(strstr(t, "flowmob_signaling_events_total{event=\"rx_ignored\"} 4\n"));
	assert_non_null(strstr(t, "flowmob_signaling_pending 1\n"));
	assert_non_null(strstr(t, "flowmob_mh_socket_events_total{event=\"rx_malformed\"} 5\n"));
	assert_non_null(strstr(t, "flowmob_dataplane_drops_total{reason=\"spoofed_source\"} 2\n"));
	assert_non_null(strstr(t, "flowmob_dataplane_packets_total{outcome=\"rx\"} 10\n"));
	assert_null(strstr(t, "outcome=\"drop_"));
	assert_non_null(strstr(t, "flowmob_bindings{state=\"active\",att=\"4\"} 2\n"));
	assert_non_null(strstr(t, "flowmob_bindings{state=\"peer-down\",att=\"8\"} 1\n"));
	/* MN a has two ATT-4 bindings: counted once */
	assert_non_null(strstr(t, "flowmob_mobile_nodes_attached{att=\"4\"} 1\n"));
	assert_non_null(strstr(t, "flowmob_mobile_nodes_attached{att=\"8\"} 1\n"));
	assert_non_null(strstr(t, "flowmob_mag_packets_total{mag=\"fd00::2\"} 7\n"));
	assert_non_null(strstr(t, "flowmob_mag_bytes_total{mag=\"fd00::2\"} 520\n"));
	assert_non_null(strstr(t, "flowmob_peer_state{peer=\"fd00::3\",state=\"down\"} 1\n"));
	assert_non_null(strstr(t, "flowmob_peer_state{peer=\"fd00::3\",state=\"up\"} 0\n"));
	assert_non_null(strstr(t, "flowmob_peer_restart_number{peer=\"fd00::2\"} 7\n"));
	assert_null(strstr(t, "flowmob_peer_restart_number{peer=\"fd00::3\"}"));
	assert_non_null(strstr(t, "flowmob_peer_last_seen_seconds{peer=\"fd00::2\"} 1.5\n"));
	assert_non_null(strstr(t,
			       "# TYPE flowmob_peer_rejected_total counter\n"
			       "flowmob_peer_rejected_total{peer=\"fd00::2\",code=\"161\"} 3\n"));
	assert_non_null(
	    strstr(t, "flowmob_peer_malformed_total{peer=\"fd00::2\",reason=\"header-len\"} 2\n"));
	assert_non_null(
	    strstr(t, "flowmob_peer_malformed_total{peer=\"fd00::2\",reason=\"decode\"} 0\n"));
	assert_non_null(strstr(t, "flowmob_mobile_nodes 2\n"));
	/* one HELP/TYPE per family */
	assert_int_equal(count(t, "# TYPE flowmob_peer_state "), 1);
	assert_int_equal(count(t, "# HELP flowmob_bindings "), 1);
	assert_null(strstr(t, "(null)"));
	/* per-flow off */
	assert_null(strstr(t, "flowmob_flow_"));
	free(t);

	struct fm_metrics_opts o2 = opts;
	o2.per_flow = true;
	t = fm_metrics_render(&in, &o2);
	assert_non_null(strstr(t, "flowmob_flow_packets_total{mn=\"a\",fid=\"9\"} 4\n"));
	assert_non_null(strstr(t, "flowmob_flow_bytes_total{mn=\"a\",fid=\"9\"} 400\n"));
	free(t);
	json_decref(st);
	json_decref(bi);
	json_decref(pe);
	json_decref(fl);
}

static void test_render_empty_and_mag(void **state)
{
	struct fm_metrics_input in = {0};
	json_t *mb = J("[{\"mn\":\"a\",\"att\":4,\"state\":\"registered\"}]");
	char *t;

	(void)state;
	t = fm_metrics_render(&in, &opts);
	assert_non_null(strstr(t, "# TYPE flowmob_build_info gauge\n"));
	free(t);
	in.mag_bindings = mb;
	t = fm_metrics_render(&in, &opts);
	assert_non_null(strstr(t, "flowmob_bindings{state=\"registered\",att=\"4\"} 1\n"));
	assert_null(strstr(t, "flowmob_mag_packets_total"));
	free(t);
	json_decref(mb);
}

static void test_parse_listen(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[200];

	(void)state;
	assert_int_equal(fm_metrics_parse_listen("[::1]:9460", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9460);
	assert_int_equal(fm_metrics_parse_listen("127.0.0.1:80", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(fm_metrics_parse_listen(":9460", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	static const char *const bad[] = {"",	       "::1:9460",    "[::1]",
					  "[::1]:0",   "[::1]:65536", "localhost:9460",
					  "1.2.3.4:x", "[fe80::zz]:1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fm_metrics_parse_listen(bad[i], &ss, &len, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "is not a listen address"));
	}
}

static json_t *cmd_stats(void *ctx, const json_t *req, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	assert_string_equal(json_string_value(json_object_get(req, "cmd")), "stats");
	return json_pack("{s:i}", "calls", ++*(int *)ctx);
}

static json_t *cmd_fail(void *ctx, const json_t *req, char *err, size_t errlen)
{
	(void)ctx;
	(void)req;
	snprintf(err, errlen, "no such thing");
	return NULL;
}

static void test_ctl_call(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char path[] = "/tmp/fm-test-metrics-XXXXXX", sock[64], err[128];
	struct fm_ctl *ctl;
	int calls = 0;
	json_t *r;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/ctl.sock", path);
	assert_int_equal(fm_ctl_open(loop, sock, &ctl), 0);
	assert_int_equal(fm_ctl_register(ctl, "stats", cmd_stats, &calls), 0);
	assert_int_equal(fm_ctl_register(ctl, "peers", cmd_fail, NULL), 0);
	r = fm_ctl_call(ctl, "stats", err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "calls")), 1);
	json_decref(r);
	assert_null(fm_ctl_call(ctl, "peers", err, sizeof(err)));
	assert_string_equal(err, "no such thing");
	assert_null(fm_ctl_call(ctl, "bindings", err, sizeof(err)));
	assert_string_equal(err, "unknown command 'bindings'");
	fm_ctl_set_info(ctl, json_pack("{s:s}", "role", "lma"));
	fm_ctl_close(ctl);
	ev_loop_destroy(loop);
	rmdir(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_lma),
	    cmocka_unit_test(test_render_empty_and_mag),
	    cmocka_unit_test(test_parse_listen),
	    cmocka_unit_test(test_ctl_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
