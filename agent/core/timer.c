/* SPDX-License-Identifier: GPL-2.0 */
/*
 * timer.c — one-shot timers on a libev loop, or on the wheel's own binary heap
 * when there is no loop (unit tests drive it with fm_timers_run). See timer.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/timer.h"

/* ---- the manual wheel's min-heap on (due, slot) -------------------------------------- */

static void heap_place(struct fm_timers *w, size_t i, struct fm_timer *t)
{
	w->heap[i] = t;
	t->slot = i;
}

static void heap_up(struct fm_timers *w, size_t i)
{
	struct fm_timer *t = w->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (w->heap[parent]->due <= t->due)
			break;
		heap_place(w, i, w->heap[parent]);
		i = parent;
	}
	heap_place(w, i, t);
}

static void heap_down(struct fm_timers *w, size_t i)
{
	struct fm_timer *t = w->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= w->n)
			break;
		if (c + 1 < w->n && w->heap[c + 1]->due < w->heap[c]->due)
			c++;
		if (t->due <= w->heap[c]->due)
			break;
		heap_place(w, i, w->heap[c]);
		i = c;
	}
	heap_place(w, i, t);
}

static int heap_push(struct fm_timers *w, struct fm_timer *t)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct fm_timer **h = realloc(w->heap, cap * sizeof(*h));

		if (!h)
			return -1;
		w->heap = h;
		w->cap = cap;
	}
	heap_place(w, w->n++, t);
	heap_up(w, t->slot);
	return 0;
}

static void heap_remove(struct fm_timers *w, struct fm_timer *t)
{
	size_t i = t->slot;
	struct fm_timer *last = w->heap[--w->n];

	if (i == w->n)
		return;
	heap_place(w, i, last);
	heap_down(w, i);
	heap_up(w, last->slot);
}

/* ---- libev ------------------------------------------------------------------------------ */

static void on_ev(struct ev_loop *loop, ev_timer *ew, int revents)
{
	struct fm_timer *t = fm_container_of(ew, struct fm_timer, w);

	(void)loop;
	(void)revents;
	t->due = 0;
	t->wheel->armed--;
	t->fn(t, fm_now_ms());
}

/* ---- API ---------------------------------------------------------------------------------- */

void fm_timers_init(struct fm_timers *w, struct ev_loop *loop)
{
	memset(w, 0, sizeof(*w));
	w->loop = loop;
}

void fm_timers_fini(struct fm_timers *w)
{
	while (w->n)
		fm_timer_stop(w->heap[0]);
	free(w->heap);
	w->heap = NULL;
	w->cap = 0;
}

void fm_timer_init(struct fm_timer *t, struct fm_timers *w, fm_timer_fn fn)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->wheel = w;
	ev_init(&t->w, on_ev);
}

void fm_timer_stop(struct fm_timer *t)
{
	struct fm_timers *w = t->wheel;

	if (!w || !t->due)
		return;
	if (w->loop)
		ev_timer_stop(w->loop, &t->w);
	else
		heap_remove(w, t);
	t->due = 0;
	w->armed--;
}

void fm_timer_set(struct fm_timer *t, uint64_t due, uint64_t now)
{
	struct fm_timers *w = t->wheel;

	fm_timer_stop(t);
	t->due = due ? due : 1;
	w->armed++;
	if (w->loop) {
		ev_timer_set(&t->w, due > now ? (double)(due - now) / 1000.0 : 0.0, 0.0);
		ev_timer_start(w->loop, &t->w);
	} else if (heap_push(w, t) < 0) {
		/* out of memory: fire at the next run rather than never */
		pr_err("timer: cannot arm a timer (out of memory)\n");
		t->due = 0;
		w->armed--;
	}
}

void fm_timers_run(struct fm_timers *w, uint64_t now)
{
	if (w->loop)
		return;
	while (w->n && w->heap[0]->due <= now) {
		struct fm_timer *t = w->heap[0];

		heap_remove(w, t);
		t->due = 0;
		w->armed--;
		t->fn(t, now);
	}
}

uint64_t fm_timers_next(const struct fm_timers *w)
{
	return w->n ? w->heap[0]->due : 0;
}
