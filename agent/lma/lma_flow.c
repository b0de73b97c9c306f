// SPDX-License-Identifier: GPL-2.0
/*
 * lma_flow.c — the LMA's flow mobility layer: the flow mobility cache placed on
 * the bindings, flows and prefixes moved between them, and the requests the LMA
 * initiates for that — FMI (flow granularity), BRI (prefix granularity), UPN
 * (RFC 7864) — retransmitted by proto/xact, with the FMA/BRA/UPA answers.
 *
 * Layer: above lma_base.c and the caches; called by registration (lma_reg.c),
 * peers (lma_peer.c), control (lma_ctl.c) and lma.c; calls none of them. Which
 * signal a moved flow needs is decided by signal_flow() from its arguments alone;
 * inside a PBU the caller passes the binding being registered and gets back what
 * its PBA must carry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "lma/lma_flow.h"

/* ---- outgoing transactions (FMI, BRI, UPN) --------------------------------------- */

static struct lma_txn *txn_of(struct fm_xact *x)
{
	return fm_container_of(x, struct lma_txn, x);
}

static struct lma *txn_lma(struct lma_txn *t)
{
	return lma_of_timer(&t->x.timer);
}

static void txn_free(struct lma_txn *t)
{
	fm_xact_stop(&t->x);
	LIST_REMOVE(t, link);
	free(t->msg);
	free(t);
}

static uint16_t next_seq(struct lma *l)
{
	l->seq++;
	lma_mark_dirty(l);
	return l->seq;
}

/* xact: try 1 is the first transmission, later ones retransmissions. */
static void txn_send(struct fm_xact *x, unsigned try, uint64_t now)
{
	struct lma_txn *t = txn_of(x);

	(void)now;
	if (t->msg->kind == MH_UPN) {
		if (try > 1)
			t->msg->flags |= MH_UPN_D; /* RFC 7077 §4.1: set on every retransmission */
		else
			t->msg->flags &= ~MH_UPN_D;
	}
	lma_send_msg(txn_lma(t), t->msg, &t->dst);
}

#define LMA_MAX_PARKED 4096

/* Parked transactions keep their message; same MAG, MN and FID: the newer wins. */
static void park(struct lma *l, struct lma_txn *t)
{
	struct lma_txn *o, *n;

	fm_xact_stop(&t->x);
	LIST_REMOVE(t, link);
	LIST_FOREACH_SAFE(o, &l->parked, link, n)
	{
		if (o->kind == t->kind && o->fid == t->fid && o->bid == t->bid &&
		    !strcmp(o->nai, t->nai) && !memcmp(&o->dst, &t->dst, 16)) {
			LIST_REMOVE(o, link);
			free(o->msg);
			free(o);
			l->n_parked--;
		}
	}
	if (l->n_parked >= LMA_MAX_PARKED) {
		free(t->msg);
		free(t);
		return;
	}
	LIST_INSERT_HEAD(&l->parked, t, link);
	l->n_parked++;
}

static void txn_give_up(struct fm_xact *x, uint64_t now)
{
	struct lma_txn *t = txn_of(x);
	struct lma *l = txn_lma(t);
	char b[INET6_ADDRSTRLEN];
	json_t *o = json_object();

	(void)now;
	pr_warn("lma: no answer to %s seq %u from %s, giving up until it is heard again\n",
		mh_kind_name(t->kind), t->seq, a6(&t->dst, b));
	json_object_set_new(o, "mn", json_string(t->nai));
	json_object_set_new(o, "mag", j_addr(&t->dst));
	json_object_set_new(o, "message", json_string(mh_kind_name(t->kind)));
	json_object_set_new(o, "reason", json_string("timeout"));
	lma_emit(l, "reject", o);
	/* the MAG's view may differ from ours now: resynchronised on its next word */
	park(l, t);
}

static const struct fm_xact_ops txn_ops = {.send = txn_send, .give_up = txn_give_up};

