// SPDX-License-Identifier: GPL-2.0
/*
 * anchor.c — anchored-prefix routes from the binding cache (anchor.h). The set
 * wanted is rebuilt from the "bindings" command's prefixes each time; routes.c
 * makes the kernel table match it. Events schedule a sync on the next loop
 * turn (never from inside the role's own handler). Owns: two timers and the
 * routes handle.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/anchor.h"
#include "dp/routes.h"

#define RESYNC_S   5.0
#define MAX_ROUTES 4096

struct fm_anchor {
	struct ev_loop *loop;
	struct fm_ctl *ctl;
	struct fm_routes *routes;
	struct fm_route_pfx pool;
	bool home_prefixes;
	ev_timer soon, every;
	int last_n;
	int last_err;
};

static int parse_prefix(const char *s, struct fm_route_pfx *p)
{
	char buf[INET6_ADDRSTRLEN + 4];
	char *slash, *end;
	long len;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	len = strtol(slash + 1, &end, 10);
	if (*end || len < 0 || len > 128 || inet_pton(AF_INET6, buf, &p->addr) != 1)
		return -1;
	p->len = (uint8_t)len;
	return 0;
}

int fm_anchor_sync(struct fm_anchor *a)
{
	struct fm_route_pfx *want = calloc(MAX_ROUTES, sizeof(*want));
	char err[256];
	json_t *bi = NULL, *b, *pf;
	size_t i, k;
	int n = 0, r;

	if (!want)
		return -ENOMEM;
	want[n++] = a->pool;
	if (a->home_prefixes) {
		bi = fm_ctl_call(a->ctl, "bindings", err, sizeof(err));
		if (!bi)
			pr_warn("routes: cannot read the bindings: %s", err);
	}
	json_array_foreach(bi, i, b)
	{
		json_array_foreach(json_object_get(b, "prefixes"), k, pf)
		{
			struct fm_route_pfx p;
			bool dup = false;

			if (!json_is_string(pf) || parse_prefix(json_string_value(pf), &p))
				continue;
			for (int j = 0; j < n && !dup; j++)
				dup = want[j].len == p.len && !memcmp(&want[j].addr, &p.addr, 16);
			if (!dup && n < MAX_ROUTES)
				want[n++] = p;
		}
	}
	json_decref(bi);
	r = fm_routes_sync(a->routes, want, n);
	if (r && r != a->last_err)
		pr_err("routes: updating the kernel table: %s", strerror(-r));
	else if (!r && n != a->last_n)
		pr_debug("routes: %d route(s) in the table", n);
	a->last_err = r;
	a->last_n = n;
	free(want);
	return r;
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	fm_anchor_sync(w->data);
}

static void on_event(void *ctx, const char *event, const json_t *fields)
{
	struct fm_anchor *a = ctx;

	(void)fields;
	if (strcmp(event, "registration") && strcmp(event, "deregistration") &&
	    strcmp(event, "expiry") && strcmp(event, "prefix-move"))
		return;
	if (!ev_is_active(&a->soon)) {
		ev_timer_set(&a->soon, 0., 0.);
		ev_timer_start(a->loop, &a->soon);
	}
}

int fm_anchor_start(struct ev_loop *loop, struct fm_ctl *ctl, const struct fm_config *cfg,
		    struct fm_anchor **out)
{
	struct fm_anchor *a;
	int r;

	*out = NULL;
	if (!cfg->routes.table || cfg->role != FM_ROLE_LMA)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->loop = loop;
	a->ctl = ctl;
	a->home_prefixes = cfg->routes.home_prefixes;
	a->pool.addr = cfg->lma.prefix_pool.addr;
	a->pool.len = cfg->lma.prefix_pool.plen;
	a->last_n = -1;
	r = fm_routes_open(cfg->routes.table, cfg->routes.proto, &a->routes);
	if (r) {
		pr_err("routes: netlink: %s", strerror(-r));
		free(a);
		return r;
	}
	r = fm_anchor_sync(a);
	if (r) {
		fm_routes_close(a->routes);
		free(a);
		return r;
	}
	ev_init(&a->soon, on_timer);
	a->soon.data = a;
	ev_timer_init(&a->every, on_timer, RESYNC_S, RESYNC_S);
	a->every.data = a;
	ev_timer_start(loop, &a->every);
	fm_ctl_set_event_hook(ctl, on_event, a);
	pr_info("routes: anchored prefixes in table %u, protocol %u%s", cfg->routes.table,
		cfg->routes.proto,
		a->home_prefixes ? " (pool and home network prefixes)" : " (pool)");
	*out = a;
	return 0;
}

void fm_anchor_stop(struct fm_anchor *a)
{
	if (!a)
		return;
	fm_ctl_set_event_hook(a->ctl, NULL, NULL);
	ev_timer_stop(a->loop, &a->soon);
	ev_timer_stop(a->loop, &a->every);
	fm_routes_close(a->routes);
	free(a);
}

int fm_anchor_cleanup(const struct fm_config *cfg)
{
	struct fm_routes *r;
	int e;

	if (!cfg->routes.table || cfg->role != FM_ROLE_LMA)
		return 0;
	e = fm_routes_open(cfg->routes.table, cfg->routes.proto, &r);
	if (e)
		return e;
	e = fm_routes_flush(r);
	fm_routes_close(r);
	return e;
}
