/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fm_test_weak.h — weak fallbacks for the core's logging and clock functions,
 * included by the MAG unit tests so they link whether or not agent/core/log.c and
 * agent/core/clock.c are in libflowmob.a yet (the real, strong definitions win).
 * The clock is always driven by the test through test_now_ms / test_wall_s.
 */
#ifndef FM_TEST_WEAK_H
#define FM_TEST_WEAK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

static uint64_t test_now_ms = 1000000;
static time_t test_wall_s = 1700000000;

static uint64_t test_clock_now(void)
{
	return test_now_ms;
}

static void test_clock_wall(struct timespec *ts)
{
	ts->tv_sec = test_wall_s;
	ts->tv_nsec = 500000000; /* half a second: fraction 0x8000 */
}

static uint64_t (*weak_now)(void) = test_clock_now;
static void (*weak_wall)(struct timespec *) = test_clock_wall;

__attribute__((weak)) void fm_log(enum fm_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!getenv("FM_TEST_LOG"))
		return;
	va_start(ap, fmt);
	fprintf(stderr, "[%d] ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

__attribute__((weak)) uint64_t fm_now_ms(void)
{
	return weak_now();
}

__attribute__((weak)) void fm_wall(struct timespec *ts)
{
	weak_wall(ts);
}

__attribute__((weak)) void fm_clock_override(uint64_t (*now_ms)(void),
					     void (*wall)(struct timespec *ts))
{
	weak_now = now_ms ? now_ms : test_clock_now;
	weak_wall = wall ? wall : test_clock_wall;
}

#ifdef FM_TEST_WANT_TS_JSON
#include "mh/mh_json.h"
/* Until agent/mh/mh_json.c lands: a selector as an object of its next_header only. */
__attribute__((weak)) json_t *ts_to_json(const struct fm_ts *ts)
{
	json_t *o = json_object();

	if (ts->f[TS_NEXT_HEADER].n == TS_EXACT)
		json_object_set_new(o, "next_header",
				    json_pack("[i]", (int)ts->f[TS_NEXT_HEADER].num[0]));
	return o;
}
#endif

/* Route the real clock (when linked) to the test's variables. */
static inline void test_clock_install(void)
{
	fm_clock_override(test_clock_now, test_clock_wall);
}

static inline size_t hex2bin(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (hex[0] && hex[1] && n < max) {
		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

#endif
