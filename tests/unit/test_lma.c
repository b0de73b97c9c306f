// SPDX-License-Identifier: GPL-2.0
/*
 * test_lma.c — the LMA's protocol logic without sockets: decoded PBUs, heartbeats,
 * FMAs, BRAs and UPAs go in through lma_rx() with an injected clock; every message
 * the LMA sends is captured and checked field by field, every data-plane call is
 * recorded by a fake data plane, and timers are fired with lma_tick().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/state.h"
#include "core/log.h"
#include "lma/lma.h"
#include "mh/mh_json.h"

#define WALL0 1800000000ull /* the test's wall clock, seconds */
#define NAI   "mn1@example.net"

/* ---- clock ---------------------------------------------------------------------------- */
static uint64_t now_ms = 1000000;
static uint64_t wall_ms = WALL0 * 1000;

static uint64_t t_now(void)
{
	return now_ms;
}

static void t_wall(struct timespec *ts)
{
	ts->tv_sec = (time_t)(wall_ms / 1000);
	ts->tv_nsec = (long)(wall_ms % 1000) * 1000000;
}

static void advance(struct lma *l, uint64_t ms)
{
	now_ms += ms;
	wall_ms += ms;
	lma_tick(l, now_ms);
}

/* ---- capture ------------------------------------------------------------------------- */
#define MAXSENT 64
struct sent {
	struct mh_msg m;
	struct in6_addr dst;
};
static struct sent *sent;
static int n_sent;

static int cap_send(void *ctx, const struct mh_msg *m, const struct in6_addr *dst)
{
	(void)ctx;
	if (getenv("DBG"))
		fprintf(stderr, "sent kind %d status %d to %02x\n", m->kind, m->status,
			dst->s6_addr[3]);
	if (n_sent < MAXSENT) {
		sent[n_sent].m = *m;
		sent[n_sent].dst = *dst;
		n_sent++;
	}
	return 0;
}

#define MAXEV 128
static char events[MAXEV][32];
static json_t *evfields[MAXEV];
static int n_events;

static void cap_event(void *ctx, const char *name, json_t *fields)
{
	(void)ctx;
	if (n_events < MAXEV) {
		snprintf(events[n_events], sizeof(events[0]), "%s", name);
		evfields[n_events++] = fields;
	} else {
		json_decref(fields);
	}
}

static int find_event(const char *name)
{
	for (int i = 0; i < n_events; i++)
		if (!strcmp(events[i], name))
			return i;
	return -1;
}

static struct in6_addr A(const char *s);

static void clear_events(void)
{
	for (int i = 0; i < n_events; i++)
		json_decref(evfields[i]);
	n_events = 0;
}

/* ---- fake data plane ------------------------------------------------------------------- */
struct fbind {
	bool used;
	uint32_t mn;
	uint16_t bid;
	struct fm_dp_binding b;
};
struct fpfx {
	bool used;
	struct in6_addr p;
	uint8_t plen;
	uint32_t mn;
	uint16_t bid;
};
static struct fake_dp {
	struct fbind b[64];
	struct fpfx p[64];
	struct in6_addr peers[16];
	int n_peers;
	int rules_calls;
	uint32_t rules_mn;
	unsigned n_rules;
	struct fm_dp_rule rules[FM_DP_MAX_RULES];
	int mn_del_calls, binding_del_calls, prefix_del_calls, counter_calls;
	bool has_limits; /* limits() answers lim */
	struct fm_dp_limits lim;
	bool rules_full; /* rules_set fails as with every rule set in use */
} dp;

static struct fbind *fb(uint32_t mn, uint16_t bid)
{
	for (int i = 0; i < 64; i++)
		if (dp.b[i].used && dp.b[i].mn == mn && dp.b[i].bid == bid)
			return &dp.b[i];
	return NULL;
}

static struct fpfx *fp(const struct in6_addr *p)
{
	for (int i = 0; i < 64; i++)
		if (dp.p[i].used && !memcmp(&dp.p[i].p, p, 16))
			return &dp.p[i];
	return NULL;
}

static struct fpfx *fps(const char *s)
{
	struct in6_addr a = A(s);
	struct fpfx *x = fp(&a);

	assert_non_null(x);
	return x;
}

static int f_prefix_set(struct fm_dp *c, const struct in6_addr *p, uint8_t plen, uint32_t mn,
			uint16_t bid)
{
	struct fpfx *x = fp(p);

	(void)c;
	for (int i = 0; !x && i < 64; i++)
		if (!dp.p[i].used)
			x = &dp.p[i];
	*x = (struct fpfx){.used = true, .p = *p, .plen = plen, .mn = mn, .bid = bid};
	return 0;
}

static int f_prefix_del(struct fm_dp *c, const struct in6_addr *p, uint8_t plen)
{
	struct fpfx *x = fp(p);

	(void)c;
	(void)plen;
	dp.prefix_del_calls++;
	if (!x)
		return -ENOENT;
	x->used = false;
	return 0;
}

static int f_binding_set(struct fm_dp *c, uint32_t mn, uint16_t bid, const struct fm_dp_binding *b)
{
	struct fbind *x = fb(mn, bid);

	(void)c;
	for (int i = 0; !x && i < 64; i++)
		if (!dp.b[i].used)
			x = &dp.b[i];
	*x = (struct fbind){.used = true, .mn = mn, .bid = bid, .b = *b};
	return 0;
}

static int f_binding_del(struct fm_dp *c, uint32_t mn, uint16_t bid)
{
	struct fbind *x = fb(mn, bid);

	(void)c;
	dp.binding_del_calls++;
	if (!x)
		return -ENOENT;
	x->used = false;
	return 0;
}

static int f_peer_set(struct fm_dp *c, const struct in6_addr *a)
{
	(void)c;
	for (int i = 0; i < dp.n_peers; i++)
		if (!memcmp(&dp.peers[i], a, 16))
			return 0;
	dp.peers[dp.n_peers++] = *a;
	return 0;
}

static int f_peer_del(struct fm_dp *c, const struct in6_addr *a)
{
	(void)c;
	for (int i = 0; i < dp.n_peers; i++)
		if (!memcmp(&dp.peers[i], a, 16)) {
			dp.peers[i] = dp.peers[--dp.n_peers];
			return 0;
		}
	return -ENOENT;
}

static int f_rules_set(struct fm_dp *c, uint32_t mn, const struct fm_dp_rule *r, unsigned n)
{
	(void)c;
	if (dp.rules_full)
		return -ENOSPC;
	dp.rules_calls++;
	dp.rules_mn = mn;
	dp.n_rules = n;
	memcpy(dp.rules, r, n * sizeof(*r));
	return 0;
}

static int f_mn_del(struct fm_dp *c, uint32_t mn)
{
	(void)c;
	(void)mn;
	dp.mn_del_calls++;
	return 0;
}

static int f_bindings_foreach(struct fm_dp *c, fm_dp_binding_cb cb, void *arg)
{
	struct fbind copy[64];

	(void)c;
	memcpy(copy, dp.b, sizeof(copy));
	for (int i = 0; i < 64; i++)
		if (copy[i].used)
			cb(copy[i].mn, copy[i].bid, &copy[i].b, arg);
	return 0;
}

static int f_prefixes_foreach(struct fm_dp *c, fm_dp_prefix_cb cb, void *arg)
{
	struct fpfx copy[64];

	(void)c;
	memcpy(copy, dp.p, sizeof(copy));
	for (int i = 0; i < 64; i++)
		if (copy[i].used)
			cb(&copy[i].p, copy[i].plen, copy[i].mn, copy[i].bid, arg);
	return 0;
}

static int f_fid_counters(struct fm_dp *c, uint32_t mn, uint16_t fid, struct fm_dp_counters *out)
{
	(void)c;
	(void)mn;
	(void)fid;
	dp.counter_calls++;
	out->packets = 11;
	out->bytes = 1100;
	return 0;
}

static int f_limits(struct fm_dp *c, struct fm_dp_limits *l)
{
	(void)c;
	if (!dp.has_limits)
		return -ENOTSUP;
	*l = dp.lim;
	return 0;
}

static const struct fm_dp_ops fake_ops = {
    .limits = f_limits,
    .prefix_set = f_prefix_set,
    .prefix_del = f_prefix_del,
    .binding_set = f_binding_set,
    .binding_del = f_binding_del,
    .peer_set = f_peer_set,
    .peer_del = f_peer_del,
    .rules_set = f_rules_set,
    .mn_del = f_mn_del,
    .bindings_foreach = f_bindings_foreach,
    .prefixes_foreach = f_prefixes_foreach,
    .fid_counters = f_fid_counters,
};

/* ---- fixtures --------------------------------------------------------------------------- */
static struct fm_config *cfg;
static char statedir[64];
static struct in6_addr MAG1, MAG2, MAG9;

static struct in6_addr A(const char *s) {
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static int
setup(void **st)
{
	(void)st;
	fm_clock_override(t_now, t_wall);
	sent = calloc(MAXSENT, sizeof(*sent));
	n_sent = 0;
	n_events = 0;
	memset(&dp, 0, sizeof(dp));
	cfg = calloc(1, sizeof(*cfg));
	snprintf(cfg->instance, sizeof(cfg->instance), "t");
	cfg->role = FM_ROLE_LMA;
	snprintf(statedir, sizeof(statedir), "/tmp/fm-lma-test-XXXXXX");
	assert_non_null(mkdtemp(statedir));
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", statedir);
	MAG1 = A("fd00:11::2");
	MAG2 = A("fd00:12::2");
	MAG9 = A("fd00:99::2");
	cfg->lma.address = A("fd00:11::1");
	cfg->lma.prefix_pool.addr = A("fd00:100::");
	cfg->lma.prefix_pool.plen = 48;
	cfg->lma.prefix_policy = FM_PP_UNIQUE;
	cfg->lma.ordering = FM_ORDER_TIMESTAMP;
	cfg->lma.flow_signaling = FM_SIG_FMI;
	cfg->lma.mags[0] = MAG1;
	cfg->lma.mags[1] = MAG2;
	cfg->lma.n_mags = 2;
	cfg->lma.timers = (struct fm_cfg_lma_timers){.min_delay_before_bce_delete_ms = 10000,
						     .max_delay_before_new_bce_assign_ms = 1500,
						     .timestamp_window_ms = 300,
						     .heartbeat_interval_s = 0,
						     .heartbeat_missed = 3,
						     .retransmit_initial_ms = 1500,
						     .retransmit_max_ms = 32000,
						     .max_lifetime_s = 3600};
	return 0;
}

static int teardown(void **st)
{
	char cmd[128];

	(void)st;
	for (int i = 0; i < n_events; i++)
		json_decref(evfields[i]);
	free(sent);
	free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", statedir);
	assert_int_equal(system(cmd), 0);
	fm_clock_override(NULL, NULL);
	return 0;
}

/* The scenarios model MAGs with keys (RFC 4285): their restart counters are believed.
 * test_unauthenticated_restart_counter_not_believed turns this off. */
static bool peers_authenticated = true;

static bool cap_authenticated(void *ctx, const struct in6_addr *peer)
{
	(void)ctx;
	(void)peer;
	return peers_authenticated;
}

static struct lma *new_lma(void)
{
	struct lma_hooks h = {.send = cap_send,
			      .event = cap_event,
			      .dp = &fake_ops,
			      .authenticated = cap_authenticated};
	struct lma *l = lma_new(cfg, &h);

	assert_non_null(l);
	assert_int_equal(lma_start(l, now_ms), 0);
	return l;
}

static void clear_sent(void)
{
	n_sent = 0;
}

/* ---- message builders ---------------------------------------------------------------------- */
enum {
	O_MNID = 1,
	O_HNP = 2,
	O_HI = 4,
	O_ATT = 8,
	O_TS = 16,
	O_ALL = 31,
};

static struct mh_msg *pbu_full(const char *nai, uint8_t att, uint8_t hi, uint32_t lifetime,
			       uint16_t seq, int opts, int64_t ts_off_ms)
{
	static struct mh_msg m;
	struct mh_opt *o;

	memset(&m, 0, sizeof(m));
	m.kind = MH_PBU;
	m.seq = seq;
	m.flags = MH_PBU_A | MH_PBU_P;
	m.lifetime = lifetime;
	if (opts & O_MNID) {
		o = mh_opt_add(&m, MH_OPT_MN_ID);
		o->mn_id.subtype = 1;
		o->mn_id.len = (uint8_t)strlen(nai);
		memcpy(o->mn_id.id, nai, strlen(nai));
	}
	if (opts & O_HNP) {
		o = mh_opt_add(&m, MH_OPT_HNP);
		o->hnp.plen = 0; /* all-zero: ask for prefixes */
	}
	if (opts & O_HI) {
		o = mh_opt_add(&m, MH_OPT_HI);
		o->hi = hi;
	}
	if (opts & O_ATT) {
		o = mh_opt_add(&m, MH_OPT_ATT);
		o->att = att;
	}
	if (opts & O_TS) {
		uint64_t w = (uint64_t)((int64_t)wall_ms + ts_off_ms);

		o = mh_opt_add(&m, MH_OPT_TIMESTAMP);
		o->timestamp.seconds = w / 1000;
		o->timestamp.fraction = (uint16_t)(((w % 1000) << 16) / 1000);
	}
	return &m;
}

static struct mh_msg *pbu(const char *nai, uint8_t att, uint8_t hi, uint32_t lifetime, uint16_t seq)
{
	return pbu_full(nai, att, hi, lifetime, seq, O_ALL, 0);
}

static void pbu_add_bid(struct mh_msg *m, uint16_t bid)
{
	mh_opt_add(m, MH_OPT_BID)->bid.bid = bid;
}

static void pbu_add_hnp(struct mh_msg *m, const char *prefix)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_HNP);

	o->hnp.plen = 64;
	o->hnp.prefix = A(prefix);
}

static const struct mh_msg *last_to(const struct in6_addr *dst, enum mh_kind kind)
{
	for (int i = n_sent - 1; i >= 0; i--)
		if (sent[i].m.kind == kind && !memcmp(&sent[i].dst, dst, 16))
			return &sent[i].m;
	return NULL;
}

static int count_kind(enum mh_kind kind)
{
	int n = 0;

	for (int i = 0; i < n_sent; i++)
		n += sent[i].m.kind == kind;
	return n;
}

