// SPDX-License-Identifier: GPL-2.0
/*
 * bul.c — the MAG's binding update list entries: PBU construction, retransmission
 * with exponential back-off (proto/xact), refresh before expiry, and PBA status
 * handling (RFC 5213 §6.9, RFC 5648/6089 BID and flow requests).
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "mag/bul.h"
#include "core/clock.h"
#include "core/list.h"
#include "core/log.h"
#include "proto/seq.h"

const char *bul_state_name(enum bul_state s)
{
	switch (s) {
	case BUL_IDLE:
		return "idle";
	case BUL_REGISTERING:
		return "registering";
	case BUL_REGISTERED:
		return "registered";
	case BUL_DEREGISTERING:
		return "deregistering";
	}
	return "?";
}

const char *bul_event_name(enum bul_event ev)
{
	static const char *const names[] = {"none", "registered", "rejected", "deregistered",
					    "expired"};

	return (unsigned)ev < sizeof(names) / sizeof(names[0]) ? names[ev] : "?";
}

static void again_fired(struct fm_timer *t, uint64_t now);
static void expiry_fired(struct fm_timer *t, uint64_t now);

void bul_entry_init(struct bul_entry *e, const struct bul_ctx *c, const char *mn_id,
		    const uint8_t mac[6], const char *iface, uint8_t att,
		    const struct in6_addr *mag_ll, uint16_t seq0)
{
	memset(e, 0, sizeof(*e));
	e->ctx = c;
	fm_timer_init(&e->again, c->wheel, again_fired);
	fm_timer_init(&e->expiry, c->wheel, expiry_fired);
	snprintf(e->mn_id, sizeof(e->mn_id), "%s", mn_id);
	memcpy(e->mac, mac, 6);
	snprintf(e->iface, sizeof(e->iface), "%s", iface);
	e->att = att;
	if (mag_ll)
		e->mag_ll = *mag_ll;
	e->seq = (uint16_t)(seq0 - 1);
	e->state = BUL_IDLE;
	e->hi = MH_HI_NEW_IFACE;
}

static uint32_t lifetime_units(uint32_t s)
{
	if (s > 0xffff * 4)
		s = 0xffff * 4;
	return s & ~3u;
}

int bul_build_pbu(const struct bul_ctx *c, const struct bul_entry *e, uint32_t lifetime_s,
		  struct mh_msg *m)
{
	const struct fm_prefix *set = e->pending_set ? e->wanted : e->prefixes;
	int n = e->pending_set ? e->n_wanted : e->n_prefixes;
	struct timespec ts;
	struct mh_opt *o;
	size_t idlen = strlen(e->mn_id);

	(void)c;
	memset(m, 0, sizeof(*m));
	m->kind = MH_PBU;
	m->seq = e->seq;
	m->flags = MH_PBU_A | MH_PBU_P;
	m->lifetime = lifetime_units(lifetime_s);

	if (!(o = mh_opt_add(m, MH_OPT_MN_ID)) || idlen > sizeof(o->mn_id.id))
		return -1;
	o->mn_id.subtype = 1;
	o->mn_id.len = (uint8_t)idlen;
	memcpy(o->mn_id.id, e->mn_id, idlen);

	if (n == 0) {
		/* ALL_ZERO: ask the LMA to assign (RFC 5213 §6.9.1.1) */
		if (!(o = mh_opt_add(m, MH_OPT_HNP)))
			return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!(o = mh_opt_add(m, MH_OPT_HNP)))
			return -1;
		o->hnp.plen = set[i].plen;
		o->hnp.prefix = set[i].addr;
	}
	if (!(o = mh_opt_add(m, MH_OPT_HI)))
		return -1;
	o->hi = e->hi;
	if (!(o = mh_opt_add(m, MH_OPT_ATT)))
		return -1;
	o->att = e->att;
	if (!(o = mh_opt_add(m, MH_OPT_TIMESTAMP)))
		return -1;
	fm_wall(&ts);
	o->timestamp.seconds = (uint64_t)ts.tv_sec & 0xffffffffffffull;
	o->timestamp.fraction = (uint16_t)(((uint64_t)ts.tv_nsec << 16) / 1000000000ull);
	if (!(o = mh_opt_add(m, MH_OPT_LLA)))
		return -1;
	o->lla = e->mag_ll;
	if (!(o = mh_opt_add(m, MH_OPT_LL_ID)))
		return -1;
	o->ll_id.len = 6;
	memcpy(o->ll_id.id, e->mac, 6);
	if (e->bid) {
		if (!(o = mh_opt_add(m, MH_OPT_BID)))
			return -1;
		o->bid.bid = e->bid;
		o->bid.priority = MH_BID_PRI_DEFAULT; /* RFC 6089 §4.1: 0 is reserved */
	}
	if (lifetime_s && !e->flow_req_done) {
		for (int i = 0; i < e->n_flow_req; i++) {
			const struct fm_cfg_policy *p = &e->flow_req[i];

			if (!(o = mh_opt_add(m, MH_OPT_FLOW_ID)))
				return -1;
			o->flow_id.fid = p->fid;
			o->flow_id.priority = p->priority;
			o->flow_id.has_ts = true;
			o->flow_id.ts = p->selector;
		}
	}
	return 0;
}

