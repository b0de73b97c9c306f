// SPDX-License-Identifier: GPL-2.0
/*
 * mag.c — the MAG's protocol logic: attach/detach (RS, control, link down, idle),
 * proxy registration through the binding update list, unicast Router
 * Advertisements of exactly the assigned prefixes, MAG routes in the data plane,
 * FMI/FMA (seed §4), UPN/UPA (RFC 7864), BRI/BRA (RFC 5846), heartbeat (RFC 5847)
 * and the MAG's control commands. Everything external goes through struct
 * mag_hooks (see mag.h); mag_daemon.c supplies the real ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "core/clock.h"
#include "core/log.h"
#include "mag/mag.h"
#include "mh/mh_json.h"
#include "mh/view.h"
#include "proto/seq.h"

static double wall_now(void)
{
	struct timespec ts;

	fm_wall(&ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *pfx_str(const struct fm_prefix *p, char *buf, size_t len)
{
	fm_prefix_fmt(p, buf, len);
	return buf;
}

static json_t *prefixes_json(const struct fm_prefix *set, int n)
{
	json_t *a = json_array();
	char buf[64];

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(pfx_str(&set[i], buf, sizeof(buf))));
	return a;
}

static void event(struct mag *m, const char *name, json_t *fields)
{
	if (m->h.event)
		m->h.event(m->h.ctx, name, fields);
	else
		json_decref(fields);
}

static int send_mh(struct mag *m, const struct mh_msg *msg)
{
	int ret;

	if ((unsigned)msg->kind < MH_KIND_COUNT)
		m->c.tx[msg->kind]++;
	ret = m->h.send_mh ? m->h.send_mh(m->h.ctx, msg, &m->cfg->lma) : 0;
	if (ret < 0)
		pr_warn("mag: sending %s to the LMA failed (%d)", mh_kind_name(msg->kind), ret);
	return ret;
}

static int bul_send(void *ctx, const struct mh_msg *msg)
{
	return send_mh(ctx, msg);
}

static uint32_t ra_interval_ms(const struct mag *m)
{
	return m->cfg->timers.ra_interval_s * 1000;
}

static void bul_event_cb(void *ctx, struct bul_entry *e, enum bul_event ev, uint64_t now);
static void flow_expired(struct fm_timer *t, uint64_t now);
static void heartbeat_fired(struct fm_timer *t, uint64_t now);
static void links_fired(struct fm_timer *t, uint64_t now);

struct mag *mag_create(const struct fm_config *cfg, const struct mag_hooks *h, struct ev_loop *loop,
		       uint32_t restart_counter, uint64_t now)
{
	struct mag *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	LIST_INIT(&m->bindings);
	fm_timers_init(&m->timers, loop);
	m->conf = cfg;
	m->cfg = &cfg->mag;
	m->instance = cfg->instance;
	m->h = *h;
	m->bc.t = &m->cfg->timers;
	m->bc.send = bul_send;
	m->bc.send_ctx = m;
	m->bc.event = bul_event_cb;
	m->bc.wheel = &m->timers;
	m->n_mns = m->cfg->n_mobile_nodes;
	m->mns = calloc(m->n_mns ? (size_t)m->n_mns : 1, sizeof(*m->mns));
	if (!m->mns) {
		free(m);
		return NULL;
	}
	for (int i = 0; i < m->n_mns; i++) {
		struct mag_mn *mn = &m->mns[i];

		mn->mag = m;
		snprintf(mn->id, sizeof(mn->id), "%s", m->cfg->mobile_nodes[i].id);
		memcpy(mn->mac, m->cfg->mobile_nodes[i].mac, 6);
		mn->idx = (uint32_t)i + 1;
		for (int j = 0; j < MAG_MAX_FLOWS; j++) {
			mn->flows[j].mn = mn;
			fm_timer_init(&mn->flows[j].expiry, &m->timers, flow_expired);
		}
	}
	for (int i = 0; i < FM_CFG_MAX_IFACES; i++)
		m->iface_running[i] = -1;
	m->ra_mtu = 1460;
	m->next_seq = (uint16_t)(restart_counter * 4096u + 1);
	m->restart_counter = restart_counter;
	fm_hb_init(&m->hb);
	fm_timer_init(&m->hb_timer, &m->timers, heartbeat_fired);
	/* the first heartbeat soon after start (the timer stops when heartbeats are off) */
	fm_timer_set(&m->hb_timer, now + 1000, now);
	fm_timer_init(&m->link_timer, &m->timers, links_fired);
	if (m->h.link_running)
		fm_timer_set(&m->link_timer, now + MAG_LINK_POLL_MS, now);
	return m;
}

static void binding_free(struct mag_binding *b)
{
	fm_timer_stop(&b->ra_timer);
	fm_timer_stop(&b->idle_timer);
	bul_entry_fini(&b->bul);
	LIST_REMOVE(b, link);
	free(b);
}

static void binding_free_all(struct mag *m)
{
	struct mag_binding *b, *n;

	LIST_FOREACH_SAFE(b, &m->bindings, link, n)
	{
		binding_free(b);
	}
}

void mag_destroy(struct mag *m)
{
	if (!m)
		return;
	binding_free_all(m);
	for (int i = 0; i < m->n_mns; i++)
		for (int j = 0; j < MAG_MAX_FLOWS; j++)
			fm_timer_stop(&m->mns[i].flows[j].expiry);
	fm_timer_stop(&m->hb_timer);
	fm_timer_stop(&m->link_timer);
	fm_timers_fini(&m->timers);
	free(m->mns);
	free(m);
}

int mag_reload(struct mag *m, const struct fm_config *next)
{
	const struct fm_cfg_mag_timers *cur = &m->cfg->timers, *t = &next->mag.timers;
	uint64_t now = fm_now_ms();

	/* Everything reloadable is read in place once the caller copied next; timers
	 * that a reload turns on are armed for now, to fire after that copy. */
	if (!cur->heartbeat_interval_s && t->heartbeat_interval_s)
		fm_timer_set(&m->hb_timer, now, now);
	if (!cur->idle_timeout_s && t->idle_timeout_s)
		for (struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link))
			if (b->bul.state == BUL_REGISTERED)
				fm_timer_set(&b->idle_timer, now, now);
	return 0;
}

void mag_set_iface_mac(struct mag *m, int iface, const uint8_t mac[6])
{
	if (iface >= 0 && iface < FM_CFG_MAX_IFACES)
		memcpy(m->iface_mac[iface], mac, 6);
}

void mag_set_ra_mtu(struct mag *m, uint32_t mtu)
{
	m->ra_mtu = mtu;
}

bool mag_lma_authenticated(const struct mag *m)
{
	return m->h.authenticated && m->h.authenticated(m->h.ctx, &m->cfg->lma);
}

int mag_iface_index(const struct mag *m, const char *name)
{
	for (int i = 0; i < m->cfg->n_access; i++)
		if (!strcmp(m->cfg->access_ifaces[i].name, name))
			return i;
	return -1;
}

struct mag_mn *mag_mn_by_id(struct mag *m, const char *id)
{
	for (int i = 0; i < m->n_mns; i++)
		if (!strcmp(m->mns[i].id, id))
			return &m->mns[i];
	return NULL;
}

struct mag_mn *mag_mn_by_mac(struct mag *m, const uint8_t mac[6])
{
	for (int i = 0; i < m->n_mns; i++)
		if (!memcmp(m->mns[i].mac, mac, 6))
			return &m->mns[i];
	return NULL;
}

struct mag_binding *mag_binding_find(struct mag *m, const struct mag_mn *mn, int iface)
{
	for (struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link))
		if (b->mn == mn && b->iface == iface)
			return b;
	return NULL;
}

/* One NAI may be configured with several MACs (one per interface of the MN): the
 * entries share bindings' identity by NAI; flows live with the first entry. */