static void assert_hnps(const struct mh_msg *m, const char *const *want, int n)
{
	int got = 0;

	while (mh_opt_find(m, MH_OPT_HNP, got))
		got++;
	assert_int_equal(got, n);
	for (int i = 0; i < n; i++) {
		const struct mh_opt *o = mh_opt_find(m, MH_OPT_HNP, i);
		struct in6_addr w = A(want[i]);

		assert_int_equal(o->hnp.plen, 64);
		assert_memory_equal(&o->hnp.prefix, &w, 16);
	}
}

static uint16_t pba_bid(const struct mh_msg *m)
{
	const struct mh_opt *o = mh_opt_find(m, MH_OPT_BID, 0);

	assert_non_null(o);
	return o->bid.bid;
}

/* Register NAI through mag with att; returns the BID from the PBA. */
static uint16_t reg(struct lma *l, const struct in6_addr *mag, uint8_t att, uint8_t hi,
		    uint16_t seq)
{
	const struct mh_msg *a;

	lma_rx(l, pbu(NAI, att, hi, 3600, seq), mag, now_ms);
	a = last_to(mag, MH_PBA);
	assert_non_null(a);
	assert_int_equal(a->status, PBA_ACCEPTED);
	return pba_bid(a);
}

static uint32_t binding_left_s(const struct bce_binding *b, uint64_t now)
{
	return b->expires_ms > now ? (uint32_t)((b->expires_ms - now + 999) / 1000) : 0;
}

static struct bce_binding *binding(struct lma *l, uint16_t bid)
{
	struct bce_mn *mn = bce_mn_find(lma_bce(l), NAI);

	return mn ? bce_binding_find(mn, bid) : NULL;
}

/* ---- PBU checks (RFC 5213 §5.3.1) ---------------------------------------------------------- */

static void test_pba_accept_fields(void **st)
{
	struct lma *l = new_lma();
	const struct mh_msg *a;
	const struct mh_opt *o;
	struct mh_msg *p;
	static const char *const want[] = {"fd00:100::"};
	struct in6_addr pf = A("fd00:100::");

	(void)st;
	p = pbu(NAI, 4, MH_HI_NEW_IFACE, 3600, 77);
	lma_rx(l, p, &MAG1, now_ms);
	assert_int_equal(n_sent, 1);
	a = &sent[0].m;
	assert_memory_equal(&sent[0].dst, &MAG1, 16);
	assert_int_equal(a->kind, MH_PBA);
	assert_int_equal(a->status, 0);
	assert_int_equal(a->flags, MH_PBA_P);
	assert_int_equal(a->seq, 77);
	assert_int_equal(a->lifetime, 3600);
	o = mh_opt_find(a, MH_OPT_MN_ID, 0);
	assert_non_null(o);
	assert_int_equal(o->mn_id.subtype, 1);
	assert_int_equal(o->mn_id.len, strlen(NAI));
	assert_memory_equal(o->mn_id.id, NAI, strlen(NAI));
	assert_hnps(a, want, 1);
	assert_int_equal(mh_opt_find(a, MH_OPT_HI, 0)->hi, MH_HI_NEW_IFACE);
	assert_int_equal(mh_opt_find(a, MH_OPT_ATT, 0)->att, 4);
	/* the Timestamp is the PBU's, echoed */
	assert_int_equal(mh_opt_find(a, MH_OPT_TIMESTAMP, 0)->timestamp.seconds,
			 mh_opt_find(p, MH_OPT_TIMESTAMP, 0)->timestamp.seconds);
	assert_int_equal(mh_opt_find(a, MH_OPT_TIMESTAMP, 0)->timestamp.fraction,
			 mh_opt_find(p, MH_OPT_TIMESTAMP, 0)->timestamp.fraction);
	assert_int_equal(pba_bid(a), 1);
	/* data plane: the binding and the prefix of MN index 1 */
	assert_non_null(fb(1, 1));
	assert_memory_equal(&fb(1, 1)->b.coa, &MAG1, 16);
	assert_int_equal(fb(1, 1)->b.att, 4);
	assert_false(fb(1, 1)->b.down);
	assert_non_null(fp(&pf));
	assert_int_equal(fp(&pf)->plen, 64);
	assert_int_equal(fp(&pf)->mn, 1);
	assert_int_equal(fp(&pf)->bid, 1);
	/* peers programmed at start */
	assert_int_equal(dp.n_peers, 2);
	assert_true(find_event("registration") >= 0);
	assert_int_equal(lma_status_counter(l, MH_PBA, 0), 1);
	assert_int_equal(lma_counter(l, LMA_RX, MH_PBU), 1);
	/* lifetime above max-lifetime is cut to it */
	lma_rx(l, pbu(NAI, 4, MH_HI_NOT_CHANGED, 65532, 78), &MAG1, now_ms);
	assert_int_equal(last_to(&MAG1, MH_PBA)->lifetime, 3600);
	assert_int_equal(pba_bid(last_to(&MAG1, MH_PBA)), 1);
	lma_free(l);
}

/* The PBA is built from the PBU's view: MN-ID, HNP, HI, ATT, LL-ID, LLA, Timestamp and
 * GRE key echoed in that order (the HNPs then replaced by the binding's, BID last). */
static void test_pba_echo_order(void **st)
{
	struct lma *l = new_lma();
	static const uint8_t order[] = {MH_OPT_MN_ID,	MH_OPT_HI,  MH_OPT_ATT,
					MH_OPT_LL_ID,	MH_OPT_LLA, MH_OPT_TIMESTAMP,
					MH_OPT_GRE_KEY, MH_OPT_HNP, MH_OPT_BID};
	struct in6_addr lla = A("fe80::1");
	const struct mh_msg *a;
	struct mh_msg *p;
	struct mh_opt *o;

	(void)st;
	p = pbu(NAI, 4, MH_HI_NEW_IFACE, 3600, 5);
	mh_opt_add(p, MH_OPT_GRE_KEY)->gre_key = 77;
	mh_opt_add(p, MH_OPT_LLA)->lla = lla;
	o = mh_opt_add(p, MH_OPT_LL_ID);
	o->ll_id.len = 6;
	memcpy(o->ll_id.id, "\x02\x00\x00\x00\x00\x07", 6);
	lma_rx(l, p, &MAG1, now_ms);
	a = last_to(&MAG1, MH_PBA);
	assert_non_null(a);
	assert_int_equal(a->status, 0);
	assert_int_equal(a->n_opts, sizeof(order));
	for (unsigned i = 0; i < sizeof(order); i++)
		assert_int_equal(a->opts[i].type, order[i]);
	assert_int_equal(mh_opt_find(a, MH_OPT_GRE_KEY, 0)->gre_key, 77);
	assert_memory_equal(&mh_opt_find(a, MH_OPT_LLA, 0)->lla, &lla, 16);
	assert_int_equal(mh_opt_find(a, MH_OPT_LL_ID, 0)->ll_id.len, 6);
	assert_memory_equal(mh_opt_find(a, MH_OPT_LL_ID, 0)->ll_id.id, "\x02\x00\x00\x00\x00\x07",
			    6);
	/* the LL-ID is remembered in the binding */
	assert_int_equal(binding(l, 1)->ll_id_len, 6);
	lma_free(l);
}

static void expect_reject(struct lma *l, struct mh_msg *m, const struct in6_addr *src,
			  uint8_t status)
{
	clear_sent();
	lma_rx(l, m, src, now_ms);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].m.kind, MH_PBA);
	assert_int_equal(sent[0].m.status, status);
	assert_int_equal(sent[0].m.lifetime, 0);
	assert_memory_equal(&sent[0].dst, src, 16);
}

static void test_pba_rejects(void **st)
{
	struct lma *l;
	struct mh_msg *m;

	(void)st;
	cfg->lma.mobile_nodes[0] = (struct fm_cfg_lma_mn){.id = "bad@example.net", .deny = true};
	cfg->lma.n_mobile_nodes = 1;
	l = new_lma();
	expect_reject(l, pbu(NAI, 4, 1, 3600, 1), &MAG9, PBA_MAG_NOT_AUTHORIZED);
	expect_reject(l, pbu_full(NAI, 4, 1, 3600, 1, O_ALL & ~O_MNID, 0), &MAG1,
		      PBA_MISSING_MN_ID);
	expect_reject(l, pbu("bad@example.net", 4, 1, 3600, 1), &MAG1, PBA_ADMIN_PROHIBITED);
	expect_reject(l, pbu_full(NAI, 4, 1, 3600, 1, O_ALL & ~O_HNP, 0), &MAG1, PBA_MISSING_HNP);
	expect_reject(l, pbu_full(NAI, 4, 1, 3600, 1, O_ALL & ~O_HI, 0), &MAG1, PBA_MISSING_HI);
	expect_reject(l, pbu_full(NAI, 4, 1, 3600, 1, O_ALL & ~O_ATT, 0), &MAG1, PBA_MISSING_ATT);
	/* not a proxy registration */
	m = pbu(NAI, 4, 1, 3600, 1);
	m->flags = MH_PBU_A;
	expect_reject(l, m, &MAG1, PBA_PROXY_REG_NOT_ENABLED);
	/* a prefix that is not the MN's */
	m = pbu(NAI, 4, 1, 3600, 1);
	pbu_add_hnp(m, "fd00:100:0:42::");
	expect_reject(l, m, &MAG1, PBA_NOT_AUTHORIZED_FOR_HNP);
	assert_int_equal(lma_bce(l)->n_bindings, 0);
	assert_int_equal(lma_status_counter(l, MH_PBA, PBA_MISSING_HI), 1);
	assert_true(find_event("reject") >= 0);
	assert_int_equal(
	    json_integer_value(json_object_get(evfields[find_event("reject")], "status")),
	    PBA_MAG_NOT_AUTHORIZED);
	lma_free(l);
}

static char log_lines[8][512];
static int n_log_lines;

static void log_capture(enum fm_log_level level, const char *line, void *ctx)
{
	(void)level;
	(void)ctx;
	if (strstr(line, "rejected") && n_log_lines < 8)
		snprintf(log_lines[n_log_lines++], sizeof(log_lines[0]), "%s", line);
}

/* A reject is logged with its status by name and the MAG and MN as fields; the same
 * reject again inside the rate-limit window adds no line. */
static void test_pba_reject_log_names_status(void **st)
{
	enum fm_log_level level = fm_log_get_level();
	struct lma *l;

	(void)st;
	l = new_lma();
	n_log_lines = 0;
	fm_log_set_level(FM_LOG_INFO);
	fm_log_set_hook(log_capture, NULL);
	/* an MN and a status no other test rejects: the rate limiter's window is global */
	expect_reject(l, pbu_full("log@example.net", 4, 1, 3600, 1, O_ALL & ~O_HI, 0), &MAG1,
		      PBA_MISSING_HI);
	expect_reject(l, pbu_full("log@example.net", 4, 1, 3600, 2, O_ALL & ~O_HI, 0), &MAG1,
		      PBA_MISSING_HI);
	fm_log_set_hook(NULL, NULL);
	fm_log_set_level(level);
	assert_int_equal(n_log_lines, 1);
	assert_non_null(strstr(log_lines[0], "161 missing handoff indicator"));
	assert_non_null(strstr(log_lines[0], "mn=log@example.net"));
	assert_non_null(strstr(log_lines[0], "mag=fd00:11::2"));
	lma_free(l);
}

static void test_timestamp_ordering(void **st)
{
	struct lma *l = new_lma();
	const struct mh_opt *o;
	struct mh_msg *m;

	(void)st;
	/* no Timestamp option: 156 with the LMA's time */
	expect_reject(l, pbu_full(NAI, 4, 1, 3600, 1, O_ALL & ~O_TS, 0), &MAG1,
		      PBA_TIMESTAMP_MISMATCH);
	o = mh_opt_find(&sent[0].m, MH_OPT_TIMESTAMP, 0);
	assert_non_null(o);
	assert_int_equal(o->timestamp.seconds, wall_ms / 1000);
	/* outside the 300 ms window: 156, the LMA's time replaces the echo */
	expect_reject(l, pbu_full(NAI, 4, 1, 3600, 1, O_ALL, 400), &MAG1, PBA_TIMESTAMP_MISMATCH);
	o = mh_opt_find(&sent[0].m, MH_OPT_TIMESTAMP, 0);
	assert_int_equal(o->timestamp.seconds, wall_ms / 1000);
	assert_int_equal(o->timestamp.fraction, ((wall_ms % 1000) << 16) / 1000);
	expect_reject(l, pbu_full(NAI, 4, 1, 3600, 1, O_ALL, -400), &MAG1, PBA_TIMESTAMP_MISMATCH);
	/* inside the window: accepted */
	lma_rx(l, pbu_full(NAI, 4, 1, 3600, 1, O_ALL, 200), &MAG1, now_ms);
	assert_int_equal(last_to(&MAG1, MH_PBA)->status, 0);
	/* older than the accepted one (still in the window): 157 */
	m = pbu_full(NAI, 4, MH_HI_NOT_CHANGED, 3600, 2, O_ALL, 100);
	pbu_add_bid(m, 1);
	expect_reject(l, m, &MAG1, PBA_TIMESTAMP_LOWER);
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	lma_free(l);
}

static void test_sequence_ordering(void **st)
{
	struct lma *l;
	struct mh_msg *m;

	(void)st;
	cfg->lma.ordering = FM_ORDER_SEQUENCE;
	l = new_lma();
	/* no timestamp needed in sequence mode */
	lma_rx(l, pbu_full(NAI, 4, 1, 3600, 100, O_ALL & ~O_TS, 0), &MAG1, now_ms);
	assert_int_equal(last_to(&MAG1, MH_PBA)->status, 0);
	m = pbu_full(NAI, 4, MH_HI_NOT_CHANGED, 3600, 100, O_ALL & ~O_TS, 0);
	pbu_add_bid(m, 1);
	expect_reject(l, m, &MAG1, PBA_SEQ_OUT_OF_WINDOW);
	assert_int_equal(sent[0].m.seq, 100); /* the last accepted */
	m = pbu_full(NAI, 4, MH_HI_NOT_CHANGED, 3600, 99, O_ALL & ~O_TS, 0);
	expect_reject(l, m, &MAG1, PBA_SEQ_OUT_OF_WINDOW);
	/* wrap-around: 65535 -> 0 style, 100 + 0x7fff is newer */
	m = pbu_full(NAI, 4, MH_HI_NOT_CHANGED, 3600, 100 + 0x7fff, O_ALL & ~O_TS, 0);
	clear_sent();
	lma_rx(l, m, &MAG1, now_ms);
	assert_int_equal(sent[0].m.status, 0);
	assert_int_equal(sent[0].m.seq, 100 + 0x7fff);
	lma_free(l);
}

