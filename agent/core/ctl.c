// SPDX-License-Identifier: GPL-2.0
/*
 * ctl.c — the control socket server (docs/control-protocol.md).
 *
 * A Unix stream socket (mode 0600, its directory created 0755), nonblocking,
 * driven by libev: any number of clients, one JSON object per line each way,
 * requests answered in order. Commands are registered by the role modules;
 * the socket owns "monitor" (the connection becomes an event stream), "help"
 * (the command list) and "version". A stale socket left by a dead instance is
 * removed; a live one (it accepts a connection) makes fm_ctl_open fail.
 *
 * Readiness: fm_ctl_open binds a private name beside the socket path, and
 * fm_ctl_publish renames it into place once the role has started, so that the
 * socket's appearance means "ready": a script may wait for the file and then talk
 * to a daemon whose MH socket and data plane are already up.
 *
 * Output is buffered per client; a monitor that does not read is dropped when
 * its buffer passes FM_CTL_MAX_OUT instead of growing without bound.
 *
 * Idle clients (not monitors, nothing sent for FM_CTL_IDLE_MS, nothing left to write)
 * are dropped by a once-a-second sweep, and when all FM_CTL_MAX_CLIENTS slots are
 * taken a new connection drops the least recently active client (not a monitor
 * unless all are), so idle or stuck clients can never lock flowmobctl out.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/fsutil.h"
#include "core/version.h"

#define FM_CTL_MAX_LINE	   (256 * 1024)	     /* longest request */
#define FM_CTL_MAX_OUT	   (4 * 1024 * 1024) /* unread output before a client is dropped */
#define FM_CTL_MAX_CLIENTS 256

struct ctl_cmd {
	char *name;
	fm_ctl_handler fn;
	void *ctx;
};

struct ctl_client {
	struct fm_ctl *ctl;
	int fd;
	ev_io rio, wio;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	bool monitor;
	bool eof;
	bool dead;	    /* dropped while its own request was being handled: freed after */
	uint64_t active_ms; /* last connect or input (fm_now_ms) */
	struct ctl_client *next;
};

