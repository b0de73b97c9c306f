// SPDX-License-Identifier: GPL-2.0
/*
 * test_ctl.c — the control socket server over a real Unix socket in a temp
 * directory: framing (one JSON object per line, pipelined and split requests),
 * dispatch to registered handlers and their errors, the built-in commands,
 * monitor streams, many clients, half-closed clients, oversized requests, slow
 * monitors, socket mode 0600, stale and live sockets, and removal on close.
 * The server and the clients share one thread: the helpers turn the libev loop
 * while they wait for a reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ctl.h"
#include "core/log.h"
#include "core/version.h"

struct env {
	char dir[64];
	char path[128];
	struct ev_loop *loop;
	struct fm_ctl *ctl;
	int calls;
};

static json_t *h_echo(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct env *e = ctx;
	json_t *x = json_object_get(req, "x");

	(void)err;
	(void)errlen;
	e->calls++;
	return json_pack("{s:O?,s:i}", "x", x, "calls", e->calls);
}

static json_t *h_fail(void *ctx, const json_t *req, char *err, size_t errlen)
{
	(void)ctx;
	(void)req;
	snprintf(err, errlen, "unknown MN 'nobody@example.net'");
	return NULL;
}

static json_t *h_fail_silent(void *ctx, const json_t *req, char *err, size_t errlen)
{
	(void)ctx;
	(void)req;
	(void)err;
	(void)errlen;
	return NULL;
}

static json_t *h_null(void *ctx, const json_t *req, char *err, size_t errlen)
{
	(void)ctx;
	(void)req;
	(void)err;
	(void)errlen;
	return json_null();
}

/* A handler that publishes ~6 MB of events (to the requester too, if it monitors). */
static json_t *h_flood(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct env *e = ctx;
	char pad[1024];

	(void)req;
	(void)err;
	(void)errlen;
	memset(pad, 'y', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < 6000; i++)
		fm_ctl_event(e->ctl, "flow-move", json_pack("{s:s}", "pad", pad));
	return json_true();
}