/* Takes m (heap) and sends it as try 1 of a new transaction. */
static void txn_start(struct lma *l, enum txn_op op, struct mh_msg *m, const struct in6_addr *dst,
		      const char *nai, uint16_t fid, uint16_t bid, uint64_t now)
{
	struct lma_txn *t = calloc(1, sizeof(*t));

	if (!t) {
		free(m);
		return;
	}
	t->op = op;
	t->kind = m->kind;
	t->msg = m;
	t->seq = (uint16_t)m->seq;
	t->dst = *dst;
	snprintf(t->nai, sizeof(t->nai), "%s", nai);
	t->fid = fid;
	t->bid = bid;
	LIST_INSERT_HEAD(&l->txns, t, link);
	fm_xact_start(&t->x, &l->timers, &txn_ops, l->cfg->lma.timers.retransmit_initial_ms,
		      l->cfg->lma.timers.retransmit_max_ms, now);
}

static struct lma_txn *txn_find(struct lma *l, enum mh_kind kind, uint16_t seq,
				const struct in6_addr *src)
{
	struct lma_txn *t;

	LIST_FOREACH(t, &l->txns, link)
	{
		if (t->kind == kind && t->seq == seq && !memcmp(&t->dst, src, sizeof(*src)))
			return t;
	}
	return NULL;
}

unsigned lma_flow_pending(const struct lma *l)
{
	const struct lma_txn *t;
	unsigned n = 0;

	LIST_FOREACH(t, &l->txns, link)
	{
		n++;
	}
	return n;
}

void lma_flow_fini(struct lma *l)
{
	while (!LIST_EMPTY(&l->txns))
		txn_free(LIST_FIRST(&l->txns));
	while (!LIST_EMPTY(&l->parked)) {
		struct lma_txn *t = LIST_FIRST(&l->parked);

		LIST_REMOVE(t, link);
		free(t->msg);
		free(t);
	}
	l->n_parked = 0;
}

static struct mh_msg *new_msg(enum mh_kind k)
{
	struct mh_msg *m = malloc(sizeof(*m));

	if (m)
		mh_msg_init(m, k);
	return m;
}

void lma_send_fmi(struct lma *l, enum txn_op op, struct bce_mn *mn, struct fmc_flow *f,
		  const struct in6_addr *dst, struct bce_binding *to, uint64_t now)
{
	struct mh_msg *m = new_msg(MH_FMI);

	if (!m)
		return;
	m->seq = next_seq(l);
	if (op == TXN_FMI_CANCEL) {
		m->flags = MH_FMI_C;
		m->lifetime = 0;
	} else {
		uint32_t left = to ? lma_binding_left_s(to, now) : MH_FM_LIFETIME_INFINITE;

		m->flags = op == TXN_FMI_REFRESH ? MH_FMI_R : 0;
		m->lifetime = left >= MH_FM_LIFETIME_INFINITE ? MH_FM_LIFETIME_INFINITE - 1 : left;
	}
	lma_add_mn_id(m, mn->nai);
	lma_add_flow_id(m, f, to ? to->bid : 0, 0);
	/* The target MAG learns the home prefixes it must route for the flow (after the
	 * mandatory MN-ID and Flow Identification options; see docs/lma.md). */
	if (to && op != TXN_FMI_CANCEL)
		for (unsigned i = 0; i < mn->n_b; i++)
			for (unsigned j = 0; j < mn->b[i]->n_pfx; j++)
				if (!bce_binding_has_prefix(to, &mn->b[i]->pfx[j]))
					lma_add_hnp(m, &mn->b[i]->pfx[j]);
	txn_start(l, op, m, dst, mn->nai, f->fid, to ? to->bid : 0, now);
}

static void send_bri(struct lma *l, struct bce_mn *mn, struct bce_binding *from,
		     const struct fm_prefix *p, uint64_t now)
{
	struct mh_msg *m = new_msg(MH_BRI);

	if (!m)
		return;
	m->seq = next_seq(l);
	m->trigger = 1; /* administrative reason */
	m->flags = MH_BR_P;
	lma_add_mn_id(m, mn->nai);
	lma_add_hnp(m, p);
	lma_add_bid(m, from->bid);
	txn_start(l, TXN_BRI, m, &from->mag, mn->nai, 0, from->bid, now);
}