struct fm_ctl {
	struct ev_loop *loop;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char bound[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* private until published */
	int fd;
	ev_io aio;
	struct ctl_cmd *cmds;
	int n_cmds;
	struct ctl_client *clients;
	int n_clients;
	struct ctl_client *busy; /* the client whose request is being handled */
	bool hold;		 /* replies wait for fm_ctl_flush (the commit point) */
	unsigned idle_ms;	 /* FM_CTL_IDLE_MS; 0: never */
	ev_timer sweep;
	json_t *info; /* fm_ctl_set_info: added to the "version" reply */
	fm_ctl_event_hook hook;
	void *hook_ctx;
};

static void client_free(struct ctl_client *c)
{
	struct fm_ctl *ctl = c->ctl;
	struct ctl_client **pp;

	for (pp = &ctl->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ctl->n_clients--;
	ev_io_stop(ctl->loop, &c->rio);
	ev_io_stop(ctl->loop, &c->wio);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Drop a client: now, or (while a handler runs for it) once the handler returns. */
static void client_drop(struct ctl_client *c)
{
	if (c->ctl->busy == c) {
		c->dead = true;
		ev_io_stop(c->ctl->loop, &c->rio);
		ev_io_stop(c->ctl->loop, &c->wio);
		return;
	}
	client_free(c);
}

/* Write what we can; returns -1 when the client is gone (and freed). */
static int client_flush(struct ctl_client *c)
{
	if (c->dead)
		return -1;
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			pr_debug("ctl: client write: %s", strerror(errno));
			client_drop(c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		ev_io_stop(c->ctl->loop, &c->wio);
		if (c->eof && !c->monitor) {
			client_drop(c);
			return -1;
		}
	} else {
		ev_io_start(c->ctl->loop, &c->wio);
	}
	return 0;
}

/* Queue one line (text + '\n'); returns -1 when the client was dropped. */
static int client_queue(struct ctl_client *c, const char *text, size_t len)
{
	size_t need;

	if (c->dead)
		return -1;
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	need = c->out_len + len + 1;
	if (need - c->out_off > FM_CTL_MAX_OUT) {
		pr_warn("ctl: dropping a client that does not read (%zu bytes queued)",
			c->out_len - c->out_off);
		client_drop(c);
		return -1;
	}
	if (need > c->out_cap) {
		/* compact before growing */
		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
			need = c->out_len + len + 1;
		}
		if (need > c->out_cap) {
			size_t cap = c->out_cap ? c->out_cap : 4096;
			char *p;

			while (cap < need)
				cap *= 2;
			p = realloc(c->out, cap);
			if (!p) {
				client_drop(c);
				return -1;
			}
			c->out = p;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, text, len);
	c->out_len += len;
	c->out[c->out_len++] = '\n';
	return 0;
}

/* Serialize and queue obj (stolen). */
static int client_send_json(struct ctl_client *c, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	int r;

	json_decref(obj);
	if (!s)
		return client_queue(c, "{\"ok\":false,\"error\":\"out of memory\"}", 36);
	if (!c->monitor && strlen(s) >= FM_CTL_MAX_OUT) {
		/* one reply over the cap: say so instead of closing without a word */
		char e[200];
		int n =
		    snprintf(e, sizeof(e),
			     "{\"ok\":false,\"error\":\"reply too large (%zu bytes, at most %d): "
			     "ask for pages with offset and limit\"}",
			     strlen(s), FM_CTL_MAX_OUT);

		free(s);
		return client_queue(c, e, (size_t)n);
	}
	r = client_queue(c, s, strlen(s));
	free(s);
	return r;
}

static json_t *reply_err(const char *msg)
{
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

static json_t *reply_ok(json_t *result)
{
	return json_pack("{s:b,s:o}", "ok", 1, "result", result ? result : json_null());
}

static const struct ctl_cmd *find_cmd(const struct fm_ctl *ctl, const char *name)
{
	for (int i = 0; i < ctl->n_cmds; i++)
		if (!strcmp(ctl->cmds[i].name, name))
			return &ctl->cmds[i];
	return NULL;
}

static const char *const builtins[] = {"monitor", "help", "version"};

static json_t *dispatch(struct ctl_client *c, const char *line, size_t len)
{
	struct fm_ctl *ctl = c->ctl;
	json_error_t jerr;
	json_t *req, *res, *cmdv;
	const struct ctl_cmd *cmd;
	const char *name;
	char err[256] = "";

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		snprintf(err, sizeof(err), "bad JSON: %s", jerr.text);
		return reply_err(err);
	}
	if (!json_is_object(req)) {
		json_decref(req);
		return reply_err("request must be a JSON object");
	}
	cmdv = json_object_get(req, "cmd");
	if (!json_is_string(cmdv)) {
		json_decref(req);
		return reply_err("request has no \"cmd\" string");
	}
	name = json_string_value(cmdv);
	pr_debug("ctl: request %s", name);

	if (!strcmp(name, "monitor")) {
		c->monitor = true;
		res = reply_ok(NULL);
	} else if (!strcmp(name, "version")) {
		json_t *v = json_pack("{s:s}", "version", FLOWMOB_VERSION);

		if (v && ctl->info)
			json_object_update_missing(v, ctl->info);
		res = reply_ok(v);
	} else if (!strcmp(name, "help")) {
		json_t *a = json_array();

		for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
			json_array_append_new(a, json_string(builtins[i]));
		for (int i = 0; i < ctl->n_cmds; i++)
			json_array_append_new(a, json_string(ctl->cmds[i].name));
		res = reply_ok(a);
	} else if ((cmd = find_cmd(ctl, name))) {
		json_t *r = cmd->fn(cmd->ctx, req, err, sizeof(err));

		if (r) {
			res = reply_ok(r);
		} else {
			if (!err[0])
				snprintf(err, sizeof(err), "%s failed", name);
			res = reply_err(err);
		}
	} else {
		snprintf(err, sizeof(err), "unknown command '%.64s'", name);
		res = reply_err(err);
	}
	json_decref(req);
	return res;
}

json_t *fm_ctl_request(struct fm_ctl *ctl, const char *line, size_t len)
{
	struct ctl_client c = {.ctl = ctl, .fd = -1};

	return dispatch(&c, line, len);
}

/* Handle every complete line in the input buffer. Returns -1 if c was freed. */
static int client_process(struct ctl_client *c, bool flush_partial)
{
	size_t start = 0;

	for (;;) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		size_t len;

		if (!nl) {
			if (!flush_partial || start == c->in_len)
				break;
			len = c->in_len - start;
		} else {
			len = (size_t)(nl - (c->in + start));
		}
		/* skip blank lines (and a trailing CR) */
		size_t l = len;
		while (l && (c->in[start + l - 1] == '\r' || c->in[start + l - 1] == ' '))
			l--;
		if (l) {
			json_t *rep;

			c->ctl->busy = c;
			rep = dispatch(c, c->in + start, l);
			c->ctl->busy = NULL;
			if (c->dead) {
				json_decref(rep);
				client_free(c);
				return -1;
			}
			if (client_send_json(c, rep))
				return -1;
		}
		start += len + (nl ? 1 : 0);
		if (!nl)
			break;
	}
	if (start) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
	}
	if (c->ctl->hold && !c->monitor)
		return 0; /* written by fm_ctl_flush, after the commit */
	return client_flush(c);
}

static void drop_too_long(struct ctl_client *c)
{
	static const char msg[] = "{\"ok\":false,\"error\":\"request too long\"}\n";

	pr_warn("ctl: dropping a client whose request exceeds %d bytes", FM_CTL_MAX_LINE);
	send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	client_free(c);
}

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;