/* A 5 MB result: over the reply cap. */
static json_t *h_huge(void *ctx, const json_t *req, char *err, size_t errlen)
{
	char *big = malloc(5u << 20);
	json_t *r;

	(void)ctx;
	(void)req;
	(void)err;
	(void)errlen;
	memset(big, 'z', (5u << 20) - 1);
	big[(5u << 20) - 1] = '\0';
	r = json_string(big);
	free(big);
	return r;
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	strcpy(e->dir, "/tmp/fm-test-ctl-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	/* a directory that does not exist yet: fm_ctl_open creates it */
	snprintf(e->path, sizeof(e->path), "%s/run/flowmob/t.sock", e->dir);
	e->loop = ev_loop_new(EVFLAG_AUTO);
	if (fm_ctl_open(e->loop, e->path, &e->ctl))
		return -1;
	/* not there until published: a script waiting for the file waits for readiness */
	if (access(e->path, F_OK) == 0 || fm_ctl_publish(e->ctl))
		return -1;
	if (fm_ctl_register(e->ctl, "echo", h_echo, e) ||
	    fm_ctl_register(e->ctl, "fail", h_fail, e) ||
	    fm_ctl_register(e->ctl, "fail.silent", h_fail_silent, e) ||
	    fm_ctl_register(e->ctl, "flow.del", h_null, e) ||
	    fm_ctl_register(e->ctl, "flood", h_flood, e) ||
	    fm_ctl_register(e->ctl, "huge", h_huge, e))
		return -1;
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	char cmd[200];

	fm_ctl_close(e->ctl);
	ev_loop_destroy(e->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd))
		return -1;
	free(e);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Turn the loop until fd has data (or EOF); false on timeout. */
static bool pump_until_readable(struct env *e, int fd, int ms)
{
	for (int i = 0; i < ms; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		ev_run(e->loop, EVRUN_NOWAIT);
		if (poll(&p, 1, 1) > 0)
			return true;
	}
	return false;
}

/* Read one line (without '\n'); NULL on EOF or timeout. Byte-wise: simple, exact. */
static char *read_line(struct env *e, int fd)
{
	static char buf[1 << 20];
	size_t n = 0;

	for (;;) {
		char ch;
		ssize_t r;

		if (!pump_until_readable(e, fd, 2000))
			return NULL;
		r = recv(fd, &ch, 1, 0);
		if (r <= 0)
			return NULL;
		if (ch == '\n')
			break;
		if (n < sizeof(buf) - 1)
			buf[n++] = ch;
	}
	buf[n] = '\0';
	return buf;
}

static json_t *read_json(struct env *e, int fd)
{
	char *line = read_line(e, fd);
	json_error_t jerr;
	json_t *j;

	assert_non_null(line);
	j = json_loads(line, 0, &jerr);
	if (!j)
		fail_msg("reply is not JSON: %s", line);
	return j;
}

static json_t *roundtrip(struct env *e, int fd, const char *req)
{
	send_str(fd, req);
	return read_json(e, fd);
}

static void assert_error(json_t *r, const char *substr)
{
	assert_true(json_is_false(json_object_get(r, "ok")));
	const char *msg = json_string_value(json_object_get(r, "error"));
	assert_non_null(msg);
	if (!strstr(msg, substr))
		fail_msg("error '%s' lacks '%s'", msg, substr);
	assert_null(json_object_get(r, "result"));
	json_decref(r);
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_socket_file(void **state)
{
	struct env *e = *state;
	struct stat st;
	char dir[160];

	assert_int_equal(lstat(e->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(dir, sizeof(dir), "%s/run/flowmob", e->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void test_request_reply(void **state)
{
	struct env *e = *state;
	int fd = connect_to(e->path);
	json_t *r;

	r = roundtrip(e, fd, "{\"cmd\":\"echo\",\"x\":[1,\"two\"]}\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_t *res = json_object_get(r, "result");
	assert_true(json_is_object(res));
	assert_int_equal(json_integer_value(json_object_get(res, "calls")), 1);
	json_t *x = json_object_get(res, "x");
	assert_int_equal(json_array_size(x), 2);
	assert_string_equal(json_string_value(json_array_get(x, 1)), "two");
	assert_null(json_object_get(r, "error"));
	json_decref(r);

	/* a null result is a success with "result": null */
	r = roundtrip(e, fd, "{\"cmd\":\"flow.del\",\"mn\":\"a\",\"fid\":1}\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_true(json_is_null(json_object_get(r, "result")));
	json_decref(r);
	close(fd);
}

static void test_errors(void **state)
{
	struct env *e = *state;
	int fd = connect_to(e->path);

	assert_error(roundtrip(e, fd, "{\"cmd\":\"fail\"}\n"), "unknown MN 'nobody@example.net'");
	assert_error(roundtrip(e, fd, "{\"cmd\":\"fail.silent\"}\n"), "fail.silent failed");
	assert_error(roundtrip(e, fd, "{\"cmd\":\"bogus\"}\n"), "unknown command 'bogus'");
	assert_error(roundtrip(e, fd, "{\"cmd\": \n"), "bad JSON");
	assert_error(roundtrip(e, fd, "[1,2]\n"), "JSON object");
	assert_error(roundtrip(e, fd, "{\"command\":\"echo\"}\n"), "\"cmd\"");
	assert_error(roundtrip(e, fd, "{\"cmd\":7}\n"), "\"cmd\"");
	assert_error(roundtrip(e, fd, "{\"cmd\":\"echo\",\"cmd\":\"fail\"}\n"), "bad JSON");
	/* the connection still works after errors; blank lines are ignored */
	json_t *r = roundtrip(e, fd, "\n\r\n{\"cmd\":\"echo\"}\r\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(fd);
}

static void test_pipelined_and_split(void **state)
{
	struct env *e = *state;
	int fd = connect_to(e->path);
	json_t *r;

	send_str(fd,
		 "{\"cmd\":\"echo\",\"x\":1}\n{\"cmd\":\"bogus\"}\n{\"cmd\":\"echo\",\"x\":3}\n");
	r = read_json(e, fd);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "x")), 1);
	json_decref(r);
	assert_error(read_json(e, fd), "bogus");
	r = read_json(e, fd);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "x")), 3);
	json_decref(r);

	/* one request in three pieces, with loop turns in between */
	send_str(fd, "{\"cmd\":\"ec");
	ev_run(e->loop, EVRUN_NOWAIT);
	send_str(fd, "ho\",\"x\":");
	ev_run(e->loop, EVRUN_NOWAIT);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 20), 0); /* nothing answered before the newline */
	send_str(fd, "42}\n");
	r = read_json(e, fd);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "x")),
			 42);
	json_decref(r);
	close(fd);
}

