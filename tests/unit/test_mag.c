// SPDX-License-Identifier: GPL-2.0
/*
 * test_mag.c — the MAG's protocol logic (agent/mag/mag.c) driven with an injected
 * clock and capturing hooks: attach from RS (and not from unknown MACs), the
 * PBU/PBA exchange, routes and Router Advertisements, FMI/FMA, UPN/UPA, BRI/BRA,
 * Flow Identification in a PBA, detach (command, link down, idle), heartbeat and
 * the control commands. Every answer is checked field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#define FM_TEST_WANT_TS_JSON
#include "fm_test_weak.h"
#include "mag/mag.h"

/* ---- capture ------------------------------------------------------------------- */
#define MAX 64
static struct mh_msg mh[MAX];
static int nmh;
static struct {
	int iface;
	uint8_t mac[6];
	struct in6_addr dst;
	struct nd_ra ra;
} ras[MAX];
static int nra;
static int nns;
static struct in6_addr ns_target;
static struct {
	bool set;
	struct in6_addr p;
	uint8_t plen;
	char iface[IF_NAMESIZE];
	uint8_t mac[6];
	uint32_t mn;
} routes[MAX];
static int nroutes; /* log of route_set/route_del calls */
static struct fm_dp_counters ctr;
static int link_up = 1;
static char events[MAX][32];
static json_t *event_fields[MAX];
static int nev;

static int c_send_mh(void *ctx, const struct mh_msg *m, const struct in6_addr *dst)
{
	struct in6_addr lma;

	(void)ctx;
	inet_pton(AF_INET6, "fd00:11::1", &lma);
	assert_memory_equal(dst, &lma, 16);
	/* every message the MAG produces is encodable and decodes to the same fields */
	{
		uint8_t buf[2048];
		struct mh_err err;
		struct mh_msg back;
		int n = mh_encode(m, buf, sizeof(buf), &err);

		if (n < 0)
			fail_msg("mh_encode(%d): %s", m->kind, err.msg);
		assert_int_equal(mh_decode(buf, (size_t)n, &back, &err), 0);
		assert_int_equal(back.kind, m->kind);
		assert_int_equal(back.seq, m->seq);
		assert_int_equal(back.status, m->status);
		assert_int_equal(back.lifetime, m->lifetime);
		assert_int_equal(back.n_opts, m->n_opts);
	}
	if (nmh < MAX)
		mh[nmh] = *m;
	nmh++;
	return 0;
}

static int c_send_ra(void *ctx, int iface, const uint8_t mac[6], const struct in6_addr *dst,
		     const struct nd_ra *ra)
{
	(void)ctx;
	if (nra < MAX) {
		ras[nra].iface = iface;
		memcpy(ras[nra].mac, mac, 6);
		ras[nra].dst = *dst;
		ras[nra].ra = *ra;
	}
	nra++;
	return 0;
}

static int c_send_ns(void *ctx, int iface, const uint8_t mac[6], const struct in6_addr *dst,
		     const struct in6_addr *target)
{
	(void)ctx;
	(void)iface;
	(void)mac;
	(void)dst;
	ns_target = *target;
	nns++;
	return 0;
}

static int c_route_set(struct fm_dp *ctx, const struct in6_addr *p, uint8_t plen, const char *iface,
		       const uint8_t mac[6], uint32_t mn)
{
	(void)ctx;
	if (nroutes < MAX) {
		routes[nroutes].set = true;
		routes[nroutes].p = *p;
		routes[nroutes].plen = plen;
		snprintf(routes[nroutes].iface, IF_NAMESIZE, "%s", iface);
		memcpy(routes[nroutes].mac, mac, 6);
		routes[nroutes].mn = mn;
	}
	nroutes++;
	return 0;
}

static int c_route_del(struct fm_dp *ctx, const struct in6_addr *p, uint8_t plen)
{
	(void)ctx;
	if (nroutes < MAX) {
		routes[nroutes].set = false;
		routes[nroutes].p = *p;
		routes[nroutes].plen = plen;
	}
	nroutes++;
	return 0;
}

static int c_counters(struct fm_dp *ctx, uint32_t mn, struct fm_dp_counters *c)
{
	(void)ctx;
	(void)mn;
	*c = ctr;
	return 0;
}

static int c_link(void *ctx, const char *iface)
{
	(void)ctx;
	(void)iface;
	return link_up;
}

static void c_event(void *ctx, const char *name, json_t *fields)
{
	(void)ctx;
	if (nev < MAX) {
		snprintf(events[nev], sizeof(events[nev]), "%s", name);
		event_fields[nev] = fields;
	} else {
		json_decref(fields);
	}
	nev++;
}

static const struct fm_dp_ops fake_dp = {
    .mag_route_set = c_route_set,
    .mag_route_del = c_route_del,
    .mn_counters = c_counters,
};

static const struct mag_hooks hooks = {
    .send_mh = c_send_mh,
    .send_ra = c_send_ra,
    .send_ns = c_send_ns,
    .link_running = c_link,
    .event = c_event,
    .dp = &fake_dp,
};

/* ---- fixture --------------------------------------------------------------------- */
#define MN1 "mn1@example.net"
static const uint8_t MN_MAC[6] = {0x02, 0, 0, 0, 1, 1};
static const uint8_t MAG_MAC[6] = {0x02, 0, 0, 0, 0, 0xaa};
static struct fm_config *cfg;
static struct mag *m;
static uint64_t now;

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static void clear(void)
{
	for (int i = 0; i < nev && i < MAX; i++)
		json_decref(event_fields[i]);
	nmh = nra = nns = nroutes = nev = 0;
}

