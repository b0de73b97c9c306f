/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h — flowmobd's configuration, read from YAML with libcyaml (config.c).
 * Every key is documented in docs/configuration.md; examples in docs/examples/.
 * fm_config_load() either fills the whole struct or fails with a message that
 * names the key (and the line, where libcyaml reports it); it never leaves a
 * half-loaded config, so a bad SIGHUP reload keeps the running one.
 */
#ifndef FLOWMOB_CONFIG_H
#define FLOWMOB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

#include "core/prefix.h"
#include "dp/dataplane.h"
#include "mh/auth.h"
#include "mh/ts.h"

#define FM_CFG_MAX_IFACES   FM_DP_MAX_IFACES
#define FM_CFG_MAX_MAGS	    64
#define FM_CFG_MAX_POLICIES FM_DP_MAX_RULES
#define FM_CFG_MAX_MNS	    1024
#define FM_NAI_MAX	    255

enum fm_role {
	FM_ROLE_LMA = 1,
	FM_ROLE_MAG = 2,
};

enum fm_prefix_policy {
	FM_PP_DEFAULT = 0, /* per-MN entries only: use the LMA's prefix-policy */
	FM_PP_UNIQUE,	   /* seed §3.1 scenario 1: a new prefix per interface */
	FM_PP_SHARED,	   /* scenario 2: every interface shares the MN's prefixes */
	FM_PP_HYBRID,	   /* scenario 3: shared prefixes plus one of the interface's own */
};

enum fm_ordering {
	FM_ORDER_TIMESTAMP = 1,
	FM_ORDER_SEQUENCE,
};

enum fm_flow_signaling {
	FM_SIG_FMI = 1, /* seed §4: FMI/FMA */
	FM_SIG_UPN,	/* RFC 7864: UPN/UPA reason FLOW-MOBILITY, then PBU/PBA */
};

/* A placement policy (template: its FID applies to every MN). */
struct fm_cfg_policy {
	uint16_t fid;
	uint16_t priority;
	struct fm_ts selector;
	uint8_t n_att;
	uint8_t prefer_att[FM_DP_MAX_ATT];
	bool drop;
};

struct fm_cfg_lma_mn {
	char id[FM_NAI_MAX + 1];
	enum fm_prefix_policy prefix_policy; /* FM_PP_DEFAULT: the LMA's */
	bool deny;			     /* refuse registrations (PBA 129) */
};

/* RFC 5847 heartbeats toward one MAG: auto (sent until it answers one with a Binding
 * Error, status 2), on (always), off (never; its liveness is its signaling). */
enum fm_hb_mode { FM_HB_AUTO = 0, FM_HB_ON, FM_HB_OFF };

struct fm_cfg_lma_timers {
	uint32_t min_delay_before_bce_delete_ms;     /* 10000 */
	uint32_t max_delay_before_new_bce_assign_ms; /* 1500 */
	uint32_t timestamp_window_ms;		     /* 300 */
	uint32_t heartbeat_interval_s;		     /* 60; 0 = off */
	uint32_t heartbeat_missed;		     /* 3 */
	uint32_t retransmit_initial_ms;		     /* 1500 (FMI, BRI, UPN) */
	uint32_t retransmit_max_ms;		     /* 32000 */
	uint32_t max_lifetime_s;		     /* longest lifetime granted, 65532 max */
};