static void test_builtins(void **state)
{
	struct env *e = *state;
	int fd = connect_to(e->path);
	json_t *r, *list;
	bool seen_echo = false, seen_monitor = false;
	size_t i;
	json_t *v;

	r = roundtrip(e, fd, "{\"cmd\":\"version\"}\n");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(r, "result"), "version")),
	    FLOWMOB_VERSION);
	json_decref(r);
	r = roundtrip(e, fd, "{\"cmd\":\"help\"}\n");
	list = json_object_get(r, "result");
	json_array_foreach(list, i, v)
	{
		seen_echo |= !strcmp(json_string_value(v), "echo");
		seen_monitor |= !strcmp(json_string_value(v), "monitor");
	}
	assert_true(seen_echo && seen_monitor);
	json_decref(r);
	close(fd);

	assert_int_equal(fm_ctl_register(e->ctl, "echo", h_echo, e), -EEXIST);
	assert_int_equal(fm_ctl_register(e->ctl, "monitor", h_echo, e), -EEXIST);
	assert_int_equal(fm_ctl_register(e->ctl, "", h_echo, e), -EINVAL);
}

static void test_many_clients(void **state)
{
	struct env *e = *state;
	enum { N = 40 };
	int fds[N];
	char req[64];

	for (int i = 0; i < N; i++) {
		fds[i] = connect_to(e->path);
		ev_run(e->loop, EVRUN_NOWAIT); /* accept: the listen backlog is 32 */
	}
	/* all send before any reads: the server interleaves them */
	for (int i = 0; i < N; i++) {
		snprintf(req, sizeof(req), "{\"cmd\":\"echo\",\"x\":%d}\n", i);
		send_str(fds[N - 1 - i], req);
	}
	for (int i = 0; i < N; i++) {
		json_t *r = read_json(e, fds[N - 1 - i]);

		assert_int_equal(
		    json_integer_value(json_object_get(json_object_get(r, "result"), "x")), i);
		json_decref(r);
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
	ev_run(e->loop, EVRUN_NOWAIT);
}

static void test_monitor(void **state)
{
	struct env *e = *state;
	int m1 = connect_to(e->path), m2 = connect_to(e->path), plain = connect_to(e->path);
	json_t *r;

	r = roundtrip(e, m1, "{\"cmd\":\"monitor\"}\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = roundtrip(e, m2, "{\"cmd\":\"monitor\"}\n");
	json_decref(r);
	r = roundtrip(e, plain, "{\"cmd\":\"echo\"}\n");
	json_decref(r);

	fm_ctl_event(e->ctl, "registration",
		     json_pack("{s:s,s:i,s:s,s:s}", "mn", "mn1@example.net", "bid", 1, "mag",
			       "fd00:11::2", "event", "spoofed"));
	fm_ctl_event(e->ctl, "flow-move", json_pack("{s:i}", "fid", 1));
	fm_ctl_event(e->ctl, "expiry", NULL);

	for (int k = 0; k < 2; k++) {
		int fd = k ? m2 : m1;

		r = read_json(e, fd);
		assert_string_equal(json_string_value(json_object_get(r, "event")), "registration");
		assert_true(json_is_real(json_object_get(r, "time")));
		assert_true(json_real_value(json_object_get(r, "time")) > 1.6e9);
		assert_string_equal(json_string_value(json_object_get(r, "mn")), "mn1@example.net");
		assert_int_equal(json_integer_value(json_object_get(r, "bid")), 1);
		assert_string_equal(json_string_value(json_object_get(r, "mag")), "fd00:11::2");
		json_decref(r);
		r = read_json(e, fd);
		assert_string_equal(json_string_value(json_object_get(r, "event")), "flow-move");
		assert_int_equal(json_integer_value(json_object_get(r, "fid")), 1);
		json_decref(r);
		r = read_json(e, fd);
		assert_string_equal(json_string_value(json_object_get(r, "event")), "expiry");
		assert_int_equal(json_object_size(r), 2);
		json_decref(r);
	}
	/* the plain client got no events */
	ev_run(e->loop, EVRUN_NOWAIT);
	struct pollfd p = {.fd = plain, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 20), 0);

	/* a monitor that goes away is forgotten: later events still reach m2 */
	close(m1);
	ev_run(e->loop, EVRUN_NOWAIT);
	fm_ctl_event(e->ctl, "peer-down", json_pack("{s:s}", "mag", "fd00:12::2"));
	r = read_json(e, m2);
	assert_string_equal(json_string_value(json_object_get(r, "event")), "peer-down");
	json_decref(r);
	close(m2);
	close(plain);
	ev_run(e->loop, EVRUN_NOWAIT);
	fm_ctl_event(NULL, "ignored", json_object()); /* no socket: no-op, no leak */
}

static void test_half_close(void **state)
{
	struct env *e = *state;
	int fd = connect_to(e->path);
	json_t *r;

	/* last request without a newline, then shutdown(SHUT_WR): still answered */
	send_str(fd, "{\"cmd\":\"echo\",\"x\":\"a\"}\n{\"cmd\":\"echo\",\"x\":\"b\"}");
	shutdown(fd, SHUT_WR);
	r = read_json(e, fd);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "result"), "x")),
			    "a");
	json_decref(r);
	r = read_json(e, fd);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "result"), "x")),
			    "b");
	json_decref(r);
	assert_null(read_line(e, fd)); /* then the server closes */
	close(fd);
}

