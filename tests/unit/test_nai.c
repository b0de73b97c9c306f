// SPDX-License-Identifier: GPL-2.0
/*
 * test_nai.c — RFC 7542 NAI syntax (core/nai.h) and the log's escaping of what it is
 * given (core/log.c): one call is one line, control characters and octets outside
 * UTF-8 are written as \xNN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/nai.h"

static bool ok(const char *s)
{
	return fm_nai_valid(s, strlen(s), NULL);
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(ok("mn1@example.net"));
	assert_true(ok("user.name+tag@sub.example-1.net"));
	assert_true(ok("joe"));				     /* a username alone */
	assert_true(ok("@example.net"));		     /* a realm alone */
	assert_true(ok("m\xc3\xbcller@b\xc3\xa4r.example")); /* UTF-8 */
	assert_true(ok("!#$%&'*+-/=?^_`{|}~@a.b"));
}

static void test_invalid(void **state)
{
	char big[300];
	const char *why = NULL;

	(void)state;
	assert_false(fm_nai_valid("mn1@example.net\nflowmobd: error: x", 34, &why));
	assert_string_equal(why, "a control character");
	assert_false(fm_nai_valid("mn\0x@example.net", 16, &why));
	assert_false(ok("mn1\x7f@example.net"));
	assert_false(fm_nai_valid("\xff\xfe@example.net", 14, &why));
	assert_string_equal(why, "not UTF-8");
	assert_false(ok("\xc0\xaf@example.net"));     /* overlong '/' */
	assert_false(ok("\xed\xa0\x80@example.net")); /* a surrogate */
	assert_false(ok("\xc2\x85@example.net"));     /* C1 NEL */
	assert_false(ok("a b@example.net"));
	assert_false(ok("a@@example.net"));
	assert_false(ok("a@b@example.net"));
	assert_false(ok(".a@example.net"));
	assert_false(ok("a..b@example.net"));
	assert_false(ok("a.@example.net"));
	assert_false(ok("a@example")); /* one label */
	assert_false(ok("a@-x.example"));
	assert_false(ok("a@x-.example"));
	assert_false(ok("a@x..example"));
	assert_false(ok("a@x.example."));
	assert_false(ok("a@x_y.example"));
	assert_false(ok("a@"));
	assert_false(ok(""));
	memset(big, 'a', sizeof(big));
	memcpy(big + 240, "@example.net", 12); /* 252 octets: fine */
	assert_true(fm_nai_valid(big, 252, NULL));
	big[252] = 't';
	assert_true(fm_nai_valid(big, 253, NULL));
	assert_false(fm_nai_valid(big, 254, &why));
	assert_string_equal(why, "longer than 253 octets");
}

static void test_escape(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(fm_escape("a\nb\\c\xff", 6, out, sizeof(out)), "a\\x0ab\\x5cc\\xff");
	assert_string_equal(fm_escape("abcdef", 6, out, 4), "abc");
}

/* What fm_log writes to stderr for one call. */
static char *logged(const char *fmt, const char *arg)
{
	static char buf[8192];
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	dup2(fileno(f), 2);
	fm_log(FM_LOG_ERROR, fmt, arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void test_log_one_line(void **state)
{
	char *s;

	(void)state;
	/* a registration whose NAI carries a newline cannot forge a second log line */
	s = logged("lma: PBU for %s rejected", "mn1@x.net\n<3>flowmobd: error: forged");
	assert_non_null(strstr(s, "mn1@x.net\\x0a<3>flowmobd: error: forged rejected\n"));
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);
	s = logged("%s", "tab\there, cr\r, esc\x1b[31m, bad \xff\xfe, utf-8 m\xc3\xbcller, \\");
	assert_non_null(strstr(s, "tab\\x09here, cr\\x0d, esc\\x1b[31m, bad \\xff\\xfe, utf-8 "
				  "m\xc3\xbcller, \\x5c\n"));
	/* the daemon's own trailing newlines are not escaped */
	s = logged("%s\n", "plain");
	assert_non_null(strstr(s, ": plain\n"));
	assert_null(strstr(s, "\\x0a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_log_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
