// SPDX-License-Identifier: GPL-2.0
/*
 * mag_daemon.c — mag_ops: wires the MAG logic (mag.c) to the daemon: the raw MH
 * socket, one AF_PACKET ND socket per access interface, the data plane (the
 * fm_dp_ops table of agent/dp: MAG routes, per-MN counters, stats), the control
 * commands and monitor events, the MAG's timers on the daemon's libev loop, and the
 * persisted restart counter (RFC 5847).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "daemon/daemon.h"
#include "core/log.h"
#include "mag/mag.h"
#include "core/state.h"

struct mag_daemon {
	struct fm_daemon *d;
	struct mag *m;
	struct fm_mhsock *mh;
	int n_nd;
	struct nd_sock nd[FM_CFG_MAX_IFACES];
	ev_io nd_io[FM_CFG_MAX_IFACES];
};

static void on_nd(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mag_daemon *md = w->data;
	int i = (int)(w - md->nd_io);
	uint8_t buf[ND_FRAME_MAX + 64];
	int n, budget = 64;

	(void)loop;
	(void)revents;
	while (budget-- > 0 && (n = nd_sock_recv(&md->nd[i], buf, sizeof(buf))) > 0)
		mag_rx_nd(md->m, i, buf, (size_t)n, fm_now_ms());
}

static void on_mh(void *ctx, const struct mh_msg *m, const struct in6_addr *src,
		  const struct in6_addr *dst, int ifindex)
{
	struct mag_daemon *md = ctx;

	(void)dst;
	(void)ifindex;
	mag_rx_mh(md->m, m, src, fm_now_ms());
}

/* ---- hooks -------------------------------------------------------------------- */

static int h_send_mh(void *ctx, const struct mh_msg *m, const struct in6_addr *dst)
{
	struct mag_daemon *md = ctx;

	return md->mh ? fm_mhsock_send(md->mh, m, dst) : -ENOTCONN;
}

static int send_frame(struct mag_daemon *md, int iface, const uint8_t dst_mac[6],
		      const struct in6_addr *dst, const uint8_t *icmp, int icmp_len)
{
	uint8_t frame[ND_FRAME_MAX];
	int n;

	if (iface < 0 || iface >= md->n_nd || md->nd[iface].fd < 0 || icmp_len < 0)
		return -EBADF;
	n = nd_build_frame(md->nd[iface].mac, dst_mac, &md->d->cfg->mag.link_local, dst, icmp,
			   (size_t)icmp_len, frame, sizeof(frame));
	if (n < 0)
		return -EMSGSIZE;
	return nd_sock_send(&md->nd[iface], frame, (size_t)n);
}

static int h_send_ra(void *ctx, int iface, const uint8_t dst_mac[6], const struct in6_addr *dst,
		     const struct nd_ra *ra)
{
	uint8_t body[ND_FRAME_MAX];

	return send_frame(ctx, iface, dst_mac, dst, body, nd_build_ra(ra, body, sizeof(body)));
}

static int h_send_ns(void *ctx, int iface, const uint8_t dst_mac[6], const struct in6_addr *dst,
		     const struct in6_addr *target)
{
	struct mag_daemon *md = ctx;
	uint8_t body[64];

	if (iface < 0 || iface >= md->n_nd)
		return -EBADF;
	return send_frame(md, iface, dst_mac, dst, body,
			  nd_build_ns(target, md->nd[iface].mac, body, sizeof(body)));
}

static int h_link_running(void *ctx, const char *iface)
{
	(void)ctx;
	return nd_link_running(iface);
}

static bool h_authenticated(void *ctx, const struct in6_addr *peer)
{
	struct mag_daemon *md = ctx;

	return fm_mhsock_peer_authenticated(md->mh, peer);
}

static void h_event(void *ctx, const char *name, json_t *fields)
{
	struct mag_daemon *md = ctx;

	if (md->d->ctl && fields)
		fm_ctl_event(md->d->ctl, name, fields);
	else
		json_decref(fields);
}

/* ---- persisted state: <state-dir>/mag.json ------------------------------------------
 * {"restart_counter": n (RFC 5847 §3.2: incremented on every start), "bindings": [...]} */

static json_t *state_load(const struct fm_config *cfg)
{
	json_t *st = NULL;

	if (!cfg->state_dir[0] || fm_state_load(cfg->state_dir, "mag", &st) < 0 ||
	    !json_is_object(st)) {
		json_decref(st);
		st = json_object();
	}
	return st;
}

static uint32_t restart_counter_bump(const struct fm_config *cfg, json_t *st)
{
	uint32_t rc = (uint32_t)json_integer_value(json_object_get(st, "restart_counter")) + 1;

	json_object_set_new(st, "restart_counter", json_integer(rc));
	if (cfg->state_dir[0] && fm_state_save(cfg->state_dir, "mag", st) < 0)
		pr_warn("mag: cannot write %s/mag.json: the restart counter is not persisted",
			cfg->state_dir);
	return rc;
}

static void state_save(struct mag_daemon *md)
{
	const struct fm_config *cfg = md->d->cfg;
	json_t *st;

	if (!cfg->state_dir[0])
		return;
	st = json_pack("{s:I, s:o}", "restart_counter", (json_int_t)md->m->restart_counter,
		       "bindings", mag_bindings_save(md->m));
	if (fm_state_save(cfg->state_dir, "mag", st) < 0)
		pr_warn("mag: cannot write %s/mag.json", cfg->state_dir);
	json_decref(st);
}

