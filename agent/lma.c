// SPDX-License-Identifier: GPL-2.0
/*
 * lma.c — the Local Mobility Anchor: PBU/PBA per RFC 5213 with several bindings per
 * MN (LMA-allocated BIDs), prefix assignment (unique/shared/hybrid), the flow
 * mobility cache and flow moves (local, prefix granularity with BRI, flow
 * granularity with FMI or UPN), heartbeats with restart counters, persistence and
 * the LMA's control commands. Socket-free: see lma.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lma.h"
#include "log.h"
#include "mh_json.h"
#include "state.h"

#define LMA_STATE_NAME	     "lma" /* <state-dir>/lma.json */
#define LMA_STATE_VERSION    1
#define LMA_SAVE_DELAY_MS    1000
#define LMA_ADOPT_LIFETIME_S 60

enum txn_op {
	TXN_FMI_CREATE = 1,
	TXN_FMI_REFRESH,
	TXN_FMI_CANCEL,
	TXN_BRI,
	TXN_UPN,
};

/* An LMA-initiated request waiting for its answer (FMI, BRI, UPN). */
struct lma_txn {
	enum txn_op op;
	enum mh_kind kind;
	uint16_t seq;
	struct in6_addr dst;
	char nai[FM_NAI_MAX + 1];
	uint16_t fid;
	uint16_t bid;
	unsigned tries;
	uint32_t rto_ms;
	bool resent_new_seq;
	struct mh_msg *msg;
	struct fm_timer timer;
	struct lma_txn *prev, *next;
};

struct lma_peer {
	struct in6_addr addr;
	bool up;
	bool has_rc;
	uint32_t restart_counter;
	uint64_t last_seen_ms;
	uint32_t missed;
	bool waiting;
	uint32_t hb_seq;
	struct fm_timer timer;
};

/* A PBU with HI 4 held for MaxDelayBeforeNewBCEAssign (RFC 5213 §5.4.1.2). */
struct lma_hold {
	struct mh_msg *pbu;
	struct in6_addr src;
	char nai[FM_NAI_MAX + 1];
	uint16_t old_bid;
	struct fm_timer timer;
	struct lma_hold *prev, *next;
};

struct lma {
	struct fm_config *cfg;
	struct lma_hooks h;
	struct bce bce;
	struct lma_peer peers[FM_CFG_MAX_MAGS];
	int n_peers;
	struct lma_txn *txns;
	struct lma_hold *holds;
	struct fm_timer *timers; /* every armed timer */
	struct fm_timer save_timer;
	bool dirty;
	uint32_t restart_counter;
	uint16_t seq;	 /* FMI, BRI, UPN */
	uint32_t hb_seq; /* heartbeat */
	uint64_t rx[MH_UPA + 1], tx[MH_UPA + 1];
	uint64_t status[MH_UPA + 1][256];
	uint64_t rx_ignored;
	/* set while a PBU is processed: flow moves add to this PBA instead of signaling */
	struct mh_msg *cur_pba;
	struct bce_binding *cur_binding;
};

/* ---- small helpers ------------------------------------------------------------ */

static const char *a6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static json_t *j_addr(const struct in6_addr *a)
{
	char b[INET6_ADDRSTRLEN];

	return json_string(a6(a, b));
}

static json_t *j_prefix(const struct fm_prefix *p)
{
	char b[INET6_ADDRSTRLEN + 8];

	fm_prefix_fmt(p, b, sizeof(b));
	return json_string(b);
}

static void emit(struct lma *l, const char *name, json_t *fields)
{
	if (l->h.event)
		l->h.event(l->h.ctx, name, fields);
	else
		json_decref(fields);
}

static json_t *ev_fields(const struct bce_mn *mn, const struct bce_binding *b)
{
	json_t *o = json_object();

	if (mn)
		json_object_set_new(o, "mn", json_string(mn->nai));
	if (b) {
		json_t *pf = json_array();

		json_object_set_new(o, "bid", json_integer(b->bid));
		json_object_set_new(o, "att", json_integer(b->att));
		json_object_set_new(o, "mag", j_addr(&b->mag));
		for (unsigned i = 0; i < b->n_pfx; i++)
			json_array_append_new(pf, j_prefix(&b->pfx[i]));
		json_object_set_new(o, "prefixes", pf);
	}
	return o;
}

static void send_msg(struct lma *l, const struct mh_msg *m, const struct in6_addr *dst)
{
	char b[INET6_ADDRSTRLEN];

	if (m->kind <= MH_UPA) {
		l->tx[m->kind]++;
		if (m->kind == MH_PBA || m->kind == MH_BRA || m->kind == MH_FMA ||
		    m->kind == MH_UPA)
			l->status[m->kind][m->status]++;
	}
	if (!l->h.send)
		return;
	if (l->h.send(l->h.ctx, m, dst) < 0)
		pr_warn("lma: sending %s to %s failed\n", mh_kind_name(m->kind), a6(dst, b));
}

static void mark_dirty(struct lma *l);

/* ---- timers ----------------------------------------------------------------- */

static void timer_ev_cb(struct ev_loop *loop, ev_timer *w, int revents);

static void timer_init(struct fm_timer *t, void (*fn)(void *, void *, uint64_t), void *obj)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->obj = obj;
}

static bool timer_linked(struct lma *l, struct fm_timer *t)
{
	return t->prev || l->timers == t;
}

static void timer_stop(struct lma *l, struct fm_timer *t)
{
	if (timer_linked(l, t)) {
		if (t->prev)
			t->prev->next = t->next;
		else
			l->timers = t->next;
		if (t->next)
			t->next->prev = t->prev;
		t->prev = t->next = NULL;
	}
	if (l->h.loop)
		ev_timer_stop(l->h.loop, &t->w);
	t->due = 0;
}

static void timer_set(struct lma *l, struct fm_timer *t, uint64_t due, uint64_t now)
{
	timer_stop(l, t);
	t->due = due ? due : 1;
	t->next = l->timers;
	if (l->timers)
		l->timers->prev = t;
	l->timers = t;
	if (l->h.loop) {
		ev_timer_init(&t->w, timer_ev_cb, due > now ? (double)(due - now) / 1000.0 : 0.0,
			      0.0);
		t->w.data = l;
		ev_timer_start(l->h.loop, &t->w);
	}
}

static void timer_fire(struct lma *l, struct fm_timer *t, uint64_t now)
{
	timer_stop(l, t);
	t->fn(l, t->obj, now);
}

static void timer_ev_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fm_timer *t = (struct fm_timer *)w; /* w is the first member */

	(void)loop;
	(void)revents;
	timer_fire(w->data, t, fm_now_ms());
}

void lma_tick(struct lma *l, uint64_t now)
{
	bool fired;

	do {
		struct fm_timer *best = NULL;

		fired = false;
		for (struct fm_timer *t = l->timers; t; t = t->next)
			if (t->due <= now && (!best || t->due < best->due))
				best = t;
		if (best) {
			timer_fire(l, best, now);
			fired = true;
		}
	} while (fired);
}

uint64_t lma_next_due(const struct lma *l)
{
	uint64_t d = 0;

	for (struct fm_timer *t = l->timers; t; t = t->next)
		if (!d || t->due < d)
			d = t->due;
	return d;
}

/* ---- config lookups ------------------------------------------------------------ */

static struct lma_peer *peer_find(struct lma *l, const struct in6_addr *a)
{
	for (int i = 0; i < l->n_peers; i++)
		if (!memcmp(&l->peers[i].addr, a, sizeof(*a)))
			return &l->peers[i];
	return NULL;
}

static const struct fm_cfg_lma_mn *mn_cfg(const struct lma *l, const char *nai)
{
	for (int i = 0; i < l->cfg->lma.n_mobile_nodes; i++)
		if (!strcmp(l->cfg->lma.mobile_nodes[i].id, nai))
			return &l->cfg->lma.mobile_nodes[i];
	return NULL;
}

static enum fm_prefix_policy mn_policy(const struct lma *l, const char *nai)
{
	const struct fm_cfg_lma_mn *c = mn_cfg(l, nai);

	if (c && c->prefix_policy != FM_PP_DEFAULT)
		return c->prefix_policy;
	return l->cfg->lma.prefix_policy ? l->cfg->lma.prefix_policy : FM_PP_UNIQUE;
}

static uint32_t max_lifetime(const struct lma *l)
{
	uint32_t m = l->cfg->lma.timers.max_lifetime_s;

	if (!m || m > 65532)
		m = 65532;
	return m & ~3u;
}

static uint32_t tmr(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

/* ---- data plane ------------------------------------------------------------------ */

#define DP(l, fn, ...) ((l)->h.dp && (l)->h.dp->fn ? (l)->h.dp->fn((l)->h.dp_ctx, __VA_ARGS__) : 0)

static void fmc_views(const struct bce_mn *mn, struct fmc_bview *v)
{
	for (unsigned i = 0; i < mn->n_b; i++) {
		v[i].bid = mn->b[i]->bid;
		v[i].att = mn->b[i]->att;
		v[i].usable = bce_binding_usable(mn->b[i]);
	}
}

static void flow_events(struct lma *l, struct bce_mn *mn, const bool *changed, const bool *was)
{
	for (unsigned i = 0; i < mn->fmc.n; i++) {
		struct fmc_flow *f = &mn->fmc.flows[i];
		json_t *o;

		if (!changed[i] || f->active == was[i])
			continue;
		o = ev_fields(mn, NULL);
		json_object_set_new(o, "fid", json_integer(f->fid));
		if (f->active)
			json_object_set_new(o, "bid", json_integer(f->dp_bid));
		emit(l, f->active ? "flow-active" : "flow-inactive", o);
	}
}

/* Re-resolve the MN's FMC and push it in ONE rules_set call. */
static void push_rules(struct lma *l, struct bce_mn *mn)
{
	struct fm_dp_rule rules[FMC_MAX_FLOWS];
	unsigned n = fmc_to_rules(&mn->fmc, rules, FMC_MAX_FLOWS);

	if (DP(l, rules_set, mn->index, rules, n) < 0)
		pr_warn("lma: programming the rules of %s failed\n", mn->nai);
}

static unsigned resolve_flows(struct lma *l, struct bce_mn *mn)
{
	struct fmc_bview v[BCE_MAX_BINDINGS];
	bool changed[FMC_MAX_FLOWS], was[FMC_MAX_FLOWS];
	unsigned n;

	for (unsigned i = 0; i < mn->fmc.n; i++)
		was[i] = mn->fmc.flows[i].active;
	fmc_views(mn, v);
	n = fmc_resolve(&mn->fmc, v, mn->n_b, changed);
	flow_events(l, mn, changed, was);
	return n;
}

static void dp_binding(struct lma *l, struct bce_binding *b)
{
	struct fm_dp_binding d = {.coa = b->mag, .att = b->att, .down = !bce_binding_usable(b)};

	if (DP(l, binding_set, b->mn->index, b->bid, &d) < 0)
		pr_warn("lma: programming binding %s/%u failed\n", b->mn->nai, b->bid);
}

/* Point every prefix of the MN at its best holder. */
static void dp_prefixes(struct lma *l, struct bce_mn *mn)
{
	for (unsigned i = 0; i < mn->n_b; i++)
		for (unsigned j = 0; j < mn->b[i]->n_pfx; j++) {
			const struct fm_prefix *p = &mn->b[i]->pfx[j];
			struct bce_binding *h = bce_prefix_holder(mn, p);

			if (h != mn->b[i])
				continue; /* programmed once, from its holder */
			if (DP(l, prefix_set, &p->addr, p->plen, mn->index, h->bid) < 0)
				pr_warn("lma: programming a prefix of %s failed\n", mn->nai);
		}
}

/* Full resync of one MN: bindings, prefixes, rules. */
static void dp_sync_mn(struct lma *l, struct bce_mn *mn)
{
	for (unsigned i = 0; i < mn->n_b; i++)
		dp_binding(l, mn->b[i]);
	dp_prefixes(l, mn);
	resolve_flows(l, mn);
	push_rules(l, mn);
}

/* ---- outgoing transactions (FMI, BRI, UPN) --------------------------------------- */

static void txn_timeout(void *lp, void *obj, uint64_t now);

static void txn_free(struct lma *l, struct lma_txn *t)
{
	timer_stop(l, &t->timer);
	if (t->prev)
		t->prev->next = t->next;
	else
		l->txns = t->next;
	if (t->next)
		t->next->prev = t->prev;
	free(t->msg);
	free(t);
}

static uint16_t next_seq(struct lma *l)
{
	l->seq++;
	mark_dirty(l);
	return l->seq;
}

static struct lma_txn *txn_start(struct lma *l, enum txn_op op, struct mh_msg *m,
				 const struct in6_addr *dst, const struct bce_mn *mn, uint16_t fid,
				 uint16_t bid, uint64_t now)
{
	struct lma_txn *t = calloc(1, sizeof(*t));

	if (!t) {
		free(m);
		return NULL;
	}
	t->op = op;
	t->kind = m->kind;
	t->msg = m;
	t->seq = (uint16_t)m->seq;
	t->dst = *dst;
	snprintf(t->nai, sizeof(t->nai), "%s", mn->nai);
	t->fid = fid;
	t->bid = bid;
	t->tries = 1;
	t->rto_ms = tmr(l->cfg->lma.timers.retransmit_initial_ms, 1500);
	timer_init(&t->timer, txn_timeout, t);
	t->next = l->txns;
	if (l->txns)
		l->txns->prev = t;
	l->txns = t;
	send_msg(l, m, dst);
	timer_set(l, &t->timer, now + t->rto_ms, now);
	return t;
}

static void txn_timeout(void *lp, void *obj, uint64_t now)
{
	struct lma *l = lp;
	struct lma_txn *t = obj;
	uint32_t max = tmr(l->cfg->lma.timers.retransmit_max_ms, 32000);
	char b[INET6_ADDRSTRLEN];

	if (t->rto_ms >= max) {
		json_t *o = json_object();

		pr_warn("lma: no answer to %s seq %u from %s, giving up\n", mh_kind_name(t->kind),
			t->seq, a6(&t->dst, b));
		json_object_set_new(o, "mn", json_string(t->nai));
		json_object_set_new(o, "mag", j_addr(&t->dst));
		json_object_set_new(o, "message", json_string(mh_kind_name(t->kind)));
		json_object_set_new(o, "reason", json_string("timeout"));
		emit(l, "reject", o);
		txn_free(l, t);
		return;
	}
	t->tries++;
	t->rto_ms = t->rto_ms * 2 > max ? max : t->rto_ms * 2;
	send_msg(l, t->msg, &t->dst);
	timer_set(l, &t->timer, now + t->rto_ms, now);
}

static struct lma_txn *txn_find(struct lma *l, enum mh_kind kind, uint16_t seq,
				const struct in6_addr *src)
{
	for (struct lma_txn *t = l->txns; t; t = t->next)
		if (t->kind == kind && t->seq == seq && !memcmp(&t->dst, src, sizeof(*src)))
			return t;
	return NULL;
}

static void add_mn_id(struct mh_msg *m, const struct bce_mn *mn)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_MN_ID);
	size_t n = strlen(mn->nai);

	if (!o)
		return;
	o->mn_id.subtype = 1;
	o->mn_id.len = (uint8_t)(n > sizeof(o->mn_id.id) ? sizeof(o->mn_id.id) : n);
	memcpy(o->mn_id.id, mn->nai, o->mn_id.len);
}

