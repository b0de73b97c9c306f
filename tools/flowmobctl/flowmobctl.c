// SPDX-License-Identifier: GPL-2.0
/*
 * flowmobctl — the command-line client of flowmobd's control socket
 * (docs/cli.md, docs/control-protocol.md). One request, one reply, printed as
 * a table (default) or as the reply's JSON result (-j); "monitor" streams
 * events until the daemon closes the connection or the user interrupts.
 *
 * Exit status: 0 success, 1 error reply / unreachable daemon / broken reply,
 * 2 bad command line.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <jansson.h>

#include "mh/mh_json.h"
#include "mh/ts.h"
#include "core/version.h"

#define RUN_DIR	   "/run/flowmob"
#define EXIT_ERR   1
#define EXIT_USAGE 2

static const char usage_text[] =
    "Usage: flowmobctl [-s SOCKET | -i INSTANCE] [-j] [-t SECONDS] COMMAND [ARGS...]\n"
    "Commands: bindings, flows, stats, peers, monitor, top, mag-bindings, version,\n"
    "          flow add|move|del ..., attach MN IFACE, detach MN IFACE, state export\n"
    "Try 'flowmobctl --help' for details.\n";

static const char help_text[] =
    "NAME\n"
    "    flowmobctl - query and control a running flowmobd\n"
    "\n"
    "SYNOPSIS\n"
    "    flowmobctl [OPTIONS] bindings | flows | stats | peers | mag-bindings | version\n"
    "    flowmobctl [OPTIONS] monitor\n"
    "    flowmobctl [OPTIONS] top [-n SECONDS] [--count N]\n"
    "    flowmobctl [OPTIONS] flow add MN --fid N --selector TEXT (--bid B | --att T | --drop)\n"
    "                                     [--priority P]\n"
    "    flowmobctl [OPTIONS] flow move MN FID (--bid B | --att T)\n"
    "    flowmobctl [OPTIONS] flow del MN FID\n"
    "    flowmobctl [OPTIONS] attach MN IFACE\n"
    "    flowmobctl [OPTIONS] detach MN IFACE\n"
    "    flowmobctl [OPTIONS] state export > FILE\n"
    "\n"
    "OPTIONS\n"
    "    -s, --socket PATH      control socket of the flowmobd to talk to.\n"
    "    -i, --instance NAME    the instance's default socket, /run/flowmob/NAME.sock.\n"
    "                           Without -s and -i: $FLOWMOB_SOCKET, else the only *.sock\n"
    "                           in /run/flowmob (several: pick one with -i or -s).\n"
    "    -j, --json             print the reply's result as JSON (one line); monitor:\n"
    "                           one event object per line.\n"
    "    -t, --timeout SECONDS  how long to wait for a reply (default 10; monitor waits\n"
    "                           forever).\n"
    "    -h, --help             this text.   -V, --version  the version (and libbpf's).\n"
    "\n"
    "COMMANDS\n"
    "    bindings       LMA binding cache: MN, BID, access technology, MAG, prefixes,\n"
    "                   lifetime left, state (active, deregistering, peer-down), counters.\n"
    "    flows          flow mobility cache: MN, FID, priority, selector, BIDs, action,\n"
    "                   active, counters.\n"
    "    stats          data-plane counters by name, signaling counters by message/status.\n"
    "    peers          LMA: the MAGs (state, restart counter, bindings); MAG: its LMA.\n"
    "    mag-bindings   MAG binding update list: MN, interface, MAC, ATT, BID, prefixes.\n"
    "    monitor        stream events (registration, deregistration, expiry, reject,\n"
    "                   flow-add/move/del, flow-active/inactive, peer-up/down, attach,\n"
    "                   detach, prefix-move) until interrupted.\n"
    "    version        the daemon's version, role and instance.\n"
    "    top            live rates: per-MAG (LMA) and per-flow packets and bytes per\n"
    "                   second, signaling messages per second; -n SECONDS between\n"
    "                   samples (default 1), --count N samples then exit. Redraws on a\n"
    "                   terminal, one line per row and sample otherwise; -j: one JSON\n"
    "                   sample per line.\n"
    "    flow add MN    add a flow for mobile node MN (its NAI):\n"
    "                     --fid N          flow identifier, 1-65535, unique per MN\n"
    "                     --selector TEXT  traffic selector, pairs NAME VALUE, e.g.\n"
    "                                      'next-header 17 dst-port 5000-5999'; names\n"
    "                                      src-addr dst-addr spi flow-label src-port\n"
    "                                      dst-port tc next-header (IPv4: tos protocol);\n"
    "                                      VALUE is v or start-end, addresses also\n"
    "                                      addr/len; '' matches everything\n"
    "                     --bid B          the binding the flow uses\n"
    "                     --att T          or: the first binding of access technology T\n"
    "                                      (also before one is attached)\n"
    "                     --drop           drop the flow instead (no --bid needed)\n"
    "                     --priority P     FID-PRI, lower first (default 100)\n"
    "    flow move MN FID  move a flow to binding --bid B or to the MN's binding of\n"
    "                      access technology --att T.\n"
    "    flow del MN FID   remove a flow.\n"
    "    attach MN IFACE   MAG: attach MN on access interface IFACE (as on a layer-2\n"
    "                      trigger); prints the new binding.\n"
    "    detach MN IFACE   MAG: detach MN from IFACE (de-registration).\n"
    "    state export      the daemon's whole state (LMA: MNs, bindings, flows, restart\n"
    "                      counter, sequence numbers; MAG: restart counter, binding\n"
    "                      update list) as one JSON document, from what is committed\n"
    "                      in its state store; restore it with flowmobd --import FILE.\n"
    "\n"
    "OUTPUT\n"
    "    Tables for people, -j for programs: the JSON of docs/control-protocol.md.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 the daemon answered with an error (message on stderr), could not\n"
    "    be reached, or sent a broken reply; 2 bad command line.\n"
    "\n"
    "EXAMPLES\n"
    "    flowmobctl -i lma1 bindings\n"
    "    flowmobctl -i lma1 flow add mn1@example.net --fid 2 --priority 5 \\\n"
    "        --selector 'next-header 17 dst-port 5000-5999' --bid 1\n"
    "    flowmobctl -i lma1 flow move mn1@example.net 2 --att 8\n"
    "    flowmobctl -i lma1 -j monitor\n"
    "    flowmobctl -i mag1 attach mn1@example.net mag1-mn\n"
    "\n"
    "SEE ALSO\n"
    "    flowmobd(8), flowmob.yaml(5), flowmob-mh(1)\n";

static struct {
	const char *socket;
	const char *instance;
	bool json;
	int timeout_s;
} g = {.timeout_s = 10};

__attribute__((format(printf, 1, 2), noreturn)) static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("flowmobctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("flowmobctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_ERR);
}

static long parse_int(const char *what, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		usage_error("%s: '%s' is not a number in [%ld, %ld]", what, s, lo, hi);
	return v;
}

/* ---- socket ----------------------------------------------------------------------- */