static uint32_t req_lifetime(const struct bul_ctx *c)
{
	return lifetime_units(c->t->lifetime_s);
}

/* One try of the outstanding PBU: a new sequence number and timestamp every time. */
static void pbu_try(struct fm_xact *x, unsigned try, uint64_t now)
{
	struct bul_entry *e = fm_container_of(x, struct bul_entry, tx);
	const struct bul_ctx *c = e->ctx;
	struct mh_msg m;
	int ret;

	(void)now;
	e->seq++;
	if (try > 1)
		pr_debug("bul: %s/%s: no PBA, retransmitting as seq %u", e->mn_id, e->iface,
			 e->seq);
	if (bul_build_pbu(c, e, e->state == BUL_DEREGISTERING ? 0 : req_lifetime(c), &m) < 0) {
		pr_err("bul: %s/%s: PBU does not fit", e->mn_id, e->iface);
		return;
	}
	e->tx_count++;
	ret = c->send ? c->send(c->send_ctx, &m) : 0;
	if (ret < 0)
		pr_warn("bul: %s/%s: sending PBU seq %u failed (%d), will retry", e->mn_id,
			e->iface, e->seq, ret);
}

static void report(struct bul_entry *e, enum bul_event ev, uint64_t now)
{
	const struct bul_ctx *c = e->ctx;

	if (c->event)
		c->event(c->send_ctx, e, ev, now); /* may free e */
}

static const struct fm_xact_ops pbu_ops;

/* The try sent at retransmit-max timed out. A registration (or a refresh) goes on at
 * the maximum interval until it is answered, rejected or the binding expires; a
 * de-registration goes on BUL_DEREG_ROUNDS more times (while the binding would
 * still be alive at the LMA), so that a lossy path does not leave the LMA with a
 * binding the MAG forgot, then ends. */
#define BUL_DEREG_ROUNDS 8
static void pbu_give_up(struct fm_xact *x, uint64_t now)
{
	struct bul_entry *e = fm_container_of(x, struct bul_entry, tx);
	const struct bul_ctx *c = e->ctx;

	if (e->state != BUL_DEREGISTERING ||
	    (e->dereg_rounds < BUL_DEREG_ROUNDS && now < e->expires_ms)) {
		if (e->state == BUL_DEREGISTERING)
			e->dereg_rounds++;
		fm_xact_start(x, c->wheel, &pbu_ops, c->t->retransmit_max_ms,
			      c->t->retransmit_max_ms, now);
		return;
	}
	pr_info("bul: %s/%s: no answer to the de-registration, giving up", e->mn_id, e->iface);
	bul_reset(e);
	report(e, BUL_EV_DEREGISTERED, now);
}

static const struct fm_xact_ops pbu_ops = {.send = pbu_try, .give_up = pbu_give_up};

/* A new exchange: the first try now, its sequence number the window's start. */
static int send_pbu(const struct bul_ctx *c, struct bul_entry *e, uint64_t now)
{
	fm_xact_stop(&e->tx);
	e->seq_first = (uint16_t)(e->seq + 1);
	e->awaiting = true;
	fm_xact_start(&e->tx, c->wheel, &pbu_ops, c->t->retransmit_initial_ms,
		      c->t->retransmit_max_ms, now);
	return 0;
}

