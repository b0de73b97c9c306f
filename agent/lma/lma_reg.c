// SPDX-License-Identifier: GPL-2.0
/*
 * lma_reg.c — the LMA's registration layer: a Proxy Binding Update, decoded once
 * into a pbu_view, becomes binding cache changes and a PBA (RFC 5213 §5.3, with
 * several bindings per MN named by LMA-allocated BIDs, prefix assignment by the
 * unique/shared/hybrid policies, HI-4 PBUs held for MaxDelayBeforeNewBCEAssign,
 * timestamp or sequence-number ordering), and binding lifetimes.
 *
 * Layer: above flow mobility (lma_flow.c), lma_base.c and the caches; called by
 * lma.c and lma_state.c. process_pbu() reads as the steps of §5.3: check, match
 * the binding, check ordering, then de-register, hold or register.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mh/mh_status.h"
#include "core/clock.h"
#include "core/log.h"
#include "lma/lma_flow.h"
#include "core/nai.h"
#include "lma/lma_reg.h"
#include "mh/auth.h"
#include "mh/view.h"
#include "proto/seq.h"

enum match {
	M_NEW,
	M_SAME,	   /* refresh or re-registration from the binding's MAG */
	M_HANDOFF, /* the binding moves to the sending MAG */
	M_HOLD,	   /* HI 4: wait for the old MAG's de-registration */
};

/* One PBU on its way through process_pbu. */
struct pbu {
	const struct mh_msg *m; /* kept for a hold */
	const struct pbu_view *v;
	const struct in6_addr *src;
	uint64_t now;
	bool held; /* released from a hold: the ordering checks were done on arrival */
	bool force_new;
	struct bce_binding *force_handoff;
	const char *nai; /* v->mn_id.nai once it is known to be valid */
	struct mh_msg *pba;
	struct bce_mn *mn;
	struct bce_binding *b;
	enum match match;
};

static void process_pbu(struct lma *l, const struct mh_msg *m, const struct in6_addr *src,
			uint64_t now, bool force_new, struct bce_binding *force_handoff);

/* ---- binding lifetimes --------------------------------------------------------------- */

void lma_binding_delete(struct lma *l, struct bce_binding *b, uint64_t now)
{
	struct bce_mn *mn = b->mn;
	struct fm_prefix pf[BCE_MAX_PREFIXES];
	unsigned n = b->n_pfx;

	memcpy(pf, b->pfx, sizeof(pf));
	fm_timer_stop(&b->timer);
	DP(l, binding_del, mn->index, b->bid);
	bce_binding_del(&l->bce, b);
	for (unsigned i = 0; i < n; i++) {
		if (bce_prefix_holder(mn, &pf[i]))
			continue;
		if (lma_mn_shares(mn, &pf[i]))
			continue; /* the MN's: freed with the MN */
		DP(l, prefix_del, &pf[i].addr, pf[i].plen);
		bce_pool_free(&l->bce, &pf[i]);
	}
	lma_dp_prefixes(l, mn);
	lma_replace_flows(l, mn, now);
	lma_mn_maybe_free(l, mn);
	lma_mark_dirty(l);
}

static void binding_timeout(struct fm_timer *t, uint64_t now)
{
	struct lma *l = lma_of_timer(t);
	struct bce_binding *b = fm_container_of(t, struct bce_binding, timer);
	bool dereg = b->state == BCE_DEREG;

	lma_emit(l, dereg ? "deregistration" : "expiry", lma_ev_fields(b->mn, b));
	pr_info("lma: binding %s/%u %s\n", b->mn->nai, b->bid, dereg ? "deleted" : "expired");
	lma_binding_delete(l, b, now);
}

void lma_binding_timer_init(struct lma *l, struct bce_binding *b)
{
	fm_timer_init(&b->timer, &l->timers, binding_timeout);
}

/* ---- held HI-4 PBUs -------------------------------------------------------------------- */

static void hold_free(struct lma_hold *h)
{
	fm_timer_stop(&h->timer);
	LIST_REMOVE(h, link);
	free(h->pbu);
	free(h);
}