void lma_send_global_bri(struct lma *l, const struct in6_addr *mag, uint8_t trigger, uint64_t now)
{
	struct mh_msg *m = new_msg(MH_BRI);

	if (!m)
		return;
	/* RFC 5846 global revocation: every binding with this Proxy-CoA (P and G flags); flowmob
	 * MAGs have no MAG identity to put in an MN-ID option, so none is sent */
	m->seq = next_seq(l);
	m->trigger = trigger;
	m->flags = MH_BR_P | MH_BR_G;
	txn_start(l, TXN_BRI, m, mag, "", 0, 0, now);
}

static void send_upn(struct lma *l, struct bce_mn *mn, struct bce_binding *to,
		     const struct fmc_flow *f, uint64_t now)
{
	struct mh_msg *m = new_msg(MH_UPN);

	if (!m)
		return;
	m->seq = next_seq(l);
	m->reason = MH_UPN_REASON_FLOW_MOBILITY;
	m->flags = MH_UPN_A;
	lma_add_mn_id(m, mn->nai);
	for (unsigned i = 0; i < to->n_pfx; i++)
		lma_add_hnp(m, &to->pfx[i]);
	lma_add_bid(m, to->bid);
	if (f)
		lma_add_flow_id(m, f, to->bid, 0);
	txn_start(l, TXN_UPN, m, &to->mag, mn->nai, f ? f->fid : 0, to->bid, now);
}

/* ---- which signal a moved flow needs ------------------------------------------------ */

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

/* True when the flow may be addressed to p (no destination, or one inside p). */
static bool flow_may_use(const struct fmc_flow *f, const struct fm_prefix *p)
{
	const struct ts_val *d = &f->ts.f[TS_DST_ADDR];

	return d->n == TS_ABSENT || addr_in_prefix(&d->addr[0], p);
}

/* True when the target binding lacks a home prefix the flow may be addressed to:
 * moving the flow there then needs signaling (seed §3.1 scenarios 1 and 3). */
static bool flow_needs_signaling(const struct bce_mn *mn, const struct fmc_flow *f,
				 const struct bce_binding *to)
{
	for (unsigned i = 0; i < mn->n_b; i++)
		for (unsigned j = 0; j < mn->b[i]->n_pfx; j++) {
			const struct fm_prefix *p = &mn->b[i]->pfx[j];

			if (!bce_binding_has_prefix(to, p) && flow_may_use(f, p))
				return true;
		}
	return false;
}

enum lma_signal {
	SIG_NONE,	/* shared prefixes: a local data-plane change (seed §3.2) */
	SIG_PBA,	/* the PBA being built for `to` carries it (Flow Identification) */
	SIG_FMI,	/* FMI create (or refresh) to to's MAG, cancel to the old one */
	SIG_UPN,	/* to's prefix set grows; a UPN makes its MAG re-register */
	SIG_PREFIX_PBA, /* the prefix moves to `to`; the PBA's HNPs carry it */
	SIG_PREFIX_FMI, /* the prefix moves (BRI to its old holders), FMI create */
	SIG_PREFIX_UPN, /* the prefix moves (BRI to its old holders), UPN */
};

/*
 * The signal for flow f, now placed on binding `to` (its FMC entry and the data
 * plane are already updated). in_pba: `to` is being registered and its PBA is
 * being built. *prefix is set for the SIG_PREFIX_* answers. Decides only.
 */