static void add_hnp(struct mh_msg *m, const struct fm_prefix *p)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_HNP);

	if (o) {
		o->hnp.plen = p->plen;
		o->hnp.prefix = p->addr;
	}
}

static void add_flow_id(struct mh_msg *m, const struct fmc_flow *f, uint16_t bid, uint8_t status)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_FLOW_ID);

	if (!o)
		return;
	o->flow_id.fid = f->fid;
	o->flow_id.priority = f->priority;
	o->flow_id.status = status;
	if (bid) {
		o->flow_id.n_bids = 1;
		o->flow_id.bids[0] = bid;
	}
	o->flow_id.has_ts = true;
	o->flow_id.ts = f->ts;
}

static void add_bid(struct mh_msg *m, uint16_t bid)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_BID);

	if (o)
		o->bid.bid = bid;
}

static uint32_t binding_left_s(const struct bce_binding *b, uint64_t now)
{
	return b->expires_ms > now ? (uint32_t)((b->expires_ms - now + 999) / 1000) : 0;
}

static void send_fmi(struct lma *l, enum txn_op op, struct bce_mn *mn, struct fmc_flow *f,
		     const struct in6_addr *dst, struct bce_binding *to, uint64_t now)
{
	struct mh_msg *m = calloc(1, sizeof(*m));

	if (!m)
		return;
	m->kind = MH_FMI;
	m->seq = next_seq(l);
	if (op == TXN_FMI_CANCEL) {
		m->flags = MH_FMI_C;
		m->lifetime = 0;
	} else {
		uint32_t left = to ? binding_left_s(to, now) : MH_FM_LIFETIME_INFINITE;

		m->flags = op == TXN_FMI_REFRESH ? MH_FMI_R : 0;
		m->lifetime = left >= MH_FM_LIFETIME_INFINITE ? MH_FM_LIFETIME_INFINITE - 1 : left;
	}
	add_mn_id(m, mn);
	add_flow_id(m, f, to ? to->bid : 0, 0);
	/* The target MAG learns the home prefixes it must route for the flow (after the
	 * mandatory MN-ID and Flow Identification options; see docs/lma.md). */
	if (to && op != TXN_FMI_CANCEL)
		for (unsigned i = 0; i < mn->n_b; i++)
			for (unsigned j = 0; j < mn->b[i]->n_pfx; j++)
				if (!bce_binding_has_prefix(to, &mn->b[i]->pfx[j]))
					add_hnp(m, &mn->b[i]->pfx[j]);
	txn_start(l, op, m, dst, mn, f->fid, to ? to->bid : 0, now);
}

static void send_bri(struct lma *l, struct bce_mn *mn, struct bce_binding *from,
		     const struct fm_prefix *p, uint64_t now)
{
	struct mh_msg *m = calloc(1, sizeof(*m));

	if (!m)
		return;
	m->kind = MH_BRI;
	m->seq = next_seq(l);
	m->trigger = 1; /* administrative reason */
	m->flags = MH_BR_P;
	add_mn_id(m, mn);
	add_hnp(m, p);
	add_bid(m, from->bid);
	txn_start(l, TXN_BRI, m, &from->mag, mn, 0, from->bid, now);
}

static void send_upn(struct lma *l, struct bce_mn *mn, struct bce_binding *to,
		     const struct fmc_flow *f, uint64_t now)
{
	struct mh_msg *m = calloc(1, sizeof(*m));

	if (!m)
		return;
	m->kind = MH_UPN;
	m->seq = next_seq(l);
	m->reason = MH_UPN_REASON_FLOW_MOBILITY;
	m->flags = MH_UPN_A;
	add_mn_id(m, mn);
	for (unsigned i = 0; i < to->n_pfx; i++)
		add_hnp(m, &to->pfx[i]);
	add_bid(m, to->bid);
	if (f)
		add_flow_id(m, f, to->bid, 0);
	txn_start(l, TXN_UPN, m, &to->mag, mn, f ? f->fid : 0, to->bid, now);
}

/* ---- flow moves --------------------------------------------------------------------- */

static bool range_covers_prefix(const struct fm_ts *ts, const struct fm_prefix *p)
{
	const struct ts_val *v = &ts->f[TS_DST_ADDR];
	struct in6_addr last = p->addr;

	if (v->n == TS_ABSENT || p->plen != 64)
		return false;
	memset(last.s6_addr + 8, 0xff, 8);
	if (v->n == TS_EXACT)
		return false;
	return !memcmp(&v->addr[0], &p->addr, 16) && !memcmp(&v->addr[1], &last, 16);
}

/* A flow whose selector is exactly "dst-addr = one of the MN's home prefixes" is
 * moved at prefix granularity. Returns the prefix or NULL. */
static const struct fm_prefix *prefix_flow(const struct bce_mn *mn, const struct fmc_flow *f)
{
	int n_fields = 0;

	for (int i = 0; i < TS_NFIELDS; i++)
		n_fields += f->ts.f[i].n != TS_ABSENT;
	if (n_fields != 1)
		return NULL;
	for (unsigned i = 0; i < mn->n_b; i++)
		for (unsigned j = 0; j < mn->b[i]->n_pfx; j++)
			if (range_covers_prefix(&f->ts, &mn->b[i]->pfx[j]))
				return &mn->b[i]->pfx[j];
	return NULL;
}

static bool addr_in_prefix(const struct in6_addr *a, const struct fm_prefix *p)
{
	unsigned bits = p->plen, i = 0;

	for (; bits >= 8; bits -= 8, i++)
		if (a->s6_addr[i] != p->addr.s6_addr[i])
			return false;
	return !bits || !((a->s6_addr[i] ^ p->addr.s6_addr[i]) & (0xff00 >> bits));
}

/* True when the target binding lacks a home prefix the flow may be addressed to:
 * moving the flow there then needs signaling (seed §3.1 scenarios 1 and 3). */
static bool flow_needs_signaling(const struct bce_mn *mn, const struct fmc_flow *f,
				 const struct bce_binding *to)
{
	const struct ts_val *d = &f->ts.f[TS_DST_ADDR];

	for (unsigned i = 0; i < mn->n_b; i++)
		for (unsigned j = 0; j < mn->b[i]->n_pfx; j++) {
			const struct fm_prefix *p = &mn->b[i]->pfx[j];

			if (bce_binding_has_prefix(to, p))
				continue;
			if (d->n == TS_ABSENT || addr_in_prefix(&d->addr[0], p))
				return true;
		}
	return false;
}

/* Move one home prefix to binding `to`: BRI (P flag) to every old holder's MAG. */
static void move_prefix(struct lma *l, struct bce_mn *mn, struct fm_prefix p,
			struct bce_binding *to, uint64_t now)
{
	json_t *o;
	json_t *pf = json_array();

	for (unsigned i = 0; i < mn->n_b; i++) {
		struct bce_binding *b = mn->b[i];

		if (b == to || !bce_binding_remove_prefix(b, &p))
			continue;
		if (b->state != BCE_PEER_DOWN)
			send_bri(l, mn, b, &p, now);
	}
	bce_binding_add_prefix(to, &p);
	DP(l, prefix_set, &p.addr, p.plen, mn->index, to->bid);
	o = ev_fields(mn, to);
	json_array_append_new(pf, j_prefix(&p));
	json_object_set_new(o, "moved", pf);
	emit(l, "prefix-move", o);
	mark_dirty(l);
}

/*
 * Signal a flow now placed on binding `to` (its FMC entry and the data plane are
 * already updated). Inside a PBU for `to` the PBA carries it (a moved prefix as an
 * HNP, a single flow as a Flow Identification option); otherwise FMI or UPN.
 */
static void signal_flow(struct lma *l, struct bce_mn *mn, struct fmc_flow *f,
			struct bce_binding *to, const struct in6_addr *old_mag, uint64_t now)
{
	const struct fm_prefix *pp = prefix_flow(mn, f);
	bool in_pba = l->cur_pba && l->cur_binding == to;