static bool same_mn(const struct mag_mn *a, const struct mag_mn *b)
{
	return a == b || !strcmp(a->id, b->id);
}

/* The MN a message names (its MN-ID option), if configured here. */
static struct mag_mn *mn_of(struct mag *m, const struct mh_view_mn_id *id)
{
	return id->present ? mag_mn_by_id(m, id->nai) : NULL;
}

/* An answer carries the request's MN-ID option as it came. */
static void add_mn_id(struct mh_msg *msg, const struct mh_view_mn_id *id)
{
	struct mh_opt *n;

	if (!id->present || !(n = mh_opt_add(msg, MH_OPT_MN_ID)))
		return;
	n->mn_id.subtype = id->subtype;
	n->mn_id.len = id->len;
	memcpy(n->mn_id.id, id->nai, id->len);
}

/* A view's prefix in the one prefix type. */
static struct fm_prefix view_prefix(const struct mh_view_prefix *v)
{
	return (struct fm_prefix){.addr = v->prefix, .plen = v->plen};
}

/* ---- routes and Router Advertisements ---------------------------------------- */

static bool route_needed(struct mag *m, const struct fm_prefix *p, const struct mag_binding *skip,
			 const struct mag_flow *skipf)
{
	for (struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link))
		if (b != skip && fm_prefix_index(b->routed, b->n_routed, p) >= 0)
			return true;
	for (int i = 0; i < m->n_mns; i++)
		for (int j = 0; j < MAG_MAX_FLOWS; j++) {
			const struct mag_flow *f = &m->mns[i].flows[j];

			if (f->used && f != skipf &&
			    fm_prefix_index(f->routes, f->n_routes, p) >= 0)
				return true;
		}
	return false;
}

static void route_set(struct mag *m, struct mag_binding *b, const struct fm_prefix *p)
{
	char buf[64];
	int ret = m->h.dp && m->h.dp->mag_route_set
		      ? m->h.dp->mag_route_set(m->h.dp_ctx, &p->addr, p->plen,
					       m->cfg->access_ifaces[b->iface].name, b->mn->mac,
					       b->mn->idx)
		      : 0;

	if (ret < 0)
		pr_err("mag: route %s -> %s: %d", pfx_str(p, buf, sizeof(buf)), b->mn->id, ret);
}

static void route_del(struct mag *m, const struct fm_prefix *p)
{
	char buf[64];
	int ret = m->h.dp && m->h.dp->mag_route_del
		      ? m->h.dp->mag_route_del(m->h.dp_ctx, &p->addr, p->plen)
		      : 0;

	if (ret < 0 && ret != -ENOENT)
		pr_warn("mag: removing route %s: %d", pfx_str(p, buf, sizeof(buf)), ret);
}

static void add_withdraw(struct mag_binding *b, const struct fm_prefix *p)
{
	if (fm_prefix_index(b->withdraw, b->n_withdraw, p) < 0 && b->n_withdraw < BUL_MAX_PREFIXES)
		b->withdraw[b->n_withdraw++] = *p;
	b->withdraw_left = MAG_WITHDRAW_RAS;
}

/* Unicast RA to the MN: its prefixes (lifetime = binding lifetime), withdrawn ones
 * with lifetime 0; router_lifetime 0 when 'final' (the MAG leaves the MN's link). */
static void send_ra(struct mag *m, struct mag_binding *b, bool final, uint64_t now)
{
	struct nd_ra ra = {0};
	struct in6_addr dst;
	uint32_t lt = b->bul.lifetime_s ? b->bul.lifetime_s : m->cfg->timers.lifetime_s;

	ra.cur_hop_limit = 64;
	ra.router_lifetime = final ? 0 : MAG_ROUTER_LIFETIME;
	ra.has_slla = true;
	memcpy(ra.slla, m->iface_mac[b->iface], 6);
	ra.mtu = m->ra_mtu;
	if (!final) {
		for (int i = 0; i < b->n_routed && ra.n_prefixes < ND_MAX_PREFIXES; i++) {
			struct nd_prefix *p = &ra.prefixes[ra.n_prefixes++];

			p->pfx = b->routed[i];
			p->valid = lt;
			p->preferred = lt;
		}
	}
	for (int i = 0; i < b->n_withdraw && ra.n_prefixes < ND_MAX_PREFIXES; i++) {
		struct nd_prefix *p = &ra.prefixes[ra.n_prefixes++];

		p->pfx = b->withdraw[i];
	}
	if (b->withdraw_left > 0 && --b->withdraw_left == 0)
		b->n_withdraw = 0;
	if (b->mn_ll_known)
		dst = b->mn_ll;
	else
		inet_pton(AF_INET6, "ff02::1", &dst);
	m->c.ra++;
	if (m->h.send_ra && m->h.send_ra(m->h.ctx, b->iface, b->mn->mac, &dst, &ra) < 0)
		pr_warn("mag: RA to %s on %s failed", b->mn->id,
			m->cfg->access_ifaces[b->iface].name);
	fm_timer_set(&b->ra_timer, now + ra_interval_ms(m), now);
}

/* Make the routed/advertised set equal to the binding's assigned prefixes. */
static void apply_prefixes(struct mag *m, struct mag_binding *b, uint64_t now, bool announce)
{
	const struct bul_entry *e = &b->bul;
	bool changed = false;

	for (int i = 0; i < b->n_routed;) {
		if (fm_prefix_index(e->prefixes, e->n_prefixes, &b->routed[i]) >= 0) {
			i++;
			continue;
		}
		struct fm_prefix gone = b->routed[i];

		b->routed[i] = b->routed[--b->n_routed];
		if (!route_needed(m, &gone, NULL, NULL))
			route_del(m, &gone);
		add_withdraw(b, &gone);
		changed = true;
	}
	for (int i = 0; i < e->n_prefixes; i++) {
		int w;

		if (fm_prefix_index(b->routed, b->n_routed, &e->prefixes[i]) >= 0)
			continue;
		b->routed[b->n_routed++] = e->prefixes[i];
		route_set(m, b, &e->prefixes[i]);
		if ((w = fm_prefix_index(b->withdraw, b->n_withdraw, &e->prefixes[i])) >= 0)
			b->withdraw[w] = b->withdraw[--b->n_withdraw];
		changed = true;
	}
	if (announce && (changed || b->n_withdraw))
		send_ra(m, b, false, now);
}

/* Remove every route of a binding; 'ra' sends a final RA withdrawing everything. */
static void unroute_all(struct mag *m, struct mag_binding *b, bool ra, uint64_t now)
{
	struct fm_prefix gone[BUL_MAX_PREFIXES];
	int n = b->n_routed;

	memcpy(gone, b->routed, sizeof(gone[0]) * (size_t)n);
	b->n_routed = 0;
	for (int i = 0; i < n; i++) {
		add_withdraw(b, &gone[i]);
		if (!route_needed(m, &gone[i], NULL, NULL))
			route_del(m, &gone[i]);
	}
	if (ra)
		send_ra(m, b, true, now);
	b->n_withdraw = 0;
	b->withdraw_left = 0;
}

/* ---- flows (FMI / PBA Flow Identification) --------------------------------------- */

static struct mag_flow *flow_find(struct mag_mn *mn, uint16_t fid)
{
	for (int i = 0; i < MAG_MAX_FLOWS; i++)
		if (mn->flows[i].used && mn->flows[i].fid == fid)
			return &mn->flows[i];
	return NULL;
}

static struct mag_binding *first_registered(struct mag *m, const struct mag_mn *mn)
{
	for (struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link))
		if (same_mn(b->mn, mn) && b->bul.state == BUL_REGISTERED)
			return b;
	return NULL;
}

/* A selector's destination, when it names one prefix (or address), is a prefix this
 * MAG must deliver for the MN (seed Figures 5–6). */
