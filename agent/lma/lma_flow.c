// SPDX-License-Identifier: GPL-2.0
/*
 * lma_flow.c — the LMA's flow moves and the requests it initiates: FMI (flow
 * granularity), BRI (prefix granularity) and UPN transactions with their
 * retransmissions, and the FMA/BRA/UPA answers to them; which flows need signaling
 * and towards which MAG when the flow mobility cache or the bindings change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lma/lma_int.h"
#include "core/log.h"

/* ---- outgoing transactions (FMI, BRI, UPN) --------------------------------------- */

static void txn_timeout(void *lp, void *obj, uint64_t now);

void lma_txn_free(struct lma *l, struct lma_txn *t)
{
	lma_timer_stop(l, &t->timer);
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
	lma_mark_dirty(l);
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
	lma_timer_init(&t->timer, txn_timeout, t);
	t->next = l->txns;
	if (l->txns)
		l->txns->prev = t;
	l->txns = t;
	lma_send_msg(l, m, dst);
	lma_timer_set(l, &t->timer, now + t->rto_ms, now);
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
		lma_emit(l, "reject", o);
		lma_txn_free(l, t);
		return;
	}
	t->tries++;
	t->rto_ms = t->rto_ms * 2 > max ? max : t->rto_ms * 2;
	if (t->msg->kind == MH_UPN)
		t->msg->flags |= MH_UPN_D; /* RFC 7077 §4.1: set on every retransmission */
	lma_send_msg(l, t->msg, &t->dst);
	lma_timer_set(l, &t->timer, now + t->rto_ms, now);
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

void lma_add_hnp(struct mh_msg *m, const struct fm_prefix *p)
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

void lma_add_bid(struct mh_msg *m, uint16_t bid)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_BID);

	if (o) {
		o->bid.bid = bid;
		o->bid.priority = MH_BID_PRI_DEFAULT; /* RFC 6089 §4.1: 0 is reserved */
	}
}

uint32_t lma_binding_left_s(const struct bce_binding *b, uint64_t now)
{
	return b->expires_ms > now ? (uint32_t)((b->expires_ms - now + 999) / 1000) : 0;
}

void lma_send_fmi(struct lma *l, enum txn_op op, struct bce_mn *mn, struct fmc_flow *f,
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
		uint32_t left = to ? lma_binding_left_s(to, now) : MH_FM_LIFETIME_INFINITE;

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
					lma_add_hnp(m, &mn->b[i]->pfx[j]);
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
	lma_add_hnp(m, p);
	lma_add_bid(m, from->bid);
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
		lma_add_hnp(m, &to->pfx[i]);
	lma_add_bid(m, to->bid);
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
	o = lma_ev_fields(mn, to);
	json_array_append_new(pf, j_prefix(&p));
	json_object_set_new(o, "moved", pf);
	lma_emit(l, "prefix-move", o);
	lma_mark_dirty(l);
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
				lma_send_fmi(l, TXN_FMI_CREATE, mn, f, &to->mag, to, now);
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
		lma_dp_prefixes(l, mn);
		send_upn(l, mn, to, f, now);
		return;
	}
	lma_send_fmi(l,
		     f->signalled && !memcmp(&f->signalled_mag, &to->mag, 16) ? TXN_FMI_REFRESH
									      : TXN_FMI_CREATE,
		     mn, f, &to->mag, to, now);
	if (old_mag && memcmp(old_mag, &to->mag, 16))
		lma_send_fmi(l, TXN_FMI_CANCEL, mn, f, old_mag, NULL, now);
}

/* Re-resolve the MN's flows; flows whose effective BID changed are signalled. */
void lma_replace_flows(struct lma *l, struct bce_mn *mn, uint64_t now)
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
	lma_resolve_flows(l, mn);
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
			o = lma_flow_json(l, mn, f);
			json_object_set_new(o, "from", json_integer(before[i]));
			lma_emit(l, "flow-move", o);
		}
		signal_flow(l, mn, f, to, had_mag[i] ? &old_mag[i] : NULL, now);
	}
	lma_push_rules(l, mn);
	lma_mark_dirty(l);
}

/* Flows left with no usable BID while the MN still has a usable binding are moved
 * there (peer down: seed's "flows move to the MN's remaining bindings"). */
void lma_rescue_flows(struct lma *l, struct bce_mn *mn, uint64_t now)
{
	struct bce_binding *alt = NULL;

	for (unsigned i = 0; i < mn->n_b && !alt; i++)
		if (bce_binding_usable(mn->b[i]))
			alt = mn->b[i];
	if (!alt)
		return;
	lma_resolve_flows(l, mn);
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
	lma_replace_flows(l, mn, now);
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
	lma_emit(l, "reject", o);
}

void lma_handle_fma(struct lma *l, const struct mh_msg *m, const struct in6_addr *src, uint64_t now)
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
		lma_txn_free(l, t);
		lma_mark_dirty(l);
		return;
	case FMA_NO_ENTRY:
		if (op == TXN_FMI_REFRESH && f && mn) {
			/* the MAG lost it: create it again */
			struct bce_binding *to = bce_binding_find(mn, t->bid);

			lma_txn_free(l, t);
			lma_send_fmi(l, TXN_FMI_CREATE, mn, f, src, to, now);
			return;
		}
		lma_txn_free(l, t); /* a cancel of nothing: done */
		return;
	case FMA_SEQ_OUT_OF_WINDOW:
		if (!t->resent_new_seq) {
			t->resent_new_seq = true;
			t->msg->seq = next_seq(l);
			t->seq = (uint16_t)t->msg->seq;
			t->tries = 1;
			t->rto_ms = tmr(l->cfg->lma.timers.retransmit_initial_ms, 1500);
			lma_send_msg(l, t->msg, &t->dst);
			lma_timer_set(l, &t->timer, now + t->rto_ms, now);
			return;
		}
		/* fall through */
	default: /* 128, 129 MN not attached, 131 TS format unsupported */
		pr_warn("lma: FMI for %s FID %u refused by the MAG, status %u\n", t->nai, t->fid,
			m->status);
		txn_event(l, t, m->status);
		lma_txn_free(l, t);
		return;
	}
}

void lma_handle_bra(struct lma *l, const struct mh_msg *m, const struct in6_addr *src)
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
	lma_txn_free(l, t);
}

void lma_handle_upa(struct lma *l, const struct mh_msg *m, const struct in6_addr *src)
{
	struct lma_txn *t = txn_find(l, MH_UPN, (uint16_t)m->seq, src);

	if (!t) {
		l->rx_ignored++;
		return;
	}
	if (m->status != UPA_SUCCESS)
		txn_event(l, t, m->status);
	/* on success the MAG re-registers: its PBU gets the new prefix set in the PBA */
	lma_txn_free(l, t);
}
