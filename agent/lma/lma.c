// SPDX-License-Identifier: GPL-2.0
/*
 * lma.c — the Local Mobility Anchor's entry: life cycle (lma_new, lma_start,
 * lma_reload, lma_free), the receive dispatch (lma_rx: each message decoded once
 * into its typed view and handed to its layer), and the timer wheel every LMA
 * timer lives on (lma_tick for tests). Socket-free: see lma.h.
 *
 * Layer: the top of agent/lma/ (below only lma_daemon.c); calls registration
 * (lma_reg.c), peers (lma_peer.c), flow mobility (lma_flow.c), persistence
 * (lma_state.c) and lma_base.c, and binds the timers owned at this level.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "lma/lma_flow.h"
#include "lma/lma_peer.h"
#include "lma/lma_reg.h"
#include "lma/lma_state.h"
#include "mh/view.h"

/* ---- receive dispatch ------------------------------------------------------------------ */

static void rx_heartbeat(struct lma *l, const struct mh_msg *m, struct lma_peer *p, uint64_t now)
{
	struct hb_view v;

	if (!p) {
		l->rx_ignored++; /* not a configured MAG */
		return;
	}
	hb_view_build(&v, m);
	lma_handle_heartbeat(l, p, &v, now);
}

static void rx_answer(struct lma *l, const struct mh_msg *m, const struct in6_addr *src,
		      struct lma_peer *p, uint64_t now)
{
	union {
		struct fma_view fma;
		struct bra_view bra;
		struct upa_view upa;
	} v;

	switch (m->kind) {
	case MH_FMA:
		fma_view_build(&v.fma, m);
		lma_handle_fma(l, &v.fma, src, now);
		return;
	case MH_BRA:
		bra_view_build(&v.bra, m);
		lma_handle_bra(l, &v.bra, src);
		return;
	case MH_UPA:
		upa_view_build(&v.upa, m);
		lma_handle_upa(l, &v.upa, src);
		return;
	case MH_BE:
		if (p)
			lma_peer_binding_error(l, p, m->status, now);
		else
			l->rx_ignored++;
		return;
	default:
		l->rx_ignored++; /* PBA, BRI, FMI, UPN: not for an LMA */
		return;
	}
}

void lma_rx(struct lma *l, const struct mh_msg *m, const struct in6_addr *src, uint64_t now)
{
	struct lma_peer *p = lma_peer_find(l, src);

	if (m->kind < MH_KIND_COUNT)
		l->rx[m->kind]++;
	if (p && m->kind != MH_HEARTBEAT)
		lma_peer_seen(l, p, m->kind, now);
	if (m->kind == MH_PBU)
		lma_handle_pbu(l, m, src, now);
	else if (m->kind == MH_HEARTBEAT)
		rx_heartbeat(l, m, p, now);
	else
		rx_answer(l, m, src, p, now);
}

void lma_rx_fault(struct lma *l, const struct in6_addr *src, enum fm_mh_fault f)
{
	lma_peer_fault(l, src, f);
}

/* ---- timers ---------------------------------------------------------------------------------- */

void lma_tick(struct lma *l, uint64_t now)
{
	fm_timers_run(&l->timers, now);
}

uint64_t lma_next_due(const struct lma *l)
{
	return fm_timers_next(&l->timers);
}

/* ---- life cycle --------------------------------------------------------------------------------
 */

/* max-mns and what follows from it, within what the data plane's maps hold (maps
 * pinned by an earlier run keep their size). */
static int lma_set_capacity(struct lma *l)
{
	uint32_t mns = l->cfg->max_mns ? l->cfg->max_mns : BCE_MAX_MNS;
	uint32_t nb = 2 * mns, np = 3 * mns;
	struct fm_dp_limits dl;

	if (l->h.dp && l->h.dp->limits && !l->h.dp->limits(l->h.dp_ctx, &dl)) {
		if (dl.mns < mns || dl.bindings < nb || dl.prefixes < np)
			pr_warn(
			    "lma: the data plane's maps (pinned by an earlier run?) hold %u MNs, "
			    "%u bindings, %u prefixes; max-mns %u asks for more: using theirs "
			    "(flowmobd --cleanup resizes them)\n",
			    dl.mns, dl.bindings, dl.prefixes, mns);
		mns = mns < dl.mns ? mns : dl.mns;
		nb = nb < dl.bindings ? nb : dl.bindings;
		np = np < dl.prefixes ? np : dl.prefixes;
	}
	pr_info("lma: capacity %u mobile nodes, %u bindings, %u prefixes\n", mns, nb, np);
	return bce_set_limits(&l->bce, mns, nb, np);
}

struct lma *lma_new(const struct fm_config *cfg, const struct lma_hooks *hooks)
{
	struct lma *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (bce_init(&l->bce, &cfg->lma.prefix_pool.addr, cfg->lma.prefix_pool.plen)) {
		free(l);
		return NULL;
	}
	l->cfg = cfg;
	l->h = *hooks;
	if (lma_set_capacity(l)) {
		bce_destroy(&l->bce);
		free(l);
		return NULL;
	}
	fm_timers_init(&l->timers, hooks->loop);
	LIST_INIT(&l->txns);
	LIST_INIT(&l->parked);
	LIST_INIT(&l->holds);
	return l;
}

void lma_free(struct lma *l)
{
	struct bce_mn *mn;

	if (!l)
		return;
	lma_flow_fini(l);
	lma_reg_fini(l);
	TAILQ_FOREACH(mn, &l->bce.mns, link)
	{
		for (unsigned i = 0; i < mn->n_b; i++)
			fm_timer_stop(&mn->b[i]->timer);
	}
	for (int i = 0; i < l->n_peers; i++)
		fm_timer_stop(&l->peers[i].timer);
	fm_timers_fini(&l->timers);
	bce_destroy(&l->bce);
	lma_state_close(l);
	free(l->marks);
	json_decref(l->import);
	free(l);
}

