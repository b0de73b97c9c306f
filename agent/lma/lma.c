// SPDX-License-Identifier: GPL-2.0
/*
 * lma.c — the Local Mobility Anchor's core: life cycle (lma_new, lma_start,
 * lma_reload, lma_free), the receive dispatch (lma_rx), timers, data-plane sync,
 * bindings, heartbeats with restart counters (RFC 5847) and PBU/PBA per RFC 5213
 * with several bindings per MN (LMA-allocated BIDs) and prefix assignment
 * (unique/shared/hybrid). Socket-free: see lma.h. The other parts of the LMA:
 * lma_flow.c (flow moves and the FMI/BRI/UPN transactions), lma_ctl.c (control
 * commands), lma_state.c (persistence); lma_int.h is what they share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "lma/lma_int.h"
#include "core/log.h"

/* ---- small helpers ------------------------------------------------------------ */

void lma_emit(struct lma *l, const char *name, json_t *fields)
{
	if (l->h.event)
		l->h.event(l->h.ctx, name, fields);
	else
		json_decref(fields);
}

json_t *lma_ev_fields(const struct bce_mn *mn, const struct bce_binding *b)
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

/* ---- timers ----------------------------------------------------------------- */

static void timer_ev_cb(struct ev_loop *loop, ev_timer *w, int revents);

void lma_timer_init(struct fm_timer *t, void (*fn)(void *, void *, uint64_t), void *obj)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->obj = obj;
}

static bool timer_linked(struct lma *l, struct fm_timer *t)
{
	return t->prev || l->timers == t;
}

void lma_timer_stop(struct lma *l, struct fm_timer *t)
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

void lma_timer_set(struct lma *l, struct fm_timer *t, uint64_t due, uint64_t now)
{
	lma_timer_stop(l, t);
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
	lma_timer_stop(l, t);
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

/* ---- data plane ------------------------------------------------------------------ */

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

/* Re-resolve the MN's FMC and push it in ONE rules_set call. */
void lma_push_rules(struct lma *l, struct bce_mn *mn)
{
	struct fm_dp_rule rules[FMC_MAX_FLOWS];
	unsigned n = fmc_to_rules(&mn->fmc, rules, FMC_MAX_FLOWS);

	if (DP(l, rules_set, mn->index, rules, n) < 0)
		pr_warn("lma: programming the rules of %s failed\n", mn->nai);
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

static void dp_binding(struct lma *l, struct bce_binding *b)
{
	struct fm_dp_binding d = {.coa = b->mag, .att = b->att, .down = !bce_binding_usable(b)};

	if (DP(l, binding_set, b->mn->index, b->bid, &d) < 0)
		pr_warn("lma: programming binding %s/%u failed\n", b->mn->nai, b->bid);
}

/* Point every prefix of the MN at its best holder. */
void lma_dp_prefixes(struct lma *l, struct bce_mn *mn)
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
void lma_dp_sync_mn(struct lma *l, struct bce_mn *mn)
{
	for (unsigned i = 0; i < mn->n_b; i++)
		dp_binding(l, mn->b[i]);
	lma_dp_prefixes(l, mn);
	lma_resolve_flows(l, mn);
	lma_push_rules(l, mn);
}

/* ---- bindings ----------------------------------------------------------------------- */

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
	bce_mn_del(&l->bce, mn);
}

bool lma_mn_shares(const struct bce_mn *mn, const struct fm_prefix *p)
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
	lma_timer_stop(l, &b->timer);
	DP(l, binding_del, mn->index, b->bid);
	bce_binding_del(&l->bce, b);
	for (unsigned i = 0; i < n; i++) {
		if (bce_prefix_holder(mn, &pf[i]))
			continue;
		if (lma_mn_shares(mn, &pf[i]) && mn->n_b)
			continue;
		if (!lma_mn_shares(mn, &pf[i])) {
			DP(l, prefix_del, &pf[i].addr, pf[i].plen);
			bce_pool_free(&l->bce, &pf[i]);
		}
	}
	lma_dp_prefixes(l, mn);
	lma_replace_flows(l, mn, now);
	lma_mn_maybe_free(l, mn);
	lma_mark_dirty(l);
}