	if (pp && !bce_binding_has_prefix(to, pp)) {
		move_prefix(l, mn, *pp, to, now);
		if (in_pba || l->cfg->lma.flow_signaling != FM_SIG_UPN) {
			if (!in_pba)
				send_fmi(l, TXN_FMI_CREATE, mn, f, &to->mag, to, now);
		} else {
			send_upn(l, mn, to, f, now);
		}
		return;
	}
	if (!flow_needs_signaling(mn, f, to))
		return; /* shared prefixes: a local data-plane change (seed §3.2) */
	if (in_pba) {
		add_flow_id(l->cur_pba, f, to->bid, FID_SUCCESS);
		f->signalled = true;
		f->signalled_mag = to->mag;
		return;
	}
	if (l->cfg->lma.flow_signaling == FM_SIG_UPN) {
		/* RFC 7864: the target binding's prefix set grows, the MAG re-registers it */
		for (unsigned i = 0; i < mn->n_b; i++)
			for (unsigned j = 0; j < mn->b[i]->n_pfx; j++) {
				const struct fm_prefix *p = &mn->b[i]->pfx[j];
				const struct ts_val *d = &f->ts.f[TS_DST_ADDR];

				if (mn->b[i] != to &&
				    (d->n == TS_ABSENT || addr_in_prefix(&d->addr[0], p)))
					bce_binding_add_prefix(to, p);
			}
		dp_prefixes(l, mn);
		send_upn(l, mn, to, f, now);
		return;
	}
	send_fmi(l,
		 f->signalled && !memcmp(&f->signalled_mag, &to->mag, 16) ? TXN_FMI_REFRESH
									  : TXN_FMI_CREATE,
		 mn, f, &to->mag, to, now);
	if (old_mag && memcmp(old_mag, &to->mag, 16))
		send_fmi(l, TXN_FMI_CANCEL, mn, f, old_mag, NULL, now);
}

static json_t *flow_json(struct lma *l, const struct bce_mn *mn, const struct fmc_flow *f);

/* Re-resolve the MN's flows; flows whose effective BID changed are signalled. */
static void replace_flows(struct lma *l, struct bce_mn *mn, uint64_t now)
{
	uint16_t before[FMC_MAX_FLOWS];
	struct in6_addr old_mag[FMC_MAX_FLOWS];
	bool had_mag[FMC_MAX_FLOWS];

	for (unsigned i = 0; i < mn->fmc.n; i++) {
		before[i] = mn->fmc.flows[i].dp_bid;
		had_mag[i] = false;
		/* only a MAG that holds FMI state for the flow gets a cancel */
		if (mn->fmc.flows[i].signalled) {
			had_mag[i] = true;
			old_mag[i] = mn->fmc.flows[i].signalled_mag;
		}
	}
	resolve_flows(l, mn);
	for (unsigned i = 0; i < mn->fmc.n; i++) {
		struct fmc_flow *f = &mn->fmc.flows[i];
		struct bce_binding *to;
		json_t *o;

		if (!f->dp_bid || f->dp_bid == before[i])
			continue;
		to = bce_binding_find(mn, f->dp_bid);
		if (!to)
			continue;
		if (before[i]) {
			o = flow_json(l, mn, f);
			json_object_set_new(o, "from", json_integer(before[i]));
			emit(l, "flow-move", o);
		}
		signal_flow(l, mn, f, to, had_mag[i] ? &old_mag[i] : NULL, now);
	}
	push_rules(l, mn);
	mark_dirty(l);
}

/* Flows left with no usable BID while the MN still has a usable binding are moved
 * there (peer down: seed's "flows move to the MN's remaining bindings"). */
static void rescue_flows(struct lma *l, struct bce_mn *mn, uint64_t now)
{
	struct bce_binding *alt = NULL;

	for (unsigned i = 0; i < mn->n_b && !alt; i++)
		if (bce_binding_usable(mn->b[i]))
			alt = mn->b[i];
	if (!alt)
		return;
	resolve_flows(l, mn);
	for (unsigned i = 0; i < mn->fmc.n; i++) {
		struct fmc_flow *f = &mn->fmc.flows[i];
		bool all_down = f->n_bids > 0 && !f->active;

		for (unsigned j = 0; j < f->n_bids && all_down; j++) {
			struct bce_binding *b = bce_binding_find(mn, f->bids[j]);

			if (!b || b->state != BCE_PEER_DOWN)
				all_down = false;
		}
		if (!all_down)
			continue;
		f->n_att = 0;
		f->n_bids = 1;
		f->bids[0] = alt->bid;
	}
	replace_flows(l, mn, now);
}

/* ---- bindings ----------------------------------------------------------------------- */

static void binding_timeout(void *lp, void *obj, uint64_t now);

static void mn_maybe_free(struct lma *l, struct bce_mn *mn)
{
	if (mn->n_b)
		return;
	for (unsigned i = 0; i < mn->fmc.n; i++)
		if (mn->fmc.flows[i].origin != FMC_POLICY)
			return; /* keep user flows: they become active again on return */
	for (unsigned i = 0; i < mn->n_shared; i++) {
		DP(l, prefix_del, &mn->shared[i].addr, mn->shared[i].plen);
		bce_pool_free(&l->bce, &mn->shared[i]);
	}
	DP(l, mn_del, mn->index);
	bce_mn_del(&l->bce, mn);
}

static bool mn_shares(const struct bce_mn *mn, const struct fm_prefix *p)
{
	for (unsigned i = 0; i < mn->n_shared; i++)
		if (fm_prefix_eq(&mn->shared[i], p))
			return true;
	return false;
}

static void binding_delete(struct lma *l, struct bce_binding *b, uint64_t now)
{
	struct bce_mn *mn = b->mn;
	struct fm_prefix pf[BCE_MAX_PREFIXES];
	unsigned n = b->n_pfx;

	memcpy(pf, b->pfx, sizeof(pf));
	timer_stop(l, &b->timer);
	DP(l, binding_del, mn->index, b->bid);
	bce_binding_del(&l->bce, b);
	for (unsigned i = 0; i < n; i++) {
		if (bce_prefix_holder(mn, &pf[i]))
			continue;
		if (mn_shares(mn, &pf[i]) && mn->n_b)
			continue;
		if (!mn_shares(mn, &pf[i])) {
			DP(l, prefix_del, &pf[i].addr, pf[i].plen);
			bce_pool_free(&l->bce, &pf[i]);
		}
	}
	dp_prefixes(l, mn);
	replace_flows(l, mn, now);
	mn_maybe_free(l, mn);
	mark_dirty(l);
}

static void binding_timeout(void *lp, void *obj, uint64_t now)
{
	struct lma *l = lp;
	struct bce_binding *b = obj;
	bool dereg = b->state == BCE_DEREG;

	emit(l, dereg ? "deregistration" : "expiry", ev_fields(b->mn, b));
	pr_info("lma: binding %s/%u %s\n", b->mn->nai, b->bid, dereg ? "deleted" : "expired");
	binding_delete(l, b, now);
}

/* ---- heartbeat (RFC 5847) ------------------------------------------------------------- */

static void peer_down(struct lma *l, struct lma_peer *p, const char *why, uint64_t now)
{
	char b[INET6_ADDRSTRLEN];
	json_t *o;

	p->up = false;
	pr_warn("lma: MAG %s down (%s)\n", a6(&p->addr, b), why);
	o = json_object();
	json_object_set_new(o, "mag", j_addr(&p->addr));
	json_object_set_new(o, "reason", json_string(why));
	emit(l, "peer-down", o);
	for (struct bce_mn *mn = l->bce.head, *next; mn; mn = next) {
		bool hit = false;

		next = mn->next;
		for (unsigned i = 0; i < mn->n_b; i++) {
			struct bce_binding *bb = mn->b[i];

			if (memcmp(&bb->mag, &p->addr, 16) || bb->state != BCE_ACTIVE)
				continue;
			bb->state = BCE_PEER_DOWN;
			dp_binding(l, bb);
			hit = true;
		}
		if (hit) {
			dp_prefixes(l, mn);
			rescue_flows(l, mn, now);
		}
	}
	mark_dirty(l);
}

static void peer_alive(struct lma *l, struct lma_peer *p, bool has_rc, uint32_t rc, uint64_t now)
{
	bool restarted = has_rc && p->has_rc && rc != p->restart_counter;

	p->last_seen_ms = now;
	p->missed = 0;
	if (has_rc) {
		p->restart_counter = rc;
		p->has_rc = true;
	}
	if (restarted) {
		p->up = true; /* so peer_down below reports the transition */
		peer_down(l, p, "restart", now);
	}
	if (!p->up) {
		json_t *o = json_object();

		p->up = true;
		json_object_set_new(o, "mag", j_addr(&p->addr));
		emit(l, "peer-up", o);
		if (!restarted) {
			/* the MAG kept its state: its bindings are usable again */
			for (struct bce_mn *mn = l->bce.head; mn; mn = mn->next) {
				bool hit = false;

				for (unsigned i = 0; i < mn->n_b; i++)
					if (!memcmp(&mn->b[i]->mag, &p->addr, 16) &&
					    mn->b[i]->state == BCE_PEER_DOWN) {
						mn->b[i]->state = BCE_ACTIVE;
						dp_binding(l, mn->b[i]);
						hit = true;
					}
				if (hit) {
					dp_prefixes(l, mn);
					replace_flows(l, mn, now);
				}
			}
		}
	}
}

static void add_rc(struct lma *l, struct mh_msg *m)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_RESTART_COUNTER);

	if (o)
		o->restart_counter = l->restart_counter;
}

static void peer_hb_timer(void *lp, void *obj, uint64_t now)
{
	struct lma *l = lp;
	struct lma_peer *p = obj;
	struct mh_msg m;
	uint32_t iv = l->cfg->lma.timers.heartbeat_interval_s;

	if (!iv)
		return;
	if (p->waiting) {
		p->missed++;
		if (p->up && p->missed >= tmr(l->cfg->lma.timers.heartbeat_missed, 3))
			peer_down(l, p, "heartbeat", now);
	}
	memset(&m, 0, sizeof(m));
	m.kind = MH_HEARTBEAT;
	m.seq = ++l->hb_seq;
	add_rc(l, &m);
	p->hb_seq = m.seq;
	p->waiting = true;
	send_msg(l, &m, &p->addr);
	timer_set(l, &p->timer, now + (uint64_t)iv * 1000, now);
}

static void handle_heartbeat(struct lma *l, const struct mh_msg *m, struct lma_peer *p,
			     uint64_t now)
{
	const struct mh_opt *rc = mh_opt_find(m, MH_OPT_RESTART_COUNTER, 0);

	if (m->flags & MH_HB_R) {
		if (m->seq != p->hb_seq) {
			l->rx_ignored++;
			return;
		}
		p->waiting = false;
	} else {
		struct mh_msg r;

		memset(&r, 0, sizeof(r));
		r.kind = MH_HEARTBEAT;
		r.flags = MH_HB_R;
		r.seq = m->seq;
		add_rc(l, &r);
		send_msg(l, &r, &p->addr);
	}
	peer_alive(l, p, rc != NULL, rc ? rc->restart_counter : 0, now);
}

/* ---- PBU / PBA (RFC 5213 §5.3) -------------------------------------------------------- */

static uint64_t ts_fixed(uint64_t sec, uint16_t frac)
{
	return (sec << 16) | frac;
}

static uint64_t wall_fixed(void)
{
	struct timespec ts;

	fm_wall(&ts);
	return ts_fixed((uint64_t)ts.tv_sec,
			(uint16_t)(((uint64_t)ts.tv_nsec << 16) / 1000000000ull));
}

static void set_lma_time(struct mh_msg *pba)
{
	struct mh_opt *o = (struct mh_opt *)mh_opt_find(pba, MH_OPT_TIMESTAMP, 0);
	uint64_t now = wall_fixed();

	if (!o)
		o = mh_opt_add(pba, MH_OPT_TIMESTAMP);
	if (o) {
		o->timestamp.seconds = now >> 16;
		o->timestamp.fraction = now & 0xffff;
	}
}

/* RFC 6275 §9.5.1: seq is newer than last when it is less than 2^15 ahead. */
static bool seq_newer(uint16_t seq, uint16_t last)
{
	uint16_t d = (uint16_t)(seq - last);

	return d != 0 && d < 0x8000;
}

static void pba_init(struct mh_msg *pba, const struct mh_msg *pbu)
{
	static const uint8_t copy[] = {MH_OPT_MN_ID, MH_OPT_HNP,       MH_OPT_HI,     MH_OPT_ATT,
				       MH_OPT_LL_ID, MH_OPT_TIMESTAMP, MH_OPT_GRE_KEY};

	memset(pba, 0, sizeof(*pba));
	pba->kind = MH_PBA;
	pba->seq = pbu->seq;
	pba->flags = MH_PBA_P;
	pba->lifetime = pbu->lifetime & ~3u;
	for (unsigned c = 0; c < sizeof(copy); c++)
		for (unsigned i = 0; i < pbu->n_opts; i++)
			if (pbu->opts[i].type == copy[c] && pba->n_opts < MH_MAX_OPTS)
				pba->opts[pba->n_opts++] = pbu->opts[i];
}

