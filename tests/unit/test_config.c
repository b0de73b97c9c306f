// SPDX-License-Identifier: GPL-2.0
/*
 * test_config.c — fm_config_load(): the documented examples and full fixtures
 * load with the right values, defaults are RFC 5213's and the documented ones,
 * and every kind of bad file is refused with a message naming the key (and the
 * line where libcyaml reports it), leaving the caller's config untouched.
 * Fixtures: docs/examples/, tests/unit/config/ (run from the repo root).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "core/log.h"

static struct fm_config cfg;
static char err[512];

static void addr_eq(const struct in6_addr *a, const char *s)
{
	struct in6_addr b;

	assert_int_equal(inet_pton(AF_INET6, s, &b), 1);
	if (memcmp(a, &b, 16)) {
		char buf[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, a, buf, sizeof(buf));
		fail_msg("address %s, expected %s", buf, s);
	}
}

static int load(const char *path)
{
	memset(&cfg, 0, sizeof(cfg));
	int r = fm_config_load(path, &cfg, err, sizeof(err));
	if (r)
		print_message("# %s: %s\n", path, err);
	return r;
}

static void test_example_lma(void **state)
{
	(void)state;
	assert_int_equal(load("docs/examples/lma.yaml"), 0);
	assert_string_equal(cfg.instance, "lma1");
	assert_int_equal(cfg.role, FM_ROLE_LMA);
	assert_int_equal(cfg.log_level, FM_LOG_INFO);
	assert_string_equal(cfg.control_socket, "/run/flowmob/lma1.sock");
	assert_string_equal(cfg.bpffs, "/sys/fs/bpf");
	assert_string_equal(cfg.state_dir, "/var/lib/flowmob/lma1");
	assert_string_equal(cfg.netns, "");
	addr_eq(&cfg.lma.address, "fd00:11::1");
	assert_int_equal(cfg.lma.n_core, 1);
	assert_string_equal(cfg.lma.core_ifaces[0], "lma-cn");
	assert_int_equal(cfg.lma.n_access, 2);
	assert_string_equal(cfg.lma.access_ifaces[0], "lma-mag1");
	assert_string_equal(cfg.lma.access_ifaces[1], "lma-mag2");
	assert_int_equal(cfg.lma.dataplane, FM_DP_MODE_XDP);
	assert_int_equal(cfg.lma.core_modes[0], 0); /* no interface-modes */
	assert_int_equal(cfg.lma.access_modes[0], 0);
	assert_int_equal(cfg.lma.access_modes[1], 0);
	addr_eq(&cfg.lma.prefix_pool.addr, "fd00:100::");
	assert_int_equal(cfg.lma.prefix_pool.plen, 48);
	assert_int_equal(cfg.lma.prefix_policy, FM_PP_UNIQUE);
	assert_int_equal(cfg.lma.ordering, FM_ORDER_TIMESTAMP);
	assert_int_equal(cfg.lma.flow_signaling, FM_SIG_FMI);
	assert_int_equal(cfg.lma.n_mags, 2);
	addr_eq(&cfg.lma.mags[0], "fd00:11::2");
	addr_eq(&cfg.lma.mags[1], "fd00:12::2");
	assert_int_equal(cfg.lma.n_policies, 1);
	const struct fm_cfg_policy *p = &cfg.lma.policies[0];
	assert_int_equal(p->fid, 1);
	assert_int_equal(p->priority, 10);
	assert_false(p->drop);
	assert_int_equal(p->n_att, 2);
	assert_int_equal(p->prefer_att[0], 4);
	assert_int_equal(p->prefer_att[1], 8);
	assert_int_equal(p->selector.format, TS_FMT_IPV6);
	assert_int_equal(p->selector.f[TS_NEXT_HEADER].n, TS_EXACT);
	assert_int_equal(p->selector.f[TS_NEXT_HEADER].num[0], 17);
	assert_int_equal(p->selector.f[TS_DST_PORT].n, TS_RANGE);
	assert_int_equal(p->selector.f[TS_DST_PORT].num[0], 5000);
	assert_int_equal(p->selector.f[TS_DST_PORT].num[1], 5999);
	for (int f = 0; f < TS_NFIELDS; f++)
		if (f != TS_NEXT_HEADER && f != TS_DST_PORT)
			assert_int_equal(p->selector.f[f].n, TS_ABSENT);
	assert_int_equal(cfg.lma.n_mobile_nodes, 1);
	assert_string_equal(cfg.lma.mobile_nodes[0].id, "mn1@example.net");
	assert_int_equal(cfg.lma.mobile_nodes[0].prefix_policy, FM_PP_SHARED);
	assert_false(cfg.lma.mobile_nodes[0].deny);
	assert_int_equal(cfg.lma.timers.min_delay_before_bce_delete_ms, 10000);
	assert_int_equal(cfg.lma.timers.max_delay_before_new_bce_assign_ms, 1500);
	assert_int_equal(cfg.lma.timers.timestamp_window_ms, 300);
	assert_int_equal(cfg.lma.timers.heartbeat_interval_s, 60);
	assert_int_equal(cfg.lma.timers.heartbeat_missed, 3);
	assert_int_equal(cfg.lma.timers.retransmit_initial_ms, 1500);
	assert_int_equal(cfg.lma.timers.retransmit_max_ms, 32000);
	assert_int_equal(cfg.lma.tunnel_mtu, 0);
}

static void test_example_mags(void **state)
{
	(void)state;
	assert_int_equal(load("docs/examples/mag1.yaml"), 0);
	assert_string_equal(cfg.instance, "mag1");
	assert_int_equal(cfg.role, FM_ROLE_MAG);
	addr_eq(&cfg.mag.address, "fd00:11::2");
	addr_eq(&cfg.mag.lma, "fd00:11::1");
	assert_string_equal(cfg.mag.lma_interface, "mag1-lma");
	assert_int_equal(cfg.mag.n_access, 1);
	assert_string_equal(cfg.mag.access_ifaces[0].name, "mag1-mn");
	assert_int_equal(cfg.mag.access_ifaces[0].att, 4);
	addr_eq(&cfg.mag.link_local, "fe80::1");
	assert_int_equal(cfg.mag.n_mobile_nodes, 1);
	const uint8_t mac1[6] = {2, 0, 0, 0, 1, 1};
	assert_memory_equal(cfg.mag.mobile_nodes[0].mac, mac1, 6);
	assert_string_equal(cfg.mag.mobile_nodes[0].id, "mn1@example.net");

	assert_int_equal(load("docs/examples/mag2.yaml"), 0);
	assert_string_equal(cfg.instance, "mag2");
	addr_eq(&cfg.mag.address, "fd00:12::2");
	addr_eq(&cfg.mag.lma, "fd00:11::1");
	assert_string_equal(cfg.mag.lma_interface, "mag2-lma");
	assert_string_equal(cfg.mag.access_ifaces[0].name, "mag2-mn");
	assert_int_equal(cfg.mag.access_ifaces[0].att, 8);
	const uint8_t mac2[6] = {2, 0, 0, 0, 1, 2};
	assert_memory_equal(cfg.mag.mobile_nodes[0].mac, mac2, 6);
	assert_string_equal(cfg.control_socket, "/run/flowmob/mag2.sock");
}

