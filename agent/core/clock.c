// SPDX-License-Identifier: GPL-2.0
/*
 * clock.c — the agent's monotonic and wall clocks, replaceable by unit tests
 * (fm_clock_override) so that lifetimes and timestamps can be driven by hand.
 */
#include <time.h>

#include "core/clock.h"

static uint64_t (*now_hook)(void);
static void (*wall_hook)(struct timespec *ts);

uint64_t fm_now_ms(void)
{
	struct timespec ts;

	if (now_hook)
		return now_hook();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void fm_wall(struct timespec *ts)
{
	if (wall_hook) {
		wall_hook(ts);
		return;
	}
	clock_gettime(CLOCK_REALTIME, ts);
}

void fm_clock_override(uint64_t (*now_ms)(void), void (*wall)(struct timespec *ts))
{
	now_hook = now_ms;
	wall_hook = wall;
}