static void pba_reject(struct lma *l, struct mh_msg *pba, const struct in6_addr *src,
		       const char *nai, uint8_t status)
{
	char b[INET6_ADDRSTRLEN];
	json_t *o = json_object();

	pba->status = status;
	pba->lifetime = 0;
	send_msg(l, pba, src);
	pr_info("lma: PBU from %s for %s rejected, status %u\n", a6(src, b), nai ? nai : "?",
		status);
	if (nai)
		json_object_set_new(o, "mn", json_string(nai));
	json_object_set_new(o, "mag", j_addr(src));
	json_object_set_new(o, "status", json_integer(status));
	emit(l, "reject", o);
}

/* Replace the PBA's HNP options with the binding's prefix set, add the BID option. */
static void pba_finish(struct mh_msg *pba, const struct bce_binding *b)
{
	unsigned w = 0;

	for (unsigned i = 0; i < pba->n_opts; i++)
		if (pba->opts[i].type != MH_OPT_HNP && pba->opts[i].type != MH_OPT_BID)
			pba->opts[w++] = pba->opts[i];
	pba->n_opts = w;
	for (unsigned i = 0; i < b->n_pfx; i++)
		add_hnp(pba, &b->pfx[i]);
	add_bid(pba, b->bid);
}

static bool hnp_zero(const struct mh_opt *o)
{
	static const struct in6_addr z;

	return !memcmp(&o->hnp.prefix, &z, sizeof(z));
}

static bool ll_match(const struct bce_binding *b, const struct mh_opt *ll)
{
	if (!ll || !b->ll_id_len)
		return true;
	return ll->ll_id.len == b->ll_id_len && !memcmp(ll->ll_id.id, b->ll_id, b->ll_id_len);
}

enum match {
	M_NEW,
	M_SAME,	   /* refresh or re-registration from the binding's MAG */
	M_HANDOFF, /* the binding moves to the sending MAG */
	M_HOLD,	   /* HI 4: wait for the old MAG's de-registration */
};

static enum match pbu_match(struct lma *l, const struct mh_msg *m, struct bce_mn *mn,
			    const struct in6_addr *src, uint8_t hi, uint8_t att, bool force_new,
			    struct bce_binding **out)
{
	const struct mh_opt *bo = mh_opt_find(m, MH_OPT_BID, 0);
	const struct mh_opt *ll = mh_opt_find(m, MH_OPT_LL_ID, 0);
	struct bce_binding *b;

	(void)l;
	*out = NULL;
	if (!mn)
		return M_NEW;
	/* the BID the LMA handed out names the binding */
	if (bo && (b = bce_binding_find(mn, bo->bid.bid))) {
		*out = b;
		return memcmp(&b->mag, src, 16) ? M_HANDOFF : M_SAME;
	}
	for (unsigned i = 0; i < mn->n_b; i++) {
		b = mn->b[i];
		if (!memcmp(&b->mag, src, 16) && b->att == att && ll_match(b, ll)) {
			*out = b;
			return M_SAME;
		}
	}
	if (force_new || hi == MH_HI_NEW_IFACE || hi == MH_HI_NEW_IFACE_SHARED)
		return M_NEW;
	/* a non-zero HNP that one of the MN's bindings holds is a handoff hint */
	for (int k = 0; mh_opt_find(m, MH_OPT_HNP, k); k++) {
		const struct mh_opt *h = mh_opt_find(m, MH_OPT_HNP, k);
		struct fm_prefix p = {.addr = h->hnp.prefix, .plen = h->hnp.plen};

		if (hnp_zero(h))
			continue;
		if ((b = bce_prefix_holder(mn, &p)) &&
		    (hi == MH_HI_HANDOFF_MAGS || hi == MH_HI_HANDOFF_IFACES ||
		     hi == MH_HI_UNKNOWN || hi == MH_HI_NOT_CHANGED)) {
			*out = b;
			return M_HANDOFF;
		}
	}
	if (hi == MH_HI_HANDOFF_MAGS || hi == MH_HI_UNKNOWN || hi == MH_HI_NOT_CHANGED) {
		for (unsigned i = 0; i < mn->n_b; i++) {
			b = mn->b[i];
			if (b->att != att || !ll_match(b, ll) || !memcmp(&b->mag, src, 16))
				continue;
			*out = b;
			if (hi == MH_HI_UNKNOWN && b->state == BCE_ACTIVE)
				return M_HOLD;
			return M_HANDOFF;
		}
	}
	if (hi == MH_HI_HANDOFF_IFACES && mn->n_b == 1) {
		*out = mn->b[0];
		return M_HANDOFF;
	}
	return M_NEW;
}

static int assign_prefixes(struct lma *l, struct bce_mn *mn, struct bce_binding *b, uint8_t hi)
{
	enum fm_prefix_policy pol = mn_policy(l, mn->nai);
	struct fm_prefix p;

	if (hi == MH_HI_NEW_IFACE_SHARED && pol == FM_PP_UNIQUE && mn->n_b > 1) {
		/* RFC 7864 HI 6: the new interface shares the MN's prefixes */
		for (unsigned i = 0; i < mn->n_b; i++)
			for (unsigned j = 0; j < mn->b[i]->n_pfx; j++)
				bce_binding_add_prefix(b, &mn->b[i]->pfx[j]);
		if (b->n_pfx)
			return 0;
	}
	if (pol == FM_PP_SHARED || pol == FM_PP_HYBRID) {
		if (!mn->n_shared) {
			if (bce_pool_alloc(&l->bce, &p))
				return -ENOSPC;
			mn->shared[mn->n_shared++] = p;
		}
		for (unsigned i = 0; i < mn->n_shared; i++)
			bce_binding_add_prefix(b, &mn->shared[i]);
		if (pol == FM_PP_SHARED)
			return 0;
	}
	if (bce_pool_alloc(&l->bce, &p))
		return -ENOSPC;
	return bce_binding_add_prefix(b, &p);
}

static void handle_pbu_flow_ids(struct lma *l, const struct mh_msg *m, struct bce_mn *mn,
				struct bce_binding *b, struct mh_msg *pba);

static void hold_timeout(void *lp, void *obj, uint64_t now);
static void process_pbu(struct lma *l, const struct mh_msg *m, const struct in6_addr *src,
			uint64_t now, bool force_new, struct bce_binding *force_handoff);

static void hold_free(struct lma *l, struct lma_hold *h)
{
	timer_stop(l, &h->timer);
	if (h->prev)
		h->prev->next = h->next;
	else
		l->holds = h->next;
	if (h->next)
		h->next->prev = h->prev;
	free(h->pbu);
	free(h);
}

static void hold_timeout(void *lp, void *obj, uint64_t now)
{
	struct lma *l = lp;
	struct lma_hold *h = obj;
	struct mh_msg *pbu = h->pbu;
	struct in6_addr src = h->src;

	h->pbu = NULL;
	hold_free(l, h);
	process_pbu(l, pbu, &src, now, true, NULL);
	free(pbu);
}

/* A de-registration of old_bid arrived: a held HI-4 PBU for it is a handoff. */
static void hold_release(struct lma *l, struct bce_mn *mn, uint16_t bid, uint64_t now)
{
	for (struct lma_hold *h = l->holds; h; h = h->next) {
		struct mh_msg *pbu;
		struct in6_addr src;
		struct bce_binding *b;

		if (strcmp(h->nai, mn->nai) || h->old_bid != bid)
			continue;
		pbu = h->pbu;
		src = h->src;
		h->pbu = NULL;
		hold_free(l, h);
		b = bce_binding_find(mn, bid);
		process_pbu(l, pbu, &src, now, b == NULL, b);
		free(pbu);
		return;
	}
}

static void handle_pbu(struct lma *l, const struct mh_msg *m, const struct in6_addr *src,
		       uint64_t now)
{
	process_pbu(l, m, src, now, false, NULL);
}

