// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c — Prometheus exposition of the control commands' JSON (metrics.h)
 * and the HTTP endpoint. libmicrohttpd runs in external-loop epoll mode: MHD's
 * epoll fd is watched by one ev_io and MHD_get_timeout() arms one ev_timer;
 * both call MHD_run(). A scrape is answered synchronously from the loop.
 * Owns: the MHD daemon and its watchers, the exposition builder.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "core/log.h"
#include "core/metrics.h"

/* ---- exposition builder ------------------------------------------------------- */

#define MAX_FAMILIES 64

struct buf {
	char *p;
	size_t len, cap;
};

struct family {
	const char *name, *type, *help;
	struct buf samples;
};

struct expo {
	struct family f[MAX_FAMILIES];
	int n;
	bool oom;
};

static void buf_vadd(struct buf *b, bool *oom, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		char *p;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			*oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
}

__attribute__((format(printf, 3, 4))) static void buf_add(struct buf *b, bool *oom, const char *fmt,
							  ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vadd(b, oom, fmt, ap);
	va_end(ap);
}

static struct family *family(struct expo *e, const char *name, const char *type, const char *help)
{
	for (int i = 0; i < e->n; i++)
		if (!strcmp(e->f[i].name, name))
			return &e->f[i];
	if (e->n == MAX_FAMILIES) {
		e->oom = true;
		return NULL;
	}
	e->f[e->n] = (struct family){.name = name, .type = type, .help = help};
	return &e->f[e->n++];
}