struct fm_cfg_lma {
	struct in6_addr address;
	char core_ifaces[FM_CFG_MAX_IFACES][IF_NAMESIZE];
	int n_core;
	char access_ifaces[FM_CFG_MAX_IFACES][IF_NAMESIZE];
	int n_access;
	enum fm_dp_mode dataplane;
	/* interface-modes: the interface's own attach mode, 0 = dataplane's */
	enum fm_dp_mode core_modes[FM_CFG_MAX_IFACES];
	enum fm_dp_mode access_modes[FM_CFG_MAX_IFACES];
	struct fm_prefix prefix_pool; /* /48 in the example: /64s are handed out from it */
	enum fm_prefix_policy prefix_policy;
	enum fm_ordering ordering;
	enum fm_flow_signaling flow_signaling;
	struct in6_addr mags[FM_CFG_MAX_MAGS];
	enum fm_hb_mode mag_heartbeat[FM_CFG_MAX_MAGS]; /* per MAG, lma.peers (default auto) */
	int n_mags;
	/* lma.mag-keys: RFC 4285 key of mags[i] (len 0: none), read from its key-file */
	struct mh_auth_key mag_keys[FM_CFG_MAX_MAGS];
	struct fm_cfg_policy policies[FM_CFG_MAX_POLICIES];
	int n_policies;
	struct fm_cfg_lma_mn mobile_nodes[FM_CFG_MAX_MNS];
	int n_mobile_nodes;
	struct fm_cfg_lma_timers timers;
	uint16_t tunnel_mtu; /* 0: the access link's MTU */
};

struct fm_cfg_access_iface {
	char name[IF_NAMESIZE];
	uint8_t att;
	enum fm_dp_mode mode; /* mag.interface-modes, 0 = mag.dataplane */
	/* Flow requests the MAG puts in its PBUs for MNs on this link (seed §3.2). */
	struct fm_cfg_policy flow_requests[8];
	int n_flow_requests;
};

struct fm_cfg_mag_mn {
	uint8_t mac[6];
	char id[FM_NAI_MAX + 1];
};

struct fm_cfg_mag_timers {
	uint32_t retransmit_initial_ms; /* 1500 */
	uint32_t retransmit_max_ms;	/* 32000 */
	uint32_t lifetime_s;		/* requested binding lifetime, 3600 */
	uint32_t ra_interval_s;		/* periodic unsolicited RAs, 10 */
	uint32_t idle_timeout_s;	/* detach a silent MN after this, 0 = never */
	uint32_t heartbeat_interval_s;	/* 60; 0 = off */
	uint32_t heartbeat_missed;	/* 3 */
};

struct fm_cfg_mag {
	struct in6_addr address; /* Proxy-CoA */
	struct in6_addr lma;
	struct mh_auth_key lma_key; /* mag.lma-spi, mag.lma-key-file (len 0: none) */
	char lma_interface[IF_NAMESIZE];
	enum fm_dp_mode dataplane;
	enum fm_dp_mode lma_interface_mode; /* mag.interface-modes, 0 = dataplane */
	struct fm_cfg_access_iface access_ifaces[FM_CFG_MAX_IFACES];
	int n_access;
	struct in6_addr link_local; /* fe80::1: the same on every MAG */
	struct fm_cfg_mag_mn mobile_nodes[FM_CFG_MAX_MNS];
	int n_mobile_nodes;
	bool keep_flow_state; /* keep per-flow state from FMI (seed §5.2) */
	struct fm_cfg_mag_timers timers;
	uint16_t tunnel_mtu;
};

/* metrics: the Prometheus endpoint (core/metrics.h); listen empty: off. */
struct fm_cfg_metrics {
	char listen[64];
	bool per_flow;
};

/* routes: anchored prefixes as kernel routes (dp/routes.h); table 0: off. LMA only. */
struct fm_cfg_routes {
	uint32_t table;
	uint8_t proto;	    /* default FM_ROUTES_PROTO */
	bool home_prefixes; /* also one route per home network prefix in use (default) */
};
#define FM_ROUTES_PROTO 200

struct fm_config {
	char instance[64];
	enum fm_role role;
	uint32_t max_mns;	  /* capacity: mobile nodes; map sizes derive from it */
	int log_level;		  /* enum fm_log_level */
	char control_socket[108]; /* default /run/flowmob/<instance>.sock */
	char bpffs[256];	  /* default /sys/fs/bpf */
	char netns[64];		  /* empty: stay in the current namespace */
	char state_dir[256];	  /* default /var/lib/flowmob/<instance> */
	struct fm_cfg_lma lma;	  /* role: lma */
	struct fm_cfg_mag mag;	  /* role: mag */
	struct fm_cfg_metrics metrics;
	struct fm_cfg_routes routes;
};

