/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heartbeat.h — RFC 5847 heartbeats, the one copy both roles use: the LMA keeps one
 * struct fm_hb per MAG, the MAG one for its LMA.
 *
 * At each interval the role calls fm_hb_interval(): a request left unanswered counts
 * as a miss, and the peer is declared down when misses reach the configured limit;
 * the role then sends the request that fm_hb_build() makes. Every heartbeat from the
 * peer goes through fm_hb_rx(): a request, or a response whose sequence number is the
 * outstanding request's, is proof of life (a response that matches no outstanding
 * request is ignored and counted: RFC 5847 §3.1 matches the two by sequence number);
 * a Restart Counter different from the one last seen means the peer restarted
 * (RFC 5847 §3.2, §5.2). What follows from "down", "up" and "restarted" is the
 * role's business; this module only decides them.
 */
#ifndef FLOWMOB_HEARTBEAT_H
#define FLOWMOB_HEARTBEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "mh/mh.h"

struct fm_hb {
	bool up;	  /* the peer answered (or never missed yet) */
	bool outstanding; /* a request is waiting for its response */
	uint32_t seq;	  /* the outstanding request's sequence number */
	uint32_t missed;  /* consecutive unanswered requests */
	bool rc_known;
	uint32_t rc;	       /* the peer's restart counter, once seen */
	uint64_t last_seen_ms; /* last proof of life (fm_now_ms) */
	uint64_t ignored;      /* responses matching no outstanding request */
};

/* What a received heartbeat meant (bits). */
enum fm_hb_verdict {
	FM_HB_IGNORED = 0,	  /* a stale or unsolicited response: nothing changed */
	FM_HB_ALIVE = 1 << 0,	  /* proof of life */
	FM_HB_CAME_UP = 1 << 1,	  /* ... from a peer that was down */
	FM_HB_RESTARTED = 1 << 2, /* ... with a new restart counter */
};

/* A peer not heard from yet counts as up (a MAG is configured, an LMA given). */
void fm_hb_init(struct fm_hb *h);

/* Interval timer: counts the previous request as missed when unanswered and records
 * the new request (seq). Returns true exactly when this miss takes the peer down. */
bool fm_hb_interval(struct fm_hb *h, uint32_t seq, uint32_t missed_max);

/* A heartbeat from the peer: response or request, its sequence number, its restart
 * counter when it carried one (NULL otherwise). */
unsigned fm_hb_rx(struct fm_hb *h, bool response, uint32_t seq, const uint32_t *rc, uint64_t now);

/* Any other valid message from the peer (PBU, PBA, FMA, ...): proof of life too.
 * Returns FM_HB_ALIVE, with FM_HB_CAME_UP when the peer was down. */
unsigned fm_hb_seen(struct fm_hb *h, uint64_t now);

/* A heartbeat request (response=false) or response carrying our restart counter. */
void fm_hb_build(struct mh_msg *m, bool response, uint32_t seq, uint32_t my_rc);

#endif /* FLOWMOB_HEARTBEAT_H */
