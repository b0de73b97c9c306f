// SPDX-License-Identifier: GPL-2.0
/*
 * lma_ctl.c — the LMA's control commands (docs/control-protocol.md): bindings,
 * flows, stats, peers, flow.add, flow.move, flow.del, with their own JSON for
 * bindings and peers (flows: lma_flow_json, shared with the flow events).
 *
 * Layer: above flow mobility (lma_flow.c) and lma_base.c; called by the daemon
 * glue (lma_daemon.c) through lma.h only.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "lma/lma_flow.h"
#include "lma/lma_peer.h"
#include "mh/mh_json.h"

/* ---- control commands ------------------------------------------------------------------ */

static json_t *binding_json(struct lma *l, const struct bce_binding *b, uint64_t now)
{
	json_t *o = lma_ev_fields(b->mn, b);
	struct fm_dp_counters c = {0};

	DP(l, binding_counters, b->mn->index, b->bid, &c);
	json_object_set_new(o, "lifetime", json_integer(lma_binding_left_s(b, now)));
	json_object_set_new(o, "state", json_string(bce_state_name(b->state)));
	json_object_set_new(o, "hi", json_integer(b->hi));
	json_object_set_new(o, "mn_index", json_integer(b->mn->index));
	json_object_set_new(o, "packets", json_integer((json_int_t)c.packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)c.bytes));
	return o;
}

/*
 * Paging (docs/control-protocol.md): a request with "offset" and/or "limit" gets
 * {"items": [...], "offset", "total", "next"} with at most limit entries from
 * offset on ("next": the offset of the next page, null after the last), so that a
 * listing of any size fits in replies under the control socket's cap. Without
 * them the reply is the whole array, as before.
 */
#define LMA_PAGE_MAX 10000

struct page {
	bool paged;
	uint64_t offset, limit, seen;
	json_t *items;
};

static int page_init(struct page *pg, const json_t *req, char *err, size_t errlen)
{
	json_t *o = json_object_get(req, "offset"), *n = json_object_get(req, "limit");

	memset(pg, 0, sizeof(*pg));
	pg->paged = o || n;
	pg->limit = UINT64_MAX;
	if (o && (!json_is_integer(o) || json_integer_value(o) < 0)) {
		snprintf(err, errlen, "\"offset\" must be an integer >= 0");
		return -1;
	}
	if (n && (!json_is_integer(n) || json_integer_value(n) < 1 ||
		  json_integer_value(n) > LMA_PAGE_MAX)) {
		snprintf(err, errlen, "\"limit\" must be an integer 1..%d", LMA_PAGE_MAX);
		return -1;
	}
	if (pg->paged) {
		pg->offset = o ? (uint64_t)json_integer_value(o) : 0;
		pg->limit = n ? (uint64_t)json_integer_value(n) : LMA_PAGE_MAX;
	}
	pg->items = json_array();
	return 0;
}

/* Whether the next entry is on the page (counts it either way). */
static bool page_wants(struct page *pg)
{
	uint64_t i = pg->seen++;

	return i >= pg->offset && i - pg->offset < pg->limit;
}

static json_t *page_done(struct page *pg)
{
	uint64_t end = pg->offset + json_array_size(pg->items);
	json_t *o;

	if (!pg->paged)
		return pg->items;
	o = json_object();
	json_object_set_new(o, "items", pg->items);
	json_object_set_new(o, "offset", json_integer((json_int_t)pg->offset));
	json_object_set_new(o, "total", json_integer((json_int_t)pg->seen));
	json_object_set_new(o, "next",
			    end < pg->seen ? json_integer((json_int_t)end) : json_null());
	return o;
}

json_t *lma_cmd_bindings(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	uint64_t now = fm_now_ms();
	const struct bce_mn *mn;
	struct page pg;

	if (page_init(&pg, req, err, errlen))
		return NULL;
	TAILQ_FOREACH(mn, &l->bce.mns, link)
	{
		if (pg.paged && json_array_size(pg.items) >= pg.limit)
			break; /* the page is full; the total is known */
		if (pg.paged && pg.seen + mn->n_b <= pg.offset) {
			pg.seen += mn->n_b; /* before the page: skip whole MNs */
			continue;
		}
		for (unsigned i = 0; i < mn->n_b; i++)
			if (page_wants(&pg))
				json_array_append_new(pg.items, binding_json(l, mn->b[i], now));
	}
	pg.seen = l->bce.n_bindings;
	return page_done(&pg);
}

json_t *lma_cmd_flows(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	const struct bce_mn *mn;
	struct page pg;

	if (page_init(&pg, req, err, errlen))
		return NULL;
	TAILQ_FOREACH(mn, &l->bce.mns, link)
	{
		for (unsigned i = 0; i < mn->fmc.n; i++)
			if (page_wants(&pg))
				json_array_append_new(pg.items,
						      lma_flow_json(l, mn, &mn->fmc.flows[i]));
	}
	return page_done(&pg);
}