static void test_refresh_dereg_and_delete(void **st)
{
	struct lma *l = new_lma();
	struct in6_addr pf = A("fd00:100::");
	struct mh_msg *m;
	int calls;

	(void)st;
	assert_int_equal(reg(l, &MAG1, 4, 1, 1), 1);
	advance(l, 1000000); /* 1000 s */
	assert_int_equal(binding_left_s(binding(l, 1), now_ms), 2600);
	calls = dp.rules_calls;
	m = pbu(NAI, 4, MH_HI_NOT_CHANGED, 3600, 2);
	pbu_add_bid(m, 1);
	pbu_add_hnp(m, "fd00:100::");
	clear_sent();
	lma_rx(l, m, &MAG1, now_ms);
	assert_int_equal(sent[0].m.status, 0);
	assert_int_equal(binding(l, 1)->expires_ms, now_ms + 3600000);
	assert_int_equal(dp.rules_calls, calls); /* a refresh changes nothing in the data plane */
	assert_int_equal(lma_bce(l)->n_bindings, 1);
	/* de-registration */
	m = pbu(NAI, 4, MH_HI_NOT_CHANGED, 0, 3);
	pbu_add_bid(m, 1);
	clear_sent();
	lma_rx(l, m, &MAG1, now_ms);
	assert_int_equal(sent[0].m.status, 0);
	assert_int_equal(sent[0].m.lifetime, 0);
	assert_int_equal(binding(l, 1)->state, BCE_DEREG);
	assert_true(fb(1, 1)->b.down);
	assert_true(find_event("deregistration") >= 0);
	/* kept for MinDelayBeforeBCEDelete, then gone with its prefix */
	advance(l, 9999);
	assert_non_null(binding(l, 1));
	advance(l, 1);
	assert_null(binding(l, 1));
	assert_null(fb(1, 1));
	assert_null(fp(&pf));
	assert_int_equal(dp.mn_del_calls, 1);
	assert_int_equal(lma_bce(l)->pool_used, 0);
	assert_null(bce_mn_find(lma_bce(l), NAI));
	lma_free(l);
}

static void test_expiry(void **st)
{
	struct lma *l = new_lma();

	(void)st;
	lma_rx(l, pbu(NAI, 4, 1, 40, 1), &MAG1, now_ms);
	assert_int_equal(last_to(&MAG1, MH_PBA)->lifetime, 40);
	advance(l, 39999);
	assert_non_null(binding(l, 1));
	advance(l, 1);
	assert_null(binding(l, 1));
	assert_true(find_event("expiry") >= 0);
	assert_int_equal(lma_bce(l)->n_bindings, 0);
	lma_free(l);
}

static void test_handoff_hi3(void **st)
{
	struct lma *l = new_lma();
	static const char *const want[] = {"fd00:100::"};
	struct mh_msg *m;

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	advance(l, 100);
	clear_sent();
	lma_rx(l, pbu(NAI, 4, MH_HI_HANDOFF_MAGS, 3600, 1), &MAG2, now_ms);
	assert_int_equal(sent[0].m.status, 0);
	assert_int_equal(pba_bid(&sent[0].m), 1);
	assert_hnps(&sent[0].m, want, 1);
	assert_memory_equal(&binding(l, 1)->mag, &MAG2, 16);
	assert_memory_equal(&fb(1, 1)->b.coa, &MAG2, 16);
	assert_int_equal(lma_bce(l)->n_bindings, 1);
	/* the old MAG's late de-registration is acknowledged and ignored */
	m = pbu(NAI, 4, MH_HI_NOT_CHANGED, 0, 2);
	pbu_add_bid(m, 1);
	advance(l, 100);
	clear_sent();
	lma_rx(l, m, &MAG1, now_ms);
	assert_int_equal(sent[0].m.status, 0);
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	lma_free(l);
}

static void test_hi4_wait_then_handoff(void **st)
{
	struct lma *l = new_lma();
	static const char *const want[] = {"fd00:100::"};
	struct mh_msg *m;

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	advance(l, 100);
	clear_sent();
	lma_rx(l, pbu(NAI, 4, MH_HI_UNKNOWN, 3600, 1), &MAG2, now_ms);
	assert_int_equal(n_sent, 0); /* held for MaxDelayBeforeNewBCEAssign */
	advance(l, 500);
	m = pbu(NAI, 4, MH_HI_NOT_CHANGED, 0, 2);
	pbu_add_bid(m, 1);
	lma_rx(l, m, &MAG1, now_ms);
	/* the de-registration released the held PBU as a handoff */
	assert_int_equal(last_to(&MAG1, MH_PBA)->status, 0);
	assert_non_null(last_to(&MAG2, MH_PBA));
	assert_int_equal(last_to(&MAG2, MH_PBA)->status, 0);
	assert_int_equal(pba_bid(last_to(&MAG2, MH_PBA)), 1);
	assert_hnps(last_to(&MAG2, MH_PBA), want, 1);
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	assert_memory_equal(&binding(l, 1)->mag, &MAG2, 16);
	assert_int_equal(lma_bce(l)->n_bindings, 1);
	advance(l, 20000);
	assert_non_null(binding(l, 1)); /* not deleted by the old de-registration */
	lma_free(l);
}

static void test_hi4_timeout_new_binding(void **st)
{
	struct lma *l = new_lma();
	static const char *const want[] = {"fd00:100:0:1::"};

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	clear_sent();
	lma_rx(l, pbu(NAI, 4, MH_HI_UNKNOWN, 3600, 1), &MAG2, now_ms);
	assert_int_equal(n_sent, 0);
	advance(l, 1499);
	assert_int_equal(n_sent, 0);
	advance(l, 1);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].m.status, 0);
	assert_int_equal(pba_bid(&sent[0].m), 2);
	assert_hnps(&sent[0].m, want, 1);
	assert_int_equal(lma_bce(l)->n_bindings, 2);
	lma_free(l);
}

/* ---- several bindings and prefix policies (point 3) ---------------------------------------- */

static void test_multi_unique(void **st)
{
	struct lma *l = new_lma();
	static const char *const w1[] = {"fd00:100::"}, *const w2[] = {"fd00:100:0:1::"};

	(void)st;
	assert_int_equal(reg(l, &MAG1, 4, MH_HI_NEW_IFACE, 1), 1);
	assert_hnps(last_to(&MAG1, MH_PBA), w1, 1);
	assert_int_equal(reg(l, &MAG2, 8, MH_HI_NEW_IFACE, 1), 2);
	assert_hnps(last_to(&MAG2, MH_PBA), w2, 1);
	assert_non_null(fb(1, 1));
	assert_non_null(fb(1, 2));
	assert_memory_equal(&fb(1, 2)->b.coa, &MAG2, 16);
	assert_int_equal(fb(1, 2)->b.att, 8);
	assert_int_equal(fps("fd00:100:0:1::")->bid, 2);
	lma_free(l);
}

static void test_multi_shared_hybrid_hi6(void **st)
{
	struct lma *l;
	static const char *const s[] = {"fd00:100::"};
	static const char *const h1[] = {"fd00:100::", "fd00:100:0:1::"};
	static const char *const h2[] = {"fd00:100::", "fd00:100:0:2::"};
	static const char *const u2[] = {"fd00:100:0:3::"};

	(void)st;
	cfg->lma.mobile_nodes[0] = (struct fm_cfg_lma_mn){.id = NAI, .prefix_policy = FM_PP_SHARED};
	cfg->lma.mobile_nodes[1] =
	    (struct fm_cfg_lma_mn){.id = "h@example.net", .prefix_policy = FM_PP_HYBRID};
	cfg->lma.n_mobile_nodes = 2;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	assert_hnps(last_to(&MAG1, MH_PBA), s, 1);
	assert_int_equal(reg(l, &MAG2, 8, 1, 1), 2);
	assert_hnps(last_to(&MAG2, MH_PBA), s, 1);
	/* the shared prefix points at the lowest usable BID */
	assert_int_equal(fps("fd00:100::")->bid, 1);
	/* hybrid: the shared prefix plus one of its own per interface */
	lma_rx(l, pbu("h@example.net", 4, 1, 3600, 1), &MAG1, now_ms);
	assert_hnps(last_to(&MAG1, MH_PBA),
		    (const char *const[]){"fd00:100:0:1::", "fd00:100:0:2::"}, 2);
	lma_rx(l, pbu("h@example.net", 8, 1, 3600, 1), &MAG2, now_ms);
	assert_hnps(last_to(&MAG2, MH_PBA),
		    (const char *const[]){"fd00:100:0:1::", "fd00:100:0:3::"}, 2);
	(void)h1;
	(void)h2;
	/* HI 6 under the unique policy: the new interface shares the MN's prefixes */
	lma_rx(l, pbu("u@example.net", 4, 1, 3600, 1), &MAG1, now_ms);
	assert_hnps(last_to(&MAG1, MH_PBA), (const char *const[]){"fd00:100:0:4::"}, 1);
	lma_rx(l, pbu("u@example.net", 8, MH_HI_NEW_IFACE_SHARED, 3600, 1), &MAG2, now_ms);
	assert_hnps(last_to(&MAG2, MH_PBA), (const char *const[]){"fd00:100:0:4::"}, 1);
	(void)u2;
	lma_free(l);
}

/* ---- flow mobility cache and moves (points 4, 5) -------------------------------------------- */

static json_t *req(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	j = json_loads(buf, 0, NULL);
	assert_non_null(j);
	return j;
}

static json_t *call(json_t *(*fn)(void *, const json_t *, char *, size_t), struct lma *l, json_t *r,
		    char *err)
{
	json_t *res = fn(l, r, err, 128);

	json_decref(r);
	return res;
}

static void test_policy_template_and_pba_flow_id(void **st)
{
	struct lma *l;
	struct fm_cfg_policy *p = &cfg->lma.policies[0];
	const struct mh_opt *o;

	(void)st;
	p->fid = 1;
	p->priority = 10;
	p->selector.format = TS_FMT_IPV6;
	p->selector.f[TS_NEXT_HEADER] = (struct ts_val){.n = TS_EXACT, .num = {17}};
	p->selector.f[TS_DST_PORT] = (struct ts_val){.n = TS_RANGE, .num = {5000, 5999}};
	p->n_att = 1;
	p->prefer_att[0] = 8;
	cfg->lma.n_policies = 1;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	/* the template applies to the MN; no ATT-8 binding yet: inactive */
	assert_int_equal(dp.rules_mn, 1);
	assert_int_equal(dp.n_rules, 1);
	assert_int_equal(dp.rules[0].fid, 1);
	assert_false(dp.rules[0].active);
	/* no Flow Identification in the first PBA */
	assert_null(mh_opt_find(last_to(&MAG1, MH_PBA), MH_OPT_FLOW_ID, 0));
	reg(l, &MAG2, 8, 1, 1);
	assert_true(dp.rules[0].active);
	assert_int_equal(dp.rules[0].bid, 2);
	assert_int_equal(dp.rules[0].priority, 10);
	assert_int_equal(dp.rules[0].ts.f[TS_DST_PORT].num[1], 5999);
	/* unique prefixes: the new binding's PBA moves the flow (seed §3.2) */
	o = mh_opt_find(last_to(&MAG2, MH_PBA), MH_OPT_FLOW_ID, 0);
	assert_non_null(o);
	assert_int_equal(o->flow_id.fid, 1);
	assert_int_equal(o->flow_id.priority, 10);
	assert_int_equal(o->flow_id.status, 0);
	assert_int_equal(o->flow_id.n_bids, 1);
	assert_int_equal(o->flow_id.bids[0], 2);
	assert_true(o->flow_id.has_ts);
	assert_true(ts_equal(&o->flow_id.ts, &p->selector));
	assert_true(find_event("flow-active") >= 0);
	/* the ATT-8 binding goes: the flow becomes inactive (its only BID) */
	{
		struct mh_msg *m = pbu(NAI, 8, MH_HI_NOT_CHANGED, 0, 2);

		pbu_add_bid(m, 2);
		lma_rx(l, m, &MAG2, now_ms);
	}
	assert_false(dp.rules[0].active);
	assert_true(find_event("flow-inactive") >= 0);
	lma_free(l);
}

static void test_flow_add_errors_change_nothing(void **st)
{
	struct lma *l = new_lma();
	char err[128];
	json_t *r;
	int calls;

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	calls = dp.rules_calls;
	r = call(lma_cmd_flow_add, l,
		 req("{\"mn\":\"x@y\",\"fid\":5,\"priority\":1,\"selector\":{\"next_header\":[6]},"
		     "\"bid\":1}"),
		 err);
	assert_null(r);
	assert_non_null(strstr(err, "unknown mobile node"));
	r = call(lma_cmd_flow_add, l,
		 req("{\"mn\":\"%s\",\"fid\":5,\"priority\":1,\"selector\":{\"next_header\":[6]},"
		     "\"bid\":9}",
		     NAI),
		 err);
	assert_null(r);
	assert_non_null(strstr(err, "unknown BID 9"));
	r = call(
	    lma_cmd_flow_add, l,
	    req("{\"mn\":\"%s\",\"fid\":5,\"priority\":1,\"selector\":{\"bogus\":[6]},\"bid\":1}",
		NAI),
	    err);
	assert_null(r);
	assert_int_equal(dp.rules_calls, calls);
	r = call(lma_cmd_flow_add, l,
		 req("{\"mn\":\"%s\",\"fid\":5,\"priority\":3,\"selector\":{\"next_header\":[6]},"
		     "\"bid\":1,\"action\":\"drop\"}",
		     NAI),
		 err);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "fid")), 5);
	assert_string_equal(json_string_value(json_object_get(r, "action")), "drop");
	assert_true(json_is_true(json_object_get(r, "active")));
	json_decref(r);
	assert_int_equal(dp.rules_calls, calls + 1); /* ONE rules_set per change */
	assert_int_equal(dp.rules[0].action, FM_DP_DROP);
	assert_int_equal(dp.rules[0].bid, 1);
	/* the same FID again: refused */
	r = call(lma_cmd_flow_add, l,
		 req("{\"mn\":\"%s\",\"fid\":5,\"priority\":3,\"selector\":{\"next_header\":[6]},"
		     "\"bid\":1}",
		     NAI),
		 err);
	assert_null(r);
	assert_non_null(strstr(err, "already exists"));
	r = call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":6,\"bid\":1}", NAI), err);
	assert_null(r);
	assert_non_null(strstr(err, "unknown FID 6"));
	r = call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":5,\"bid\":4}", NAI), err);
	assert_null(r);
	r = call(lma_cmd_flow_del, l, req("{\"mn\":\"%s\",\"fid\":6}", NAI), err);
	assert_null(r);
	assert_int_equal(dp.rules_calls, calls + 1);
	r = call(lma_cmd_flow_del, l, req("{\"mn\":\"%s\",\"fid\":5}", NAI), err);
	assert_true(json_is_null(r));
	json_decref(r);
	assert_int_equal(dp.n_rules, 0);
	assert_int_equal(dp.rules_calls, calls + 2);
	lma_free(l);
}

