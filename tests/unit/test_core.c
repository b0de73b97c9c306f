// SPDX-License-Identifier: GPL-2.0
/*
 * test_core.c — the agent's shared infrastructure: the timer wheel (manual heap
 * order, re-arming and stopping from callbacks, many timers; a libev wheel fires
 * on the loop), the one number parser (decimal and 0x only, nothing after the
 * digits) and mkdir -p (parents 0755, leaf mode, a file in the way).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/fsutil.h"
#include "core/list.h"
#include "core/num.h"
#include "core/timer.h"

/* ---- timers -------------------------------------------------------------------------- */

struct tobj {
	struct fm_timer t;
	int id;
	int fired;
	uint64_t at, due;
	struct tobj *rearm_other; /* on fire: stop this one */
};

static int order[64], n_order, n_fired;

static void on_fire(struct fm_timer *t, uint64_t now)
{
	struct tobj *o = fm_container_of(t, struct tobj, t);

	o->fired++;
	o->at = now;
	n_fired++;
	if (n_order < 64)
		order[n_order++] = o->id;
	if (o->rearm_other)
		fm_timer_stop(&o->rearm_other->t);
}

static void test_timer_order(void **state)
{
	struct fm_timers w;
	struct tobj o[5] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};
	const uint64_t due[5] = {500, 100, 300, 100, 900};

	(void)state;
	n_order = 0;
	fm_timers_init(&w, NULL);
	for (int i = 0; i < 5; i++) {
		fm_timer_init(&o[i].t, &w, on_fire);
		fm_timer_set(&o[i].t, due[i], 0);
	}
	assert_int_equal(w.armed, 5);
	assert_int_equal(fm_timers_next(&w), 100);
	fm_timers_run(&w, 99);
	assert_int_equal(n_order, 0);
	fm_timers_run(&w, 400);
	assert_int_equal(n_order, 3);
	assert_true(order[0] == 1 || order[0] == 3);
	assert_true(order[1] == 1 || order[1] == 3);
	assert_int_equal(order[2], 2);
	assert_int_equal(o[2].at, 400);
	assert_false(fm_timer_armed(&o[2].t));
	/* re-arm an armed timer: it moves */
	fm_timer_set(&o[0].t, 2000, 400);
	fm_timers_run(&w, 1000);
	assert_int_equal(n_order, 4);
	assert_int_equal(order[3], 4);
	assert_int_equal(o[0].fired, 0);
	fm_timer_stop(&o[0].t);
	fm_timer_stop(&o[0].t); /* twice: no-op */
	assert_int_equal(w.armed, 0);
	fm_timers_run(&w, 5000);
	assert_int_equal(o[0].fired, 0);
	fm_timers_fini(&w);
}

static void test_timer_stop_from_callback(void **state)
{
	struct fm_timers w;
	struct tobj a = {.id = 1}, b = {.id = 2};

	(void)state;
	n_order = 0;
	fm_timers_init(&w, NULL);
	fm_timer_init(&a.t, &w, on_fire);
	fm_timer_init(&b.t, &w, on_fire);
	a.rearm_other = &b;
	fm_timer_set(&a.t, 10, 0);
	fm_timer_set(&b.t, 11, 0);
	fm_timers_run(&w, 20); /* both due: a fires first and stops b */
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 0);
	assert_int_equal(w.armed, 0);
	fm_timers_fini(&w);
}