static bool flow_dst_prefix(const struct fm_ts *ts, struct fm_prefix *out)
{
	const struct ts_val *v = &ts->f[TS_DST_ADDR];

	if (ts->format != TS_FMT_IPV6 || v->n == TS_ABSENT)
		return false;
	out->addr = v->addr[0];
	if (v->n == TS_EXACT) {
		out->plen = 128;
		return true;
	}
	/* range start..end that is exactly one aligned prefix */
	for (int plen = 0; plen <= 128; plen++) {
		bool ok = true;

		for (int bit = 0; bit < 128 && ok; bit++) {
			int s = v->addr[0].s6_addr[bit / 8] >> (7 - bit % 8) & 1;
			int e = v->addr[1].s6_addr[bit / 8] >> (7 - bit % 8) & 1;

			ok = bit < plen ? s == e : (s == 0 && e == 1);
		}
		if (ok) {
			out->plen = (uint8_t)plen;
			return true;
		}
	}
	return false;
}

/* The flow's routes: the selector's destination prefix when it names one, else the
 * home network prefixes the FMI (may be NULL) carries for it. */
static void flow_route(struct mag *m, struct mag_mn *mn, struct mag_flow *f,
		       const struct fmi_view *fmi)
{
	struct mag_binding *b = first_registered(m, mn);

	f->n_routes = 0;
	if (f->has_ts && flow_dst_prefix(&f->ts, &f->routes[0]))
		f->n_routes = 1;
	else
		for (int i = 0; fmi && i < fmi->n_hnp && f->n_routes < BUL_MAX_PREFIXES; i++) {
			struct fm_prefix p = view_prefix(&fmi->hnp[i]);

			if (p.plen && fm_prefix_index(f->routes, f->n_routes, &p) < 0)
				f->routes[f->n_routes++] = p;
		}
	for (int i = 0; b && i < f->n_routes; i++)
		if (fm_prefix_index(b->routed, b->n_routed, &f->routes[i]) < 0)
			route_set(m, b, &f->routes[i]);
}

/* The flow's lifetime timer follows expires_ms (0: never). */
static void flow_arm(struct mag_flow *f, uint64_t now)
{
	if (f->used && f->expires_ms)
		fm_timer_set(&f->expiry, f->expires_ms, now);
	else
		fm_timer_stop(&f->expiry);
}

static void flow_remove(struct mag *m, struct mag_mn *mn, struct mag_flow *f)
{
	struct fm_timers *w = f->expiry.wheel;

	(void)mn; /* f->mn, kept across the reset with the timer */
	mn = f->mn;
	for (int i = 0; i < f->n_routes; i++)
		if (!route_needed(m, &f->routes[i], NULL, f))
			route_del(m, &f->routes[i]);
	fm_timer_stop(&f->expiry);
	memset(f, 0, sizeof(*f));
	f->mn = mn;
	fm_timer_init(&f->expiry, w, flow_expired);
}

static bool ts_supported(const struct mh_flowid *fl)
{
	if (fl->has_ts)
		return fl->ts.format == TS_FMT_IPV6 || fl->ts.format == TS_FMT_IPV4;
	for (int i = 0; i < fl->n_raw; i++)
		if (fl->raw[i].type == MH_FIDSUB_TS)
			return false; /* a selector the codec could not read */
	return true;
}

static void flow_store(struct mag_flow *f, const struct mh_flowid *fl, uint32_t lifetime,
		       uint64_t now, const char *origin)
{
	f->used = true;
	f->fid = fl->fid;
	f->priority = fl->priority;
	f->has_ts = fl->has_ts;
	if (fl->has_ts)
		f->ts = fl->ts;
	f->n_bids = fl->n_bids > 8 ? 8 : fl->n_bids;
	memcpy(f->bids, fl->bids, sizeof(uint16_t) * f->n_bids);
	f->lifetime_s = lifetime;
	f->expires_ms = (lifetime == 0 || lifetime == MH_FM_LIFETIME_INFINITE)
			    ? 0
			    : now + (uint64_t)lifetime * 1000;
	f->origin = origin;
	flow_arm(f, now);
}

static json_t *flow_event_fields(const struct mag_mn *mn, const struct mag_flow *f)
{
	return json_pack("{s:s, s:i}", "mn", mn->id, "fid", f->fid);
}

/* Flow Identification options of an accepted PBA: installed like an FMI add. */
static void pba_flows(struct mag *m, struct mag_mn *mn, const struct pba_view *pba, uint64_t now)
{
	for (int i = 0; i < pba->n_flows; i++) {
		const struct mh_flowid *fl = pba->flows[i];
		struct mag_flow *f = flow_find(mn, fl->fid);

		if (fl->status != FID_SUCCESS || !ts_supported(fl))
			continue;
		if (!f) {
			for (int j = 0; j < MAG_MAX_FLOWS && !f; j++)
				if (!mn->flows[j].used)
					f = &mn->flows[j];
			if (!f) {
				pr_warn("mag: %s: flow table full, FID %u from PBA dropped", mn->id,
					fl->fid);
				continue;
			}
		} else if (f->n_routes) {
			flow_remove(m, mn, f);
		}
		flow_store(f, fl, MH_FM_LIFETIME_INFINITE, now, "pba");
		flow_route(m, mn, f, NULL);
		event(m, "flow-add", flow_event_fields(mn, f));
	}
}

/* ---- bindings ---------------------------------------------------------------- */

static void ra_fired(struct fm_timer *t, uint64_t now);
static void idle_fired(struct fm_timer *t, uint64_t now);

static struct mag_binding *binding_new(struct mag *m, struct mag_mn *mn, int iface)
{
	struct mag_binding *b = calloc(1, sizeof(*b));
	const struct fm_cfg_access_iface *ai = &m->cfg->access_ifaces[iface];

	if (!b)
		return NULL;
	b->mag = m;
	b->mn = mn;
	b->iface = iface;
	fm_timer_init(&b->ra_timer, &m->timers, ra_fired);
	fm_timer_init(&b->idle_timer, &m->timers, idle_fired);
	bul_entry_init(&b->bul, &m->bc, mn->id, mn->mac, ai->name, ai->att, &m->cfg->link_local,
		       m->next_seq);
	m->next_seq = (uint16_t)(m->next_seq + 1024);
	b->bul.n_flow_req =
	    ai->n_flow_requests > BUL_MAX_FLOW_REQ ? BUL_MAX_FLOW_REQ : ai->n_flow_requests;
	memcpy(b->bul.flow_req, ai->flow_requests, sizeof(b->bul.flow_req[0]) * b->bul.n_flow_req);
	nd_eui64_ll(mn->mac, &b->mn_ll); /* until the MN tells us */
	LIST_INSERT_HEAD(&m->bindings, b, link);
	return b;
}

static void binding_unlink(struct mag *m, struct mag_binding *b)
{
	(void)m;
	binding_free(b);
}

static json_t *binding_fields(const struct mag *m, const struct mag_binding *b)
{
	return json_pack("{s:s, s:s, s:i, s:i, s:o}", "mn", b->mn->id, "iface",
			 m->cfg->access_ifaces[b->iface].name, "att", b->bul.att, "bid", b->bul.bid,
			 "prefixes", prefixes_json(b->routed, b->n_routed));
}

static void start_binding(struct mag *m, struct mag_binding *b, uint64_t now)
{
	b->last_activity_ms = now;
	b->next_check_ms = now + 1000;
	b->probes = 0;
	b->detach_reason = NULL;
	b->bul.att = m->cfg->access_ifaces[b->iface].att;
	bul_start(&m->bc, &b->bul, now);
	m->c.attach++;
	event(m, "attach",
	      json_pack("{s:s, s:s, s:i}", "mn", b->mn->id, "iface",
			m->cfg->access_ifaces[b->iface].name, "att", b->bul.att));
}

static struct mag_binding *attach(struct mag *m, struct mag_mn *mn, int iface, uint64_t now)
{
	struct mag_binding *b = mag_binding_find(m, mn, iface);

