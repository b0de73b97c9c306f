/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock.h — the agent's two clocks, injectable for unit tests.
 * fm_now_ms(): monotonic milliseconds, for lifetimes and timers.
 * fm_wall(): wall-clock time, for RFC 5213 Timestamp options.
 * Protocol logic takes "now" from here (or as an argument) so tests can drive it.
 */
#ifndef FLOWMOB_CLOCK_H
#define FLOWMOB_CLOCK_H

#include <stdint.h>
#include <time.h>

uint64_t fm_now_ms(void);
void fm_wall(struct timespec *ts);

/* Tests: replace the clocks (NULL restores the system clocks). */
void fm_clock_override(uint64_t (*now_ms)(void), void (*wall)(struct timespec *ts));

#endif /* FLOWMOB_CLOCK_H */
