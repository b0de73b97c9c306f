// SPDX-License-Identifier: GPL-2.0
/*
 * lma_peer.c — the LMA's MAG peers: heartbeats (RFC 5847) through the shared
 * proto/heartbeat module — a request per interval once the MAG has a binding, a
 * peer down after the configured number of unanswered ones, a response matching no
 * outstanding request ignored and counted, a new restart counter taken as a MAG
 * restart — any other valid message as proof of life, a Binding Error 2 in answer
 * to a heartbeat as "no heartbeat support", and their effect on the bindings:
 *
 *   down (silence)  every active binding through the MAG becomes peer-down, its
 *                   flows are rescued to the MN's other bindings;
 *   up again        the peer's next heartbeat answer decides: same restart counter
 *                   -> its peer-down bindings are active again with their flows;
 *   restart         bindings not re-registered since the last heartbeat with the
 *                   old counter become peer-down; the MAG's next accepted PBU for
 *                   one makes it active again with its flows (lma_reg.c).
 *
 * Whether a heartbeat's restart counter is believed is decided in one place,
 * restart_believed(), where an authentication check belongs.
 *
 * Layer: above flow mobility (lma_flow.c), lma_base.c and the caches; called by
 * lma.c only.
 */
#include <string.h>

#include "core/log.h"
#include "lma/lma_flow.h"
#include "lma/lma_peer.h"

static enum fm_hb_mode peer_mode(const struct lma *l, const struct lma_peer *p)
{
	const struct fm_cfg_lma *c = &l->cfg->lma;

	for (int j = 0; j < c->n_mags; j++)
		if (!memcmp(&c->mags[j], &p->addr, 16))
			return c->mag_heartbeat[j];
	return FM_HB_AUTO;
}

/* Heartbeats are sent to the peer (configured, supported, and it has had a binding). */
static bool hb_wanted(const struct lma *l, const struct lma_peer *p)
{
	enum fm_hb_mode m = peer_mode(l, p);

	if (!l->cfg->lma.timers.heartbeat_interval_s || m == FM_HB_OFF)
		return false;
	return p->hb_armed && (m == FM_HB_ON || !p->no_hb);
}

/* The MAG's bindings that match from() go to state `to` (data plane updated); every
 * MN touched gets its prefixes re-programmed and then after(). Returns how many. */
static unsigned peer_bindings(struct lma *l, const struct lma_peer *p,
			      bool (*pick)(const struct bce_binding *, uint64_t), uint64_t since,
			      enum bce_state to,
			      void (*after)(struct lma *, struct bce_mn *, uint64_t), uint64_t now)
{
	struct bce_mn *mn, *next;
	unsigned n = 0;

	TAILQ_FOREACH_SAFE(mn, &l->bce.mns, link, next)
	{
		bool hit = false;

		for (unsigned i = 0; i < mn->n_b; i++) {
			struct bce_binding *b = mn->b[i];

			if (memcmp(&b->mag, &p->addr, 16) || !pick(b, since))
				continue;
			b->state = to;
			lma_dp_binding(l, b);
			hit = true;
			n++;
		}
		if (hit) {
			lma_dp_prefixes(l, mn);
			after(l, mn, now);
		}
	}
	return n;
}

static bool is_active(const struct bce_binding *b, uint64_t since)
{
	(void)since;
	return b->state == BCE_ACTIVE;
}

static bool is_peer_down(const struct bce_binding *b, uint64_t since)
{
	(void)since;
	return b->state == BCE_PEER_DOWN;
}

/* Active and not re-registered after `since` (the last word of the old instance). */
static bool stale_active(const struct bce_binding *b, uint64_t since)
{
	return b->state == BCE_ACTIVE && b->refreshed_ms <= since;
}

static void transition(struct lma *l, struct lma_peer *p, bool up, const char *why, uint64_t now)
{
	char b[INET6_ADDRSTRLEN];
	json_t *o = json_object();

	p->reason = why;
	p->changed_ms = now;
	if (up)
		pr_info("lma: MAG %s up (%s)\n", a6(&p->addr, b), why);
	else
		pr_warn("lma: MAG %s down (%s)\n", a6(&p->addr, b), why);
	json_object_set_new(o, "mag", j_addr(&p->addr));
	json_object_set_new(o, "reason", json_string(why));
	lma_emit(l, up ? "peer-up" : "peer-down", o);
}

static void peer_down(struct lma *l, struct lma_peer *p, const char *why, uint64_t now)
{
	p->hb.up = false;
	p->revalidate = false;
	transition(l, p, false, why, now);
	peer_bindings(l, p, is_active, 0, BCE_PEER_DOWN, lma_rescue_flows, now);
	lma_mark_dirty(l);
}