	if (b) {
		if (b->bul.state == BUL_DEREGISTERING)
			b->reattach = true;
		else if (b->bul.state == BUL_IDLE)
			start_binding(m, b, now);
		return b;
	}
	b = binding_new(m, mn, iface);
	if (!b) {
		pr_err("mag: out of memory attaching %s", mn->id);
		return NULL;
	}
	pr_info("mag: %s attached on %s", mn->id, m->cfg->access_ifaces[iface].name);
	start_binding(m, b, now);
	return b;
}

/* Detach: withdraw (when the link is still there), unroute, de-register. */
static void detach(struct mag *m, struct mag_binding *b, const char *reason, bool link_up,
		   uint64_t now)
{
	if (b->bul.state == BUL_DEREGISTERING || b->bul.state == BUL_IDLE) {
		b->reattach = false;
		if (b->bul.state == BUL_IDLE)
			binding_unlink(m, b);
		return;
	}
	pr_info("mag: %s detached from %s (%s)", b->mn->id, m->cfg->access_ifaces[b->iface].name,
		reason);
	unroute_all(m, b, link_up, now);
	b->detach_reason = reason;
	b->reattach = false;
	m->c.detach++;
	event(m, "detach",
	      json_pack("{s:s, s:s, s:s}", "mn", b->mn->id, "iface",
			m->cfg->access_ifaces[b->iface].name, "reason", reason));
	bool was_registered = b->bul.state == BUL_REGISTERED || b->bul.n_prefixes || b->bul.bid;
	if (was_registered || b->bul.awaiting)
		bul_stop(&m->bc, &b->bul, now);
	else
		bul_reset(&b->bul);
	if (b->bul.state == BUL_IDLE)
		binding_unlink(m, b);
}

void mag_detach_all(struct mag *m, uint64_t now)
{
	struct mag_binding *b, *n;

	LIST_FOREACH_SAFE(b, &m->bindings, link, n)
	{
		detach(m, b, "shutdown", true, now);
	}
}

static void idle_arm(struct mag *m, struct mag_binding *b, uint64_t now);

static void bul_result(struct mag *m, struct mag_binding *b, enum bul_event ev,
		       const struct pba_view *pba, uint64_t now)
{
	switch (ev) {
	case BUL_EV_NONE:
		return;
	case BUL_EV_REGISTERED: {
		struct mag_mn *fm = mag_mn_by_id(m, b->mn->id); /* flows live with the NAI */

		apply_prefixes(m, b, now, false);
		send_ra(m, b, false, now);
		/* flows whose destination needs this binding's link */
		for (int j = 0; j < MAG_MAX_FLOWS; j++) {
			const struct mag_flow *f = &fm->flows[j];

			for (int k = 0; f->used && k < f->n_routes; k++)
				if (fm_prefix_index(b->routed, b->n_routed, &f->routes[k]) < 0)
					route_set(m, b, &f->routes[k]);
		}
		if (pba)
			pba_flows(m, fm, pba, now);
		b->last_activity_ms = now;
		idle_arm(m, b, now);
		event(m, "registration", binding_fields(m, b));
		return;
	}
	case BUL_EV_REJECTED:
		unroute_all(m, b, true, now);
		event(m, "reject",
		      json_pack("{s:s, s:s, s:i}", "mn", b->mn->id, "iface",
				m->cfg->access_ifaces[b->iface].name, "status",
				b->bul.last_status));
		return;
	case BUL_EV_EXPIRED:
		unroute_all(m, b, true, now);
		event(m, "expiry",
		      json_pack("{s:s, s:s}", "mn", b->mn->id, "iface",
				m->cfg->access_ifaces[b->iface].name));
		/* the MN is still here: register again from scratch */
		bul_start(&m->bc, &b->bul, now);
		return;
	case BUL_EV_DEREGISTERED:
		event(m, "deregistration",
		      json_pack("{s:s, s:s, s:s}", "mn", b->mn->id, "iface",
				m->cfg->access_ifaces[b->iface].name, "reason",
				b->detach_reason ? b->detach_reason : "?"));
		if (b->reattach) {
			b->reattach = false;
			start_binding(m, b, now);
		} else {
			binding_unlink(m, b);
		}
		return;
	}
}

/* The BUL's timers decided (expiry, a de-registration given up). */
static void bul_event_cb(void *ctx, struct bul_entry *e, enum bul_event ev, uint64_t now)
{
	bul_result(ctx, fm_container_of(e, struct mag_binding, bul), ev, NULL, now);
}

/* ---- access link: RS / NA ---------------------------------------------------------- */

void mag_rx_nd(struct mag *m, int iface, const uint8_t *frame, size_t len, uint64_t now)
{
	struct nd_frame fr;
	struct nd_msg nd;
	const char *why = "";
	const uint8_t *mac;
	struct mag_mn *mn;
	struct mag_binding *b;

	if (iface < 0 || iface >= m->cfg->n_access)
		return;
	if (nd_parse_frame(frame, len, &fr, &why) < 0 ||
	    nd_parse_msg(fr.icmp, fr.icmp_len, &fr.src, fr.hop_limit, &nd, &why) < 0) {
		m->c.nd_bad++;
		pr_debug("mag: bad ND frame on %s: %s", m->cfg->access_ifaces[iface].name, why);
		return;
	}
	mac = (nd.type != ND_NA && nd.has_lla) ? nd.lla : fr.src_mac;
	if (nd.type == ND_NA) {
		m->c.na++;
		LIST_FOREACH(b, &m->bindings, link)
		{
			if (b->iface != iface || memcmp(b->mn->mac, fr.src_mac, 6))
				continue;
			b->last_activity_ms = now;
			b->probes = 0;
			if (!IN6_IS_ADDR_UNSPECIFIED(&fr.src) && IN6_IS_ADDR_LINKLOCAL(&fr.src)) {
				b->mn_ll = fr.src;
				b->mn_ll_known = true;
			}
		}
		return;
	}
	if (nd.type != ND_RS)
		return;
	m->c.rs++;
	mn = mag_mn_by_mac(m, mac);
	if (!mn) {
		m->c.unknown_mac++;
		pr_debug("mag: RS from unknown MAC %02x:%02x:%02x:%02x:%02x:%02x on %s ignored",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			 m->cfg->access_ifaces[iface].name);
		return;
	}
	b = mag_binding_find(m, mn, iface);
	if (b && b->bul.state == BUL_REGISTERED) {
		if (IN6_IS_ADDR_LINKLOCAL(&fr.src)) {
			b->mn_ll = fr.src;
			b->mn_ll_known = true;
		}
		b->last_activity_ms = now;
		b->probes = 0;
		send_ra(m, b, false, now); /* solicited */
		return;
	}
	b = attach(m, mn, iface, now);
	if (b && IN6_IS_ADDR_LINKLOCAL(&fr.src)) {
		b->mn_ll = fr.src;
		b->mn_ll_known = true;
	}
}

/* ---- messages from the LMA ---------------------------------------------------------- */

static void handle_pba(struct mag *m, const struct mh_msg *msg, uint64_t now)
{
	struct pba_view pv, *pba = &pv;
	struct mag_mn *mn;
	struct mag_binding *b, *n;

	pba_view_build(pba, msg);
	mn = mn_of(m, &pba->mn_id);
	m->c.pba_status[pba->status]++;
	if (!mn) {
		m->c.rx_unexpected++;
		pr_debug("mag: PBA for an unknown MN ignored");
		return;
	}
	LIST_FOREACH_SAFE(b, &m->bindings, link, n)
	{
		if (!same_mn(b->mn, mn) || !b->bul.awaiting)
			continue;
		/* several interfaces of one MN here: the LL-ID names the right one */
		if (pba->ll_id.present && pba->ll_id.len == 6 &&
		    memcmp(pba->ll_id.id, b->bul.mac, 6))
			continue;
		uint32_t before = b->bul.rx_count;
		enum bul_event ev = bul_on_pba(&m->bc, &b->bul, pba, now);

		if (b->bul.rx_count != before) {
			bul_result(m, b, ev, pba, now); /* may free b */
			return;
		}
	}
}