static void process_pbu(struct lma *l, const struct mh_msg *m, const struct in6_addr *src,
			uint64_t now, bool force_new, struct bce_binding *force_handoff)
{
	struct mh_msg *pba = calloc(1, sizeof(*pba));
	const struct mh_opt *mnid, *hi, *att, *ts;
	const struct fm_cfg_lma_mn *mc;
	char nai[FM_NAI_MAX + 1];
	struct bce_mn *mn;
	struct bce_binding *b = NULL;
	enum match match;
	bool created_mn = false, is_new = false, changed;
	bool held = force_new || force_handoff;
	uint32_t lifetime;
	char sb[INET6_ADDRSTRLEN];

	if (!pba)
		return;
	pba_init(pba, m);
	if (!(m->flags & MH_PBU_P)) {
		/* a plain Mobile IPv6 BU: flowmob is not a home agent */
		pba->flags = 0;
		pba_reject(l, pba, src, NULL, PBA_PROXY_REG_NOT_ENABLED);
		goto out;
	}
	if (!peer_find(l, src)) {
		pba_reject(l, pba, src, NULL, PBA_MAG_NOT_AUTHORIZED);
		goto out;
	}
	mnid = mh_opt_find(m, MH_OPT_MN_ID, 0);
	if (!mnid || !mnid->mn_id.len) {
		pba_reject(l, pba, src, NULL, PBA_MISSING_MN_ID);
		goto out;
	}
	memcpy(nai, mnid->mn_id.id, mnid->mn_id.len);
	nai[mnid->mn_id.len] = 0;
	if (strlen(nai) != mnid->mn_id.len) {
		pba_reject(l, pba, src, NULL, PBA_MISSING_MN_ID);
		goto out;
	}
	mc = mn_cfg(l, nai);
	if (mc && mc->deny) {
		pba_reject(l, pba, src, nai, PBA_ADMIN_PROHIBITED);
		goto out;
	}
	if (!mh_opt_find(m, MH_OPT_HNP, 0)) {
		pba_reject(l, pba, src, nai, PBA_MISSING_HNP);
		goto out;
	}
	hi = mh_opt_find(m, MH_OPT_HI, 0);
	if (!hi) {
		pba_reject(l, pba, src, nai, PBA_MISSING_HI);
		goto out;
	}
	att = mh_opt_find(m, MH_OPT_ATT, 0);
	if (!att) {
		pba_reject(l, pba, src, nai, PBA_MISSING_ATT);
		goto out;
	}
	ts = mh_opt_find(m, MH_OPT_TIMESTAMP, 0);
	if (l->cfg->lma.ordering == FM_ORDER_TIMESTAMP && !held) {
		/* (a held HI-4 PBU was checked against the window when it arrived) */
		uint64_t lt = wall_fixed(), pt, d, win;

		if (!ts) {
			set_lma_time(pba);
			pba_reject(l, pba, src, nai, PBA_TIMESTAMP_MISMATCH);
			goto out;
		}
		pt = ts_fixed(ts->timestamp.seconds, ts->timestamp.fraction);
		d = pt > lt ? pt - lt : lt - pt;
		win = ((uint64_t)tmr(l->cfg->lma.timers.timestamp_window_ms, 300) << 16) / 1000;
		if (d > win) {
			set_lma_time(pba);
			pba_reject(l, pba, src, nai, PBA_TIMESTAMP_MISMATCH);
			goto out;
		}
	}
	/* every PBU-provided non-zero prefix must be one of this MN's (RFC 5213 §5.3.1) */
	mn = bce_mn_find(&l->bce, nai);
	for (int k = 0; mh_opt_find(m, MH_OPT_HNP, k); k++) {
		const struct mh_opt *h = mh_opt_find(m, MH_OPT_HNP, k);
		struct fm_prefix p = {.addr = h->hnp.prefix, .plen = h->hnp.plen};

		if (hnp_zero(h))
			continue;
		/* O(1): only the MN's own prefixes are acceptable, whoever else holds it */
		if (!mn || !(bce_prefix_holder(mn, &p) || mn_shares(mn, &p))) {
			pba_reject(l, pba, src, nai, PBA_NOT_AUTHORIZED_FOR_HNP);
			goto out;
		}
	}
	if (force_handoff) {
		b = force_handoff;
		match = M_HANDOFF;
	} else {
		match = pbu_match(l, m, mn, src, hi->hi, att->att, force_new, &b);
	}
	if (b && !held) {
		if (l->cfg->lma.ordering == FM_ORDER_TIMESTAMP && b->has_ts &&
		    ts_fixed(ts->timestamp.seconds, ts->timestamp.fraction) < b->last_ts) {
			pba_reject(l, pba, src, nai, PBA_TIMESTAMP_LOWER);
			goto out;
		}
		if (l->cfg->lma.ordering == FM_ORDER_SEQUENCE && b->has_seq && match == M_SAME &&
		    !seq_newer((uint16_t)m->seq, b->last_seq)) {
			pba->seq = b->last_seq;
			pba_reject(l, pba, src, nai, PBA_SEQ_OUT_OF_WINDOW);
			goto out;
		}
	}

	/* ---- de-registration ---- */
	if (m->lifetime == 0) {
		pba->status = PBA_ACCEPTED;
		pba->lifetime = 0;
		if (b && match != M_NEW && !memcmp(&b->mag, src, 16)) {
			b->state = BCE_DEREG;
			if (ts)
				b->last_ts =
				    ts_fixed(ts->timestamp.seconds, ts->timestamp.fraction),
				b->has_ts = true;
			b->last_seq = (uint16_t)m->seq;
			b->has_seq = true;
			b->lifetime_s = 0;
			b->expires_ms =
			    now + tmr(l->cfg->lma.timers.min_delay_before_bce_delete_ms, 10000);
			timer_set(l, &b->timer, b->expires_ms, now);
			dp_binding(l, b);
			dp_prefixes(l, mn);
			replace_flows(l, mn, now);
			pba_finish(pba, b);
			send_msg(l, pba, src);
			emit(l, "deregistration", ev_fields(mn, b));
			pr_info("lma: %s/%u de-registered by %s\n", nai, b->bid, a6(src, sb));
			hold_release(l, mn, b->bid, now);
		} else {
			/* no binding, or not this MAG's any more (after a handoff): ignore */
			send_msg(l, pba, src);
		}
		goto out;
	}

	if (match == M_HOLD) {
		struct lma_hold *h = calloc(1, sizeof(*h));

		if (!h || !(h->pbu = malloc(sizeof(*m)))) {
			free(h);
			goto out;
		}
		*h->pbu = *m;
		h->src = *src;
		snprintf(h->nai, sizeof(h->nai), "%s", nai);
		h->old_bid = b->bid;
		timer_init(&h->timer, hold_timeout, h);
		h->next = l->holds;
		if (l->holds)
			l->holds->prev = h;
		l->holds = h;
		timer_set(l, &h->timer,
			  now + tmr(l->cfg->lma.timers.max_delay_before_new_bce_assign_ms, 1500),
			  now);
		pr_debug("lma: HI 4 PBU for %s held for the old MAG's de-registration\n", nai);
		goto out;
	}

	/* ---- registration ---- */
	if (!mn) {
		mn = bce_mn_add(&l->bce, nai, 0);
		if (!mn) {
			pba_reject(l, pba, src, nai, PBA_INSUFFICIENT_RESOURCES);
			goto out;
		}
		created_mn = true;
		for (int i = 0; i < l->cfg->lma.n_policies; i++) {
			const struct fm_cfg_policy *p = &l->cfg->lma.policies[i];
			struct fmc_flow f = {.fid = p->fid,
					     .priority = p->priority,
					     .ts = p->selector,
					     .action = p->drop ? FM_DP_DROP : FM_DP_FORWARD,
					     .origin = FMC_POLICY,
					     .n_att = p->n_att};

			memcpy(f.att, p->prefer_att, sizeof(f.att));
			fmc_add(&mn->fmc, &f);
		}
	}
	if (match == M_NEW) {
		b = bce_binding_add(&l->bce, mn, att->att);
		if (!b || assign_prefixes(l, mn, b, hi->hi)) {
			if (b)
				bce_binding_del(&l->bce, b);
			if (created_mn)
				mn_maybe_free(l, mn);
			pba_reject(l, pba, src, nai, PBA_INSUFFICIENT_RESOURCES);
			goto out;
		}
		is_new = true;
		b->registered_ms = now;
		timer_init(&b->timer, binding_timeout, b);
	}
	changed = is_new || match == M_HANDOFF || b->state != BCE_ACTIVE;
	if (match == M_HANDOFF)
		b->att = att->att;
	b->mag = *src;
	b->hi = hi->hi;
	b->state = BCE_ACTIVE;
	if (ts) {
		b->last_ts = ts_fixed(ts->timestamp.seconds, ts->timestamp.fraction);
		b->has_ts = true;
	}
	b->last_seq = (uint16_t)m->seq;
	b->has_seq = true;
	{
		const struct mh_opt *ll = mh_opt_find(m, MH_OPT_LL_ID, 0);

		if (ll && ll->ll_id.len <= sizeof(b->ll_id)) {
			b->ll_id_len = ll->ll_id.len;
			memcpy(b->ll_id, ll->ll_id.id, ll->ll_id.len);
		}
	}
	lifetime = m->lifetime > max_lifetime(l) ? max_lifetime(l) : m->lifetime & ~3u;
	if (!lifetime)
		lifetime = 4;
	b->lifetime_s = lifetime;
	b->expires_ms = now + (uint64_t)lifetime * 1000;
	timer_set(l, &b->timer, b->expires_ms, now);

	pba->status = PBA_ACCEPTED;
	pba->lifetime = lifetime;
	l->cur_pba = pba;
	l->cur_binding = b;
	handle_pbu_flow_ids(l, m, mn, b, pba);
	if (changed) {
		dp_binding(l, b);
		dp_prefixes(l, mn);
		replace_flows(l, mn, now);
	} else if (mh_opt_find(m, MH_OPT_FLOW_ID, 0)) {
		replace_flows(l, mn, now);
	} else {
		/* refresh: flows signalled to this MAG are refreshed with it */
		for (unsigned i = 0; i < mn->fmc.n; i++) {
			struct fmc_flow *f = &mn->fmc.flows[i];

			if (f->signalled && f->dp_bid == b->bid &&
			    !memcmp(&f->signalled_mag, src, 16) &&
			    l->cfg->lma.flow_signaling == FM_SIG_FMI)
				send_fmi(l, TXN_FMI_REFRESH, mn, f, src, b, now);
		}
	}
	l->cur_pba = NULL;
	l->cur_binding = NULL;
	pba_finish(pba, b);
	send_msg(l, pba, src);
	if (changed) {
		json_t *ev = ev_fields(mn, b);

		json_object_set_new(ev, "hi", json_integer(b->hi));
		if (match == M_HANDOFF)
			json_object_set_new(ev, "handoff", json_true());
		emit(l, "registration", ev);
	}
	if (changed)
		pr_info("lma: %s/%u registered via %s (ATT %u, HI %u)\n", nai, b->bid, a6(src, sb),
			b->att, b->hi);
	mark_dirty(l);
out:
	free(pba);
}

/* Flow Identification options in a PBU: the MAG asks the LMA to consider rules. */
static void handle_pbu_flow_ids(struct lma *l, const struct mh_msg *m, struct bce_mn *mn,
				struct bce_binding *b, struct mh_msg *pba)
{
	for (int k = 0;; k++) {
		const struct mh_opt *o = mh_opt_find(m, MH_OPT_FLOW_ID, k);
		const struct mh_flowid *q;
		struct fmc_flow *have, f;
		uint8_t st = FID_SUCCESS;
		char err[96];

		if (!o)
			break;
		q = &o->flow_id;
		memset(&f, 0, sizeof(f));
		f.fid = q->fid;
		f.priority = q->priority;
		f.origin = FMC_PBU;
		have = fmc_find(&mn->fmc, q->fid);
		if (!q->has_ts)
			st = FID_MALFORMED;
		else if (q->ts.format != TS_FMT_IPV6 && q->ts.format != TS_FMT_IPV4)
			st = FID_TS_FORMAT_UNSUPPORTED;
		else if (!ts_valid(&q->ts, err, sizeof(err)))
			st = FID_MALFORMED;
		else if (have && have->origin != FMC_PBU)
			st = FID_ADMIN_PROHIBITED; /* the LMA's own rules take precedence */
		if (st == FID_SUCCESS) {
			f.ts = q->ts;
			if (q->n_bids) {
				for (unsigned i = 0; i < q->n_bids && i < FMC_MAX_BIDS; i++) {
					if (!bce_binding_find(mn, q->bids[i]) &&
					    q->bids[i] != b->bid)
						st = FID_BID_NOT_FOUND;
					f.bids[f.n_bids++] = q->bids[i];
				}
			} else {
				f.n_bids = 1;
				f.bids[0] = b->bid;
			}
		}
		if (st == FID_SUCCESS) {
			if (have) {
				have->priority = f.priority;
				have->ts = f.ts;
				have->n_bids = f.n_bids;
				memcpy(have->bids, f.bids, sizeof(f.bids));
				have->n_att = 0;
			} else if (fmc_add(&mn->fmc, &f)) {
				st = FID_REJECTED;
			}
		}
		{
			struct mh_opt *r = mh_opt_add(pba, MH_OPT_FLOW_ID);

			if (r) {
				r->flow_id = *q;
				r->flow_id.status = st;
			}
		}
		if (st == FID_SUCCESS) {
			json_t *e = ev_fields(mn, NULL);

			json_object_set_new(e, "fid", json_integer(f.fid));
			json_object_set_new(e, "bid", json_integer(f.bids[0]));
			json_object_set_new(e, "origin", json_string("pbu"));
			emit(l, "flow-add", e);
		}
	}
}

/* ---- answers to LMA-initiated requests --------------------------------------------- */

static struct fmc_flow *txn_flow(struct lma *l, struct lma_txn *t, struct bce_mn **mnp)
{
	struct bce_mn *mn = bce_mn_find(&l->bce, t->nai);

	*mnp = mn;
	return mn ? fmc_find(&mn->fmc, t->fid) : NULL;
}

static void txn_event(struct lma *l, struct lma_txn *t, uint8_t status)
{
	json_t *o = json_object();

	json_object_set_new(o, "mn", json_string(t->nai));
	json_object_set_new(o, "mag", j_addr(&t->dst));
	json_object_set_new(o, "message", json_string(mh_kind_name(t->kind)));
	if (t->fid)
		json_object_set_new(o, "fid", json_integer(t->fid));
	json_object_set_new(o, "status", json_integer(status));
	emit(l, "reject", o);
}

static void handle_fma(struct lma *l, const struct mh_msg *m, const struct in6_addr *src,
		       uint64_t now)
{
	struct lma_txn *t = txn_find(l, MH_FMI, (uint16_t)m->seq, src);
	struct bce_mn *mn;
	struct fmc_flow *f;
	enum txn_op op;

	if (!t) {
		l->rx_ignored++;
		return;
	}
	f = txn_flow(l, t, &mn);
	op = t->op;
	switch (m->status) {
	case FMA_SUCCESS:
	case FMA_ENTRY_EXISTS: /* the MAG already holds it: same end state */
		if (f && op != TXN_FMI_CANCEL) {
			f->signalled = true;
			f->signalled_mag = *src;
		} else if (f && op == TXN_FMI_CANCEL && !memcmp(&f->signalled_mag, src, 16) &&
			   f->dp_bid && bce_binding_find(mn, f->dp_bid) &&
			   memcmp(&bce_binding_find(mn, f->dp_bid)->mag, src, 16)) {
			f->signalled = false;
		}
		txn_free(l, t);
		mark_dirty(l);
		return;
	case FMA_NO_ENTRY:
		if (op == TXN_FMI_REFRESH && f && mn) {
			/* the MAG lost it: create it again */
			struct bce_binding *to = bce_binding_find(mn, t->bid);

			txn_free(l, t);
			send_fmi(l, TXN_FMI_CREATE, mn, f, src, to, now);
			return;
		}
		txn_free(l, t); /* a cancel of nothing: done */
		return;
	case FMA_SEQ_OUT_OF_WINDOW:
		if (!t->resent_new_seq) {
			t->resent_new_seq = true;
			t->msg->seq = next_seq(l);
			t->seq = (uint16_t)t->msg->seq;
			t->tries = 1;
			t->rto_ms = tmr(l->cfg->lma.timers.retransmit_initial_ms, 1500);
			send_msg(l, t->msg, &t->dst);
			timer_set(l, &t->timer, now + t->rto_ms, now);
			return;
		}
		/* fall through */
	default: /* 128, 129 MN not attached, 131 TS format unsupported */
		pr_warn("lma: FMI for %s FID %u refused by the MAG, status %u\n", t->nai, t->fid,
			m->status);
		txn_event(l, t, m->status);
		txn_free(l, t);
		return;
	}
}