/* The peer kept its state: its peer-down bindings are usable again, with their flows. */
static void peer_bindings_back(struct lma *l, struct lma_peer *p, uint64_t now)
{
	if (peer_bindings(l, p, is_peer_down, 0, BCE_ACTIVE, lma_restore_flows, now))
		lma_mark_dirty(l);
}

/* The peer restarted: what it registered before is doubtful until it says so again. */
static void peer_restarted(struct lma *l, struct lma_peer *p, uint64_t since, uint64_t now)
{
	char b[INET6_ADDRSTRLEN];
	unsigned n;
	json_t *o;

	n = peer_bindings(l, p, stale_active, since, BCE_PEER_DOWN, lma_rescue_flows, now);
	pr_warn("lma: MAG %s restarted (restart counter %u): %u binding(s) wait for its PBUs\n",
		a6(&p->addr, b), p->hb.rc, n);
	o = json_object();
	json_object_set_new(o, "mag", j_addr(&p->addr));
	json_object_set_new(o, "restart_counter", json_integer(p->hb.rc));
	json_object_set_new(o, "bindings", json_integer(n));
	lma_emit(l, "peer-restart", o);
	p->reason = "restart";
	p->changed_ms = now;
	lma_mark_dirty(l);
}

static void send_heartbeat(struct lma *l, struct lma_peer *p, uint64_t now)
{
	struct mh_msg m;

	(void)now;
	if (fm_hb_interval(&p->hb, ++l->hb_seq, l->cfg->lma.timers.heartbeat_missed))
		peer_down(l, p, "heartbeat", now);
	fm_hb_build(&m, false, p->hb.seq, l->restart_counter);
	lma_send_msg(l, &m, &p->addr);
}

static void heartbeat_timer(struct fm_timer *t, uint64_t now)
{
	struct lma *l = lma_of_timer(t);
	struct lma_peer *p = fm_container_of(t, struct lma_peer, timer);
	const struct fm_cfg_lma_timers *c = &l->cfg->lma.timers;

	if (!c->heartbeat_interval_s)
		return;
	if (hb_wanted(l, p))
		send_heartbeat(l, p, now);
	fm_timer_set(&p->timer, now + (uint64_t)c->heartbeat_interval_s * 1000, now);
}

/*
 * Is this heartbeat's new restart counter the MAG's word? Only an authenticated MAG
 * (RFC 4285, lma.mag-keys) may take its bindings away by a restart counter: anyone who
 * can send from a configured MAG's address could forge one. Without a key the counter
 * is recorded (peers shows it) but a change is not acted on; the MAG's re-registrations
 * and its silence (missed heartbeats) still tell the LMA what happened.
 */
static bool restart_believed(const struct lma *l, const struct lma_peer *p, const struct hb_view *v)
{
	return v->has_rc && lma_peer_authenticated(l, &p->addr);
}

void lma_handle_heartbeat(struct lma *l, struct lma_peer *p, const struct hb_view *v, uint64_t now)
{
	const uint32_t *rc = v->has_rc ? &v->restart_counter : NULL;
	uint64_t since = p->rc_ms;
	unsigned verdict;

	if (!v->response) {
		struct mh_msg r;

		fm_hb_build(&r, true, v->seq, l->restart_counter);
		lma_send_msg(l, &r, &p->addr);
	}
	verdict = fm_hb_rx(&p->hb, v->response, v->seq, rc, now);
	if ((verdict & FM_HB_RESTARTED) && !restart_believed(l, p, v)) {
		char b[INET6_ADDRSTRLEN];

		/* shown in peers, not acted on */
		verdict &= ~(unsigned)FM_HB_RESTARTED;
		p->restarts_ignored++;
		pr_info_rl(
		    FM_FIELDS({"mag", a6(&p->addr, b)}),
		    "lma: MAG %s reports a new restart counter (%u) but is not authenticated: "
		    "not acted on",
		    b, v->restart_counter);
	}
	if (verdict == FM_HB_IGNORED) {
		l->rx_ignored++; /* a response to no outstanding request */
		return;
	}
	if (rc)
		p->rc_ms = now;
	if (verdict & FM_HB_CAME_UP)
		transition(l, p, true, "heartbeat", now);
	if (verdict & FM_HB_RESTARTED) {
		/* the MAG lost (or may have lost) its state: its bindings not
		 * re-registered since its last heartbeat before the restart wait */
		p->revalidate = false;
		peer_restarted(l, p, since, now);
	} else if ((verdict & FM_HB_CAME_UP) || p->revalidate) {
		/* the MAG kept its state: its bindings are usable again */
		p->revalidate = false;
		peer_bindings_back(l, p, now);
	}
	if (l->n_parked)
		lma_flow_resync(l, &p->addr, now); /* given-up exchanges are redone */
}