json_t *lma_cmd_stats(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	json_t *o = json_object(), *sig = json_object(), *rx = json_object(), *tx = json_object(),
	       *st = json_object(), *dp = NULL;

	(void)req;
	(void)err;
	(void)errlen;
	for (int k = MH_PBU; k < MH_KIND_COUNT; k++) {
		json_object_set_new(rx, mh_kind_name(k), json_integer((json_int_t)l->rx[k]));
		json_object_set_new(tx, mh_kind_name(k), json_integer((json_int_t)l->tx[k]));
		for (int s = 0; s < 256; s++)
			if (l->status[k][s]) {
				char key[32];

				snprintf(key, sizeof(key), "%s:%d", mh_kind_name(k), s);
				json_object_set_new(st, key,
						    json_integer((json_int_t)l->status[k][s]));
			}
	}
	json_object_set_new(sig, "rx", rx);
	json_object_set_new(sig, "tx", tx);
	json_object_set_new(sig, "status", st);
	json_object_set_new(sig, "rx_ignored", json_integer((json_int_t)l->rx_ignored));
	json_object_set_new(sig, "pbu_retransmissions",
			    json_integer((json_int_t)l->pbu_retransmissions));
	json_object_set_new(sig, "pending", json_integer(lma_flow_pending(l)));
	json_object_set_new(sig, "parked", json_integer(lma_flow_parked(l)));
	if (l->h.dp && l->h.dp->stats_json)
		dp = l->h.dp->stats_json(l->h.dp_ctx);
	json_object_set_new(o, "dataplane", dp ? dp : json_object());
	json_object_set_new(o, "signaling", sig);
	json_object_set_new(o, "mobile_nodes", json_integer(l->bce.n_mns));
	json_object_set_new(o, "bindings", json_integer(l->bce.n_bindings));
	json_object_set_new(o, "prefixes_used", json_integer(l->bce.pool_used));
	json_object_set_new(o, "restart_counter", json_integer(l->restart_counter));
	return o;
}

/* {"<status>": n} of the PBAs rejecting the peer's PBUs. */
static json_t *peer_rejected(const struct lma_peer *p)
{
	json_t *o = json_object();
	char k[16];

	for (int i = 1; i < 256; i++)
		if (p->rejected[i]) {
			snprintf(k, sizeof(k), "%d", i);
			json_object_set_new(o, k, json_integer((json_int_t)p->rejected[i]));
		}
	return o;
}

/* {"header-len": n, ...}: every fault, zeros included (stable keys for metrics). */
static json_t *peer_malformed(const struct lma_peer *p)
{
	json_t *o = json_object();

	for (int i = 0; i < FM_MH_FAULT_COUNT; i++)
		json_object_set_new(o, fm_mh_fault_name((enum fm_mh_fault)i),
				    json_integer((json_int_t)p->malformed[i]));
	return o;
}

json_t *lma_cmd_peers(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	json_t *a = json_array();
	uint64_t now = fm_now_ms();

	(void)req;
	(void)err;
	(void)errlen;
	for (int i = 0; i < l->n_peers; i++) {
		struct lma_peer *p = &l->peers[i];
		json_t *o = json_object();
		const struct bce_mn *mn;
		unsigned n = 0;

		TAILQ_FOREACH(mn, &l->bce.mns, link)
		{
			for (unsigned j = 0; j < mn->n_b; j++)
				n += !memcmp(&mn->b[j]->mag, &p->addr, 16);
		}
		json_object_set_new(o, "mag", j_addr(&p->addr));
		json_object_set_new(o, "state", json_string(p->hb.up ? "up" : "down"));
		if (p->hb.rc_known)
			json_object_set_new(o, "restart_counter", json_integer(p->hb.rc));
		else
			json_object_set_new(o, "restart_counter", json_null());
		if (p->hb.last_seen_ms)
			json_object_set_new(o, "last_seen",
					    json_real((double)(now - p->hb.last_seen_ms) / 1000.0));
		else
			json_object_set_new(o, "last_seen", json_null());
		json_object_set_new(o, "missed", json_integer(p->hb.missed));
		json_object_set_new(o, "bindings", json_integer(n));
		json_object_set_new(o, "heartbeat", json_string(lma_peer_heartbeat_state(l, p)));
		json_object_set_new(o, "reason", p->reason ? json_string(p->reason) : json_null());
		json_object_set_new(o, "since",
				    p->changed_ms
					? json_real((double)(now - p->changed_ms) / 1000.0)
					: json_null());
		json_object_set_new(o, "rejected", peer_rejected(p));
		json_object_set_new(o, "restarts_ignored",
				    json_integer((json_int_t)p->restarts_ignored));
		json_object_set_new(o, "malformed", peer_malformed(p));
		json_array_append_new(a, o);
	}
	return a;
}