static enum lma_signal signal_flow(const struct lma *l, const struct bce_mn *mn,
				   const struct fmc_flow *f, const struct bce_binding *to,
				   bool in_pba, const struct fm_prefix **prefix)
{
	bool upn = l->cfg->lma.flow_signaling == FM_SIG_UPN;
	const struct fm_prefix *pp = prefix_flow(mn, f);

	*prefix = NULL;
	if (pp && !bce_binding_has_prefix(to, pp)) {
		*prefix = pp;
		return in_pba ? SIG_PREFIX_PBA : upn ? SIG_PREFIX_UPN : SIG_PREFIX_FMI;
	}
	if (!flow_needs_signaling(mn, f, to))
		return SIG_NONE;
	return in_pba ? SIG_PBA : upn ? SIG_UPN : SIG_FMI;
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

/* RFC 7864: the target binding takes every prefix of the MN the flow may use. */
static void grow_prefixes(struct lma *l, struct bce_mn *mn, const struct fmc_flow *f,
			  struct bce_binding *to)
{
	for (unsigned i = 0; i < mn->n_b; i++)
		for (unsigned j = 0; j < mn->b[i]->n_pfx; j++)
			if (mn->b[i] != to && flow_may_use(f, &mn->b[i]->pfx[j]))
				bce_binding_add_prefix(to, &mn->b[i]->pfx[j]);
	lma_dp_prefixes(l, mn);
}

/* Carries out signal_flow's answer for f moved onto `to` from old_mag (NULL: no MAG
 * held FMI state for it). */
static void place_flow(struct lma *l, struct bce_mn *mn, struct fmc_flow *f, struct bce_binding *to,
		       const struct in6_addr *old_mag, bool in_pba, struct lma_pba_flows *out,
		       uint64_t now)
{
	const struct fm_prefix *pp;
	bool refresh;

	switch (signal_flow(l, mn, f, to, in_pba, &pp)) {
	case SIG_NONE:
		return;
	case SIG_PREFIX_PBA:
		move_prefix(l, mn, *pp, to, now);
		return;
	case SIG_PREFIX_FMI:
		move_prefix(l, mn, *pp, to, now);
		lma_send_fmi(l, TXN_FMI_CREATE, mn, f, &to->mag, to, now);
		return;
	case SIG_PREFIX_UPN:
		move_prefix(l, mn, *pp, to, now);
		send_upn(l, mn, to, f, now);
		return;
	case SIG_PBA:
		if (out->n < FMC_MAX_FLOWS)
			out->fid[out->n++] = f->fid;
		f->signalled = true;
		f->signalled_mag = to->mag;
		return;
	case SIG_UPN:
		grow_prefixes(l, mn, f, to);
		send_upn(l, mn, to, f, now);
		return;
	case SIG_FMI:
		refresh = f->signalled && !memcmp(&f->signalled_mag, &to->mag, 16);
		lma_send_fmi(l, refresh ? TXN_FMI_REFRESH : TXN_FMI_CREATE, mn, f, &to->mag, to,
			     now);
		if (old_mag && memcmp(old_mag, &to->mag, 16))
			lma_send_fmi(l, TXN_FMI_CANCEL, mn, f, old_mag, NULL, now);
		return;
	}
}

/* ---- placing the cache on the bindings ------------------------------------------------- */

static void replace(struct lma *l, struct bce_mn *mn, struct bce_binding *reg,
		    struct lma_pba_flows *out, uint64_t now)
{
	uint16_t before[FMC_MAX_FLOWS];
	struct in6_addr old_mag[FMC_MAX_FLOWS];
	bool had_mag[FMC_MAX_FLOWS];

	for (unsigned i = 0; i < mn->fmc.n; i++) {
		before[i] = mn->fmc.flows[i].dp_bid;
		/* only a MAG that holds FMI state for the flow gets a cancel */
		had_mag[i] = mn->fmc.flows[i].signalled;
		if (had_mag[i])
			old_mag[i] = mn->fmc.flows[i].signalled_mag;
	}
	lma_resolve_flows(l, mn);
	for (unsigned i = 0; i < mn->fmc.n; i++) {
		struct fmc_flow *f = &mn->fmc.flows[i];
		struct bce_binding *to;

		if (!f->dp_bid || f->dp_bid == before[i])
			continue;
		to = bce_binding_find(mn, f->dp_bid);
		if (!to)
			continue;
		if (before[i]) {
			json_t *o = lma_flow_json(l, mn, f);

			json_object_set_new(o, "from", json_integer(before[i]));
			lma_emit(l, "flow-move", o);
		}
		place_flow(l, mn, f, to, had_mag[i] ? &old_mag[i] : NULL, reg && to == reg, out,
			   now);
	}
	lma_push_rules(l, mn);
	lma_mark_dirty(l);
}

void lma_replace_flows(struct lma *l, struct bce_mn *mn, uint64_t now)
{
	struct lma_pba_flows none = {0};

	replace(l, mn, NULL, &none, now);
}

void lma_replace_flows_pba(struct lma *l, struct bce_mn *mn, struct bce_binding *reg,
			   struct lma_pba_flows *out, uint64_t now)
{
	replace(l, mn, reg, out, now);
}

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
		if (!f->rescued) {
			f->rescued = true;
			f->r_n_bids = f->n_bids;
			memcpy(f->r_bids, f->bids, sizeof(f->r_bids));
			f->r_n_att = f->n_att;
			memcpy(f->r_att, f->att, sizeof(f->r_att));
		}
		f->n_att = 0;
		f->n_bids = 1;
		f->bids[0] = alt->bid;
	}
	lma_replace_flows(l, mn, now);
}