static int setup(void **state)
{
	(void)state;
	test_clock_install();
	cfg = malloc(sizeof(*cfg));
	fm_config_defaults(cfg, FM_ROLE_MAG);
	snprintf(cfg->instance, sizeof(cfg->instance), "mag1");
	cfg->mag.address = a6("fd00:11::2");
	cfg->mag.lma = a6("fd00:11::1");
	snprintf(cfg->mag.lma_interface, IF_NAMESIZE, "mag1-lma");
	cfg->mag.n_access = 1;
	snprintf(cfg->mag.access_ifaces[0].name, IF_NAMESIZE, "mag1-mn");
	cfg->mag.access_ifaces[0].att = 4;
	cfg->mag.link_local = a6("fe80::1");
	cfg->mag.n_mobile_nodes = 2;
	memcpy(cfg->mag.mobile_nodes[0].mac, MN_MAC, 6);
	snprintf(cfg->mag.mobile_nodes[0].id, FM_NAI_MAX, "mn1@example.net");
	memcpy(cfg->mag.mobile_nodes[1].mac, (uint8_t[6]){2, 0, 0, 0, 2, 2}, 6);
	snprintf(cfg->mag.mobile_nodes[1].id, FM_NAI_MAX, "mn2@example.net");
	cfg->mag.timers = (struct fm_cfg_mag_timers){.retransmit_initial_ms = 1500,
						     .retransmit_max_ms = 32000,
						     .lifetime_s = 3600,
						     .ra_interval_s = 10,
						     .idle_timeout_s = 30,
						     .heartbeat_interval_s = 0,
						     .heartbeat_missed = 3};
	now = 1000000;
	test_now_ms = now;
	link_up = 1;
	memset(&ctr, 0, sizeof(ctr));
	clear();
	m = mag_create(cfg, &hooks, NULL, 7, now);
	assert_non_null(m);
	mag_set_iface_mac(m, 0, MAG_MAC);
	mag_set_ra_mtu(m, 1460);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	clear();
	mag_destroy(m);
	free(cfg);
	return 0;
}

static void tick(uint64_t ms)
{
	now += ms;
	test_now_ms = now;
	mag_tick(m, now);
}

/* RS frame: from 'src' (NULL: ::) with an SLLA of mac (NULL: none), Ethernet source mac. */
static void rs(const uint8_t mac[6], const char *src, bool slla)
{
	uint8_t body[16], frame[128];
	struct in6_addr s = src ? a6(src) : (struct in6_addr)IN6ADDR_ANY_INIT, d = a6("ff02::2");
	uint8_t dmac[6] = {0x33, 0x33, 0, 0, 0, 2};
	int bn = nd_build_rs(slla ? mac : NULL, body, sizeof(body));
	int fn = nd_build_frame(mac, dmac, &s, &d, body, (size_t)bn, frame, sizeof(frame));

	mag_rx_nd(m, 0, frame, (size_t)fn, now);
}

static void mn_id(struct mh_msg *x, const char *id)
{
	struct mh_opt *o = mh_opt_add(x, MH_OPT_MN_ID);

	o->mn_id.subtype = 1;
	o->mn_id.len = (uint8_t)strlen(id);
	memcpy(o->mn_id.id, id, strlen(id));
}

static void hnp(struct mh_msg *x, const char *p)
{
	struct mh_opt *o = mh_opt_add(x, MH_OPT_HNP);

	o->hnp.plen = 64;
	o->hnp.prefix = a6(p);
}

static void rx(const struct mh_msg *x)
{
	struct in6_addr lma = a6("fd00:11::1");

	mag_rx_mh(m, x, &lma, now);
}

static void send_pba(uint16_t seq, uint8_t status, uint32_t lifetime, const char *p1,
		     const char *p2, uint16_t bid)
{
	struct mh_msg x = {0};

	x.kind = MH_PBA;
	x.seq = seq;
	x.status = status;
	x.flags = MH_PBA_P;
	x.lifetime = lifetime;
	mn_id(&x, "mn1@example.net");
	if (p1)
		hnp(&x, p1);
	if (p2)
		hnp(&x, p2);
	if (bid) {
		struct mh_opt *o = mh_opt_add(&x, MH_OPT_BID);

		o->bid.bid = bid;
	}
	rx(&x);
}

static bool routed(const char *p, uint8_t plen, bool set)
{
	struct in6_addr a = a6(p);

	for (int i = 0; i < nroutes && i < MAX; i++)
		if (routes[i].set == set && routes[i].plen == plen && !memcmp(&routes[i].p, &a, 16))
			return true;
	return false;
}

static const struct nd_prefix *ra_prefix(int i, const char *p)
{
	struct in6_addr a = a6(p);

	for (int k = 0; k < ras[i].ra.n_prefixes; k++)
		if (!memcmp(&ras[i].ra.prefixes[k].pfx.addr, &a, 16))
			return &ras[i].ra.prefixes[k];
	return NULL;
}

static int find_event(const char *name)
{
	for (int i = 0; i < nev && i < MAX; i++)
		if (!strcmp(events[i], name))
			return i;
	return -1;
}

/* Attach mn1 by RS and register it with fd00:100::/64, BID 1. */
static void attach_registered(void)
{
	rs(MN_MAC, "fe80::ff:fe00:101", true);
	assert_int_equal(nmh, 1);
	send_pba((uint16_t)mh[0].seq, PBA_ACCEPTED, 3600, "fd00:100::", NULL, 1);
	clear();
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_unknown_mac_ignored(void **state)
{
	(void)state;
	uint8_t stranger[6] = {0x02, 0xde, 0xad, 0, 0, 1};
	char e[128];
	json_t *st;

	rs(stranger, "fe80::de:adff:fe00:1", true);
	rs(stranger, NULL, false);
	assert_int_equal(nmh, 0);
	assert_int_equal(nra, 0);
	assert_int_equal(nroutes, 0);
	assert_int_equal(nev, 0);
	st = mag_ctl_stats(m, NULL, e, sizeof(e));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(st, "nd"), "unknown_mac")), 2);
	json_decref(st);
}

