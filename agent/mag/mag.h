/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mag.h — the Mobile Access Gateway role (RFC 5213 §6, the seed draft §3–5,
 * RFC 7864, RFC 5846, RFC 5847).
 *
 * The protocol logic (struct mag) is free of sockets and libbpf: it is driven by
 * mag_rx_nd() (access-link ND frames), mag_rx_mh() (Mobility Header messages from
 * the LMA), the control handlers and its timers, and acts only through the hooks
 * below. Its timers (core/timer) are embedded in their owners: each binding's
 * registration (bul.h), RA and idle check, each flow's lifetime, the heartbeat and
 * the link poll. On a libev loop they fire by themselves; without one (unit tests,
 * an injected clock) mag_tick(now) fires those due. mag_daemon.c wires it to the
 * daemon (mag_ops): the MH socket, one AF_PACKET socket per access interface, the
 * data plane and the control socket.
 */
#ifndef FLOWMOB_MAG_H
#define FLOWMOB_MAG_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <netinet/in.h>

#include "core/list.h"
#include "core/timer.h"
#include "mag/bul.h"
#include "daemon/config.h"
#include "dp/dataplane.h"
#include "mh/mh.h"
#include "mag/ndisc.h"
#include "proto/heartbeat.h"

#define MAG_MAX_FLOWS	    32
#define MAG_PROBES	    3	 /* neighbour probes before an idle MN is detached */
#define MAG_PROBE_MS	    1000 /* between probes */
#define MAG_LINK_POLL_MS    1000 /* IFF_RUNNING polling of the access interfaces */
#define MAG_WITHDRAW_RAS    3	 /* RAs that repeat a withdrawn prefix with lifetime 0 */
#define MAG_ROUTER_LIFETIME 1800

struct mag;

struct mag_hooks {
	void *ctx;
	int (*send_mh)(void *ctx, const struct mh_msg *m, const struct in6_addr *dst);
	/* Send an RA/NS as a frame on access interface iface (index into cfg access list). */
	int (*send_ra)(void *ctx, int iface, const uint8_t dst_mac[6], const struct in6_addr *dst,
		       const struct nd_ra *ra);
	int (*send_ns)(void *ctx, int iface, const uint8_t dst_mac[6], const struct in6_addr *dst,
		       const struct in6_addr *target);
	int (*link_running)(void *ctx, const char *iface);	    /* 1, 0, or <0: unknown */
	void (*event)(void *ctx, const char *name, json_t *fields); /* steals fields */
	/* the data plane: routes (mag_route_set/del), per-MN counters, stats_json;
	 * fm_dp_ops, a test's fake, or NULL: no data plane */
	const struct fm_dp_ops *dp;
	struct fm_dp *dp_ctx;
	/* RFC 4285: true when every message from peer is verified (a key is configured);
	 * NULL: nothing is authenticated. Read through mag_lma_authenticated(). */
	bool (*authenticated)(void *ctx, const struct in6_addr *peer);
};

struct mag_mn;

struct mag_flow {
	struct mag_mn *mn;	/* the owner (set once) */
	struct fm_timer expiry; /* armed while expires_ms */
	bool used;
	uint16_t fid;
	uint16_t priority;
	bool has_ts;
	struct fm_ts ts;
	uint8_t n_bids;
	uint16_t bids[8];
	uint32_t lifetime_s; /* as granted, 0xffff infinite */
	uint64_t expires_ms; /* 0: never */
	/* destination prefixes this MAG must deliver for the flow: the selector's
	 * destination, or else the HNP options of the FMI that added it (seed
	 * Figures 5-6: a flow moved here that is addressed to another MAG's prefix) */
	uint8_t n_routes;
	struct fm_prefix routes[BUL_MAX_PREFIXES];
	const char *origin; /* "fmi" or "pba" */
};

struct mag_mn {
	struct mag *mag;
	char id[FM_NAI_MAX + 1];
	uint8_t mac[6];
	uint32_t idx; /* data-plane MN index: position in the config + 1 */
	struct mag_flow flows[MAG_MAX_FLOWS];
};

struct mag_binding {
	LIST_ENTRY(mag_binding) link; /* struct mag's bindings */
	struct mag *mag;
	struct mag_mn *mn;
	int iface; /* index into cfg->mag.access_ifaces */
	struct bul_entry bul;
	bool mn_ll_known;
	struct in6_addr mn_ll;
	int n_routed;
	struct fm_prefix routed[BUL_MAX_PREFIXES]; /* prefixes routed and advertised */
	int n_withdraw;
	struct fm_prefix withdraw[BUL_MAX_PREFIXES]; /* advertised with lifetime 0 */
	int withdraw_left;
	struct fm_timer ra_timer; /* the next unsolicited RA (registered) */
	/* idle detection (registered, idle-timeout set): checked at least every second */
	struct fm_timer idle_timer;
	struct fm_dp_counters last_ctr;
	uint64_t last_activity_ms;
	uint64_t next_check_ms;
	int probes;
	uint64_t next_probe_ms;
	bool reattach; /* an RS arrived while de-registering */
	const char *detach_reason;
};

