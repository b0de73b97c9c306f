// SPDX-License-Identifier: GPL-2.0
/*
 * lma_base.c — the LMA's lowest layer, above the caches (bce, fmc) and below
 * everything else: events and their common fields, sending with the signaling
 * counters, option builders, configuration lookups, the data-plane sync of one
 * MN (bindings, prefixes at their holders, flow rules in one call) and the state
 * store's change marks. Calls nothing above it (see lma_int.h for the layers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "lma/lma_int.h"
#include "mh/mh_json.h"

/* ---- events ------------------------------------------------------------------------ */

void lma_emit(struct lma *l, const char *name, json_t *fields)
{
	if (l->h.event)
		l->h.event(l->h.ctx, name, fields);
	else
		json_decref(fields);
}

void lma_binding_fields(json_t *o, const struct bce_binding *b)
{
	json_t *pf = json_array();

	json_object_set_new(o, "bid", json_integer(b->bid));
	json_object_set_new(o, "att", json_integer(b->att));
	json_object_set_new(o, "mag", j_addr(&b->mag));
	for (unsigned i = 0; i < b->n_pfx; i++)
		json_array_append_new(pf, j_prefix(&b->pfx[i]));
	json_object_set_new(o, "prefixes", pf);
}

json_t *lma_ev_fields(const struct bce_mn *mn, const struct bce_binding *b)
{
	json_t *o = json_object();

	if (mn)
		json_object_set_new(o, "mn", json_string(mn->nai));
	if (b)
		lma_binding_fields(o, b);
	return o;
}

void lma_flow_fields(json_t *o, const struct fmc_flow *f)
{
	json_t *bids = json_array(), *sel = ts_to_json(&f->ts);

	json_object_set_new(o, "fid", json_integer(f->fid));
	json_object_set_new(o, "priority", json_integer(f->priority));
	json_object_set_new(o, "selector", sel ? sel : json_object());
	for (unsigned i = 0; i < f->n_bids; i++)
		json_array_append_new(bids, json_integer(f->bids[i]));
	json_object_set_new(o, "bids", bids);
	json_object_set_new(o, "action", json_string(fmc_action_name(f->action)));
	json_object_set_new(o, "active", json_boolean(f->active));
	json_object_set_new(o, "origin", json_string(fmc_origin_name(f->origin)));
	if (f->n_att) {
		json_t *a = json_array();

		for (unsigned i = 0; i < f->n_att; i++)
			json_array_append_new(a, json_integer(f->att[i]));
		json_object_set_new(o, "prefer_att", a);
	}
}

json_t *lma_flow_json(struct lma *l, const struct bce_mn *mn, const struct fmc_flow *f)
{
	json_t *o = json_object();
	struct fm_dp_counters c = {0};

	DP(l, fid_counters, mn->index, f->fid, &c);
	json_object_set_new(o, "mn", json_string(mn->nai));
	lma_flow_fields(o, f);
	json_object_set_new(o, "packets", json_integer((json_int_t)c.packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)c.bytes));
	return o;
}

/* ---- sending --------------------------------------------------------------------------- */

bool lma_peer_authenticated(const struct lma *l, const struct in6_addr *peer)
{
	return l->h.authenticated && l->h.authenticated(l->h.ctx, peer);
}

void lma_send_msg(struct lma *l, const struct mh_msg *m, const struct in6_addr *dst)
{
	char b[INET6_ADDRSTRLEN];

	if (m->kind < MH_KIND_COUNT) {
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

void lma_add_mn_id(struct mh_msg *m, const char *nai)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_MN_ID);
	size_t n = strlen(nai);

	if (!o)
		return;
	o->mn_id.subtype = 1;
	o->mn_id.len = (uint8_t)(n > sizeof(o->mn_id.id) ? sizeof(o->mn_id.id) : n);
	memcpy(o->mn_id.id, nai, o->mn_id.len);
}

void lma_add_hnp(struct mh_msg *m, const struct fm_prefix *p)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_HNP);

	if (o) {
		o->hnp.plen = p->plen;
		o->hnp.prefix = p->addr;
	}
}

void lma_add_bid(struct mh_msg *m, uint16_t bid)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_BID);

	if (o) {
		o->bid.bid = bid;
		o->bid.priority = MH_BID_PRI_DEFAULT; /* RFC 6089 §4.1: 0 is reserved */
	}
}

void lma_add_flow_id(struct mh_msg *m, const struct fmc_flow *f, uint16_t bid, uint8_t status)
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

/* ---- configuration lookups ---------------------------------------------------------------- */

struct lma_peer *lma_peer_find(struct lma *l, const struct in6_addr *a)
{
	for (int i = 0; i < l->n_peers; i++)
		if (!memcmp(&l->peers[i].addr, a, sizeof(*a)))
			return &l->peers[i];
	return NULL;
}

const struct fm_cfg_lma_mn *lma_mn_cfg(const struct lma *l, const char *nai)
{
	for (int i = 0; i < l->cfg->lma.n_mobile_nodes; i++)
		if (!strcmp(l->cfg->lma.mobile_nodes[i].id, nai))
			return &l->cfg->lma.mobile_nodes[i];
	return NULL;
}