static void test_attach_register_ra(void **state)
{
	(void)state;
	struct in6_addr mn_ll = a6("fe80::ff:fe00:101"), zero = IN6ADDR_ANY_INIT;
	const struct mh_opt *o;
	char e[128];

	rs(MN_MAC, "fe80::ff:fe00:101", true);
	assert_int_equal(find_event("attach") >= 0, 1);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_PBU);
	assert_int_equal(mh[0].flags, MH_PBU_A | MH_PBU_P);
	assert_int_equal(mh[0].lifetime, 3600);
	o = mh_opt_find(&mh[0], MH_OPT_HNP, 0);
	assert_int_equal(o->hnp.plen, 0);
	assert_memory_equal(&o->hnp.prefix, &zero, 16);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_ATT, 0)->att, 4);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_HI, 0)->hi, MH_HI_NEW_IFACE);
	assert_memory_equal(mh_opt_find(&mh[0], MH_OPT_LL_ID, 0)->ll_id.id, MN_MAC, 6);
	/* no RA and no route before the LMA answers */
	assert_int_equal(nra, 0);
	assert_int_equal(nroutes, 0);
	/* a second RS while registering sends nothing new */
	rs(MN_MAC, "fe80::ff:fe00:101", true);
	assert_int_equal(nmh, 1);

	send_pba((uint16_t)mh[0].seq, PBA_ACCEPTED, 3600, "fd00:100::", NULL, 1);
	/* data plane route: prefix -> access interface + MN MAC + MN index */
	assert_int_equal(nroutes, 1);
	assert_true(routes[0].set);
	assert_true(routed("fd00:100::", 64, true));
	assert_string_equal(routes[0].iface, "mag1-mn");
	assert_memory_equal(routes[0].mac, MN_MAC, 6);
	assert_int_equal(routes[0].mn, 1);
	/* one unicast RA with exactly the assigned prefix */
	assert_int_equal(nra, 1);
	assert_memory_equal(ras[0].mac, MN_MAC, 6);
	assert_memory_equal(&ras[0].dst, &mn_ll, 16);
	assert_int_equal(ras[0].ra.n_prefixes, 1);
	assert_non_null(ra_prefix(0, "fd00:100::"));
	assert_int_equal(ras[0].ra.prefixes[0].pfx.plen, 64);
	assert_int_equal(ras[0].ra.prefixes[0].valid, 3600);
	assert_int_equal(ras[0].ra.prefixes[0].preferred, 3600);
	assert_int_equal(ras[0].ra.mtu, 1460);
	assert_true(ras[0].ra.has_slla);
	assert_memory_equal(ras[0].ra.slla, MAG_MAC, 6);
	assert_int_equal(ras[0].ra.router_lifetime, MAG_ROUTER_LIFETIME);
	assert_true(find_event("registration") >= 0);

	/* the binding as the control socket shows it */
	json_t *bs = mag_ctl_bindings(m, NULL, e, sizeof(e)), *b = json_array_get(bs, 0);
	assert_int_equal(json_array_size(bs), 1);
	assert_string_equal(json_string_value(json_object_get(b, "mn")), "mn1@example.net");
	assert_string_equal(json_string_value(json_object_get(b, "iface")), "mag1-mn");
	assert_string_equal(json_string_value(json_object_get(b, "mac")), "02:00:00:00:01:01");
	assert_int_equal(json_integer_value(json_object_get(b, "att")), 4);
	assert_int_equal(json_integer_value(json_object_get(b, "bid")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "prefixes"), 0)),
			    "fd00:100::/64");
	assert_string_equal(json_string_value(json_object_get(b, "state")), "registered");
	assert_int_equal(json_integer_value(json_object_get(b, "lifetime")), 3600);
	json_decref(bs);

	/* solicited RA on a later RS, periodic RA every ra-interval */
	clear();
	rs(MN_MAC, "fe80::ff:fe00:101", true);
	assert_int_equal(nra, 1);
	assert_int_equal(nmh, 0);
	tick(9999);
	assert_int_equal(nra, 1);
	tick(1);
	assert_int_equal(nra, 2);
	assert_non_null(ra_prefix(1, "fd00:100::"));
}

static void test_rs_from_unspecified(void **state)
{
	(void)state;
	struct in6_addr all = a6("ff02::1");

	/* no SLLA allowed from ::, the MAC comes from the link layer */
	rs(MN_MAC, NULL, false);
	assert_int_equal(nmh, 1);
	send_pba((uint16_t)mh[0].seq, PBA_ACCEPTED, 3600, "fd00:100::", NULL, 1);
	assert_int_equal(nra, 1);
	/* the MN's link-local is unknown: IPv6 all-nodes, but unicast to its MAC */
	assert_memory_equal(&ras[0].dst, &all, 16);
	assert_memory_equal(ras[0].mac, MN_MAC, 6);
}

static void test_pba_reject_withdraws(void **state)
{
	(void)state;
	attach_registered();
	/* refresh at 80 % of 3600 s is rejected: routes and prefixes go */
	tick(2880000);
	assert_int_equal(nmh, 1);
	uint16_t seq = (uint16_t)mh[0].seq;
	clear();
	send_pba(seq, PBA_NOT_AUTHORIZED_FOR_HNP, 0, NULL, NULL, 0);
	assert_true(routed("fd00:100::", 64, false));
	assert_int_equal(nra, 1);
	assert_int_equal(ras[0].ra.router_lifetime, 0);
	assert_int_equal(ra_prefix(0, "fd00:100::")->valid, 0);
	int i = find_event("reject");
	assert_true(i >= 0);
	assert_int_equal(json_integer_value(json_object_get(event_fields[i], "status")), 155);
}

static void fmi(uint16_t seq, uint16_t flags, uint32_t lifetime, const char *mn, uint16_t fid,
		const char *dst_prefix, uint8_t ts_format)
{
	struct mh_msg x = {0};
	struct mh_opt *o;

	x.kind = MH_FMI;
	x.seq = seq;
	x.flags = flags;
	x.lifetime = lifetime;
	if (mn)
		mn_id(&x, mn);
	o = mh_opt_add(&x, MH_OPT_FLOW_ID);
	o->flow_id.fid = fid;
	o->flow_id.priority = 10;
	o->flow_id.n_bids = 1;
	o->flow_id.bids[0] = 2;
	if (ts_format) {
		o->flow_id.has_ts = true;
		o->flow_id.ts.format = ts_format;
		o->flow_id.ts.f[TS_NEXT_HEADER].n = TS_EXACT;
		o->flow_id.ts.f[TS_NEXT_HEADER].num[0] = 17;
		if (dst_prefix) {
			struct in6_addr s = a6(dst_prefix), e = s;

			memset(e.s6_addr + 8, 0xff, 8);
			o->flow_id.ts.f[TS_DST_ADDR].n = TS_RANGE;
			o->flow_id.ts.f[TS_DST_ADDR].addr[0] = s;
			o->flow_id.ts.f[TS_DST_ADDR].addr[1] = e;
		}
	}
	rx(&x);
}

static void check_fma(int i, uint16_t seq, uint8_t status, uint32_t lifetime)
{
	assert_true(i < nmh);
	assert_int_equal(mh[i].kind, MH_FMA);
	assert_int_equal(mh[i].seq, seq);
	assert_int_equal(mh[i].status, status);
	assert_int_equal(mh[i].lifetime, lifetime);
	assert_int_equal(mh[i].flags & MH_FMI_I, 0);
}