static void pick_socket(char *out, size_t len)
{
	const char *env = getenv("FLOWMOB_SOCKET");
	char found[PATH_MAX] = "";
	char names[512] = "";
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (g.socket) {
		snprintf(out, len, "%s", g.socket);
		return;
	}
	if (g.instance) {
		if (!*g.instance || strchr(g.instance, '/'))
			usage_error("-i: '%s' is not an instance name", g.instance);
		snprintf(out, len, "%s/%s.sock", RUN_DIR, g.instance);
		return;
	}
	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	d = opendir(RUN_DIR);
	if (d) {
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);

			if (l > 5 && !strcmp(de->d_name + l - 5, ".sock")) {
				size_t nl = strlen(names);

				n++;
				snprintf(found, sizeof(found), "%s/%s", RUN_DIR, de->d_name);
				snprintf(names + nl, sizeof(names) - nl, "%s%.*s", nl ? ", " : "",
					 (int)(l - 5), de->d_name);
			}
		}
		closedir(d);
	}
	if (n == 1) {
		snprintf(out, len, "%s", found);
		return;
	}
	if (n == 0)
		die("no flowmobd control socket in %s (is flowmobd running? use -s SOCKET)",
		    RUN_DIR);
	usage_error("%d flowmobd instances run here (%s): pick one with -i INSTANCE or -s SOCKET",
		    n, names);
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		usage_error("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("cannot connect to %s: %s (is flowmobd running?)", path, strerror(errno));
	return fd;
}

static void send_request(int fd, json_t *req)
{
	char *s = json_dumps(req, JSON_COMPACT);
	size_t len, off = 0;

	if (!s)
		die("out of memory");
	len = strlen(s);
	s = realloc(s, len + 2);
	if (!s)
		die("out of memory");
	s[len++] = '\n';
	while (off < len) {
		ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("sending the request: %s", strerror(errno));
		}
		off += (size_t)n;
	}
	free(s);
}

/* Line reader over the socket. */
struct reader {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Returns a malloc'd line without '\n', or NULL at EOF. timeout_ms < 0: wait forever. */
static char *read_line(struct reader *r, int timeout_ms)
{
	for (;;) {
		char *nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		ssize_t n;
		int pr;

		if (nl) {
			size_t l = (size_t)(nl - r->buf);
			char *line = malloc(l + 1);

			if (!line)
				die("out of memory");
			memcpy(line, r->buf, l);
			line[l] = '\0';
			memmove(r->buf, nl + 1, r->len - l - 1);
			r->len -= l + 1;
			return line;
		}
		if (r->cap - r->len < 4096) {
			r->cap = r->cap ? r->cap * 2 : 65536;
			r->buf = realloc(r->buf, r->cap);
			if (!r->buf)
				die("out of memory");
		}
		pr = poll(&p, 1, timeout_ms);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pr == 0)
			die("no reply from flowmobd within %d s", g.timeout_s);
		n = recv(r->fd, r->buf + r->len, r->cap - r->len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("reading the reply: %s", strerror(errno));
		}
		if (n == 0)
			return NULL;
		r->len += (size_t)n;
	}
}

static json_t *parse_reply_line(const char *line)
{
	json_error_t jerr;
	json_t *j = json_loads(line, 0, &jerr);

	if (!j || !json_is_object(j))
		die("broken reply from flowmobd: %s", j ? "not a JSON object" : jerr.text);
	return j;
}

static json_t *call(json_t *req, int *fd_out, struct reader *rd_out);

/* Commands of one role only (the request's "cmd"): the CLI name and the role. */
static const struct {
	const char *cmd, *cli, *role;
} role_cmds[] = {
    {"bindings", "bindings", "lma"},
    {"flow.add", "flow add", "lma"},
    {"flow.move", "flow move", "lma"},
    {"flow.del", "flow del", "lma"},
    {"mag.bindings", "mag-bindings", "mag"},
    {"attach", "attach", "mag"},
    {"detach", "detach", "mag"},
};