static void test_move_shared_is_local(void **st)
{
	struct lma *l;
	char err[128];
	json_t *r;

	(void)st;
	cfg->lma.prefix_policy = FM_PP_SHARED;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	r = call(lma_cmd_flow_add, l,
		 req("{\"mn\":\"%s\",\"fid\":2,\"priority\":10,\"selector\":{\"next_header\":[17]},"
		     "\"bid\":1}",
		     NAI),
		 err);
	json_decref(r);
	clear_sent();
	r = call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":2,\"bid\":2}", NAI), err);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(r, "bids"), 0)), 2);
	json_decref(r);
	assert_int_equal(n_sent, 0); /* no signaling with shared prefixes (Figure 2) */
	assert_int_equal(dp.rules[0].bid, 2);
	assert_true(find_event("flow-move") >= 0);
	/* by access technology */
	r = call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":2,\"att\":4}", NAI), err);
	json_decref(r);
	assert_int_equal(dp.rules[0].bid, 1);
	assert_int_equal(n_sent, 0);
	lma_free(l);
}

static struct mh_msg *answer(enum mh_kind kind, uint32_t seq, uint8_t status)
{
	static struct mh_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.seq = seq;
	m.status = status;
	return &m;
}

/* Answer every FMI/UPN/BRI captured so far with success, then forget them. */
static void ack_all(struct lma *l)
{
	int n = n_sent;
	static struct sent copy[MAXSENT];

	memcpy(copy, sent, sizeof(copy[0]) * (size_t)n);
	for (int i = 0; i < n; i++) {
		enum mh_kind k = copy[i].m.kind == MH_FMI   ? MH_FMA
				 : copy[i].m.kind == MH_UPN ? MH_UPA
				 : copy[i].m.kind == MH_BRI ? MH_BRA
							    : 0;

		if (k)
			lma_rx(l, answer(k, copy[i].m.seq, 0), &copy[i].dst, now_ms);
	}
	clear_sent();
}

static void test_move_fmi(void **st)
{
	struct lma *l = new_lma();
	const struct mh_msg *f;
	const struct mh_opt *o;
	char err[128];
	json_t *r;
	uint32_t seq;

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	clear_sent();
	r = call(lma_cmd_flow_add, l,
		 req("{\"mn\":\"%s\",\"fid\":2,\"priority\":10,\"selector\":{\"next_header\":[17],"
		     "\"dst_port\":[5000,5999]},\"bid\":1}",
		     NAI),
		 err);
	json_decref(r);
	/* the flow may be addressed to MAG2's prefix too: MAG1 is told (FMI create) */
	assert_int_equal(n_sent, 1);
	assert_memory_equal(&sent[0].dst, &MAG1, 16);
	assert_int_equal(sent[0].m.kind, MH_FMI);
	assert_int_equal(sent[0].m.flags, 0);
	assert_hnps(&sent[0].m, (const char *const[]){"fd00:100:0:1::"}, 1);
	ack_all(l);
	r = call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":2,\"bid\":2}", NAI), err);
	json_decref(r);
	/* Figure 5: FMI (create) to the target MAG, then (optional) cancel to the old one */
	assert_int_equal(n_sent, 2);
	assert_memory_equal(&sent[1].dst, &MAG1, 16);
	assert_int_equal(sent[1].m.kind, MH_FMI);
	assert_int_equal(sent[1].m.flags, MH_FMI_C);
	assert_int_equal(sent[1].m.lifetime, 0);
	assert_int_equal(sent[1].m.seq, sent[0].m.seq + 1);
	lma_rx(l, answer(MH_FMA, sent[1].m.seq, 0), &MAG1, now_ms);
	n_sent = 1;
	f = &sent[0].m;
	assert_memory_equal(&sent[0].dst, &MAG2, 16);
	assert_int_equal(f->kind, MH_FMI);
	assert_int_equal(f->flags, 0); /* not C, not R */
	assert_int_equal(f->lifetime, 3600);
	o = mh_opt_find(f, MH_OPT_MN_ID, 0);
	assert_int_equal(f->opts[0].type, MH_OPT_MN_ID); /* MN-ID first */
	assert_memory_equal(o->mn_id.id, NAI, strlen(NAI));
	assert_int_equal(f->opts[1].type, MH_OPT_FLOW_ID);
	o = &f->opts[1];
	assert_int_equal(o->flow_id.fid, 2);
	assert_int_equal(o->flow_id.priority, 10);
	assert_int_equal(o->flow_id.n_bids, 1);
	assert_int_equal(o->flow_id.bids[0], 2);
	assert_int_equal(o->flow_id.ts.f[TS_DST_PORT].num[0], 5000);
	assert_int_equal(o->flow_id.ts.f[TS_NEXT_HEADER].num[0], 17);
	/* the home prefix the target MAG lacks */
	assert_hnps(f, (const char *const[]){"fd00:100::"}, 1);
	assert_int_equal(dp.rules[0].bid, 2);
	seq = f->seq;
	/* retransmission with back-off: 1.5 s, 3 s, ... same sequence number */
	advance(l, 1499);
	assert_int_equal(n_sent, 1);
	advance(l, 1);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].m.seq, seq);
	advance(l, 2999);
	assert_int_equal(n_sent, 2);
	advance(l, 1);
	assert_int_equal(n_sent, 3);
	/* FMA success ends it */
	lma_rx(l, answer(MH_FMA, seq, FMA_SUCCESS), &MAG2, now_ms);
	advance(l, 60000);
	assert_int_equal(n_sent, 3);
	assert_true(fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 2)->signalled);
	/* move back: create to MAG1 and cancel to MAG2 */
	clear_sent();
	r = call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":2,\"bid\":1}", NAI), err);
	json_decref(r);
	assert_int_equal(n_sent, 2);
	assert_memory_equal(&sent[0].dst, &MAG1, 16);
	assert_int_equal(sent[0].m.flags, 0);
	assert_memory_equal(&sent[1].dst, &MAG2, 16);
	assert_int_equal(sent[1].m.flags, MH_FMI_C);
	lma_free(l);
}

static void test_fma_statuses(void **st)
{
	struct lma *l = new_lma();
	char err[128];
	json_t *r;
	uint32_t seq;

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	json_decref(call(lma_cmd_flow_add, l,
			 req("{\"mn\":\"%s\",\"fid\":2,\"priority\":10,\"selector\":{\"next_"
			     "header\":[17]},\"bid\":1}",
			     NAI),
			 err));
	ack_all(l);
	fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 2)->signalled = false;
	json_decref(
	    call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":2,\"bid\":2}", NAI), err));
	assert_int_equal(n_sent, 1);
	seq = sent[0].m.seq;
	/* 130: sent again with a fresh sequence number */
	lma_rx(l, answer(MH_FMA, seq, FMA_SEQ_OUT_OF_WINDOW), &MAG2, now_ms);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].m.seq, seq + 1);
	/* an FMA from the wrong MAG or with a wrong sequence number is ignored */
	lma_rx(l, answer(MH_FMA, seq + 1, FMA_SUCCESS), &MAG1, now_ms);
	lma_rx(l, answer(MH_FMA, seq + 7, FMA_SUCCESS), &MAG2, now_ms);
	assert_false(fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 2)->signalled);
	lma_rx(l, answer(MH_FMA, seq + 1, FMA_SUCCESS), &MAG2, now_ms);
	assert_true(fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 2)->signalled);
	/* a refresh the MAG no longer knows (132): created again */
	clear_sent();
	r = call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":2,\"bid\":2}", NAI), err);
	json_decref(r);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].m.flags, MH_FMI_R);
	lma_rx(l, answer(MH_FMA, sent[0].m.seq, FMA_NO_ENTRY), &MAG2, now_ms);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].m.flags, 0);
	/* 129 MN not attached: reported, no more retransmissions */
	for (int i = 0; i < n_events; i++)
		json_decref(evfields[i]);
	n_events = 0;
	lma_rx(l, answer(MH_FMA, sent[1].m.seq, FMA_MN_NOT_ATTACHED), &MAG2, now_ms);
	assert_true(find_event("reject") >= 0);
	assert_int_equal(
	    json_integer_value(json_object_get(evfields[find_event("reject")], "status")),
	    FMA_MN_NOT_ATTACHED);
	advance(l, 100000);
	assert_int_equal(n_sent, 2);
	/* flow.del of a signalled flow: FMI cancel */
	fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 2)->signalled = true;
	clear_sent();
	json_decref(call(lma_cmd_flow_del, l, req("{\"mn\":\"%s\",\"fid\":2}", NAI), err));
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].m.kind, MH_FMI);
	assert_int_equal(sent[0].m.flags, MH_FMI_C);
	assert_int_equal(sent[0].m.lifetime, 0);
	assert_memory_equal(&sent[0].dst, &MAG2, 16);
	/* give up after the back-off reaches its maximum */
	for (int i = 0; i < 10; i++)
		advance(l, 32000);
	assert_int_equal(n_sent, 6); /* 1.5, 3, 6, 12, 24 s, then 32 s cap reached */
	lma_free(l);
}

static void test_move_upn(void **st)
{
	struct lma *l;
	const struct mh_msg *u, *a;
	char err[128];
	struct mh_msg *m;

	(void)st;
	cfg->lma.flow_signaling = FM_SIG_UPN;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	clear_sent();
	json_decref(call(lma_cmd_flow_add, l,
			 req("{\"mn\":\"%s\",\"fid\":2,\"priority\":10,\"selector\":{\"next_"
			     "header\":[17]},\"bid\":1}",
			     NAI),
			 err));
	/* MAG1 is told to register MAG2's prefix too (UPN), then the move */
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].m.kind, MH_UPN);
	assert_memory_equal(&sent[0].dst, &MAG1, 16);
	assert_hnps(&sent[0].m, (const char *const[]){"fd00:100::", "fd00:100:0:1::"}, 2);
	ack_all(l);
	json_decref(
	    call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":2,\"bid\":2}", NAI), err));
	assert_int_equal(n_sent, 1);
	u = &sent[0].m;
	assert_int_equal(u->kind, MH_UPN);
	assert_memory_equal(&sent[0].dst, &MAG2, 16);
	assert_int_equal(u->reason, MH_UPN_REASON_FLOW_MOBILITY);
	assert_int_equal(u->flags, MH_UPN_A);
	assert_memory_equal(mh_opt_find(u, MH_OPT_MN_ID, 0)->mn_id.id, NAI, strlen(NAI));
	/* the new prefix set of the target binding: its own plus the flow's */
	assert_hnps(u, (const char *const[]){"fd00:100:0:1::", "fd00:100::"}, 2);
	assert_int_equal(mh_opt_find(u, MH_OPT_BID, 0)->bid.bid, 2);
	assert_int_equal(mh_opt_find(u, MH_OPT_FLOW_ID, 0)->flow_id.fid, 2);
	lma_rx(l, answer(MH_UPA, u->seq, UPA_SUCCESS), &MAG2, now_ms);
	advance(l, 5000);
	assert_int_equal(n_sent, 1); /* acknowledged: no retransmission */
	/* the MAG re-registers: its PBA carries the new prefix set */
	m = pbu(NAI, 8, MH_HI_NOT_CHANGED, 3600, 2);
	pbu_add_bid(m, 2);
	lma_rx(l, m, &MAG2, now_ms);
	a = last_to(&MAG2, MH_PBA);
	assert_int_equal(a->status, 0);
	assert_hnps(a, (const char *const[]){"fd00:100:0:1::", "fd00:100::"}, 2);
	lma_free(l);
}

/* RFC 7077 §4.1: D is clear on the first UPN and set on every retransmission (same
 * sequence number); RFC 6089 §4.1: the BID option never carries BID-PRI 0. */
static void test_upn_retransmission_d_flag(void **st)
{
	struct lma *l;
	char err[128];
	uint32_t seq;

	(void)st;
	cfg->lma.flow_signaling = FM_SIG_UPN;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	json_decref(call(lma_cmd_flow_add, l,
			 req("{\"mn\":\"%s\",\"fid\":2,\"priority\":10,\"selector\":{\"next_"
			     "header\":[17]},\"bid\":1}",
			     NAI),
			 err));
	ack_all(l);
	clear_sent();
	json_decref(
	    call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":2,\"bid\":2}", NAI), err));
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].m.kind, MH_UPN);
	assert_int_equal(sent[0].m.flags, MH_UPN_A);
	assert_int_not_equal(mh_opt_find(&sent[0].m, MH_OPT_BID, 0)->bid.priority, 0);
	seq = sent[0].m.seq;
	advance(l, 1500);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].m.kind, MH_UPN);
	assert_int_equal(sent[1].m.seq, seq);
	assert_int_equal(sent[1].m.flags, MH_UPN_A | MH_UPN_D);
	advance(l, 3000);
	assert_int_equal(n_sent, 3);
	assert_int_equal(sent[2].m.flags, MH_UPN_A | MH_UPN_D);
	lma_free(l);
}

