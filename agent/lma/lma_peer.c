// SPDX-License-Identifier: GPL-2.0
/*
 * lma_peer.c — the LMA's MAG peers: heartbeats (RFC 5847) through the shared
 * proto/heartbeat module — a request per interval, a peer down after the
 * configured number of unanswered ones, a response matching no outstanding
 * request ignored and counted, a new restart counter taken as a MAG restart — and
 * their effect on the bindings (peer-down bindings, flows rescued to the MN's
 * other bindings, bindings usable again when the MAG returns with its state).
 *
 * Layer: above flow mobility (lma_flow.c), lma_base.c and the caches; called by
 * lma.c only.
 */
#include <string.h>

#include "core/log.h"
#include "lma/lma_flow.h"
#include "lma/lma_peer.h"

/* The MAG's bindings in state `from` go to state `to` (data plane updated); every MN
 * touched gets its prefixes re-programmed and then after(). */
static void peer_bindings(struct lma *l, const struct lma_peer *p, enum bce_state from,
			  enum bce_state to, void (*after)(struct lma *, struct bce_mn *, uint64_t),
			  uint64_t now)
{
	struct bce_mn *mn, *next;

	TAILQ_FOREACH_SAFE(mn, &l->bce.mns, link, next)
	{
		bool hit = false;

		for (unsigned i = 0; i < mn->n_b; i++) {
			struct bce_binding *b = mn->b[i];

			if (memcmp(&b->mag, &p->addr, 16) || b->state != from)
				continue;
			b->state = to;
			lma_dp_binding(l, b);
			hit = true;
		}
		if (hit) {
			lma_dp_prefixes(l, mn);
			after(l, mn, now);
		}
	}
}

static void peer_down(struct lma *l, struct lma_peer *p, const char *why, uint64_t now)
{
	char b[INET6_ADDRSTRLEN];
	json_t *o;

	p->hb.up = false;
	pr_warn("lma: MAG %s down (%s)\n", a6(&p->addr, b), why);
	o = json_object();
	json_object_set_new(o, "mag", j_addr(&p->addr));
	json_object_set_new(o, "reason", json_string(why));
	lma_emit(l, "peer-down", o);
	peer_bindings(l, p, BCE_ACTIVE, BCE_PEER_DOWN, lma_rescue_flows, now);
	lma_mark_dirty(l);
}

static void peer_up(struct lma *l, struct lma_peer *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "mag", j_addr(&p->addr));
	lma_emit(l, "peer-up", o);
}

static void heartbeat_timer(struct fm_timer *t, uint64_t now)
{
	struct lma *l = lma_of_timer(t);
	struct lma_peer *p = fm_container_of(t, struct lma_peer, timer);
	const struct fm_cfg_lma_timers *c = &l->cfg->lma.timers;
	struct mh_msg m;

	if (!c->heartbeat_interval_s)
		return;
	if (fm_hb_interval(&p->hb, ++l->hb_seq, c->heartbeat_missed))
		peer_down(l, p, "heartbeat", now);
	fm_hb_build(&m, false, p->hb.seq, l->restart_counter);
	lma_send_msg(l, &m, &p->addr);
	fm_timer_set(&p->timer, now + (uint64_t)c->heartbeat_interval_s * 1000, now);
}

void lma_handle_heartbeat(struct lma *l, struct lma_peer *p, const struct hb_view *v, uint64_t now)
{
	const uint32_t *rc = v->has_rc ? &v->restart_counter : NULL;
	unsigned verdict;

	if (!v->response) {
		struct mh_msg r;

		fm_hb_build(&r, true, v->seq, l->restart_counter);
		lma_send_msg(l, &r, &p->addr);
	}
	verdict = fm_hb_rx(&p->hb, v->response, v->seq, rc, now);
	if (verdict == FM_HB_IGNORED) {
		l->rx_ignored++; /* a response to no outstanding request */
		return;
	}
	if (verdict & FM_HB_RESTARTED) {
		/* the MAG lost its state: its bindings wait for its new PBUs */
		peer_down(l, p, "restart", now);
		p->hb.up = true;
		peer_up(l, p);
	} else if (verdict & FM_HB_CAME_UP) {
		/* the MAG kept its state: its bindings are usable again */
		peer_up(l, p);
		peer_bindings(l, p, BCE_PEER_DOWN, BCE_ACTIVE, lma_replace_flows, now);
	}
}

void lma_peer_seen(struct lma_peer *p, uint64_t now)
{
	if (p->hb.up)
		p->hb.last_seen_ms = now;
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

		memset(p, 0, sizeof(*p));
		p->addr = c->mags[j];
		fm_hb_init(&p->hb);
		for (int i = 0; i < n_old; i++)
			if (!memcmp(&old[i].addr, &p->addr, 16))
				p->hb = old[i].hb;
		fm_timer_init(&p->timer, &l->timers, heartbeat_timer);
		DP(l, peer_set, &p->addr);
		if (c->timers.heartbeat_interval_s)
			fm_timer_set(&p->timer,
				     now + (uint64_t)c->timers.heartbeat_interval_s * 1000, now);
	}
}