static void send_fma(struct mag *m, const struct fmi_view *fmi, uint8_t status, bool with_flows)
{
	struct mh_msg a = {0};

	a.kind = MH_FMA;
	a.seq = fmi->seq;
	a.status = status;
	a.lifetime = fmi->cancel ? 0 : fmi->lifetime;
	add_mn_id(&a, &fmi->mn_id);
	for (int i = 0; with_flows && i < fmi->n_flows; i++) {
		struct mh_opt *n = mh_opt_add(&a, MH_OPT_FLOW_ID);

		if (!n)
			break;
		n->flow_id = *fmi->flows[i];
		n->flow_id.status = FID_SUCCESS;
	}
	m->c.fma_status[status]++;
	m->last_fma = a;
	send_mh(m, &a);
}

static void handle_fmi(struct mag *m, const struct mh_msg *msg, uint64_t now)
{
	struct fmi_view fv, *fmi = &fv;
	uint16_t seq;
	bool cancel, refresh;
	struct mag_mn *mn;
	uint8_t status = FMA_SUCCESS;
	int nflows = 0;

	fmi_view_build(fmi, msg); /* its status is decided below, in the MAG's order */
	seq = fmi->seq;
	cancel = fmi->cancel;
	refresh = fmi->refresh;
	mn = mn_of(m, &fmi->mn_id);

	if (m->fmi_seq_known && !fm_seq_newer(seq, m->fmi_last_seq)) {
		if (seq == m->fmi_last_seq && m->last_fma.kind == MH_FMA &&
		    m->last_fma.seq == seq) {
			/* a retransmission: the same answer again */
			m->c.fma_status[m->last_fma.status]++;
			send_mh(m, &m->last_fma);
			return;
		}
		send_fma(m, fmi, FMA_SEQ_OUT_OF_WINDOW, false);
		return;
	}
	m->fmi_seq_known = true;
	m->fmi_last_seq = seq;
	if (!fmi->mn_id.present) {
		send_fma(m, fmi, FMA_UNSPECIFIED, false);
		return;
	}
	if (!mn || !first_registered(m, mn)) {
		send_fma(m, fmi, FMA_MN_NOT_ATTACHED, false);
		return;
	}
	/* validate everything first: an FMI is applied whole or not at all */
	for (int i = 0; i < fmi->n_flows; i++) {
		const struct mh_flowid *fl = fmi->flows[i];
		const struct mag_flow *f = flow_find(mn, fl->fid);

		nflows++;
		if (!ts_supported(fl))
			status = FMA_TS_FORMAT_UNSUPPORTED;
		else if (!cancel && !refresh && f)
			status = FMA_ENTRY_EXISTS;
		else if ((cancel || refresh) && !f)
			status = FMA_NO_ENTRY;
		else if (!cancel && !refresh && !fl->has_ts)
			status = FMA_UNSPECIFIED; /* an add needs a selector */
		if (status != FMA_SUCCESS)
			break;
	}
	if (!nflows)
		status = FMA_UNSPECIFIED;
	if (status == FMA_SUCCESS && !cancel && !refresh) {
		int free_slots = 0;

		for (int j = 0; j < MAG_MAX_FLOWS; j++)
			free_slots += !mn->flows[j].used;
		if (free_slots < nflows)
			status = FMA_UNSPECIFIED;
	}
	if (status != FMA_SUCCESS) {
		send_fma(m, fmi, status, false);
		return;
	}
	for (int i = 0; i < fmi->n_flows; i++) {
		const struct mh_flowid *fl = fmi->flows[i];
		struct mag_flow *f = flow_find(mn, fl->fid);

		if (cancel) {
			json_t *ev = flow_event_fields(mn, f);

			flow_remove(m, mn, f);
			event(m, "flow-del", ev);
		} else if (refresh) {
			uint32_t lt = fmi->lifetime;

			f->lifetime_s = lt;
			f->expires_ms = (lt == 0 || lt == MH_FM_LIFETIME_INFINITE)
					    ? 0
					    : now + (uint64_t)lt * 1000;
			flow_arm(f, now);
			if (fl->has_ts && memcmp(&fl->ts, &f->ts, sizeof(f->ts))) {
				flow_remove(m, mn, f);
				flow_store(f, fl, lt, now, "fmi");
				flow_route(m, mn, f, fmi);
			}
		} else {
			for (int j = 0; j < MAG_MAX_FLOWS && !f; j++)
				if (!mn->flows[j].used)
					f = &mn->flows[j];
			flow_store(f, fl, fmi->lifetime, now, "fmi");
			flow_route(m, mn, f, fmi);
			event(m, "flow-add", flow_event_fields(mn, f));
		}
	}
	send_fma(m, fmi, FMA_SUCCESS, true);
}

static void handle_upn(struct mag *m, const struct mh_msg *msg, uint64_t now)
{
	struct upn_view uv, *upn = &uv;
	struct mag_mn *mn;
	struct mh_msg a = {0};
	struct fm_prefix set[BUL_MAX_PREFIXES];
	int n = 0;

	upn_view_build(upn, msg);
	mn = mn_of(m, &upn->mn_id);

	a.kind = MH_UPA;
	a.seq = upn->seq;
	if (upn->reason != MH_UPN_REASON_FLOW_MOBILITY)
		a.status = UPA_UNSPECIFIED;
	else if (!mn || !first_registered(m, mn))
		a.status = UPA_MN_NOT_ATTACHED;
	else
		a.status = UPA_SUCCESS;
	add_mn_id(&a, &upn->mn_id);
	m->c.upa_status[a.status]++;
	send_mh(m, &a);
	if (a.status != UPA_SUCCESS)
		return;
	/* the new prefix set, when the LMA names it; otherwise ask with the current one
	 * and take what the PBA assigns (RFC 7864 §3.3) */
	for (int i = 0; i < upn->n_hnp && n < BUL_MAX_PREFIXES; i++)
		if (upn->hnp[i].plen)
			set[n++] = view_prefix(&upn->hnp[i]);
	for (struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link))
		if (same_mn(b->mn, mn) && b->bul.state == BUL_REGISTERED)
			bul_update(&m->bc, &b->bul, n ? set : NULL, n, now);
}