static void test_prefix_move_on_attach_bri(void **st)
{
	struct lma *l = new_lma();
	struct bce_mn *mn;
	struct fmc_flow f;
	const struct mh_msg *b, *a;
	char err[128];

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	mn = bce_mn_find(lma_bce(l), NAI);
	/* a flow that is a whole home prefix: dst-addr fd00:100::/64 */
	memset(&f, 0, sizeof(f));
	f.fid = 9;
	f.priority = 5;
	f.origin = FMC_CTL;
	f.ts.format = TS_FMT_IPV6;
	f.ts.f[TS_DST_ADDR].n = TS_RANGE;
	f.ts.f[TS_DST_ADDR].addr[0] = A("fd00:100::");
	f.ts.f[TS_DST_ADDR].addr[1] = A("fd00:100::ffff:ffff:ffff:ffff");
	/* placed on E-UTRAN, which is not attached yet (flow move --att 8 refuses
	 * that now: no binding of that type) */
	f.n_att = 1;
	f.att[0] = 8;
	assert_int_equal(fmc_add(&mn->fmc, &f), 0);
	(void)err;
	clear_sent();
	reg(l, &MAG2, 8, MH_HI_NEW_IFACE, 1);
	/* Figure 4: the PBA carries the moved prefix, a BRI (P) takes it from MAG1 */
	a = last_to(&MAG2, MH_PBA);
	assert_hnps(a, (const char *const[]){"fd00:100:0:1::", "fd00:100::"}, 2);
	b = last_to(&MAG1, MH_BRI);
	assert_non_null(b);
	assert_int_equal(b->flags, MH_BR_P);
	assert_int_equal(b->trigger, 1);
	assert_memory_equal(mh_opt_find(b, MH_OPT_MN_ID, 0)->mn_id.id, NAI, strlen(NAI));
	assert_hnps(b, (const char *const[]){"fd00:100::"}, 1);
	assert_int_equal(fps("fd00:100::")->bid, 2);
	assert_int_equal(binding(l, 1)->n_pfx, 0);
	assert_true(find_event("prefix-move") >= 0);
	/* BRA ends the transaction */
	lma_rx(l, answer(MH_BRA, b->seq, BRA_SUCCESS), &MAG1, now_ms);
	clear_sent();
	advance(l, 10000);
	assert_int_equal(count_kind(MH_BRI), 0);
	lma_free(l);
}

static void test_pbu_flow_id_requests(void **st)
{
	struct lma *l;
	struct mh_msg *m;
	struct mh_opt *o;
	const struct mh_msg *a;
	struct fm_cfg_policy *p = &cfg->lma.policies[0];

	(void)st;
	p->fid = 1;
	p->priority = 10;
	p->selector.format = TS_FMT_IPV6;
	p->selector.f[TS_NEXT_HEADER] = (struct ts_val){.n = TS_EXACT, .num = {6}};
	p->n_att = 1;
	p->prefer_att[0] = 4;
	cfg->lma.n_policies = 1;
	l = new_lma();
	m = pbu(NAI, 4, 1, 3600, 1);
	/* 1: accepted */
	o = mh_opt_add(m, MH_OPT_FLOW_ID);
	o->flow_id.fid = 20;
	o->flow_id.priority = 5;
	o->flow_id.has_ts = true;
	o->flow_id.ts.format = TS_FMT_IPV6;
	o->flow_id.ts.f[TS_DST_PORT] = (struct ts_val){.n = TS_EXACT, .num = {443}};
	/* 2: clashes with the LMA's policy FID 1 */
	o = mh_opt_add(m, MH_OPT_FLOW_ID);
	o->flow_id.fid = 1;
	o->flow_id.has_ts = true;
	o->flow_id.ts.format = TS_FMT_IPV6;
	/* 3: no traffic selector */
	o = mh_opt_add(m, MH_OPT_FLOW_ID);
	o->flow_id.fid = 21;
	/* 4: a BID that does not exist */
	o = mh_opt_add(m, MH_OPT_FLOW_ID);
	o->flow_id.fid = 22;
	o->flow_id.has_ts = true;
	o->flow_id.ts.format = TS_FMT_IPV6;
	o->flow_id.n_bids = 1;
	o->flow_id.bids[0] = 7;
	/* 5: an unknown selector format, as the codec hands it over: a raw sub-option 3 */
	o = mh_opt_add(m, MH_OPT_FLOW_ID);
	o->flow_id.fid = 23;
	o->flow_id.n_raw = 1;
	o->flow_id.raw[0] = (struct mh_raw){.type = MH_FIDSUB_TS, .len = 6, .data = {9}};
	lma_rx(l, m, &MAG1, now_ms);
	a = last_to(&MAG1, MH_PBA);
	assert_int_equal(a->status, 0);
	assert_int_equal(mh_opt_find(a, MH_OPT_FLOW_ID, 0)->flow_id.fid, 20);
	assert_int_equal(mh_opt_find(a, MH_OPT_FLOW_ID, 0)->flow_id.status, FID_SUCCESS);
	assert_int_equal(mh_opt_find(a, MH_OPT_FLOW_ID, 1)->flow_id.status, FID_ADMIN_PROHIBITED);
	assert_int_equal(mh_opt_find(a, MH_OPT_FLOW_ID, 2)->flow_id.status, FID_MALFORMED);
	assert_int_equal(mh_opt_find(a, MH_OPT_FLOW_ID, 3)->flow_id.status, FID_BID_NOT_FOUND);
	assert_int_equal(mh_opt_find(a, MH_OPT_FLOW_ID, 4)->flow_id.status,
			 FID_TS_FORMAT_UNSUPPORTED);
	/* the accepted one is in the FMC on this binding, and in the data plane */
	{
		struct fmc_flow *f = fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 20);

		assert_non_null(f);
		assert_int_equal(f->origin, FMC_PBU);
		assert_int_equal(f->bids[0], 1);
		assert_true(f->active);
		assert_null(fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 22));
	}
	assert_int_equal(dp.n_rules, 2);
	assert_int_equal(dp.rules[0].fid, 20); /* priority 5 before 10 */
	assert_int_equal(dp.rules[0].bid, 1);
	lma_free(l);
}

/* ---- heartbeat and peer down (point 6) ------------------------------------------------------ */

static void test_heartbeat_and_peer_down(void **st)
{
	struct lma *l;
	char err[128];
	const struct mh_msg *h;
	struct mh_msg in;
	int i;

	(void)st;
	cfg->lma.timers.heartbeat_interval_s = 10;
	cfg->lma.prefix_policy = FM_PP_SHARED;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	json_decref(call(lma_cmd_flow_add, l,
			 req("{\"mn\":\"%s\",\"fid\":2,\"priority\":10,\"selector\":{\"next_"
			     "header\":[17]},\"bid\":2}",
			     NAI),
			 err));
	clear_sent();
	advance(l, 10000);
	h = last_to(&MAG1, MH_HEARTBEAT);
	assert_non_null(h);
	assert_int_equal(h->flags, 0);
	assert_int_equal(mh_opt_find(h, MH_OPT_RESTART_COUNTER, 0)->restart_counter, 1);
	assert_non_null(last_to(&MAG2, MH_HEARTBEAT));
	/* MAG1 answers with its restart counter, MAG2 stays silent */
	memset(&in, 0, sizeof(in));
	in.kind = MH_HEARTBEAT;
	in.flags = MH_HB_R;
	in.seq = h->seq;
	mh_opt_add(&in, MH_OPT_RESTART_COUNTER)->restart_counter = 5;
	lma_rx(l, &in, &MAG1, now_ms);
	for (i = 0; i < 3; i++) {
		h = last_to(&MAG1, MH_HEARTBEAT);
		in.seq = h->seq;
		lma_rx(l, &in, &MAG1, now_ms);
		advance(l, 10000);
	}
	/* three missed answers from MAG2: peer down, its binding marked, the flow moves */
	assert_int_equal(binding(l, 2)->state, BCE_PEER_DOWN);
	assert_true(fb(1, 2)->b.down);
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	assert_int_equal(dp.rules[0].bid, 1);
	assert_true(dp.rules[0].active);
	assert_true(find_event("peer-down") >= 0);
	{
		json_t *p = lma_cmd_peers(l, NULL, err, sizeof(err));

		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(p, 0), "state")), "up");
		assert_int_equal(
		    json_integer_value(json_object_get(json_array_get(p, 0), "restart_counter")),
		    5);
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(p, 1), "state")), "down");
		json_decref(p);
	}
	/* a heartbeat request from MAG1 is answered with R, its seq, our counter */
	clear_sent();
	memset(&in, 0, sizeof(in));
	in.kind = MH_HEARTBEAT;
	in.seq = 4242;
	mh_opt_add(&in, MH_OPT_RESTART_COUNTER)->restart_counter = 5;
	lma_rx(l, &in, &MAG1, now_ms);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].m.kind, MH_HEARTBEAT);
	assert_int_equal(sent[0].m.flags, MH_HB_R);
	assert_int_equal(sent[0].m.seq, 4242);
	assert_int_equal(mh_opt_find(&sent[0].m, MH_OPT_RESTART_COUNTER, 0)->restart_counter, 1);
	/* MAG1 restarted (counter 6): its binding is marked too */
	mh_opt_find(&in, MH_OPT_RESTART_COUNTER, 0);
	in.opts[0].restart_counter = 6;
	lma_rx(l, &in, &MAG1, now_ms);
	assert_int_equal(binding(l, 1)->state, BCE_PEER_DOWN);
	/* it re-registers: active again */
	{
		struct mh_msg *m = pbu(NAI, 4, MH_HI_NEW_IFACE, 3600, 9);

		lma_rx(l, m, &MAG1, now_ms);
		assert_int_equal(last_to(&MAG1, MH_PBA)->status, 0);
		assert_int_equal(pba_bid(last_to(&MAG1, MH_PBA)), 1);
		assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
		assert_false(fb(1, 1)->b.down);
	}
	/* MAG2 answers again with the same counter: its binding is usable again */
	memset(&in, 0, sizeof(in));
	in.kind = MH_HEARTBEAT;
	in.seq = 1;
	lma_rx(l, &in, &MAG2, now_ms);
	assert_int_equal(binding(l, 2)->state, BCE_ACTIVE);
	assert_true(find_event("peer-up") >= 0);
	lma_free(l);
}

static const char *peer_state(struct lma *l, int i)
{
	static char buf[16];
	char err[128];
	json_t *p = lma_cmd_peers(l, NULL, err, sizeof(err));

	snprintf(buf, sizeof(buf), "%s",
		 json_string_value(json_object_get(json_array_get(p, i), "state")));
	json_decref(p);
	return buf;
}

static json_int_t rx_ignored(struct lma *l)
{
	char err[128];
	json_t *s = lma_cmd_stats(l, NULL, err, sizeof(err));
	json_int_t n =
	    json_integer_value(json_object_get(json_object_get(s, "signaling"), "rx_ignored"));

	json_decref(s);
	return n;
}

static void hb_response(struct lma *l, const struct in6_addr *mag, uint32_t seq)
{
	struct mh_msg in;

	memset(&in, 0, sizeof(in));
	in.kind = MH_HEARTBEAT;
	in.flags = MH_HB_R;
	in.seq = seq;
	lma_rx(l, &in, mag, now_ms);
}

/* Issue 10 point 5: a heartbeat response whose sequence number is not the outstanding
 * request's is ignored and counted (the MAG does the same): it is no proof of life,
 * neither keeping a peer up nor bringing it back; a duplicate is ignored too. */
static void test_heartbeat_stale_response_ignored(void **st)
{
	struct lma *l;
	const struct mh_msg *h;
	json_int_t ign;

	(void)st;
	cfg->lma.timers.heartbeat_interval_s = 10;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	ign = rx_ignored(l);
	/* a response before any request matches nothing */
	hb_response(l, &MAG1, 0);
	assert_int_equal(rx_ignored(l), ign + 1);
	/* MAG1 answers every request with the wrong number: three misses, down */
	for (int i = 0; i < 4; i++) {
		clear_sent();
		advance(l, 10000);
		h = last_to(&MAG1, MH_HEARTBEAT);
		assert_non_null(h);
		hb_response(l, &MAG1, h->seq + 1000);
	}
	assert_int_equal(rx_ignored(l), ign + 5);
	assert_string_equal(peer_state(l, 0), "down");
	assert_int_equal(binding(l, 1)->state, BCE_PEER_DOWN);
	assert_true(find_event("peer-down") >= 0);
	assert_true(find_event("peer-up") < 0);
	/* the matching response brings it back, its binding usable again */
	hb_response(l, &MAG1, h->seq);
	assert_string_equal(peer_state(l, 0), "up");
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	assert_true(find_event("peer-up") >= 0);
	assert_int_equal(rx_ignored(l), ign + 5);
	/* the same response again answers nothing outstanding */
	hb_response(l, &MAG1, h->seq);
	assert_int_equal(rx_ignored(l), ign + 6);
	lma_free(l);
}

/* ---- peer lifecycle (RFC 5847 restarts, peers without heartbeats) ----------------------- */

static struct mh_msg hb_msg(bool response, uint32_t seq, int rc)
{
	struct mh_msg in;

	memset(&in, 0, sizeof(in));
	in.kind = MH_HEARTBEAT;
	in.flags = response ? MH_HB_R : 0;
	in.seq = seq;
	if (rc >= 0)
		mh_opt_add(&in, MH_OPT_RESTART_COUNTER)->restart_counter = (uint32_t)rc;
	return in;
}

static json_t *peer_json(struct lma *l, int i)
{
	char err[128];
	json_t *p = lma_cmd_peers(l, NULL, err, sizeof(err));
	json_t *o = json_incref(json_array_get(p, i));

	json_decref(p);
	return o;
}

static const char *peer_str(struct lma *l, int i, const char *key)
{
	static char buf[64];
	json_t *o = peer_json(l, i);

	snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(o, key)));
	json_decref(o);
	return buf;
}

/* A MAG restart (new restart counter) marks only the bindings it has not registered
 * again since its last heartbeat before the restart: a MAG that restored its list and
 * refreshed first keeps forwarding (the restart used to mark every binding peer-down
 * for good after the refresh had been accepted). */
static void test_peer_restart_spares_refreshed(void **st)
{
	struct lma *l;
	struct mh_msg in;

	(void)st;
	cfg->lma.timers.heartbeat_interval_s = 10;
	cfg->lma.prefix_policy = FM_PP_UNIQUE;
	l = new_lma();
	reg(l, &MAG1, 4, MH_HI_NEW_IFACE, 1);
	reg(l, &MAG1, 8, MH_HI_NEW_IFACE, 1);
	in = hb_msg(false, 7, 5);
	lma_rx(l, &in, &MAG1, now_ms);
	advance(l, 1000);
	/* MAG1 restarts, refreshes BID 1 (ATT 4) first, then heartbeats with counter 6 */
	assert_int_equal(reg(l, &MAG1, 4, MH_HI_NOT_CHANGED, 2), 1);
	advance(l, 100);
	in = hb_msg(false, 1, 6);
	lma_rx(l, &in, &MAG1, now_ms);
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	assert_false(fb(1, 1)->b.down);
	assert_int_equal(binding(l, 2)->state, BCE_PEER_DOWN);
	assert_true(fb(1, 2)->b.down);
	assert_true(find_event("peer-restart") >= 0);
	assert_string_equal(peer_str(l, 0, "state"), "up");
	assert_string_equal(peer_str(l, 0, "reason"), "restart");
	/* later heartbeats with the new counter change nothing */
	in = hb_msg(false, 2, 6);
	lma_rx(l, &in, &MAG1, now_ms);
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	/* its next PBU for BID 2 makes it active again */
	advance(l, 100);
	assert_int_equal(reg(l, &MAG1, 8, MH_HI_NOT_CHANGED, 3), 2);
	assert_int_equal(binding(l, 2)->state, BCE_ACTIVE);
	assert_false(fb(1, 2)->b.down);
	lma_free(l);
}