	(void)loop;
	(void)revents;
	for (;;) {
		ssize_t n;

		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			char *p;

			if (cap > 2 * FM_CTL_MAX_LINE) {
				drop_too_long(c);
				return;
			}
			p = realloc(c->in, cap);
			if (!p) {
				client_free(c);
				return;
			}
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_free(c);
			return;
		}
		if (n == 0) {
			/* peer closed (or half-closed) its side: answer what it sent */
			c->eof = true;
			ev_io_stop(c->ctl->loop, &c->rio);
			if (client_process(c, true))
				return;
			if (!c->monitor && c->out_len == c->out_off)
				client_free(c);
			return;
		}
		c->in_len += (size_t)n;
		c->active_ms = fm_now_ms();
		if (client_process(c, false))
			return;
		if (c->in_len > FM_CTL_MAX_LINE) {
			drop_too_long(c);
			return;
		}
	}
}

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	client_flush(w->data);
}

/* All slots taken: drop the least recently active client, a monitor only when every
 * client is one. 0 when there is room now. */
static int make_room(struct fm_ctl *ctl)
{
	struct ctl_client *victim = NULL;

	for (int pass = 0; pass < 2 && !victim; pass++)
		for (struct ctl_client *c = ctl->clients; c; c = c->next)
			if (c != ctl->busy && !c->dead && (pass || !c->monitor) &&
			    (!victim || c->active_ms <= victim->active_ms)) /* ties: the older */
				victim = c;
	if (!victim)
		return -1;
	pr_warn("ctl: %d clients: dropping the least recently active %s to make room",
		ctl->n_clients, victim->monitor ? "monitor" : "client");
	client_free(victim);
	return 0;
}

/* Once a second: drop the clients idle for longer than idle_ms. */
static void sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fm_ctl *ctl = w->data;
	uint64_t now = fm_now_ms();
	struct ctl_client *c, *next;

	(void)loop;
	(void)revents;
	if (!ctl->idle_ms)
		return;
	for (c = ctl->clients; c; c = next) {
		next = c->next;
		if (c->monitor || c == ctl->busy || c->out_off < c->out_len ||
		    now - c->active_ms < ctl->idle_ms)
			continue;
		pr_debug("ctl: dropping a client idle for %u ms", ctl->idle_ms);
		client_free(c);
	}
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fm_ctl *ctl = w->data;

	(void)revents;
	for (;;) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_client *c;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				pr_warn("ctl: accept: %s", strerror(errno));
			return;
		}
		if (ctl->n_clients >= FM_CTL_MAX_CLIENTS && make_room(ctl)) {
			static const char msg[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";

			send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		c->active_ms = fm_now_ms();
		ev_io_init(&c->rio, client_read_cb, fd, EV_READ);
		ev_io_init(&c->wio, client_write_cb, fd, EV_WRITE);
		c->rio.data = c;
		c->wio.data = c;
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->n_clients++;
		ev_io_start(loop, &c->rio);
	}
}