enum fm_prefix_policy lma_mn_policy(const struct lma *l, const char *nai)
{
	const struct fm_cfg_lma_mn *c = lma_mn_cfg(l, nai);

	if (c && c->prefix_policy != FM_PP_DEFAULT)
		return c->prefix_policy;
	return l->cfg->lma.prefix_policy;
}

uint32_t lma_max_lifetime(const struct lma *l)
{
	/* config.c keeps it within 4..65532; a PBU lifetime counts 4 s units */
	return l->cfg->lma.timers.max_lifetime_s & ~3u;
}

uint32_t lma_binding_left_s(const struct bce_binding *b, uint64_t now)
{
	return b->expires_ms > now ? (uint32_t)((b->expires_ms - now + 999) / 1000) : 0;
}

bool lma_mn_shares(const struct bce_mn *mn, const struct fm_prefix *p)
{
	for (unsigned i = 0; i < mn->n_shared; i++)
		if (fm_prefix_eq(&mn->shared[i], p))
			return true;
	return false;
}

/* ---- data plane ----------------------------------------------------------------------------- */

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
		o = lma_ev_fields(mn, NULL);
		json_object_set_new(o, "fid", json_integer(f->fid));
		if (f->active)
			json_object_set_new(o, "bid", json_integer(f->dp_bid));
		lma_emit(l, f->active ? "flow-active" : "flow-inactive", o);
	}
}

void lma_push_rules(struct lma *l, struct bce_mn *mn)
{
	lma_mark_mn(l, mn);
	struct fm_dp_rule rules[FMC_MAX_FLOWS];
	unsigned n = fmc_to_rules(&mn->fmc, rules, FMC_MAX_FLOWS);

	if (DP(l, rules_set, mn->index, rules, n) < 0) {
		l->dp_errors++;
		pr_warn("lma: programming the rules of %s failed\n", mn->nai);
	}
}

unsigned lma_resolve_flows(struct lma *l, struct bce_mn *mn)
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

void lma_dp_binding(struct lma *l, struct bce_binding *b)
{
	struct fm_dp_binding d = {.coa = b->mag, .att = b->att, .down = !bce_binding_usable(b)};

	lma_mark_binding(l, b);
	if (DP(l, binding_set, b->mn->index, b->bid, &d) < 0) {
		l->dp_errors++;
		pr_warn("lma: programming binding %s/%u failed\n", b->mn->nai, b->bid);
	}
}

void lma_dp_prefixes(struct lma *l, struct bce_mn *mn)
{
	lma_mark_mn(l, mn);
	for (unsigned i = 0; i < mn->n_b; i++)
		for (unsigned j = 0; j < mn->b[i]->n_pfx; j++) {
			const struct fm_prefix *p = &mn->b[i]->pfx[j];
			struct bce_binding *h = bce_prefix_holder(mn, p);

			if (h != mn->b[i])
				continue; /* programmed once, from its holder */
			if (DP(l, prefix_set, &p->addr, p->plen, mn->index, h->bid) < 0) {
				l->dp_errors++;
				pr_warn("lma: programming a prefix of %s failed\n", mn->nai);
			}
		}
}

void lma_dp_sync_mn(struct lma *l, struct bce_mn *mn)
{
	for (unsigned i = 0; i < mn->n_b; i++)
		lma_dp_binding(l, mn->b[i]);
	lma_dp_prefixes(l, mn);
	lma_resolve_flows(l, mn);
	lma_push_rules(l, mn);
}

void lma_mn_maybe_free(struct lma *l, struct bce_mn *mn)
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
	lma_mark_mn(l, mn); /* its records go */
	bce_mn_del(&l->bce, mn);
}

/* ---- persistence mark -------------------------------------------------------------------------
 */

void lma_mark_dirty(struct lma *l)
{
	l->mark_global = true;
}

void lma_mark_nai(struct lma *l, const char *nai, uint16_t bid)
{
	struct lma_mark *k;

	if (l->marks_off || l->mark_all)
		return;
	if (l->n_marks) {
		k = &l->marks[l->n_marks - 1];
		if (k->bid == bid && !strcmp(k->nai, nai))
			return; /* the same object again (one PBU marks it several times) */
	}
	if (l->n_marks == l->cap_marks) {
		unsigned cap = l->cap_marks ? l->cap_marks * 2 : 64;
		struct lma_mark *a = realloc(l->marks, cap * sizeof(*a));

		if (!a) {
			l->mark_all = true; /* rewrite everything rather than lose a change */
			return;
		}
		l->marks = a;
		l->cap_marks = cap;
	}
	k = &l->marks[l->n_marks++];
	k->bid = bid;
	snprintf(k->nai, sizeof(k->nai), "%s", nai);
}

void lma_mark_all(struct lma *l)
{
	l->mark_all = true;
	l->n_marks = 0;
}

void lma_mark_mn(struct lma *l, const struct bce_mn *mn)
{
	lma_mark_nai(l, mn->nai, 0);
}

void lma_mark_binding(struct lma *l, const struct bce_binding *b)
{
	lma_mark_nai(l, b->mn->nai, b->bid);
}