/* Registered: refresh time. Registering after a rejection: the back-off is over. */
static void again_fired(struct fm_timer *t, uint64_t now)
{
	struct bul_entry *e = fm_container_of(t, struct bul_entry, again);

	if (e->awaiting || (e->state != BUL_REGISTERED && e->state != BUL_REGISTERING))
		return;
	send_pbu(e->ctx, e, now);
}

static void expiry_fired(struct fm_timer *t, uint64_t now)
{
	struct bul_entry *e = fm_container_of(t, struct bul_entry, expiry);

	if (e->state != BUL_REGISTERED)
		return;
	pr_warn("bul: %s/%s: binding expired without a refresh", e->mn_id, e->iface);
	bul_reset(e);
	report(e, BUL_EV_EXPIRED, now);
}

void bul_entry_fini(struct bul_entry *e)
{
	fm_xact_stop(&e->tx);
	fm_timer_stop(&e->again);
	fm_timer_stop(&e->expiry);
	e->awaiting = false;
}

int bul_start(const struct bul_ctx *c, struct bul_entry *e, uint64_t now)
{
	if (e->state != BUL_IDLE)
		return 0;
	e->state = BUL_REGISTERING;
	e->n_prefixes = 0;
	e->pending_set = false;
	e->bid = 0;
	e->hi = MH_HI_NEW_IFACE;
	e->flow_req_done = false;
	return send_pbu(c, e, now);
}

int bul_update(const struct bul_ctx *c, struct bul_entry *e, const struct fm_prefix *set, int n,
	       uint64_t now)
{
	if (e->state != BUL_REGISTERED && e->state != BUL_REGISTERING)
		return -1;
	if (set) {
		if (n < 0 || n > BUL_MAX_PREFIXES)
			return -1;
		memcpy(e->wanted, set, sizeof(*set) * (size_t)n);
		e->n_wanted = n;
		e->pending_set = true;
	}
	e->hi = MH_HI_NOT_CHANGED;
	return send_pbu(c, e, now);
}

int bul_stop(const struct bul_ctx *c, struct bul_entry *e, uint64_t now)
{
	if (e->state == BUL_IDLE || e->state == BUL_DEREGISTERING)
		return 0;
	e->state = BUL_DEREGISTERING;
	e->dereg_rounds = 0;
	e->pending_set = false;
	e->hi = MH_HI_NOT_CHANGED;
	fm_timer_stop(&e->again);
	fm_timer_stop(&e->expiry);
	return send_pbu(c, e, now);
}

void bul_reset(struct bul_entry *e)
{
	bul_entry_fini(e);
	e->state = BUL_IDLE;
	e->n_prefixes = 0;
	e->pending_set = false;
	e->bid = 0;
	e->lifetime_s = 0;
}

static void take_prefixes(struct bul_entry *e, const struct pba_view *pba)
{
	e->n_prefixes = 0;
	for (int i = 0; i < pba->n_hnp; i++) {
		if (pba->hnp[i].plen == 0 || e->n_prefixes >= BUL_MAX_PREFIXES)
			continue;
		e->prefixes[e->n_prefixes].plen = pba->hnp[i].plen;
		e->prefixes[e->n_prefixes].addr = pba->hnp[i].prefix;
		e->n_prefixes++;
	}
}

static enum bul_event reject(const struct bul_ctx *c, struct bul_entry *e, uint64_t now)
{
	e->rejects++;
	e->state = BUL_REGISTERING;
	e->n_prefixes = 0;
	e->pending_set = false;
	e->bid = 0;
	e->hi = MH_HI_NEW_IFACE;
	fm_xact_stop(&e->tx);
	e->awaiting = false;
	fm_timer_stop(&e->expiry);
	/* a fresh registration after the longest back-off */
	fm_timer_set(&e->again, now + c->t->retransmit_max_ms, now);
	return BUL_EV_REJECTED;
}

