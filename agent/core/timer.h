/* SPDX-License-Identifier: GPL-2.0 */
/*
 * timer.h — the agent's one timer module: one-shot millisecond timers embedded in
 * their owners (a binding's lifetime, a transaction's retransmission, a peer's
 * heartbeat), grouped in a wheel that belongs to a role.
 *
 * Two ways to run a wheel, chosen once at fm_timers_init():
 *   - on a libev loop (the daemon): every armed timer is an ev_timer on the loop
 *     (libev keeps them in its heap: arming and firing are O(log n));
 *   - without a loop (unit tests, an injected clock): the wheel keeps its own
 *     binary heap and fm_timers_run(now) fires every timer due at "now", earliest
 *     first — O(log n) per timer too.
 * Either way the callback gets the timer and "now"; the owner finds itself with
 * fm_container_of(). A callback may re-arm or stop any timer, free its owner, or arm
 * others. Times are fm_now_ms() milliseconds.
 */
#ifndef FLOWMOB_TIMER_H
#define FLOWMOB_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "core/list.h"

struct fm_timer;
struct fm_timers;

typedef void (*fm_timer_fn)(struct fm_timer *t, uint64_t now);

struct fm_timer {
	ev_timer w;   /* on a loop: the libev watcher */
	uint64_t due; /* ms; 0 = not armed */
	size_t slot;  /* without a loop: index in the wheel's heap */
	fm_timer_fn fn;
	struct fm_timers *wheel;
};

struct fm_timers {
	struct ev_loop *loop; /* NULL: fired by fm_timers_run() */
	struct fm_timer **heap;
	size_t n, cap;
	size_t armed; /* armed timers, either way */
};

/* A wheel on loop (NULL: manual, driven by fm_timers_run). */
void fm_timers_init(struct fm_timers *w, struct ev_loop *loop);
/* Disarms every timer still armed and frees the wheel's memory. */
void fm_timers_fini(struct fm_timers *w);

/* An unarmed timer of wheel w calling fn. */
void fm_timer_init(struct fm_timer *t, struct fm_timers *w, fm_timer_fn fn);
/* (Re)arms t to fire at due (ms; a due time in the past fires at the next chance). */
void fm_timer_set(struct fm_timer *t, uint64_t due, uint64_t now);
/* Disarms t; a no-op when it is not armed (or was never initialised by fm_timer_init). */
void fm_timer_stop(struct fm_timer *t);
static inline bool fm_timer_armed(const struct fm_timer *t)
{
	return t->due != 0;
}

/* Manual wheel: fires, earliest first, every timer due at or before now (also those
 * armed by the callbacks for a time <= now). No-op on a loop wheel. */
void fm_timers_run(struct fm_timers *w, uint64_t now);
/* Earliest due time of a manual wheel, 0 when nothing is armed. */
uint64_t fm_timers_next(const struct fm_timers *w);

#endif /* FLOWMOB_TIMER_H */