static void handle_bra(struct lma *l, const struct mh_msg *m, const struct in6_addr *src)
{
	struct lma_txn *t = txn_find(l, MH_BRI, (uint16_t)m->seq, src);

	if (!t) {
		l->rx_ignored++;
		return;
	}
	if (m->status != BRA_SUCCESS && m->status != BRA_PARTIAL) {
		pr_warn("lma: BRI to %s for %s answered with status %u\n", "MAG", t->nai,
			m->status);
		txn_event(l, t, m->status);
	}
	txn_free(l, t);
}

static void handle_upa(struct lma *l, const struct mh_msg *m, const struct in6_addr *src)
{
	struct lma_txn *t = txn_find(l, MH_UPN, (uint16_t)m->seq, src);

	if (!t) {
		l->rx_ignored++;
		return;
	}
	if (m->status != UPA_SUCCESS)
		txn_event(l, t, m->status);
	/* on success the MAG re-registers: its PBU gets the new prefix set in the PBA */
	txn_free(l, t);
}

void lma_rx(struct lma *l, const struct mh_msg *m, const struct in6_addr *src, uint64_t now)
{
	struct lma_peer *p = peer_find(l, src);

	if (m->kind <= MH_UPA)
		l->rx[m->kind]++;
	if (p && p->up && m->kind != MH_HEARTBEAT)
		p->last_seen_ms = now;
	switch (m->kind) {
	case MH_PBU:
		handle_pbu(l, m, src, now);
		return;
	case MH_HEARTBEAT:
		if (p)
			handle_heartbeat(l, m, p, now);
		else
			l->rx_ignored++;
		return;
	case MH_FMA:
		handle_fma(l, m, src, now);
		return;
	case MH_BRA:
		handle_bra(l, m, src);
		return;
	case MH_UPA:
		handle_upa(l, m, src);
		return;
	default:
		l->rx_ignored++; /* PBA, BRI, FMI, UPN, BE: not for an LMA */
		return;
	}
}

/* ---- control commands ------------------------------------------------------------------ */

static json_t *binding_json(struct lma *l, const struct bce_binding *b, uint64_t now)
{
	json_t *o = ev_fields(b->mn, b);
	struct fm_dp_counters c = {0};

	DP(l, binding_counters, b->mn->index, b->bid, &c);
	json_object_set_new(o, "lifetime", json_integer(binding_left_s(b, now)));
	json_object_set_new(o, "state", json_string(bce_state_name(b->state)));
	json_object_set_new(o, "hi", json_integer(b->hi));
	json_object_set_new(o, "mn_index", json_integer(b->mn->index));
	json_object_set_new(o, "packets", json_integer((json_int_t)c.packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)c.bytes));
	return o;
}

static const char *origin_name(enum fmc_origin o)
{
	return o == FMC_POLICY ? "policy" : o == FMC_PBU ? "pbu" : "ctl";
}

static json_t *flow_json(struct lma *l, const struct bce_mn *mn, const struct fmc_flow *f)
{
	json_t *o = json_object(), *bids = json_array(), *sel = ts_to_json(&f->ts);
	struct fm_dp_counters c = {0};

	DP(l, fid_counters, mn->index, f->fid, &c);
	json_object_set_new(o, "mn", json_string(mn->nai));
	json_object_set_new(o, "fid", json_integer(f->fid));
	json_object_set_new(o, "priority", json_integer(f->priority));
	json_object_set_new(o, "selector", sel ? sel : json_object());
	for (unsigned i = 0; i < f->n_bids; i++)
		json_array_append_new(bids, json_integer(f->bids[i]));
	json_object_set_new(o, "bids", bids);
	json_object_set_new(o, "action", json_string(fmc_action_name(f->action)));
	json_object_set_new(o, "active", json_boolean(f->active));
	json_object_set_new(o, "origin", json_string(origin_name(f->origin)));
	if (f->n_att) {
		json_t *a = json_array();

		for (unsigned i = 0; i < f->n_att; i++)
			json_array_append_new(a, json_integer(f->att[i]));
		json_object_set_new(o, "prefer_att", a);
	}
	json_object_set_new(o, "packets", json_integer((json_int_t)c.packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)c.bytes));
	return o;
}

json_t *lma_cmd_bindings(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	json_t *a = json_array();
	uint64_t now = fm_now_ms();

	(void)req;
	(void)err;
	(void)errlen;
	for (struct bce_mn *mn = l->bce.head; mn; mn = mn->next)
		for (unsigned i = 0; i < mn->n_b; i++)
			json_array_append_new(a, binding_json(l, mn->b[i], now));
	return a;
}

json_t *lma_cmd_flows(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	json_t *a = json_array();

	(void)req;
	(void)err;
	(void)errlen;
	for (struct bce_mn *mn = l->bce.head; mn; mn = mn->next)
		for (unsigned i = 0; i < mn->fmc.n; i++)
			json_array_append_new(a, flow_json(l, mn, &mn->fmc.flows[i]));
	return a;
}

json_t *lma_cmd_stats(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	json_t *o = json_object(), *sig = json_object(), *rx = json_object(), *tx = json_object(),
	       *st = json_object(), *dp = NULL;

	(void)req;
	(void)err;
	(void)errlen;
	for (int k = MH_PBU; k <= MH_UPA; k++) {
		json_object_set_new(rx, mh_kind_name(k), json_integer((json_int_t)l->rx[k]));
		json_object_set_new(tx, mh_kind_name(k), json_integer((json_int_t)l->tx[k]));
		for (int s = 0; s < 256; s++)
			if (l->status[k][s]) {
				char key[32];

				snprintf(key, sizeof(key), "%s:%d", mh_kind_name(k), s);
				json_object_set_new(st, key,
						    json_integer((json_int_t)l->status[k][s]));
			}
	}
	json_object_set_new(sig, "rx", rx);
	json_object_set_new(sig, "tx", tx);
	json_object_set_new(sig, "status", st);
	json_object_set_new(sig, "rx_ignored", json_integer((json_int_t)l->rx_ignored));
	json_object_set_new(sig, "pending", json_integer(0));
	{
		int n = 0;

		for (struct lma_txn *t = l->txns; t; t = t->next)
			n++;
		json_object_set_new(sig, "pending", json_integer(n));
	}
	if (l->h.dp && l->h.dp->stats_json)
		dp = l->h.dp->stats_json(l->h.dp_ctx);
	json_object_set_new(o, "dataplane", dp ? dp : json_object());
	json_object_set_new(o, "signaling", sig);
	json_object_set_new(o, "mobile_nodes", json_integer(l->bce.n_mns));
	json_object_set_new(o, "bindings", json_integer(l->bce.n_bindings));
	json_object_set_new(o, "prefixes_used", json_integer(l->bce.pool_used));
	json_object_set_new(o, "restart_counter", json_integer(l->restart_counter));
	return o;
}

json_t *lma_cmd_peers(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	json_t *a = json_array();
	uint64_t now = fm_now_ms();

	(void)req;
	(void)err;
	(void)errlen;
	for (int i = 0; i < l->n_peers; i++) {
		struct lma_peer *p = &l->peers[i];
		json_t *o = json_object();
		unsigned n = 0;

		for (struct bce_mn *mn = l->bce.head; mn; mn = mn->next)
			for (unsigned j = 0; j < mn->n_b; j++)
				n += !memcmp(&mn->b[j]->mag, &p->addr, 16);
		json_object_set_new(o, "mag", j_addr(&p->addr));
		json_object_set_new(o, "state", json_string(p->up ? "up" : "down"));
		if (p->has_rc)
			json_object_set_new(o, "restart_counter", json_integer(p->restart_counter));
		else
			json_object_set_new(o, "restart_counter", json_null());
		if (p->last_seen_ms)
			json_object_set_new(o, "last_seen",
					    json_real((double)(now - p->last_seen_ms) / 1000.0));
		else
			json_object_set_new(o, "last_seen", json_null());
		json_object_set_new(o, "missed", json_integer(p->missed));
		json_object_set_new(o, "bindings", json_integer(n));
		json_array_append_new(a, o);
	}
	return a;
}

static struct bce_mn *req_mn(struct lma *l, const json_t *req, char *err, size_t errlen)
{
	const char *nai = json_string_value(json_object_get(req, "mn"));
	struct bce_mn *mn;

	if (!nai) {
		snprintf(err, errlen, "missing \"mn\"");
		return NULL;
	}
	mn = bce_mn_find(&l->bce, nai);
	if (!mn)
		snprintf(err, errlen, "unknown mobile node '%s'", nai);
	return mn;
}

static int req_u16(const json_t *req, const char *key, bool required, int def, char *err,
		   size_t errlen)
{
	json_t *v = json_object_get(req, key);

	if (!v) {
		if (required)
			snprintf(err, errlen, "missing \"%s\"", key);
		return required ? -1 : def;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535) {
		snprintf(err, errlen, "\"%s\" must be an integer 0..65535", key);
		return -1;
	}
	return (int)json_integer_value(v);
}

json_t *lma_cmd_flow_add(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	struct bce_mn *mn = req_mn(l, req, err, errlen);
	struct fmc_flow f, *nf;
	const char *action;
	json_t *sel, *o;
	int fid, pri, bid, att;
	char terr[128];

	if (!mn)
		return NULL;
	memset(&f, 0, sizeof(f));
	if ((fid = req_u16(req, "fid", true, 0, err, errlen)) < 0 ||
	    (pri = req_u16(req, "priority", false, 0, err, errlen)) < 0 ||
	    (bid = req_u16(req, "bid", false, 0, err, errlen)) < 0 ||
	    (att = req_u16(req, "att", false, 0, err, errlen)) < 0)
		return NULL;
	if (fid == 0) {
		snprintf(err, errlen, "FID 0 is reserved");
		return NULL;
	}
	if (fmc_find(&mn->fmc, (uint16_t)fid)) {
		snprintf(err, errlen, "FID %d already exists for %s", fid, mn->nai);
		return NULL;
	}
	action = json_string_value(json_object_get(req, "action"));
	if (!bid && !att && !(action && !strcmp(action, "drop"))) {
		snprintf(err, errlen, "missing \"bid\" (or \"att\", or action drop)");
		return NULL;
	}
	if (bid && !bce_binding_find(mn, (uint16_t)bid)) {
		snprintf(err, errlen, "unknown BID %d for %s", bid, mn->nai);
		return NULL;
	}
	if (att > 255) {
		snprintf(err, errlen, "\"att\" must be 1..255");
		return NULL;
	}
	if (action && strcmp(action, "forward") && strcmp(action, "drop")) {
		snprintf(err, errlen, "\"action\" must be forward or drop");
		return NULL;
	}
	sel = json_object_get(req, "selector");
	if (!sel || !json_is_object(sel)) {
		snprintf(err, errlen, "missing \"selector\" object");
		return NULL;
	}
	if (ts_from_json(sel, TS_FMT_IPV6, &f.ts, terr, sizeof(terr))) {
		snprintf(err, errlen, "selector: %s", terr);
		return NULL;
	}
	f.fid = (uint16_t)fid;
	f.priority = (uint16_t)pri;
	f.action = action && !strcmp(action, "drop") ? FM_DP_DROP : FM_DP_FORWARD;
	f.origin = FMC_CTL;
	if (bid) {
		f.n_bids = 1;
		f.bids[0] = (uint16_t)bid;
	} else if (att) {
		f.n_att = 1;
		f.att[0] = (uint8_t)att;
	}
	if (fmc_add(&mn->fmc, &f)) {
		snprintf(err, errlen, "flow mobility cache of %s is full", mn->nai);
		return NULL;
	}
	replace_flows(l, mn, fm_now_ms());
	nf = fmc_find(&mn->fmc, (uint16_t)fid);
	o = flow_json(l, mn, nf);
	emit(l, "flow-add", json_deep_copy(o));
	return o;
}