void lma_restore_flows(struct lma *l, struct bce_mn *mn, uint64_t now)
{
	for (unsigned i = 0; i < mn->fmc.n; i++) {
		struct fmc_flow *f = &mn->fmc.flows[i];
		bool back = false;

		if (!f->rescued)
			continue;
		for (unsigned j = 0; j < f->r_n_bids && !back; j++) {
			const struct bce_binding *b = bce_binding_find(mn, f->r_bids[j]);

			back = b && bce_binding_usable(b);
		}
		for (unsigned j = 0; j < mn->n_b && !back; j++)
			for (unsigned k = 0; k < f->r_n_att; k++)
				back |=
				    mn->b[j]->att == f->r_att[k] && bce_binding_usable(mn->b[j]);
		if (!back)
			continue;
		f->rescued = false;
		f->n_bids = f->r_n_bids;
		memcpy(f->bids, f->r_bids, sizeof(f->bids));
		f->n_att = f->r_n_att;
		memcpy(f->att, f->r_att, sizeof(f->att));
	}
	lma_replace_flows(l, mn, now);
}

void lma_refresh_flows(struct lma *l, struct bce_mn *mn, struct bce_binding *b, uint64_t now)
{
	if (l->cfg->lma.flow_signaling != FM_SIG_FMI)
		return;
	for (unsigned i = 0; i < mn->fmc.n; i++) {
		struct fmc_flow *f = &mn->fmc.flows[i];

		if (f->signalled && f->dp_bid == b->bid && !memcmp(&f->signalled_mag, &b->mag, 16))
			lma_send_fmi(l, TXN_FMI_REFRESH, mn, f, &b->mag, b, now);
	}
}

/* ---- the cache's entries from configuration and from PBUs ------------------------------------ */

static void policy_flow(struct fmc_flow *nf, const struct fm_cfg_policy *p)
{
	nf->fid = p->fid;
	nf->priority = p->priority;
	nf->ts = p->selector;
	nf->action = p->drop ? FM_DP_DROP : FM_DP_FORWARD;
	nf->origin = FMC_POLICY;
	nf->n_att = p->n_att;
	memcpy(nf->att, p->prefer_att, sizeof(nf->att));
}

void lma_apply_policies(struct lma *l, struct bce_mn *mn)
{
	const struct fm_cfg_lma *c = &l->cfg->lma;

	for (unsigned i = 0; i < mn->fmc.n;) {
		struct fmc_flow *f = &mn->fmc.flows[i];
		bool keep = f->origin != FMC_POLICY;

		for (int k = 0; k < c->n_policies && !keep; k++)
			keep = c->policies[k].fid == f->fid;
		if (!keep) {
			fmc_del(&mn->fmc, f->fid);
			continue;
		}
		i++;
	}
	for (int k = 0; k < c->n_policies; k++) {
		const struct fm_cfg_policy *p = &c->policies[k];
		struct fmc_flow *f = fmc_find(&mn->fmc, p->fid), nf;

		if (f && f->origin != FMC_POLICY) {
			pr_warn("lma: policy FID %u clashes with a flow of %s; kept the flow\n",
				p->fid, mn->nai);
			continue;
		}
		memset(&nf, 0, sizeof(nf));
		if (f)
			nf = *f;
		policy_flow(&nf, p);
		if (f)
			*f = nf;
		else
			fmc_add(&mn->fmc, &nf);
	}
}

