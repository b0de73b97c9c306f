// SPDX-License-Identifier: GPL-2.0
/*
 * log.c — leveled logging (log.h): the systemd journal with FLOWMOB_* fields
 * (sd_journal_sendv) under systemd, else stderr lines with an ISO 8601
 * timestamp (milliseconds), the identifier, pid and level name; key=value
 * fields appended. A small table of recent messages rate-limits the _rl calls.
 * Owns: the global level, target and the repeat table.
 *
 * One line per call, whatever the arguments hold: every control character and every
 * octet that is not part of valid UTF-8, in the message and in field values, is
 * written as \xNN (a backslash as \x5c), so a peer-supplied string (an NAI, a
 * name from a request) can never start a forged log line (emit(): the one place).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "core/clock.h"
#include "core/log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static enum fm_log_level cur_level = FM_LOG_INFO;
static enum fm_log_target want_target = FM_LOG_TO_AUTO;
static int resolved = -1; /* enum fm_log_target once resolved */
static char ident[32] = "flowmobd";
static char instance[64];
static fm_log_hook hook;
static void *hook_ctx;

static const char *const names[] = {
    [FM_LOG_ERROR] = "error",
    [FM_LOG_WARN] = "warn",
    [FM_LOG_INFO] = "info",
    [FM_LOG_DEBUG] = "debug",
};

static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

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

int fm_log_target_parse(const char *name)
{
	if (!name)
		return -1;
	if (!strcmp(name, "auto"))
		return FM_LOG_TO_AUTO;
	if (!strcmp(name, "stderr"))
		return FM_LOG_TO_STDERR;
	if (!strcmp(name, "journal"))
		return FM_LOG_TO_JOURNAL;
	return -1;
}

void fm_log_set_target(enum fm_log_target t)
{
	want_target = t;
	resolved = -1;
}

/* systemd's $JOURNAL_STREAM is "DEV:INODE" of the stream it connected stderr to. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

enum fm_log_target fm_log_get_target(void)
{
	if (resolved >= 0)
		return (enum fm_log_target)resolved;
	enum fm_log_target t = want_target;

	if (t == FM_LOG_TO_AUTO) {
		int e = fm_log_target_parse(getenv("FLOWMOB_LOG"));

		t = e > 0 ? (enum fm_log_target)e : FM_LOG_TO_AUTO;
	}
	if (t == FM_LOG_TO_AUTO)
		t = stderr_is_journal() ? FM_LOG_TO_JOURNAL : FM_LOG_TO_STDERR;
	/* sd_journal_send() drops entries silently when journald is not there */
	if (t == FM_LOG_TO_JOURNAL && access(JOURNAL_SOCKET, W_OK))
		t = FM_LOG_TO_STDERR;
	resolved = (int)t;
	return t;
}

void fm_log_set_ident(const char *id, const char *inst)
{
	snprintf(ident, sizeof(ident), "%s", id && *id ? id : "flowmobd");
	snprintf(instance, sizeof(instance), "%s", inst ? inst : "");
}

void fm_log_set_hook(fm_log_hook fn, void *ctx)
{
	hook = fn;
	hook_ctx = ctx;
}

/* "status" -> "FLOWMOB_STATUS"; only [A-Z0-9_] survive. */
static void field_name(const char *key, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "FLOWMOB_");

	for (; *key && n + 1 < len; key++) {
		unsigned char c = (unsigned char)*key;

		if (isalnum(c))
			out[n++] = (char)toupper(c);
		else
			out[n++] = '_';
	}
	out[n] = '\0';
}

/* A value in key=value form: quoted when it has spaces, quotes or '='. */
static void append_field(char *buf, size_t len, size_t *pos, const char *key, const char *val)
{
	bool quote = !*val || strpbrk(val, " \t\"=") != NULL;
	int n;

	if (*pos >= len)
		return;
	if (!quote) {
		n = snprintf(buf + *pos, len - *pos, " %s=%s", key, val);
	} else {
		n = snprintf(buf + *pos, len - *pos, " %s=\"", key);
		if (n > 0)
			*pos += (size_t)n;
		for (; *val && *pos + 3 < len; val++) {
			if (*val == '"' || *val == '\\')
				buf[(*pos)++] = '\\';
			buf[(*pos)++] = *val;
		}
		n = snprintf(buf + *pos, len - *pos, "\"");
	}
	if (n > 0)
		*pos += (size_t)n;
	if (*pos >= len)
		*pos = len - 1;
}