json_t *lma_cmd_flow_move(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	struct bce_mn *mn = req_mn(l, req, err, errlen);
	struct fmc_flow *f;
	int fid, bid, att;
	uint64_t now = fm_now_ms();

	if (!mn)
		return NULL;
	if ((fid = req_u16(req, "fid", true, 0, err, errlen)) < 0 ||
	    (bid = req_u16(req, "bid", false, 0, err, errlen)) < 0 ||
	    (att = req_u16(req, "att", false, 0, err, errlen)) < 0)
		return NULL;
	f = fmc_find(&mn->fmc, (uint16_t)fid);
	if (!f) {
		snprintf(err, errlen, "unknown FID %d for %s", fid, mn->nai);
		return NULL;
	}
	if (!bid == !att || att > 255) {
		snprintf(err, errlen, "give exactly one of \"bid\" or \"att\" (1..255)");
		return NULL;
	}
	if (bid && !bce_binding_find(mn, (uint16_t)bid)) {
		snprintf(err, errlen, "unknown BID %d for %s", bid, mn->nai);
		return NULL;
	}
	if (bid) {
		struct bce_binding *to = bce_binding_find(mn, (uint16_t)bid);

		f->n_att = 0;
		f->n_bids = 1;
		f->bids[0] = (uint16_t)bid;
		if (f->dp_bid == bid && bce_binding_usable(to) && f->signalled &&
		    l->cfg->lma.flow_signaling == FM_SIG_FMI &&
		    !memcmp(&f->signalled_mag, &to->mag, 16)) {
			/* already there: the request refreshes the MAG's flow state */
			send_fmi(l, TXN_FMI_REFRESH, mn, f, &to->mag, to, now);
		}
	} else {
		f->n_att = 1;
		f->att[0] = (uint8_t)att;
	}
	replace_flows(l, mn, now);
	return flow_json(l, mn, fmc_find(&mn->fmc, (uint16_t)fid));
}

json_t *lma_cmd_flow_del(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	struct bce_mn *mn = req_mn(l, req, err, errlen);
	struct fmc_flow *f;
	json_t *o;
	int fid;

	if (!mn)
		return NULL;
	if ((fid = req_u16(req, "fid", true, 0, err, errlen)) < 0)
		return NULL;
	f = fmc_find(&mn->fmc, (uint16_t)fid);
	if (!f) {
		snprintf(err, errlen, "unknown FID %d for %s", fid, mn->nai);
		return NULL;
	}
	if (f->signalled && l->cfg->lma.flow_signaling == FM_SIG_FMI)
		send_fmi(l, TXN_FMI_CANCEL, mn, f, &f->signalled_mag, NULL, fm_now_ms());
	fmc_del(&mn->fmc, (uint16_t)fid);
	push_rules(l, mn);
	o = ev_fields(mn, NULL);
	json_object_set_new(o, "fid", json_integer(fid));
	emit(l, "flow-del", o);
	mark_dirty(l);
	mn_maybe_free(l, mn);
	return json_null();
}

/* ---- persistence ----------------------------------------------------------------------- */

static json_t *state_json(struct lma *l, uint64_t now)
{
	json_t *o = json_object(), *mns = json_array();
	struct timespec wt;

	fm_wall(&wt);
	json_object_set_new(o, "version", json_integer(LMA_STATE_VERSION));
	json_object_set_new(o, "restart_counter", json_integer(l->restart_counter));
	json_object_set_new(o, "seq", json_integer(l->seq));
	json_object_set_new(o, "hb_seq", json_integer(l->hb_seq));
	for (struct bce_mn *mn = l->bce.head; mn; mn = mn->next) {
		json_t *m = json_object(), *bs = json_array(), *fs = json_array(),
		       *sh = json_array(), *ab = json_object();

		json_object_set_new(m, "nai", json_string(mn->nai));
		json_object_set_new(m, "index", json_integer(mn->index));
		for (unsigned i = 0; i < mn->n_shared; i++)
			json_array_append_new(sh, j_prefix(&mn->shared[i]));
		json_object_set_new(m, "shared", sh);
		for (int a = 0; a < 256; a++)
			if (mn->att_bid[a]) {
				char k[16];

				snprintf(k, sizeof(k), "%d", a);
				json_object_set_new(ab, k, json_integer(mn->att_bid[a]));
			}
		json_object_set_new(m, "att_bid", ab);
		for (unsigned i = 0; i < mn->n_b; i++) {
			const struct bce_binding *b = mn->b[i];
			json_t *bj = ev_fields(NULL, b);
			int64_t left_ms = b->expires_ms > now ? (int64_t)(b->expires_ms - now) : 0;

			json_object_set_new(bj, "state", json_string(bce_state_name(b->state)));
			json_object_set_new(bj, "hi", json_integer(b->hi));
			json_object_set_new(bj, "lifetime", json_integer(b->lifetime_s));
			json_object_set_new(bj, "expires",
					    json_real((double)wt.tv_sec + wt.tv_nsec / 1e9 +
						      (double)left_ms / 1000.0));
			if (b->has_ts)
				json_object_set_new(bj, "last_ts",
						    json_integer((json_int_t)b->last_ts));
			if (b->has_seq)
				json_object_set_new(bj, "last_seq", json_integer(b->last_seq));
			json_array_append_new(bs, bj);
		}
		json_object_set_new(m, "bindings", bs);
		for (unsigned i = 0; i < mn->fmc.n; i++) {
			const struct fmc_flow *f = &mn->fmc.flows[i];
			json_t *fj = flow_json(l, mn, f);

			json_object_del(fj, "mn");
			json_object_del(fj, "packets");
			json_object_del(fj, "bytes");
			json_object_set_new(fj, "format", json_integer(f->ts.format));
			if (f->signalled)
				json_object_set_new(fj, "signalled_mag", j_addr(&f->signalled_mag));
			json_array_append_new(fs, fj);
		}
		json_object_set_new(m, "flows", fs);
		json_array_append_new(mns, m);
	}
	json_object_set_new(o, "mobile_nodes", mns);
	return o;
}

int lma_state_save(struct lma *l)
{
	json_t *o;
	int rc;

	if (!l->cfg->state_dir[0])
		return 0;
	o = state_json(l, fm_now_ms());
	rc = fm_state_save(l->cfg->state_dir, LMA_STATE_NAME, o);
	json_decref(o);
	if (rc) {
		pr_err("lma: cannot save state in %s: %s\n", l->cfg->state_dir, strerror(-rc));
		return -1;
	}
	l->dirty = false;
	return 0;
}

static void save_timeout(void *lp, void *obj, uint64_t now)
{
	(void)obj;
	(void)now;
	lma_state_save(lp);
}

static void mark_dirty(struct lma *l)
{
	uint64_t now;

	if (l->dirty)
		return;
	l->dirty = true;
	now = fm_now_ms();
	timer_set(l, &l->save_timer, now + LMA_SAVE_DELAY_MS, now);
}

static int parse_addr(json_t *v, struct in6_addr *a)
{
	const char *s = json_string_value(v);

	return s && inet_pton(AF_INET6, s, a) == 1 ? 0 : -1;
}

static enum bce_state state_parse(const char *s)
{
	if (s && !strcmp(s, "deregistering"))
		return BCE_DEREG;
	if (s && !strcmp(s, "peer-down"))
		return BCE_PEER_DOWN;
	return BCE_ACTIVE;
}

static void restore_prefix(struct lma *l, const struct fm_prefix *p)
{
	int rc = bce_pool_take(&l->bce, p);

	if (rc && rc != -EEXIST)
		pr_debug("lma: restored prefix outside the pool\n");
}

static int state_load(struct lma *l, uint64_t now)
{
	json_t *o, *mns, *m;
	int rc;
	size_t i;
	double wall_now;
	struct timespec wt;

	if (!l->cfg->state_dir[0])
		return -ENOENT;
	rc = fm_state_load(l->cfg->state_dir, LMA_STATE_NAME, &o);
	if (rc)
		return rc; /* none (a first start), or unreadable (logged and kept aside) */
	if (json_integer_value(json_object_get(o, "version")) != LMA_STATE_VERSION) {
		pr_err("lma: saved state in %s has an unknown version, ignored\n",
		       l->cfg->state_dir);
		json_decref(o);
		return -EINVAL;
	}
	fm_wall(&wt);
	wall_now = (double)wt.tv_sec + wt.tv_nsec / 1e9;
	l->restart_counter = (uint32_t)json_integer_value(json_object_get(o, "restart_counter"));
	l->seq = (uint16_t)json_integer_value(json_object_get(o, "seq"));
	l->hb_seq = (uint32_t)json_integer_value(json_object_get(o, "hb_seq"));
	mns = json_object_get(o, "mobile_nodes");
	json_array_foreach(mns, i, m)
	{
		const char *nai = json_string_value(json_object_get(m, "nai"));
		struct bce_mn *mn;
		json_t *v, *bs, *fs, *ab;
		const char *key;
		size_t k;

		if (!nai)
			continue;
		mn = bce_mn_add(&l->bce, nai,
				(uint32_t)json_integer_value(json_object_get(m, "index")));
		if (!mn) {
			pr_warn("lma: saved MN %s not restored\n", nai);
			continue;
		}
		json_array_foreach(json_object_get(m, "shared"), k, v)
		{
			struct fm_prefix p;

			if (!fm_prefix_parse(json_string_value(v) ? json_string_value(v) : "",
					     &p) &&
			    mn->n_shared < BCE_MAX_PREFIXES) {
				mn->shared[mn->n_shared++] = p;
				restore_prefix(l, &p);
			}
		}
		ab = json_object_get(m, "att_bid");
		json_object_foreach(ab, key, v)
		{
			int a = atoi(key);

			if (a >= 0 && a < 256)
				mn->att_bid[a] = (uint16_t)json_integer_value(v);
		}
		bs = json_object_get(m, "bindings");
		json_array_foreach(bs, k, v)
		{
			int bid = (int)json_integer_value(json_object_get(v, "bid"));
			struct bce_binding *b;
			double exp = json_number_value(json_object_get(v, "expires"));
			size_t q;
			json_t *pv;

			if (bid <= 0 || bid > 65535 || exp <= wall_now || bce_binding_find(mn, bid))
				continue;
			mn->att_bid[json_integer_value(json_object_get(v, "att")) & 0xff] = bid;
			b = bce_binding_add(&l->bce, mn,
					    json_integer_value(json_object_get(v, "att")) & 0xff);
			if (!b)
				continue;
			if (b->bid != bid) { /* should not happen: BIDs are restored in order */
				bce_binding_del(&l->bce, b);
				continue;
			}
			timer_init(&b->timer, binding_timeout, b);
			parse_addr(json_object_get(v, "mag"), &b->mag);
			b->hi = json_integer_value(json_object_get(v, "hi")) & 0xff;
			b->state = state_parse(json_string_value(json_object_get(v, "state")));
			b->lifetime_s =
			    (uint32_t)json_integer_value(json_object_get(v, "lifetime"));
			b->expires_ms = now + (uint64_t)((exp - wall_now) * 1000.0);
			if (json_object_get(v, "last_ts")) {
				b->has_ts = true;
				b->last_ts =
				    (uint64_t)json_integer_value(json_object_get(v, "last_ts"));
			}
			if (json_object_get(v, "last_seq")) {
				b->has_seq = true;
				b->last_seq =
				    json_integer_value(json_object_get(v, "last_seq")) & 0xffff;
			}
			json_array_foreach(json_object_get(v, "prefixes"), q, pv)
			{
				struct fm_prefix p;

				if (json_string_value(pv) &&
				    !fm_prefix_parse(json_string_value(pv), &p)) {
					bce_binding_add_prefix(b, &p);
					restore_prefix(l, &p);
				}
			}
			timer_set(l, &b->timer, b->expires_ms, now);
		}
		fs = json_object_get(m, "flows");
		json_array_foreach(fs, k, v)
		{
			struct fmc_flow f;
			const char *org = json_string_value(json_object_get(v, "origin"));
			char terr[128];
			size_t q;
			json_t *x;

			memset(&f, 0, sizeof(f));
			f.fid = json_integer_value(json_object_get(v, "fid")) & 0xffff;
			f.priority = json_integer_value(json_object_get(v, "priority")) & 0xffff;
			if (ts_from_json(json_object_get(v, "selector"),
					 json_integer_value(json_object_get(v, "format")) ==
						 TS_FMT_IPV4
					     ? TS_FMT_IPV4
					     : TS_FMT_IPV6,
					 &f.ts, terr, sizeof(terr)))
				continue;
			json_array_foreach(json_object_get(v, "bids"), q,
					   x) if (f.n_bids < FMC_MAX_BIDS) f.bids[f.n_bids++] =
			    json_integer_value(x) & 0xffff;
			json_array_foreach(json_object_get(v, "prefer_att"), q,
					   x) if (f.n_att < FM_DP_MAX_ATT) f.att[f.n_att++] =
			    json_integer_value(x) & 0xff;
			f.action =
			    json_is_true(json_object_get(v, "action")) ||
				    !strcmp(json_string_value(json_object_get(v, "action"))
						? json_string_value(json_object_get(v, "action"))
						: "",
					    "drop")
				? FM_DP_DROP
				: FM_DP_FORWARD;
			f.origin = org && !strcmp(org, "policy") ? FMC_POLICY
				   : org && !strcmp(org, "pbu")	 ? FMC_PBU
								 : FMC_CTL;
			if (!parse_addr(json_object_get(v, "signalled_mag"), &f.signalled_mag))
				f.signalled = true;
			fmc_add(&mn->fmc, &f);
		}
	}
	json_decref(o);
	return 0;
}