/* Label values: backslash, double quote and newline escaped. */
static void esc(char *out, size_t len, const char *v)
{
	size_t o = 0;

	for (; v && *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
}

/*
 * One sample: labels as NULL-terminated key, value pairs ("kind", "pbu", NULL).
 * A pair whose value is NULL is left out.
 */
static void sample(struct expo *e, const char *name, const char *type, const char *help, double v,
		   ...)
{
	struct family *f = family(e, name, type, help);
	char labels[1024] = "";
	size_t pos = 0;
	const char *k;
	va_list ap;

	if (!f)
		return;
	va_start(ap, v);
	while ((k = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);
		char ev[512];
		int n;

		if (!val)
			continue;
		esc(ev, sizeof(ev), val);
		n = snprintf(labels + pos, sizeof(labels) - pos, "%s%s=\"%s\"", pos ? "," : "{", k,
			     ev);
		if (n < 0 || (size_t)n >= sizeof(labels) - pos)
			break;
		pos += (size_t)n;
	}
	va_end(ap);
	if (pos && pos + 1 < sizeof(labels))
		labels[pos++] = '}', labels[pos] = '\0';
	buf_add(&f->samples, &e->oom, "%s%s %.17g\n", name, labels, v);
}

static char *expo_finish(struct expo *e)
{
	struct buf out = {0};

	for (int i = 0; i < e->n; i++) {
		struct family *f = &e->f[i];

		buf_add(&out, &e->oom, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
			f->type);
		if (f->samples.p)
			buf_add(&out, &e->oom, "%s", f->samples.p);
		free(f->samples.p);
	}
	if (e->oom) {
		free(out.p);
		return NULL;
	}
	if (!out.p)
		return strdup("");
	return out.p;
}

/* ---- the families ------------------------------------------------------------------ */

static bool num(const json_t *v, double *out)
{
	if (json_is_integer(v)) {
		*out = (double)json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		*out = json_real_value(v);
		return true;
	}
	if (json_is_boolean(v)) {
		*out = json_is_true(v) ? 1 : 0;
		return true;
	}
	return false;
}

static void signaling(struct expo *e, const json_t *sig, const struct fm_metrics_opts *o)
{
	const char *key;
	json_t *v;
	double d;

	json_object_foreach((json_t *)sig, key, v)
	{
		if ((!strcmp(key, "rx") || !strcmp(key, "tx")) && json_is_object(v)) {
			const char *kind;
			json_t *c;

			json_object_foreach(v, kind, c) if (num(c, &d))
			    sample(e, "flowmob_signaling_messages_total", "counter",
				   "Mobility Header messages sent (tx) and received (rx), by "
				   "message kind.",
				   d, "direction", key, "kind", kind, NULL);
		} else if (!strcmp(key, "status") && json_is_object(v)) {
			const char *ks;
			json_t *c;

			json_object_foreach(v, ks, c)
			{
				char kind[32], codes[16];
				const char *colon = strchr(ks, ':'), *name = NULL;
				unsigned code;

				if (!colon || !num(c, &d) || (size_t)(colon - ks) >= sizeof(kind))
					continue;
				snprintf(kind, sizeof(kind), "%.*s", (int)(colon - ks), ks);
				code = (unsigned)strtoul(colon + 1, NULL, 10);
				snprintf(codes, sizeof(codes), "%u", code);
				if (o->status_name)
					name = o->status_name(kind, code);
				sample(e, "flowmob_signaling_status_total", "counter",
				       "Acknowledgements by kind and status code (sent by an LMA, "
				       "received by a MAG), with the status name.",
				       d, "kind", kind, "code", codes, "status", name, NULL);
			}
		} else if (!strcmp(key, "socket") && json_is_object(v)) {
			const char *ev;
			json_t *c;

			json_object_foreach(v, ev, c) if (num(c, &d))
			    sample(e, "flowmob_mh_socket_events_total", "counter",
				   "Mobility Header socket events (malformed, unknown type, send "
				   "errors, Binding Errors suppressed).",
				   d, "event", ev, NULL);
		} else if (!strcmp(key, "pending") && num(v, &d)) {
			sample(e, "flowmob_signaling_pending", "gauge",
			       "Requests sent and waiting for their acknowledgement.", d, NULL);
		} else if (num(v, &d)) {
			sample(e, "flowmob_signaling_events_total", "counter",
			       "Other signaling events (messages ignored, from a wrong peer, "
			       "unexpected).",
			       d, "event", key, NULL);
		}
	}
}

static void stats(struct expo *e, const json_t *st, const struct fm_metrics_opts *o)
{
	const char *key;
	json_t *v;
	double d;

	json_object_foreach((json_t *)st, key, v)
	{
		if (!strcmp(key, "dataplane") && json_is_object(v)) {
			const char *c;
			json_t *x;

			json_object_foreach(v, c, x)
			{
				if (!num(x, &d))
					continue;
				if (!strncmp(c, "drop_", 5))
					sample(e, "flowmob_dataplane_drops_total", "counter",
					       "Packets the BPF programs dropped, by reason.", d,
					       "reason", c + 5, NULL);
				else
					sample(e, "flowmob_dataplane_packets_total", "counter",
					       "Packets the BPF programs handled, by outcome (rx: "
					       "all seen).",
					       d, "outcome", c, NULL);
			}
		} else if (!strcmp(key, "signaling") && json_is_object(v)) {
			signaling(e, v, o);
		} else if (!strcmp(key, "nd") && json_is_object(v)) {
			const char *c;
			json_t *x;

			json_object_foreach(v, c, x) if (num(x, &d))
			    sample(e, "flowmob_nd_messages_total", "counter",
				   "MAG neighbour discovery messages on the access links, by type.",
				   d, "type", c, NULL);
		} else if (!strcmp(key, "mag") && json_is_object(v)) {
			const char *c;
			json_t *x;

			json_object_foreach(v, c, x)
			{
				if (!num(x, &d) || !strcmp(c, "bindings"))
					continue;
				sample(e, "flowmob_mag_events_total", "counter",
				       "MAG attachment events (attach, detach, idle and link "
				       "detach).",
				       d, "event", c, NULL);
			}
		} else if (!strcmp(key, "mobile_nodes") && num(v, &d)) {
			sample(e, "flowmob_mobile_nodes", "gauge",
			       "Mobile nodes with at least one binding.", d, NULL);
		} else if (!strcmp(key, "prefixes_used") && num(v, &d)) {
			sample(e, "flowmob_prefixes_used", "gauge",
			       "Home network prefixes allocated from the pool.", d, NULL);
		} else if (!strcmp(key, "restart_counter") && num(v, &d)) {
			sample(e, "flowmob_restart_number", "gauge",
			       "This instance's RFC 5847 restart counter.", d, NULL);
		}
	}
}

struct pair {
	char a[96], b[64];
	double n, packets, bytes;
};

static struct pair *pair_find(struct pair *p, int *n, int max, const char *a, const char *b)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(p[i].a, a) && !strcmp(p[i].b, b))
			return &p[i];
	if (*n == max)
		return NULL;
	memset(&p[*n], 0, sizeof(p[*n]));
	snprintf(p[*n].a, sizeof(p[*n].a), "%s", a);
	snprintf(p[*n].b, sizeof(p[*n].b), "%s", b);
	return &p[(*n)++];
}

#define MAX_PAIRS 256