void lma_reg_fini(struct lma *l)
{
	while (!LIST_EMPTY(&l->holds))
		hold_free(LIST_FIRST(&l->holds));
}

/* Nobody de-registered in time: the held PBU makes a new binding. */
static void hold_timeout(struct fm_timer *t, uint64_t now)
{
	struct lma *l = lma_of_timer(t);
	struct lma_hold *h = fm_container_of(t, struct lma_hold, timer);
	struct mh_msg *pbu = h->pbu;
	struct in6_addr src = h->src;

	h->pbu = NULL;
	hold_free(h);
	process_pbu(l, pbu, &src, now, true, NULL);
	free(pbu);
}

/* A de-registration of old_bid arrived: a held HI-4 PBU for it is a handoff. */
static void hold_release(struct lma *l, struct bce_mn *mn, uint16_t bid, uint64_t now)
{
	struct lma_hold *h;

	LIST_FOREACH(h, &l->holds, link)
	{
		struct mh_msg *pbu;
		struct in6_addr src;
		struct bce_binding *b;

		if (strcmp(h->nai, mn->nai) || h->old_bid != bid)
			continue;
		pbu = h->pbu;
		src = h->src;
		h->pbu = NULL;
		hold_free(h);
		b = bce_binding_find(mn, bid);
		process_pbu(l, pbu, &src, now, b == NULL, b);
		free(pbu);
		return;
	}
}

static void hold(struct lma *l, struct pbu *p)
{
	struct lma_hold *h = calloc(1, sizeof(*h));
	uint64_t now = p->now;

	if (!h || !(h->pbu = malloc(sizeof(*p->m)))) {
		free(h);
		return;
	}
	*h->pbu = *p->m;
	h->src = *p->src;
	memcpy(h->nai, p->nai, strnlen(p->nai, FM_NAI_MAX)); /* h is zeroed: terminated */
	h->old_bid = p->b->bid;
	fm_timer_init(&h->timer, &l->timers, hold_timeout);
	LIST_INSERT_HEAD(&l->holds, h, link);
	fm_timer_set(&h->timer, now + l->cfg->lma.timers.max_delay_before_new_bce_assign_ms, now);
	pr_debug("lma: HI 4 PBU for %s held for the old MAG's de-registration\n", p->nai);
}

/* ---- the PBA ------------------------------------------------------------------------------ */

static uint64_t wall_fixed(void)
{
	struct timespec ts;

	fm_wall(&ts);
	return mh_ts_fixed((uint64_t)ts.tv_sec,
			   (uint16_t)(((uint64_t)ts.tv_nsec << 16) / 1000000000ull));
}

static void set_timestamp(struct mh_opt *o, uint64_t fixed)
{
	o->timestamp.seconds = fixed >> 16;
	o->timestamp.fraction = fixed & 0xffff;
}

/* RFC 5213 §8.2: the PBA carries the PBU's MN-ID, HNP, HI, ATT, LL-ID, Link-local
 * Address and Timestamp options (and the GRE key, RFC 5845). */
static void pba_init(struct mh_msg *pba, const struct pbu_view *v)
{
	struct mh_opt *o;

	mh_msg_init(pba, MH_PBA);
	pba->seq = v->seq;
	pba->flags = MH_PBA_P;
	pba->lifetime = v->lifetime & ~3u;
	if (v->mn_id.present && (o = mh_opt_add(pba, MH_OPT_MN_ID))) {
		o->mn_id.subtype = v->mn_id.subtype;
		o->mn_id.len = v->mn_id.len;
		memcpy(o->mn_id.id, v->mn_id.nai, v->mn_id.len);
	}
	for (unsigned i = 0; i < v->n_hnp && (o = mh_opt_add(pba, MH_OPT_HNP)); i++) {
		o->hnp.prefix = v->hnp[i].prefix;
		o->hnp.plen = v->hnp[i].plen;
	}
	if (v->has_hi && (o = mh_opt_add(pba, MH_OPT_HI)))
		o->hi = v->hi;
	if (v->has_att && (o = mh_opt_add(pba, MH_OPT_ATT)))
		o->att = v->att;
	if (v->ll_id.present && (o = mh_opt_add(pba, MH_OPT_LL_ID))) {
		o->ll_id.len = v->ll_id.len;
		memcpy(o->ll_id.id, v->ll_id.id, v->ll_id.len);
	}
	if (v->has_lla && (o = mh_opt_add(pba, MH_OPT_LLA)))
		o->lla = v->lla;
	if (v->ts.present && (o = mh_opt_add(pba, MH_OPT_TIMESTAMP)))
		set_timestamp(o, v->ts.fixed);
	if (v->has_gre_key && (o = mh_opt_add(pba, MH_OPT_GRE_KEY)))
		o->gre_key = v->gre_key;
}