/* Reconciliation: the pinned maps are what the data plane does right now. */
struct recon {
	struct lma *l;
	uint64_t now;
	unsigned adopted, removed;
};

static void recon_binding(uint32_t mnidx, uint16_t bid, const struct fm_dp_binding *d, void *arg)
{
	struct recon *r = arg;
	struct lma *l = r->l;
	struct bce_mn *mn = bce_mn_by_index(&l->bce, mnidx);
	struct bce_binding *b;

	if (mn && (b = bce_binding_find(mn, bid))) {
		if (memcmp(&b->mag, &d->coa, 16))
			pr_warn("lma: %s/%u: map says another MAG, keeping the saved one\n",
				mn->nai, bid);
		return;
	}
	if (mn && mn->n_b < BCE_MAX_BINDINGS) {
		/* registered after the last save: adopt it until its MAG refreshes it */
		mn->att_bid[d->att] = bid;
		b = bce_binding_add(&l->bce, mn, d->att);
		if (b && b->bid == bid) {
			timer_init(&b->timer, binding_timeout, b);
			b->mag = d->coa;
			b->state = d->down ? BCE_PEER_DOWN : BCE_ACTIVE;
			b->lifetime_s = LMA_ADOPT_LIFETIME_S;
			b->expires_ms = r->now + LMA_ADOPT_LIFETIME_S * 1000;
			timer_set(l, &b->timer, b->expires_ms, r->now);
			r->adopted++;
			return;
		}
		if (b)
			bce_binding_del(&l->bce, b);
	}
	DP(l, binding_del, mnidx, bid);
	r->removed++;
}

static void recon_prefix(const struct in6_addr *a, uint8_t plen, uint32_t mnidx,
			 uint16_t default_bid, void *arg)
{
	struct recon *r = arg;
	struct lma *l = r->l;
	struct bce_mn *mn = bce_mn_by_index(&l->bce, mnidx);
	struct fm_prefix p = {.addr = *a, .plen = plen};
	struct bce_binding *b;

	if (mn && (bce_prefix_holder(mn, &p) || mn_shares(mn, &p)))
		return;
	if (mn && (b = bce_binding_find(mn, default_bid)) && !b->n_pfx) {
		bce_binding_add_prefix(b, &p); /* an adopted binding's prefix */
		restore_prefix(l, &p);
		return;
	}
	DP(l, prefix_del, a, plen);
	r->removed++;
}

static void reconcile(struct lma *l, uint64_t now)
{
	struct recon r = {.l = l, .now = now};

	if (l->h.dp && l->h.dp->bindings_foreach)
		l->h.dp->bindings_foreach(l->h.dp_ctx, recon_binding, &r);
	if (l->h.dp && l->h.dp->prefixes_foreach)
		l->h.dp->prefixes_foreach(l->h.dp_ctx, recon_prefix, &r);
	for (struct bce_mn *mn = l->bce.head, *next; mn; mn = next) {
		next = mn->next;
		dp_sync_mn(l, mn);
		mn_maybe_free(l, mn);
	}
	if (r.adopted || r.removed)
		pr_info("lma: reconciled with the data plane: %u adopted, %u removed\n", r.adopted,
			r.removed);
}

/* ---- life cycle -------------------------------------------------------------------------- */

static void peers_apply(struct lma *l, uint64_t now)
{
	struct lma_peer old[FM_CFG_MAX_MAGS];
	int n_old = l->n_peers;

	memcpy(old, l->peers, sizeof(old));
	for (int i = 0; i < n_old; i++)
		timer_stop(l, &l->peers[i].timer);
	for (int i = 0; i < n_old; i++) {
		bool keep = false;

		for (int j = 0; j < l->cfg->lma.n_mags; j++)
			keep |= !memcmp(&old[i].addr, &l->cfg->lma.mags[j], 16);
		if (!keep)
			DP(l, peer_del, &old[i].addr);
	}
	l->n_peers = 0;
	for (int j = 0; j < l->cfg->lma.n_mags; j++) {
		struct lma_peer *p = &l->peers[l->n_peers++];

		memset(p, 0, sizeof(*p));
		p->addr = l->cfg->lma.mags[j];
		p->up = true;
		for (int i = 0; i < n_old; i++)
			if (!memcmp(&old[i].addr, &p->addr, 16)) {
				*p = old[i];
				memset(&p->timer, 0, sizeof(p->timer));
			}
		timer_init(&p->timer, peer_hb_timer, p);
		DP(l, peer_set, &p->addr);
		if (l->cfg->lma.timers.heartbeat_interval_s)
			timer_set(l, &p->timer,
				  now + (uint64_t)l->cfg->lma.timers.heartbeat_interval_s * 1000,
				  now);
	}
}

struct lma *lma_new(const struct fm_config *cfg, const struct lma_hooks *hooks)
{
	struct lma *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->cfg = malloc(sizeof(*cfg));
	if (!l->cfg || bce_init(&l->bce, &cfg->lma.prefix_pool, cfg->lma.prefix_pool_len)) {
		free(l->cfg);
		free(l);
		return NULL;
	}
	memcpy(l->cfg, cfg, sizeof(*cfg));
	l->h = *hooks;
	timer_init(&l->save_timer, save_timeout, NULL);
	return l;
}

void lma_free(struct lma *l)
{
	if (!l)
		return;
	while (l->txns)
		txn_free(l, l->txns);
	while (l->holds)
		hold_free(l, l->holds);
	while (l->timers)
		timer_stop(l, l->timers);
	bce_destroy(&l->bce);
	free(l->cfg);
	free(l);
}

int lma_start(struct lma *l, uint64_t now)
{
	int rc = state_load(l, now);

	if (rc && rc != -ENOENT)
		pr_warn("lma: starting without saved state (%s)\n", strerror(-rc));
	l->restart_counter++;
	reconcile(l, now);
	peers_apply(l, now);
	if (lma_state_save(l) && l->cfg->state_dir[0])
		pr_warn("lma: state will not survive a restart\n");
	pr_info("lma: started, restart counter %u, %u MNs, %u bindings\n", l->restart_counter,
		l->bce.n_mns, l->bce.n_bindings);
	return 0;
}

int lma_reload(struct lma *l, const struct fm_config *next, uint64_t now)
{
	struct fm_config *c = l->cfg;

	/* what may change at run time; addresses, interfaces and the pool need a restart */
	c->log_level = next->log_level;
	memcpy(c->lma.mags, next->lma.mags, sizeof(c->lma.mags));
	c->lma.n_mags = next->lma.n_mags;
	memcpy(c->lma.policies, next->lma.policies, sizeof(c->lma.policies));
	c->lma.n_policies = next->lma.n_policies;
	memcpy(c->lma.mobile_nodes, next->lma.mobile_nodes, sizeof(c->lma.mobile_nodes));
	c->lma.n_mobile_nodes = next->lma.n_mobile_nodes;
	c->lma.prefix_policy = next->lma.prefix_policy;
	c->lma.ordering = next->lma.ordering;
	c->lma.flow_signaling = next->lma.flow_signaling;
	c->lma.timers = next->lma.timers;
	peers_apply(l, now);
	/* bindings through MAGs no longer allowed go away */
	for (struct bce_mn *mn = l->bce.head, *nmn; mn; mn = nmn) {
		nmn = mn->next;
		for (unsigned i = 0; i < mn->n_b;) {
			if (!peer_find(l, &mn->b[i]->mag)) {
				emit(l, "expiry", ev_fields(mn, mn->b[i]));
				if (mn->n_b == 1) {
					binding_delete(l, mn->b[i], now); /* may free mn */
					goto next_mn;
				}
				binding_delete(l, mn->b[i], now);
				continue;
			}
			i++;
		}
		/* policy templates: drop the removed ones, update and add the others */
		for (unsigned i = 0; i < mn->fmc.n;) {
			struct fmc_flow *f = &mn->fmc.flows[i];
			bool keep = f->origin != FMC_POLICY;

			for (int k = 0; k < c->lma.n_policies && !keep; k++)
				keep = c->lma.policies[k].fid == f->fid;
			if (!keep) {
				fmc_del(&mn->fmc, f->fid);
				continue;
			}
			i++;
		}
		for (int k = 0; k < c->lma.n_policies; k++) {
			const struct fm_cfg_policy *p = &c->lma.policies[k];
			struct fmc_flow *f = fmc_find(&mn->fmc, p->fid), nf;

			if (f && f->origin != FMC_POLICY) {
				pr_warn(
				    "lma: policy FID %u clashes with a flow of %s; kept the flow\n",
				    p->fid, mn->nai);
				continue;
			}
			memset(&nf, 0, sizeof(nf));
			if (f)
				nf = *f;
			nf.fid = p->fid;
			nf.priority = p->priority;
			nf.ts = p->selector;
			nf.action = p->drop ? FM_DP_DROP : FM_DP_FORWARD;
			nf.origin = FMC_POLICY;
			nf.n_att = p->n_att;
			memcpy(nf.att, p->prefer_att, sizeof(nf.att));
			if (f)
				*f = nf;
			else
				fmc_add(&mn->fmc, &nf);
		}
		replace_flows(l, mn, now);
		/* MNs now denied lose their bindings */
		{
			const struct fm_cfg_lma_mn *mc = mn_cfg(l, mn->nai);

			if (mc && mc->deny)
				while (mn->n_b) {
					if (mn->n_b == 1) {
						binding_delete(l, mn->b[0], now);
						goto next_mn;
					}
					binding_delete(l, mn->b[0], now);
				}
		}
	next_mn:;
	}
	mark_dirty(l);
	return 0;
}

struct bce *lma_bce(struct lma *l)
{
	return &l->bce;
}

uint32_t lma_restart_counter(const struct lma *l)
{
	return l->restart_counter;
}

uint64_t lma_counter(const struct lma *l, enum lma_dir dir, enum mh_kind kind)
{
	if (kind > MH_UPA)
		return 0;
	return dir == LMA_RX ? l->rx[kind] : l->tx[kind];
}

uint64_t lma_status_counter(const struct lma *l, enum mh_kind kind, uint8_t status)
{
	return kind > MH_UPA ? 0 : l->status[kind][status];
}