static void test_fmi_statuses(void **state)
{
	(void)state;
	char e[128];
	const struct mh_opt *o;

	/* MN not attached here */
	fmi(10, 0, 60, "mn1@example.net", 5, NULL, TS_FMT_IPV6);
	check_fma(0, 10, FMA_MN_NOT_ATTACHED, 60);
	assert_null(mh_opt_find(&mh[0], MH_OPT_FLOW_ID, 0));
	clear();

	attach_registered();
	/* add: success, MN-ID and the Flow Identification option echoed with status 0,
	 * and a route for the flow's destination prefix (seed Figures 5–6) */
	fmi(11, 0, 60, "mn1@example.net", 5, "fd00:100:0:2::", TS_FMT_IPV6);
	check_fma(0, 11, FMA_SUCCESS, 60);
	o = mh_opt_find(&mh[0], MH_OPT_MN_ID, 0);
	assert_non_null(o);
	assert_memory_equal(o->mn_id.id, "mn1@example.net", 15);
	o = mh_opt_find(&mh[0], MH_OPT_FLOW_ID, 0);
	assert_non_null(o);
	assert_int_equal(o->flow_id.fid, 5);
	assert_int_equal(o->flow_id.priority, 10);
	assert_int_equal(o->flow_id.status, FID_SUCCESS);
	assert_true(routed("fd00:100:0:2::", 64, true));
	assert_true(find_event("flow-add") >= 0);
	json_t *fl = mag_ctl_flows(m, NULL, e, sizeof(e));
	assert_int_equal(json_array_size(fl), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(fl, 0), "fid")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(fl, 0), "priority")),
			 10);
	assert_int_equal(
	    json_integer_value(json_array_get(json_object_get(json_array_get(fl, 0), "bids"), 0)),
	    2);
	json_decref(fl);

	/* a retransmitted FMI (same sequence number) gets the same answer, no new state */
	clear();
	fmi(11, 0, 60, "mn1@example.net", 5, "fd00:100:0:2::", TS_FMT_IPV6);
	check_fma(0, 11, FMA_SUCCESS, 60);
	assert_int_equal(nroutes, 0);
	/* an older sequence number is out of window */
	fmi(9, 0, 60, "mn1@example.net", 6, NULL, TS_FMT_IPV6);
	check_fma(1, 9, FMA_SEQ_OUT_OF_WINDOW, 60);
	/* add of an existing FID */
	fmi(12, 0, 60, "mn1@example.net", 5, NULL, TS_FMT_IPV6);
	check_fma(2, 12, FMA_ENTRY_EXISTS, 60);
	/* refresh and cancel of an unknown FID */
	fmi(13, MH_FMI_R, 60, "mn1@example.net", 99, NULL, TS_FMT_IPV6);
	check_fma(3, 13, FMA_NO_ENTRY, 60);
	fmi(14, MH_FMI_C, 0, "mn1@example.net", 99, NULL, 0);
	check_fma(4, 14, FMA_NO_ENTRY, 0);
	/* an unsupported selector format */
	fmi(15, 0, 60, "mn1@example.net", 6, NULL, 7);
	check_fma(5, 15, FMA_TS_FORMAT_UNSUPPORTED, 60);
	/* an unknown MN */
	fmi(16, 0, 60, "nobody@example.net", 6, NULL, TS_FMT_IPV6);
	check_fma(6, 16, FMA_MN_NOT_ATTACHED, 60);
	/* no change in state from any of these */
	assert_int_equal(nroutes, 0);

	/* refresh: success, lifetime extended */
	fmi(17, MH_FMI_R, 120, "mn1@example.net", 5, NULL, 0);
	check_fma(7, 17, FMA_SUCCESS, 120);
	tick(61000);
	fl = mag_ctl_flows(m, NULL, e, sizeof(e));
	assert_int_equal(json_array_size(fl), 1);
	json_decref(fl);
	/* cancel: success, lifetime 0, route removed */
	clear();
	fmi(18, MH_FMI_C, 0, "mn1@example.net", 5, NULL, 0);
	check_fma(0, 18, FMA_SUCCESS, 0);
	assert_true(routed("fd00:100:0:2::", 64, false));
	assert_true(find_event("flow-del") >= 0);
	fl = mag_ctl_flows(m, NULL, e, sizeof(e));
	assert_int_equal(json_array_size(fl), 0);
	json_decref(fl);
}

static void test_fmi_lifetime_expiry(void **state)
{
	(void)state;
	char e[128];

	attach_registered();
	fmi(1, 0, 5, "mn1@example.net", 5, "fd00:100:0:3::", TS_FMT_IPV6);
	check_fma(0, 1, FMA_SUCCESS, 5);
	assert_true(mag_deadline(m) <= now + 5000);
	tick(4999);
	assert_false(routed("fd00:100:0:3::", 64, false));
	tick(1);
	assert_true(routed("fd00:100:0:3::", 64, false));
	json_t *fl = mag_ctl_flows(m, NULL, e, sizeof(e));
	assert_int_equal(json_array_size(fl), 0);
	json_decref(fl);
}

static void upn(uint16_t seq, uint8_t reason, const char *mn, const char *p1, const char *p2)
{
	struct mh_msg x = {0};

	x.kind = MH_UPN;
	x.seq = seq;
	x.reason = reason;
	x.flags = MH_UPN_A;
	mn_id(&x, mn);
	if (p1)
		hnp(&x, p1);
	if (p2)
		hnp(&x, p2);
	rx(&x);
}