static void test_timer_many(void **state)
{
	enum { N = 20000 };
	struct fm_timers w;
	struct tobj *o = calloc(N, sizeof(*o));
	int fired = 0;

	(void)state;
	assert_non_null(o);
	fm_timers_init(&w, NULL);
	for (int i = 0; i < N; i++) {
		fm_timer_init(&o[i].t, &w, on_fire);
		o[i].due = 1 + (uint64_t)((i * 7919) % N);
		fm_timer_set(&o[i].t, o[i].due, 0);
	}
	for (int i = 0; i < N; i += 3)
		fm_timer_stop(&o[i].t);
	for (uint64_t now = 0; now <= N; now += 97) {
		n_fired = 0;
		fm_timers_run(&w, now);
		fired += n_fired;
		assert_true(fm_timers_next(&w) == 0 || fm_timers_next(&w) > now);
	}
	n_fired = 0;
	fm_timers_run(&w, N + 1);
	fired += n_fired;
	assert_int_equal(fired, N - (N + 2) / 3);
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0) {
			assert_int_equal(o[i].fired, 0);
			continue;
		}
		assert_int_equal(o[i].fired, 1);
		/* fired at the first run at or after its due time */
		assert_true(o[i].at >= o[i].due && o[i].at < o[i].due + 97);
	}
	assert_int_equal(w.armed, 0);
	fm_timers_fini(&w);
	free(o);
}

static void test_timer_libev(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct fm_timers w;
	struct tobj a = {.id = 1}, b = {.id = 2};

	(void)state;
	n_order = 0;
	fm_timers_init(&w, loop);
	fm_timer_init(&a.t, &w, on_fire);
	fm_timer_init(&b.t, &w, on_fire);
	fm_timer_set(&a.t, 20, 0);
	fm_timer_set(&b.t, 5, 0);
	fm_timer_stop(&a.t);
	fm_timer_set(&a.t, 10, 0);
	assert_int_equal(w.armed, 2);
	ev_run(loop, 0); /* returns when no watcher is left */
	assert_int_equal(n_order, 2);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	assert_int_equal(w.armed, 0);
	fm_timers_fini(&w);
	ev_loop_destroy(loop);
}

/* ---- numbers ------------------------------------------------------------------------- */

static void test_num(void **state)
{
	uint32_t v = 77;
	uint64_t v64;

	(void)state;
	assert_int_equal(fm_parse_u32("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(fm_parse_u32("1500", 100000, &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(fm_parse_u32("010", 100, &v), 0); /* decimal, not octal */
	assert_int_equal(v, 10);
	assert_int_equal(fm_parse_u32("0x1F", 100, &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(fm_parse_u32("4294967295", UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	v = 77;
	const char *bad[] = {"",    "-1", "+1",	 " 1",	"1 ",  "3abc",	    "9.9",
			     "1e3", "0x", "0xg", "x10", "101", "4294967296"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fm_parse_u32(bad[i], 100, &v), -1);
		assert_int_equal(v, 77);
	}
	assert_int_equal(fm_parse_u32(NULL, 100, &v), -1);
	assert_int_equal(fm_parse_u64("18446744073709551615", UINT64_MAX, &v64), 0);
	assert_true(v64 == UINT64_MAX);
	assert_int_equal(fm_parse_u64("18446744073709551616", UINT64_MAX, &v64), -1);
}

/* ---- mkdir -p ------------------------------------------------------------------------- */

static void test_mkdir_p(void **state)
{
	char base[] = "/tmp/fm-test-core-XXXXXX", path[128], file[128];
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(path, sizeof(path), "%s/a/b/c", base);
	assert_int_equal(fm_mkdir_p(path, 0700), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(file, sizeof(file), "%s/a/b", base);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_int_equal(fm_mkdir_p(path, 0700), 0); /* exists: fine */
	snprintf(file, sizeof(file), "%s/f", base);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(fm_mkdir_p(file, 0700), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/f/x", base);
	assert_int_equal(fm_mkdir_p(path, 0700), -ENOTDIR);
	assert_int_equal(fm_mkdir_p("", 0700), -ENAMETOOLONG);
	umask(old);
	snprintf(path, sizeof(path), "rm -rf %s", base);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timer_order), cmocka_unit_test(test_timer_stop_from_callback),
	    cmocka_unit_test(test_timer_many),	cmocka_unit_test(test_timer_libev),
	    cmocka_unit_test(test_num),		cmocka_unit_test(test_mkdir_p),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