/* A Traffic Selector in a format the codec could not read is kept raw (mh.c). */
static bool raw_ts_present(const struct mh_flowid *q)
{
	for (int i = 0; i < q->n_raw; i++)
		if (q->raw[i].type == MH_FIDSUB_TS)
			return true;
	return false;
}

/* The entry a PBU's flow request asks for, and its FID status. */
static uint8_t flow_from_request(struct bce_mn *mn, const struct bce_binding *b,
				 const struct mh_flowid *q, struct fmc_flow *f)
{
	const struct fmc_flow *have = fmc_find(&mn->fmc, q->fid);
	uint8_t st = FID_SUCCESS;
	char err[96];

	memset(f, 0, sizeof(*f));
	f->fid = q->fid;
	f->priority = q->priority;
	f->origin = FMC_PBU;
	if (!q->has_ts)
		return raw_ts_present(q) ? FID_TS_FORMAT_UNSUPPORTED : FID_MALFORMED;
	if (!ts_valid(&q->ts, err, sizeof(err)))
		return FID_MALFORMED;
	if (have && have->origin != FMC_PBU)
		return FID_ADMIN_PROHIBITED; /* the LMA's own rules take precedence */
	f->ts = q->ts;
	if (!q->n_bids) {
		f->n_bids = 1;
		f->bids[0] = b->bid;
		return FID_SUCCESS;
	}
	for (unsigned i = 0; i < q->n_bids && i < FMC_MAX_BIDS; i++) {
		if (!bce_binding_find(mn, q->bids[i]) && q->bids[i] != b->bid)
			st = FID_BID_NOT_FOUND;
		f->bids[f->n_bids++] = q->bids[i];
	}
	return st;
}

uint8_t lma_flow_request(struct lma *l, struct bce_mn *mn, struct bce_binding *b,
			 const struct mh_flowid *q)
{
	struct fmc_flow f, *have;
	uint8_t st = flow_from_request(mn, b, q, &f);
	json_t *e;

	if (st != FID_SUCCESS)
		return st;
	have = fmc_find(&mn->fmc, q->fid);
	if (have) {
		have->priority = f.priority;
		have->ts = f.ts;
		have->n_bids = f.n_bids;
		memcpy(have->bids, f.bids, sizeof(f.bids));
		have->n_att = 0;
		have->rescued = false;
	} else if (fmc_add(&mn->fmc, &f)) {
		return FID_REJECTED;
	}
	e = lma_ev_fields(mn, NULL);
	json_object_set_new(e, "fid", json_integer(f.fid));
	json_object_set_new(e, "bid", json_integer(f.bids[0]));
	json_object_set_new(e, "origin", json_string("pbu"));
	lma_emit(l, "flow-add", e);
	return FID_SUCCESS;
}

/* ---- resynchronisation ------------------------------------------------------------------ */

