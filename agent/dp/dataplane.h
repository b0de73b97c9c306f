/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dataplane.h — the agent's view of the BPF data plane. dataplane.c is the only
 * module that knows libbpf, map layouts and pin paths; everything else speaks in
 * mobile nodes (an index the agent allocates), BIDs, prefixes and selectors.
 *
 * Lifetime: fm_dp_open() loads the programs or reuses the maps and programs
 * pinned by an earlier run of the same instance (a restart is hitless), attaches
 * them as BPF links pinned with the maps, so that they outlive the process (a
 * restart swaps its programs into the pinned links), and fm_dp_close() only frees
 * memory. A failed open leaves behind nothing it created.
 * fm_dp_cleanup() detaches and unpins an instance for good.
 *
 * Every call returns 0 or a negative errno, and logs what failed.
 */
#ifndef FLOWMOB_DATAPLANE_H
#define FLOWMOB_DATAPLANE_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "mh/ts.h"

struct fm_dp;

enum fm_dp_role {
	FM_DP_LMA = 1,
	FM_DP_MAG = 2,
};

enum fm_dp_mode {
	FM_DP_MODE_XDP = 1,	/* native XDP (veth and most NICs) */
	FM_DP_MODE_XDP_GENERIC, /* SKB-mode XDP */
	FM_DP_MODE_TC,		/* TC ingress: a tcx link (Linux 6.6+) */
};

#define FM_DP_MAX_IFACES 16

struct fm_dp_opts {
	const char *instance; /* pins live in <bpffs>/flowmob/<instance>/ */
	const char *bpffs;    /* bpffs mount point, default /sys/fs/bpf */
	enum fm_dp_role role;
	enum fm_dp_mode mode;
	struct in6_addr local; /* LMA address, or the MAG's Proxy-CoA: the tunnel source */
	struct in6_addr lma;   /* MAG only: the LMA, tunnel destination for uplink */
	/* LMA: core-facing (downlink in) and MAG-facing (uplink in) interfaces.
	 * MAG: core = the LMA-facing interface, access = the MN-facing ones. */
	const char *core_ifaces[FM_DP_MAX_IFACES];
	int n_core;
	const char *access_ifaces[FM_DP_MAX_IFACES];
	int n_access;
	/* Per-interface attach mode, same index as the names; 0 = use mode. Switching
	 * an interface's mode across a restart removes our attachment of the old mode. */
	enum fm_dp_mode core_modes[FM_DP_MAX_IFACES];
	enum fm_dp_mode access_modes[FM_DP_MAX_IFACES];
	uint16_t tunnel_mtu; /* largest outer packet; bigger inner packets get PTB. 0 = link MTU */
	uint8_t hop_limit;   /* outer hop limit, 0 = 64 */
	/* Map sizes, 0 = default. A restart keeps the sizes of the pinned maps. */
	uint32_t max_mns;	/* MN ids are 1..max_mns (default 65536); /64 prefixes 3x */
	uint32_t max_bindings;	/* default 2 * max_mns (the map has a spare for copy on write) */
	uint32_t max_rulesets;	/* distinct rule sets, shared by content (default
				   min(max_mns, 1024)) */
	uint32_t flow_cache;	/* flow-cache LRU entries (default 65536) */
	uint32_t cls_intervals; /* classifier interval pool (48 octets each; default 64 per
				   rule set, at least 65536) */
	uint32_t ptb_per_sec;	/* Packet Too Big messages per second per CPU (default 100) */
};

int fm_dp_open(const struct fm_dp_opts *opts, struct fm_dp **out);
void fm_dp_close(struct fm_dp *dp);
/* The start succeeded (the daemon is ready): a first start's pins are from now on
 * a healthy run's, reused by the next start. Until then (or fm_dp_close) a start
 * that is killed leaves pins that the next fm_dp_open removes instead of reusing. */
void fm_dp_commit(struct fm_dp *dp);
/* The start failed after fm_dp_open: undo what the open did (links it created are
 * detached and unpinned, links it updated get their earlier program back, and on a
 * first start every map it pinned is unpinned), then close. opts: the open's. */
void fm_dp_abandon(struct fm_dp *dp, const struct fm_dp_opts *opts);
/* Bytes of BPF maps fm_dp_open would create with opts (an estimate, for the
 * configuration's memory check). */
