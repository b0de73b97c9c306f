/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heartbeat.c — RFC 5847 liveness and restart detection for one peer. See heartbeat.h.
 */
#include <string.h>

#include "proto/heartbeat.h"

void fm_hb_init(struct fm_hb *h)
{
	memset(h, 0, sizeof(*h));
	h->up = true;
}

bool fm_hb_interval(struct fm_hb *h, uint32_t seq, uint32_t missed_max)
{
	bool went_down = false;

	if (h->outstanding) {
		h->missed++;
		if (h->up && h->missed >= missed_max) {
			h->up = false;
			went_down = true;
		}
	}
	h->outstanding = true;
	h->seq = seq;
	return went_down;
}

unsigned fm_hb_seen(struct fm_hb *h, uint64_t now)
{
	unsigned v = FM_HB_ALIVE;

	h->last_seen_ms = now;
	h->missed = 0;
	if (!h->up) {
		h->up = true;
		v |= FM_HB_CAME_UP;
	}
	return v;
}

unsigned fm_hb_rx(struct fm_hb *h, bool response, uint32_t seq, const uint32_t *rc, uint64_t now)
{
	unsigned v;

	if (response) {
		if (!h->outstanding || seq != h->seq) {
			h->ignored++;
			return FM_HB_IGNORED;
		}
		h->outstanding = false;
	}
	v = fm_hb_seen(h, now);
	if (rc) {
		if (h->rc_known && *rc != h->rc)
			v |= FM_HB_RESTARTED;
		h->rc_known = true;
		h->rc = *rc;
	}
	return v;
}

void fm_hb_build(struct mh_msg *m, bool response, uint32_t seq, uint32_t my_rc)
{
	struct mh_opt *o;

	mh_msg_init(m, MH_HEARTBEAT);
	m->flags = response ? MH_HB_R : 0;
	m->seq = seq;
	o = mh_opt_add(m, MH_OPT_RESTART_COUNTER);
	if (o)
		o->restart_counter = my_rc;
}
