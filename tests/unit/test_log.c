// SPDX-License-Identifier: GPL-2.0
/*
 * test_log.c — logging operators can search (core/log.c) and the status names
 * it logs (mh/mh_status.c): key=value fields appended in the stderr form (values
 * with spaces quoted, NULL values left out), levels filtered, targets parsed;
 * identical rate-limited messages are swallowed inside the window and reported
 * as "(repeated N times)" after it (on the next one or by the flush), different
 * fields are different messages; status codes by name for PBA/FMA/BRA/UPA/FID;
 * journal entries (a fake journal socket in a private mount namespace) carry
 * MESSAGE, PRIORITY, FLOWMOB_INSTANCE and the fields as FLOWMOB_<KEY>.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/log.h"
#include "mh/mh_status.h"

static char lines[16][512];
static int n_lines;
static uint64_t fake_now;

static void capture(enum fm_log_level level, const char *line, void *ctx)
{
	(void)level;
	(void)ctx;
	if (n_lines < 16)
		snprintf(lines[n_lines++], sizeof(lines[0]), "%s", line);
}

static uint64_t now_ms(void)
{
	return fake_now;
}

static int setup(void **state)
{
	(void)state;
	n_lines = 0;
	fake_now = 1000000;
	fm_clock_override(now_ms, NULL);
	fm_log_set_target(FM_LOG_TO_STDERR);
	fm_log_set_level(FM_LOG_INFO);
	fm_log_set_hook(capture, NULL);
	fake_now += 100000; /* past any window left by an earlier test */
	fm_log_flush_repeats();
	n_lines = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fm_log_set_hook(NULL, NULL);
	fm_clock_override(NULL, NULL);
	return 0;
}

static void test_fields(void **state)
{
	(void)state;
	pr_warn_kv(FM_FIELDS({"mn", "mn1@example.net"}, {"bid", "2"}, {"mag", NULL},
			     {"status", "154 MAG not authorized"}),
		   "PBU rejected");
	assert_int_equal(n_lines, 1);
	assert_string_equal(lines[0], "warn: PBU rejected mn=mn1@example.net bid=2 "
				      "status=\"154 MAG not authorized\"");
	pr_info("plain %d\n", 7);
	assert_string_equal(lines[1], "info: plain 7");
	pr_debug_kv(FM_FIELDS({"mn", "x"}), "not shown at info");
	assert_int_equal(n_lines, 2);
	pr_info_kv(NULL, "no fields");
	assert_string_equal(lines[2], "info: no fields");
}

static void test_target_parse(void **state)
{
	(void)state;
	assert_int_equal(fm_log_target_parse("journal"), FM_LOG_TO_JOURNAL);
	assert_int_equal(fm_log_target_parse("stderr"), FM_LOG_TO_STDERR);
	assert_int_equal(fm_log_target_parse("auto"), FM_LOG_TO_AUTO);
	assert_int_equal(fm_log_target_parse("syslog"), -1);
	assert_int_equal(fm_log_get_target(), FM_LOG_TO_STDERR);
}