static void test_upn(void **state)
{
	(void)state;
	/* not attached */
	upn(40, MH_UPN_REASON_FLOW_MOBILITY, "mn1@example.net", NULL, NULL);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_UPA);
	assert_int_equal(mh[0].seq, 40);
	assert_int_equal(mh[0].status, UPA_MN_NOT_ATTACHED);
	clear();

	attach_registered();
	/* a reason other than FLOW-MOBILITY */
	upn(41, 1, "mn1@example.net", NULL, NULL);
	assert_int_equal(mh[0].status, UPA_UNSPECIFIED);
	assert_int_equal(nmh, 1);
	clear();
	/* FLOW-MOBILITY: UPA 0, then a PBU with the new prefix set */
	upn(42, MH_UPN_REASON_FLOW_MOBILITY, "mn1@example.net", "fd00:100::", "fd00:100:0:7::");
	assert_int_equal(nmh, 2);
	assert_int_equal(mh[0].kind, MH_UPA);
	assert_int_equal(mh[0].seq, 42);
	assert_int_equal(mh[0].status, UPA_SUCCESS);
	assert_non_null(mh_opt_find(&mh[0], MH_OPT_MN_ID, 0));
	assert_int_equal(mh[1].kind, MH_PBU);
	assert_int_equal(mh[1].lifetime, 3600);
	struct in6_addr p7 = a6("fd00:100:0:7::");
	assert_memory_equal(&mh_opt_find(&mh[1], MH_OPT_HNP, 1)->hnp.prefix, &p7, 16);
	assert_int_equal(mh_opt_find(&mh[1], MH_OPT_BID, 0)->bid.bid, 1);
	/* the PBA assigns fd00:100:0:7::/64 only: the old prefix is withdrawn in the RA */
	send_pba((uint16_t)mh[1].seq, PBA_ACCEPTED, 3600, "fd00:100:0:7::", NULL, 1);
	assert_true(routed("fd00:100:0:7::", 64, true));
	assert_true(routed("fd00:100::", 64, false));
	assert_int_equal(nra, 1);
	assert_int_equal(ra_prefix(0, "fd00:100:0:7::")->valid, 3600);
	assert_int_equal(ra_prefix(0, "fd00:100::")->valid, 0);
	assert_int_equal(ra_prefix(0, "fd00:100::")->preferred, 0);
	assert_int_equal(ras[0].ra.router_lifetime, MAG_ROUTER_LIFETIME);
	/* the withdrawal is repeated in the next periodic RAs, then dropped */
	for (int i = 1; i <= MAG_WITHDRAW_RAS; i++) {
		tick(10000);
		assert_int_equal(nra, i + 1);
	}
	assert_null(ra_prefix(MAG_WITHDRAW_RAS, "fd00:100::"));
}

static void bri(uint16_t seq, uint16_t flags, const char *mn, const char *p1)
{
	struct mh_msg x = {0};

	x.kind = MH_BRI;
	x.seq = seq;
	x.trigger = 2;
	x.flags = flags;
	if (mn)
		mn_id(&x, mn);
	if (p1)
		hnp(&x, p1);
	rx(&x);
}

static void test_bri(void **state)
{
	(void)state;
	char e[128];

	/* no binding */
	bri(50, MH_BR_P, "mn1@example.net", NULL);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_BRA);
	assert_int_equal(mh[0].seq, 50);
	assert_int_equal(mh[0].status, BRA_NO_BINDING);
	assert_int_equal(mh[0].flags, MH_BR_P);
	clear();

	rs(MN_MAC, "fe80::ff:fe00:101", true);
	send_pba((uint16_t)mh[0].seq, PBA_ACCEPTED, 3600, "fd00:100::", "fd00:100:0:2::", 1);
	clear();
	/* a prefix the binding does not hold */
	bri(52, MH_BR_P, "mn1@example.net", "fd00:100:0:9::");
	assert_int_equal(mh[0].status, BRA_NO_BINDING);
	assert_int_equal(nroutes, 0);
	clear();
	/* one named prefix: removed from the binding, withdrawn, the other stays */
	bri(53, MH_BR_P, "mn1@example.net", "fd00:100:0:2::");
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].status, BRA_SUCCESS);
	assert_non_null(mh_opt_find(&mh[0], MH_OPT_MN_ID, 0));
	assert_true(routed("fd00:100:0:2::", 64, false));
	assert_false(routed("fd00:100::", 64, false));
	assert_int_equal(nra, 1);
	assert_int_equal(ra_prefix(0, "fd00:100:0:2::")->valid, 0);
	assert_int_equal(ra_prefix(0, "fd00:100::")->valid, 3600);
	assert_true(find_event("prefix-move") >= 0);
	/* the next refresh PBU carries only what is left */
	tick(2880000);
	int last = nmh - 1;
	assert_int_equal(mh[last].kind, MH_PBU);
	assert_non_null(mh_opt_find(&mh[last], MH_OPT_HNP, 0));
	assert_null(mh_opt_find(&mh[last], MH_OPT_HNP, 1));
	send_pba((uint16_t)mh[last].seq, PBA_ACCEPTED, 3600, "fd00:100::", NULL, 1);
	clear();
	/* no HNP option: the whole binding goes, without a de-registration PBU */
	bri(54, MH_BR_P, "mn1@example.net", NULL);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_BRA);
	assert_int_equal(mh[0].status, BRA_SUCCESS);
	assert_true(routed("fd00:100::", 64, false));
	assert_int_equal(nra, 1);
	assert_int_equal(ras[0].ra.router_lifetime, 0);
	assert_int_equal(ra_prefix(0, "fd00:100::")->valid, 0);
	json_t *bs = mag_ctl_bindings(m, NULL, e, sizeof(e));
	assert_int_equal(json_array_size(bs), 0);
	json_decref(bs);

	/* global revocation (RFC 5846 §9.2, the LMA dropped this MAG): every binding
	 * goes, without a de-registration PBU; the BRA says success */
	clear();
	rs(MN_MAC, "fe80::ff:fe00:101", true);
	if (nmh && mh[nmh - 1].kind == MH_PBU)
		send_pba((uint16_t)mh[nmh - 1].seq, PBA_ACCEPTED, 3600, "fd00:100::", NULL, 1);
	clear();
	bri(55, MH_BR_P | MH_BR_G, NULL, NULL);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_BRA);
	assert_int_equal(mh[0].status, BRA_SUCCESS);
	assert_int_equal(mh[0].flags, MH_BR_P);
	assert_true(routed("fd00:100::", 64, false));
	assert_true(find_event("deregistration") >= 0);
	assert_null(mag_binding_find(m, mag_mn_by_id(m, "mn1@example.net"), 0));
}