/* Bindings by state and ATT; MNs by ATT; (LMA) traffic per MAG. */
static void bindings(struct expo *e, const json_t *list, bool lma)
{
	struct pair *by_state = calloc(MAX_PAIRS, sizeof(*by_state));
	struct pair *by_mag = calloc(MAX_PAIRS, sizeof(*by_mag));
	struct pair *mn_att = calloc(MAX_PAIRS * 4, sizeof(*mn_att));
	int ns = 0, nm = 0, nma = 0;
	size_t i;
	json_t *b;

	if (!by_state || !by_mag || !mn_att)
		goto out;
	json_array_foreach((json_t *)list, i, b)
	{
		const char *state = json_string_value(json_object_get(b, "state"));
		const char *mn = json_string_value(json_object_get(b, "mn"));
		const char *mag = json_string_value(json_object_get(b, "mag"));
		char att[16] = "";
		double d;
		struct pair *p;

		if (num(json_object_get(b, "att"), &d))
			snprintf(att, sizeof(att), "%.0f", d);
		p = pair_find(by_state, &ns, MAX_PAIRS, state ? state : "unknown", att);
		if (p)
			p->n++;
		if (mn && (p = pair_find(mn_att, &nma, MAX_PAIRS * 4, mn, att)))
			p->n++;
		if (lma && mag && (p = pair_find(by_mag, &nm, MAX_PAIRS, mag, ""))) {
			if (num(json_object_get(b, "packets"), &d))
				p->packets += d;
			if (num(json_object_get(b, "bytes"), &d))
				p->bytes += d;
			p->n++;
		}
	}
	family(e, "flowmob_bindings", "gauge",
	       "Bindings (LMA binding cache, MAG binding update list) by state and access "
	       "technology type.");
	for (int k = 0; k < ns; k++)
		sample(e, "flowmob_bindings", "gauge", NULL, by_state[k].n, "state", by_state[k].a,
		       "att", by_state[k].b[0] ? by_state[k].b : NULL, NULL);
	/* MNs per ATT: each MN counted once per access technology it is attached by */
	{
		struct pair att_n[64];
		int na = 0;

		for (int k = 0; k < nma; k++) {
			struct pair *p = pair_find(att_n, &na, 64, mn_att[k].b, "");

			if (p)
				p->n++;
		}
		family(e, "flowmob_mobile_nodes_attached", "gauge",
		       "Mobile nodes with a binding of this access technology type.");
		for (int k = 0; k < na; k++)
			sample(e, "flowmob_mobile_nodes_attached", "gauge", NULL, att_n[k].n, "att",
			       att_n[k].a[0] ? att_n[k].a : NULL, NULL);
	}
	for (int k = 0; lma && k < nm; k++) {
		sample(e, "flowmob_mag_bindings", "gauge", "Bindings the LMA holds per MAG.",
		       by_mag[k].n, "mag", by_mag[k].a, NULL);
		sample(e, "flowmob_mag_packets_total", "counter",
		       "Downlink packets tunnelled to a MAG (sum over its current bindings).",
		       by_mag[k].packets, "mag", by_mag[k].a, NULL);
		sample(e, "flowmob_mag_bytes_total", "counter",
		       "Downlink bytes tunnelled to a MAG (sum over its current bindings).",
		       by_mag[k].bytes, "mag", by_mag[k].a, NULL);
	}
out:
	free(by_state);
	free(by_mag);
	free(mn_att);
}

/* A peer's {"key": n} counters (peers command: rejected, malformed) as one family. */
static void peer_counts(struct expo *e, const char *peer, const json_t *obj, const char *name,
			const char *help, const char *label)
{
	const char *k;
	json_t *v;
	double d;

	if (!json_is_object(obj))
		return;
	json_object_foreach((json_t *)obj, k, v)
	{
		if (num(v, &d))
			sample(e, name, "counter", help, d, "peer", peer, label, k, NULL);
	}
}