static void test_too_long(void **state)
{
	struct env *e = *state;
	int fd = connect_to(e->path);
	size_t n = 300 * 1024;
	char *big = malloc(n);
	int flags;

	assert_non_null(big);
	memset(big, 'a', n);
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	size_t off = 0;
	for (int i = 0; i < 10000 && off < n; i++) {
		ssize_t w = send(fd, big + off, n - off, MSG_NOSIGNAL);

		if (w > 0)
			off += (size_t)w;
		else if (errno != EAGAIN)
			break;
		ev_run(e->loop, EVRUN_NOWAIT);
	}
	fcntl(fd, F_SETFL, flags);
	free(big);
	char *line = read_line(e, fd);
	assert_non_null(line);
	assert_non_null(strstr(line, "request too long"));
	assert_null(read_line(e, fd));
	close(fd);

	/* the server is fine afterwards */
	fd = connect_to(e->path);
	json_t *r = roundtrip(e, fd, "{\"cmd\":\"echo\"}\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(fd);
}

static void test_slow_monitor_dropped(void **state)
{
	struct env *e = *state;
	int fd = connect_to(e->path);
	char pad[1024];
	json_t *r;
	int rcv = 4096;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	r = roundtrip(e, fd, "{\"cmd\":\"monitor\"}\n");
	json_decref(r);
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	/* ~6 MB of events to a client that never reads */
	for (int i = 0; i < 6000; i++)
		fm_ctl_event(e->ctl, "registration", json_pack("{s:s}", "pad", pad));
	/* drain: what was sent arrives, then EOF (the server dropped us) */
	size_t total = 0;
	for (;;) {
		char buf[65536];
		ssize_t n;

		if (!pump_until_readable(e, fd, 2000))
			fail_msg("no EOF after %zu bytes", total);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	assert_true(total < 6000u * 1024u);
	close(fd);
}

/* The requester is a monitor that does not read, and its own request floods it:
 * dropped after the handler returns, without touching freed memory (ASan). */
static void test_flood_drops_requester(void **state)
{
	struct env *e = *state;
	int fd = connect_to(e->path), other = connect_to(e->path);
	int rcv = 4096;
	json_t *r;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	r = roundtrip(e, fd, "{\"cmd\":\"monitor\"}\n");
	json_decref(r);
	send_str(fd, "{\"cmd\":\"flood\"}\n");
	for (int i = 0; i < 50; i++)
		ev_run(e->loop, EVRUN_NOWAIT);
	size_t total = 0;
	for (;;) {
		char buf[65536];
		ssize_t n;

		if (!pump_until_readable(e, fd, 2000))
			fail_msg("no EOF after %zu bytes", total);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	close(fd);
	/* the server still serves others */
	r = roundtrip(e, other, "{\"cmd\":\"version\"}\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(other);
}

/* A reply over the cap is an error reply naming paging, not a closed connection
 * (issue 11: `bindings` at 65 k "closed the connection without a reply"). */
static void test_reply_too_large(void **state)
{
	struct env *e = *state;
	int fd = connect_to(e->path);
	json_t *r = roundtrip(e, fd, "{\"cmd\":\"huge\"}\n");

	assert_error(json_incref(r), "reply too large");
	assert_error(r, "offset and limit");		 /* frees r */
	r = roundtrip(e, fd, "{\"cmd\":\"version\"}\n"); /* the connection stays usable */
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(fd);
}

static void test_live_and_stale(void **state)
{
	struct env *e = *state;
	struct fm_ctl *other = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[160];
	int fd;

	/* a live instance answers: refuse */
	assert_int_equal(fm_ctl_open(e->loop, e->path, &other), -EADDRINUSE);
	assert_null(other);

	/* a stale socket (bound, nobody listening) is replaced */
	snprintf(path, sizeof(path), "%s/stale.sock", e->dir);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(fm_ctl_open(e->loop, path, &other), 0);
	assert_int_equal(fm_ctl_publish(other), 0);
	fd = connect_to(path);
	json_t *r = roundtrip(e, fd, "{\"cmd\":\"version\"}\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(fd);
	fm_ctl_close(other);
	/* close removes the socket */
	struct stat st;
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);

	/* a regular file is not replaced */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(fm_ctl_open(e->loop, path, &other), -EEXIST);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(path);

	/* a path longer than sun_path */
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(fm_ctl_open(e->loop, longp, &other), -ENAMETOOLONG);
}

/* Issue 11: 256 idle clients must not lock a new one out: the least recently active
 * idle client makes room, and the newcomer is served. */
static void test_idle_clients_make_room(void **state)
{
	struct env *e = *state;
	enum { N = 256 };
	int fds[N], fd, gone = 0;
	json_t *r;

	for (int i = 0; i < N; i++) {
		fds[i] = connect_to(e->path);
		if (i % 16 == 15)
			for (int k = 0; k < 5; k++)
				ev_run(e->loop, EVRUN_NOWAIT); /* accept: the backlog is 32 */
	}
	for (int k = 0; k < 20; k++)
		ev_run(e->loop, EVRUN_NOWAIT);
	/* the last idle client used the socket, so the first one is the least recent */
	r = roundtrip(e, fds[N - 1], "{\"cmd\":\"version\"}\n");
	json_decref(r);
	fd = connect_to(e->path);
	r = roundtrip(e, fd, "{\"cmd\":\"version\"}\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	/* exactly one idle client was dropped to make room: the first */
	for (int i = 0; i < N; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		char c;

		if (poll(&p, 1, 0) == 1 && recv(fds[i], &c, 1, MSG_DONTWAIT) == 0)
			gone++, assert_int_equal(i, 0);
	}
	assert_int_equal(gone, 1);
	r = roundtrip(e, fds[N - 1], "{\"cmd\":\"version\"}\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	close(fd);
	ev_run(e->loop, EVRUN_NOWAIT);
}

/* Idle clients are dropped after the idle timeout; monitors are not idle. */
static void test_idle_timeout(void **state)
{
	struct env *e = *state;
	int idle, mon, busy;
	json_t *r;
	char c;

	fm_ctl_set_idle_timeout(e->ctl, 300);
	idle = connect_to(e->path);
	mon = connect_to(e->path);
	busy = connect_to(e->path);
	r = roundtrip(e, mon, "{\"cmd\":\"monitor\"}\n");
	json_decref(r);
	/* busy keeps talking every 100 ms for 800 ms; idle says nothing */
	for (int t = 0; t < 8; t++) {
		r = roundtrip(e, busy, "{\"cmd\":\"version\"}\n");
		json_decref(r);
		for (int k = 0; k < 100; k++) {
			ev_run(e->loop, EVRUN_NOWAIT);
			usleep(1000);
		}
	}
	assert_true(pump_until_readable(e, idle, 100));
	assert_int_equal(recv(idle, &c, 1, MSG_DONTWAIT), 0); /* closed by the daemon */
	r = roundtrip(e, busy, "{\"cmd\":\"version\"}\n");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	fm_ctl_event(e->ctl, "test", json_object());
	r = read_json(e, mon); /* the monitor still gets events */
	json_decref(r);
	close(idle);
	close(mon);
	close(busy);
	ev_run(e->loop, EVRUN_NOWAIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_socket_file, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_request_reply, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_errors, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_pipelined_and_split, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_builtins, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_many_clients, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_monitor, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_half_close, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_too_long, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_slow_monitor_dropped, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_flood_drops_requester, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_live_and_stale, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_reply_too_large, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_idle_clients_make_room, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_idle_timeout, env_setup, env_teardown),
	};

	fm_log_set_level(FM_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
