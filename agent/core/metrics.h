/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h — the Prometheus endpoint (config `metrics: {listen: "[::1]:9460"}`):
 * libmicrohttpd on the daemon's libev loop (its epoll fd under one ev_io, its
 * timeout under one ev_timer; no thread), serving GET /metrics in the text
 * exposition format 0.0.4.
 *
 * The numbers are the role's own control commands ("stats", "peers",
 * "bindings" or "mag.bindings", "flows"), called in-process (fm_ctl_call) at
 * each scrape and rendered as families: signaling messages by kind and status,
 * bindings and MNs by state and ATT, per-peer state, data-plane outcomes and
 * drops by name, per-MAG traffic, per-FID packets/bytes (per-flow: true only),
 * build info. docs/deployment.md lists them.
 */
#ifndef FLOWMOB_METRICS_H
#define FLOWMOB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <ev.h>
#include <jansson.h>

#include "core/ctl.h"

struct fm_metrics;

struct fm_metrics_opts {
	const char *listen; /* "[::1]:9460", "127.0.0.1:9460", ":9460" (all, v6 and v4) */
	bool per_flow;	    /* per-FID families: one series pair per MN and FID */
	/* build info labels */
	const char *role, *instance, *version, *libbpf;
	/* "pba", 154 -> "MAG not authorized" (NULL or a NULL result: no status label) */
	const char *(*status_name)(const char *kind, unsigned code);
};

/* The parts of a scrape, as the control commands return them (any may be NULL). */
struct fm_metrics_input {
	const json_t *stats, *peers, *bindings, *mag_bindings, *flows;
};

/* Parse a listen address; 0, or -1 with a message. */
int fm_metrics_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
			    size_t errlen);

int fm_metrics_start(struct ev_loop *loop, struct fm_ctl *ctl, const struct fm_metrics_opts *o,
		     struct fm_metrics **out);
void fm_metrics_stop(struct fm_metrics *m);

/* The exposition text (malloc'd, NUL-terminated). */
char *fm_metrics_render(const struct fm_metrics_input *in, const struct fm_metrics_opts *o);

#endif /* FLOWMOB_METRICS_H */