int lma_import(struct lma *l, json_t *doc)
{
	json_decref(l->import);
	l->import = doc;
	return 0;
}

int lma_start(struct lma *l, uint64_t now)
{
	int rc = lma_state_open(l, l->import, now);

	json_decref(l->import);
	l->import = NULL;
	if (rc && rc != -ENOENT) {
		/* acknowledging what cannot be made durable would be a lie */
		pr_err("lma: the state store cannot be used (%s)\n", strerror(-rc));
		return rc;
	}
	l->restart_counter++;
	lma_mark_dirty(l);
	lma_reconcile(l, now);
	lma_peers_apply(l, now);
	rc = lma_state_save(l);
	if (rc) {
		pr_err("lma: cannot commit the restart counter (%s)\n", strerror(-rc));
		return rc;
	}
	pr_info("lma: started, restart counter %u, %u MNs, %u bindings\n", l->restart_counter,
		l->bce.n_mns, l->bce.n_bindings);
	return 0;
}

/* ---- reload
 * ------------------------------------------------------------------------------------------ */

/* Deletes the MN's bindings for which keep() says no; false when the MN went with them.
 * announce: the reason of the deregistration event for each (NULL: no event). */
static bool drop_bindings(struct lma *l, struct bce_mn *mn,
			  bool (*keep)(struct lma *, const struct bce_binding *),
			  const char *announce, uint64_t now)
{
	for (unsigned i = 0; i < mn->n_b;) {
		bool last = mn->n_b == 1;

		if (keep(l, mn->b[i])) {
			i++;
			continue;
		}
		if (announce) {
			json_t *o = lma_ev_fields(mn, mn->b[i]);

			json_object_set_new(o, "reason", json_string(announce));
			lma_emit(l, "deregistration", o);
		}
		lma_binding_delete(l, mn->b[i], now); /* may free mn */
		if (last)
			return false;
	}
	return true;
}

static bool via_allowed_mag(struct lma *l, const struct bce_binding *b)
{
	return lma_peer_find(l, &b->mag) != NULL;
}

static bool mn_allowed(struct lma *l, const struct bce_binding *b)
{
	const struct fm_cfg_lma_mn *mc = lma_mn_cfg(l, b->mn->nai);

	return !(mc && mc->deny);
}

/* What changed, applied to one MN: bindings through MAGs no longer allowed go away,
 * the placement policies are re-applied, a now denied MN loses its bindings. */
static void reload_mn(struct lma *l, struct bce_mn *mn, uint64_t now)
{
	if (!drop_bindings(l, mn, via_allowed_mag, "peer-removed", now))
		return;
	lma_apply_policies(l, mn);
	lma_replace_flows(l, mn, now);
	drop_bindings(l, mn, mn_allowed, NULL, now);
}

static bool peer_in(const struct fm_config *c, const struct in6_addr *a)
{
	for (int j = 0; j < c->lma.n_mags; j++)
		if (!memcmp(&c->lma.mags[j], a, 16))
			return true;
	return false;
}

/* A MAG left the configuration: it is told (global BRI, RFC 5846), logged and
 * announced; reload_mn then deletes its bindings. */
static void peer_removed(struct lma *l, const struct lma_peer *p, uint64_t now)
{
	const struct bce_mn *mn;
	char b[INET6_ADDRSTRLEN];
	unsigned n = 0;
	json_t *o;

	TAILQ_FOREACH(mn, &l->bce.mns, link)
	{
		for (unsigned j = 0; j < mn->n_b; j++)
			n += !memcmp(&mn->b[j]->mag, &p->addr, 16);
	}
	inet_ntop(AF_INET6, &p->addr, b, sizeof(b));
	pr_warn("lma: MAG %s removed from the configuration: its %u binding(s) revoked\n", b, n);
	o = json_object();
	json_object_set_new(o, "mag", json_string(b));
	json_object_set_new(o, "bindings", json_integer(n));
	lma_emit(l, "peer-removed", o);
	if (n)
		lma_send_global_bri(l, &p->addr, LMA_BRI_TRIGGER_PEER_POLICY, now);
}

int lma_reload(struct lma *l, const struct fm_config *next, uint64_t now)
{
	const struct fm_config *running = l->cfg;
	struct bce_mn *mn, *nmn;

	/* what may change at run time is read from next while the LMA adapts to it;
	 * addresses, interfaces and the pool need a restart (main.c keeps them) */
	for (int i = 0; i < l->n_peers; i++)
		if (!peer_in(next, &l->peers[i].addr))
			peer_removed(l, &l->peers[i], now);
	if (next->lma.flow_signaling != running->lma.flow_signaling)
		lma_flow_signaling_changed(l, next->lma.flow_signaling, now);
	l->cfg = next;
	lma_peers_apply(l, now);
	TAILQ_FOREACH_SAFE(mn, &l->bce.mns, link, nmn)
	{
		reload_mn(l, mn, now);
	}
	lma_mark_all(l);  /* rare: every record written again */
	l->cfg = running; /* the caller installs next there (main.c: *cur = *next) */
	return 0;
}

/* ---- read-only access
 * ---------------------------------------------------------------------------------- */

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
	if (kind >= MH_KIND_COUNT)
		return 0;
	return dir == LMA_RX ? l->rx[kind] : l->tx[kind];
}

uint64_t lma_status_counter(const struct lma *l, enum mh_kind kind, uint8_t status)
{
	return kind >= MH_KIND_COUNT ? 0 : l->status[kind][status];
}