/* A heartbeat with a new restart counter from a MAG without a key could be forged by
 * anyone sending from its address: it takes no binding away. */
static void test_unauthenticated_restart_counter_not_believed(void **st)
{
	struct lma *l;
	struct mh_msg in;

	(void)st;
	peers_authenticated = false;
	cfg->lma.timers.heartbeat_interval_s = 10;
	cfg->lma.prefix_policy = FM_PP_UNIQUE;
	l = new_lma();
	reg(l, &MAG1, 4, MH_HI_NEW_IFACE, 1);
	in = hb_msg(false, 7, 5);
	lma_rx(l, &in, &MAG1, now_ms);
	advance(l, 1000);
	in = hb_msg(false, 8, 6);
	lma_rx(l, &in, &MAG1, now_ms);
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	assert_false(fb(1, 1)->b.down);
	assert_true(find_event("peer-restart") < 0);
	assert_string_equal(peer_str(l, 0, "state"), "up");
	{
		json_t *o = peer_json(l, 0);

		assert_int_equal(json_integer_value(json_object_get(o, "restarts_ignored")), 1);
		json_decref(o);
	}
	peers_authenticated = true;
	lma_free(l);
}

/* Heartbeats to a MAG start with its first binding. */
static void test_heartbeat_starts_with_binding(void **st)
{
	struct lma *l;

	(void)st;
	cfg->lma.timers.heartbeat_interval_s = 10;
	l = new_lma();
	clear_sent();
	advance(l, 10000);
	advance(l, 10000);
	assert_int_equal(count_kind(MH_HEARTBEAT), 0);
	assert_string_equal(peer_str(l, 0, "heartbeat"), "waiting for a binding");
	reg(l, &MAG1, 4, MH_HI_NEW_IFACE, 1);
	clear_sent();
	advance(l, 10000);
	assert_non_null(last_to(&MAG1, MH_HEARTBEAT));
	assert_null(last_to(&MAG2, MH_HEARTBEAT));
	assert_string_equal(peer_str(l, 0, "heartbeat"), "on");
	lma_free(l);
}

/* A MAG without RFC 5847 answers a heartbeat with Binding Error 2: no more
 * heartbeats, never declared down for their lack; heartbeat: on keeps sending. */
static void test_be2_means_no_heartbeat_support(void **st)
{
	struct lma *l;
	struct mh_msg be;

	(void)st;
	cfg->lma.timers.heartbeat_interval_s = 10;
	l = new_lma();
	reg(l, &MAG1, 4, MH_HI_NEW_IFACE, 1);
	clear_sent();
	advance(l, 10000);
	assert_non_null(last_to(&MAG1, MH_HEARTBEAT));
	memset(&be, 0, sizeof(be));
	be.kind = MH_BE;
	be.status = 2;
	lma_rx(l, &be, &MAG1, now_ms);
	assert_string_equal(peer_str(l, 0, "heartbeat"), "unsupported");
	assert_string_equal(peer_str(l, 0, "reason"), "no heartbeat support");
	clear_sent();
	for (int i = 0; i < 5; i++)
		advance(l, 10000);
	assert_int_equal(count_kind(MH_HEARTBEAT), 0);
	assert_string_equal(peer_str(l, 0, "state"), "up");
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	lma_free(l);

	/* heartbeat: on — a BE does not stop them */
	cfg->lma.mag_heartbeat[0] = FM_HB_ON;
	l = new_lma();
	reg(l, &MAG1, 4, MH_HI_NEW_IFACE, 1);
	advance(l, 10000);
	lma_rx(l, &be, &MAG1, now_ms);
	clear_sent();
	advance(l, 10000);
	assert_non_null(last_to(&MAG1, MH_HEARTBEAT));
	lma_free(l);
	/* heartbeat: off — none at all */
	cfg->lma.mag_heartbeat[0] = FM_HB_OFF;
	l = new_lma();
	reg(l, &MAG1, 4, MH_HI_NEW_IFACE, 1);
	clear_sent();
	advance(l, 10000);
	assert_null(last_to(&MAG1, MH_HEARTBEAT));
	assert_string_equal(peer_str(l, 0, "heartbeat"), "off");
	cfg->lma.mag_heartbeat[0] = FM_HB_AUTO;
	lma_free(l);
}

/* A MAG marked down that sends a valid PBU is up again at once (reason "PBU"); a
 * heartbeat request goes to it, and its answer with the same restart counter makes
 * its other bindings active again, the flows rescued off them back in place. */
static void test_peer_down_back_by_pbu(void **st)
{
	struct lma *l;
	const struct mh_msg *h;
	struct mh_msg in;
	char err[128];

	(void)st;
	cfg->lma.timers.heartbeat_interval_s = 10;
	cfg->lma.prefix_policy = FM_PP_SHARED;
	l = new_lma();
	reg(l, &MAG1, 4, MH_HI_NEW_IFACE, 1);
	reg(l, &MAG1, 5, MH_HI_NEW_IFACE, 1);
	reg(l, &MAG2, 8, MH_HI_NEW_IFACE, 1);
	json_decref(call(lma_cmd_flow_add, l,
			 req("{\"mn\":\"%s\",\"fid\":2,\"priority\":10,\"selector\":{\"next_"
			     "header\":[17]},\"bid\":2}",
			     NAI),
			 err));
	in = hb_msg(false, 9, 5);
	lma_rx(l, &in, &MAG1, now_ms);
	for (int i = 0; i < 4; i++) {
		advance(l, 10000);
		h = last_to(&MAG2, MH_HEARTBEAT);
		in = hb_msg(true, h->seq, 1);
		lma_rx(l, &in, &MAG2, now_ms);
	}
	assert_string_equal(peer_str(l, 0, "state"), "down");
	assert_int_equal(binding(l, 2)->state, BCE_PEER_DOWN);
	assert_int_equal(fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 2)->bids[0], 3);
	/* a valid PBU (refresh of BID 1): up, the PBU accepted */
	clear_sent();
	advance(l, 100);
	assert_int_equal(reg(l, &MAG1, 4, MH_HI_NOT_CHANGED, 2), 1);
	assert_string_equal(peer_str(l, 0, "state"), "up");
	assert_string_equal(peer_str(l, 0, "reason"), "pbu");
	assert_int_equal(binding(l, 1)->state, BCE_ACTIVE);
	assert_int_equal(binding(l, 2)->state, BCE_PEER_DOWN); /* until its heartbeat answer */
	h = last_to(&MAG1, MH_HEARTBEAT);
	assert_non_null(h);
	in = hb_msg(true, h->seq, 5);
	lma_rx(l, &in, &MAG1, now_ms);
	assert_int_equal(binding(l, 2)->state, BCE_ACTIVE);
	assert_int_equal(fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 2)->bids[0], 2);
	assert_int_equal(dp.rules[0].bid, 2);
	lma_free(l);
}

/* ---- given-up exchanges resynchronise (issue 11 point 8) ------------------------------ */

static json_int_t sig_stat(struct lma *l, const char *key)
{
	char err[128];
	json_t *s = lma_cmd_stats(l, NULL, err, sizeof(err));
	json_int_t n = json_integer_value(json_object_get(json_object_get(s, "signaling"), key));

	json_decref(s);
	return n;
}

static int count_to(const struct in6_addr *dst, enum mh_kind kind, uint16_t flags)
{
	int n = 0;

	for (int i = 0; i < n_sent; i++)
		n += sent[i].m.kind == kind && !memcmp(&sent[i].dst, dst, 16) &&
		     sent[i].m.flags == flags;
	return n;
}

/* An FMI cancel to the old MAG abandoned after its retries (the MAG kept a stale
 * flow): parked, and sent again on that MAG's next heartbeat; a create abandoned
 * is sent again on the target MAG's next PBU (its refresh). */
static void test_given_up_fmi_resent(void **st)
{
	struct lma *l;
	char err[128];
	struct mh_msg in;
	json_t *s;

	(void)st;
	cfg->lma.timers.retransmit_initial_ms = 100;
	cfg->lma.timers.retransmit_max_ms = 200;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	json_decref(call(lma_cmd_flow_add, l,
			 req("{\"mn\":\"%s\",\"fid\":2,\"priority\":10,\"selector\":{\"next_"
			     "header\":[17]},\"bid\":1}",
			     NAI),
			 err));
	ack_all(l); /* MAG1 holds FMI state for FID 2 */
	json_decref(
	    call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":2,\"bid\":2}", NAI), err));
	/* nobody answers: both given up */
	for (int i = 0; i < 20; i++)
		advance(l, 200);
	s = lma_cmd_stats(l, NULL, err, sizeof(err));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(s, "signaling"), "parked")), 2);
	json_decref(s);
	assert_int_equal(sig_stat(l, "pending"), 0);
	/* MAG1 heartbeats: its cancel goes again */
	clear_sent();
	in = hb_msg(false, 3, 1);
	lma_rx(l, &in, &MAG1, now_ms);
	assert_int_equal(count_to(&MAG1, MH_FMI, MH_FMI_C), 1);
	assert_int_equal(count_to(&MAG2, MH_FMI, 0), 0);
	ack_all(l);
	/* MAG2 refreshes: its create goes again */
	advance(l, 100);
	clear_sent();
	reg(l, &MAG2, 8, MH_HI_NOT_CHANGED, 2);
	assert_int_equal(count_to(&MAG2, MH_FMI, 0), 1);
	ack_all(l);
	assert_int_equal(sig_stat(l, "pending"), 0);
	assert_int_equal(sig_stat(l, "parked"), 0);
	{
		const struct fmc_flow *f = fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 2);

		assert_true(f->signalled);
		assert_memory_equal(&f->signalled_mag, &MAG2, 16);
	}
	lma_free(l);
}

/* flow-signaling fmi -> upn at run time: the FMI state at the MAGs is cancelled (it
 * used to stay, and a later flow del left it there) and the flow goes by UPN. */
static void test_signaling_switch_cleans_fmi(void **st)
{
	struct lma *l;
	struct fm_config *next = malloc(sizeof(*next));
	char err[128];

	(void)st;
	cfg->lma.prefix_policy = FM_PP_UNIQUE;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	json_decref(call(lma_cmd_flow_add, l,
			 req("{\"mn\":\"%s\",\"fid\":2,\"priority\":10,\"selector\":{\"next_"
			     "header\":[17]},\"bid\":2}",
			     NAI),
			 err));
	ack_all(l); /* MAG2 holds FMI state */
	memcpy(next, cfg, sizeof(*next));
	next->lma.flow_signaling = FM_SIG_UPN;
	assert_int_equal(lma_reload(l, next, now_ms), 0);
	*cfg = *next;
	assert_int_equal(count_to(&MAG2, MH_FMI, MH_FMI_C), 1);
	assert_non_null(last_to(&MAG2, MH_UPN));
	assert_false(fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 2)->signalled);
	ack_all(l);
	/* flow del now: no FMI state anywhere, no FMI sent */
	json_decref(call(lma_cmd_flow_del, l, req("{\"mn\":\"%s\",\"fid\":2}", NAI), err));
	assert_int_equal(count_kind(MH_FMI), 0);
	free(next);
	lma_free(l);
}

/* lma_tick fires due timers earliest first; lma_next_due names the earliest. */
static void test_tick_order_and_next_due(void **st)
{
	struct lma *l = new_lma();
	struct mh_msg *m;
	int exp1, exp2;

	(void)st;
	/* two bindings expiring 4 s apart, registered in the opposite order */
	m = pbu(NAI, 8, MH_HI_NEW_IFACE, 12, 1);
	lma_rx(l, m, &MAG2, now_ms);
	m = pbu(NAI, 4, MH_HI_NEW_IFACE, 8, 1);
	lma_rx(l, m, &MAG1, now_ms);
	assert_int_equal(lma_bce(l)->n_bindings, 2);
	assert_true(lma_next_due(l) > now_ms);
	assert_true(lma_next_due(l) <= now_ms + 8000);
	now_ms += 20000;
	wall_ms += 20000;
	lma_tick(l, now_ms);
	assert_int_equal(lma_bce(l)->n_bindings, 0);
	exp1 = exp2 = -1;
	for (int i = 0; i < n_events; i++)
		if (!strcmp(events[i], "expiry")) {
			int bid = (int)json_integer_value(json_object_get(evfields[i], "bid"));

			if (bid == 2 && exp1 < 0)
				exp1 = i; /* MAG1's binding (8 s) */
			if (bid == 1 && exp2 < 0)
				exp2 = i; /* MAG2's (12 s) */
		}
	assert_true(exp1 >= 0 && exp2 > exp1);
	lma_free(l);
}

/* ---- persistence (point 6) --------------------------------------------------------------------
 */