void lma_binding_timeout(void *lp, void *obj, uint64_t now)
{
	struct lma *l = lp;
	struct bce_binding *b = obj;
	bool dereg = b->state == BCE_DEREG;

	lma_emit(l, dereg ? "deregistration" : "expiry", lma_ev_fields(b->mn, b));
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
	lma_emit(l, "peer-down", o);
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
			lma_dp_prefixes(l, mn);
			lma_rescue_flows(l, mn, now);
		}
	}
	lma_mark_dirty(l);
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
		lma_emit(l, "peer-up", o);
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
					lma_dp_prefixes(l, mn);
					lma_replace_flows(l, mn, now);
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
	lma_send_msg(l, &m, &p->addr);
	lma_timer_set(l, &p->timer, now + (uint64_t)iv * 1000, now);
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
		lma_send_msg(l, &r, &p->addr);
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
	/* RFC 5213 §8.2: the PBA carries the PBU's MN-ID, HNP, HI, ATT, LL-ID, Link-local
	 * Address and Timestamp options */
	static const uint8_t copy[] = {MH_OPT_MN_ID, MH_OPT_HNP, MH_OPT_HI,	   MH_OPT_ATT,
				       MH_OPT_LL_ID, MH_OPT_LLA, MH_OPT_TIMESTAMP, MH_OPT_GRE_KEY};

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
	lma_send_msg(l, pba, src);
	pr_info("lma: PBU from %s for %s rejected, status %u\n", a6(src, b), nai ? nai : "?",
		status);
	if (nai)
		json_object_set_new(o, "mn", json_string(nai));
	json_object_set_new(o, "mag", j_addr(src));
	json_object_set_new(o, "status", json_integer(status));
	lma_emit(l, "reject", o);
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
		lma_add_hnp(pba, &b->pfx[i]);
	lma_add_bid(pba, b->bid);
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
	lma_timer_stop(l, &h->timer);
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
		if (!mn || !(bce_prefix_holder(mn, &p) || lma_mn_shares(mn, &p))) {
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
			lma_timer_set(l, &b->timer, b->expires_ms, now);
			dp_binding(l, b);
			lma_dp_prefixes(l, mn);
			lma_replace_flows(l, mn, now);
			pba_finish(pba, b);
			lma_send_msg(l, pba, src);
			lma_emit(l, "deregistration", lma_ev_fields(mn, b));
			pr_info("lma: %s/%u de-registered by %s\n", nai, b->bid, a6(src, sb));
			hold_release(l, mn, b->bid, now);
		} else {
			/* no binding, or not this MAG's any more (after a handoff): ignore */
			lma_send_msg(l, pba, src);
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
		lma_timer_init(&h->timer, hold_timeout, h);
		h->next = l->holds;
		if (l->holds)
			l->holds->prev = h;
		l->holds = h;
		lma_timer_set(
		    l, &h->timer,
		    now + tmr(l->cfg->lma.timers.max_delay_before_new_bce_assign_ms, 1500), now);
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
				lma_mn_maybe_free(l, mn);
			pba_reject(l, pba, src, nai, PBA_INSUFFICIENT_RESOURCES);
			goto out;
		}
		is_new = true;
		b->registered_ms = now;
		lma_timer_init(&b->timer, lma_binding_timeout, b);
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
	lma_timer_set(l, &b->timer, b->expires_ms, now);

	pba->status = PBA_ACCEPTED;
	pba->lifetime = lifetime;
	l->cur_pba = pba;
	l->cur_binding = b;
	handle_pbu_flow_ids(l, m, mn, b, pba);
	if (changed) {
		dp_binding(l, b);
		lma_dp_prefixes(l, mn);
		lma_replace_flows(l, mn, now);
	} else if (mh_opt_find(m, MH_OPT_FLOW_ID, 0)) {
		lma_replace_flows(l, mn, now);
	} else {
		/* refresh: flows signalled to this MAG are refreshed with it */
		for (unsigned i = 0; i < mn->fmc.n; i++) {
			struct fmc_flow *f = &mn->fmc.flows[i];

			if (f->signalled && f->dp_bid == b->bid &&
			    !memcmp(&f->signalled_mag, src, 16) &&
			    l->cfg->lma.flow_signaling == FM_SIG_FMI)
				lma_send_fmi(l, TXN_FMI_REFRESH, mn, f, src, b, now);
		}
	}
	l->cur_pba = NULL;
	l->cur_binding = NULL;
	pba_finish(pba, b);
	lma_send_msg(l, pba, src);
	if (changed) {
		json_t *ev = lma_ev_fields(mn, b);

		json_object_set_new(ev, "hi", json_integer(b->hi));
		if (match == M_HANDOFF)
			json_object_set_new(ev, "handoff", json_true());
		lma_emit(l, "registration", ev);
	}
	if (changed)
		pr_info("lma: %s/%u registered via %s (ATT %u, HI %u)\n", nai, b->bid, a6(src, sb),
			b->att, b->hi);
	lma_mark_dirty(l);