static void upper(char *out, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

/* An "unknown command" reply to a command of the other role: say so, naming the
 * socket's role and instance (from its "version" reply). */
static void wrong_role(const char *cmd)
{
	const char *role = NULL, *cli = NULL, *srole, *inst;
	char r1[8], r2[8];
	json_t *v;

	for (size_t i = 0; i < sizeof(role_cmds) / sizeof(role_cmds[0]); i++)
		if (!strcmp(role_cmds[i].cmd, cmd)) {
			role = role_cmds[i].role;
			cli = role_cmds[i].cli;
		}
	if (!role)
		return;
	v = call(json_pack("{s:s}", "cmd", "version"), NULL, NULL);
	srole = json_string_value(json_object_get(v, "role"));
	inst = json_string_value(json_object_get(v, "instance"));
	if (srole && strcmp(srole, role)) {
		upper(r1, sizeof(r1), role);
		upper(r2, sizeof(r2), srole);
		die("'%s' is %s %s command; this socket belongs to %s %s", cli,
		    !strcmp(role, "lma") ? "an" : "a", r1, r2, inst ? inst : "?");
	}
	json_decref(v);
}

/* Send req (stolen), return the result (new reference); an error reply exits 1. */
static json_t *call(json_t *req, int *fd_out, struct reader *rd_out)
{
	char path[PATH_MAX];
	struct reader rd = {0};
	json_t *rep, *res, *ok;
	char *line;

	char cmd[64];

	snprintf(cmd, sizeof(cmd), "%s", json_string_value(json_object_get(req, "cmd")) ?: "");
	pick_socket(path, sizeof(path));
	rd.fd = connect_socket(path);
	send_request(rd.fd, req);
	json_decref(req);
	line = read_line(&rd, g.timeout_s * 1000);
	if (!line)
		die("flowmobd closed the connection without a reply");
	rep = parse_reply_line(line);
	free(line);
	ok = json_object_get(rep, "ok");
	if (!json_is_boolean(ok))
		die("broken reply from flowmobd: no \"ok\"");
	if (json_is_false(ok)) {
		const char *msg = json_string_value(json_object_get(rep, "error"));

		if (msg && !strncmp(msg, "unknown command '", 17)) {
			close(rd.fd);
			free(rd.buf);
			wrong_role(cmd);
		}
		die("%s", msg ? msg : "error (no message)");
	}
	res = json_object_get(rep, "result");
	res = res ? json_incref(res) : json_null();
	json_decref(rep);
	if (fd_out) {
		*fd_out = rd.fd;
		*rd_out = rd;
	} else {
		close(rd.fd);
		free(rd.buf);
	}
	return res;
}

/* ---- rendering ------------------------------------------------------------------------ */

/* A selector object {"dst_port":[5000,5999],...} in CLI form: "dst-port 5000-5999". */
static void selector_text(const json_t *sel, char *buf, size_t len)
{
	const char *key;
	json_t *v;
	size_t pos = 0;

	buf[0] = '\0';
	if (!json_is_object(sel)) {
		char *s = json_dumps(sel, JSON_COMPACT | JSON_ENCODE_ANY);

		snprintf(buf, len, "%s", s ? s : "?");
		free(s);
		return;
	}
	if (json_object_size(sel) == 0) {
		snprintf(buf, len, "any");
		return;
	}
	json_object_foreach((json_t *)sel, key, v)
	{
		char name[64], val[128] = "";
		size_t i;
		json_t *e;

		snprintf(name, sizeof(name), "%s", key);
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = '-';
		if (json_is_array(v)) {
			json_array_foreach(v, i, e)
			{
				char one[64];

				if (json_is_string(e))
					snprintf(one, sizeof(one), "%s", json_string_value(e));
				else if (json_is_integer(e))
					snprintf(one, sizeof(one), "%" JSON_INTEGER_FORMAT,
						 json_integer_value(e));
				else
					snprintf(one, sizeof(one), "?");
				size_t l = strlen(val);
				snprintf(val + l, sizeof(val) - l, "%s%s", i ? "-" : "", one);
			}
		}
		int n = snprintf(buf + pos, len - pos, "%s%s %s", pos ? " " : "", name, val);
		if (n < 0 || (size_t)n >= len - pos)
			break;
		pos += (size_t)n;
	}
}

/* One cell: strings as they are, arrays joined by ',', booleans yes/no, null '-'. */
static char *cell(const char *col, const json_t *v)
{
	char buf[1024];

	if (!v || json_is_null(v))
		return strdup("-");
	if (!strcmp(col, "selector")) {
		selector_text(v, buf, sizeof(buf));
		return strdup(buf);
	}
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strdup(buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.3f", json_real_value(v));
		return strdup(buf);
	}
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "yes" : "no");
	if (json_is_array(v)) {
		size_t i, pos = 0;
		json_t *e;

		buf[0] = '\0';
		if (json_array_size(v) == 0)
			return strdup("-");
		json_array_foreach((json_t *)v, i, e)
		{
			char *c = cell("", e);
			int n = snprintf(buf + pos, sizeof(buf) - pos, "%s%s", i ? "," : "", c);

			free(c);
			if (n < 0 || (size_t)n >= sizeof(buf) - pos)
				break;
			pos += (size_t)n;
		}
		return strdup(buf);
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return s ? s : strdup("?");
}

/*
 * An array of objects as a table. cols: the preferred column order (keys), then
 * any other key the objects have, in order of appearance.
 */
static void print_table(const json_t *rows, const char *const *cols)
{
	const char *names[64];
	int ncol = 0;
	size_t nrow = json_array_size(rows), i;
	json_t *row;

	/* preferred columns that some row has, in their order */
	for (int c = 0; cols && cols[c] && ncol < 64; c++) {
		json_array_foreach((json_t *)rows, i, row)
		{
			if (json_object_get(row, cols[c])) {
				names[ncol++] = cols[c];
				break;
			}
		}
	}
	json_array_foreach((json_t *)rows, i, row)
	{
		const char *key;
		json_t *v;

		if (!json_is_object(row))
			continue;
		json_object_foreach(row, key, v)
		{
			bool have = false;

			(void)v;
			for (int c = 0; c < ncol; c++)
				have |= !strcmp(names[c], key);
			if (!have && ncol < 64)
				names[ncol++] = key;
		}
	}
	if (ncol == 0 && nrow == 0) {
		/* no rows: the header of the preferred columns, so an empty table is one */
		for (int c = 0; cols && cols[c] && ncol < 64; c++)
			names[ncol++] = cols[c];
		if (ncol == 0)
			return;
	}
	if (ncol == 0) {
		for (i = 0; i < nrow; i++) {
			char *c = cell("", json_array_get(rows, i));
			puts(c);
			free(c);
		}
		return;
	}

	char ***cells = calloc(nrow ? nrow : 1, sizeof(*cells));
	size_t width[64];

	if (!cells)
		die("out of memory");
	for (int c = 0; c < ncol; c++)
		width[c] = strlen(names[c]);
	for (i = 0; i < nrow; i++) {
		row = json_array_get(rows, i);
		cells[i] = calloc((size_t)ncol, sizeof(char *));
		if (!cells[i])
			die("out of memory");
		for (int c = 0; c < ncol; c++) {
			cells[i][c] = cell(
			    names[c], json_is_object(row) ? json_object_get(row, names[c]) : NULL);
			if (strlen(cells[i][c]) > width[c])
				width[c] = strlen(cells[i][c]);
		}
	}
	/* header: keys upper-cased, '_' as ' ' */
	for (int c = 0; c < ncol; c++) {
		char h[64];
		size_t k;

		for (k = 0; names[c][k] && k < sizeof(h) - 1; k++)
			h[k] = names[c][k] == '_' ? ' ' : (char)toupper((unsigned char)names[c][k]);
		h[k] = '\0';
		if (c == ncol - 1)
			printf("%s\n", h);
		else
			printf("%-*s  ", (int)width[c], h);
	}
	for (i = 0; i < nrow; i++) {
		for (int c = 0; c < ncol; c++) {
			if (c == ncol - 1)
				printf("%s", cells[i][c]);
			else
				printf("%-*s  ", (int)width[c], cells[i][c]);
			free(cells[i][c]);
		}
		putchar('\n');
		free(cells[i]);
	}
	free(cells);
}

/* Nested objects as "a.b.c  value" lines (stats). */
static void print_flat(const json_t *v, const char *prefix)
{
	const char *key;
	json_t *e;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e)
		{
			char p[256];

			snprintf(p, sizeof(p), "%s%s%s", prefix, *prefix ? "." : "", key);
			print_flat(e, p);
		}
		return;
	}
	char *c = cell("", v);
	printf("%-40s %s\n", *prefix ? prefix : "value", c);
	free(c);
}

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!s)
		die("out of memory");
	puts(s);
	free(s);
}

