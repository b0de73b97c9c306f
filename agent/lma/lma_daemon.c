// SPDX-License-Identifier: GPL-2.0
/*
 * lma_daemon.c — wires the LMA logic (lma.c) into flowmobd: lma_ops (start, reload,
 * stop), the raw MH socket, the control commands and monitor events, and the
 * data plane (fm_dp_ops, exported by agent/dp).
 *
 * Layer: the top of agent/lma/, flowmobd's glue; calls the public API (lma.h) only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "daemon/daemon.h"
#include "lma/lma.h"
#include "core/log.h"

struct lma_daemon {
	struct lma *lma;
	struct fm_mhsock *sock;
	struct fm_daemon *d;
};

/* ---- sockets -------------------------------------------------------------------------- */

static int d_send(void *ctx, const struct mh_msg *m, const struct in6_addr *dst)
{
	struct lma_daemon *ld = ctx;

	return ld->sock ? fm_mhsock_send(ld->sock, m, dst) : -ENOTCONN;
}

static bool d_authenticated(void *ctx, const struct in6_addr *peer)
{
	struct lma_daemon *ld = ctx;

	return fm_mhsock_peer_authenticated(ld->sock, peer);
}

static void d_event(void *ctx, const char *name, json_t *fields)
{
	struct lma_daemon *ld = ctx;

	if (ld->d->ctl)
		fm_ctl_event(ld->d->ctl, name, fields);
	else
		json_decref(fields);
}

static void d_rx(void *ctx, const struct mh_msg *m, const struct in6_addr *src,
		 const struct in6_addr *dst, int ifindex)
{
	struct lma_daemon *ld = ctx;

	(void)dst;
	(void)ifindex;
	lma_rx(ld->lma, m, src, fm_now_ms());
}

static void d_fault(void *ctx, const struct in6_addr *src, enum fm_mh_fault f)
{
	struct lma_daemon *ld = ctx;

	lma_rx_fault(ld->lma, src, f);
}

/* `stats`: the role's counters plus what the MH socket dropped before the role saw it. */
static json_t *d_cmd_stats(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct lma_daemon *ld = ctx;
	json_t *o = lma_cmd_stats(ld->lma, req, err, errlen);
	json_t *sig = o ? json_object_get(o, "signaling") : NULL;

	if (sig && ld->sock)
		json_object_set_new(sig, "socket", fm_mhsock_stats_json(ld->sock));
	return o;
}

static int lma_start_d(struct fm_daemon *d)
{
	struct lma_daemon *ld = calloc(1, sizeof(*ld));
	struct lma_hooks h = {0};
	int rc;

	if (!ld)
		return -ENOMEM;
	ld->d = d;
	h.send = d_send;
	h.event = d_event;
	h.authenticated = d_authenticated;
	h.ctx = ld;
	h.dp = d->dp ? &fm_dp_ops : NULL;
	h.dp_ctx = d->dp;
	h.loop = d->loop;
	ld->lma = lma_new(d->cfg, &h);
	if (!ld->lma) {
		free(ld);
		return -ENOMEM;
	}
	d->role = ld;
	rc = lma_start(ld->lma, fm_now_ms());
	if (rc)
		goto err;
	rc = fm_mhsock_open(d->loop, &d->cfg->lma.address, d_rx, ld, &ld->sock);
	if (rc) {
		pr_err("lma: cannot open the MH socket\n");
		goto err;
	}
	for (int i = 0; i < d->cfg->lma.n_mags; i++)
		if (d->cfg->lma.mag_keys[i].len)
			fm_mhsock_set_key(ld->sock, &d->cfg->lma.mags[i], &d->cfg->lma.mag_keys[i]);
	fm_mhsock_on_fault(ld->sock, d_fault);
	if (d->ctl) {
		fm_ctl_register(d->ctl, "bindings", lma_cmd_bindings, ld->lma);
		fm_ctl_register(d->ctl, "flows", lma_cmd_flows, ld->lma);
		fm_ctl_register(d->ctl, "stats", d_cmd_stats, ld);
		fm_ctl_register(d->ctl, "peers", lma_cmd_peers, ld->lma);
		fm_ctl_register(d->ctl, "flow.add", lma_cmd_flow_add, ld->lma);
		fm_ctl_register(d->ctl, "flow.move", lma_cmd_flow_move, ld->lma);
		fm_ctl_register(d->ctl, "flow.del", lma_cmd_flow_del, ld->lma);
	}
	return 0;
err:
	lma_free(ld->lma);
	free(ld);
	d->role = NULL;
	return rc < 0 ? rc : -EIO;
}

static int lma_reload_d(struct fm_daemon *d, const struct fm_config *next)
{
	struct lma_daemon *ld = d->role;

	return ld ? lma_reload(ld->lma, next, fm_now_ms()) : -EINVAL;
}

static void lma_stop_d(struct fm_daemon *d)
{
	struct lma_daemon *ld = d->role;

	if (!ld)
		return;
	lma_state_save(ld->lma);
	if (ld->sock)
		fm_mhsock_close(ld->sock);
	lma_free(ld->lma);
	free(ld);
	d->role = NULL;
}

const struct fm_role_ops lma_ops = {
    .start = lma_start_d,
    .reload = lma_reload_d,
    .stop = lma_stop_d,
};