void fm_ctl_set_idle_timeout(struct fm_ctl *ctl, unsigned ms)
{
	double every = ms && ms < 1000 ? ms / 4000.0 : 1.0;

	ctl->idle_ms = ms;
	ev_timer_stop(ctl->loop, &ctl->sweep);
	ev_timer_set(&ctl->sweep, every, every);
	if (ms)
		ev_timer_start(ctl->loop, &ctl->sweep);
}

/* An existing path: a live instance (-EADDRINUSE), stale (removed, 0) or not a socket. */
static int check_existing(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st)) {
		if (errno == ENOENT)
			return 0;
		pr_err("ctl: %s: %s", sa->sun_path, strerror(errno));
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("ctl: %s exists and is not a socket; refusing to replace it", sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0) {
		pr_err("ctl: %s: another flowmobd instance is running (it answers on this socket)",
		       sa->sun_path);
		return -EADDRINUSE;
	}
	if (errno != ECONNREFUSED && errno != ENOENT) {
		pr_err("ctl: %s: %s", sa->sun_path, strerror(errno));
		return -errno;
	}
	pr_info("ctl: removing stale control socket %s", sa->sun_path);
	if (unlink(sa->sun_path) && errno != ENOENT)
		return -errno;
	return 0;
}

int fm_ctl_open(struct ev_loop *loop, const char *path, struct fm_ctl **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct fm_ctl *ctl = NULL;
	char dir[sizeof(sa.sun_path)], *slash;
	mode_t old_umask;
	int fd = -1, r;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		pr_err("ctl: control socket path '%s' is empty or too long (max %zu)",
		       path ? path : "", sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);

	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		r = fm_mkdir_p(dir, 0755);
		if (r) {
			pr_err("ctl: cannot create %s: %s", dir, strerror(-r));
			return r;
		}
	}
	r = check_existing(&sa);
	if (r)
		return r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		pr_err("ctl: socket: %s", strerror(errno));
		return r;
	}
	/* the private name: "<path>.<pid>", or the path itself when that does not fit */
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.%d", path, (int)getpid()) >=
	    (int)sizeof(sa.sun_path))
		strcpy(sa.sun_path, path);
	unlink(sa.sun_path);
	old_umask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (r) {
		r = -errno;
		pr_err("ctl: bind %s: %s", sa.sun_path, strerror(errno));
		goto err;
	}
	if (chmod(sa.sun_path, 0600)) {
		r = -errno;
		pr_err("ctl: chmod %s: %s", sa.sun_path, strerror(errno));
		goto err_unlink;
	}
	if (listen(fd, 32)) {
		r = -errno;
		pr_err("ctl: listen %s: %s", sa.sun_path, strerror(errno));
		goto err_unlink;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		r = -ENOMEM;
		goto err_unlink;
	}
	ctl->loop = loop;
	ctl->fd = fd;
	strcpy(ctl->path, path);
	strcpy(ctl->bound, sa.sun_path);
	ev_io_init(&ctl->aio, accept_cb, fd, EV_READ);
	ctl->aio.data = ctl;
	ev_io_start(loop, &ctl->aio);
	ev_timer_init(&ctl->sweep, sweep_cb, 1.0, 1.0);
	ctl->sweep.data = ctl;
	fm_ctl_set_idle_timeout(ctl, FM_CTL_IDLE_MS);
	*out = ctl;
	return 0;

err_unlink:
	unlink(sa.sun_path);
err:
	close(fd);
	return r;
}

void fm_ctl_close(struct fm_ctl *ctl)
{
	struct stat st;

	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	ev_timer_stop(ctl->loop, &ctl->sweep);
	ev_io_stop(ctl->loop, &ctl->aio);
	close(ctl->fd);
	if (!lstat(ctl->bound, &st) && S_ISSOCK(st.st_mode))
		unlink(ctl->bound);
	for (int i = 0; i < ctl->n_cmds; i++)
		free(ctl->cmds[i].name);
	free(ctl->cmds);
	json_decref(ctl->info);
	free(ctl);
}

