/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h — leveled logging to stderr (or syslog-style prefix when not a tty).
 * pr_err/pr_warn/pr_info/pr_debug, as in xdp-tools; the level is set from the
 * config's log-level and changes on SIGHUP.
 */
#ifndef FLOWMOB_LOG_H
#define FLOWMOB_LOG_H

enum fm_log_level {
	FM_LOG_ERROR = 0,
	FM_LOG_WARN = 1,
	FM_LOG_INFO = 2,
	FM_LOG_DEBUG = 3,
};

void fm_log_set_level(enum fm_log_level level);
enum fm_log_level fm_log_get_level(void);
/* "error" | "warn" | "info" | "debug" -> level, or -1. */
int fm_log_level_parse(const char *name);
const char *fm_log_level_name(enum fm_log_level level);

void fm_log(enum fm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...)   fm_log(FM_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  fm_log(FM_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  fm_log(FM_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) fm_log(FM_LOG_DEBUG, __VA_ARGS__)

#endif /* FLOWMOB_LOG_H */