uint64_t fm_dp_map_bytes(const struct fm_dp_opts *opts);

/* What the maps hold at most: what the LMA may accept (registrations beyond get
 * PBA 130). */
struct fm_dp_limits {
	uint32_t mns;	   /* MN ids 1..mns */
	uint32_t bindings; /* bindings in all */
	uint32_t prefixes; /* /64 prefixes in all */
	uint32_t rulesets; /* distinct rule sets */
};
int fm_dp_limits(struct fm_dp *dp, struct fm_dp_limits *l);
/* Detach the instance's programs (every BPF link pinned in its pin directory,
 * whatever the interface and mode) and unpin its maps. Only opts->instance and
 * opts->bpffs are used. */
int fm_dp_cleanup(const struct fm_dp_opts *opts);
/* True when fm_dp_open found and reused pinned state of an earlier run. */
bool fm_dp_reused(const struct fm_dp *dp);

/* ---- LMA ------------------------------------------------------------------ */

/* Home network prefix -> mobile node; packets to it with no rule match go to default_bid. */
int fm_dp_prefix_set(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen, uint32_t mn,
		     uint16_t default_bid);
int fm_dp_prefix_del(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen);

/* Binding cache entry [mn, bid] -> Proxy-CoA (the MAG), with its access technology. */
struct fm_dp_binding {
	struct in6_addr coa;
	uint8_t att;
	bool down; /* peer down: rules skip it and fall back to other bindings */
};
int fm_dp_binding_set(struct fm_dp *dp, uint32_t mn, uint16_t bid, const struct fm_dp_binding *b);
int fm_dp_binding_del(struct fm_dp *dp, uint32_t mn, uint16_t bid);

/* MAGs whose tunnelled uplink is accepted (before the per-MN anti-spoofing check). */
int fm_dp_peer_set(struct fm_dp *dp, const struct in6_addr *mag);
int fm_dp_peer_del(struct fm_dp *dp, const struct in6_addr *mag);

enum fm_dp_action {
	FM_DP_FORWARD = 0,
	FM_DP_DROP = 1,
};

/* One flow-mobility cache entry as the data plane sees it. A rule targets a BID,
 * or (bid == 0) the first of the MN's bindings whose access technology is listed in
 * att[] (placement policies: the same rule set then serves every MN). */
#define FM_DP_MAX_ATT 4
struct fm_dp_rule {
	uint16_t fid;
	uint16_t priority; /* FID-PRI: lower value first */
	uint8_t action;	   /* enum fm_dp_action */
	bool active;
	uint16_t bid;
	uint8_t n_att;
	uint8_t att[FM_DP_MAX_ATT];
	struct fm_ts ts;
};
/* Rules fm_dp_rules_set takes per MN (the bit-vector classifier's width). */
#define FM_DP_RULES_MAX 256
/* The agent's own per-MN limit (policies in the configuration, FMC entries). */
#define FM_DP_MAX_RULES 64

/* Replace the MN's whole rule set atomically (two slots, one 8-byte flip). */
int fm_dp_rules_set(struct fm_dp *dp, uint32_t mn, const struct fm_dp_rule *rules, unsigned n);
/* Forget everything about an MN (rules, counters). Prefixes and bindings are removed by their
 * calls. */
int fm_dp_mn_del(struct fm_dp *dp, uint32_t mn);

/* ---- MAG ------------------------------------------------------------------ */

/* Prefix of an attached MN -> access interface and MN MAC (downlink delivery,
 * uplink source check). */
int fm_dp_mag_route_set(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen,
			const char *access_iface, const uint8_t mn_mac[6], uint32_t mn);
int fm_dp_mag_route_del(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen);

/* ---- counters --------------------------------------------------------------- */

struct fm_dp_counters {
	uint64_t packets;
	uint64_t bytes;
};
int fm_dp_binding_counters(struct fm_dp *dp, uint32_t mn, uint16_t bid, struct fm_dp_counters *c);
int fm_dp_fid_counters(struct fm_dp *dp, uint32_t mn, uint16_t fid, struct fm_dp_counters *c);
/* MAG: traffic seen from and to an MN (idle detection). */
int fm_dp_mn_counters(struct fm_dp *dp, uint32_t mn, struct fm_dp_counters *c);