static void test_pba_flow_identification(void **state)
{
	(void)state;
	struct mh_msg x = {0};
	struct mh_opt *o;
	char e[128];

	rs(MN_MAC, "fe80::ff:fe00:101", true);
	x.kind = MH_PBA;
	x.seq = mh[0].seq;
	x.lifetime = 3600;
	mn_id(&x, "mn1@example.net");
	hnp(&x, "fd00:100::");
	o = mh_opt_add(&x, MH_OPT_FLOW_ID);
	o->flow_id.fid = 9;
	o->flow_id.priority = 20;
	o->flow_id.has_ts = true;
	o->flow_id.ts.format = TS_FMT_IPV6;
	o->flow_id.ts.f[TS_DST_ADDR].n = TS_EXACT;
	o->flow_id.ts.f[TS_DST_ADDR].addr[0] = a6("fd00:100:0:4::1");
	rx(&x);
	json_t *fl = mag_ctl_flows(m, NULL, e, sizeof(e)), *f = json_array_get(fl, 0);
	assert_int_equal(json_array_size(fl), 1);
	assert_int_equal(json_integer_value(json_object_get(f, "fid")), 9);
	assert_string_equal(json_string_value(json_object_get(f, "origin")), "pba");
	json_decref(fl);
	assert_true(routed("fd00:100:0:4::1", 128, true));
}

static void test_detach_command(void **state)
{
	(void)state;
	char e[128];
	json_t *req, *r;

	attach_registered();
	req = json_pack("{s:s, s:s}", "mn", "mn1@example.net", "iface", "mag1-mn");
	r = mag_ctl_detach(m, req, e, sizeof(e));
	assert_non_null(r);
	assert_true(json_is_null(r));
	json_decref(r);
	/* de-registration PBU (lifetime 0) with the binding's prefix and BID */
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_PBU);
	assert_int_equal(mh[0].lifetime, 0);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_HNP, 0)->hnp.plen, 64);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_BID, 0)->bid.bid, 1);
	/* routes removed, prefix withdrawn, router lifetime 0 */
	assert_true(routed("fd00:100::", 64, false));
	assert_int_equal(nra, 1);
	assert_int_equal(ras[0].ra.router_lifetime, 0);
	assert_int_equal(ra_prefix(0, "fd00:100::")->valid, 0);
	/* detaching again is an error that changes nothing */
	assert_null(mag_ctl_detach(m, req, e, sizeof(e)));
	send_pba((uint16_t)mh[0].seq, PBA_ACCEPTED, 0, NULL, NULL, 0);
	assert_true(find_event("deregistration") >= 0);
	r = mag_ctl_bindings(m, NULL, e, sizeof(e));
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
	assert_null(mag_ctl_detach(m, req, e, sizeof(e)));
	assert_non_null(strstr(e, "not attached"));
	json_decref(req);
}

static void test_attach_command(void **state)
{
	(void)state;
	char e[128];
	json_t *req, *r;

	req = json_pack("{s:s, s:s}", "mn", "ghost@example.net", "iface", "mag1-mn");
	assert_null(mag_ctl_attach(m, req, e, sizeof(e)));
	assert_non_null(strstr(e, "unknown mobile node"));
	json_decref(req);
	req = json_pack("{s:s, s:s}", "mn", "mn2@example.net", "iface", "eth9");
	assert_null(mag_ctl_attach(m, req, e, sizeof(e)));
	assert_non_null(strstr(e, "not an access interface"));
	assert_int_equal(nmh, 0);
	json_decref(req);
	req = json_pack("{s:s, s:s}", "mn", "mn2@example.net", "iface", "mag1-mn");
	r = mag_ctl_attach(m, req, e, sizeof(e));
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "registering");
	assert_string_equal(json_string_value(json_object_get(r, "mac")), "02:00:00:00:02:02");
	assert_int_equal(nmh, 1);
	assert_memory_equal(mh_opt_find(&mh[0], MH_OPT_MN_ID, 0)->mn_id.id, "mn2@example.net", 15);
	json_decref(r);
	json_decref(req);
}

static void test_link_down_detach(void **state)
{
	(void)state;
	attach_registered();
	link_up = 0;
	tick(1000);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_PBU);
	assert_int_equal(mh[0].lifetime, 0);
	assert_true(routed("fd00:100::", 64, false));
	/* no RA on a dead link */
	assert_int_equal(nra, 0);
	int i = find_event("detach");
	assert_true(i >= 0);
	assert_string_equal(json_string_value(json_object_get(event_fields[i], "reason")),
			    "link-down");
}

static void test_idle_detach(void **state)
{
	(void)state;
	struct in6_addr mn_ll = a6("fe80::ff:fe00:101");

	attach_registered();
	/* traffic keeps it alive */
	for (int i = 0; i < 40; i++) {
		ctr.packets++;
		tick(1000);
	}
	assert_int_equal(nns, 0);
	/* silent for 30 s: probes */
	for (int i = 0; i < 30; i++)
		tick(1000);
	assert_int_equal(nns, 1);
	assert_memory_equal(&ns_target, &mn_ll, 16);
	/* an NA from the MN answers the probe */
	uint8_t body[32] = {ND_NA, 0, 0, 0, ND_NA_FLAG_S}, frame[128];
	struct in6_addr mag_ll = a6("fe80::1");
	memcpy(body + 8, &mn_ll, 16);
	int fn = nd_build_frame(MN_MAC, MAG_MAC, &mn_ll, &mag_ll, body, 24, frame, sizeof(frame));
	mag_rx_nd(m, 0, frame, (size_t)fn, now);
	tick(1000);
	tick(1000);
	assert_int_equal(nns, 1);
	int before = nmh;
	/* silent again, no answer: 3 probes one second apart, then the de-registration */
	for (int i = 0; i < 33 && nmh == before; i++)
		tick(1000);
	assert_int_equal(nns, 1 + MAG_PROBES);
	assert_int_equal(nmh, before + 1);
	assert_int_equal(mh[before].kind, MH_PBU);
	assert_int_equal(mh[before].lifetime, 0);
	int i = find_event("detach");
	assert_true(i >= 0);
	assert_string_equal(json_string_value(json_object_get(event_fields[i], "reason")), "idle");
}

