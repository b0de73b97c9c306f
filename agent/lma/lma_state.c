// SPDX-License-Identifier: GPL-2.0
/*
 * lma_state.c — the LMA's persistence: the state store (core/store.h; restart
 * counter, MNs, bindings, flows as separate records), written incrementally from
 * the marks the layers below leave (lma_base.c: lma_mark_*) in one transaction per
 * lma_state_save (the daemon's commit point: once per event-loop iteration, before
 * the acknowledgements leave); the export/import document (the former state file,
 * with its own serializer: no data-plane counters read) and the one-time migration
 * of that file; at start, the load and the reconciliation with what the data plane
 * still holds.
 *
 * Layer: above registration (lma_reg.c: binding timers) and lma_base.c; called by
 * lma.c (and lma_state_save/lma_state_export through lma.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <limits.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/state.h"
#include "core/store.h"
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

/* The MN's own record: NAI, index, shared prefixes, the BID last used per ATT. */
static json_t *mn_record(const struct bce_mn *mn)
{
	json_t *m = json_object(), *sh = json_array(), *ab = json_object();

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
	return m;
}

/* The MN with its bindings and flows (the export format). */
static json_t *mn_state(const struct bce_mn *mn, uint64_t now, double wall)
{
	json_t *m = mn_record(mn), *bs = json_array(), *fs = json_array();

	for (unsigned i = 0; i < mn->n_b; i++)
		json_array_append_new(bs, binding_state(mn->b[i], now, wall));
	json_object_set_new(m, "bindings", bs);
	for (unsigned i = 0; i < mn->fmc.n; i++)
		json_array_append_new(fs, flow_state(&mn->fmc.flows[i]));
	json_object_set_new(m, "flows", fs);
	return m;
}

static double wall_now(void)
{
	struct timespec wt;

	fm_wall(&wt);
	return (double)wt.tv_sec + wt.tv_nsec / 1e9;
}