static void handle_bri(struct mag *m, const struct mh_msg *msg, uint64_t now)
{
	struct bri_view bv, *bri = &bv;
	struct mag_mn *mn;
	struct mh_msg a = {0};
	int named, found = 0, matched_bindings = 0;
	struct mag_binding *b, *nb;

	bri_view_build(bri, msg);
	mn = mn_of(m, &bri->mn_id);
	a.kind = MH_BRA;
	a.seq = bri->seq;
	a.flags = bri->flags & MH_BR_P;
	add_mn_id(&a, &bri->mn_id);
	if (bri->flags & MH_BR_G) {
		/* RFC 5846 global revocation: every binding registered with this
		 * LMA (the only one a flowmob MAG has; its source was checked) */
		int n = 0;

		LIST_FOREACH_SAFE(b, &m->bindings, link, nb)
		{
			if (b->bul.state == BUL_IDLE)
				continue;
			unroute_all(m, b, true, now);
			bul_reset(&b->bul);
			event(m, "deregistration",
			      json_pack("{s:s, s:s, s:s, s:i}", "mn", b->mn->id, "iface",
					m->cfg->access_ifaces[b->iface].name, "reason", "revoked",
					"trigger", bri->trigger));
			binding_unlink(m, b);
			n++;
		}
		pr_warn("mag: the LMA revoked all %d binding(s) (global BRI, trigger %u)", n,
			bri->trigger);
		a.status = BRA_SUCCESS;
		goto reply;
	}
	named = bri->n_hnp;
	LIST_FOREACH_SAFE(b, &m->bindings, link, nb)
	{
		if (!mn || !same_mn(b->mn, mn) || b->bul.state == BUL_IDLE)
			continue;
		if (bri->bid.present && bri->bid.bid && b->bul.bid != bri->bid.bid)
			continue;
		matched_bindings++;
		if (!named) {
			/* the whole binding is revoked: no de-registration PBU (RFC 5846 §8) */
			unroute_all(m, b, true, now);
			bul_reset(&b->bul);
			event(m, "deregistration",
			      json_pack("{s:s, s:s, s:s, s:i}", "mn", mn->id, "iface",
					m->cfg->access_ifaces[b->iface].name, "reason", "revoked",
					"trigger", bri->trigger));
			binding_unlink(m, b);
			continue;
		}
		struct fm_prefix removed[BUL_MAX_PREFIXES];
		int nrem = 0;

		for (int i = 0; i < bri->n_hnp; i++) {
			struct fm_prefix p = view_prefix(&bri->hnp[i]);
			int k = fm_prefix_index(b->bul.prefixes, b->bul.n_prefixes, &p);

			if (k < 0)
				continue;
			found++;
			b->bul.prefixes[k] = b->bul.prefixes[--b->bul.n_prefixes];
			removed[nrem++] = p;
		}
		if (!nrem)
			continue;
		apply_prefixes(m, b, now, true);
		event(m, "prefix-move",
		      json_pack("{s:s, s:s, s:o}", "mn", mn->id, "iface",
				m->cfg->access_ifaces[b->iface].name, "prefixes",
				prefixes_json(removed, nrem)));
	}
	if (!matched_bindings)
		a.status = BRA_NO_BINDING;
	else if (named && !found)
		a.status = BRA_NO_BINDING;
	else if (named && found < named)
		a.status = BRA_PARTIAL;
	else
		a.status = BRA_SUCCESS;
reply:
	m->c.bra_status[a.status]++;
	send_mh(m, &a);
}

/* What proto/heartbeat made of a message from the LMA (why: its kind). */
static void lma_verdict(struct mag *m, unsigned v, uint32_t old_rc, const char *why, uint64_t now)
{
	if (!(v & FM_HB_ALIVE))
		return;
	m->lma_last_seen = wall_now();
	if (!m->lma_heard || (v & FM_HB_CAME_UP)) {
		if (v & FM_HB_CAME_UP)
			pr_info("mag: the LMA is up again (%s)", why);
		m->lma_heard = true;
		m->lma_reason = why;
		m->lma_changed = m->lma_last_seen;
		event(m, "peer-up", json_pack("{s:s, s:s}", "peer", "lma", "reason", why));
	}
	if (v & FM_HB_RESTARTED) {
		pr_warn("mag: the LMA restarted (restart counter %u -> %u): re-registering", old_rc,
			m->hb.rc);
		for (struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link))
			if (b->bul.state == BUL_REGISTERED)
				bul_update(&m->bc, &b->bul, NULL, 0, now);
	}
}

static void handle_heartbeat(struct mag *m, const struct mh_msg *msg, uint64_t now)
{
	struct hb_view hv, *hb = &hv;
	uint32_t old_rc = m->hb.rc;
	unsigned v;

	hb_view_build(hb, msg);
	if (!hb->response) {
		struct mh_msg r;

		fm_hb_build(&r, true, hb->seq, m->restart_counter);
		send_mh(m, &r);
	}
	v = fm_hb_rx(&m->hb, hb->response, hb->seq, hb->has_rc ? &hb->restart_counter : NULL, now);
	if (v == FM_HB_IGNORED)
		pr_debug("mag: heartbeat response %u matches no outstanding request (%u), ignored",
			 hb->seq, m->hb.seq);
	lma_verdict(m, v, old_rc, "heartbeat", now);
}

void mag_rx_mh(struct mag *m, const struct mh_msg *msg, const struct in6_addr *src, uint64_t now)
{
	if (memcmp(src, &m->cfg->lma, sizeof(*src))) {
		m->c.rx_not_lma++;
		pr_debug("mag: %s from a node that is not our LMA ignored",
			 mh_kind_name(msg->kind));
		return;
	}
	if ((unsigned)msg->kind < MH_KIND_COUNT)
		m->c.rx[msg->kind]++;
	/* any message from the LMA is proof of life (its heartbeats decide restarts) */
	if (msg->kind != MH_HEARTBEAT)
		lma_verdict(m, fm_hb_seen(&m->hb, now), m->hb.rc, mh_kind_name(msg->kind), now);
	switch (msg->kind) {
	case MH_PBA:
		handle_pba(m, msg, now);
		break;
	case MH_FMI:
		handle_fmi(m, msg, now);
		break;
	case MH_UPN:
		handle_upn(m, msg, now);
		break;
	case MH_BRI:
		handle_bri(m, msg, now);
		break;
	case MH_HEARTBEAT:
		handle_heartbeat(m, msg, now);
		break;
	case MH_BE:
		if (msg->status == 2 && m->hb.outstanding && !m->lma_no_hb) {
			/* RFC 6275 §9.2: the LMA does not know the Heartbeat type */
			m->lma_no_hb = true;
			m->hb.outstanding = false;
			m->hb.missed = 0;
			m->lma_reason = "no heartbeat support";
			pr_info(
			    "mag: the LMA answers heartbeats with Binding Error 2: no heartbeat "
			    "support, its liveness is its signaling");
			break;
		}
		pr_warn("mag: Binding Error from the LMA, status %u", msg->status);
		break;
	default:
		m->c.rx_unexpected++;
		pr_debug("mag: unexpected %s from the LMA", mh_kind_name(msg->kind));
		break;
	}
}

/* ---- timers ------------------------------------------------------------------------ */

static void heartbeat_fired(struct fm_timer *t, uint64_t now)
{
	struct mag *m = fm_container_of(t, struct mag, hb_timer);
	uint32_t ivl = m->cfg->timers.heartbeat_interval_s;
	struct mh_msg hb;

	if (!ivl)
		return; /* turned off by a reload */
	if (m->lma_no_hb) {
		fm_timer_set(&m->hb_timer, now + (uint64_t)ivl * 1000, now);
		return;
	}
	if (fm_hb_interval(&m->hb, ++m->hb_seq, m->cfg->timers.heartbeat_missed)) {
		pr_warn("mag: %u heartbeats unanswered: LMA down", m->hb.missed);
		m->lma_reason = "heartbeat";
		m->lma_changed = wall_now();
		event(m, "peer-down",
		      json_pack("{s:s, s:s}", "peer", "lma", "reason", "heartbeat"));
	}
	fm_hb_build(&hb, false, m->hb_seq, m->restart_counter);
	send_mh(m, &hb);
	fm_timer_set(&m->hb_timer, now + (uint64_t)ivl * 1000, now);
}

static void flow_expired(struct fm_timer *t, uint64_t now)
{
	struct mag_flow *f = fm_container_of(t, struct mag_flow, expiry);
	struct mag_mn *mn = f->mn;
	json_t *ev;

	(void)now;
	if (!f->used)
		return;
	ev = flow_event_fields(mn, f);
	json_object_set_new(ev, "reason", json_string("expired"));
	flow_remove(mn->mag, mn, f);
	event(mn->mag, "flow-del", ev);
}

static void ra_fired(struct fm_timer *t, uint64_t now)
{
	struct mag_binding *b = fm_container_of(t, struct mag_binding, ra_timer);

	if (b->bul.state == BUL_REGISTERED)
		send_ra(b->mag, b, false, now); /* re-arms */
}

/* When the idle check must run next: the next counter poll, the next probe, or the
 * moment the MN has been silent for idle-timeout. */