enum bul_event bul_on_pba(const struct bul_ctx *c, struct bul_entry *e, const struct pba_view *pba,
			  uint64_t now)
{
	uint16_t seq = pba->seq;

	if (!e->awaiting)
		return BUL_EV_NONE;
	/* Status 135 carries the LMA's last accepted sequence number, not ours. */
	if (pba->status != PBA_SEQ_OUT_OF_WINDOW &&
	    !(fm_seq_not_older(seq, e->seq_first) && fm_seq_not_older(e->seq, seq))) {
		pr_debug("bul: %s/%s: PBA seq %u outside [%u, %u], ignored", e->mn_id, e->iface,
			 seq, e->seq_first, e->seq);
		return BUL_EV_NONE;
	}
	e->rx_count++;
	e->last_status = pba->status;

	if (e->state == BUL_DEREGISTERING) {
		if (pba->status != PBA_ACCEPTED)
			pr_warn("bul: %s/%s: de-registration answered with status %u", e->mn_id,
				e->iface, pba->status);
		bul_reset(e);
		return BUL_EV_DEREGISTERED;
	}

	switch (pba->status) {
	case PBA_ACCEPTED:
		if (pba->lifetime == 0) {
			pr_warn("bul: %s/%s: PBA accepted with lifetime 0, backing off", e->mn_id,
				e->iface);
			return reject(c, e, now);
		}
		take_prefixes(e, pba);
		if (e->n_prefixes == 0) {
			pr_warn("bul: %s/%s: PBA accepted without a home network prefix", e->mn_id,
				e->iface);
			return reject(c, e, now);
		}
		if (pba->bid.present && pba->bid.bid)
			e->bid = pba->bid.bid;
		e->state = BUL_REGISTERED;
		fm_xact_stop(&e->tx);
		e->awaiting = false;
		e->pending_set = false;
		e->flow_req_done = true;
		e->hi = MH_HI_NOT_CHANGED;
		e->lifetime_s = pba->lifetime;
		e->registered_ms = now;
		e->expires_ms = now + (uint64_t)pba->lifetime * 1000;
		/* refresh at 80 % of the granted lifetime */
		e->refresh_ms = now + (uint64_t)pba->lifetime * 800;
		fm_timer_set(&e->expiry, e->expires_ms, now);
		fm_timer_set(&e->again, e->refresh_ms, now);
		return BUL_EV_REGISTERED;
	case PBA_SEQ_OUT_OF_WINDOW:
		/* resynchronise on the LMA's number and retry at once */
		pr_info("bul: %s/%s: sequence out of window, LMA at %u", e->mn_id, e->iface, seq);
		e->seq = seq;
		send_pbu(c, e, now);
		return BUL_EV_NONE;
	case PBA_BCE_PBU_PREFIX_MISMATCH:
		/* start over with ::/0 */
		pr_warn("bul: %s/%s: LMA's prefix set differs, re-registering from ::/0", e->mn_id,
			e->iface);
		e->n_prefixes = 0;
		e->pending_set = false;
		e->hi = MH_HI_NEW_IFACE;
		send_pbu(c, e, now);
		return BUL_EV_NONE;
	case PBA_TIMESTAMP_MISMATCH:
	case PBA_TIMESTAMP_LOWER:
		/* our clock disagrees with the LMA's: keep retrying on the back-off schedule */
		pr_warn("bul: %s/%s: PBA status %u (timestamp), retrying in %u ms", e->mn_id,
			e->iface, pba->status, e->tx.rto_ms);
		return BUL_EV_NONE;
	default:
		pr_warn("bul: %s/%s: registration rejected, PBA status %u; retrying in %u ms",
			e->mn_id, e->iface, pba->status, c->t->retransmit_max_ms);
		return reject(c, e, now);
	}
}

static uint64_t due_or_never(const struct fm_timer *t)
{
	return fm_timer_armed(t) ? t->due : BUL_NO_DEADLINE;
}

uint64_t bul_deadline(const struct bul_entry *e)
{
	uint64_t d = due_or_never(&e->tx.timer), a = due_or_never(&e->again),
		 x = due_or_never(&e->expiry);

	if (!e->awaiting)
		d = BUL_NO_DEADLINE;
	d = a < d ? a : d;
	return x < d ? x : d;
}

int bul_restored(const struct bul_ctx *c, struct bul_entry *e, uint64_t now)
{
	if (e->state != BUL_IDLE)
		return -1;
	e->state = BUL_REGISTERED;
	e->flow_req_done = true;
	e->lifetime_s = c->t->lifetime_s;
	e->registered_ms = now;
	e->expires_ms = now + (uint64_t)c->t->lifetime_s * 1000;
	fm_timer_set(&e->expiry, e->expires_ms, now);
	return bul_update(c, e, NULL, 0, now);
}