/* The state file's JSON (its own format: docs/lma.md). */
static json_t *state_json(struct lma *l, uint64_t now)
{
	json_t *o = json_object(), *mns = json_array();
	const struct bce_mn *mn;
	double wall = wall_now();

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

static struct bce_mn *load_mn(struct lma *l, const json_t *m, const struct load_time *t)
{
	const char *nai = json_string_value(json_object_get(m, "nai"));
	struct bce_mn *mn;
	const char *key;
	json_t *v;
	size_t k;

	if (!nai)
		return NULL;
	mn = bce_mn_add(&l->bce, nai, (uint32_t)jint(m, "index"));
	if (!mn) {
		pr_warn("lma: saved MN %s not restored\n", nai);
		return NULL;
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
	return mn;
}

/* ---- the state store: record layout ------------------------------------------------------
 *
 *   global   "lma"                 {"version", "restart_counter", "seq", "hb_seq"}
 *   mn       NAI                   {"nai", "index", "shared", "att_bid"}
 *   binding  NAI \0 BID (5 digits) a binding as in the export ("expires": wall clock)
 *   flow     NAI \0 FID (5 digits) a flow cache entry as in the export
 */
enum { T_GLOBAL, T_MN, T_BINDING, T_FLOW };
static const char *const lma_tables[] = {"global", "mn", "binding", "flow", NULL};

#define KEY_MAX (FM_NAI_MAX + 8)

static size_t sub_key(char *k, const char *nai, unsigned id)
{
	size_t n = strlen(nai);

	memcpy(k, nai, n);
	k[n] = 0;
	snprintf(k + n + 1, KEY_MAX - n - 1, "%05u", id);
	return n + 6;
}

static int put_rec(struct fm_store *s, int table, const void *key, size_t klen, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	int r = text ? fm_store_put(s, table, key, klen, text, strlen(text)) : -ENOMEM;

	free(text);
	json_decref(v);
	return r;
}

struct keys {
	char (*k)[KEY_MAX];
	size_t *len;
	unsigned n, cap;
};

static int collect_key(void *arg, const void *key, size_t klen, const void *v, size_t vl)
{
	struct keys *ks = arg;

	(void)v;
	(void)vl;
	if (klen > KEY_MAX)
		return 0;
	if (ks->n == ks->cap) {
		unsigned cap = ks->cap ? ks->cap * 2 : 16;
		void *a = realloc(ks->k, cap * sizeof(*ks->k)), *b;

		if (!a)
			return -ENOMEM;
		ks->k = a;
		b = realloc(ks->len, cap * sizeof(*ks->len));
		if (!b)
			return -ENOMEM;
		ks->len = b;
		ks->cap = cap;
	}
	memcpy(ks->k[ks->n], key, klen);
	ks->len[ks->n++] = klen;
	return 0;
}

/* Deletes the records of one MN in a per-MN table (keys collected first). */
static int del_sub(struct fm_store *s, int table, const char *nai)
{
	struct keys ks = {0};
	int r = fm_store_iterate(s, table, nai, strlen(nai) + 1, collect_key, &ks);

	for (unsigned i = 0; !r && i < ks.n; i++)
		r = fm_store_del(s, table, ks.k[i], ks.len[i]);
	free(ks.k);
	free(ks.len);
	return r;
}

static int put_binding(struct fm_store *s, const struct bce_binding *b, uint64_t now, double wall)
{
	char k[KEY_MAX];
	size_t n = sub_key(k, b->mn->nai, b->bid);

	return put_rec(s, T_BINDING, k, n, binding_state(b, now, wall));
}

/* The MN's records as they are now; fresh: the tables hold nothing of it. */
static int put_mn(struct fm_store *s, const struct bce_mn *mn, bool fresh, uint64_t now,
		  double wall)
{
	int r = 0;

	if (!fresh) {
		r = del_sub(s, T_BINDING, mn->nai);
		if (!r)
			r = del_sub(s, T_FLOW, mn->nai);
	}
	if (!r)
		r = put_rec(s, T_MN, mn->nai, strlen(mn->nai), mn_record(mn));
	for (unsigned i = 0; !r && i < mn->n_b; i++)
		r = put_binding(s, mn->b[i], now, wall);
	for (unsigned i = 0; !r && i < mn->fmc.n; i++) {
		char k[KEY_MAX];
		size_t n = sub_key(k, mn->nai, mn->fmc.flows[i].fid);

		r = put_rec(s, T_FLOW, k, n, flow_state(&mn->fmc.flows[i]));
	}
	return r;
}

static int del_mn(struct fm_store *s, const char *nai)
{
	int r = fm_store_del(s, T_MN, nai, strlen(nai));

	if (!r)
		r = del_sub(s, T_BINDING, nai);
	if (!r)
		r = del_sub(s, T_FLOW, nai);
	return r;
}

static int put_global(struct lma *l)
{
	json_t *o = json_pack("{s:i, s:I, s:i, s:I}", "version", LMA_STATE_VERSION,
			      "restart_counter", (json_int_t)l->restart_counter, "seq", l->seq,
			      "hb_seq", (json_int_t)l->hb_seq);

	return put_rec(l->store, T_GLOBAL, "lma", 3, o);
}

static int write_marked(struct lma *l, uint64_t now, double wall)
{
	struct fm_store *s = l->store;
	uint32_t gen = ++l->persist_gen;
	struct bce_mn *mn;
	int r = 0;

	if (l->mark_all) {
		r = fm_store_clear(s, T_MN);
		if (!r)
			r = fm_store_clear(s, T_BINDING);
		if (!r)
			r = fm_store_clear(s, T_FLOW);
		TAILQ_FOREACH(mn, &l->bce.mns, link)
		{
			if (r)
				break;
			r = put_mn(s, mn, true, now, wall);
		}
		return r ? r : put_global(l);
	}
	for (unsigned i = 0; !r && i < l->n_marks; i++) {
		const struct lma_mark *k = &l->marks[i];
		struct bce_binding *b;

		mn = bce_mn_find(&l->bce, k->nai);
		if (!mn) {
			r = del_mn(s, k->nai);
			continue;
		}
		if (mn->persist_gen == gen)
			continue; /* written whole in this transaction already */
		b = k->bid ? bce_binding_find(mn, k->bid) : NULL;
		if (b) {
			r = put_binding(s, b, now, wall); /* a refresh: this binding only */
			continue;
		}
		mn->persist_gen = gen;
		r = put_mn(s, mn, false, now, wall);
	}
	if (!r && l->mark_global)
		r = put_global(l);
	return r;
}

static void marks_clear(struct lma *l)
{
	l->n_marks = 0;
	l->mark_all = l->mark_global = false;
}

bool lma_state_pending(const struct lma *l)
{
	return l->store && (l->n_marks || l->mark_all || l->mark_global);
}

int lma_state_save(struct lma *l)
{
	int r;

	if (!l->store) {
		marks_clear(l);
		return 0;
	}
	if (!lma_state_pending(l))
		return 0;
	r = fm_store_begin(l->store);
	if (!r)
		r = write_marked(l, fm_now_ms(), wall_now());
	if (r) {
		fm_store_abort(l->store);
		pr_err("lma: writing the state store failed: %s\n", strerror(-r));
		return r; /* the marks stay: tried again with the next commit */
	}
	r = fm_store_commit(l->store);
	if (r) {
		pr_err("lma: committing the state store failed: %s\n", strerror(-r));
		return r;
	}
	marks_clear(l);
	return 0;
}

json_t *lma_state_export(struct lma *l)
{
	return state_json(l, fm_now_ms());
}

/* ---- loading: from an export document (import, migration) or from the store ------------------ */

/* Restores a document in the export format; every MN is then written to the store. */
static int load_json(struct lma *l, const json_t *o, uint64_t now)
{
	struct load_time t = {.now = now, .wall = wall_now()};
	json_t *m;
	size_t i;

	if (!json_is_object(o) || jint(o, "version") != LMA_STATE_VERSION)
		return -EINVAL;
	l->restart_counter = (uint32_t)jint(o, "restart_counter");
	l->seq = (uint16_t)jint(o, "seq");
	l->hb_seq = (uint32_t)jint(o, "hb_seq");
	json_array_foreach(json_object_get(o, "mobile_nodes"), i, m)
	{
		load_mn(l, m, &t);
	}
	l->mark_all = true;
	return 0;
}

struct store_load {
	struct lma *l;
	struct load_time t;
	unsigned mns, bindings, flows;
};

static int append_rec(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	json_t *v = json_loadb(val, vlen, 0, NULL);

	(void)key;
	(void)klen;
	if (v)
		json_array_append_new(arg, v);
	return 0;
}

/* One MN record: its bindings and flows are fetched by the NAI prefix, then it is
 * restored as an export's MN would be. */
static int load_mn_rec(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct store_load *sl = arg;
	struct lma *l = sl->l;
	json_t *m = json_loadb(val, vlen, 0, NULL), *bs = json_array(), *fs = json_array();
	char nai[FM_NAI_MAX + 2];
	struct bce_mn *mn;

	if (!m || klen > FM_NAI_MAX) {
		json_decref(m);
		json_decref(bs);
		json_decref(fs);
		return 0;
	}
	memcpy(nai, key, klen);
	nai[klen] = 0;
	fm_store_iterate(l->store, T_BINDING, nai, klen + 1, append_rec, bs);
	fm_store_iterate(l->store, T_FLOW, nai, klen + 1, append_rec, fs);
	json_object_set_new(m, "bindings", bs);
	json_object_set_new(m, "flows", fs);
	mn = load_mn(l, m, &sl->t);
	if (!mn || mn->n_b != json_array_size(bs) || mn->fmc.n != json_array_size(fs))
		lma_mark_nai(l, nai, 0); /* what was not restored goes */
	sl->mns += mn != NULL;
	sl->bindings += mn ? mn->n_b : 0;
	sl->flows += mn ? mn->fmc.n : 0;
	json_decref(m);
	return 0;
}

static int load_store(struct lma *l, uint64_t now)
{
	struct store_load sl = {.l = l, .t = {.now = now, .wall = wall_now()}};
	json_t *g = fm_store_get_json(l->store, T_GLOBAL, "lma");
	int r;

	if (!g)
		return -ENOENT;
	if (jint(g, "version") != LMA_STATE_VERSION) {
		json_decref(g);
		pr_err("lma: the state store has an unknown version, not used\n");
		return -EINVAL;
	}
	l->restart_counter = (uint32_t)jint(g, "restart_counter");
	l->seq = (uint16_t)jint(g, "seq");
	l->hb_seq = (uint32_t)jint(g, "hb_seq");
	json_decref(g);
	r = fm_store_iterate(l->store, T_MN, NULL, 0, load_mn_rec, &sl);
	pr_info("lma: state store: %u MNs, %u bindings, %u flows restored\n", sl.mns, sl.bindings,
		sl.flows);
	return r;
}

/* Today's state file (before the store): imported once, then renamed aside. */
static int migrate_file(struct lma *l, uint64_t now)
{
	char path[PATH_MAX], aside[PATH_MAX + 16];
	json_t *o;
	int r = fm_state_load(l->cfg->state_dir, LMA_STATE_NAME, &o);

	if (r)
		return r;
	r = load_json(l, o, now);
	json_decref(o);
	snprintf(path, sizeof(path), "%s/%s.json", l->cfg->state_dir, LMA_STATE_NAME);
	if (r) {
		pr_err("lma: %s is not an LMA state file, not imported\n", path);
		return r;
	}
	r = lma_state_save(l);
	if (r)
		return r;
	snprintf(aside, sizeof(aside), "%s.migrated", path);
	if (rename(path, aside))
		pr_warn("lma: cannot rename %s: %s\n", path, strerror(errno));
	pr_info("lma: imported %s into the state store (%u MNs, %u bindings); the file is now "
		"%s\n",
		path, l->bce.n_mns, l->bce.n_bindings, aside);
	return 0;
}

int lma_state_open(struct lma *l, const json_t *import, uint64_t now)
{
	char path[PATH_MAX];
	int r;

	if (!l->cfg->state_dir[0]) {
		if (import)
			return load_json(l, import, now);
		return -ENOENT;
	}
	r = fm_mkdir_p(l->cfg->state_dir, 0700);
	if (r) {
		pr_err("lma: cannot create %s: %s\n", l->cfg->state_dir, strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/%s.mdb", l->cfg->state_dir, LMA_STATE_NAME);
	r = fm_store_open_lmdb(path, lma_tables, &l->store);
	if (r)
		return r;
	if (import) {
		r = load_json(l, import, now); /* replaces what the store held */
		if (r)
			pr_err("lma: the imported document is not an LMA state export\n");
		else
			pr_info("lma: imported %u MNs, %u bindings\n", l->bce.n_mns,
				l->bce.n_bindings);
		return r;
	}
	if (fm_store_table_empty(l->store, T_GLOBAL)) {
		r = migrate_file(l, now);
		return r == -ENOENT ? -ENOENT : r;
	}
	return load_store(l, now);
}

void lma_state_close(struct lma *l)
{
	fm_store_close(l->store);
	l->store = NULL;
}

/* ---- reconciliation with the data plane (start) ---------------------------------------- */

/* Reconciliation: the pinned maps are what the data plane does right now. What
 * goes is collected during the walks and deleted after them: deleting from a hash
 * map while walking it with get_next_key restarts the walk (quadratic). */
struct recon_del {
	uint32_t mnidx;
	uint16_t bid;
	struct in6_addr addr;
	uint8_t plen;
};

struct recon {
	struct lma *l;
	uint64_t now;
	unsigned adopted, removed;
	struct recon_del *del;
	unsigned n_del, cap_del;
	bool oom;
};

static void recon_drop(struct recon *r, const struct recon_del *d)
{
	if (r->n_del == r->cap_del) {
		unsigned cap = r->cap_del ? r->cap_del * 2 : 256;
		struct recon_del *a = realloc(r->del, cap * sizeof(*a));

		if (!a) {
			r->oom = true;
			return;
		}
		r->del = a;
		r->cap_del = cap;
	}
	r->del[r->n_del++] = *d;
}

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
		/* programmed but never acknowledged (the commit did not happen): adopt it
		 * until its MAG refreshes it */
		mn->att_bid[d->att] = bid;
		b = bce_binding_add(&l->bce, mn, d->att);
		if (b && b->bid == bid) {
			lma_binding_timer_init(l, b);
			b->mag = d->coa;
			b->state = d->down ? BCE_PEER_DOWN : BCE_ACTIVE;
			b->lifetime_s = LMA_ADOPT_LIFETIME_S;
			b->expires_ms = r->now + LMA_ADOPT_LIFETIME_S * 1000;
			fm_timer_set(&b->timer, b->expires_ms, r->now);
			lma_mark_mn(l, mn);
			r->adopted++;
			return;
		}
		if (b)
			bce_binding_del(&l->bce, b);
	}
	recon_drop(r, &(struct recon_del){.mnidx = mnidx, .bid = bid});
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
		lma_mark_mn(l, mn);
		return;
	}
	recon_drop(r, &(struct recon_del){.addr = *a, .plen = plen});
}

void lma_reconcile(struct lma *l, uint64_t now)
{
	struct recon r = {.l = l, .now = now};
	struct bce_mn *mn, *next;

	if (l->h.dp && l->h.dp->bindings_foreach)
		l->h.dp->bindings_foreach(l->h.dp_ctx, recon_binding, &r);
	if (l->h.dp && l->h.dp->prefixes_foreach)
		l->h.dp->prefixes_foreach(l->h.dp_ctx, recon_prefix, &r);
	for (unsigned i = 0; i < r.n_del; i++) {
		const struct recon_del *d = &r.del[i];

		if (d->bid)
			DP(l, binding_del, d->mnidx, d->bid);
		else
			DP(l, prefix_del, &d->addr, d->plen);
	}
	r.removed = r.n_del;
	free(r.del);
	if (r.oom)
		pr_warn("lma: out of memory while reconciling: some stray map entries stay\n");
	/* programming what was restored changes nothing in the store */
	l->marks_off = true;
	TAILQ_FOREACH(mn, &l->bce.mns, link)
	{
		lma_dp_sync_mn(l, mn);
	}
	l->marks_off = false;
	TAILQ_FOREACH_SAFE(mn, &l->bce.mns, link, next)
	{
		lma_mn_maybe_free(l, mn);
	}
	if (r.adopted || r.removed)
		pr_info("lma: reconciled with the data plane: %u adopted, %u removed\n", r.adopted,
			r.removed);
}