static uint64_t idle_due(const struct mag *m, const struct mag_binding *b)
{
	uint64_t d = b->probes
			 ? b->next_probe_ms
			 : b->last_activity_ms + (uint64_t)m->cfg->timers.idle_timeout_s * 1000;

	return b->next_check_ms < d ? b->next_check_ms : d;
}

static void idle_arm(struct mag *m, struct mag_binding *b, uint64_t now)
{
	if (m->cfg->timers.idle_timeout_s && b->bul.state == BUL_REGISTERED)
		fm_timer_set(&b->idle_timer, idle_due(m, b), now);
	else
		fm_timer_stop(&b->idle_timer);
}

/* Traffic (the MN's data-plane counters), probes, detach. True when b was detached
 * (and may be gone). */
static bool idle_check(struct mag *m, struct mag_binding *b, uint64_t now)
{
	uint64_t idle = (uint64_t)m->cfg->timers.idle_timeout_s * 1000;
	struct fm_dp_counters c;

	if (!idle || b->bul.state != BUL_REGISTERED)
		return false;
	if (now >= b->next_check_ms) {
		b->next_check_ms = now + 1000;
		if (m->h.dp && m->h.dp->mn_counters &&
		    m->h.dp->mn_counters(m->h.dp_ctx, b->mn->idx, &c) == 0 &&
		    (c.packets != b->last_ctr.packets || c.bytes != b->last_ctr.bytes)) {
			b->last_ctr = c;
			b->last_activity_ms = now;
			b->probes = 0;
		}
	}
	if (now - b->last_activity_ms < idle)
		return false;
	if (b->probes < MAG_PROBES) {
		if (now >= b->next_probe_ms || b->probes == 0) {
			b->probes++;
			b->next_probe_ms = now + MAG_PROBE_MS;
			m->c.ns++;
			if (m->h.send_ns)
				m->h.send_ns(m->h.ctx, b->iface, b->mn->mac, &b->mn_ll, &b->mn_ll);
		}
		return false;
	}
	if (now < b->next_probe_ms)
		return false;
	m->c.idle_detach++;
	detach(m, b, "idle", true, now);
	return true;
}

static void idle_fired(struct fm_timer *t, uint64_t now)
{
	struct mag_binding *b = fm_container_of(t, struct mag_binding, idle_timer);

	if (!idle_check(b->mag, b, now))
		idle_arm(b->mag, b, now);
}

static void links_fired(struct fm_timer *t, uint64_t now)
{
	struct mag *m = fm_container_of(t, struct mag, link_timer);

	fm_timer_set(&m->link_timer, now + MAG_LINK_POLL_MS, now);
	for (int i = 0; i < m->cfg->n_access; i++) {
		int up = m->h.link_running(m->h.ctx, m->cfg->access_ifaces[i].name);

		if (up < 0)
			continue;
		if (!up && m->iface_running[i] != 0) {
			struct mag_binding *b, *n;

			pr_info("mag: %s is down", m->cfg->access_ifaces[i].name);
			LIST_FOREACH_SAFE(b, &m->bindings, link, n)
			{
				if (b->iface == i && b->bul.state != BUL_DEREGISTERING) {
					m->c.link_detach++;
					detach(m, b, "link-down", false, now);
				}
			}
		}
		m->iface_running[i] = up;
	}
}

void mag_tick(struct mag *m, uint64_t now)
{
	fm_timers_run(&m->timers, now);
}

uint64_t mag_deadline(const struct mag *m)
{
	uint64_t d = fm_timers_next(&m->timers);

	return d ? d : BUL_NO_DEADLINE;
}

/* ---- persistence ---------------------------------------------------------------------- */

json_t *mag_bindings_save(const struct mag *m)
{
	json_t *a = json_array();
	char ll[INET6_ADDRSTRLEN];

	for (const struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link)) {
		if (b->bul.state != BUL_REGISTERED)
			continue;
		inet_ntop(AF_INET6, &b->mn_ll, ll, sizeof(ll));
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:i, s:i, s:o, s:s, s:b}", "mn", b->mn->id, "iface",
				 m->cfg->access_ifaces[b->iface].name, "bid", b->bul.bid, "seq",
				 b->bul.seq, "prefixes",
				 prefixes_json(b->bul.prefixes, b->bul.n_prefixes), "mn_ll", ll,
				 "mn_ll_known", b->mn_ll_known));
	}
	return a;
}

int mag_bindings_restore(struct mag *m, const json_t *saved, uint64_t now)
{
	size_t i;
	json_t *e;
	int n = 0;

	if (!json_is_array(saved))
		return 0;
	json_array_foreach(saved, i, e)
	{
		const char *id = json_string_value(json_object_get(e, "mn"));
		const char *ifn = json_string_value(json_object_get(e, "iface"));
		const char *ll = json_string_value(json_object_get(e, "mn_ll"));
		json_t *pf = json_object_get(e, "prefixes"), *p;
		struct mag_mn *mn = id ? mag_mn_by_id(m, id) : NULL;
		int iface = ifn ? mag_iface_index(m, ifn) : -1;
		struct mag_binding *b;
		size_t k;

		if (!mn || iface < 0 || mag_binding_find(m, mn, iface)) {
			pr_info("mag: saved binding %s/%s no longer configured, skipped",
				id ? id : "?", ifn ? ifn : "?");
			continue;
		}
		b = binding_new(m, mn, iface);
		if (!b)
			break;
		b->bul.bid = (uint16_t)json_integer_value(json_object_get(e, "bid"));
		b->bul.seq = (uint16_t)json_integer_value(json_object_get(e, "seq"));
		json_array_foreach(pf, k, p)
		{
			if (b->bul.n_prefixes < BUL_MAX_PREFIXES && json_is_string(p) &&
			    !fm_prefix_parse(json_string_value(p),
					     &b->bul.prefixes[b->bul.n_prefixes]))
				b->bul.n_prefixes++;
		}
		if (ll && inet_pton(AF_INET6, ll, &b->mn_ll) == 1)
			b->mn_ll_known = json_is_true(json_object_get(e, "mn_ll_known"));
		if (!b->bul.n_prefixes) {
			binding_unlink(m, b);
			continue;
		}
		b->last_activity_ms = now;
		b->next_check_ms = now + 1000;
		for (int j = 0; j < b->bul.n_prefixes; j++) {
			b->routed[b->n_routed++] = b->bul.prefixes[j];
			route_set(m, b, &b->bul.prefixes[j]);
		}
		/* registered for the configured lifetime, refreshed at once */
		bul_restored(&m->bc, &b->bul, now);
		fm_timer_set(&b->ra_timer, now + ra_interval_ms(m), now);
		idle_arm(m, b, now);
		pr_info("mag: restored %s on %s (BID %u), refreshing", mn->id, ifn, b->bul.bid);
		n++;
	}
	return n;
}

/* ---- control ------------------------------------------------------------------------ */

json_t *mag_binding_json(const struct mag *m, const struct mag_binding *b, uint64_t now)
{
	char mac[18];
	int64_t left = 0;

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", b->mn->mac[0], b->mn->mac[1],
		 b->mn->mac[2], b->mn->mac[3], b->mn->mac[4], b->mn->mac[5]);
	if (b->bul.state == BUL_REGISTERED && b->bul.expires_ms > now)
		left = (int64_t)((b->bul.expires_ms - now) / 1000);
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:s, s:I}", "mn", b->mn->id, "iface",
			 m->cfg->access_ifaces[b->iface].name, "mac", mac, "att", b->bul.att, "bid",
			 b->bul.bid, "prefixes", prefixes_json(b->routed, b->n_routed), "state",
			 bul_state_name(b->bul.state), "lifetime", (json_int_t)left);
}