static void test_heartbeat(void **state)
{
	(void)state;
	struct mh_msg x = {0};
	struct mh_opt *o;
	char e[128];

	cfg->mag.timers.heartbeat_interval_s = 60;
	attach_registered();
	tick(1000);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_HEARTBEAT);
	assert_int_equal(mh[0].flags & MH_HB_R, 0);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_RESTART_COUNTER, 0)->restart_counter, 7);
	/* the LMA's response, restart counter 3 */
	x.kind = MH_HEARTBEAT;
	x.seq = mh[0].seq;
	x.flags = MH_HB_R;
	o = mh_opt_add(&x, MH_OPT_RESTART_COUNTER);
	o->restart_counter = 3;
	rx(&x);
	json_t *p = mag_ctl_peers(m, NULL, e, sizeof(e)), *p0 = json_array_get(p, 0);
	assert_string_equal(json_string_value(json_object_get(p0, "lma")), "fd00:11::1");
	assert_string_equal(json_string_value(json_object_get(p0, "state")), "up");
	assert_int_equal(json_integer_value(json_object_get(p0, "restart_counter")), 3);
	/* last_seen: seconds ago, as on the LMA (issue 11 point 9), not a Unix time */
	assert_true(json_is_real(json_object_get(p0, "last_seen")));
	assert_true(json_real_value(json_object_get(p0, "last_seen")) >= 0.0);
	assert_true(json_real_value(json_object_get(p0, "last_seen")) < 60.0);
	json_decref(p);
	clear();
	/* the LMA's request is answered with R, the same sequence number, our counter */
	x.flags = 0;
	x.seq = 77;
	o->restart_counter = 3;
	rx(&x);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_HEARTBEAT);
	assert_int_equal(mh[0].seq, 77);
	assert_int_equal(mh[0].flags, MH_HB_R);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_RESTART_COUNTER, 0)->restart_counter, 7);
	/* a new restart counter: the LMA lost its state, the MAG re-registers */
	clear();
	x.seq = 78;
	o->restart_counter = 4;
	rx(&x);
	assert_int_equal(nmh, 2);
	assert_int_equal(mh[1].kind, MH_PBU);
	assert_int_equal(mh[1].lifetime, 3600);
	/* three unanswered requests: peer down */
	clear();
	for (int i = 0; i < 4; i++)
		tick(60000);
	assert_true(find_event("peer-down") >= 0);
}

/* A heartbeat response whose sequence number is not the outstanding request's is no
 * proof of life (RFC 5847 §3.1 pairs them by sequence number): it is ignored and
 * counted, and its restart counter is not taken either. The LMA and the MAG used to
 * disagree here; both go through proto/heartbeat now. */
static void test_heartbeat_stale_response_ignored(void **state)
{
	(void)state;
	struct mh_msg x = {0};
	struct mh_opt *o;
	char e[128];
	json_t *p, *p0;

	cfg->mag.timers.heartbeat_interval_s = 60;
	cfg->mag.timers.idle_timeout_s = 0;
	attach_registered();
	tick(1000);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_HEARTBEAT);
	x.kind = MH_HEARTBEAT;
	x.flags = MH_HB_R;
	x.seq = mh[0].seq;
	o = mh_opt_add(&x, MH_OPT_RESTART_COUNTER);
	o->restart_counter = 3;
	rx(&x);
	/* the PBA was the LMA's first word: up since then, the heartbeat keeps it up */
	assert_true(m->lma_heard);
	assert_true(m->hb.up);
	/* unanswered requests take the LMA down */
	clear();
	for (int i = 0; i < 4; i++)
		tick(60000);
	assert_true(find_event("peer-down") >= 0);
	assert_int_equal(mh[nmh - 1].kind, MH_HEARTBEAT);
	uint32_t outstanding = mh[nmh - 1].seq;

	/* a response to an earlier request, and one to a request never sent: ignored */
	clear();
	x.seq = outstanding - 1;
	o->restart_counter = 4;
	rx(&x);
	x.seq = outstanding + 1;
	rx(&x);
	assert_int_equal(find_event("peer-up"), -1);
	assert_int_equal(nmh, 0); /* no re-registration on the stale restart counter */
	p = mag_ctl_peers(m, NULL, e, sizeof(e));
	p0 = json_array_get(p, 0);
	assert_string_equal(json_string_value(json_object_get(p0, "state")), "down");
	assert_int_equal(json_integer_value(json_object_get(p0, "restart_counter")), 3);
	assert_int_equal(json_integer_value(json_object_get(p0, "heartbeat_ignored")), 2);
	json_decref(p);
	/* still missing: the next interval counts one more miss, no second peer-down */
	tick(60000);
	assert_int_equal(find_event("peer-down"), -1);

	/* the response to the outstanding request is proof of life (and of a restart) */
	clear();
	x.seq = mh[0].seq; /* the request just sent */
	rx(&x);
	assert_true(find_event("peer-up") >= 0);
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_PBU); /* the LMA restarted: re-register */
	p = mag_ctl_peers(m, NULL, e, sizeof(e));
	p0 = json_array_get(p, 0);
	assert_string_equal(json_string_value(json_object_get(p0, "state")), "up");
	assert_int_equal(json_integer_value(json_object_get(p0, "restart_counter")), 4);
	json_decref(p);
}

static void test_not_from_lma(void **state)
{
	(void)state;
	struct mh_msg x = {0};
	struct in6_addr other = a6("fd00:11::99");

	attach_registered();
	x.kind = MH_BRI;
	x.seq = 1;
	mn_id(&x, "mn1@example.net");
	mag_rx_mh(m, &x, &other, now);
	assert_int_equal(nmh, 0);
	assert_int_equal(nroutes, 0);
}

static void test_save_restore(void **state)
{
	(void)state;
	char e[128];

	attach_registered();
	json_t *saved = mag_bindings_save(m);
	assert_int_equal(json_array_size(saved), 1);
	/* a restart: a new MAG with the same configuration */
	mag_destroy(m);
	m = mag_create(cfg, &hooks, NULL, 8, now);
	mag_set_iface_mac(m, 0, MAG_MAC);
	assert_int_equal(mag_bindings_restore(m, saved, now), 1);
	json_decref(saved);
	/* routes re-set, and an immediate refresh with the prefix and the BID */
	assert_true(routed("fd00:100::", 64, true));
	assert_int_equal(nmh, 1);
	assert_int_equal(mh[0].kind, MH_PBU);
	assert_int_equal(mh[0].lifetime, 3600);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_HNP, 0)->hnp.plen, 64);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_BID, 0)->bid.bid, 1);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_HI, 0)->hi, MH_HI_NOT_CHANGED);
	json_t *bs = mag_ctl_bindings(m, NULL, e, sizeof(e));
	assert_string_equal(json_string_value(json_object_get(json_array_get(bs, 0), "state")),
			    "registered");
	json_decref(bs);
	send_pba((uint16_t)mh[0].seq, PBA_ACCEPTED, 3600, "fd00:100::", NULL, 1);
	assert_true(find_event("registration") >= 0);
	/* garbage is skipped, never a crash */
	json_t *bad = json_loads("[{\"mn\":\"nobody\"},{\"mn\":\"mn2@example.net\","
				 "\"iface\":\"mag1-mn\",\"prefixes\":[\"zz\",7]},3]",
				 0, NULL);
	assert_non_null(bad);
	assert_int_equal(mag_bindings_restore(m, bad, now), 0);
	json_decref(bad);
}

