// SPDX-License-Identifier: GPL-2.0
/*
 * log.c — leveled logging to stderr. On a terminal: "flowmobd: warn: message".
 * Otherwise (journald, a test capturing stderr): the sd-daemon priority prefix
 * "<4>" followed by the same text, so systemd files each line at its level.
 * Owns: the global log level and its names.
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

void fm_log(enum fm_log_level level, const char *fmt, ...)
{
	char buf[1024];
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

	if (tty)
		fprintf(stderr, "flowmobd: %s: %s\n", names[level], buf);
	else
		fprintf(stderr, "<%d>flowmobd: %s: %s\n", prio[level], names[level], buf);
	errno = saved;
}