static void peers(struct expo *e, const json_t *list)
{
	static const char *const states[] = {"up", "down", "unknown"};
	size_t i;
	json_t *p;

	json_array_foreach((json_t *)list, i, p)
	{
		const char *peer = json_string_value(json_object_get(p, "mag"));
		const char *state = json_string_value(json_object_get(p, "state"));
		bool known = false;
		double d;

		if (!peer)
			peer = json_string_value(json_object_get(p, "lma"));
		if (!peer)
			continue;
		for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			bool cur = state && !strcmp(state, states[k]);

			known |= cur;
			sample(e, "flowmob_peer_state", "gauge",
			       "1 for the peer's current state (LMA: each configured MAG; MAG: its "
			       "LMA), heartbeat-based.",
			       cur ? 1 : 0, "peer", peer, "state", states[k], NULL);
		}
		if (state && !known)
			sample(e, "flowmob_peer_state", "gauge", NULL, 1, "peer", peer, "state",
			       state, NULL);
		if (num(json_object_get(p, "bindings"), &d))
			sample(e, "flowmob_peer_bindings", "gauge", "Bindings through this peer.",
			       d, "peer", peer, NULL);
		if (num(json_object_get(p, "last_seen"), &d))
			sample(e, "flowmob_peer_last_seen_seconds", "gauge",
			       "Seconds since the last message from this peer.", d, "peer", peer,
			       NULL);
		if (num(json_object_get(p, "missed"), &d))
			sample(e, "flowmob_peer_missed_heartbeats", "gauge",
			       "Heartbeats to this peer left unanswered in a row.", d, "peer", peer,
			       NULL);
		if (num(json_object_get(p, "restart_counter"), &d))
			sample(e, "flowmob_peer_restart_number", "gauge",
			       "The peer's last RFC 5847 restart counter.", d, "peer", peer, NULL);
		peer_counts(e, peer, json_object_get(p, "rejected"), "flowmob_peer_rejected_total",
			    "PBUs of this peer rejected, by PBA status.", "code");
		peer_counts(e, peer, json_object_get(p, "malformed"),
			    "flowmob_peer_malformed_total",
			    "Messages of this peer dropped as malformed, by fault.", "reason");
	}
}

static void flows(struct expo *e, const json_t *list)
{
	size_t i;
	json_t *f;

	json_array_foreach((json_t *)list, i, f)
	{
		const char *mn = json_string_value(json_object_get(f, "mn"));
		char fid[16];
		double d;

		if (!mn || !num(json_object_get(f, "fid"), &d))
			continue;
		snprintf(fid, sizeof(fid), "%.0f", d);
		if (num(json_object_get(f, "packets"), &d))
			sample(e, "flowmob_flow_packets_total", "counter",
			       "Packets of one flow (MN and FID) through the data plane.", d, "mn",
			       mn, "fid", fid, NULL);
		if (num(json_object_get(f, "bytes"), &d))
			sample(e, "flowmob_flow_bytes_total", "counter",
			       "Bytes of one flow (MN and FID) through the data plane.", d, "mn",
			       mn, "fid", fid, NULL);
	}
}

char *fm_metrics_render(const struct fm_metrics_input *in, const struct fm_metrics_opts *o)
{
	struct expo *e = calloc(1, sizeof(*e));
	char *out;

	if (!e)
		return NULL;
	sample(e, "flowmob_build_info", "gauge",
	       "Always 1; the labels name the version, libbpf, role and instance.", 1, "version",
	       o->version, "libbpf", o->libbpf, "role", o->role, "instance", o->instance, NULL);
	if (json_is_object(in->stats))
		stats(e, in->stats, o);
	if (json_is_array(in->bindings))
		bindings(e, in->bindings, true);
	else if (json_is_array(in->mag_bindings))
		bindings(e, in->mag_bindings, false);
	if (json_is_array(in->peers))
		peers(e, in->peers);
	if (o->per_flow && json_is_array(in->flows))
		flows(e, in->flows);
	out = expo_finish(e);
	free(e);
	return out;
}

/* ---- listen address --------------------------------------------------------------- */

int fm_metrics_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
			    size_t errlen)
{
	char host[64];
	const char *port_s;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (!s || !*s)
		goto bad;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(close - s - 1), s + 1);
		port_s = close + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon || (size_t)(colon - s) >= sizeof(host) || strchr(s, ':') != colon)
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		port_s = colon + 1;
	}
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (!*port_s || *end || errno || port == 0 || port > 65535)
		goto bad;
	if (!host[0] || strchr(host, ':') || s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (host[0] && inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		if (!host[0])
			a->sin6_addr = in6addr_any;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		*len = sizeof(*a);
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "'%s' is not a listen address: [IPv6]:PORT, IPv4:PORT or :PORT (all addresses)",
		 s ? s : "");
	return -1;
}

/* ---- HTTP ------------------------------------------------------------------------ */

struct fm_metrics {
	struct ev_loop *loop;
	struct fm_ctl *ctl;
	struct fm_metrics_opts o;
	char *strs[5]; /* owned copies of the option strings */
	struct MHD_Daemon *mhd;
	ev_io io;
	ev_timer tm;
};