static const char *const binding_cols[] = {"mn",       "bid",	"att",	   "mag",   "prefixes",
					   "lifetime", "state", "packets", "bytes", NULL};
static const char *const flow_cols[] = {"mn",	  "fid",    "priority", "selector", "bids",
					"action", "active", "packets",	"bytes",    NULL};
static const char *const peer_cols[] = {"mag",	     "lma",	 "state", "restart_counter",
					"last_seen", "bindings", NULL};
static const char *const mag_binding_cols[] = {"mn",	   "iface", "mac",	"att", "bid",
					       "prefixes", "state", "lifetime", NULL};

/* Print a result: JSON with -j, else a table (arrays), one row (objects) or lines. */
static void output(json_t *res, const char *const *cols)
{
	if (g.json) {
		print_json(res);
	} else if (json_is_array(res)) {
		print_table(res, cols);
	} else if (json_is_object(res) && cols) {
		json_t *a = json_array();

		json_array_append(a, res);
		print_table(a, cols);
		json_decref(a);
	} else if (json_is_object(res)) {
		print_flat(res, "");
	} else if (!json_is_null(res)) {
		char *c = cell("", res);
		puts(c);
		free(c);
	}
	json_decref(res);
}

/* ---- commands ----------------------------------------------------------------------------- */

static void no_more_args(int argc, char **argv, int i)
{
	if (i < argc)
		usage_error("unexpected argument '%s'", argv[i]);
}

static void event_line(json_t *ev)
{
	const char *key;
	json_t *v;
	double t = json_number_value(json_object_get(ev, "time"));
	time_t secs = (time_t)t;
	struct tm tm;
	char ts[32] = "-";

	if (t > 0 && localtime_r(&secs, &tm)) {
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		size_t l = strlen(ts);
		snprintf(ts + l, sizeof(ts) - l, ".%03d", (int)((t - (double)secs) * 1000) % 1000);
	}
	printf("%s %-15s", ts, json_string_value(json_object_get(ev, "event")) ?: "?");
	json_object_foreach(ev, key, v)
	{
		if (!strcmp(key, "event") || !strcmp(key, "time"))
			continue;
		char *c = cell(key, v);
		printf(" %s=%s", key, c);
		free(c);
	}
	putchar('\n');
}