static struct bce_mn *req_mn(struct lma *l, const json_t *req, char *err, size_t errlen)
{
	const char *nai = json_string_value(json_object_get(req, "mn"));
	struct bce_mn *mn;

	if (!nai) {
		snprintf(err, errlen, "missing \"mn\"");
		return NULL;
	}
	mn = bce_mn_find(&l->bce, nai);
	if (!mn)
		snprintf(err, errlen, "unknown mobile node '%s'", nai);
	return mn;
}

static int req_u16(const json_t *req, const char *key, bool required, int def, char *err,
		   size_t errlen)
{
	json_t *v = json_object_get(req, key);

	if (!v) {
		if (required)
			snprintf(err, errlen, "missing \"%s\"", key);
		return required ? -1 : def;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535) {
		snprintf(err, errlen, "\"%s\" must be an integer 0..65535", key);
		return -1;
	}
	return (int)json_integer_value(v);
}

/* flow.add's request as a flow cache entry for mn; -1 with err when it is not one. */
static int flow_from_req(struct bce_mn *mn, const json_t *req, struct fmc_flow *f, char *err,
			 size_t errlen)
{
	const char *action = json_string_value(json_object_get(req, "action"));
	bool drop = action && !strcmp(action, "drop");
	int fid, pri, bid, att;
	char terr[128];
	json_t *sel;

	memset(f, 0, sizeof(*f));
	if ((fid = req_u16(req, "fid", true, 0, err, errlen)) < 0 ||
	    (pri = req_u16(req, "priority", false, 0, err, errlen)) < 0 ||
	    (bid = req_u16(req, "bid", false, 0, err, errlen)) < 0 ||
	    (att = req_u16(req, "att", false, 0, err, errlen)) < 0)
		return -1;
	if (fid == 0) {
		snprintf(err, errlen, "FID 0 is reserved");
		return -1;
	}
	if (fmc_find(&mn->fmc, (uint16_t)fid)) {
		snprintf(err, errlen, "FID %d already exists for %s", fid, mn->nai);
		return -1;
	}
	if (!bid && !att && !drop) {
		snprintf(err, errlen, "missing \"bid\" (or \"att\", or action drop)");
		return -1;
	}
	if (bid && !bce_binding_find(mn, (uint16_t)bid)) {
		snprintf(err, errlen, "unknown BID %d for %s", bid, mn->nai);
		return -1;
	}
	if (att > 255) {
		snprintf(err, errlen, "\"att\" must be 1..255");
		return -1;
	}
	if (action && strcmp(action, "forward") && !drop) {
		snprintf(err, errlen, "\"action\" must be forward or drop");
		return -1;
	}
	sel = json_object_get(req, "selector");
	if (!sel || !json_is_object(sel)) {
		snprintf(err, errlen, "missing \"selector\" object");
		return -1;
	}
	if (ts_from_json(sel, TS_FMT_IPV6, &f->ts, terr, sizeof(terr))) {
		snprintf(err, errlen, "selector: %s", terr);
		return -1;
	}
	f->fid = (uint16_t)fid;
	f->priority = (uint16_t)pri;
	f->action = drop ? FM_DP_DROP : FM_DP_FORWARD;
	f->origin = FMC_CTL;
	if (bid) {
		f->n_bids = 1;
		f->bids[0] = (uint16_t)bid;
	} else if (att) {
		f->n_att = 1;
		f->att[0] = (uint8_t)att;
	}
	return 0;
}

json_t *lma_cmd_flow_add(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	struct bce_mn *mn = req_mn(l, req, err, errlen);
	uint64_t now = fm_now_ms(), dp_errors;
	struct fmc_flow f;
	json_t *o;

	if (!mn || flow_from_req(mn, req, &f, err, errlen))
		return NULL;
	if (fmc_add(&mn->fmc, &f)) {
		snprintf(err, errlen, "flow mobility cache of %s is full (%d flows)", mn->nai,
			 FMC_MAX_FLOWS);
		return NULL;
	}
	dp_errors = l->dp_errors;
	lma_replace_flows(l, mn, now);
	if (l->dp_errors != dp_errors) {
		/* the rules did not fit (every rule set in use): the flow goes again */
		struct fmc_flow *nf = fmc_find(&mn->fmc, f.fid);

		if (nf && nf->signalled && l->cfg->lma.flow_signaling == FM_SIG_FMI)
			lma_send_fmi(l, TXN_FMI_CANCEL, mn, nf, &nf->signalled_mag, NULL, now);
		fmc_del(&mn->fmc, f.fid);
		lma_replace_flows(l, mn, now);
		snprintf(err, errlen,
			 "no room in the data plane for the rules of %s (every rule set in use; "
			 "see max-mns): flow %u not added",
			 mn->nai, f.fid);
		return NULL;
	}
	o = lma_flow_json(l, mn, fmc_find(&mn->fmc, f.fid));
	lma_emit(l, "flow-add", json_deep_copy(o));
	return o;
}

