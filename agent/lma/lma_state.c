// SPDX-License-Identifier: GPL-2.0
/*
 * lma_state.c — the LMA's persistence: the state file (restart counter, MNs,
 * bindings, flows; written atomically, within a second of a change) with its own
 * serializer (no data-plane counters read), and, at start, its load and the
 * reconciliation with what the data plane still holds.
 *
 * Layer: above registration (lma_reg.c: binding timers) and lma_base.c; called by
 * lma.c only (its save timer is bound there).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/state.h"
#include "lma/lma_reg.h"
#include "lma/lma_state.h"
#include "mh/mh_json.h"

#define LMA_STATE_NAME	     "lma" /* <state-dir>/lma.json */
#define LMA_STATE_VERSION    1
#define LMA_ADOPT_LIFETIME_S 60

/* ---- persistence ----------------------------------------------------------------------- */

static json_t *binding_state(const struct bce_binding *b, uint64_t now, double wall)
{
	json_t *o = json_object();
	int64_t left_ms = b->expires_ms > now ? (int64_t)(b->expires_ms - now) : 0;

	lma_binding_fields(o, b);
	json_object_set_new(o, "state", json_string(bce_state_name(b->state)));
	json_object_set_new(o, "hi", json_integer(b->hi));
	json_object_set_new(o, "lifetime", json_integer(b->lifetime_s));
	json_object_set_new(o, "expires", json_real(wall + (double)left_ms / 1000.0));
	if (b->has_ts)
		json_object_set_new(o, "last_ts", json_integer((json_int_t)b->last_ts));
	if (b->has_seq)
		json_object_set_new(o, "last_seq", json_integer(b->last_seq));
	return o;
}

/* A flow: its own fields (no counters), the selector's format, the MAG holding it. */
static json_t *flow_state(const struct fmc_flow *f)
{
	json_t *o = json_object();

	lma_flow_fields(o, f);
	json_object_set_new(o, "format", json_integer(f->ts.format));
	if (f->signalled)
		json_object_set_new(o, "signalled_mag", j_addr(&f->signalled_mag));
	return o;
}

static json_t *mn_state(const struct bce_mn *mn, uint64_t now, double wall)
{
	json_t *m = json_object(), *bs = json_array(), *fs = json_array(), *sh = json_array(),
	       *ab = json_object();

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
	for (unsigned i = 0; i < mn->n_b; i++)
		json_array_append_new(bs, binding_state(mn->b[i], now, wall));
	json_object_set_new(m, "bindings", bs);
	for (unsigned i = 0; i < mn->fmc.n; i++)
		json_array_append_new(fs, flow_state(&mn->fmc.flows[i]));
	json_object_set_new(m, "flows", fs);
	return m;
}