static char *scrape(struct fm_metrics *m)
{
	struct fm_metrics_input in = {0};
	json_t *st, *pe, *bi, *mb = NULL, *fl = NULL;
	char err[256];
	char *text;

	st = fm_ctl_call(m->ctl, "stats", err, sizeof(err));
	pe = fm_ctl_call(m->ctl, "peers", err, sizeof(err));
	bi = fm_ctl_call(m->ctl, "bindings", err, sizeof(err));
	if (!bi)
		mb = fm_ctl_call(m->ctl, "mag.bindings", err, sizeof(err));
	if (m->o.per_flow)
		fl = fm_ctl_call(m->ctl, "flows", err, sizeof(err));
	in = (struct fm_metrics_input){
	    .stats = st, .peers = pe, .bindings = bi, .mag_bindings = mb, .flows = fl};
	text = fm_metrics_render(&in, &m->o);
	json_decref(st);
	json_decref(pe);
	json_decref(bi);
	json_decref(mb);
	json_decref(fl);
	return text;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	static const char index_text[] = "flowmobd: metrics at /metrics\n";
	static const char not_found[] = "not found: metrics are at /metrics\n";
	struct fm_metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned code = MHD_HTTP_OK;
	const char *ctype = "text/plain; version=0.0.4; charset=utf-8";

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	} else if (!strcmp(url, "/metrics")) {
		char *text = scrape(m);

		if (!text) {
			r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
			code = MHD_HTTP_INTERNAL_SERVER_ERROR;
		} else {
			r = MHD_create_response_from_buffer(strlen(text), text,
							    MHD_RESPMEM_MUST_FREE);
		}
	} else if (!strcmp(url, "/")) {
		r = MHD_create_response_from_buffer(sizeof(index_text) - 1, (void *)index_text,
						    MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_buffer(sizeof(not_found) - 1, (void *)not_found,
						    MHD_RESPMEM_PERSISTENT);
		code = MHD_HTTP_NOT_FOUND;
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static void rearm(struct fm_metrics *m)
{
	MHD_UNSIGNED_LONG_LONG to;

	ev_timer_stop(m->loop, &m->tm);
	if (MHD_get_timeout(m->mhd, &to) == MHD_YES) {
		ev_timer_set(&m->tm, (double)to / 1000.0, 0.);
		ev_timer_start(m->loop, &m->tm);
	}
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fm_metrics *m = w->data;

	(void)loop;
	(void)revents;
	MHD_run(m->mhd);
	rearm(m);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fm_metrics *m = w->data;

	(void)loop;
	(void)revents;
	MHD_run(m->mhd);
	rearm(m);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int fm_metrics_start(struct ev_loop *loop, struct fm_ctl *ctl, const struct fm_metrics_opts *o,
		     struct fm_metrics **out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char err[160];
	const union MHD_DaemonInfo *info;
	struct fm_metrics *m;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	*out = NULL;
	if (fm_metrics_parse_listen(o->listen, &ss, &sl, err, sizeof(err))) {
		pr_err("metrics: %s", err);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->ctl = ctl;
	m->o = *o;
	m->o.listen = m->strs[0] = dup_or_null(o->listen);
	m->o.role = m->strs[1] = dup_or_null(o->role);
	m->o.instance = m->strs[2] = dup_or_null(o->instance);
	m->o.version = m->strs[3] = dup_or_null(o->version);
	m->o.libbpf = m->strs[4] = dup_or_null(o->libbpf);
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		if (IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr))
			flags |= MHD_USE_DUAL_STACK;
	}
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&ss, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				  MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT,
				  10u, MHD_OPTION_END);
	if (!m->mhd) {
		int r = errno ? -errno : -EADDRNOTAVAIL;

		pr_err("metrics: cannot listen on %s: %s", o->listen, strerror(-r));
		fm_metrics_stop(m);
		return r;
	}
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		pr_err("metrics: libmicrohttpd has no epoll fd");
		fm_metrics_stop(m);
		return -EIO;
	}
	ev_io_init(&m->io, on_io, info->epoll_fd, EV_READ);
	m->io.data = m;
	ev_io_start(loop, &m->io);
	ev_init(&m->tm, on_timer);
	m->tm.data = m;
	rearm(m);
	pr_info("metrics: serving http://%s/metrics", o->listen);
	*out = m;
	return 0;
}

void fm_metrics_stop(struct fm_metrics *m)
{
	if (!m)
		return;
	if (m->mhd) {
		ev_io_stop(m->loop, &m->io);
		ev_timer_stop(m->loop, &m->tm);
		MHD_stop_daemon(m->mhd);
	}
	for (int i = 0; i < 5; i++)
		free(m->strs[i]);
	free(m);
}