static int req_mn_iface(struct mag *m, const json_t *req, struct mag_mn **mn, int *iface, char *err,
			size_t errlen)
{
	const char *id = json_string_value(json_object_get(req, "mn"));
	const char *ifn = json_string_value(json_object_get(req, "iface"));
	unsigned mac[6];

	if (!id || !ifn) {
		snprintf(err, errlen, "'mn' and 'iface' are required");
		return -1;
	}
	*mn = mag_mn_by_id(m, id);
	if (!*mn && sscanf(id, "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
			   &mac[5]) == 6) {
		uint8_t b[6];

		for (int i = 0; i < 6; i++)
			b[i] = (uint8_t)mac[i];
		*mn = mag_mn_by_mac(m, b);
	}
	if (!*mn) {
		snprintf(err, errlen, "unknown mobile node '%s'", id);
		return -1;
	}
	*iface = mag_iface_index(m, ifn);
	if (*iface < 0) {
		snprintf(err, errlen, "'%s' is not an access interface", ifn);
		return -1;
	}
	return 0;
}

json_t *mag_ctl_attach(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct mag *m = ctx;
	struct mag_mn *mn;
	struct mag_binding *b;
	int iface;
	uint64_t now = fm_now_ms();

	if (req_mn_iface(m, req, &mn, &iface, err, errlen) < 0)
		return NULL;
	b = attach(m, mn, iface, now);
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return mag_binding_json(m, b, now);
}

json_t *mag_ctl_detach(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct mag *m = ctx;
	struct mag_mn *mn;
	struct mag_binding *b;
	int iface;

	if (req_mn_iface(m, req, &mn, &iface, err, errlen) < 0)
		return NULL;
	b = mag_binding_find(m, mn, iface);
	if (!b || b->bul.state == BUL_DEREGISTERING) {
		snprintf(err, errlen, "%s is not attached on %s", mn->id,
			 m->cfg->access_ifaces[iface].name);
		return NULL;
	}
	detach(m, b, "command", true, fm_now_ms());
	return json_null();
}

json_t *mag_ctl_bindings(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct mag *m = ctx;
	json_t *a = json_array();
	uint64_t now = fm_now_ms();

	(void)req;
	(void)err;
	(void)errlen;
	for (const struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link))
		json_array_append_new(a, mag_binding_json(m, b, now));
	return a;
}

json_t *mag_ctl_flows(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct mag *m = ctx;
	json_t *a = json_array();
	uint64_t now = fm_now_ms();

	(void)req;
	(void)err;
	(void)errlen;
	for (int i = 0; i < m->n_mns; i++)
		for (int j = 0; j < MAG_MAX_FLOWS; j++) {
			const struct mag_flow *f = &m->mns[i].flows[j];
			json_t *bids, *o;
			char buf[64];

			if (!f->used)
				continue;
			json_t *sel = f->has_ts ? ts_to_json(&f->ts) : NULL;

			bids = json_array();
			for (int k = 0; k < f->n_bids; k++)
				json_array_append_new(bids, json_integer(f->bids[k]));
			o = json_pack("{s:s, s:i, s:i, s:o, s:o, s:s, s:b, s:i, s:i, s:s}", "mn",
				      m->mns[i].id, "fid", f->fid, "priority", f->priority,
				      "selector", sel ? sel : json_object(), "bids", bids, "action",
				      "forward", "active", 1, "packets", 0, "bytes", 0, "origin",
				      f->origin ? f->origin : "fmi");
			if (f->expires_ms)
				json_object_set_new(
				    o, "lifetime",
				    json_integer(f->expires_ms > now
						     ? (json_int_t)((f->expires_ms - now) / 1000)
						     : 0));
			else
				json_object_set_new(o, "lifetime", json_string("infinite"));
			if (f->n_routes) {
				json_t *r = json_array();

				for (int k = 0; k < f->n_routes; k++)
					json_array_append_new(
					    r,
					    json_string(pfx_str(&f->routes[k], buf, sizeof(buf))));
				json_object_set_new(
				    o, "route",
				    json_string(pfx_str(&f->routes[0], buf, sizeof(buf))));
				json_object_set_new(o, "routes", r);
			}
			json_array_append_new(a, o);
		}
	return a;
}

static json_t *by_kind(const uint64_t *v)
{
	json_t *o = json_object();

	for (int k = MH_PBU; k < MH_KIND_COUNT; k++)
		if (v[k])
			json_object_set_new(o, mh_kind_name(k), json_integer((json_int_t)v[k]));
	return o;
}

static void status_into(json_t *o, const char *kind, const uint64_t *v)
{
	char key[32];

	for (int i = 0; i < 256; i++)
		if (v[i]) {
			snprintf(key, sizeof(key), "%s:%d", kind, i);
			json_object_set_new(o, key, json_integer((json_int_t)v[i]));
		}
}

json_t *mag_ctl_stats(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct mag *m = ctx;
	json_t *st = json_object(), *sig, *dp = NULL;
	int nb = 0;

	(void)req;
	(void)err;
	(void)errlen;
	if (m->h.dp && m->h.dp->stats_json)
		dp = m->h.dp->stats_json(m->h.dp_ctx);
	status_into(st, "pba", m->c.pba_status);
	status_into(st, "fma", m->c.fma_status);
	status_into(st, "bra", m->c.bra_status);
	status_into(st, "upa", m->c.upa_status);
	sig = json_pack("{s:o, s:o, s:o, s:I, s:I}", "rx", by_kind(m->c.rx), "tx", by_kind(m->c.tx),
			"status", st, "rx_not_lma", (json_int_t)m->c.rx_not_lma, "rx_unexpected",
			(json_int_t)m->c.rx_unexpected);
	for (const struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link))
		nb++;
	return json_pack("{s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, "
			 "s:i}}",
			 "dataplane", dp ? dp : json_object(), "signaling", sig, "nd", "rs",
			 (json_int_t)m->c.rs, "ra", (json_int_t)m->c.ra, "ns", (json_int_t)m->c.ns,
			 "na", (json_int_t)m->c.na, "bad", (json_int_t)m->c.nd_bad, "unknown_mac",
			 (json_int_t)m->c.unknown_mac, "mag", "attach", (json_int_t)m->c.attach,
			 "detach", (json_int_t)m->c.detach, "idle_detach",
			 (json_int_t)m->c.idle_detach, "link_detach", (json_int_t)m->c.link_detach,
			 "bindings", nb);
}

json_t *mag_ctl_peers(void *ctx, const json_t *req, char *err, size_t errlen)
{
	struct mag *m = ctx;
	char a[INET6_ADDRSTRLEN];
	int nb = 0;

	(void)req;
	(void)err;
	(void)errlen;
	for (const struct mag_binding *b = LIST_FIRST(&m->bindings); b; b = LIST_NEXT(b, link))
		nb += b->bul.state == BUL_REGISTERED;
	inet_ntop(AF_INET6, &m->cfg->lma, a, sizeof(a));
	json_t *p = json_pack("{s:s, s:s, s:i, s:I}", "lma", a, "state",
			      !m->hb.up	     ? "down"
			      : m->lma_heard ? "up"
					     : "unknown",
			      "bindings", nb, "heartbeat_ignored", (json_int_t)m->hb.ignored);
	json_object_set_new(p, "restart_counter",
			    m->hb.rc_known ? json_integer(m->hb.rc) : json_null());
	json_object_set_new(p, "last_seen",
			    m->lma_last_seen ? json_real(wall_now() - m->lma_last_seen)
					     : json_null());
	json_object_set_new(p, "own_restart_counter", json_integer(m->restart_counter));
	json_object_set_new(p, "reason", m->lma_reason ? json_string(m->lma_reason) : json_null());
	json_object_set_new(p, "since",
			    m->lma_changed ? json_real(wall_now() - m->lma_changed) : json_null());
	json_object_set_new(p, "heartbeat",
			    json_string(!m->cfg->timers.heartbeat_interval_s ? "off"
					: m->lma_no_hb			     ? "unsupported"
									     : "on"));
	return json_pack("[o]", p);
}
