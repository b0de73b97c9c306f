// SPDX-License-Identifier: GPL-2.0
/*
 * test_proto.c — the protocol mechanisms both roles share: the 16-bit sequence
 * window (RFC 6275 §9.5.1), RFC 5847 heartbeat liveness and restart detection,
 * and the retransmitting request (backoff, give-up, stop, restart, try numbers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/list.h"
#include "proto/heartbeat.h"
#include "proto/seq.h"
#include "proto/xact.h"

static void test_seq_window(void **state)
{
	(void)state;
	assert_true(fm_seq_newer(1, 0));
	assert_true(fm_seq_newer(0, 0xffff)); /* wraps */
	assert_true(fm_seq_newer(0x7fff, 0));
	assert_false(fm_seq_newer(0x8000, 0));
	assert_false(fm_seq_newer(5, 5));
	assert_false(fm_seq_newer(4, 5));
	assert_true(fm_seq_not_older(5, 5));
	assert_true(fm_seq_not_older(6, 5));
	assert_false(fm_seq_not_older(4, 5));
	assert_true(fm_seq_not_older(2, 0xfffe));
}

static void test_hb_liveness(void **state)
{
	struct fm_hb h;
	uint32_t rc = 7, rc2 = 8;

	(void)state;
	fm_hb_init(&h);
	assert_true(h.up);
	/* three unanswered requests take the peer down, exactly once */
	assert_false(fm_hb_interval(&h, 1, 3));
	assert_false(fm_hb_interval(&h, 2, 3));
	assert_false(fm_hb_interval(&h, 3, 3));
	assert_true(fm_hb_interval(&h, 4, 3));
	assert_false(h.up);
	assert_false(fm_hb_interval(&h, 5, 3));
	/* a stale response (seq 4) is ignored: still down */
	assert_int_equal(fm_hb_rx(&h, true, 4, &rc, 1000), FM_HB_IGNORED);
	assert_false(h.up);
	assert_int_equal(h.ignored, 1);
	/* the matching one brings it back */
	assert_int_equal(fm_hb_rx(&h, true, 5, &rc, 1000), FM_HB_ALIVE | FM_HB_CAME_UP);
	assert_true(h.up);
	assert_int_equal(h.missed, 0);
	assert_int_equal(h.last_seen_ms, 1000);
	assert_false(h.outstanding);
	/* answered twice: the second is ignored */
	assert_int_equal(fm_hb_rx(&h, true, 5, &rc, 1001), FM_HB_IGNORED);
	/* a request with the same counter: alive; a new counter: restarted */
	assert_int_equal(fm_hb_rx(&h, false, 99, &rc, 1002), FM_HB_ALIVE);
	assert_int_equal(fm_hb_rx(&h, false, 100, &rc2, 1003), FM_HB_ALIVE | FM_HB_RESTARTED);
	assert_int_equal(h.rc, 8);
	/* a request without the option changes nothing about the counter */
	assert_int_equal(fm_hb_rx(&h, false, 101, NULL, 1004), FM_HB_ALIVE);
	assert_int_equal(h.rc, 8);
	/* other signaling is proof of life as well */
	fm_hb_interval(&h, 6, 1);
	assert_true(fm_hb_interval(&h, 7, 1));
	assert_int_equal(fm_hb_seen(&h, 2000), FM_HB_ALIVE | FM_HB_CAME_UP);
}

static void test_hb_build(void **state)
{
	struct mh_msg m;

	(void)state;
	memset(&m, 0xa5, sizeof(m));
	fm_hb_build(&m, true, 42, 3);
	assert_int_equal(m.kind, MH_HEARTBEAT);
	assert_int_equal(m.flags, MH_HB_R);
	assert_int_equal(m.seq, 42);
	assert_int_equal(m.n_opts, 1);
	assert_int_equal(m.opts[0].type, MH_OPT_RESTART_COUNTER);
	assert_int_equal(m.opts[0].restart_counter, 3);
	fm_hb_build(&m, false, 43, 3);
	assert_int_equal(m.flags, 0);
}

struct req {
	struct fm_xact x;
	unsigned sends[16];
	uint64_t sent_at[16];
	int n_sends;
	int gave_up;
};

static void req_send(struct fm_xact *x, unsigned try, uint64_t now)
{
	struct req *r = fm_container_of(x, struct req, x);

	r->sends[r->n_sends] = try;
	r->sent_at[r->n_sends++] = now;
}

static void req_give_up(struct fm_xact *x, uint64_t now)
{
	struct req *r = fm_container_of(x, struct req, x);

	(void)now;
	r->gave_up++;
}

static const struct fm_xact_ops req_ops = {.send = req_send, .give_up = req_give_up};

static void run_until(struct fm_timers *w, uint64_t end)
{
	for (uint64_t t = 0; t <= end; t += 10)
		fm_timers_run(w, t);
}

static void test_xact_backoff(void **state)
{
	struct fm_timers w;
	struct req r = {0};

	(void)state;
	fm_timers_init(&w, NULL);
	fm_xact_start(&r.x, &w, &req_ops, 1000, 4000, 0);
	run_until(&w, 60000);
	/* sent at 0, retransmitted at 1000 (+2000) 3000 (+4000) 7000; given up at 11000 */
	assert_int_equal(r.n_sends, 3);
	assert_int_equal(r.sends[0], 1);
	assert_int_equal(r.sends[1], 2);
	assert_int_equal(r.sends[2], 3);
	assert_int_equal(r.sent_at[1], 1000);
	assert_int_equal(r.sent_at[2], 3000);
	assert_int_equal(r.gave_up, 1);
	assert_int_equal(w.armed, 0);
	fm_timers_fini(&w);
}

static void test_xact_stop_restart(void **state)
{
	struct fm_timers w;
	struct req r = {0};

	(void)state;
	fm_timers_init(&w, NULL);
	fm_xact_start(&r.x, &w, &req_ops, 100, 800, 0);
	run_until(&w, 350); /* 0, 100, 300 */
	assert_int_equal(r.n_sends, 3);
	fm_xact_restart(&r.x, 350); /* back to try 1 and the initial timeout */
	assert_int_equal(r.sends[3], 1);
	fm_timers_run(&w, 449);
	assert_int_equal(r.n_sends, 4);
	fm_timers_run(&w, 450);
	assert_int_equal(r.n_sends, 5);
	assert_int_equal(r.sends[4], 2);
	fm_xact_stop(&r.x);
	run_until(&w, 10000);
	assert_int_equal(r.n_sends, 5);
	assert_int_equal(r.gave_up, 0);
	fm_timers_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seq_window),	      cmocka_unit_test(test_hb_liveness),
	    cmocka_unit_test(test_hb_build),	      cmocka_unit_test(test_xact_backoff),
	    cmocka_unit_test(test_xact_stop_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