/* Global per-outcome and per-drop-reason counters, summed over CPUs. */
int fm_dp_stats_count(void);
const char *fm_dp_stat_name(int idx);
int fm_dp_stats(struct fm_dp *dp, uint64_t *out, int n);

/* ---- next hops, tests and tools ------------------------------------------------ */

/* Pin a next hop (egress interface and MACs) for binding [mn, bid] on the LMA, or
 * for the LMA on a MAG (mn and bid ignored), instead of resolving it by FIB lookup. */
int fm_dp_nexthop_static(struct fm_dp *dp, uint32_t mn, uint16_t bid, int ifindex,
			 const uint8_t dmac[6], const uint8_t smac[6]);
/* File descriptor of a data-plane map (by its pin name, e.g. "fm_flows") or of the
 * loaded program (tc = false: XDP entry point); for tests and benchmarks. */
int fm_dp_map_fd(struct fm_dp *dp, const char *name);
int fm_dp_prog_fd(struct fm_dp *dp, bool tc);
/* The pin directory of this instance (<bpffs>/flowmob/<instance>/<layout>). */
const char *fm_dp_pin_dir(const struct fm_dp *dp);

/* ---- reconciliation after a restart ------------------------------------------ */

typedef void (*fm_dp_binding_cb)(uint32_t mn, uint16_t bid, const struct fm_dp_binding *b,
				 void *arg);
typedef void (*fm_dp_prefix_cb)(const struct in6_addr *prefix, uint8_t plen, uint32_t mn,
				uint16_t default_bid, void *arg);
int fm_dp_bindings_foreach(struct fm_dp *dp, fm_dp_binding_cb cb, void *arg);
int fm_dp_prefixes_foreach(struct fm_dp *dp, fm_dp_prefix_cb cb, void *arg);

/* ---- the roles' view: one ops table --------------------------------------------
 * The roles (lma, mag) reach the data plane only through this table and the
 * struct fm_dp * it is called with, so their unit tests substitute a fake table
 * (any pointer serves as the context there). fm_dp_ops points at the fm_dp_*
 * functions above; a NULL member means "not available". */
struct json_t;
struct fm_dp_ops {
	/* LMA */
	int (*prefix_set)(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen,
			  uint32_t mn, uint16_t default_bid);
	int (*prefix_del)(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen);
	int (*binding_set)(struct fm_dp *dp, uint32_t mn, uint16_t bid,
			   const struct fm_dp_binding *b);
	int (*binding_del)(struct fm_dp *dp, uint32_t mn, uint16_t bid);
	int (*peer_set)(struct fm_dp *dp, const struct in6_addr *mag);
	int (*peer_del)(struct fm_dp *dp, const struct in6_addr *mag);
	int (*rules_set)(struct fm_dp *dp, uint32_t mn, const struct fm_dp_rule *rules, unsigned n);
	int (*mn_del)(struct fm_dp *dp, uint32_t mn);
	int (*binding_counters)(struct fm_dp *dp, uint32_t mn, uint16_t bid,
				struct fm_dp_counters *c);
	int (*fid_counters)(struct fm_dp *dp, uint32_t mn, uint16_t fid, struct fm_dp_counters *c);
	int (*bindings_foreach)(struct fm_dp *dp, fm_dp_binding_cb cb, void *arg);
	int (*prefixes_foreach)(struct fm_dp *dp, fm_dp_prefix_cb cb, void *arg);
	/* MAG */
	int (*mag_route_set)(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen,
			     const char *access_iface, const uint8_t mn_mac[6], uint32_t mn);
	int (*mag_route_del)(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen);
	int (*mn_counters)(struct fm_dp *dp, uint32_t mn, struct fm_dp_counters *c);
	/* LMA: the maps' capacity (NULL: unlimited) */
	int (*limits)(struct fm_dp *dp, struct fm_dp_limits *l);
	/* both: the global counters as a JSON object {name: count} (new reference, NULL on error)
	 */
	struct json_t *(*stats_json)(struct fm_dp *dp);
};
extern const struct fm_dp_ops fm_dp_ops;

#endif /* FLOWMOB_DATAPLANE_H */