int fm_ctl_publish(struct fm_ctl *ctl)
{
	if (strcmp(ctl->bound, ctl->path)) {
		if (rename(ctl->bound, ctl->path)) {
			int r = -errno;

			pr_err("ctl: rename %s to %s: %s", ctl->bound, ctl->path, strerror(errno));
			return r;
		}
		strcpy(ctl->bound, ctl->path);
	}
	pr_info("ctl: listening on %s", ctl->path);
	return 0;
}

void fm_ctl_set_event_hook(struct fm_ctl *ctl, fm_ctl_event_hook fn, void *ctx)
{
	if (!ctl)
		return;
	ctl->hook = fn;
	ctl->hook_ctx = ctx;
}

void fm_ctl_set_info(struct fm_ctl *ctl, json_t *info)
{
	if (!ctl) {
		json_decref(info);
		return;
	}
	json_decref(ctl->info);
	ctl->info = info;
}

json_t *fm_ctl_call(struct fm_ctl *ctl, const char *cmd, char *err, size_t errlen)
{
	const struct ctl_cmd *c = ctl ? find_cmd(ctl, cmd) : NULL;
	json_t *req, *res;

	if (errlen)
		err[0] = '\0';
	if (!c) {
		snprintf(err, errlen, "unknown command '%.64s'", cmd);
		return NULL;
	}
	req = json_pack("{s:s}", "cmd", cmd);
	if (!req) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	res = c->fn(c->ctx, req, err, errlen);
	json_decref(req);
	if (!res && errlen && !err[0])
		snprintf(err, errlen, "%s failed", cmd);
	return res;
}

int fm_ctl_register(struct fm_ctl *ctl, const char *cmd, fm_ctl_handler fn, void *ctx)
{
	struct ctl_cmd *p;

	if (!ctl || !cmd || !*cmd || !fn)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(cmd, builtins[i]))
			return -EEXIST;
	if (find_cmd(ctl, cmd))
		return -EEXIST;
	p = realloc(ctl->cmds, sizeof(*p) * (size_t)(ctl->n_cmds + 1));
	if (!p)
		return -ENOMEM;
	ctl->cmds = p;
	p = &ctl->cmds[ctl->n_cmds];
	p->name = strdup(cmd);
	if (!p->name)
		return -ENOMEM;
	p->fn = fn;
	p->ctx = ctx;
	ctl->n_cmds++;
	return 0;
}

void fm_ctl_event(struct fm_ctl *ctl, const char *event, json_t *fields)
{
	struct ctl_client *c, *next;
	struct timespec ts;
	json_t *obj;
	char *s;
	size_t len;

	if (!ctl) {
		json_decref(fields);
		return;
	}
	fm_wall(&ts);
	obj = json_pack("{s:s,s:f}", "event", event ? event : "unknown", "time",
			(double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	if (!obj) {
		json_decref(fields);
		return;
	}
	if (json_is_object(fields)) {
		/* "event" and "time" are ours: a field of the same name does not replace them */
		json_object_update_missing(obj, fields);
	}
	json_decref(fields);
	pr_debug("ctl: event %s", event);
	if (ctl->hook)
		ctl->hook(ctl->hook_ctx, event ? event : "unknown", obj);
	s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!s)
		return;
	len = strlen(s);
	for (c = ctl->clients; c; c = next) {
		next = c->next;
		if (!c->monitor)
			continue;
		if (client_queue(c, s, len))
			continue;
		client_flush(c);
	}
	free(s);
}

void fm_ctl_hold(struct fm_ctl *ctl, bool hold)
{
	ctl->hold = hold;
}

void fm_ctl_flush(struct fm_ctl *ctl, bool ok)
{
	struct ctl_client *c, *next;

	for (c = ctl->clients; c; c = next) {
		next = c->next;
		if (c->monitor || c->out_len == c->out_off)
			continue;
		if (ok) {
			client_flush(c); /* may free c */
		} else {
			pr_warn("ctl: state not committed: closing a client without its reply");
			client_drop(c);
		}
	}
}
