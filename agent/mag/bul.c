// SPDX-License-Identifier: GPL-2.0
/*
 * bul.c — the MAG's binding update list entries: PBU construction, retransmission
 * with exponential back-off, refresh before expiry, and PBA status handling
 * (RFC 5213 §6.9, RFC 5648/6089 BID and flow requests).
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "mag/bul.h"
#include "core/clock.h"
#include "core/log.h"

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

void bul_entry_init(struct bul_entry *e, const char *mn_id, const uint8_t mac[6], const char *iface,
		    uint8_t att, const struct in6_addr *mag_ll, uint16_t seq0)
{
	memset(e, 0, sizeof(*e));
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
	const struct bul_prefix *set = e->pending_set ? e->wanted : e->prefixes;
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
		o->hnp.prefix = set[i].prefix;
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

/* Send the entry's next PBU (a new sequence number and timestamp on every try). */
static int send_pbu(const struct bul_ctx *c, struct bul_entry *e, uint32_t lifetime_s, uint64_t now,
		    bool new_exchange)
{
	struct mh_msg m;
	int ret;

	e->seq++;
	if (new_exchange) {
		e->seq_first = e->seq;
		e->rto_ms = c->t.retransmit_initial_ms ? c->t.retransmit_initial_ms : 1500;
		e->rto_maxed = false;
	}
	e->awaiting = true;
	e->next_tx_ms = now + e->rto_ms;
	if (bul_build_pbu(c, e, lifetime_s, &m) < 0) {
		pr_err("bul: %s/%s: PBU does not fit", e->mn_id, e->iface);
		return -1;
	}
	e->tx_count++;
	ret = c->send ? c->send(c->send_ctx, &m) : 0;
	if (ret < 0)
		pr_warn("bul: %s/%s: sending PBU seq %u failed (%d), will retry", e->mn_id,
			e->iface, e->seq, ret);
	return 0;
}

static uint32_t req_lifetime(const struct bul_ctx *c)
{
	return lifetime_units(c->t.lifetime_s ? c->t.lifetime_s : 3600);
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
	return send_pbu(c, e, req_lifetime(c), now, true);
}

int bul_update(const struct bul_ctx *c, struct bul_entry *e, const struct bul_prefix *set, int n,
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
	return send_pbu(c, e, req_lifetime(c), now, true);
}

int bul_stop(const struct bul_ctx *c, struct bul_entry *e, uint64_t now)
{
	if (e->state == BUL_IDLE || e->state == BUL_DEREGISTERING)
		return 0;
	e->state = BUL_DEREGISTERING;
	e->pending_set = false;
	e->hi = MH_HI_NOT_CHANGED;
	return send_pbu(c, e, 0, now, true);
}

void bul_reset(struct bul_entry *e)
{
	e->state = BUL_IDLE;
	e->awaiting = false;
	e->n_prefixes = 0;
	e->pending_set = false;
	e->bid = 0;
	e->lifetime_s = 0;
}

/* Serial-number comparison (RFC 1982) of 16-bit sequence numbers: a <= b. */
static bool seq_le(uint16_t a, uint16_t b)
{
	return (int16_t)(b - a) >= 0;
}