static void test_persistence_restart(void **st)
{
	struct lma *l;
	char err[128];
	struct bce_mn *mn;
	const struct mh_msg *h;
	uint16_t seq_before;
	uint64_t ts_before;

	(void)st;
	l = new_lma();
	assert_int_equal(lma_restart_counter(l), 1);
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	json_decref(call(lma_cmd_flow_add, l,
			 req("{\"mn\":\"%s\",\"fid\":3,\"priority\":7,\"selector\":{\"dst_port\":["
			     "80]},\"bid\":2}",
			     NAI),
			 err));
	clear_sent();
	json_decref(
	    call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":3,\"bid\":1}", NAI), err));
	seq_before = (uint16_t)sent[n_sent - 1].m.seq;
	ts_before = binding(l, 1)->last_ts;
	ack_all(l); /* MAG1 now holds the flow's FMI state */
	/* the store and the export have their own serializer: no data-plane counter read */
	dp.counter_calls = 0;
	assert_int_equal(lma_state_save(l), 0);
	assert_int_equal(dp.counter_calls, 0);
	{
		json_t *x = lma_state_export(l);
		char *buf = json_dumps(x, 0);

		assert_int_equal(dp.counter_calls, 0);
		assert_non_null(strstr(buf, "\"signalled_mag\""));
		assert_null(strstr(buf, "\"packets\""));
		assert_null(strstr(buf, "\"bytes\""));
		free(buf);
		json_decref(x);
	}
	lma_free(l);
	/* the data plane keeps a binding the state file does not know: removed */
	f_binding_set(NULL, 7, 1, &(struct fm_dp_binding){.coa = MAG1, .att = 4});
	now_ms += 5000;
	wall_ms += 5000;
	dp.rules_calls = 0;
	l = new_lma();
	assert_int_equal(lma_restart_counter(l), 2);
	mn = bce_mn_find(lma_bce(l), NAI);
	assert_non_null(mn);
	assert_int_equal(mn->index, 1);
	assert_int_equal(mn->n_b, 2);
	assert_memory_equal(&binding(l, 2)->mag, &MAG2, 16);
	assert_int_equal(binding(l, 2)->pfx[0].addr.s6_addr[7], 1);
	assert_int_equal(binding_left_s(binding(l, 1), now_ms), 3595);
	assert_null(fb(7, 1));
	assert_non_null(fmc_find(&mn->fmc, 3));
	assert_int_equal(fmc_find(&mn->fmc, 3)->bids[0], 1);
	assert_int_equal(fmc_find(&mn->fmc, 3)->priority, 7);
	assert_true(dp.rules_calls >= 1);
	assert_int_equal(dp.rules[0].fid, 3);
	assert_int_equal(dp.rules[0].bid, 1);
	/* a new prefix does not collide with the restored ones */
	lma_rx(l, pbu("other@example.net", 4, 1, 3600, 1), &MAG1, now_ms);
	assert_hnps(last_to(&MAG1, MH_PBA), (const char *const[]){"fd00:100:0:2::"}, 1);
	/* the last accepted timestamps survive */
	assert_true(binding(l, 1)->has_ts);
	assert_int_equal(binding(l, 1)->last_ts, ts_before);
	/* the sequence numbers continue */
	clear_sent();
	json_decref(
	    call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":3,\"bid\":2}", NAI), err));
	assert_int_equal(count_kind(MH_FMI), 2); /* create to MAG2, cancel to MAG1 */
	assert_memory_equal(&sent[1].dst, &MAG1, 16);
	assert_int_equal(sent[1].m.flags, MH_FMI_C);
	assert_true((uint16_t)sent[0].m.seq > seq_before);
	lma_free(l);
	/* the restart counter keeps counting and is announced in heartbeats */
	cfg->lma.timers.heartbeat_interval_s = 1;
	l = new_lma();
	assert_int_equal(lma_restart_counter(l), 3);
	clear_sent();
	advance(l, 1000);
	h = last_to(&MAG1, MH_HEARTBEAT);
	assert_non_null(h);
	assert_int_equal(mh_opt_find(h, MH_OPT_RESTART_COUNTER, 0)->restart_counter, 3);
	lma_free(l);
}

/* The state store: what the daemon's commit point committed survives a crash, with
 * the ordering state: a replay after the crash is refused (RFC 5213 §5.3.1). What
 * was never committed (never acknowledged) of an unknown MN leaves the maps. */
static void test_store_crash_keeps_committed_refuses_replay(void **st)
{
	struct lma *l;

	(void)st;
	cfg->lma.ordering = FM_ORDER_SEQUENCE;
	l = new_lma();
	lma_rx(l, pbu_full(NAI, 4, 1, 3600, 100, O_ALL & ~O_TS, 0), &MAG1, now_ms);
	assert_int_equal(last_to(&MAG1, MH_PBA)->status, 0);
	assert_true(lma_state_pending(l));
	assert_int_equal(lma_state_save(l), 0); /* the commit before the PBA leaves */
	assert_false(lma_state_pending(l));
	lma_rx(l, pbu_full("late@example.net", 4, 1, 3600, 7, O_ALL & ~O_TS, 0), &MAG1, now_ms);
	lma_free(l); /* kill -9: the second registration was never committed */
	l = new_lma();
	assert_non_null(binding(l, 1));
	assert_true(binding_left_s(binding(l, 1), now_ms) > 3000);
	assert_null(bce_mn_find(lma_bce(l), "late@example.net"));
	expect_reject(l, pbu_full(NAI, 4, MH_HI_NOT_CHANGED, 3600, 100, O_ALL & ~O_TS, 0), &MAG1,
		      PBA_SEQ_OUT_OF_WINDOW);
	assert_int_equal(sent[0].m.seq, 100);
	lma_free(l);
}

/* Today's state file is imported once into an empty store and renamed aside; an
 * import document replaces the store's content. */
static void test_store_migration_and_import(void **st)
{
	char path[160];
	struct lma *l;
	json_t *x, *empty;

	(void)st;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	assert_int_equal(lma_state_save(l), 0);
	x = lma_state_export(l);
	assert_int_equal(json_integer_value(json_object_get(x, "restart_counter")), 1);
	lma_free(l);
	snprintf(path, sizeof(path), "rm -f %s/lma.mdb %s/lma.mdb-lock", statedir, statedir);
	assert_int_equal(system(path), 0);
	assert_int_equal(fm_state_save(statedir, "lma", x), 0);
	l = new_lma(); /* migrates lma.json */
	assert_non_null(binding(l, 1));
	assert_int_equal(lma_restart_counter(l), 2);
	snprintf(path, sizeof(path), "%s/lma.json", statedir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/lma.json.migrated", statedir);
	assert_int_equal(access(path, F_OK), 0);
	lma_free(l);
	l = new_lma(); /* from the store now */
	assert_non_null(binding(l, 1));
	assert_int_equal(lma_restart_counter(l), 3);
	lma_free(l);
	/* --import: a document without MNs replaces what the store held */
	empty = json_deep_copy(x);
	json_object_set_new(empty, "mobile_nodes", json_array());
	json_object_set_new(empty, "restart_counter", json_integer(40));
	l = lma_new(cfg,
		    &(struct lma_hooks){.send = cap_send, .event = cap_event, .dp = &fake_ops});
	lma_import(l, empty);
	assert_int_equal(lma_start(l, now_ms), 0);
	assert_int_equal(lma_restart_counter(l), 41);
	assert_null(bce_mn_find(lma_bce(l), NAI));
	lma_free(l);
	l = new_lma();
	assert_int_equal(lma_restart_counter(l), 42);
	assert_null(bce_mn_find(lma_bce(l), NAI));
	lma_free(l);
	json_decref(x);
}

static void test_reconcile_adopts_unsaved_binding(void **st)
{
	struct lma *l = new_lma();

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	lma_state_save(l);
	/* registered after the save: only the maps know it */
	reg(l, &MAG2, 8, 1, 1);
	lma_free(l); /* a crash: no save */
	l = new_lma();
	assert_non_null(binding(l, 2));
	assert_memory_equal(&binding(l, 2)->mag, &MAG2, 16);
	assert_int_equal(binding(l, 2)->n_pfx, 1);
	assert_int_equal(binding(l, 2)->pfx[0].addr.s6_addr[7], 1);
	assert_true(binding_left_s(binding(l, 2), now_ms) <= 60);
	lma_free(l);
}

/* ---- reload and control output ----------------------------------------------------------------
 */

static void test_reload(void **st)
{
	struct lma *l = new_lma();
	struct fm_config *next = malloc(sizeof(*next));

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	memcpy(next, cfg, sizeof(*next));
	next->lma.n_mags = 1; /* MAG2 no longer allowed */
	clear_sent();
	clear_events();
	assert_int_equal(lma_reload(l, next, now_ms), 0);
	*cfg = *next; /* the caller installs the new configuration, as main.c does */
	/* MAG2 is told: a global BRI (RFC 5846: P and G, trigger 250 per-peer policy) */
	{
		const struct mh_msg *bri = last_to(&MAG2, MH_BRI);
		int e = find_event("peer-removed");

		assert_non_null(bri);
		assert_int_equal(bri->flags, MH_BR_P | MH_BR_G);
		assert_int_equal(bri->trigger, 250);
		assert_true(e >= 0);
		assert_int_equal(json_integer_value(json_object_get(evfields[e], "bindings")), 1);
		e = find_event("deregistration");
		assert_true(e >= 0);
		assert_string_equal(json_string_value(json_object_get(evfields[e], "reason")),
				    "peer-removed");
		assert_true(find_event("expiry") < 0);
	}
	assert_null(binding(l, 2));
	assert_non_null(binding(l, 1));
	assert_int_equal(dp.n_peers, 1);
	expect_reject(l, pbu(NAI, 8, 1, 3600, 2), &MAG2, PBA_MAG_NOT_AUTHORIZED);
	/* the MN is now denied */
	next->lma.mobile_nodes[0] = (struct fm_cfg_lma_mn){.id = NAI, .deny = true};
	next->lma.n_mobile_nodes = 1;
	assert_int_equal(lma_reload(l, next, now_ms), 0);
	*cfg = *next;
	assert_null(bce_mn_find(lma_bce(l), NAI));
	expect_reject(l, pbu(NAI, 4, 1, 3600, 3), &MAG1, PBA_ADMIN_PROHIBITED);
	free(next);
	lma_free(l);
}

static void test_cmd_output(void **st)
{
	struct lma *l = new_lma();
	char err[128];
	json_t *b, *o, *s;

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	b = lma_cmd_bindings(l, NULL, err, sizeof(err));
	assert_int_equal(json_array_size(b), 1);
	o = json_array_get(b, 0);
	assert_string_equal(json_string_value(json_object_get(o, "mn")), NAI);
	assert_int_equal(json_integer_value(json_object_get(o, "bid")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "att")), 4);
	assert_string_equal(json_string_value(json_object_get(o, "mag")), "fd00:11::2");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "prefixes"), 0)),
			    "fd00:100::/64");
	assert_int_equal(json_integer_value(json_object_get(o, "lifetime")), 3600);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "active");
	assert_non_null(json_object_get(o, "packets"));
	assert_non_null(json_object_get(o, "bytes"));
	json_decref(b);
	s = lma_cmd_stats(l, NULL, err, sizeof(err));
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(s, "signaling"), "rx"), "pbu")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(s, "signaling"), "status"), "pba:0")),
			 1);
	assert_non_null(json_object_get(s, "dataplane"));
	json_decref(s);
	lma_free(l);
}

static void test_no_dataplane_and_shared_default_bid(void **st)
{
	struct lma_hooks h = {.send = cap_send, .event = cap_event}; /* dp NULL: no data plane */
	struct lma *l;
	struct mh_msg *m;

	(void)st;
	l = lma_new(cfg, &h);
	assert_int_equal(lma_start(l, now_ms), 0);
	assert_int_equal(reg(l, &MAG1, 4, 1, 1), 1);
	assert_int_equal(dp.n_peers, 0);
	assert_null(fb(1, 1));
	lma_free(l);
	/* shared prefix: when BID 1 goes, the prefix's default BID becomes 2 */
	cfg->lma.prefix_policy = FM_PP_SHARED;
	l = new_lma();
	reg(l, &MAG1, 4, 1, 1);
	reg(l, &MAG2, 8, 1, 1);
	assert_int_equal(fps("fd00:100::")->bid, 1);
	m = pbu(NAI, 4, MH_HI_NOT_CHANGED, 0, 2);
	pbu_add_bid(m, 1);
	lma_rx(l, m, &MAG1, now_ms);
	assert_int_equal(fps("fd00:100::")->bid, 2);
	advance(l, 10000);
	assert_null(binding(l, 1));
	assert_int_equal(fps("fd00:100::")->bid, 2);
	assert_int_equal(lma_bce(l)->pool_used, 1); /* still the MN's */
	lma_free(l);
}

/* The daemon path: timers are real ev_timers on a libev loop with the system clock. */
static void test_ev_loop_timers(void **st)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct lma_hooks h = {.send = cap_send, .event = cap_event, .dp = &fake_ops, .loop = loop};
	struct lma *l;
	struct mh_msg *m;
	/* libev times timers from the loop's cached now, never earlier than this */
	double t0 = ev_now(loop);

	(void)st;
	fm_clock_override(NULL, NULL);
	wall_ms = 0;
	{
		struct timespec ts;

		fm_wall(&ts);
		wall_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	cfg->lma.timers.min_delay_before_bce_delete_ms = 30;
	l = lma_new(cfg, &h);
	assert_int_equal(lma_start(l, fm_now_ms()), 0);
	lma_rx(l, pbu(NAI, 4, 1, 3600, 1), &MAG1, fm_now_ms());
	assert_int_equal(sent[0].m.status, 0);
	m = pbu(NAI, 4, MH_HI_NOT_CHANGED, 0, 2);
	pbu_add_bid(m, 1);
	lma_rx(l, m, &MAG1, fm_now_ms());
	assert_int_equal(binding(l, 1)->state, BCE_DEREG);
	while (binding(l, 1) && ev_time() - t0 < 2.0)
		ev_run(loop, EVRUN_ONCE);
	assert_null(binding(l, 1));
	assert_true(ev_time() - t0 >= 0.030); /* not before MinDelayBeforeBCEDelete */
	assert_null(fb(1, 1));
	lma_free(l);
	ev_loop_destroy(loop);
}

/* ---- capacity (issue 11 point 5): beyond any limit PBA 130, never 0 without forwarding ---- */

static uint8_t reg_status(struct lma *l, const char *nai, const struct in6_addr *mag, uint8_t att,
			  uint8_t hi, uint16_t seq)
{
	const struct mh_msg *a;

	lma_rx(l, pbu(nai, att, hi, 3600, seq), mag, now_ms);
	a = last_to(mag, MH_PBA);
	assert_non_null(a);
	return a->status;
}

static int dp_bindings(void)
{
	int n = 0;

	for (int i = 0; i < 64; i++)
		n += dp.b[i].used;
	return n;
}

static void test_capacity_mns(void **st)
{
	struct lma *l;

	(void)st;
	cfg->max_mns = 2;
	l = new_lma();
	assert_int_equal(reg_status(l, "a@example.net", &MAG1, 4, 1, 1), PBA_ACCEPTED);
	assert_int_equal(reg_status(l, "b@example.net", &MAG1, 4, 1, 1), PBA_ACCEPTED);
	assert_int_equal(reg_status(l, "c@example.net", &MAG1, 4, 1, 1), PBA_INSUFFICIENT_RESOURCES);
	assert_null(bce_mn_find(lma_bce(l), "c@example.net"));
	assert_int_equal(dp_bindings(), 2);
	/* MN ids stay within 1..max-mns (the 65 536th MN was out of the map's range) */
	assert_non_null(bce_mn_by_index(lma_bce(l), 2));
	assert_null(bce_mn_by_index(lma_bce(l), 3));
	/* a refresh of an accepted MN is still accepted */
	assert_int_equal(reg_status(l, "a@example.net", &MAG1, 4, 1, 2), PBA_ACCEPTED);
	lma_free(l);
}