static void to_stderr(enum fm_log_level level, const char *line)
{
	struct timespec ts;
	struct tm tm;
	char t[40] = "", z[8] = "";

	clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm)) {
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(z, sizeof(z), "%z", &tm);
	}
	(void)level;
	fprintf(stderr, "%s.%03ld%s %s[%d]: %s\n", t, ts.tv_nsec / 1000000, z, ident, (int)getpid(),
		line);
}

static void to_journal(enum fm_log_level level, const char *msg, const struct fm_kv *fields,
		       const char *line)
{
	struct iovec iov[FM_LOG_MAX_FIELDS + 5];
	char *bufs[FM_LOG_MAX_FIELDS + 5];
	int n = 0, r;

	if (asprintf(&bufs[n], "MESSAGE=%s", msg) < 0)
		goto fallback;
	n++;
	if (asprintf(&bufs[n], "PRIORITY=%d", prio[level]) < 0)
		goto out;
	n++;
	if (asprintf(&bufs[n], "SYSLOG_IDENTIFIER=%s", ident) < 0)
		goto out;
	n++;
	if (instance[0]) {
		if (asprintf(&bufs[n], "FLOWMOB_INSTANCE=%s", instance) < 0)
			goto out;
		n++;
	}
	for (int i = 0; fields && fields[i].key && n < FM_LOG_MAX_FIELDS + 4; i++) {
		char name[64];

		if (!fields[i].val)
			continue;
		field_name(fields[i].key, name, sizeof(name));
		if (asprintf(&bufs[n], "%s=%s", name, fields[i].val) < 0)
			goto out;
		n++;
	}
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = strlen(bufs[i]);
	}
	r = sd_journal_sendv(iov, n);
	for (int i = 0; i < n; i++)
		free(bufs[i]);
	if (r < 0)
		to_stderr(level, line);
	return;
out:
	for (int i = 0; i < n; i++)
		free(bufs[i]);
fallback:
	to_stderr(level, line);
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

/* One line whatever a peer put in a string: every control character and every octet
 * outside valid UTF-8 becomes \xNN (the backslash itself \x5c). */
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

/* msg: the message, trailing newlines removed. Message and field values are
 * sanitized here, the one place (issue: a registration must not forge a log line). */
static void emit(enum fm_log_level level, const struct fm_kv *fields, const char *raw)
{
	char line[1536], msg[4096], vals[FM_LOG_MAX_FIELDS][512];
	struct fm_kv sf[FM_LOG_MAX_FIELDS + 1];
	size_t pos;
	int nf = 0;

	sanitize(raw, strlen(raw), msg, sizeof(msg));
	for (int i = 0; fields && fields[i].key && nf < FM_LOG_MAX_FIELDS; i++) {
		if (!fields[i].val)
			continue;
		sanitize(fields[i].val, strlen(fields[i].val), vals[nf], sizeof(vals[nf]));
		sf[nf].key = fields[i].key;
		sf[nf].val = vals[nf];
		nf++;
	}
	sf[nf].key = NULL;
	sf[nf].val = NULL;
	fields = sf;

	pos = (size_t)snprintf(line, sizeof(line), "%s: %s", names[level], msg);
	if (pos >= sizeof(line))
		pos = sizeof(line) - 1;
	for (int i = 0; fields && fields[i].key; i++)
		if (fields[i].val)
			append_field(line, sizeof(line), &pos, fields[i].key, fields[i].val);
	if (hook)
		hook(level, line, hook_ctx);
	if (fm_log_get_target() == FM_LOG_TO_JOURNAL)
		to_journal(level, msg, fields, line);
	else
		to_stderr(level, line);
}

static enum fm_log_level clamp(enum fm_log_level level)
{
	if (level < FM_LOG_ERROR)
		return FM_LOG_ERROR;
	if (level > FM_LOG_DEBUG)
		return FM_LOG_DEBUG;
	return level;
}

static void vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t n;

	vsnprintf(buf, len, fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
}