json_t *lma_cmd_flow_move(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	struct bce_mn *mn = req_mn(l, req, err, errlen);
	struct fmc_flow *f, old;
	int fid, bid, att;
	uint64_t now = fm_now_ms(), dp_errors;

	if (!mn)
		return NULL;
	if ((fid = req_u16(req, "fid", true, 0, err, errlen)) < 0 ||
	    (bid = req_u16(req, "bid", false, 0, err, errlen)) < 0 ||
	    (att = req_u16(req, "att", false, 0, err, errlen)) < 0)
		return NULL;
	f = fmc_find(&mn->fmc, (uint16_t)fid);
	if (!f) {
		snprintf(err, errlen, "unknown FID %d for %s", fid, mn->nai);
		return NULL;
	}
	if (!bid == !att || att > 255) {
		snprintf(err, errlen, "give exactly one of \"bid\" or \"att\" (1..255)");
		return NULL;
	}
	if (bid && !bce_binding_find(mn, (uint16_t)bid)) {
		snprintf(err, errlen, "unknown BID %d for %s", bid, mn->nai);
		return NULL;
	}
	if (att) {
		bool have = false;

		for (unsigned i = 0; i < mn->n_b && !have; i++)
			have = mn->b[i]->att == att;
		if (!have) {
			snprintf(err, errlen,
				 "%s has no binding with access technology %d: flow %d not moved",
				 mn->nai, att, fid);
			return NULL;
		}
	}
	old = *f;
	dp_errors = l->dp_errors;
	f->rescued = false; /* an operator's placement replaces the one saved by a rescue */
	if (bid) {
		struct bce_binding *to = bce_binding_find(mn, (uint16_t)bid);

		f->n_att = 0;
		f->n_bids = 1;
		f->bids[0] = (uint16_t)bid;
		if (f->dp_bid == bid && bce_binding_usable(to) && f->signalled &&
		    l->cfg->lma.flow_signaling == FM_SIG_FMI &&
		    !memcmp(&f->signalled_mag, &to->mag, 16)) {
			/* already there: the request refreshes the MAG's flow state */
			lma_send_fmi(l, TXN_FMI_REFRESH, mn, f, &to->mag, to, now);
		}
	} else {
		f->n_att = 1;
		f->att[0] = (uint8_t)att;
	}
	lma_replace_flows(l, mn, now);
	if (l->dp_errors != dp_errors) {
		/* the rules did not fit: back to where the flow was */
		f = fmc_find(&mn->fmc, (uint16_t)fid);
		if (f) {
			f->n_bids = old.n_bids;
			memcpy(f->bids, old.bids, sizeof(f->bids));
			f->n_att = old.n_att;
			memcpy(f->att, old.att, sizeof(f->att));
			f->rescued = old.rescued;
		}
		lma_replace_flows(l, mn, now);
		snprintf(err, errlen,
			 "no room in the data plane for the rules of %s (every rule set in use): "
			 "flow %d not moved",
			 mn->nai, fid);
		return NULL;
	}
	return lma_flow_json(l, mn, fmc_find(&mn->fmc, (uint16_t)fid));
}

json_t *lma_cmd_flow_del(void *lp, const json_t *req, char *err, size_t errlen)
{
	struct lma *l = lp;
	struct bce_mn *mn = req_mn(l, req, err, errlen);
	struct fmc_flow *f;
	json_t *o;
	int fid;

	if (!mn)
		return NULL;
	if ((fid = req_u16(req, "fid", true, 0, err, errlen)) < 0)
		return NULL;
	f = fmc_find(&mn->fmc, (uint16_t)fid);
	if (!f) {
		snprintf(err, errlen, "unknown FID %d for %s", fid, mn->nai);
		return NULL;
	}
	if (f->signalled) /* FMI state at a MAG, whatever flow-signaling is now */
		lma_send_fmi(l, TXN_FMI_CANCEL, mn, f, &f->signalled_mag, NULL, fm_now_ms());
	fmc_del(&mn->fmc, (uint16_t)fid);
	lma_push_rules(l, mn);
	o = lma_ev_fields(mn, NULL);
	json_object_set_new(o, "fid", json_integer(fid));
	lma_emit(l, "flow-del", o);
	lma_mark_dirty(l);
	lma_mn_maybe_free(l, mn);
	return json_null();
}