static void test_capacity_bindings_prefixes(void **st)
{
	struct lma *l;

	(void)st;
	cfg->max_mns = 1; /* 2 bindings, 3 prefixes */
	l = new_lma();
	assert_int_equal(reg_status(l, NAI, &MAG1, 4, 1, 1), PBA_ACCEPTED);
	assert_int_equal(reg_status(l, NAI, &MAG2, 8, 1, 1), PBA_ACCEPTED);
	assert_int_equal(reg_status(l, NAI, &MAG2, 9, 1, 2), PBA_INSUFFICIENT_RESOURCES);
	assert_int_equal(dp_bindings(), 2);
	lma_free(l);

	/* the data plane's maps hold fewer prefixes than max-mns asks for: theirs count */
	memset(&dp, 0, sizeof(dp));
	cfg->max_mns = 100;
	dp.has_limits = true;
	dp.lim = (struct fm_dp_limits){.mns = 100, .bindings = 200, .prefixes = 1, .rulesets = 9};
	l = new_lma();
	assert_int_equal(reg_status(l, "a@example.net", &MAG1, 4, 1, 1), PBA_ACCEPTED);
	assert_int_equal(reg_status(l, "b@example.net", &MAG1, 4, 1, 1), PBA_INSUFFICIENT_RESOURCES);
	assert_null(bce_mn_find(lma_bce(l), "b@example.net"));
	assert_int_equal(dp_bindings(), 1);
	lma_free(l);
}

/* A full rule-set map: the new binding is undone and refused, a flow add fails. */
static void test_capacity_rulesets(void **st)
{
	struct lma *l = new_lma();
	char err[160];
	json_t *r;

	(void)st;
	assert_int_equal(reg_status(l, NAI, &MAG1, 4, 1, 1), PBA_ACCEPTED);
	dp.rules_full = true;
	r = call(lma_cmd_flow_add, l,
		 req("{\"mn\":\"%s\",\"fid\":5,\"selector\":{\"next_header\":[6]},\"bid\":1}", NAI),
		 err);
	assert_null(r);
	assert_non_null(strstr(err, "rule set"));
	assert_null(fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 5));
	assert_int_equal(reg_status(l, "b@example.net", &MAG1, 4, 1, 1), PBA_INSUFFICIENT_RESOURCES);
	assert_null(bce_mn_find(lma_bce(l), "b@example.net"));
	assert_int_equal(dp_bindings(), 1);
	lma_free(l);
}

/* issue 11 point 9: flow move --att T without a binding of type T changes nothing. */
static void test_flow_move_unknown_att(void **st)
{
	struct lma *l = new_lma();
	struct fmc_flow *f;
	char err[160];
	json_t *r;

	(void)st;
	reg(l, &MAG1, 4, 1, 1);
	r = call(lma_cmd_flow_add, l,
		 req("{\"mn\":\"%s\",\"fid\":5,\"selector\":{\"next_header\":[6]},\"bid\":1}", NAI),
		 err);
	assert_non_null(r);
	json_decref(r);
	r = call(lma_cmd_flow_move, l, req("{\"mn\":\"%s\",\"fid\":5,\"att\":99}", NAI), err);
	assert_null(r);
	assert_non_null(strstr(err, "access technology 99"));
	f = fmc_find(&bce_mn_find(lma_bce(l), NAI)->fmc, 5);
	assert_non_null(f);
	assert_true(f->active);
	assert_int_equal(f->n_bids, 1);
	assert_int_equal(f->n_att, 0);
	assert_true(dp.rules[0].active);
	lma_free(l);
}

/* bindings/flows in pages: offset, limit, total, next (issue 11 point 5). */
static void test_bindings_pages(void **st)
{
	struct lma *l = new_lma();
	const char *nais[] = {"a@example.net", "b@example.net", "c@example.net", "d@example.net", "e@example.net"};
	char err[160];
	json_t *r, *items;

	(void)st;
	for (int i = 0; i < 5; i++)
		assert_int_equal(reg_status(l, nais[i], &MAG1, 4, 1, 1), PBA_ACCEPTED);
	r = call(lma_cmd_bindings, l, req("{}"), err);
	assert_true(json_is_array(r)); /* unpaged: the whole array, as before */
	assert_int_equal(json_array_size(r), 5);
	json_decref(r);
	r = call(lma_cmd_bindings, l, req("{\"offset\":0,\"limit\":2}"), err);
	items = json_object_get(r, "items");
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "mn")),
			    "a@example.net");
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 5);
	assert_int_equal(json_integer_value(json_object_get(r, "next")), 2);
	json_decref(r);
	r = call(lma_cmd_bindings, l, req("{\"offset\":4,\"limit\":2}"), err);
	items = json_object_get(r, "items");
	assert_int_equal(json_array_size(items), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "mn")),
			    "e@example.net");
	assert_true(json_is_null(json_object_get(r, "next")));
	json_decref(r);
	r = call(lma_cmd_bindings, l, req("{\"offset\":9}"), err);
	assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
	json_decref(r);
	assert_null(call(lma_cmd_bindings, l, req("{\"limit\":0}"), err));
	assert_non_null(strstr(err, "limit"));
	assert_null(call(lma_cmd_bindings, l, req("{\"offset\":-1}"), err));
	r = call(lma_cmd_flows, l, req("{\"offset\":0,\"limit\":10}"), err);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 0);
	json_decref(r);
	lma_free(l);
}

/* ---- hostile identifiers and duplicates (issue 11 point 7) ------------------------------- */

/* An MN-ID that is not an RFC 7542 NAI (a control character, not UTF-8, over 253 octets,
 * no realm label) is refused with PBA 129 and leaves no MN behind. */
static void test_pbu_bad_nai_refused(void **st)
{
	static const char *const bad[] = {
	    "mn1@example.net\n<3>flowmobd: error: forged",
	    "\xff\xfe@example.net",
	    "mn 1@example.net",
	    "mn1@example",
	};
	char big[255];
	struct lma *l = new_lma();
	struct mh_msg *m;

	(void)st;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_reject(l, pbu(bad[i], 4, 1, 3600, 1), &MAG1, PBA_ADMIN_PROHIBITED);
	memset(big, 'a', sizeof(big));
	memcpy(big + 254 - 12, "@example.net", 12);
	big[254] = 0; /* 254 octets: one more than RFC 7542 allows */
	expect_reject(l, pbu(big, 4, 1, 3600, 1), &MAG1, PBA_ADMIN_PROHIBITED);
	/* a NUL inside is not an NAI either */
	m = pbu(NAI, 4, 1, 3600, 1);
	m->opts[0].mn_id.id[3] = 0;
	expect_reject(l, m, &MAG1, PBA_ADMIN_PROHIBITED);
	assert_int_equal(lma_bce(l)->n_bindings, 0);
	/* the reject event still names the MN, escaped */
	expect_reject(l, pbu(bad[0], 4, 1, 3600, 1), &MAG1, PBA_ADMIN_PROHIBITED);
	assert_true(find_event("reject") >= 0);
	assert_string_equal(json_string_value(json_object_get(evfields[n_events - 1], "mn")),
			    "mn1@example.net\\x0a<3>flowmobd: error: forged");
	/* a UTF-8 NAI is fine */
	lma_rx(l, pbu("m\xc3\xbcller@example.net", 4, 1, 3600, 1), &MAG1, now_ms);
	assert_int_equal(last_to(&MAG1, MH_PBA)->status, 0);
	lma_free(l);
}

/* RFC 5213 §5.3: an exact duplicate of the last accepted PBU (a retransmission: same
 * contents, same sequence number, inside the timestamp window) is answered with the
 * earlier PBA again and changes nothing. */
static void dup_case(enum fm_ordering ord)
{
	static struct mh_msg first, pba1;
	struct bce_binding *b;
	uint64_t exp;
	int ev;
	struct lma *l;

	cfg->lma.ordering = ord;
	l = new_lma();
	first = *pbu_full(NAI, 4, 1, 3600, 5, ord == FM_ORDER_SEQUENCE ? O_ALL & ~O_TS : O_ALL, 0);
	clear_sent();
	lma_rx(l, &first, &MAG1, now_ms);
	assert_int_equal(n_sent, 1);
	pba1 = sent[0].m;
	assert_int_equal(pba1.status, 0);
	b = binding(l, pba_bid(&pba1));
	assert_non_null(b);
	exp = b->expires_ms;
	ev = n_events;
	advance(l, 100);
	clear_sent();
	lma_rx(l, &first, &MAG1, now_ms);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].m.kind, MH_PBA);
	assert_int_equal(sent[0].m.status, 0);
	assert_int_equal(sent[0].m.seq, pba1.seq);
	assert_int_equal(sent[0].m.lifetime, pba1.lifetime);
	assert_int_equal(sent[0].m.n_opts, pba1.n_opts);
	assert_memory_equal(sent[0].m.opts, pba1.opts, pba1.n_opts * sizeof(pba1.opts[0]));
	assert_int_equal(b->expires_ms, exp); /* not refreshed */
	assert_int_equal(n_events, ev);	      /* no registration event */
	assert_int_equal(lma_bce(l)->n_bindings, 1);
	/* after the window it is a replay again, not a retransmission */
	advance(l, 2000);
	clear_sent();
	lma_rx(l, &first, &MAG1, now_ms);
	assert_int_equal(n_sent, 1);
	assert_int_not_equal(sent[0].m.status, 0);
	assert_int_equal(b->expires_ms, exp);
	lma_free(l);
}

static void test_pbu_duplicate_timestamp(void **st)
{
	(void)st;
	dup_case(FM_ORDER_TIMESTAMP);
}

static void test_pbu_duplicate_sequence(void **st)
{
	(void)st;
	dup_case(FM_ORDER_SEQUENCE);
}

/* Found by tests/fuzz/fuzz_state.c: a state file whose binding expires in 1.8e20 s made
 * the import convert an out-of-range double (undefined behaviour) and would keep the
 * binding for ever; the remaining time is bounded by max-lifetime, and a NaN or
 * infinite expiry drops the binding. */
static void test_state_import_bounds_expiry(void **st)
{
	char far[512];
	const char *files[3] = {
	    far,
	    "{\"version\":1,\"mobile_nodes\":[{\"nai\":\"" NAI "\",\"index\":1,"
	    "\"bindings\":[{\"bid\":1,\"att\":4,\"mag\":\"fd00:11::2\",\"state\":\"active\","
	    "\"lifetime\":120,\"expires\":179888888886416763.9}]}]}",
	    "{\"version\":1,\"mobile_nodes\":[{\"nai\":\"" NAI "\",\"index\":1,"
	    "\"bindings\":[{\"bid\":1,\"att\":4,\"expires\":1e400}]}]}",
	};
	char path[128];
	struct lma *l;
	struct bce_mn *mn;
	FILE *f;

	(void)st;
	/* ten million seconds from now: representable, and far beyond any lifetime */
	snprintf(far, sizeof(far),
		 "{\"version\":1,\"mobile_nodes\":[{\"nai\":\"" NAI "\",\"index\":1,"
		 "\"bindings\":[{\"bid\":1,\"att\":4,\"mag\":\"fd00:11::2\",\"state\":\"active\","
		 "\"lifetime\":120,\"expires\":%.3f}]}]}",
		 (double)wall_ms / 1000.0 + 1e7);
	snprintf(path, sizeof(path), "%s/lma.json", statedir);
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(files[i], f);
		fclose(f);
		l = new_lma();
		mn = bce_mn_find(lma_bce(l), NAI);
		if (i == 0)
			assert_true(mn && mn->n_b == 1); /* kept, with a bounded lifetime */
		if (mn && mn->n_b) {
			assert_true(mn->b[0]->expires_ms >= now_ms);
			assert_true(mn->b[0]->expires_ms - now_ms <=
				    (uint64_t)cfg->lma.timers.max_lifetime_s * 1000);
		}
		lma_free(l);
		unlink(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	    T(test_pba_accept_fields),
	    T(test_pba_echo_order),
	    T(test_pba_rejects),
	    T(test_pba_reject_log_names_status),
	    T(test_timestamp_ordering),
	    T(test_pbu_bad_nai_refused),
	    T(test_pbu_duplicate_timestamp),
	    T(test_pbu_duplicate_sequence),
	    T(test_state_import_bounds_expiry),
	    T(test_sequence_ordering),
	    T(test_store_crash_keeps_committed_refuses_replay),
	    T(test_store_migration_and_import),
	    T(test_refresh_dereg_and_delete),
	    T(test_expiry),
	    T(test_handoff_hi3),
	    T(test_hi4_wait_then_handoff),
	    T(test_hi4_timeout_new_binding),
	    T(test_multi_unique),
	    T(test_multi_shared_hybrid_hi6),
	    T(test_policy_template_and_pba_flow_id),
	    T(test_flow_add_errors_change_nothing),
	    T(test_move_shared_is_local),
	    T(test_move_fmi),
	    T(test_fma_statuses),
	    T(test_move_upn),
	    T(test_upn_retransmission_d_flag),
	    T(test_prefix_move_on_attach_bri),
	    T(test_pbu_flow_id_requests),
	    T(test_heartbeat_and_peer_down),
	    T(test_heartbeat_stale_response_ignored),
	    T(test_peer_restart_spares_refreshed),
	    T(test_unauthenticated_restart_counter_not_believed),
	    T(test_heartbeat_starts_with_binding),
	    T(test_be2_means_no_heartbeat_support),
	    T(test_peer_down_back_by_pbu),
	    T(test_given_up_fmi_resent),
	    T(test_signaling_switch_cleans_fmi),
	    T(test_tick_order_and_next_due),
	    T(test_persistence_restart),
	    T(test_reconcile_adopts_unsaved_binding),
	    T(test_reload),
	    T(test_cmd_output),
	    T(test_no_dataplane_and_shared_default_bid),
	    T(test_ev_loop_timers),
	    T(test_capacity_mns),
	    T(test_capacity_bindings_prefixes),
	    T(test_capacity_rulesets),
	    T(test_flow_move_unknown_att),
	    T(test_bindings_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