static void test_rate_limit(void **state)
{
	(void)state;
	for (int i = 0; i < 38; i++) {
		pr_warn_rl(FM_FIELDS({"mag", "fd00:99::2"}, {"status", "154 MAG not authorized"}),
			   "PBU from fd00:99::2 rejected");
		fake_now += 10;
	}
	assert_int_equal(n_lines, 1);
	/* other fields: another message */
	pr_warn_rl(FM_FIELDS({"mag", "fd00:98::2"}, {"status", "154 MAG not authorized"}),
		   "PBU from fd00:99::2 rejected");
	assert_int_equal(n_lines, 2);
	/* inside the window the flush says nothing */
	assert_int_equal(fm_log_flush_repeats(), 0);
	assert_int_equal(n_lines, 2);
	/* after it: the count, with the fields */
	fake_now += FM_LOG_RL_WINDOW_MS;
	assert_int_equal(fm_log_flush_repeats(), 1);
	assert_int_equal(n_lines, 3);
	assert_string_equal(lines[2], "warn: PBU from fd00:99::2 rejected (repeated 37 times) "
				      "mag=fd00:99::2 status=\"154 MAG not authorized\"");
	/* the next one is logged again */
	pr_warn_rl(FM_FIELDS({"mag", "fd00:99::2"}, {"status", "154 MAG not authorized"}),
		   "PBU from fd00:99::2 rejected");
	assert_int_equal(n_lines, 4);
	/* a repeat arriving after the window reports the count and is logged itself */
	pr_warn_rl(NULL, "again");
	pr_warn_rl(NULL, "again");
	pr_warn_rl(NULL, "again");
	fake_now += FM_LOG_RL_WINDOW_MS + 1;
	pr_warn_rl(NULL, "again");
	assert_int_equal(n_lines, 7);
	assert_string_equal(lines[4], "warn: again");
	assert_string_equal(lines[5], "warn: again (repeated 2 times)");
	assert_string_equal(lines[6], "warn: again");
}

static void test_status_names(void **state)
{
	char buf[96];

	(void)state;
	assert_string_equal(mh_status_text(MH_PBA, 154, buf, sizeof(buf)),
			    "154 MAG not authorized");
	assert_string_equal(mh_status_text(MH_PBA, 0, buf, sizeof(buf)), "0 accepted");
	assert_string_equal(mh_status_text(MH_PBA, 200, buf, sizeof(buf)), "200 unknown");
	assert_string_equal(mh_status_name(MH_FMA, FMA_ENTRY_EXISTS), "flow entry exists");
	assert_string_equal(mh_status_name(MH_BRA, BRA_PARTIAL), "partial success");
	assert_string_equal(mh_status_name(MH_UPA, UPA_MN_NOT_ATTACHED),
			    "mobile node not attached");
	assert_string_equal(mh_status_name(MH_STATUS_FID, FID_BID_NOT_FOUND), "BID not found");
	assert_null(mh_status_name(MH_PBU, 0));
	/* every PBA code of the enum has a name */
	static const unsigned pba[] = {0,   128, 129, 130, 135, 152, 153, 154,
				       155, 156, 157, 158, 159, 160, 161, 162};
	for (size_t i = 0; i < sizeof(pba) / sizeof(pba[0]); i++)
		assert_non_null(mh_status_name(MH_PBA, pba[i]));
}

static void test_journal_fields(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[4096];
	ssize_t n;
	int fd;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		skip();
		return;
	}
	mkdir("/run/systemd", 0755);
	assert_int_equal(mount("tmpfs", "/run/systemd", "tmpfs", 0, NULL), 0);
	assert_int_equal(mkdir("/run/systemd/journal", 0755), 0);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	strcpy(sa.sun_path, "/run/systemd/journal/socket");
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

	fm_log_set_ident("flowmobd", "lma1");
	fm_log_set_target(FM_LOG_TO_JOURNAL);
	assert_int_equal(fm_log_get_target(), FM_LOG_TO_JOURNAL);
	pr_warn_kv(FM_FIELDS({"mn", "mn1@example.net"}, {"bid", "2"},
			     {"status", "154 MAG not authorized"}),
		   "PBU rejected");
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "MESSAGE=PBU rejected\n"));
	assert_non_null(strstr(buf, "PRIORITY=4\n"));
	assert_non_null(strstr(buf, "SYSLOG_IDENTIFIER=flowmobd\n"));
	assert_non_null(strstr(buf, "FLOWMOB_INSTANCE=lma1\n"));
	assert_non_null(strstr(buf, "FLOWMOB_MN=mn1@example.net\n"));
	assert_non_null(strstr(buf, "FLOWMOB_BID=2\n"));
	assert_non_null(strstr(buf, "FLOWMOB_STATUS=154 MAG not authorized\n"));
	close(fd);
	umount2("/run/systemd", MNT_DETACH);
	fm_log_set_target(FM_LOG_TO_STDERR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_target_parse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal_fields, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