static void test_lma_full(void **state)
{
	const struct fm_cfg_policy *p;
	const struct fm_ts *ts;

	(void)state;
	assert_int_equal(load("tests/unit/config/lma-full.yaml"), 0);
	assert_string_equal(cfg.instance, "lma-test_1");
	assert_int_equal(cfg.log_level, FM_LOG_DEBUG);
	assert_string_equal(cfg.control_socket, "/tmp/flowmob-test/lma.sock");
	assert_string_equal(cfg.netns, "fm-lma");
	assert_string_equal(cfg.state_dir, "/tmp/flowmob-test/state");
	assert_int_equal(cfg.lma.n_core, 2);
	assert_int_equal(cfg.lma.dataplane, FM_DP_MODE_TC);
	assert_int_equal(cfg.lma.prefix_policy, FM_PP_HYBRID);
	assert_int_equal(cfg.lma.ordering, FM_ORDER_SEQUENCE);
	assert_int_equal(cfg.lma.flow_signaling, FM_SIG_UPN);
	assert_int_equal(cfg.lma.tunnel_mtu, 1400);
	assert_int_equal(cfg.lma.n_policies, 4);
	/* lma.peers: per-MAG settings, heartbeat auto unless given */
	assert_int_equal(cfg.lma.mag_heartbeat[0], FM_HB_AUTO);
	assert_int_equal(cfg.lma.mag_heartbeat[1], FM_HB_OFF);

	p = &cfg.lma.policies[1];
	ts = &p->selector;
	assert_int_equal(p->fid, 2);
	assert_true(p->drop);
	assert_int_equal(p->n_att, 0);
	assert_int_equal(ts->format, TS_FMT_IPV6);
	assert_int_equal(ts->f[TS_SRC_ADDR].n, TS_RANGE);
	addr_eq(&ts->f[TS_SRC_ADDR].addr[0], "fd00::");
	addr_eq(&ts->f[TS_SRC_ADDR].addr[1], "fd00::ffff:ffff:ffff:ffff");
	assert_int_equal(ts->f[TS_DST_ADDR].n, TS_RANGE);
	addr_eq(&ts->f[TS_DST_ADDR].addr[0], "fd00:1::1");
	addr_eq(&ts->f[TS_DST_ADDR].addr[1], "fd00:1::ff");
	assert_int_equal(ts->f[TS_FLOW_LABEL].n, TS_EXACT);
	assert_int_equal(ts->f[TS_FLOW_LABEL].num[0], 0x12345);
	assert_int_equal(ts->f[TS_TC].n, TS_RANGE);
	assert_int_equal(ts->f[TS_TC].num[0], 8);
	assert_int_equal(ts->f[TS_TC].num[1], 16);
	assert_int_equal(ts->f[TS_SPI].num[0], 4000000000u);
	assert_int_equal(ts->f[TS_SRC_PORT].n, TS_EXACT);
	assert_int_equal(ts->f[TS_SRC_PORT].num[0], 1234);
	assert_int_equal(ts->f[TS_NEXT_HEADER].n, TS_ABSENT);

	/* IPv4 selector: mapped addresses, protocol/tos in the shared slots */
	p = &cfg.lma.policies[2];
	ts = &p->selector;
	assert_int_equal(p->priority, 100); /* default */
	assert_int_equal(ts->format, TS_FMT_IPV4);
	assert_int_equal(ts->f[TS_DST_ADDR].n, TS_RANGE);
	addr_eq(&ts->f[TS_DST_ADDR].addr[0], "::ffff:10.0.0.0");
	addr_eq(&ts->f[TS_DST_ADDR].addr[1], "::ffff:10.255.255.255");
	assert_int_equal(ts->f[TS_NEXT_HEADER].num[0], 6);
	assert_int_equal(ts->f[TS_TC].num[0], 32);

	/* empty selector: match everything, IPv6 format */
	ts = &cfg.lma.policies[3].selector;
	assert_int_equal(ts->format, TS_FMT_IPV6);
	for (int f = 0; f < TS_NFIELDS; f++)
		assert_int_equal(ts->f[f].n, TS_ABSENT);

	assert_int_equal(cfg.lma.n_mobile_nodes, 3);
	assert_true(cfg.lma.mobile_nodes[1].deny);
	assert_int_equal(cfg.lma.mobile_nodes[2].prefix_policy, FM_PP_DEFAULT);
	assert_int_equal(cfg.lma.timers.min_delay_before_bce_delete_ms, 500);
	assert_int_equal(cfg.lma.timers.max_delay_before_new_bce_assign_ms, 200);
	assert_int_equal(cfg.lma.timers.timestamp_window_ms, 1000);
	assert_int_equal(cfg.lma.timers.heartbeat_interval_s, 0);
	assert_int_equal(cfg.lma.timers.heartbeat_missed, 5);
	assert_int_equal(cfg.lma.timers.retransmit_initial_ms, 100);
	assert_int_equal(cfg.lma.timers.retransmit_max_ms, 800);
	assert_int_equal(cfg.lma.timers.max_lifetime_s, 120);
}

static void test_mag_full_and_defaults(void **state)
{
	const struct fm_cfg_access_iface *a;

	(void)state;
	assert_int_equal(load("tests/unit/config/mag-full.yaml"), 0);
	assert_int_equal(cfg.log_level, FM_LOG_WARN);
	assert_int_equal(cfg.mag.dataplane, FM_DP_MODE_XDP_GENERIC);
	assert_int_equal(cfg.mag.n_access, 2);
	a = &cfg.mag.access_ifaces[0];
	assert_int_equal(a->n_flow_requests, 1);
	assert_int_equal(a->flow_requests[0].fid, 7);
	assert_int_equal(a->flow_requests[0].priority, 3);
	assert_int_equal(a->flow_requests[0].selector.f[TS_DST_PORT].num[0], 80);
	assert_int_equal(cfg.mag.access_ifaces[1].att, 8);
	addr_eq(&cfg.mag.link_local, "fe80::2");
	assert_true(cfg.mag.keep_flow_state);
	assert_int_equal(cfg.mag.tunnel_mtu, 1280);
	const uint8_t mac[6] = {2, 0xab, 0, 0, 1, 2};
	assert_memory_equal(cfg.mag.mobile_nodes[1].mac, mac, 6);
	assert_int_equal(cfg.mag.timers.retransmit_initial_ms, 100);
	assert_int_equal(cfg.mag.timers.retransmit_max_ms, 400);
	assert_int_equal(cfg.mag.timers.lifetime_s, 40);
	assert_int_equal(cfg.mag.timers.ra_interval_s, 3);
	assert_int_equal(cfg.mag.timers.idle_timeout_s, 30);
	assert_int_equal(cfg.mag.timers.heartbeat_interval_s, 5);
	assert_int_equal(cfg.mag.timers.heartbeat_missed, 2);

	assert_int_equal(load("tests/unit/config/mag-minimal.yaml"), 0);
	assert_int_equal(cfg.log_level, FM_LOG_INFO);
	assert_string_equal(cfg.control_socket, "/run/flowmob/m.sock");
	assert_string_equal(cfg.state_dir, "/var/lib/flowmob/m");
	assert_string_equal(cfg.bpffs, "/sys/fs/bpf");
	assert_int_equal(cfg.mag.dataplane, FM_DP_MODE_XDP);
	addr_eq(&cfg.mag.link_local, "fe80::1");
	assert_false(cfg.mag.keep_flow_state);
	assert_int_equal(cfg.mag.n_mobile_nodes, 0);
	assert_int_equal(cfg.mag.timers.retransmit_initial_ms, 1500);
	assert_int_equal(cfg.mag.timers.retransmit_max_ms, 32000);
	assert_int_equal(cfg.mag.timers.lifetime_s, 3600);
	assert_int_equal(cfg.mag.timers.ra_interval_s, 10);
	assert_int_equal(cfg.mag.timers.idle_timeout_s, 0);
	assert_int_equal(cfg.mag.timers.heartbeat_interval_s, 60);
	assert_int_equal(cfg.mag.timers.heartbeat_missed, 3);
}