/* A parked transaction, its MAG heard again: what the LMA's view needs now. */
static void resync_one(struct lma *l, struct lma_txn *t, uint64_t now)
{
	struct bce_mn *mn = t->nai[0] ? bce_mn_find(&l->bce, t->nai) : NULL;
	struct fmc_flow *f = mn ? fmc_find(&mn->fmc, t->fid) : NULL;
	struct bce_binding *b = mn && t->bid ? bce_binding_find(mn, t->bid) : NULL;
	struct bce_binding *at = f && f->dp_bid ? bce_binding_find(mn, f->dp_bid) : NULL;
	bool here = at && !memcmp(&at->mag, &t->dst, 16) && bce_binding_usable(at);

	switch (t->op) {
	case TXN_FMI_CREATE:
	case TXN_FMI_REFRESH:
		if (!f)
			return; /* the flow is gone: a cancel of nothing would be answered 132 */
		if (here && l->cfg->lma.flow_signaling == FM_SIG_FMI)
			lma_send_fmi(l, TXN_FMI_CREATE, mn, f, &t->dst, at, now); /* 133: done */
		else
			lma_send_fmi(l, TXN_FMI_CANCEL, mn, f, &t->dst, NULL, now);
		return;
	case TXN_FMI_CANCEL:
		if (f && !here) /* placed there again: a late cancel would undo the create */
			lma_send_fmi(l, TXN_FMI_CANCEL, mn, f, &t->dst, NULL, now);
		return;
	case TXN_UPN:
		if (b && !memcmp(&b->mag, &t->dst, 16) && bce_binding_usable(b))
			send_upn(l, mn, b, f, now);
		return;
	case TXN_BRI:
		if (!mn || (b && memcmp(&b->mag, &t->dst, 16)) || !b) {
			/* a global revocation, or the binding left that MAG: revoke again */
			struct mh_msg *m = malloc(sizeof(*m));

			if (!m)
				return;
			*m = *t->msg;
			m->seq = next_seq(l);
			txn_start(l, TXN_BRI, m, &t->dst, t->nai, t->fid, t->bid, now);
			return;
		}
		{
			/* still the MAG's binding: revoke the prefixes it must not hold */
			struct mh_msg *m = malloc(sizeof(*m));
			unsigned w = 0;

			if (!m)
				return;
			*m = *t->msg;
			for (unsigned i = 0; i < m->n_opts; i++) {
				const struct mh_opt *o = &m->opts[i];
				struct fm_prefix p = {.addr = o->hnp.prefix, .plen = o->hnp.plen};

				if (o->type == MH_OPT_HNP && bce_binding_has_prefix(b, &p))
					continue;
				m->opts[w++] = *o;
			}
			m->n_opts = w;
			if (!mh_opt_find(m, MH_OPT_HNP, 0)) {
				free(m);
				return;
			}
			m->seq = next_seq(l);
			txn_start(l, TXN_BRI, m, &t->dst, t->nai, t->fid, t->bid, now);
		}
		return;
	}
}

void lma_flow_resync(struct lma *l, const struct in6_addr *mag, uint64_t now)
{
	struct lma_txn *t, *n;
	LIST_HEAD(, lma_txn) todo = LIST_HEAD_INITIALIZER(todo);

	LIST_FOREACH_SAFE(t, &l->parked, link, n)
	{
		if (memcmp(&t->dst, mag, 16))
			continue;
		LIST_REMOVE(t, link);
		l->n_parked--;
		LIST_INSERT_HEAD(&todo, t, link);
	}
	while ((t = LIST_FIRST(&todo))) {
		LIST_REMOVE(t, link);
		resync_one(l, t, now);
		free(t->msg);
		free(t);
	}
}

unsigned lma_flow_parked(const struct lma *l)
{
	return l->n_parked;
}