static int cmd_monitor(void)
{
	struct reader rd;
	json_t *res;
	char *line;
	int fd;

	res = call(json_pack("{s:s}", "cmd", "monitor"), &fd, &rd);
	json_decref(res);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((line = read_line(&rd, -1))) {
		json_error_t jerr;
		json_t *ev;

		if (!*line) {
			free(line);
			continue;
		}
		ev = json_loads(line, 0, &jerr);
		if (!ev || !json_is_object(ev)) {
			fprintf(stderr, "flowmobctl: broken event from flowmobd: %s\n", line);
			json_decref(ev);
			free(line);
			continue;
		}
		if (g.json)
			print_json(ev);
		else
			event_line(ev);
		fflush(stdout);
		json_decref(ev);
		free(line);
	}
	close(fd);
	free(rd.buf);
	/* the stream ends only when flowmobd goes away (stopped, crashed, or it
	 * dropped us): a script must see that */
	fprintf(stderr, "flowmobctl: monitor: flowmobd closed the connection (daemon stopped?)\n");
	return 1;
}

/* Every entry of a paged listing (bindings, flows) as one array: the pages of
 * paged() below, joined (a daemon that answers with the whole array: that). */
static json_t *fetch_all(const char *cmd)
{
	json_t *all = json_array();
	json_int_t offset = 0;

	for (;;) {
		json_t *res =
		    call(json_pack("{s:s,s:I,s:i}", "cmd", cmd, "offset", offset, "limit", 2000),
			 NULL, NULL);
		json_t *next = json_object_get(res, "next");

		if (json_is_array(res)) {
			json_decref(all);
			return res;
		}
		if (!json_is_array(json_object_get(res, "items")))
			die("broken reply from flowmobd: no \"items\" in a page");
		json_array_extend(all, json_object_get(res, "items"));
		if (!json_is_integer(next) || json_integer_value(next) <= offset) {
			json_decref(res);
			return all;
		}
		offset = json_integer_value(next);
		json_decref(res);
	}
}

/* ---- top ---------------------------------------------------------------------------------- */

/* One reading of the counters: {"mags": {MAG: {"packets","bytes","bindings"}},
 * "flows": {"MN FID": {"mn","fid","packets","bytes"}}, "sig": {"rx.pbu": n, ...}}. */
static json_t *top_read(bool lma)
{
	json_t *st = call(json_pack("{s:s}", "cmd", "stats"), NULL, NULL);
	json_t *fl = fetch_all("flows");
	json_t *bi = lma ? fetch_all("bindings") : NULL;
	json_t *out = json_pack("{s:{},s:{},s:{}}", "mags", "flows", "sig");
	json_t *mags = json_object_get(out, "mags"), *flows = json_object_get(out, "flows");
	json_t *sig = json_object_get(out, "sig"), *e;
	const char *dir;
	size_t i;

	json_array_foreach(bi, i, e)
	{
		const char *mag = json_string_value(json_object_get(e, "mag"));
		json_t *m;

		if (!mag)
			continue;
		m = json_object_get(mags, mag);
		if (!m) {
			m = json_pack("{s:I,s:I,s:i}", "packets", (json_int_t)0, "bytes",
				      (json_int_t)0, "bindings", 0);
			json_object_set_new(mags, mag, m);
		}
		json_object_set_new(
		    m, "packets",
		    json_integer(json_integer_value(json_object_get(m, "packets")) +
				 json_integer_value(json_object_get(e, "packets"))));
		json_object_set_new(m, "bytes",
				    json_integer(json_integer_value(json_object_get(m, "bytes")) +
						 json_integer_value(json_object_get(e, "bytes"))));
		json_object_set_new(
		    m, "bindings",
		    json_integer(json_integer_value(json_object_get(m, "bindings")) + 1));
	}
	json_array_foreach(fl, i, e)
	{
		const char *mn = json_string_value(json_object_get(e, "mn"));
		json_int_t fid = json_integer_value(json_object_get(e, "fid"));
		char key[320];

		if (!mn)
			continue;
		snprintf(key, sizeof(key), "%s %" JSON_INTEGER_FORMAT, mn, fid);
		json_object_set_new(flows, key,
				    json_pack("{s:s,s:I,s:I,s:I}", "mn", mn, "fid", fid, "packets",
					      json_integer_value(json_object_get(e, "packets")),
					      "bytes",
					      json_integer_value(json_object_get(e, "bytes"))));
	}
	json_t *sg = json_object_get(st, "signaling");
	json_t *kinds;

	json_object_foreach(sg, dir, kinds)
	{
		const char *kind;
		json_t *n;

		if (strcmp(dir, "rx") && strcmp(dir, "tx"))
			continue;
		json_object_foreach(kinds, kind, n)
		{
			char key[64];

			snprintf(key, sizeof(key), "%s.%s", dir, kind);
			json_object_set(sig, key, n);
		}
	}
	json_decref(st);
	json_decref(fl);
	json_decref(bi);
	return out;
}

static double rate(const json_t *cur, const json_t *prev, const char *field, double dt)
{
	json_int_t a = json_integer_value(json_object_get(cur, field));
	json_int_t b = prev ? json_integer_value(json_object_get(prev, field)) : a;

	return a >= b && dt > 0 ? (double)(a - b) / dt : 0.0;
}