struct mag_counters {
	uint64_t rx[MH_KIND_COUNT], tx[MH_KIND_COUNT]; /* by enum mh_kind */
	uint64_t rx_not_lma, rx_unexpected;
	uint64_t pba_status[256], fma_status[256], bra_status[256], upa_status[256];
	uint64_t rs, ra, ns, na, nd_bad, unknown_mac;
	uint64_t attach, detach, idle_detach, link_detach;
};

struct mag {
	/* the daemon's running configuration, read in place (a reload updates it) */
	const struct fm_config *conf;
	const struct fm_cfg_mag *cfg; /* &conf->mag */
	const char *instance;
	struct mag_hooks h;
	struct bul_ctx bc;
	int n_mns;
	struct mag_mn *mns;
	LIST_HEAD(, mag_binding) bindings;
	uint8_t iface_mac[FM_CFG_MAX_IFACES][6];
	int iface_running[FM_CFG_MAX_IFACES]; /* last polled state, -1 unknown */
	struct fm_timers timers;	      /* every timer of this MAG */
	struct fm_timer link_timer;
	uint32_t ra_mtu;
	uint16_t next_seq;
	/* FMI sequence window (one LMA) and the last answer, for retransmitted FMIs */
	bool fmi_seq_known;
	uint16_t fmi_last_seq;
	struct mh_msg last_fma;
	/* heartbeat (RFC 5847): liveness and restarts of the LMA (proto/heartbeat) */
	uint32_t restart_counter; /* ours, persisted by the daemon */
	uint32_t hb_seq;	  /* last request sent */
	struct fm_timer hb_timer;
	struct fm_hb hb;
	bool lma_heard;		/* a heartbeat proved the LMA alive at least once */
	double lma_last_seen;	/* unix seconds, 0 never */
	const char *lma_reason; /* of the LMA's last up/down transition (static string) */
	double lma_changed;	/* when (unix seconds), 0 never */
	bool lma_no_hb;		/* the LMA answered a heartbeat with BE 2: none sent since */
	struct mag_counters c;
};

/* cfg (the MAG section is used) must outlive the MAG: it is read in place, never
 * copied. loop: the timers' libev loop, NULL for a manual wheel run by mag_tick.
 * restart_counter: ours, already incremented. */
struct mag *mag_create(const struct fm_config *cfg, const struct mag_hooks *h, struct ev_loop *loop,
		       uint32_t restart_counter, uint64_t now);
void mag_destroy(struct mag *m);
/* SIGHUP, before the caller copies next over the running configuration: timers,
 * flow requests, ATTs and keep-flow-state change (read in place from then on);
 * MNs and interfaces need a restart (config.c's reload table keeps them). */
int mag_reload(struct mag *m, const struct fm_config *next);
void mag_set_iface_mac(struct mag *m, int iface, const uint8_t mac[6]);
void mag_set_ra_mtu(struct mag *m, uint32_t mtu);

void mag_rx_nd(struct mag *m, int iface, const uint8_t *frame, size_t len, uint64_t now);
void mag_rx_mh(struct mag *m, const struct mh_msg *msg, const struct in6_addr *src, uint64_t now);
/* Without a loop: fire every timer due at now. Next due time, or BUL_NO_DEADLINE. */
void mag_tick(struct mag *m, uint64_t now);
uint64_t mag_deadline(const struct mag *m);
/* Deregister every binding (stop with "detach-all"), e.g. for --cleanup. */
void mag_detach_all(struct mag *m, uint64_t now);

/* Persistence across a restart: the registered bindings as JSON
 * ([{"mn","iface","bid","seq","prefixes":[...],"mn_ll"}]), and their restoration:
 * each restored binding is taken as registered (its routes are re-set, which the
 * data plane kept anyway) and refreshed at once with a PBU carrying its prefixes
 * and BID. Returns the number restored. */
json_t *mag_bindings_save(const struct mag *m);
int mag_bindings_restore(struct mag *m, const json_t *saved, uint64_t now);

/* Lookups. */
int mag_iface_index(const struct mag *m, const char *name);
/* The LMA signs its messages and the MH socket verified them (RFC 4285). */
bool mag_lma_authenticated(const struct mag *m);
struct mag_mn *mag_mn_by_id(struct mag *m, const char *id);
struct mag_mn *mag_mn_by_mac(struct mag *m, const uint8_t mac[6]);
struct mag_binding *mag_binding_find(struct mag *m, const struct mag_mn *mn, int iface);

/* Control commands (fm_ctl_handler signature; ctx is the struct mag). */
json_t *mag_ctl_attach(void *ctx, const json_t *req, char *err, size_t errlen);
json_t *mag_ctl_detach(void *ctx, const json_t *req, char *err, size_t errlen);
json_t *mag_ctl_bindings(void *ctx, const json_t *req, char *err, size_t errlen);
json_t *mag_ctl_flows(void *ctx, const json_t *req, char *err, size_t errlen);
json_t *mag_ctl_stats(void *ctx, const json_t *req, char *err, size_t errlen);
json_t *mag_ctl_peers(void *ctx, const json_t *req, char *err, size_t errlen);

json_t *mag_binding_json(const struct mag *m, const struct mag_binding *b, uint64_t now);

#endif /* FLOWMOB_MAG_H */