void lma_flow_signaling_changed(struct lma *l, enum fm_flow_signaling to, uint64_t now)
{
	struct bce_mn *mn;
	struct lma_txn *t, *n;

	if (to != FM_SIG_UPN)
		return; /* UPN leaves prefix sets, valid under FMI too: nothing to clean */
	/* FMI state at the MAGs goes: in-flight creates are cancelled, held flows too */
	LIST_FOREACH_SAFE(t, &l->txns, link, n)
	{
		if (t->op != TXN_FMI_CREATE && t->op != TXN_FMI_REFRESH)
			continue;
		mn = bce_mn_find(&l->bce, t->nai);
		if (mn && fmc_find(&mn->fmc, t->fid) &&
		    !(fmc_find(&mn->fmc, t->fid)->signalled &&
		      !memcmp(&fmc_find(&mn->fmc, t->fid)->signalled_mag, &t->dst, 16)))
			lma_send_fmi(l, TXN_FMI_CANCEL, mn, fmc_find(&mn->fmc, t->fid), &t->dst,
				     NULL, now);
		txn_free(t);
	}
	TAILQ_FOREACH(mn, &l->bce.mns, link)
	{
		for (unsigned i = 0; i < mn->fmc.n; i++) {
			struct fmc_flow *f = &mn->fmc.flows[i];
			struct bce_binding *to_b;

			if (!f->signalled)
				continue;
			lma_send_fmi(l, TXN_FMI_CANCEL, mn, f, &f->signalled_mag, NULL, now);
			f->signalled = false;
			/* the flow's target now learns its prefixes by UPN */
			to_b = f->dp_bid ? bce_binding_find(mn, f->dp_bid) : NULL;
			if (to_b && bce_binding_usable(to_b) && flow_needs_signaling(mn, f, to_b)) {
				grow_prefixes(l, mn, f, to_b);
				send_upn(l, mn, to_b, f, now);
			}
		}
	}
	lma_mark_dirty(l);
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

/* FMA 0 or 133 (the MAG already holds it: the same end state). */
static void fma_done(struct lma *l, struct lma_txn *t, const struct in6_addr *src, uint64_t now)
{
	struct bce_mn *mn;
	struct fmc_flow *f = txn_flow(l, t, &mn);

	if (f && t->op != TXN_FMI_CANCEL) {
		const struct bce_binding *at = f->dp_bid ? bce_binding_find(mn, f->dp_bid) : NULL;

		if (!at || memcmp(&at->mag, src, 16)) {
			/* the flow moved on while this create was on its way: the MAG now
			 * holds state it must not keep */
			txn_free(t);
			lma_send_fmi(l, TXN_FMI_CANCEL, mn, f, src, NULL, now);
			return;
		}
		f->signalled = true;
		f->signalled_mag = *src;
	} else if (f && t->op == TXN_FMI_CANCEL && !memcmp(&f->signalled_mag, src, 16) &&
		   f->dp_bid && bce_binding_find(mn, f->dp_bid) &&
		   memcmp(&bce_binding_find(mn, f->dp_bid)->mag, src, 16)) {
		f->signalled = false;
	}
	txn_free(t);
	lma_mark_dirty(l);
}

void lma_handle_fma(struct lma *l, const struct fma_view *v, const struct in6_addr *src,
		    uint64_t now)
{
	struct lma_txn *t = txn_find(l, MH_FMI, v->seq, src);
	struct bce_mn *mn;
	struct fmc_flow *f;

	if (!t) {
		l->rx_ignored++;
		return;
	}
	switch (v->status) {
	case FMA_SUCCESS:
	case FMA_ENTRY_EXISTS:
		fma_done(l, t, src, now);
		return;
	case FMA_NO_ENTRY:
		f = txn_flow(l, t, &mn);
		if (t->op == TXN_FMI_REFRESH && f && mn) {
			/* the MAG lost it: create it again */
			struct bce_binding *to = bce_binding_find(mn, t->bid);

			txn_free(t);
			lma_send_fmi(l, TXN_FMI_CREATE, mn, f, src, to, now);
			return;
		}
		txn_free(t); /* a cancel of nothing: done */
		return;
	case FMA_SEQ_OUT_OF_WINDOW:
		if (!t->resent_new_seq) {
			/* a retransmission overtaken by a newer FMI to this MAG: sent again
			 * with a fresh number only if the view still wants it (a stale
			 * create or cancel arriving after the newer one would undo it) */
			LIST_REMOVE(t, link);
			fm_xact_stop(&t->x);
			resync_one(l, t, now);
			free(t->msg);
			free(t);
			return;
		}
		/* fall through */
	default: /* 128, 129 MN not attached, 131 TS format unsupported */
		pr_warn("lma: FMI for %s FID %u refused by the MAG, status %u\n", t->nai, t->fid,
			v->status);
		txn_event(l, t, v->status);
		txn_free(t);
		return;
	}
}

void lma_handle_bra(struct lma *l, const struct bra_view *v, const struct in6_addr *src)
{
	struct lma_txn *t = txn_find(l, MH_BRI, v->seq, src);

	if (!t) {
		l->rx_ignored++;
		return;
	}
	if (v->status != BRA_SUCCESS && v->status != BRA_PARTIAL) {
		pr_warn("lma: BRI to %s for %s answered with status %u\n", "MAG", t->nai,
			v->status);
		txn_event(l, t, v->status);
	}
	txn_free(t);
}

void lma_handle_upa(struct lma *l, const struct upa_view *v, const struct in6_addr *src)
{
	struct lma_txn *t = txn_find(l, MH_UPN, v->seq, src);

	if (!t) {
		l->rx_ignored++;
		return;
	}
	if (v->status != UPA_SUCCESS)
		txn_event(l, t, v->status);
	/* on success the MAG re-registers: its PBU gets the new prefix set in the PBA */
	txn_free(t);
}