/* Rates between two readings, as the JSON sample -j prints. */
static json_t *top_sample(json_t *cur, json_t *prev, double dt, const char *role, const char *inst)
{
	struct timespec ts;
	json_t *s, *mags = json_array(), *flows = json_array(), *sig = json_object(), *v;
	const char *key;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_foreach(json_object_get(cur, "mags"), key, v)
	{
		json_t *p = json_object_get(json_object_get(prev, "mags"), key);

		json_array_append_new(mags, json_pack("{s:s,s:O,s:f,s:f}", "mag", key, "bindings",
						      json_object_get(v, "bindings"), "pps",
						      rate(v, p, "packets", dt), "bps",
						      rate(v, p, "bytes", dt)));
	}
	json_object_foreach(json_object_get(cur, "flows"), key, v)
	{
		json_t *p = json_object_get(json_object_get(prev, "flows"), key);

		json_array_append_new(
		    flows, json_pack("{s:O,s:O,s:f,s:f}", "mn", json_object_get(v, "mn"), "fid",
				     json_object_get(v, "fid"), "pps", rate(v, p, "packets", dt),
				     "bps", rate(v, p, "bytes", dt)));
	}
	json_object_foreach(json_object_get(cur, "sig"), key, v)
	{
		json_int_t a = json_integer_value(v);
		json_int_t b =
		    json_integer_value(json_object_get(json_object_get(prev, "sig"), key));

		if (a == 0)
			continue;
		json_object_set_new(sig, key,
				    json_real(a >= b && dt > 0 ? (double)(a - b) / dt : 0));
	}
	s = json_pack("{s:f,s:f,s:s,s:s,s:o,s:o,s:o}", "time",
		      (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, "interval", dt, "role", role,
		      "instance", inst, "mags", mags, "flows", flows, "signaling", sig);
	return s;
}

static void top_print(const json_t *s, bool tty)
{
	double t = json_real_value(json_object_get(s, "time"));
	time_t secs = (time_t)t;
	struct tm tm;
	char ts[16] = "-";
	const json_t *mags = json_object_get(s, "mags"), *flows = json_object_get(s, "flows");
	const char *key;
	json_t *v;
	size_t i;

	if (localtime_r(&secs, &tm))
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	if (!tty) {
		json_array_foreach((json_t *)mags, i, v)
		    printf("%s mag %s bindings=%" JSON_INTEGER_FORMAT " pps=%.1f bps=%.1f\n", ts,
			   json_string_value(json_object_get(v, "mag")),
			   json_integer_value(json_object_get(v, "bindings")),
			   json_real_value(json_object_get(v, "pps")),
			   json_real_value(json_object_get(v, "bps")));
		json_array_foreach((json_t *)flows, i, v)
		    printf("%s flow %s fid=%" JSON_INTEGER_FORMAT " pps=%.1f bps=%.1f\n", ts,
			   json_string_value(json_object_get(v, "mn")),
			   json_integer_value(json_object_get(v, "fid")),
			   json_real_value(json_object_get(v, "pps")),
			   json_real_value(json_object_get(v, "bps")));
		printf("%s signaling", ts);
		json_object_foreach(json_object_get(s, "signaling"), key, v)
		    printf(" %s=%.1f/s", key, json_real_value(v));
		putchar('\n');
		fflush(stdout);
		return;
	}
	/* a terminal: redraw the screen */
	printf("\033[H\033[2J");
	printf("flowmobctl top - %s %s - every %.1f s - %s (Ctrl-C to quit)\n\n",
	       json_string_value(json_object_get(s, "role")),
	       json_string_value(json_object_get(s, "instance")),
	       json_real_value(json_object_get(s, "interval")), ts);
	if (json_array_size(mags) ||
	    !strcmp(json_string_value(json_object_get(s, "role")), "lma")) {
		printf("%-40s %8s %12s %14s\n", "MAG", "BINDINGS", "PKT/S", "BYTE/S");
		json_array_foreach((json_t *)mags, i, v)
		    printf("%-40s %8" JSON_INTEGER_FORMAT " %12.1f %14.1f\n",
			   json_string_value(json_object_get(v, "mag")),
			   json_integer_value(json_object_get(v, "bindings")),
			   json_real_value(json_object_get(v, "pps")),
			   json_real_value(json_object_get(v, "bps")));
		putchar('\n');
	}
	printf("%-40s %8s %12s %14s\n", "MN", "FID", "PKT/S", "BYTE/S");
	json_array_foreach((json_t *)flows, i, v) printf(
	    "%-40s %8" JSON_INTEGER_FORMAT " %12.1f %14.1f\n",
	    json_string_value(json_object_get(v, "mn")),
	    json_integer_value(json_object_get(v, "fid")),
	    json_real_value(json_object_get(v, "pps")), json_real_value(json_object_get(v, "bps")));
	printf("\n%-40s %8s\n", "SIGNALING", "MSG/S");
	json_object_foreach(json_object_get(s, "signaling"), key, v)
	    printf("%-40s %8.1f\n", key, json_real_value(v));
	fflush(stdout);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"interval", required_argument, NULL, 'n'},
	    {"count", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	double interval = 1.0, t_prev, t;
	long count = 0;
	bool tty = isatty(STDOUT_FILENO);
	json_t *ver, *prev, *cur;
	char role[8], inst[64];
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': {
			char *end;

			interval = strtod(optarg, &end);
			if (*end || !(interval >= 0.1 && interval <= 3600))
				usage_error(
				    "top: -n: '%s' is not a number of seconds in [0.1, 3600]",
				    optarg);
			break;
		}
		case 'c':
			count = parse_int("top: --count", optarg, 1, 1000000);
			break;
		case ':':
			usage_error("top: option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error("top: unknown option '%s'", argv[optind - 1]);
		}
	}
	no_more_args(argc, argv, optind);
	ver = call(json_pack("{s:s}", "cmd", "version"), NULL, NULL);
	snprintf(role, sizeof(role), "%s", json_string_value(json_object_get(ver, "role")) ?: "?");
	snprintf(inst, sizeof(inst), "%s",
		 json_string_value(json_object_get(ver, "instance")) ?: "?");
	json_decref(ver);
	setvbuf(stdout, NULL, _IOLBF, 0);
	prev = top_read(!strcmp(role, "lma"));
	t_prev = mono();
	for (long n = 0; !count || n < count; n++) {
		json_t *s;

		usleep((useconds_t)(interval * 1e6));
		cur = top_read(!strcmp(role, "lma"));
		t = mono();
		s = top_sample(cur, prev, t - t_prev, role, inst);
		if (g.json)
			print_json(s);
		else
			top_print(s, tty);
		json_decref(s);
		json_decref(prev);
		prev = cur;
		t_prev = t;
	}
	json_decref(prev);
	return 0;
}