/* Defaults of keys that are not derived from another key (the control socket and
 * state directory are derived from the instance name by fm_config_load). */
#define FM_CFG_DEFAULT_BPFFS	  "/sys/fs/bpf"
#define FM_CFG_DEFAULT_LINK_LOCAL "fe80::1"
#define FM_CFG_DEFAULT_PRIORITY	  100 /* a policy's or flow request's priority */
#define FM_CFG_DEFAULT_MAX_MNS	  65536
#define FM_CFG_MAX_MAX_MNS	  (1u << 20) /* the prefix pool manages at most 2^20 /64s */

extern const struct fm_cfg_lma_timers fm_cfg_lma_timers_default;
extern const struct fm_cfg_mag_timers fm_cfg_mag_timers_default;

/*
 * Every default, in one place: what each absent key means, for both sections
 * (timers, attach mode, policies, link-local, log level, bpffs). fm_config_load
 * starts from it; unit tests build their configs from it. The roles use the
 * values as they are: there is no fallback at the point of use.
 */
void fm_config_defaults(struct fm_config *c, enum fm_role role);

/* Load and validate; returns 0, or -1 with a message naming the key in err. */
int fm_config_load(const char *path, struct fm_config *out, char *err, size_t errlen);
/* The same from a buffer (the fuzz harness; name stands for the path in messages and
 * for the folder relative key files are read from). */
int fm_config_load_mem(const char *name, const uint8_t *data, size_t len, struct fm_config *out,
		       char *err, size_t errlen);

/*
 * The host, in the current network namespace (flowmobd --check and every start):
 * the interfaces c names exist, the role's own address is configured on one of
 * them, and map_bytes (the BPF maps sized from max-mns, fm_dp_map_bytes) fits in
 * the available memory. 0, or -1 with "FILE:LINE: key: what" in err (path is
 * re-read for the lines).
 */
int fm_config_check_host(const char *path, const struct fm_config *c, uint64_t map_bytes, char *err,
			 size_t errlen);

/* ---- SIGHUP: which keys a reload may change ---------------------------------- */

enum fm_cfg_reload {
	FM_CFG_RELOAD = 1, /* applied: handed to the role, which uses the new value */
	FM_CFG_RESTART,	   /* needs a restart: the running value is kept, with a warning */
	FM_CFG_REFUSE,	   /* a change refuses the whole reload (role) */
};

/*
 * One row per key of the top level and the role sections (the "reload" column of
 * docs/configuration.md, which tests/unit/test_config.c checks against this table).
 * A section key (lma.timers) covers everything under it; "a[].b" is key b of every
 * entry of list a.
 */
struct fm_cfg_key {
	const char *key;   /* "log-level", "lma.address", "mag.access-interfaces[].att" */
	enum fm_role role; /* 0: top level, both roles */
	enum fm_cfg_reload reload;
	size_t off, len; /* RESTART, REFUSE: the bytes of struct fm_config compared and kept */
	/* RESTART with a rule of its own instead of off/len: resets next's value to
	 * cur's and returns true when they differed */
	bool (*keep)(const struct fm_config *cur, struct fm_config *next);
};

extern const struct fm_cfg_key fm_cfg_keys[];
extern const size_t fm_cfg_n_keys;

/*
 * SIGHUP, before the role sees next: a change of a REFUSE key returns -1 with a
 * message in err (the running configuration stays); otherwise every changed
 * RESTART key of cur's role is reset to its running value in next, with a warning
 * naming it, and the number of keys reset is returned.
 */
int fm_config_reload_filter(const struct fm_config *cur, struct fm_config *next, char *err,
			    size_t errlen);

#endif /* FLOWMOB_CONFIG_H */