/* ---- bad files ---------------------------------------------------------------- */

#define LMA_HEAD                                                                                   \
	"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"           \
	"  access-interfaces: [a0]\n  prefix-pool: fd00:100::/48\n  mags: [fd00:11::2]\n"
#define MAG_HEAD                                                                                   \
	"instance: t\nrole: mag\nmag:\n  address: fd00:11::2\n  lma: fd00:11::1\n"                 \
	"  lma-interface: up0\n  access-interfaces: [{name: acc0, att: 4}]\n"

struct bad {
	const char *yaml;
	const char *want[3]; /* substrings the message must contain */
};

static const struct bad bad_files[] = {
    /* structure (libcyaml): unknown keys, types, required keys, with lines */
    {"instance: t\nrole: lma\nbogus: 1\n", {"t.yaml: bogus: unknown key"}},
    {LMA_HEAD "  colour: blue\n", {":4: ", "lma.colour", "unknown key"}},
    {LMA_HEAD "  timers: {heartbeat-interval: 3, retransmit: 5}\n",
     {"lma.timers.retransmit", "unknown key"}},
    {"instance: t\nrole: router\n", {":2: role: ", "'router' is not one of: lma, mag"}},
    {"role: lma\n", {"instance", "missing required key"}},
    {"instance: t\n", {"role", "missing required key"}},
    {"instance: t\nrole: lma\nlma:\n  core-interfaces: [c0]\n", {"lma.", "missing"}},
    {"instance: t\nlog-level: verbose\nrole: lma\n", {":2: ", "log-level", "verbose"}},
    {LMA_HEAD "  dataplane: ebpf\n", {":9: ", "lma.dataplane", "xdp, xdp-generic, tc"}},
    {LMA_HEAD "  prefix-policy: some\n", {"lma.prefix-policy"}},
    {LMA_HEAD "  ordering: random\n", {"lma.ordering"}},
    {LMA_HEAD "  flow-signaling: smoke\n", {"lma.flow-signaling"}},
    {LMA_HEAD "  tunnel-mtu: -5\n", {":9: ", "lma.tunnel-mtu"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {dst-port: [1, 2, 3]}, prefer-att: [4]}\n",
     {":10: ", "lma.policies[0].selector.dst-port"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {dst-prot: [1]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.dst-prot", "unknown key"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {}, prefer-att: [4]}\n"
	      "    - {fid: 2, selector: {}, prefer-att: [4], action: teleport}\n",
     {":11: ", "lma.policies[1].action"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, prefer-att: [4]}\n",
     {"lma.policies[0].selector", "missing"}},
    {"instance: t\nrole: [lma]\n", {":2: ", "role"}},
    {"instance: t\nrole: lma\nrole: mag\n", {"role"}},
    {"instance: t\nrole: lma\nlma: {address: [fd00::1\n", {"t.yaml"}},
    /* semantics */
    {"instance: t\nrole: lma\n", {"lma", "missing required section"}},
    {LMA_HEAD "  mag-keys: [{mag: fd00:11::9, spi: 300, key-file: /nonexistent}]\n",
     {"lma.mag-keys[0]", "not one of lma.mags"}},
    {LMA_HEAD "  mag-keys: [{mag: fd00:11::2, spi: 5, key-file: k}]\n",
     {"lma.mag-keys[0]", "spi 5 is reserved"}},
    {LMA_HEAD "  mag-keys: [{mag: fd00:11::2, spi: 300, key-file: /nonexistent/k}]\n",
     {"lma.mag-keys[0]", "/nonexistent/k"}},
    {MAG_HEAD "  lma-spi: 300\n", {"mag.lma-key-file", "go together"}},
    {LMA_HEAD "mag:\n  address: fd00:11::2\n  lma: fd00:11::1\n  lma-interface: u\n"
	      "  access-interfaces: [{name: a, att: 4}]\n",
     {"mag", "role is lma"}},
    {"instance: t\nrole: mag\n", {"mag", "missing required section"}},
    {"instance: ../etc\nrole: lma\n", {"instance", "not start"}},
    {"instance: a/b\nrole: lma\n", {"instance", "only letters"}},
    {"instance: t\nrole: lma\ncontrol-socket: relative.sock\n", {"control-socket", "absolute"}},
    {"instance: t\nrole: lma\nstate-dir: var/lib\n", {"state-dir", "absolute"}},
    {"instance: t\nrole: lma\nnetns: a b\n", {"netns"}},
    {"instance: t\nrole: lma\nbpffs: sys/fs/bpf\n", {"bpffs", "absolute"}},
    {"instance: t\nrole: lma\ncontrol-socket: /"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaa.sock\n",
     {"control-socket", "longer"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::zz\n  core-interfaces: [c]\n"
     "  access-interfaces: [a]\n  prefix-pool: fd00:100::/48\n  mags: [fd00::2]\n",
     {"lma.address", "fd00:11::zz"}},
    {"instance: t\nrole: lma\nlma:\n  address: ff02::1\n  core-interfaces: [c]\n"
     "  access-interfaces: [a]\n  prefix-pool: fd00:100::/48\n  mags: [fd00::2]\n",
     {"lma.address", "unicast"}},
    {LMA_HEAD "  tunnel-mtu: 900\n", {"lma.tunnel-mtu", "1280"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: "
     "[averyveryverylongname]\n"
     "  access-interfaces: [a0]\n  prefix-pool: fd00:100::/48\n  mags: [fd00:11::2]\n",
     {"lma.core-interfaces[0]", "interface"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [a0, a1, a0]\n  prefix-pool: fd00:100::/48\n  mags: [fd00:11::2]\n",
     {"lma.access-interfaces[2]", "twice"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [c0]\n  prefix-pool: fd00:100::/48\n  mags: [fd00:11::2]\n",
     {"lma.access-interfaces[0]", "core"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [a0]\n  prefix-pool: fd00:100::1/48\n  mags: [fd00:11::2]\n",
     {"lma.prefix-pool", "bits set"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [a0]\n  prefix-pool: fd00:100::\n  mags: [fd00:11::2]\n",
     {"lma.prefix-pool", "prefix"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [a0]\n  prefix-pool: fd00:100::/96\n  mags: [fd00:11::2]\n",
     {"lma.prefix-pool", "/64"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [a0]\n  prefix-pool: fd00:100::/48\n  mags: [fd00:11::2, fd00:11::2]\n",
     {"lma.mags[1]", "twice"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [a0]\n  prefix-pool: fd00:100::/48\n  mags: [fd00:11::2, 10.0.0.1]\n",
     {"lma.mags[1]", "10.0.0.1"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {}, prefer-att: [4]}\n"
	      "    - {fid: 1, selector: {}, prefer-att: [8]}\n",
     {"lma.policies[1].fid", "duplicate FID 1"}},
    {LMA_HEAD "  policies:\n    - {fid: 0, selector: {}, prefer-att: [4]}\n",
     {"lma.policies[0].fid", "range"}},
    {LMA_HEAD "  policies:\n    - {selector: {}, prefer-att: [4]}\n",
     {"lma.policies[0].fid", "missing"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {dst-port: [70000]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.dst-port", "70000"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {dst-port: [6000, 5000]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.dst-port", "above"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {next-header: [udp]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.next-header", "udp"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {flow-label: [0x100000]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.flow-label"}},
    {LMA_HEAD
     "  policies:\n    - {fid: 1, selector: {src-addr: [fd00::1, 10.0.0.1]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.src-addr", "mixes"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {src-addr: [fd00::1], dst-addr: [10.0.0.1]}, "
	      "prefer-att: [4]}\n",
     {"lma.policies[0].selector.dst-addr", "mixes"}},
    {LMA_HEAD
     "  policies:\n    - {fid: 1, selector: {src-addr: [fd00::9, fd00::1]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.src-addr", "above"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {dst-addr: [fd00::/129]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.dst-addr", "prefix length"}},
    {LMA_HEAD
     "  policies:\n    - {fid: 1, selector: {dst-addr: [host.example]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.dst-addr", "host.example"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {dst-addr: [10.0.0.1], flow-label: [5]}, "
	      "prefer-att: [4]}\n",
     {"lma.policies[0].selector.flow-label", "IPv4"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {dst-addr: [fd00::1], protocol: [6]}, "
	      "prefer-att: [4]}\n",
     {"lma.policies[0].selector.protocol", "next-header"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {tos: [1], tc: [1]}, prefer-att: [4]}\n",
     {"lma.policies[0].selector.tos"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {next-header: [17]}}\n",
     {"lma.policies[0].prefer-att", "access technology"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {}, prefer-att: [4, 0]}\n",
     {"lma.policies[0].prefer-att[1]"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {}, prefer-att: [4, 4]}\n",
     {"lma.policies[0].prefer-att[1]", "twice"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, selector: {}, prefer-att: [1, 2, 3, 4, 5]}\n",
     {"lma.policies[0].prefer-att"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, priority: 70000, selector: {}, prefer-att: [4]}\n",
     {"lma.policies[0].priority"}},
    {LMA_HEAD "  mobile-nodes:\n    - {id: mn1@example.net}\n    - {id: mn1@example.net}\n",
     {"lma.mobile-nodes[1].id", "twice"}},
    {LMA_HEAD "  mobile-nodes:\n    - {id: \"mn 1\"}\n", {"lma.mobile-nodes[0].id", "NAI"}},
    {LMA_HEAD "  mobile-nodes:\n    - {prefix-policy: shared}\n",
     {"lma.mobile-nodes[0].id", "missing"}},
    {LMA_HEAD "  timers: {heartbeat-missed: 0}\n", {"lma.timers.heartbeat-missed", "range"}},
    {LMA_HEAD "  timers: {retransmit-initial: 2000, retransmit-max: 1000}\n",
     {"lma.timers.retransmit-max", "retransmit-initial"}},
    {LMA_HEAD "  timers: {max-lifetime: 70000}\n", {"lma.timers.max-lifetime", "range"}},
    {LMA_HEAD "  timers: {max-lifetime: 30}\n", {"lma.timers.max-lifetime", "multiple of 4"}},
    {LMA_HEAD "  timers: {timestamp-window: soon}\n", {":9: ", "lma.timers.timestamp-window"}},
    {MAG_HEAD "  mobile-nodes:\n    - {mac: \"02:00:00:00:01\", id: a@b}\n",
     {"mag.mobile-nodes[0].mac", "MAC"}},
    {MAG_HEAD "  mobile-nodes:\n    - {mac: \"01:00:00:00:01:01\", id: a@b}\n",
     {"mag.mobile-nodes[0].mac", "multicast"}},
    {MAG_HEAD "  mobile-nodes:\n    - {mac: \"02:00:00:00:01:0g\", id: a@b}\n",
     {"mag.mobile-nodes[0].mac"}},
    {MAG_HEAD "  mobile-nodes:\n    - {mac: \"02:00:00:00:01:01\", id: a@b}\n"
	      "    - {mac: \"02:00:00:00:01:01\", id: c@d}\n",
     {"mag.mobile-nodes[1].mac", "twice"}},
    {MAG_HEAD "  link-local: fd00::1\n", {"mag.link-local", "link-local"}},
    {MAG_HEAD "  lma-interface2: x\n", {":4: ", "mag.lma-interface2", "unknown key"}},
    {"instance: t\nrole: mag\nmag:\n  address: fd00:11::2\n  lma: fd00:11::2\n"
     "  lma-interface: up0\n  access-interfaces: [{name: acc0, att: 4}]\n",
     {"mag.lma", "own"}},
    {"instance: t\nrole: mag\nmag:\n  address: fd00:11::2\n  lma: fd00:11::1\n"
     "  lma-interface: up0\n  access-interfaces: [{name: up0, att: 4}]\n",
     {"mag.access-interfaces[0].name", "lma-interface"}},
    {"instance: t\nrole: mag\nmag:\n  address: fd00:11::2\n  lma: fd00:11::1\n"
     "  lma-interface: up0\n  access-interfaces: [{name: acc0}]\n",
     {"mag.access-interfaces[0].att", "missing"}},
    {"instance: t\nrole: mag\nmag:\n  address: fd00:11::2\n  lma: fd00:11::1\n"
     "  lma-interface: up0\n  access-interfaces: [{name: acc0, att: 300}]\n",
     {"mag.access-interfaces[0].att"}},
    {"instance: t\nrole: mag\nmag:\n  address: fd00:11::2\n  lma: fd00:11::1\n"
     "  lma-interface: up0\n  access-interfaces: [{name: a, att: 4}, {name: a, att: 8}]\n",
     {"mag.access-interfaces[1].name", "twice"}},
    {"instance: t\nrole: mag\nmag:\n  address: fd00:11::2\n  lma: fd00:11::1\n"
     "  lma-interface: up0\n  access-interfaces:\n    - name: a\n      att: 4\n"
     "      flow-requests:\n        - {fid: 3, selector: {}}\n        - {fid: 3, selector: {}}\n",
     {"mag.access-interfaces[0].flow-requests[1].fid", "duplicate"}},
    {MAG_HEAD "  timers: {lifetime: 0}\n", {"mag.timers.lifetime", "range"}},
    {MAG_HEAD "  timers: {lifetime: 10}\n", {"mag.timers.lifetime", "multiple of 4"}},
    {MAG_HEAD "  timers: {ra-interval: 0}\n", {"mag.timers.ra-interval"}},
    {MAG_HEAD "  timers: {retransmit-max: 100}\n", {"mag.timers.retransmit-max"}},
    {MAG_HEAD "  keep-flow-state: maybe\n", {":8: ", "mag.keep-flow-state"}},
    {LMA_HEAD "  mobile-nodes:\n    - {id: a@b, deny: perhaps}\n",
     {":10: ", "lma.mobile-nodes[0].deny"}},
    /* interface-modes: keys are the role's interfaces, values the dataplane modes */
    {LMA_HEAD "  interface-modes: {c0: tc, c1: xdp}\n",
     {":9: ", "lma.interface-modes.c1", "not one of the lma's interfaces"}},
    /* an unknown key: libcyaml gives the line where the mapping starts */
    {LMA_HEAD "  interface-modes:\n    a0: tc\n    up0: xdp\n",
     {":10: ", "lma.interface-modes.up0", "not one of the lma's interfaces"}},
    {LMA_HEAD "  interface-modes: {a0: ebpf}\n",
     {":9: ", "lma.interface-modes.a0", "'ebpf' is not one of: xdp, xdp-generic, tc"}},
    {LMA_HEAD "  interface-modes: [tc]\n", {":9: ", "lma.interface-modes"}},
    {LMA_HEAD "  interface-modes: {a0: tc, a0: xdp}\n", {"lma.interface-modes.a0"}},
    {MAG_HEAD "  interface-modes: {acc0: tc, acc1: xdp}\n",
     {":8: ", "mag.interface-modes.acc1", "not one of the mag's interfaces"}},
    {MAG_HEAD "  interface-modes: {up0: generic}\n",
     {"mag.interface-modes.up0", "xdp, xdp-generic, tc"}},
    /* numbers: digits only (issue 11: libcyaml read "1e3" as 1, "9.9" as 9, "3abc" as 3) */
    {MAG_HEAD "  timers: {lifetime: 1e3}\n", {":8: ", "mag.timers.lifetime", "'1e3'"}},
    {MAG_HEAD "  timers: {lifetime: 9.9}\n", {":8: ", "mag.timers.lifetime", "'9.9'"}},
    {LMA_HEAD "  timers: {heartbeat-missed: 3abc}\n",
     {":9: ", "lma.timers.heartbeat-missed", "not a whole number"}},
    {LMA_HEAD "  timers:\n    retransmit-initial: 1500.5\n",
     {":10: ", "lma.timers.retransmit-initial", "1500.5"}},
    {"instance: t\nrole: mag\nmag:\n  address: fd00:11::2\n  lma: fd00:11::1\n"
     "  lma-interface: up0\n  access-interfaces: [{name: acc0, att: 4.7}]\n",
     {":7: ", "mag.access-interfaces[0].att", "4.7"}},
    {LMA_HEAD "  policies:\n    - {fid: 1x, selector: {}, prefer-att: [4]}\n",
     {":10: ", "lma.policies[0].fid", "1x"}},
    {LMA_HEAD "  policies:\n    - {fid: 1, priority: -1, selector: {}, prefer-att: [4]}\n",
     {":10: ", "lma.policies[0].priority"}},
    {LMA_HEAD "  policies:\n    - fid: 1\n      selector: {}\n      prefer-att: [4, 8.0]\n",
     {":12: ", "lma.policies[0].prefer-att[1]", "8.0"}},
    {LMA_HEAD "  tunnel-mtu: 1400.0\n", {":9: ", "lma.tunnel-mtu", "1400.0"}},
    {LMA_HEAD "  timers: {max-lifetime: \" 100\"}\n", {"lma.timers.max-lifetime"}},
    {LMA_HEAD "  timers: {max-lifetime: +100}\n", {"lma.timers.max-lifetime"}},
    {"instance: t\nmax-mns: 0\nrole: lma\n", {":2: ", "max-mns", "range"}},
    {"instance: t\nmax-mns: 64k\nrole: lma\n", {":2: ", "max-mns", "64k"}},
    {"instance: t\nmax-mns: 2000000\nrole: lma\n", {":2: ", "max-mns", "range"}},
    {"instance: t\nmax-mns: 1\nrole: mag\nmag:\n  address: fd00:11::2\n  lma: fd00:11::1\n"
     "  lma-interface: up0\n  access-interfaces: [{name: acc0, att: 4}]\n  mobile-nodes:\n"
     "    - {mac: \"02:00:00:00:01:01\", id: a@b}\n    - {mac: \"02:00:00:00:01:02\", id: c@d}\n",
     {":2: ", "max-mns", "mobile-nodes (2)"}},
    /* semantic errors carry the line of their key */
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [a0]\n  prefix-pool: fd00:100::1/48\n  mags: [fd00:11::2]\n",
     {":7: ", "lma.prefix-pool", "bits set"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [a0]\n  prefix-pool: fd00:100::/48\n  mags:\n    - fd00:11::2\n"
     "    - fd00:11::3\n    - fd00:11::2\n",
     {":11: ", "lma.mags[2]", "twice"}},
    {LMA_HEAD "  policies:\n    - fid: 1\n      prefer-att: [4]\n"
	      "      selector: {dst-port: [6000, 5000]}\n",
     {":12: ", "lma.policies[0].selector.dst-port", "above"}},
    {"instance: t\nrole: lma\nlma:\n  address: fd00:11::1\n  core-interfaces: [c0]\n"
     "  access-interfaces: [a0, a1, a0]\n  prefix-pool: fd00:100::/48\n  mags: [fd00:11::2]\n",
     {":6: ", "lma.access-interfaces[2]", "twice"}},
    {LMA_HEAD "  policies:\n    - {selector: {}, prefer-att: [4]}\n",
     {":10: ", "lma.policies[0].fid", "missing"}},
    {"instance: t\nrole: lma\n", {"lma", "missing required section"}},
    /* the first pass still checks the rest of the file */
    {LMA_HEAD "  interface-modes: {c0: tc}\n  colour: blue\n", {"lma.colour", "unknown key"}},
};

static char tmpdir[64];

static int write_file(const char *path, const char *text);

/* interface-modes: each interface's own mode, 0 (dataplane's) for the others;
 * the key may come before the interface lists. */
static void test_interface_modes(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/modes.yaml", tmpdir);
	assert_int_equal(write_file(path, "instance: t\nrole: lma\nlma:\n"
					  "  interface-modes: {c0: tc, a1: xdp-generic}\n"
					  "  address: fd00:11::1\n  core-interfaces: [c0]\n"
					  "  access-interfaces: [a0, a1, a2]\n  dataplane: xdp\n"
					  "  prefix-pool: fd00:100::/48\n  mags: [fd00:11::2]\n"),
			 0);
	assert_int_equal(load(path), 0);
	assert_int_equal(cfg.lma.dataplane, FM_DP_MODE_XDP);
	assert_int_equal(cfg.lma.core_modes[0], FM_DP_MODE_TC);
	assert_int_equal(cfg.lma.access_modes[0], 0);
	assert_int_equal(cfg.lma.access_modes[1], FM_DP_MODE_XDP_GENERIC);
	assert_int_equal(cfg.lma.access_modes[2], 0);

	assert_int_equal(write_file(path,
				    "instance: t\nrole: mag\nmag:\n  address: fd00:11::2\n"
				    "  lma: fd00:11::1\n  lma-interface: up0\n"
				    "  dataplane: tc\n  access-interfaces:\n"
				    "    - {name: acc0, att: 4}\n    - {name: acc1, att: 8}\n"
				    "  interface-modes:\n    up0: xdp-generic\n    acc1: xdp\n"),
			 0);
	assert_int_equal(load(path), 0);
	assert_int_equal(cfg.mag.dataplane, FM_DP_MODE_TC);
	assert_int_equal(cfg.mag.lma_interface_mode, FM_DP_MODE_XDP_GENERIC);
	assert_int_equal(cfg.mag.access_ifaces[0].mode, 0);
	assert_int_equal(cfg.mag.access_ifaces[1].mode, FM_DP_MODE_XDP);

	/* an empty map is no override */
	assert_int_equal(write_file(path, LMA_HEAD "  interface-modes: {}\n"), 0);
	assert_int_equal(load(path), 0);
	assert_int_equal(cfg.lma.core_modes[0], 0);
	assert_int_equal(cfg.lma.access_modes[0], 0);
	unlink(path);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* One bad file per test (the state is its case). */
static void test_bad_file(void **state)
{
	const struct bad *b = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/t.yaml", tmpdir);
	assert_int_equal(write_file(path, b->yaml), 0);
	memset(&cfg, 0x5a, sizeof(cfg));
	err[0] = '\0';
	if (fm_config_load(path, &cfg, err, sizeof(err)) == 0)
		fail_msg("accepted, should fail:\n%s", b->yaml);
	unlink(path);
	/* a failed load leaves the caller's config untouched */
	for (size_t k = 0; k < sizeof(cfg); k++)
		if (((unsigned char *)&cfg)[k] != 0x5a)
			fail_msg("config modified at byte %zu", k);
	if (strncmp(err, path, strlen(path)))
		fail_msg("message does not start with the path: %s", err);
	for (int w = 0; w < 3 && b->want[w]; w++)
		if (!strstr(err, b->want[w]))
			fail_msg("'%s' missing in: %s", b->want[w], err);
}

/* fm_config_defaults is the one source of defaults: the documented values, and a
 * file without the optional keys loads exactly them. */
static void test_defaults(void **state)
{
	struct fm_config *d = malloc(sizeof(*d));
	char path[128];

	(void)state;
	assert_non_null(d);
	fm_config_defaults(d, FM_ROLE_MAG);
	assert_int_equal(d->role, FM_ROLE_MAG);
	assert_int_equal(d->log_level, FM_LOG_INFO);
	assert_string_equal(d->bpffs, "/sys/fs/bpf");
	assert_int_equal(d->lma.dataplane, FM_DP_MODE_XDP);
	assert_int_equal(d->lma.prefix_policy, FM_PP_UNIQUE);
	assert_int_equal(d->lma.ordering, FM_ORDER_TIMESTAMP);
	assert_int_equal(d->lma.flow_signaling, FM_SIG_FMI);
	assert_int_equal(d->lma.timers.min_delay_before_bce_delete_ms, 10000);
	assert_int_equal(d->lma.timers.max_delay_before_new_bce_assign_ms, 1500);
	assert_int_equal(d->lma.timers.timestamp_window_ms, 300);
	assert_int_equal(d->lma.timers.heartbeat_interval_s, 60);
	assert_int_equal(d->lma.timers.heartbeat_missed, 3);
	assert_int_equal(d->lma.timers.retransmit_initial_ms, 1500);
	assert_int_equal(d->lma.timers.retransmit_max_ms, 32000);
	assert_int_equal(d->lma.timers.max_lifetime_s, 65532);
	assert_int_equal(d->lma.tunnel_mtu, 0);
	assert_int_equal(d->mag.dataplane, FM_DP_MODE_XDP);
	addr_eq(&d->mag.link_local, "fe80::1");
	assert_false(d->mag.keep_flow_state);
	assert_int_equal(d->mag.timers.retransmit_initial_ms, 1500);
	assert_int_equal(d->mag.timers.retransmit_max_ms, 32000);
	assert_int_equal(d->mag.timers.lifetime_s, 3600);
	assert_int_equal(d->mag.timers.ra_interval_s, 10);
	assert_int_equal(d->mag.timers.idle_timeout_s, 0);
	assert_int_equal(d->mag.timers.heartbeat_interval_s, 60);
	assert_int_equal(d->mag.timers.heartbeat_missed, 3);
	assert_int_equal(d->mag.tunnel_mtu, 0);

	assert_int_equal(load("tests/unit/config/mag-minimal.yaml"), 0);
	assert_memory_equal(&cfg.mag.timers, &fm_cfg_mag_timers_default, sizeof(cfg.mag.timers));
	assert_memory_equal(&cfg.mag.timers, &d->mag.timers, sizeof(cfg.mag.timers));
	snprintf(path, sizeof(path), "%s/lma-minimal.yaml", tmpdir);
	assert_int_equal(write_file(path, LMA_HEAD), 0);
	assert_int_equal(load(path), 0);
	unlink(path);
	assert_memory_equal(&cfg.lma.timers, &fm_cfg_lma_timers_default, sizeof(cfg.lma.timers));
	assert_memory_equal(&cfg.lma.timers, &d->lma.timers, sizeof(cfg.lma.timers));
	assert_int_equal(cfg.lma.prefix_policy, FM_PP_UNIQUE);
	assert_int_equal(cfg.lma.ordering, FM_ORDER_TIMESTAMP);
	assert_int_equal(cfg.lma.flow_signaling, FM_SIG_FMI);
	free(d);
}

/* ---- SIGHUP: the reload table ------------------------------------------------------ */

static struct in6_addr in6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* Restart-only keys keep their running values, reloadable ones pass, exactly as
 * main.c's hand-written resets did. */
static void test_reload_filter_mag(void **state)
{
	struct fm_config *cur = malloc(sizeof(*cur)), *next = malloc(sizeof(*next));

	(void)state;
	assert_non_null(cur);
	assert_non_null(next);
	fm_config_defaults(cur, FM_ROLE_MAG);
	snprintf(cur->instance, sizeof(cur->instance), "m1");
	snprintf(cur->netns, sizeof(cur->netns), "ns1");
	cur->mag.address = in6("fd00:11::2");
	cur->mag.lma = in6("fd00:11::1");
	cur->mag.n_access = 2;
	snprintf(cur->mag.access_ifaces[0].name, IF_NAMESIZE, "a0");
	snprintf(cur->mag.access_ifaces[1].name, IF_NAMESIZE, "a1");
	cur->mag.access_ifaces[0].att = 4;
	cur->mag.n_mobile_nodes = 1;
	snprintf(cur->mag.mobile_nodes[0].id, FM_NAI_MAX, "mn1");

	/* nothing changed: nothing kept */
	memcpy(next, cur, sizeof(*next));
	assert_int_equal(fm_config_reload_filter(cur, next, err, sizeof(err)), 0);
	assert_memory_equal(cur, next, sizeof(*cur));

	/* reloadable keys pass */
	next->log_level = FM_LOG_DEBUG;
	next->mag.timers.lifetime_s = 40;
	next->mag.keep_flow_state = true;
	next->mag.access_ifaces[0].att = 8;
	next->mag.access_ifaces[1].n_flow_requests = 1;
	next->mag.access_ifaces[1].flow_requests[0].fid = 9;
	assert_int_equal(fm_config_reload_filter(cur, next, err, sizeof(err)), 0);
	assert_int_equal(next->log_level, FM_LOG_DEBUG);
	assert_int_equal(next->mag.timers.lifetime_s, 40);
	assert_true(next->mag.keep_flow_state);
	assert_int_equal(next->mag.access_ifaces[0].att, 8);
	assert_int_equal(next->mag.access_ifaces[1].flow_requests[0].fid, 9);

	/* restart-only keys are reset, one count per key */
	next->mag.address = in6("fd00:99::2");
	next->mag.lma = in6("fd00:99::1");
	snprintf(next->mag.lma_interface, IF_NAMESIZE, "other");
	next->mag.dataplane = FM_DP_MODE_TC;
	next->mag.lma_interface_mode = FM_DP_MODE_XDP_GENERIC;
	next->mag.access_ifaces[1].mode = FM_DP_MODE_TC;
	next->mag.link_local = in6("fe80::2");
	next->mag.tunnel_mtu = 1400;
	next->mag.n_mobile_nodes = 2;
	snprintf(next->netns, sizeof(next->netns), "ns2");
	snprintf(next->state_dir, sizeof(next->state_dir), "/tmp/x");
	assert_int_equal(fm_config_reload_filter(cur, next, err, sizeof(err)), 10);
	addr_eq(&next->mag.address, "fd00:11::2");
	addr_eq(&next->mag.lma, "fd00:11::1");
	assert_string_equal(next->mag.lma_interface, "");
	assert_int_equal(next->mag.dataplane, FM_DP_MODE_XDP);
	assert_int_equal(next->mag.lma_interface_mode, 0);
	assert_int_equal(next->mag.access_ifaces[1].mode, 0);
	addr_eq(&next->mag.link_local, "fe80::1");
	assert_int_equal(next->mag.tunnel_mtu, 0);
	assert_int_equal(next->mag.n_mobile_nodes, 1);
	assert_string_equal(next->netns, "ns1");
	assert_string_equal(next->state_dir, "");
	/* ... and what was reloadable stays new */
	assert_int_equal(next->mag.access_ifaces[0].att, 8);
	assert_int_equal(next->log_level, FM_LOG_DEBUG);

	/* a new set of access interfaces keeps the whole running list (att included) */
	memcpy(next, cur, sizeof(*next));
	snprintf(next->mag.access_ifaces[1].name, IF_NAMESIZE, "a2");
	next->mag.access_ifaces[0].att = 8;
	assert_int_equal(fm_config_reload_filter(cur, next, err, sizeof(err)), 1);
	assert_string_equal(next->mag.access_ifaces[1].name, "a1");
	assert_int_equal(next->mag.access_ifaces[0].att, 4);
	memcpy(next, cur, sizeof(*next));
	next->mag.n_access = 1;
	assert_int_equal(fm_config_reload_filter(cur, next, err, sizeof(err)), 1);
	assert_int_equal(next->mag.n_access, 2);

	/* the LMA section is not the MAG's business */
	memcpy(next, cur, sizeof(*next));
	next->lma.tunnel_mtu = 1400;
	assert_int_equal(fm_config_reload_filter(cur, next, err, sizeof(err)), 0);

	/* a new role refuses the reload as a whole */
	memcpy(next, cur, sizeof(*next));
	next->role = FM_ROLE_LMA;
	next->mag.address = in6("fd00:99::2");
	assert_int_equal(fm_config_reload_filter(cur, next, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "role"));
	free(cur);
	free(next);
}

static void test_reload_filter_lma(void **state)
{
	struct fm_config *cur = malloc(sizeof(*cur)), *next = malloc(sizeof(*next));

	(void)state;
	assert_non_null(cur);
	assert_non_null(next);
	fm_config_defaults(cur, FM_ROLE_LMA);
	cur->lma.n_core = 1;
	snprintf(cur->lma.core_ifaces[0], IF_NAMESIZE, "c0");
	cur->lma.n_access = 1;
	snprintf(cur->lma.access_ifaces[0], IF_NAMESIZE, "a0");
	cur->lma.prefix_pool.addr = in6("fd00:100::");
	cur->lma.prefix_pool.plen = 48;
	memcpy(next, cur, sizeof(*next));
	next->lma.n_core = 2;
	snprintf(next->lma.core_ifaces[1], IF_NAMESIZE, "c1");
	snprintf(next->lma.access_ifaces[0], IF_NAMESIZE, "a9");
	next->lma.core_modes[0] = FM_DP_MODE_TC;
	next->lma.prefix_pool.plen = 56;
	next->lma.address = in6("fd00:11::9");
	next->lma.dataplane = FM_DP_MODE_TC;
	next->lma.tunnel_mtu = 1300;
	/* reloadable */
	next->lma.flow_signaling = FM_SIG_UPN;
	next->lma.n_mags = 1;
	next->lma.n_policies = 1;
	next->lma.timers.heartbeat_interval_s = 5;
	next->mag.tunnel_mtu = 1400; /* the other role's section: not compared */
	assert_int_equal(fm_config_reload_filter(cur, next, err, sizeof(err)), 7);
	assert_int_equal(next->lma.n_core, 1);
	assert_string_equal(next->lma.core_ifaces[1], "");
	assert_string_equal(next->lma.access_ifaces[0], "a0");
	assert_int_equal(next->lma.core_modes[0], 0);
	assert_int_equal(next->lma.prefix_pool.plen, 48);
	assert_int_equal(next->lma.dataplane, FM_DP_MODE_XDP);
	assert_int_equal(next->lma.tunnel_mtu, 0);
	assert_int_equal(next->lma.flow_signaling, FM_SIG_UPN);
	assert_int_equal(next->lma.n_mags, 1);
	assert_int_equal(next->lma.n_policies, 1);
	assert_int_equal(next->lma.timers.heartbeat_interval_s, 5);
	free(cur);
	free(next);
}

static const struct fm_cfg_key *key_find(const char *key)
{
	for (size_t i = 0; i < fm_cfg_n_keys; i++)
		if (!strcmp(fm_cfg_keys[i].key, key))
			return &fm_cfg_keys[i];
	return NULL;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '`' || s[n - 1] == '\n'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '`')
		i++;
	memmove(s, s + i, n - i + 1);
}

/* One documented key and its "reload" cell ("yes" or "restart..."). */
static void doc_key(const char *key, const char *verdict, bool *seen)
{
	const struct fm_cfg_key *k = key_find(key);
	bool yes = !strncmp(verdict, "yes", 3), restart = !strncmp(verdict, "restart", 7);

	if (!k)
		fail_msg("docs/configuration.md documents '%s' (reload: %s), config.c's reload "
			 "table has no such key",
			 key, verdict);
	if (!yes && !restart)
		fail_msg("docs: %s: reload cell '%s' is neither yes nor restart", key, verdict);
	if (yes != (k->reload == FM_CFG_RELOAD))
		fail_msg("docs say %s for '%s', the reload table says %s", verdict, key,
			 k->reload == FM_CFG_RELOAD ? "reload" : "restart");
	if (seen[k - fm_cfg_keys])
		fail_msg("docs: '%s' documented twice", key);
	seen[k - fm_cfg_keys] = true;
}

/* docs/configuration.md's "reload" column and the SIGHUP table say the same, key by
 * key, both ways. A cell "set of names: restart; `att`, `flow-requests`: yes" names
 * the list itself and keys of its entries. */
/* RFC 4285 keys: read from a 0600 file, refused when group or others may read it. */
static void test_auth_keys(void **state)
{
	char dir[] = "/tmp/fm-cfg-keysXXXXXX", key[128], yaml[160];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/mag.key", dir);
	snprintf(yaml, sizeof(yaml), "%s/t.yaml", dir);
	f = fopen(key, "w");
	fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", f);
	fclose(f);
	f = fopen(yaml, "w");
	fputs(LMA_HEAD "  mag-keys: [{mag: fd00:11::2, spi: 4242, key-file: mag.key}]\n", f);
	fclose(f);
	chmod(key, 0644);
	assert_int_equal(fm_config_load(yaml, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "lma.mag-keys[0]"));
	assert_non_null(strstr(err, "chmod 600"));
	chmod(key, 0600);
	assert_int_equal(load(yaml), 0);
	assert_int_equal(cfg.lma.mag_keys[0].spi, 4242);
	assert_int_equal(cfg.lma.mag_keys[0].len, 32);
	assert_int_equal(cfg.lma.mag_keys[0].key[1], 0x11);
	f = fopen(yaml, "w");
	fputs(MAG_HEAD "  lma-spi: 4243\n  lma-key-file: mag.key\n", f);
	fclose(f);
	assert_int_equal(load(yaml), 0);
	assert_int_equal(cfg.mag.lma_key.spi, 4243);
	assert_int_equal(cfg.mag.lma_key.len, 32);
	unlink(key);
	unlink(yaml);
	rmdir(dir);
}

static void test_reload_table_matches_docs(void **state)
{
	FILE *f = fopen("docs/configuration.md", "r");
	char line[2048], prefix[8] = "";
	static bool seen[128];
	bool in_table = false;
	int rows = 0;

	(void)state;
	assert_non_null(f);
	assert_true(fm_cfg_n_keys <= sizeof(seen));
	while (fgets(line, sizeof(line), f)) {
		char *cell[8] = {0}, *p = line;

		int nc = 0;

		if (!strncmp(line, "## ", 3)) {
			in_table = false;
			snprintf(prefix, sizeof(prefix), "%s",
				 strstr(line, "`lma:`")	     ? "lma."
				 : strstr(line, "`mag:`")    ? "mag."
				 : strstr(line, "Top level") ? ""
							     : "-");
			continue;
		}
		if (line[0] != '|' || prefix[0] == '-') {
			in_table = in_table && line[0] == '|';
			continue;
		}
		if (!strncmp(line, "| key | type | default | reload |", 33)) {
			in_table = true;
			continue;
		}
		if (!in_table || !strncmp(line, "|---", 4))
			continue;
		/* cells between unescaped '|' ("\|" is a pipe inside a cell) */
		for (; *p && nc < 8; p++) {
			if (*p == '\\' && p[1] == '|') {
				p++;
				continue;
			}
			if (*p != '|')
				continue;
			*p = '\0';
			if (p[1] && p[1] != '\n')
				cell[nc++] = p + 1;
		}
		if (nc < 5)
			continue;
		trim(cell[0]);
		trim(cell[3]);
		if (!cell[3][0])
			continue; /* a section (lma:, mag:) */
		char key[128], *part, *save = NULL;

		snprintf(key, sizeof(key), "%s%s", prefix, cell[0]);
		rows++;
		if (!strchr(cell[3], ';')) {
			doc_key(key, cell[3], seen);
			continue;
		}
		for (part = strtok_r(cell[3], ";", &save); part;
		     part = strtok_r(NULL, ";", &save)) {
			char *colon = strrchr(part, ':'), *name, *s2 = NULL;
			char verdict[32], sub[160];

			assert_non_null(colon);
			*colon = '\0';
			snprintf(verdict, sizeof(verdict), "%s", colon + 1);
			trim(verdict);
			trim(part);
			if (!strcmp(part, "set of names")) {
				doc_key(key, verdict, seen);
				continue;
			}
			for (name = strtok_r(part, ",", &s2); name;
			     name = strtok_r(NULL, ",", &s2)) {
				trim(name);
				snprintf(sub, sizeof(sub), "%s[].%s", key, name);
				doc_key(sub, verdict, seen);
			}
		}
	}
	fclose(f);
	assert_true(rows > 20);
	for (size_t i = 0; i < fm_cfg_n_keys; i++)
		if (!seen[i])
			fail_msg("the reload table's '%s' is not in docs/configuration.md",
				 fm_cfg_keys[i].key);
}

/* docs/configuration.md's timer tables state the defaults fm_config_defaults fills. */
static void test_timer_defaults_match_docs(void **state)
{
	static const struct {
		const char *key;
		const uint32_t *val;
	} keys[] = {
	    {"lma.min-delay-before-bce-delete",
	     &fm_cfg_lma_timers_default.min_delay_before_bce_delete_ms},
	    {"lma.max-delay-before-new-bce-assign",
	     &fm_cfg_lma_timers_default.max_delay_before_new_bce_assign_ms},
	    {"lma.timestamp-window", &fm_cfg_lma_timers_default.timestamp_window_ms},
	    {"lma.heartbeat-interval", &fm_cfg_lma_timers_default.heartbeat_interval_s},
	    {"lma.heartbeat-missed", &fm_cfg_lma_timers_default.heartbeat_missed},
	    {"lma.retransmit-initial", &fm_cfg_lma_timers_default.retransmit_initial_ms},
	    {"lma.retransmit-max", &fm_cfg_lma_timers_default.retransmit_max_ms},
	    {"lma.max-lifetime", &fm_cfg_lma_timers_default.max_lifetime_s},
	    {"mag.retransmit-initial", &fm_cfg_mag_timers_default.retransmit_initial_ms},
	    {"mag.retransmit-max", &fm_cfg_mag_timers_default.retransmit_max_ms},
	    {"mag.lifetime", &fm_cfg_mag_timers_default.lifetime_s},
	    {"mag.ra-interval", &fm_cfg_mag_timers_default.ra_interval_s},
	    {"mag.idle-timeout", &fm_cfg_mag_timers_default.idle_timeout_s},
	    {"mag.heartbeat-interval", &fm_cfg_mag_timers_default.heartbeat_interval_s},
	    {"mag.heartbeat-missed", &fm_cfg_mag_timers_default.heartbeat_missed},
	};
	FILE *f = fopen("docs/configuration.md", "r");
	char line[1024], sect[4] = "";
	unsigned seen = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char key[96], def[32];

		if (!strncmp(line, "`lma.timers`:", 13) || !strncmp(line, "`mag.timers`:", 13)) {
			snprintf(sect, sizeof(sect), "%.3s", line + 1);
			continue;
		}
		if (line[0] != '|') {
			if (line[0] != '\n')
				sect[0] = '\0';
			continue;
		}
		if (!sect[0] ||
		    sscanf(line, "| `%80[^`]` | %*[^|] | %30[^ |] |", key + 4, def) != 2)
			continue;
		memcpy(key, sect, 3);
		key[3] = '.';
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcmp(keys[i].key, key))
				continue;
			if (strtoul(def, NULL, 10) != *keys[i].val)
				fail_msg("docs: %s defaults to %s, config.c to %u", key, def,
					 *keys[i].val);
			seen |= 1u << i;
		}
	}
	fclose(f);
	assert_int_equal(seen, (1u << (sizeof(keys) / sizeof(keys[0]))) - 1);
}

static void test_missing_file(void **state)
{
	(void)state;
	assert_int_equal(fm_config_load("/nonexistent/flowmob.yaml", &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/flowmob.yaml"));
	assert_non_null(strstr(err, "No such file"));
}

static void test_empty_file(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/empty.yaml", tmpdir);
	assert_int_equal(write_file(path, ""), 0);
	assert_int_equal(fm_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	unlink(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fm-test-config-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_example_lma),
	    cmocka_unit_test(test_example_mags),
	    cmocka_unit_test(test_lma_full),
	    cmocka_unit_test(test_mag_full_and_defaults),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_empty_file),
	    cmocka_unit_test(test_interface_modes),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_reload_filter_mag),
	    cmocka_unit_test(test_reload_filter_lma),
	    cmocka_unit_test(test_reload_table_matches_docs),
	    cmocka_unit_test(test_auth_keys),
	    cmocka_unit_test(test_timer_defaults_match_docs),
	};
	const size_t nf = sizeof(fixed) / sizeof(fixed[0]);
	const size_t nb = sizeof(bad_files) / sizeof(bad_files[0]);
	struct CMUnitTest *tests = calloc(nf + nb, sizeof(*tests));
	static char names[sizeof(bad_files) / sizeof(bad_files[0])][48];
	int ret;

	if (!tests)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < nb; i++) {
		snprintf(names[i], sizeof(names[i]), "test_bad_file_%02zu", i);
		tests[nf + i] = (struct CMUnitTest){
		    .name = names[i],
		    .test_func = test_bad_file,
		    .initial_state = (void *)&bad_files[i],
		};
	}
	ret = _cmocka_run_group_tests("config", tests, nf + nb, setup, teardown);
	free(tests);
	return ret;
}