void fm_log(enum fm_log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int saved = errno;

	if (level > cur_level)
		return;
	level = clamp(level);
	va_start(ap, fmt);
	vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emit(level, NULL, buf);
	errno = saved;
}

void fm_log_kv(enum fm_log_level level, const struct fm_kv *fields, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int saved = errno;

	if (level > cur_level)
		return;
	level = clamp(level);
	va_start(ap, fmt);
	vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emit(level, fields, buf);
	errno = saved;
}

/* ---- repeats ------------------------------------------------------------------ */

#define RL_SLOTS 32

struct rl_slot {
	bool used;
	enum fm_log_level level;
	uint64_t hash;
	uint64_t first_ms; /* when the window opened */
	unsigned repeats;  /* swallowed since */
	char msg[512];
	struct fm_kv fields[FM_LOG_MAX_FIELDS + 1];
	char store[512]; /* the fields' keys and values */
};

static struct rl_slot slots[RL_SLOTS];

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

static void slot_store(struct rl_slot *s, enum fm_log_level level, uint64_t hash,
		       const struct fm_kv *fields, const char *msg, uint64_t now)
{
	size_t pos = 0;
	int n = 0;

	memset(s, 0, sizeof(*s));
	s->used = true;
	s->level = level;
	s->hash = hash;
	s->first_ms = now;
	snprintf(s->msg, sizeof(s->msg), "%s", msg);
	for (int i = 0; fields && fields[i].key && n < FM_LOG_MAX_FIELDS; i++) {
		size_t kl = strlen(fields[i].key) + 1, vl;

		if (!fields[i].val)
			continue;
		vl = strlen(fields[i].val) + 1;
		if (pos + kl + vl > sizeof(s->store))
			break;
		memcpy(s->store + pos, fields[i].key, kl);
		s->fields[n].key = s->store + pos;
		pos += kl;
		memcpy(s->store + pos, fields[i].val, vl);
		s->fields[n].val = s->store + pos;
		pos += vl;
		n++;
	}
}

static void slot_report(struct rl_slot *s)
{
	char buf[600];

	if (s->repeats) {
		snprintf(buf, sizeof(buf), "%s (repeated %u times)", s->msg, s->repeats);
		if (s->level <= cur_level)
			emit(s->level, s->fields, buf);
	}
	s->used = false;
}

void fm_log_kv_rl(enum fm_log_level level, const struct fm_kv *fields, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int saved = errno;
	uint64_t h = 0xcbf29ce484222325ull, now = fm_now_ms();
	struct rl_slot *free_slot = NULL, *oldest = NULL;

	if (level > cur_level)
		return;
	level = clamp(level);
	va_start(ap, fmt);
	vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	h = fnv(h, names[level]);
	h = fnv(h, buf);
	for (int i = 0; fields && fields[i].key; i++) {
		h = fnv(h, fields[i].key);
		h = fnv(h, fields[i].val ? fields[i].val : "");
	}
	for (int i = 0; i < RL_SLOTS; i++) {
		struct rl_slot *s = &slots[i];

		if (!s->used) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (s->hash == h && !strncmp(s->msg, buf, sizeof(s->msg) - 1)) {
			if (now - s->first_ms < FM_LOG_RL_WINDOW_MS) {
				s->repeats++;
				errno = saved;
				return;
			}
			/* window over: report the swallowed ones, log this one, new window */
			slot_report(s);
			emit(level, fields, buf);
			slot_store(s, level, h, fields, buf, now);
			errno = saved;
			return;
		}
		if (!oldest || s->first_ms < oldest->first_ms)
			oldest = s;
	}
	if (!free_slot) {
		slot_report(oldest);
		free_slot = oldest;
	}
	emit(level, fields, buf);
	slot_store(free_slot, level, h, fields, buf, now);
	errno = saved;
}

int fm_log_flush_repeats(void)
{
	uint64_t now = fm_now_ms();
	int n = 0;

	for (int i = 0; i < RL_SLOTS; i++) {
		struct rl_slot *s = &slots[i];

		if (!s->used || now - s->first_ms < FM_LOG_RL_WINDOW_MS)
			continue;
		n += s->repeats ? 1 : 0;
		slot_report(s);
	}
	return n;
}