/* The state file's JSON (its own format: docs/lma.md). */
static json_t *state_json(struct lma *l, uint64_t now)
{
	json_t *o = json_object(), *mns = json_array();
	const struct bce_mn *mn;
	struct timespec wt;
	double wall;

	fm_wall(&wt);
	wall = (double)wt.tv_sec + wt.tv_nsec / 1e9;
	json_object_set_new(o, "version", json_integer(LMA_STATE_VERSION));
	json_object_set_new(o, "restart_counter", json_integer(l->restart_counter));
	json_object_set_new(o, "seq", json_integer(l->seq));
	json_object_set_new(o, "hb_seq", json_integer(l->hb_seq));
	TAILQ_FOREACH(mn, &l->bce.mns, link)
	{
		json_array_append_new(mns, mn_state(mn, now, wall));
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

void lma_state_save_timeout(struct fm_timer *t, uint64_t now)
{
	(void)now;
	lma_state_save(lma_of_timer(t));
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

/* The times a saved binding is restored with: now (monotonic) and the wall clock. */
struct load_time {
	uint64_t now;
	double wall;
};

static json_int_t jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void load_binding(struct lma *l, struct bce_mn *mn, const json_t *v,
			 const struct load_time *t)
{
	int bid = (int)jint(v, "bid");
	uint8_t att = jint(v, "att") & 0xff;
	double exp = json_number_value(json_object_get(v, "expires")), left;
	struct bce_binding *b;
	size_t q;
	json_t *pv;

	/* (!(x > y) also refuses a NaN) */
	if (bid <= 0 || bid > 65535 || !(exp > t->wall) || bce_binding_find(mn, bid))
		return; /* expired while the LMA was down, or not ours */
	/* no binding has more left than the longest lifetime granted (an imported file may
	 * say anything: a huge or infinite expiry must neither overflow nor last for ever) */
	left = exp - t->wall;
	if (!(left <= (double)lma_max_lifetime(l)))
		left = (double)lma_max_lifetime(l);
	mn->att_bid[att] = bid;
	b = bce_binding_add(&l->bce, mn, att);
	if (!b)
		return;
	if (b->bid != bid) { /* should not happen: BIDs are restored in order */
		bce_binding_del(&l->bce, b);
		return;
	}
	lma_binding_timer_init(l, b);
	parse_addr(json_object_get(v, "mag"), &b->mag);
	b->hi = jint(v, "hi") & 0xff;
	b->state = state_parse(json_string_value(json_object_get(v, "state")));
	b->lifetime_s = (uint32_t)jint(v, "lifetime");
	b->expires_ms = t->now + (uint64_t)(left * 1000.0);
	if (json_object_get(v, "last_ts")) {
		b->has_ts = true;
		b->last_ts = (uint64_t)jint(v, "last_ts");
	}
	if (json_object_get(v, "last_seq")) {
		b->has_seq = true;
		b->last_seq = jint(v, "last_seq") & 0xffff;
	}
	json_array_foreach(json_object_get(v, "prefixes"), q, pv)
	{
		struct fm_prefix p;

		if (json_string_value(pv) && !fm_prefix_parse(json_string_value(pv), &p)) {
			bce_binding_add_prefix(b, &p);
			restore_prefix(l, &p);
		}
	}
	fm_timer_set(&b->timer, b->expires_ms, t->now);
}

static void load_flow(struct bce_mn *mn, const json_t *v)
{
	const char *action = json_string_value(json_object_get(v, "action"));
	enum ts_format fmt = jint(v, "format") == TS_FMT_IPV4 ? TS_FMT_IPV4 : TS_FMT_IPV6;
	struct fmc_flow f;
	char terr[128];
	size_t q;
	json_t *x;

	memset(&f, 0, sizeof(f));
	f.fid = jint(v, "fid") & 0xffff;
	f.priority = jint(v, "priority") & 0xffff;
	if (ts_from_json(json_object_get(v, "selector"), fmt, &f.ts, terr, sizeof(terr)))
		return;
	json_array_foreach(json_object_get(v, "bids"), q, x)
	{
		if (f.n_bids < FMC_MAX_BIDS)
			f.bids[f.n_bids++] = json_integer_value(x) & 0xffff;
	}
	json_array_foreach(json_object_get(v, "prefer_att"), q, x)
	{
		if (f.n_att < FM_DP_MAX_ATT)
			f.att[f.n_att++] = json_integer_value(x) & 0xff;
	}
	f.action = json_is_true(json_object_get(v, "action")) || (action && !strcmp(action, "drop"))
		       ? FM_DP_DROP
		       : FM_DP_FORWARD;
	f.origin = fmc_origin_parse(json_string_value(json_object_get(v, "origin")));
	if (!parse_addr(json_object_get(v, "signalled_mag"), &f.signalled_mag))
		f.signalled = true;
	fmc_add(&mn->fmc, &f);
}

static void load_mn(struct lma *l, const json_t *m, const struct load_time *t)
{
	const char *nai = json_string_value(json_object_get(m, "nai"));
	struct bce_mn *mn;
	const char *key;
	json_t *v;
	size_t k;

	if (!nai)
		return;
	mn = bce_mn_add(&l->bce, nai, (uint32_t)jint(m, "index"));
	if (!mn) {
		pr_warn("lma: saved MN %s not restored\n", nai);
		return;
	}
	json_array_foreach(json_object_get(m, "shared"), k, v)
	{
		struct fm_prefix p;

		if (!fm_prefix_parse(json_string_value(v) ? json_string_value(v) : "", &p) &&
		    mn->n_shared < BCE_MAX_PREFIXES) {
			mn->shared[mn->n_shared++] = p;
			restore_prefix(l, &p);
		}
	}
	json_object_foreach(json_object_get(m, "att_bid"), key, v)
	{
		int a = atoi(key);

		if (a >= 0 && a < 256)
			mn->att_bid[a] = (uint16_t)json_integer_value(v);
	}
	json_array_foreach(json_object_get(m, "bindings"), k, v)
	{
		load_binding(l, mn, v, t);
	}
	json_array_foreach(json_object_get(m, "flows"), k, v)
	{
		load_flow(mn, v);
	}
}

int lma_state_load(struct lma *l, uint64_t now)
{
	struct load_time t = {.now = now};
	struct timespec wt;
	json_t *o, *m;
	size_t i;
	int rc;

	if (!l->cfg->state_dir[0])
		return -ENOENT;
	rc = fm_state_load(l->cfg->state_dir, LMA_STATE_NAME, &o);
	if (rc)
		return rc; /* none (a first start), or unreadable (logged and kept aside) */
	if (jint(o, "version") != LMA_STATE_VERSION) {
		pr_err("lma: saved state in %s has an unknown version, ignored\n",
		       l->cfg->state_dir);
		json_decref(o);
		return -EINVAL;
	}
	fm_wall(&wt);
	t.wall = (double)wt.tv_sec + wt.tv_nsec / 1e9;
	l->restart_counter = (uint32_t)jint(o, "restart_counter");
	l->seq = (uint16_t)jint(o, "seq");
	l->hb_seq = (uint32_t)jint(o, "hb_seq");
	json_array_foreach(json_object_get(o, "mobile_nodes"), i, m)
	{
		load_mn(l, m, &t);
	}
	json_decref(o);
	return 0;
}

/* ---- reconciliation with the data plane (start) ---------------------------------------- */

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
			lma_binding_timer_init(l, b);
			b->mag = d->coa;
			b->state = d->down ? BCE_PEER_DOWN : BCE_ACTIVE;
			b->lifetime_s = LMA_ADOPT_LIFETIME_S;
			b->expires_ms = r->now + LMA_ADOPT_LIFETIME_S * 1000;
			fm_timer_set(&b->timer, b->expires_ms, r->now);
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

	if (mn && (bce_prefix_holder(mn, &p) || lma_mn_shares(mn, &p)))
		return;
	if (mn && (b = bce_binding_find(mn, default_bid)) && !b->n_pfx) {
		bce_binding_add_prefix(b, &p); /* an adopted binding's prefix */
		restore_prefix(l, &p);
		return;
	}
	DP(l, prefix_del, a, plen);
	r->removed++;
}

void lma_reconcile(struct lma *l, uint64_t now)
{
	struct recon r = {.l = l, .now = now};
	struct bce_mn *mn, *next;

	if (l->h.dp && l->h.dp->bindings_foreach)
		l->h.dp->bindings_foreach(l->h.dp_ctx, recon_binding, &r);
	if (l->h.dp && l->h.dp->prefixes_foreach)
		l->h.dp->prefixes_foreach(l->h.dp_ctx, recon_prefix, &r);
	TAILQ_FOREACH_SAFE(mn, &l->bce.mns, link, next)
	{
		lma_dp_sync_mn(l, mn);
		lma_mn_maybe_free(l, mn);
	}
	if (r.adopted || r.removed)
		pr_info("lma: reconciled with the data plane: %u adopted, %u removed\n", r.adopted,
			r.removed);
}