/* A timestamp error: the PBA carries the LMA's current time (RFC 5213 §5.5). */
static void pba_set_lma_time(struct mh_msg *pba)
{
	struct mh_opt *o = NULL;

	for (unsigned i = 0; i < pba->n_opts && !o; i++)
		if (pba->opts[i].type == MH_OPT_TIMESTAMP)
			o = &pba->opts[i];
	if (!o)
		o = mh_opt_add(pba, MH_OPT_TIMESTAMP);
	if (o)
		set_timestamp(o, wall_fixed());
}

static void pba_reject(struct lma *l, struct pbu *p, uint8_t status)
{
	char b[INET6_ADDRSTRLEN], st[64], esc[4 * sizeof(p->v->mn_id.nai)];
	const char *nai = p->nai;
	const char *shown = p->nai ? p->nai : p->v->mn_id.present ? p->v->mn_id.nai : NULL;
	json_t *o = json_object();
	struct lma_peer *peer = lma_peer_find(l, p->src);

	/* an identifier that is not an NAI: the log escapes it itself (core/log.c), the
	 * event carries it escaped (core/nai.h), never raw */
	if (!nai && p->v->mn_id.present)
		nai = fm_escape(p->v->mn_id.nai, p->v->mn_id.len, esc, sizeof(esc));
	if (peer)
		peer->rejected[status]++;
	p->pba->status = status;
	p->pba->lifetime = 0;
	lma_send_msg(l, p->pba, p->src);
	/* one line per distinct (MAG, MN, status) per window, then "(repeated N times)" */
	mh_status_text(MH_PBA, status, st, sizeof(st));
	pr_info_rl(FM_FIELDS({"mn", shown}, {"mag", a6(p->src, b)}, {"status", st}),
		   "lma: PBU from %s for %s rejected: %s", b, shown ? shown : "?", st);
	if (nai)
		json_object_set_new(o, "mn", json_string(nai));
	json_object_set_new(o, "mag", j_addr(p->src));
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

/* ---- retransmissions (RFC 5213 §5.3) -------------------------------------------------------- */

/* Keep what an accepted PBU got, to answer its exact retransmission with it. */
static void dup_record(struct lma *l, struct pbu *p, struct bce_binding *b)
{
	uint8_t buf[4096];
	struct mh_err err;
	int n;

	(void)l;
	if (!b || mh_msg_digest(p->m, b->dup_digest) ||
	    (n = mh_encode(p->pba, buf, sizeof(buf), &err)) < 0) {
		if (b)
			b->dup_ms = 0, b->dup_pba_len = 0;
		return;
	}
	if (!b->dup_pba || b->dup_pba_len < n) {
		uint8_t *q = realloc(b->dup_pba, (size_t)n);

		if (!q) {
			b->dup_pba_len = 0;
			return;
		}
		b->dup_pba = q;
	}
	memcpy(b->dup_pba, buf, (size_t)n);
	b->dup_pba_len = (uint16_t)n;
	b->dup_ms = p->now ? p->now : 1;
}

/* An exact duplicate of a PBU one of the MN's bindings accepted within the timestamp
 * window: send the earlier PBA again and change nothing. True when it was one. */
static bool dup_answer(struct lma *l, struct pbu *p)
{
	uint64_t win = l->cfg->lma.timers.timestamp_window_ms;
	uint8_t d[32];
	struct mh_err err;

	if (!p->mn || p->held || mh_msg_digest(p->m, d))
		return false;
	for (unsigned i = 0; i < p->mn->n_b; i++) {
		struct bce_binding *b = p->mn->b[i];
		struct mh_msg *pba;

		if (!b->dup_pba_len || !b->dup_ms || p->now - b->dup_ms > win ||
		    memcmp(b->dup_digest, d, sizeof(d)) || memcmp(&b->mag, p->src, 16))
			continue;
		pba = malloc(sizeof(*pba));
		if (pba && !mh_decode(b->dup_pba, b->dup_pba_len, pba, &err)) {
			lma_send_msg(l, pba, p->src);
			l->pbu_retransmissions++;
			pr_debug(
			    "lma: PBU seq %u for %s is a retransmission: the earlier PBA again\n",
			    p->v->seq, p->nai);
		}
		free(pba);
		return true;
	}
	return false;
}

/* ---- step 1: checks (RFC 5213 §5.3.1) --------------------------------------------------- */

/* The Timestamp option is within the window of the LMA's clock (ordering: timestamp). */
static uint8_t check_timestamp(const struct lma *l, const struct pbu *p)
{
	uint64_t lt = wall_fixed(), pt = p->v->ts.fixed, d, win;

	if (!p->v->ts.present)
		return PBA_TIMESTAMP_MISMATCH;
	d = pt > lt ? pt - lt : lt - pt;
	win = ((uint64_t)l->cfg->lma.timers.timestamp_window_ms << 16) / 1000;
	return d > win ? PBA_TIMESTAMP_MISMATCH : 0;
}

/* Every non-zero HNP must be one of this MN's prefixes, whoever holds it now. */
static uint8_t check_hnps(const struct pbu *p)
{
	static const struct in6_addr zero;

	for (unsigned i = 0; i < p->v->n_hnp; i++) {
		struct fm_prefix pf = {.addr = p->v->hnp[i].prefix, .plen = p->v->hnp[i].plen};

		if (!memcmp(&pf.addr, &zero, sizeof(zero)))
			continue;
		if (!p->mn || !(bce_prefix_holder(p->mn, &pf) || lma_mn_shares(p->mn, &pf)))
			return PBA_NOT_AUTHORIZED_FOR_HNP;
	}
	return 0;
}

/* The checks in RFC 5213 order; 0, or the PBA status to reject with. Sets p->nai
 * (once the MN-ID is known good) and p->mn (the MN, if it has an entry). */
static uint8_t check_pbu(struct lma *l, struct pbu *p, int view_status)
{
	const struct fm_cfg_lma_mn *mc;
	uint8_t st;

	if (!(p->v->flags & MH_PBU_P)) {
		p->pba->flags = 0; /* a plain Mobile IPv6 BU: flowmob is not a home agent */
		return PBA_PROXY_REG_NOT_ENABLED;
	}
	if (!lma_peer_find(l, p->src))
		return PBA_MAG_NOT_AUTHORIZED;
	if (view_status == PBA_MISSING_MN_ID)
		return PBA_MISSING_MN_ID;
	if (!p->v->mn_id.valid)
		return PBA_ADMIN_PROHIBITED; /* not an RFC 7542 NAI (docs/wire-notes.md) */
	p->nai = p->v->mn_id.nai;
	mc = lma_mn_cfg(l, p->nai);
	if (mc && mc->deny)
		return PBA_ADMIN_PROHIBITED;
	if (view_status)
		return (uint8_t)view_status; /* 158 no HNP, 161 no HI, 162 no ATT */
	if (l->cfg->lma.ordering == FM_ORDER_TIMESTAMP && !p->held &&
	    (st = check_timestamp(l, p))) {
		pba_set_lma_time(p->pba);
		return st;
	}
	p->mn = bce_mn_find(&l->bce, p->nai);
	return check_hnps(p);
}

/* ---- step 2: which binding the PBU is about ------------------------------------------------ */

static bool ll_match(const struct bce_binding *b, const struct pbu_view *v)
{
	if (!v->ll_id.present || !b->ll_id_len)
		return true;
	return v->ll_id.len == b->ll_id_len && !memcmp(v->ll_id.id, b->ll_id, b->ll_id_len);
}

static bool hi_handoff(uint8_t hi)
{
	return hi == MH_HI_HANDOFF_MAGS || hi == MH_HI_HANDOFF_IFACES || hi == MH_HI_UNKNOWN ||
	       hi == MH_HI_NOT_CHANGED;
}

/* A non-zero HNP that one of the MN's bindings holds is a handoff hint. */
static struct bce_binding *hnp_holder(const struct bce_mn *mn, const struct pbu_view *v)
{
	static const struct in6_addr zero;

	for (unsigned i = 0; i < v->n_hnp; i++) {
		struct fm_prefix pf = {.addr = v->hnp[i].prefix, .plen = v->hnp[i].plen};
		struct bce_binding *b;

		if (memcmp(&pf.addr, &zero, sizeof(zero)) && (b = bce_prefix_holder(mn, &pf)))
			return b;
	}
	return NULL;
}

static enum match pbu_match(const struct pbu *p, struct bce_binding **out)
{
	const struct pbu_view *v = p->v;
	struct bce_mn *mn = p->mn;
	uint8_t hi = v->hi;
	struct bce_binding *b;

	*out = NULL;
	if (!mn)
		return M_NEW;
	/* the BID the LMA handed out names the binding */
	if (v->bid.present && (b = bce_binding_find(mn, v->bid.bid))) {
		*out = b;
		return memcmp(&b->mag, p->src, 16) ? M_HANDOFF : M_SAME;
	}
	for (unsigned i = 0; i < mn->n_b; i++) {
		b = mn->b[i];
		if (!memcmp(&b->mag, p->src, 16) && b->att == v->att && ll_match(b, v)) {
			*out = b;
			return M_SAME;
		}
	}
	if (p->force_new || hi == MH_HI_NEW_IFACE || hi == MH_HI_NEW_IFACE_SHARED)
		return M_NEW;
	if (hi_handoff(hi) && (b = hnp_holder(mn, v))) {
		*out = b;
		return M_HANDOFF;
	}
	if (hi == MH_HI_HANDOFF_MAGS || hi == MH_HI_UNKNOWN || hi == MH_HI_NOT_CHANGED) {
		for (unsigned i = 0; i < mn->n_b; i++) {
			b = mn->b[i];
			if (b->att != v->att || !ll_match(b, v) || !memcmp(&b->mag, p->src, 16))
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

/* ---- step 3: ordering (RFC 5213 §5.3.1 timestamps, §5.3 sequence numbers) ------------------- */

static uint8_t check_order(const struct lma *l, struct pbu *p)
{
	const struct bce_binding *b = p->b;
	enum fm_ordering ord = l->cfg->lma.ordering;

	if (!b || p->held)
		return 0;
	if (ord == FM_ORDER_TIMESTAMP && b->has_ts && p->v->ts.fixed < b->last_ts)
		return PBA_TIMESTAMP_LOWER;
	if (ord == FM_ORDER_SEQUENCE && b->has_seq && p->match == M_SAME &&
	    !fm_seq_newer(p->v->seq, b->last_seq)) {
		p->pba->seq = b->last_seq;
		return PBA_SEQ_OUT_OF_WINDOW;
	}
	return 0;
}

/* What every accepted PBU records in its binding: ordering state. */
static void note_order(struct bce_binding *b, const struct pbu_view *v)
{
	if (v->ts.present) {
		b->last_ts = v->ts.fixed;
		b->has_ts = true;
	}
	b->last_seq = v->seq;
	b->has_seq = true;
}

/* ---- step 4a: de-registration (lifetime 0) ------------------------------------------------------
 */

static void deregister(struct lma *l, struct pbu *p)
{
	struct bce_binding *b = p->b;
	struct bce_mn *mn = p->mn;
	uint64_t now = p->now;
	char sb[INET6_ADDRSTRLEN];

	p->pba->status = PBA_ACCEPTED;
	p->pba->lifetime = 0;
	if (!b || p->match == M_NEW || memcmp(&b->mag, p->src, 16)) {
		/* no binding, or not this MAG's any more (after a handoff): ignore */
		lma_send_msg(l, p->pba, p->src);
		return;
	}
	b->state = BCE_DEREG;
	note_order(b, p->v);
	b->lifetime_s = 0;
	b->expires_ms = now + l->cfg->lma.timers.min_delay_before_bce_delete_ms;
	fm_timer_set(&b->timer, b->expires_ms, now);
	lma_dp_binding(l, b);
	lma_dp_prefixes(l, mn);
	lma_replace_flows(l, mn, now);
	pba_finish(p->pba, b);
	lma_send_msg(l, p->pba, p->src);
	dup_record(l, p, b);
	lma_emit(l, "deregistration", lma_ev_fields(mn, b));
	pr_info("lma: %s/%u de-registered by %s\n", p->nai, b->bid, a6(p->src, sb));
	hold_release(l, mn, b->bid, now);
}

/* ---- step 4b: registration
 * ------------------------------------------------------------------------ */

static int assign_prefixes(struct lma *l, struct bce_mn *mn, struct bce_binding *b, uint8_t hi)
{
	enum fm_prefix_policy pol = lma_mn_policy(l, mn->nai);
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

/* The MN entry and, for M_NEW, the binding with its prefixes; a PBA status on failure. */
static uint8_t reg_entries(struct lma *l, struct pbu *p, bool *is_new)
{
	bool created_mn = false;

	if (!p->mn) {
		p->mn = bce_mn_add(&l->bce, p->nai, 0);
		if (!p->mn)
			return PBA_INSUFFICIENT_RESOURCES;
		created_mn = true;
		lma_apply_policies(l, p->mn);
	}
	if (p->match != M_NEW)
		return 0;
	p->b = bce_binding_add(&l->bce, p->mn, p->v->att);
	if (!p->b || assign_prefixes(l, p->mn, p->b, p->v->hi)) {
		if (p->b)
			bce_binding_del(&l->bce, p->b);
		p->b = NULL;
		if (created_mn)
			lma_mn_maybe_free(l, p->mn);
		return PBA_INSUFFICIENT_RESOURCES;
	}
	*is_new = true;
	p->b->registered_ms = p->now;
	lma_binding_timer_init(l, p->b);
	return 0;
}

/* The binding takes what the PBU says: MAG, ATT (handoff), HI, ordering, LL-ID,
 * lifetime (granted as a multiple of 4 up to max-lifetime). */
static uint32_t reg_update(struct lma *l, struct pbu *p)
{
	struct bce_binding *b = p->b;
	const struct pbu_view *v = p->v;
	uint32_t max = lma_max_lifetime(l);
	uint32_t lifetime = v->lifetime > max ? max : v->lifetime & ~3u;

	if (p->match == M_HANDOFF)
		b->att = v->att;
	b->mag = *p->src;
	b->hi = v->hi;
	b->state = BCE_ACTIVE;
	b->refreshed_ms = p->now;
	note_order(b, v);
	if (v->ll_id.present && v->ll_id.len <= sizeof(b->ll_id)) {
		b->ll_id_len = v->ll_id.len;
		memcpy(b->ll_id, v->ll_id.id, v->ll_id.len);
	}
	if (!lifetime)
		lifetime = 4;
	b->lifetime_s = lifetime;
	b->expires_ms = p->now + (uint64_t)lifetime * 1000;
	fm_timer_set(&b->timer, b->expires_ms, p->now);
	return lifetime;
}

/* The PBU's flow requests, then the MN's flows placed: what lands on this binding
 * goes in the PBA as Flow Identification options. */
static void reg_flows(struct lma *l, struct pbu *p, bool changed)
{
	struct lma_pba_flows moved = {0};
	struct bce_binding *b = p->b;
	struct bce_mn *mn = p->mn;

	for (unsigned i = 0; i < p->v->n_flows; i++) {
		const struct mh_flowid *q = p->v->flows[i];
		uint8_t st = lma_flow_request(l, mn, b, q);
		struct mh_opt *r = mh_opt_add(p->pba, MH_OPT_FLOW_ID);

		if (r) {
			r->flow_id = *q;
			r->flow_id.status = st;
		}
	}
	if (changed) {
		lma_dp_binding(l, b);
		lma_dp_prefixes(l, mn);
	}
	if (changed || p->v->n_flows)
		lma_replace_flows_pba(l, mn, b, &moved, p->now);
	else
		lma_refresh_flows(l, mn, b, p->now); /* a refresh refreshes its MAG's flows */
	for (unsigned i = 0; i < moved.n; i++) {
		const struct fmc_flow *f = fmc_find(&mn->fmc, moved.fid[i]);

		if (f)
			lma_add_flow_id(p->pba, f, b->bid, FID_SUCCESS);
	}
}

static void reg_announce(struct lma *l, const struct pbu *p)
{
	const struct bce_binding *b = p->b;
	char sb[INET6_ADDRSTRLEN], bid[8];
	json_t *ev = lma_ev_fields(p->mn, b);

	json_object_set_new(ev, "hi", json_integer(b->hi));
	if (p->match == M_HANDOFF)
		json_object_set_new(ev, "handoff", json_true());
	lma_emit(l, "registration", ev);
	snprintf(bid, sizeof(bid), "%u", b->bid);
	pr_info_kv(FM_FIELDS({"mn", p->nai}, {"bid", bid}, {"mag", a6(p->src, sb)}),
		   "lma: %s/%u registered via %s (ATT %u, HI %u)", p->nai, b->bid, sb, b->att,
		   b->hi);
}

static void reg(struct lma *l, struct pbu *p)
{
	struct lma_peer *peer;
	bool is_new = false, changed;
	uint8_t st = reg_entries(l, p, &is_new);
	uint64_t dp_errors = l->dp_errors;

	if (st) {
		pba_reject(l, p, st);
		return;
	}
	changed = is_new || p->match == M_HANDOFF || p->b->state != BCE_ACTIVE;
	p->pba->status = PBA_ACCEPTED;
	p->pba->lifetime = reg_update(l, p);
	reg_flows(l, p, changed);
	if (is_new && l->dp_errors != dp_errors) {
		/* a data-plane map is full: never accepted without forwarding */
		pr_warn("lma: no room in the data plane for a binding of %s\n", p->nai);
		lma_binding_delete(l, p->b, p->now);
		p->b = NULL;
		pba_reject(l, p, PBA_INSUFFICIENT_RESOURCES);
		return;
	}
	pba_finish(p->pba, p->b);
	lma_send_msg(l, p->pba, p->src);
	dup_record(l, p, p->b);
	peer = lma_peer_find(l, p->src);
	if (peer)
		peer->hb_armed = true; /* heartbeats to a MAG start with its first binding */
	if (changed)
		reg_announce(l, p);
	lma_mark_binding(l, p->b); /* a refresh: its expiry and ordering state only */
}

/* ---- the PBU, step by step
 * -------------------------------------------------------------------------- */

static void process_pbu(struct lma *l, const struct mh_msg *m, const struct in6_addr *src,
			uint64_t now, bool force_new, struct bce_binding *force_handoff)
{
	struct pbu_view v;
	struct pbu p = {.m = m,
			.v = &v,
			.src = src,
			.now = now,
			.held = force_new || force_handoff,
			.force_new = force_new,
			.force_handoff = force_handoff};
	int view_status = pbu_view_build(&v, m);
	uint8_t st;

	p.pba = malloc(sizeof(*p.pba));
	if (!p.pba)
		return;
	pba_init(p.pba, &v);
	if ((st = check_pbu(l, &p, view_status))) {
		pba_reject(l, &p, st);
		goto out;
	}
	if (dup_answer(l, &p))
		goto out;
	if (force_handoff) {
		p.b = force_handoff;
		p.match = M_HANDOFF;
	} else {
		p.match = pbu_match(&p, &p.b);
	}
	if ((st = check_order(l, &p))) {
		pba_reject(l, &p, st);
		goto out;
	}
	if (v.lifetime == 0)
		deregister(l, &p);
	else if (p.match == M_HOLD)
		hold(l, &p);
	else
		reg(l, &p);
out:
	free(p.pba);
}

void lma_handle_pbu(struct lma *l, const struct mh_msg *m, const struct in6_addr *src, uint64_t now)
{
	process_pbu(l, m, src, now, false, NULL);
}