out:
	free(pba);
}

/* Flow Identification options in a PBU: the MAG asks the LMA to consider rules. */

/* A Traffic Selector in a format the codec could not read is kept raw (mh.c). */
static bool raw_ts_present(const struct mh_flowid *q)
{
	for (int i = 0; i < q->n_raw; i++)
		if (q->raw[i].type == MH_FIDSUB_TS)
			return true;
	return false;
}

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
			st = raw_ts_present(q) ? FID_TS_FORMAT_UNSUPPORTED : FID_MALFORMED;
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
			json_t *e = lma_ev_fields(mn, NULL);

			json_object_set_new(e, "fid", json_integer(f.fid));
			json_object_set_new(e, "bid", json_integer(f.bids[0]));
			json_object_set_new(e, "origin", json_string("pbu"));
			lma_emit(l, "flow-add", e);
		}
	}
}

/* ---- receive dispatch ------------------------------------------------------------------ */

void lma_rx(struct lma *l, const struct mh_msg *m, const struct in6_addr *src, uint64_t now)
{
	struct lma_peer *p = peer_find(l, src);

	if (m->kind < MH_KIND_COUNT)
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
		lma_handle_fma(l, m, src, now);
		return;
	case MH_BRA:
		lma_handle_bra(l, m, src);
		return;
	case MH_UPA:
		lma_handle_upa(l, m, src);
		return;
	default:
		l->rx_ignored++; /* PBA, BRI, FMI, UPN, BE: not for an LMA */
		return;
	}
}

/* ---- life cycle -------------------------------------------------------------------------- */

static void peers_apply(struct lma *l, uint64_t now)
{
	struct lma_peer old[FM_CFG_MAX_MAGS];
	int n_old = l->n_peers;

	memcpy(old, l->peers, sizeof(old));
	for (int i = 0; i < n_old; i++)
		lma_timer_stop(l, &l->peers[i].timer);
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
		lma_timer_init(&p->timer, peer_hb_timer, p);
		DP(l, peer_set, &p->addr);
		if (l->cfg->lma.timers.heartbeat_interval_s)
			lma_timer_set(
			    l, &p->timer,
			    now + (uint64_t)l->cfg->lma.timers.heartbeat_interval_s * 1000, now);
	}
}

struct lma *lma_new(const struct fm_config *cfg, const struct lma_hooks *hooks)
{
	struct lma *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->cfg = malloc(sizeof(*cfg));
	if (!l->cfg || bce_init(&l->bce, &cfg->lma.prefix_pool.addr, cfg->lma.prefix_pool.plen)) {
		free(l->cfg);
		free(l);
		return NULL;
	}
	memcpy(l->cfg, cfg, sizeof(*cfg));
	l->h = *hooks;
	lma_timer_init(&l->save_timer, lma_save_timeout, NULL);
	return l;
}

void lma_free(struct lma *l)
{
	if (!l)
		return;
	while (l->txns)
		lma_txn_free(l, l->txns);
	while (l->holds)
		hold_free(l, l->holds);
	while (l->timers)
		lma_timer_stop(l, l->timers);
	bce_destroy(&l->bce);
	free(l->cfg);
	free(l);
}

int lma_start(struct lma *l, uint64_t now)
{
	int rc = lma_state_load(l, now);

	if (rc && rc != -ENOENT)
		pr_warn("lma: starting without saved state (%s)\n", strerror(-rc));
	l->restart_counter++;
	lma_reconcile(l, now);
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
				lma_emit(l, "expiry", lma_ev_fields(mn, mn->b[i]));
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
		lma_replace_flows(l, mn, now);
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
	lma_mark_dirty(l);
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
	if (kind >= MH_KIND_COUNT)
		return 0;
	return dir == LMA_RX ? l->rx[kind] : l->tx[kind];
}

uint64_t lma_status_counter(const struct lma *l, enum mh_kind kind, uint8_t status)
{
	return kind >= MH_KIND_COUNT ? 0 : l->status[kind][status];
}
