/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xact.c — retransmission with exponential backoff for one request. See xact.h.
 */
#include "core/list.h"
#include "proto/xact.h"

static void on_timeout(struct fm_timer *t, uint64_t now)
{
	struct fm_xact *x = fm_container_of(t, struct fm_xact, timer);

	if (x->rto_ms >= x->max_ms) {
		x->ops->give_up(x, now);
		return;
	}
	x->rto_ms = x->rto_ms * 2 > x->max_ms ? x->max_ms : x->rto_ms * 2;
	x->tries++;
	fm_timer_set(&x->timer, now + x->rto_ms, now);
	x->ops->send(x, x->tries, now);
}

void fm_xact_start(struct fm_xact *x, struct fm_timers *w, const struct fm_xact_ops *ops,
		   uint32_t initial_ms, uint32_t max_ms, uint64_t now)
{
	fm_timer_init(&x->timer, w, on_timeout);
	x->ops = ops;
	x->initial_ms = initial_ms ? initial_ms : 1;
	x->max_ms = max_ms < x->initial_ms ? x->initial_ms : max_ms;
	fm_xact_restart(x, now);
}

void fm_xact_restart(struct fm_xact *x, uint64_t now)
{
	x->rto_ms = x->initial_ms;
	x->tries = 1;
	fm_timer_set(&x->timer, now + x->rto_ms, now);
	x->ops->send(x, 1, now);
}

void fm_xact_stop(struct fm_xact *x)
{
	fm_timer_stop(&x->timer);
}