static void rs_on(int iface, const uint8_t mac[6])
{
	uint8_t body[16], frame[128];
	struct in6_addr src, d = a6("ff02::2");
	uint8_t dmac[6] = {0x33, 0x33, 0, 0, 0, 2};

	nd_eui64_ll(mac, &src);
	int bn = nd_build_rs(mac, body, sizeof(body));
	int fn = nd_build_frame(mac, dmac, &src, &d, body, (size_t)bn, frame, sizeof(frame));
	mag_rx_nd(m, iface, frame, (size_t)fn, now);
}

static void pba_ll(const struct mh_msg *pbu, const char *prefix, uint16_t bid)
{
	struct mh_msg x = {0};
	struct mh_opt *o;

	x.kind = MH_PBA;
	x.seq = pbu->seq;
	x.lifetime = 3600;
	mn_id(&x, MN1);
	hnp(&x, prefix);
	o = mh_opt_add(&x, MH_OPT_LL_ID);
	*o = *mh_opt_find(pbu, MH_OPT_LL_ID, 0);
	o = mh_opt_add(&x, MH_OPT_BID);
	o->bid.bid = bid;
	rx(&x);
}

/* One MN with two interfaces (two MACs, one NAI) on two access links of this MAG. */
static void test_two_interfaces_one_mn(void **state)
{
	(void)state;
	static const uint8_t MAC2[6] = {0x02, 0, 0, 0, 1, 2};
	char e[128];

	mag_destroy(m);
	cfg->mag.n_access = 2;
	snprintf(cfg->mag.access_ifaces[1].name, IF_NAMESIZE, "mag1-mn2");
	cfg->mag.access_ifaces[1].att = 8;
	memcpy(cfg->mag.mobile_nodes[1].mac, MAC2, 6);
	snprintf(cfg->mag.mobile_nodes[1].id, FM_NAI_MAX, MN1);
	m = mag_create(cfg, &hooks, NULL, 7, now);
	mag_set_iface_mac(m, 0, MAG_MAC);
	mag_set_iface_mac(m, 1, MAG_MAC);

	rs_on(0, MN_MAC);
	rs_on(1, MAC2);
	assert_int_equal(nmh, 2);
	assert_int_equal(mh_opt_find(&mh[0], MH_OPT_ATT, 0)->att, 4);
	assert_int_equal(mh_opt_find(&mh[1], MH_OPT_ATT, 0)->att, 8);
	assert_memory_equal(mh_opt_find(&mh[1], MH_OPT_LL_ID, 0)->ll_id.id, MAC2, 6);
	struct mh_msg p0 = mh[0], p1 = mh[1];
	/* the PBA for the second interface (its LL-ID) registers that one only */
	pba_ll(&p1, "fd00:100:0:2::", 2);
	assert_true(routed("fd00:100:0:2::", 64, true));
	assert_string_equal(routes[0].iface, "mag1-mn2");
	assert_memory_equal(routes[0].mac, MAC2, 6);
	assert_int_equal(nra, 1);
	assert_int_equal(ras[0].iface, 1);
	pba_ll(&p0, "fd00:100:0:1::", 1);
	assert_true(routed("fd00:100:0:1::", 64, true));
	json_t *bs = mag_ctl_bindings(m, NULL, e, sizeof(e));
	assert_int_equal(json_array_size(bs), 2);
	for (size_t i = 0; i < 2; i++)
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(bs, i), "state")),
		    "registered");
	json_decref(bs);
	clear();
	/* BRI naming BID 2: only the second interface's binding is revoked */
	struct mh_msg x = {0};
	x.kind = MH_BRI;
	x.seq = 3;
	x.flags = MH_BR_P;
	mn_id(&x, MN1);
	mh_opt_add(&x, MH_OPT_BID)->bid.bid = 2;
	rx(&x);
	assert_int_equal(mh[0].kind, MH_BRA);
	assert_int_equal(mh[0].status, BRA_SUCCESS);
	assert_true(routed("fd00:100:0:2::", 64, false));
	assert_false(routed("fd00:100:0:1::", 64, false));
	bs = mag_ctl_bindings(m, NULL, e, sizeof(e));
	assert_int_equal(json_array_size(bs), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(bs, 0), "bid")), 1);
	json_decref(bs);
}

static void test_reload_timers(void **state)
{
	(void)state;
	struct fm_config *next = calloc(1, sizeof(*next));

	*next = *cfg;
	next->mag.timers.ra_interval_s = 2;
	next->mag.timers.retransmit_initial_ms = 100;
	attach_registered();
	assert_int_equal(mag_reload(m, next), 0);
	*cfg = *next; /* what main.c does after the role accepted */
	tick(10000);  /* the RA already scheduled at the old interval */
	int n = nra;
	tick(2000);
	assert_int_equal(nra, n + 1);
	free(next);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_unknown_mac_ignored),
	    T(test_attach_register_ra),
	    T(test_rs_from_unspecified),
	    T(test_pba_reject_withdraws),
	    T(test_fmi_statuses),
	    T(test_fmi_lifetime_expiry),
	    T(test_upn),
	    T(test_bri),
	    T(test_pba_flow_identification),
	    T(test_detach_command),
	    T(test_attach_command),
	    T(test_link_down_detach),
	    T(test_idle_detach),
	    T(test_heartbeat),
	    T(test_heartbeat_stale_response_ignored),
	    T(test_not_from_lma),
	    T(test_save_restore),
	    T(test_two_interfaces_one_mn),
	    T(test_reload_timers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
