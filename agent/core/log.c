// SPDX-License-Identifier: GPL-2.0
/*
 * log.c — leveled logging to stderr. On a terminal: "flowmobd: warn: message".
 * Otherwise (journald, a test capturing stderr): the sd-daemon priority prefix
 * "<4>" followed by the same text, so systemd files each line at its level.
 * Owns: the global log level and its names.
 *
 * One line per call, whatever the arguments hold: after formatting, every control
 * character and every octet that is not part of valid UTF-8 is written as \xNN (a
 * backslash as \x5c), so a peer-supplied string (an NAI, an interface name from a
 * request) can never start a forged log line. This is the one place that escapes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

static enum fm_log_level cur_level = FM_LOG_INFO;
static int tty = -1;

static const char *const names[] = {
    [FM_LOG_ERROR] = "error",
    [FM_LOG_WARN] = "warn",
    [FM_LOG_INFO] = "info",
    [FM_LOG_DEBUG] = "debug",
};

/* syslog priorities: LOG_ERR 3, LOG_WARNING 4, LOG_INFO 6, LOG_DEBUG 7 */
static const int prio[] = {3, 4, 6, 7};

void fm_log_set_level(enum fm_log_level level)
{
	if (level < FM_LOG_ERROR)
		level = FM_LOG_ERROR;
	if (level > FM_LOG_DEBUG)
		level = FM_LOG_DEBUG;
	cur_level = level;
}

enum fm_log_level fm_log_get_level(void)
{
	return cur_level;
}

int fm_log_level_parse(const char *name)
{
	unsigned i;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	if (!strcmp(name, "warning"))
		return FM_LOG_WARN;
	return -1;
}

const char *fm_log_level_name(enum fm_log_level level)
{
	if (level < FM_LOG_ERROR || level > FM_LOG_DEBUG)
		return "unknown";
	return names[level];
}

/* Length of a valid UTF-8 sequence (RFC 3629) of two or more octets at s, else 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n = s[0] >= 0xc2 && s[0] <= 0xdf	  ? 2
		   : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		   : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
						  : 0;
	unsigned cp;

	if (!n || n > left)
		return 0;
	cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

static void sanitize(const char *in, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t u = s[i] >= 0x80 ? utf8_len(s + i, n - i) : 0;

		if (u) {
			if (o + u >= outlen)
				break;
			memcpy(out + o, s + i, u);
			o += u;
			i += u;
			continue;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != 0x5c) {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)s[i++];
			continue;
		}
		if (o + 4 >= outlen)
			break;
		out[o++] = 0x5c; /* backslash */
		out[o++] = 'x';
		out[o++] = hex[s[i] >> 4];
		out[o++] = hex[s[i] & 15];
		i++;
	}
	out[o] = 0;
}

void fm_log(enum fm_log_level level, const char *fmt, ...)
{
	char buf[1024], line[4 * sizeof(buf)];
	va_list ap;
	int saved = errno;
	size_t n;

	if (level > cur_level)
		return;
	if (level < FM_LOG_ERROR)
		level = FM_LOG_ERROR;
	if (level > FM_LOG_DEBUG)
		level = FM_LOG_DEBUG;
	if (tty < 0)
		tty = isatty(STDERR_FILENO);

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	sanitize(buf, n, line, sizeof(line));

	if (tty)
		fprintf(stderr, "flowmobd: %s: %s\n", names[level], line);
	else
		fprintf(stderr, "<%d>flowmobd: %s: %s\n", prio[level], names[level], line);
	errno = saved;
}