static void take_prefixes(struct bul_entry *e, const struct mh_msg *pba)
{
	const struct mh_opt *o;

	e->n_prefixes = 0;
	for (int i = 0; (o = mh_opt_find(pba, MH_OPT_HNP, i)); i++) {
		if (o->hnp.plen == 0 || e->n_prefixes >= BUL_MAX_PREFIXES)
			continue;
		e->prefixes[e->n_prefixes].plen = o->hnp.plen;
		e->prefixes[e->n_prefixes].prefix = o->hnp.prefix;
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
	e->awaiting = false;
	e->rto_ms = c->t.retransmit_max_ms ? c->t.retransmit_max_ms : 32000;
	e->next_tx_ms = now + e->rto_ms;
	return BUL_EV_REJECTED;
}

enum bul_event bul_on_pba(const struct bul_ctx *c, struct bul_entry *e, const struct mh_msg *pba,
			  uint64_t now)
{
	uint16_t seq = (uint16_t)pba->seq;
	const struct mh_opt *o;

	if (pba->kind != MH_PBA || !e->awaiting)
		return BUL_EV_NONE;
	/* Status 135 carries the LMA's last accepted sequence number, not ours. */
	if (pba->status != PBA_SEQ_OUT_OF_WINDOW &&
	    !(seq_le(e->seq_first, seq) && seq_le(seq, e->seq))) {
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
		if ((o = mh_opt_find(pba, MH_OPT_BID, 0)) && o->bid.bid)
			e->bid = o->bid.bid;
		e->state = BUL_REGISTERED;
		e->awaiting = false;
		e->pending_set = false;
		e->flow_req_done = true;
		e->hi = MH_HI_NOT_CHANGED;
		e->lifetime_s = pba->lifetime;
		e->registered_ms = now;
		e->expires_ms = now + (uint64_t)pba->lifetime * 1000;
		/* refresh at 80 % of the granted lifetime */
		e->refresh_ms = now + (uint64_t)pba->lifetime * 800;
		e->rto_ms = c->t.retransmit_initial_ms ? c->t.retransmit_initial_ms : 1500;
		return BUL_EV_REGISTERED;
	case PBA_SEQ_OUT_OF_WINDOW:
		/* resynchronise on the LMA's number and retry at once */
		pr_info("bul: %s/%s: sequence out of window, LMA at %u", e->mn_id, e->iface, seq);
		e->seq = seq;
		send_pbu(c, e, req_lifetime(c), now, true);
		return BUL_EV_NONE;
	case PBA_BCE_PBU_PREFIX_MISMATCH:
		/* start over with ::/0 */
		pr_warn("bul: %s/%s: LMA's prefix set differs, re-registering from ::/0", e->mn_id,
			e->iface);
		e->n_prefixes = 0;
		e->pending_set = false;
		e->hi = MH_HI_NEW_IFACE;
		send_pbu(c, e, req_lifetime(c), now, true);
		return BUL_EV_NONE;
	case PBA_TIMESTAMP_MISMATCH:
	case PBA_TIMESTAMP_LOWER:
		/* our clock disagrees with the LMA's: keep retrying on the back-off schedule */
		pr_warn("bul: %s/%s: PBA status %u (timestamp), retrying in %u ms", e->mn_id,
			e->iface, pba->status, e->rto_ms);
		return BUL_EV_NONE;
	default:
		pr_warn("bul: %s/%s: registration rejected, PBA status %u; retrying in %u ms",
			e->mn_id, e->iface, pba->status,
			c->t.retransmit_max_ms ? c->t.retransmit_max_ms : 32000);
		return reject(c, e, now);
	}
}

enum bul_event bul_tick(const struct bul_ctx *c, struct bul_entry *e, uint64_t now)
{
	uint32_t max = c->t.retransmit_max_ms ? c->t.retransmit_max_ms : 32000;

	switch (e->state) {
	case BUL_IDLE:
		return BUL_EV_NONE;
	case BUL_REGISTERED:
		if (now >= e->expires_ms) {
			pr_warn("bul: %s/%s: binding expired without a refresh", e->mn_id,
				e->iface);
			bul_reset(e);
			return BUL_EV_EXPIRED;
		}
		if (!e->awaiting) {
			if (now >= e->refresh_ms)
				send_pbu(c, e, req_lifetime(c), now, true);
			return BUL_EV_NONE;
		}
		break;
	case BUL_REGISTERING:
	case BUL_DEREGISTERING:
		break;
	}
	if (now < e->next_tx_ms)
		return BUL_EV_NONE;
	if (!e->awaiting) {
		/* back-off after a rejection elapsed: a fresh registration */
		send_pbu(c, e, req_lifetime(c), now, true);
		return BUL_EV_NONE;
	}
	if (e->state == BUL_DEREGISTERING && e->rto_maxed) {
		pr_info("bul: %s/%s: no answer to the de-registration, giving up", e->mn_id,
			e->iface);
		bul_reset(e);
		return BUL_EV_DEREGISTERED;
	}
	if (e->rto_ms >= max)
		e->rto_maxed = true;
	e->rto_ms = e->rto_ms * 2 > max ? max : e->rto_ms * 2;
	pr_debug("bul: %s/%s: no PBA for seq %u, retransmitting", e->mn_id, e->iface, e->seq);
	send_pbu(c, e, e->state == BUL_DEREGISTERING ? 0 : req_lifetime(c), now, false);
	return BUL_EV_NONE;
}

uint64_t bul_deadline(const struct bul_entry *e)
{
	uint64_t d = BUL_NO_DEADLINE;

	switch (e->state) {
	case BUL_IDLE:
		return d;
	case BUL_REGISTERED:
		d = e->expires_ms;
		if (!e->awaiting)
			return e->refresh_ms < d ? e->refresh_ms : d;
		break;
	default:
		break;
	}
	return e->next_tx_ms < d ? e->next_tx_ms : d;
}