void lma_peer_seen(struct lma *l, struct lma_peer *p, enum mh_kind kind, uint64_t now)
{
	unsigned v = fm_hb_seen(&p->hb, now);

	if (l->n_parked)
		lma_flow_resync(l, &p->addr, now); /* given-up exchanges are redone */

	if (!(v & FM_HB_CAME_UP))
		return;
	/* any valid message is proof of life (RFC 5847 §3.1: heartbeats are only needed
	 * when there is no other signaling) */
	transition(l, p, true, mh_kind_name(kind), now);
	if (hb_wanted(l, p)) {
		/* did it restart meanwhile? its answer to this request decides (the
		 * requests it left unanswered while down are no misses any more) */
		p->revalidate = true;
		p->hb.outstanding = false;
		send_heartbeat(l, p, now);
	} else {
		peer_bindings_back(l, p, now);
	}
}

void lma_peer_binding_error(struct lma *l, struct lma_peer *p, uint8_t status, uint64_t now)
{
	char b[INET6_ADDRSTRLEN];

	if (status != 2 || !p->hb.outstanding || peer_mode(l, p) != FM_HB_AUTO || p->no_hb)
		return;
	/* RFC 6275 §9.2: it does not know the Heartbeat MH type (RFC 5847 §6) */
	p->no_hb = true;
	p->hb.outstanding = false;
	p->hb.missed = 0;
	fm_hb_seen(&p->hb, now);
	pr_info("lma: MAG %s answers heartbeats with Binding Error 2: no heartbeat support, "
		"its liveness is its signaling\n",
		a6(&p->addr, b));
	p->reason = "no heartbeat support";
	p->changed_ms = now;
}

void lma_peer_fault(struct lma *l, const struct in6_addr *src, enum fm_mh_fault f)
{
	struct lma_peer *p = lma_peer_find(l, src);

	if (p && (unsigned)f < FM_MH_FAULT_COUNT)
		p->malformed[f]++;
}

const char *lma_peer_heartbeat_state(const struct lma *l, const struct lma_peer *p)
{
	enum fm_hb_mode m = peer_mode(l, p);

	if (!l->cfg->lma.timers.heartbeat_interval_s || m == FM_HB_OFF)
		return "off";
	if (m == FM_HB_AUTO && p->no_hb)
		return "unsupported";
	return p->hb_armed ? "on" : "waiting for a binding";
}

void lma_peers_apply(struct lma *l, uint64_t now)
{
	const struct fm_cfg_lma *c = &l->cfg->lma;
	struct lma_peer old[FM_CFG_MAX_MAGS];
	int n_old = l->n_peers;

	memcpy(old, l->peers, sizeof(old));
	for (int i = 0; i < n_old; i++) {
		bool keep = false;

		fm_timer_stop(&l->peers[i].timer);
		for (int j = 0; j < c->n_mags; j++)
			keep |= !memcmp(&old[i].addr, &c->mags[j], 16);
		if (!keep)
			DP(l, peer_del, &old[i].addr);
	}
	l->n_peers = 0;
	for (int j = 0; j < c->n_mags; j++) {
		struct lma_peer *p = &l->peers[l->n_peers++];
		bool kept = false;

		memset(p, 0, sizeof(*p));
		p->addr = c->mags[j];
		fm_hb_init(&p->hb);
		for (int i = 0; i < n_old && !kept; i++)
			if (!memcmp(&old[i].addr, &p->addr, 16)) {
				*p = old[i];
				kept = true;
			}
		if (!kept)
			p->hb_armed = lma_peer_has_bindings(l, p);
		fm_timer_init(&p->timer, &l->timers, heartbeat_timer);
		DP(l, peer_set, &p->addr);
		if (c->timers.heartbeat_interval_s)
			fm_timer_set(&p->timer,
				     now + (uint64_t)c->timers.heartbeat_interval_s * 1000, now);
	}
}

bool lma_peer_has_bindings(const struct lma *l, const struct lma_peer *p)
{
	const struct bce_mn *mn;

	TAILQ_FOREACH(mn, &l->bce.mns, link)
	{
		for (unsigned j = 0; j < mn->n_b; j++)
			if (!memcmp(&mn->b[j]->mag, &p->addr, 16))
				return true;
	}
	return false;
}