static int cmd_flow(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"fid", required_argument, NULL, 'f'},
	    {"priority", required_argument, NULL, 'p'},
	    {"selector", required_argument, NULL, 's'},
	    {"bid", required_argument, NULL, 'b'},
	    {"att", required_argument, NULL, 'a'},
	    {"drop", no_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *sub, *sel_text = NULL;
	long fid = -1, prio = -1, bid = -1, att = -1;
	bool drop = false;
	char *pos[4];
	int npos = 0, c;
	json_t *req;

	if (argc < 2)
		usage_error("flow: add, move or del?");
	sub = argv[1];
	if (strcmp(sub, "add") && strcmp(sub, "move") && strcmp(sub, "del"))
		usage_error("flow: unknown subcommand '%s' (add, move, del)", sub);

	optind = 0; /* reinitialise getopt */
	opterr = 0;
	/* argv[1] is the subcommand: getopt sees it as argv[0] */
	while ((c = getopt_long(argc - 1, argv + 1, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fid = parse_int("--fid", optarg, 1, 65535);
			break;
		case 'p':
			prio = parse_int("--priority", optarg, 0, 65535);
			break;
		case 's':
			sel_text = optarg;
			break;
		case 'b':
			bid = parse_int("--bid", optarg, 1, 65535);
			break;
		case 'a':
			att = parse_int("--att", optarg, 1, 255);
			break;
		case 'd':
			drop = true;
			break;
		case ':':
			usage_error("flow %s: option '%s' needs a value", sub, argv[optind]);
		default:
			usage_error("flow %s: unknown option '%s'", sub, argv[optind]);
		}
	}
	for (int i = optind + 1; i < argc; i++) {
		if (npos == 4)
			usage_error("flow %s: unexpected argument '%s'", sub, argv[i]);
		pos[npos++] = argv[i];
	}

	if (!strcmp(sub, "add")) {
		struct fm_ts ts;
		char err[256];

		if (npos != 1)
			usage_error("flow add: give exactly one MN (its NAI)");
		if (fid < 0)
			usage_error("flow add: --fid is required");
		if (!sel_text)
			usage_error("flow add: --selector is required ('' matches everything)");
		if (att >= 0 && bid >= 0)
			usage_error("flow add: give --bid or --att, not both");
		if (bid < 0 && att < 0 && !drop)
			usage_error("flow add: --bid is required (or --att, or --drop)");
		if (ts_parse_cli(sel_text, TS_FMT_IPV6, &ts, err, sizeof(err))) {
			char err4[256];

			if (ts_parse_cli(sel_text, TS_FMT_IPV4, &ts, err4, sizeof(err4)))
				usage_error("flow add: --selector: %s", err);
		}
		req = json_pack("{s:s,s:s,s:i,s:i,s:o,s:s}", "cmd", "flow.add", "mn", pos[0], "fid",
				(int)fid, "priority", (int)(prio < 0 ? 100 : prio), "selector",
				ts_to_json(&ts), "action", drop ? "drop" : "forward");
		if (bid >= 0)
			json_object_set_new(req, "bid", json_integer(bid));
		if (att >= 0) /* placed on an access technology, attached or not yet */
			json_object_set_new(req, "att", json_integer(att));
		output(call(req, NULL, NULL), flow_cols);
		return 0;
	}

	if (fid >= 0 || prio >= 0 || sel_text || drop)
		usage_error("flow %s: only %s", sub,
			    !strcmp(sub, "move") ? "--bid or --att" : "MN and FID");
	if (npos != 2)
		usage_error("flow %s: give MN and FID", sub);
	fid = parse_int("FID", pos[1], 1, 65535);
	if (!strcmp(sub, "move")) {
		if ((bid >= 0) == (att >= 0))
			usage_error("flow move: give exactly one of --bid and --att");
		req = json_pack("{s:s,s:s,s:i}", "cmd", "flow.move", "mn", pos[0], "fid", (int)fid);
		if (bid >= 0)
			json_object_set_new(req, "bid", json_integer(bid));
		else
			json_object_set_new(req, "att", json_integer(att));
		output(call(req, NULL, NULL), flow_cols);
		return 0;
	}
	if (bid >= 0 || att >= 0)
		usage_error("flow del: only MN and FID");
	req = json_pack("{s:s,s:s,s:i}", "cmd", "flow.del", "mn", pos[0], "fid", (int)fid);
	output(call(req, NULL, NULL), NULL);
	return 0;
}

static int cmd_attach(int argc, char **argv, const char *cmd)
{
	json_t *req;

	if (argc != 3)
		usage_error("%s: give MN (its NAI) and IFACE", cmd);
	if (!*argv[1] || !*argv[2])
		usage_error("%s: MN and IFACE must not be empty", cmd);
	req = json_pack("{s:s,s:s,s:s}", "cmd", cmd, "mn", argv[1], "iface", argv[2]);
	output(call(req, NULL, NULL), !strcmp(cmd, "attach") ? mag_binding_cols : NULL);
	return 0;
}

/* `state export`: the document, indented, whatever -j says (it is a file format). */
static int cmd_state(int argc, char **argv)
{
	json_t *res;
	char *text;

	if (argc < 2 || strcmp(argv[1], "export"))
		usage_error("state: the subcommand is export");
	no_more_args(argc, argv, 2);
	res = call(json_pack("{s:s}", "cmd", "state.export"), NULL, NULL);
	text = json_dumps(res, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(res);
	if (!text)
		return 1;
	puts(text);
	free(text);
	return 0;
}

/*
 * A listing fetched in pages ({"offset", "limit"} -> {"items", "next"}): any size
 * fits under the control socket's reply cap. -j streams the pages as one JSON
 * array; the table is printed once every page is in. Entries added or removed
 * between two pages may shift the pages by as many.
 */
#define CTL_PAGE 2000

static int paged(int argc, char **argv, const char *cmd, const char *const *cols)
{
	json_t *all = json_array();
	json_int_t offset = 0;
	bool first = true;

	no_more_args(argc, argv, 1);
	for (;;) {
		json_t *res = call(
		    json_pack("{s:s,s:I,s:i}", "cmd", cmd, "offset", offset, "limit", CTL_PAGE),
		    NULL, NULL);
		json_t *items = json_object_get(res, "items"), *next = json_object_get(res, "next");
		size_t i;
		json_t *e;

		if (json_is_array(res) && first) { /* a daemon that does not page */
			json_decref(all);
			output(res, cols);
			return 0;
		}
		if (!json_is_array(items))
			die("broken reply from flowmobd: no \"items\" in a page");
		json_array_foreach(items, i, e)
		{
			if (g.json) {
				char *t = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);

				if (!t)
					die("out of memory");
				fputs(first ? "[" : ",", stdout);
				fputs(t, stdout);
				free(t);
			} else {
				json_array_append(all, e);
			}
			first = false;
		}
		if (!json_is_integer(next) || json_integer_value(next) <= offset) {
			json_decref(res);
			break;
		}
		offset = json_integer_value(next);
		json_decref(res);
	}
	if (g.json) {
		puts(first ? "[]" : "]");
		json_decref(all);
	} else {
		output(all, cols);
	}
	return 0;
}

static int simple(int argc, char **argv, const char *cmd, const char *const *cols)
{
	no_more_args(argc, argv, 1);
	output(call(json_pack("{s:s}", "cmd", cmd), NULL, NULL), cols);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"instance", required_argument, NULL, 'i'},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *cmd;
	int c;

	opterr = 0;
	/* '+': stop at the command; its own options follow it */
	while ((c = getopt_long(argc, argv, "+:s:i:jt:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			g.socket = optarg;
			break;
		case 'i':
			g.instance = optarg;
			break;
		case 'j':
			g.json = true;
			break;
		case 't':
			g.timeout_s = (int)parse_int("-t", optarg, 1, 86400);
			break;
		case 'h':
			fputs(help_text, stdout);
			return 0;
		case 'V':
			printf("flowmobctl %s (libbpf %u.%u)\n", FLOWMOB_VERSION,
			       libbpf_major_version(), libbpf_minor_version());
			return 0;
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (g.socket && g.instance)
		usage_error("-s and -i exclude each other");
	if (optind >= argc)
		usage_error("no command");
	argc -= optind;
	argv += optind;
	cmd = argv[0];

	if (!strcmp(cmd, "bindings"))
		return paged(argc, argv, "bindings", binding_cols);
	if (!strcmp(cmd, "flows"))
		return paged(argc, argv, "flows", flow_cols);
	if (!strcmp(cmd, "stats"))
		return simple(argc, argv, "stats", NULL);
	if (!strcmp(cmd, "peers"))
		return simple(argc, argv, "peers", peer_cols);
	if (!strcmp(cmd, "mag-bindings"))
		return simple(argc, argv, "mag.bindings", mag_binding_cols);
	if (!strcmp(cmd, "version"))
		return simple(argc, argv, "version", NULL);
	if (!strcmp(cmd, "monitor")) {
		no_more_args(argc, argv, 1);
		return cmd_monitor();
	}
	if (!strcmp(cmd, "flow"))
		return cmd_flow(argc, argv);
	if (!strcmp(cmd, "state"))
		return cmd_state(argc, argv);
	if (!strcmp(cmd, "top"))
		return cmd_top(argc, argv);
	if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach"))
		return cmd_attach(argc, argv, cmd);
	if (!strcmp(cmd, "raw")) {
		json_error_t jerr;
		json_t *req;

		if (argc != 2)
			usage_error("raw: give one JSON request object");
		req = json_loads(argv[1], 0, &jerr);
		if (!json_is_object(req) || !json_is_string(json_object_get(req, "cmd")))
			usage_error("raw: '%s' is not a JSON object with a \"cmd\" string",
				    argv[1]);
		output(call(req, NULL, NULL), NULL);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		fputs(help_text, stdout);
		return 0;
	}
	usage_error("unknown command '%s'", cmd);
}