static uint32_t link_mtu(const char *ifname)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint32_t mtu = 1500;

	if (fd < 0 || strlen(ifname) >= IF_NAMESIZE)
		goto out;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		mtu = (uint32_t)ifr.ifr_mtu;
out:
	if (fd >= 0)
		close(fd);
	return mtu;
}

/* ---- mag_ops ------------------------------------------------------------------------ */

/* `stats`: the role's counters plus what the MH socket dropped before the role saw it. */
static json_t *d_cmd_stats(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct mag_daemon *md = ctx;
	json_t *o = mag_ctl_stats(md->m, req, err, errlen);
	json_t *sig = o ? json_object_get(o, "signaling") : NULL;

	if (sig && md->mh)
		json_object_set_new(sig, "socket", fm_mhsock_stats_json(md->mh));
	return o;
}

static int mag_start(struct fm_daemon *d)
{
	const struct fm_cfg_mag *c = &d->cfg->mag;
	struct mag_daemon *md = calloc(1, sizeof(*md));
	struct mag_hooks h = {
	    .send_mh = h_send_mh,
	    .send_ra = h_send_ra,
	    .send_ns = h_send_ns,
	    .link_running = h_link_running,
	    .event = h_event,
	    .authenticated = h_authenticated,
	};
	uint32_t mtu;
	json_t *st;
	int ret;

	if (!md)
		return -ENOMEM;
	md->d = d;
	h.ctx = md;
	h.dp = d->dp ? &fm_dp_ops : NULL;
	h.dp_ctx = d->dp;
	for (int i = 0; i < FM_CFG_MAX_IFACES; i++)
		md->nd[i].fd = -1;
	st = state_load(d->cfg);
	md->m = mag_create(d->cfg, &h, d->loop, restart_counter_bump(d->cfg, st), fm_now_ms());
	if (!md->m) {
		json_decref(st);
		free(md);
		return -ENOMEM;
	}
	d->role = md;
	mtu = c->tunnel_mtu ? c->tunnel_mtu : link_mtu(c->lma_interface);
	mag_set_ra_mtu(md->m, mtu > 1320 ? mtu - 40 : 1280);

	ret = fm_mhsock_open(d->loop, &c->address, on_mh, md, &md->mh);
	if (ret < 0) {
		pr_err("mag: cannot open the MH socket on the Proxy-CoA: %d", ret);
		goto fail;
	}
	if (c->lma_key.len)
		fm_mhsock_set_key(md->mh, &c->lma, &c->lma_key);
	md->n_nd = c->n_access;
	for (int i = 0; i < c->n_access; i++) {
		ret = nd_sock_open(c->access_ifaces[i].name, &md->nd[i]);
		if (ret < 0) {
			pr_err("mag: access interface %s: %s", c->access_ifaces[i].name,
			       strerror(-ret));
			goto fail;
		}
		mag_set_iface_mac(md->m, i, md->nd[i].mac);
		ev_io_init(&md->nd_io[i], on_nd, md->nd[i].fd, EV_READ);
		md->nd_io[i].data = md;
		ev_io_start(d->loop, &md->nd_io[i]);
	}
	if (d->ctl) {
		fm_ctl_register(d->ctl, "attach", mag_ctl_attach, md->m);
		fm_ctl_register(d->ctl, "detach", mag_ctl_detach, md->m);
		fm_ctl_register(d->ctl, "mag.bindings", mag_ctl_bindings, md->m);
		fm_ctl_register(d->ctl, "flows", mag_ctl_flows, md->m);
		fm_ctl_register(d->ctl, "stats", d_cmd_stats, md);
		fm_ctl_register(d->ctl, "peers", mag_ctl_peers, md->m);
	}
	/* bindings of the previous run: routes are still in the data plane; refresh them */
	mag_bindings_restore(md->m, json_object_get(st, "bindings"), fm_now_ms());
	json_decref(st);
	st = NULL;
	pr_info("mag: started, %d access interface(s), %d mobile node(s), restart counter %u",
		c->n_access, c->n_mobile_nodes, md->m->restart_counter);
	return 0;
fail:
	json_decref(st);
	for (int i = 0; i < FM_CFG_MAX_IFACES; i++) {
		if (md->nd[i].fd >= 0)
			ev_io_stop(d->loop, &md->nd_io[i]);
		nd_sock_close(&md->nd[i]);
	}
	if (md->mh)
		fm_mhsock_close(md->mh);
	mag_destroy(md->m);
	free(md);
	d->role = NULL;
	return ret < 0 ? ret : -EINVAL;
}

static int mag_reload_op(struct fm_daemon *d, const struct fm_config *next)
{
	struct mag_daemon *md = d->role;

	if (!md)
		return -EINVAL;
	return mag_reload(md->m, next);
}

static void mag_stop(struct fm_daemon *d)
{
	struct mag_daemon *md = d->role;

	if (!md)
		return;
	/* The data plane stays as it is (a restart is hitless); the LMA keeps the
	 * bindings until their lifetime ends or the next start refreshes them. */
	state_save(md);
	for (int i = 0; i < md->n_nd; i++) {
		if (md->nd[i].fd >= 0)
			ev_io_stop(d->loop, &md->nd_io[i]);
		nd_sock_close(&md->nd[i]);
	}
	if (md->mh)
		fm_mhsock_close(md->mh);
	mag_destroy(md->m);
	free(md);
	d->role = NULL;
}

const struct fm_role_ops mag_ops = {
    .start = mag_start,
    .reload = mag_reload_op,
    .stop = mag_stop,
};
