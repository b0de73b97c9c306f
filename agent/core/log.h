/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h — leveled logging, to the systemd journal with structured fields or to
 * stderr as timestamped lines. pr_err/pr_warn/pr_info/pr_debug, as in
 * xdp-tools; the level is set from the config's log-level and changes on SIGHUP.
 *
 * Target (fm_log_set_target, or $FLOWMOB_LOG=journal|stderr): the journal when
 * stderr is the journal's stream (systemd sets $JOURNAL_STREAM to its device
 * and inode), else stderr lines
 *     2025-11-29T12:00:00.123+0000 flowmobd[42]: warn: message key=value ...
 *
 * Structured fields: pr_warn_kv(FM_FIELDS({"mn", nai}, {"status", text}), fmt, ...)
 * sends FLOWMOB_MN=..., FLOWMOB_STATUS=... to the journal (the key upper-cased,
 * '-' as '_', prefixed FLOWMOB_) and appends "mn=... status=..." on stderr.
 * Known keys: mn (NAI), bid, mag (address), fid, status ("154 MAG not
 * authorized"), att, prefix, lma, peer. Search: journalctl FLOWMOB_MN=mn1@example.net
 *
 * Rate limit: the _rl variants log the first of identical messages (same level,
 * text and fields) and then count repeats for FM_LOG_RL_WINDOW_MS; the next one
 * after the window — or fm_log_flush_repeats() once the window has passed —
 * logs "... (repeated N times)" for those swallowed.
 */
#ifndef FLOWMOB_LOG_H
#define FLOWMOB_LOG_H

#include <stddef.h>

enum fm_log_level {
	FM_LOG_ERROR = 0,
	FM_LOG_WARN = 1,
	FM_LOG_INFO = 2,
	FM_LOG_DEBUG = 3,
};

enum fm_log_target {
	FM_LOG_TO_AUTO = 0, /* $FLOWMOB_LOG, else journal if stderr is the journal stream */
	FM_LOG_TO_STDERR,
	FM_LOG_TO_JOURNAL,
};

struct fm_kv {
	const char *key; /* lower case: "mn", "bid", "status" */
	const char *val; /* NULL: the field is left out */
};

#define FM_FIELDS(...)	    ((const struct fm_kv[]){__VA_ARGS__, {NULL, NULL}})
#define FM_LOG_RL_WINDOW_MS 10000
#define FM_LOG_MAX_FIELDS   16

void fm_log_set_level(enum fm_log_level level);
enum fm_log_level fm_log_get_level(void);
/* "error" | "warn" | "info" | "debug" -> level, or -1. */
int fm_log_level_parse(const char *name);
const char *fm_log_level_name(enum fm_log_level level);

void fm_log_set_target(enum fm_log_target t);
/* The target in use (AUTO resolved). */
enum fm_log_target fm_log_get_target(void);
/* "auto" | "stderr" | "journal" -> target, or -1. */
int fm_log_target_parse(const char *name);
/* Name logged as the identifier ("flowmobd"), and an instance name added to every
 * journal entry as FLOWMOB_INSTANCE (NULL: none). */
void fm_log_set_ident(const char *ident, const char *instance);

void fm_log(enum fm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* fields: terminated by {NULL, NULL} (FM_FIELDS does it), may be NULL. */
void fm_log_kv(enum fm_log_level level, const struct fm_kv *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fm_log_kv_rl(enum fm_log_level level, const struct fm_kv *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log the "(repeated N times)" lines whose window has passed; returns how many. */
int fm_log_flush_repeats(void);

/* Tests: every formatted entry also goes to fn (NULL: off); line is the stderr form
 * without the timestamp, "warn: message key=value". */
typedef void (*fm_log_hook)(enum fm_log_level level, const char *line, void *ctx);
void fm_log_set_hook(fm_log_hook fn, void *ctx);

#define pr_err(...)   fm_log(FM_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  fm_log(FM_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  fm_log(FM_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) fm_log(FM_LOG_DEBUG, __VA_ARGS__)

#define pr_err_kv(f, ...)   fm_log_kv(FM_LOG_ERROR, f, __VA_ARGS__)
#define pr_warn_kv(f, ...)  fm_log_kv(FM_LOG_WARN, f, __VA_ARGS__)
#define pr_info_kv(f, ...)  fm_log_kv(FM_LOG_INFO, f, __VA_ARGS__)
#define pr_debug_kv(f, ...) fm_log_kv(FM_LOG_DEBUG, f, __VA_ARGS__)
#define pr_warn_rl(f, ...)  fm_log_kv_rl(FM_LOG_WARN, f, __VA_ARGS__)
#define pr_info_rl(f, ...)  fm_log_kv_rl(FM_LOG_INFO, f, __VA_ARGS__)

#endif /* FLOWMOB_LOG_H */
