// SPDX-License-Identifier: GPL-2.0
/*
 * config.c — flowmobd's YAML configuration (docs/configuration.md).
 *
 * Two stages. libcyaml loads the file against a schema of "raw" structs (every
 * key known, hyphenated names, enums checked, unknown keys and wrong types
 * rejected); its error log and backtrace are captured and turned into one
 * message "FILE:LINE: key.path: what". Then every value is validated and
 * converted into a heap-allocated struct fm_config (addresses, interface names,
 * selectors, ranges, duplicates), with messages naming the key path, and only a
 * fully valid result is copied out: a failed load never touches *out.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stddef.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "daemon/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/num.h"

/* ---- defaults: what an absent key means ----------------------------------- */

/* RFC 5213 §12 / RFC 6275 values where the RFCs give one (docs/configuration.md). */
const struct fm_cfg_lma_timers fm_cfg_lma_timers_default = {
    .min_delay_before_bce_delete_ms = 10000,
    .max_delay_before_new_bce_assign_ms = 1500,
    .timestamp_window_ms = 300,
    .heartbeat_interval_s = 60,
    .heartbeat_missed = 3,
    .retransmit_initial_ms = 1500,
    .retransmit_max_ms = 32000,
    .max_lifetime_s = 65532,
};

const struct fm_cfg_mag_timers fm_cfg_mag_timers_default = {
    .retransmit_initial_ms = 1500,
    .retransmit_max_ms = 32000,
    .lifetime_s = 3600,
    .ra_interval_s = 10,
    .idle_timeout_s = 0,
    .heartbeat_interval_s = 60,
    .heartbeat_missed = 3,
};

void fm_config_defaults(struct fm_config *c, enum fm_role role)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	c->log_level = FM_LOG_INFO;
	c->max_mns = FM_CFG_DEFAULT_MAX_MNS;
	snprintf(c->bpffs, sizeof(c->bpffs), "%s", FM_CFG_DEFAULT_BPFFS);

	c->lma.dataplane = FM_DP_MODE_XDP;
	c->lma.prefix_policy = FM_PP_UNIQUE;
	c->lma.ordering = FM_ORDER_TIMESTAMP;
	c->lma.flow_signaling = FM_SIG_FMI;
	c->lma.timers = fm_cfg_lma_timers_default;

	c->mag.dataplane = FM_DP_MODE_XDP;
	inet_pton(AF_INET6, FM_CFG_DEFAULT_LINK_LOCAL, &c->mag.link_local);
	c->mag.timers = fm_cfg_mag_timers_default;
}

/* ---- raw (as loaded by libcyaml) ------------------------------------------ */

/* Selector: every field a list of 1 or 2 scalars, kept as strings. */
#define SEL_FIELDS(X)                                                                              \
	X(src_addr, "src-addr")                                                                    \
	X(dst_addr, "dst-addr")                                                                    \
	X(spi, "spi")                                                                              \
	X(flow_label, "flow-label")                                                                \
	X(src_port, "src-port")                                                                    \
	X(dst_port, "dst-port")                                                                    \
	X(tc, "tc")                                                                                \
	X(next_header, "next-header")                                                              \
	X(tos, "tos")                                                                              \
	X(protocol, "protocol")

struct raw_sel {
#define X(m, k)                                                                                    \
	char **m;                                                                                  \
	unsigned m##_count;
	SEL_FIELDS(X)
#undef X
};

struct raw_policy {
	char *fid;
	char *priority;
	struct raw_sel *selector;
	char **prefer_att;
	unsigned prefer_att_count;
	int action; /* 0 absent, 1 forward, 2 drop */
};

struct raw_lma_mn {
	char *id;
	int prefix_policy;
	int deny; /* 0 absent, 1 true, 2 false */
};

struct raw_lma_peer {
	char *mag;
	int heartbeat; /* 0 absent, 1 auto, 2 on, 3 off */
};

struct raw_lma_timers {
	char *min_delay_before_bce_delete;
	char *max_delay_before_new_bce_assign;
	char *timestamp_window;
	char *heartbeat_interval;
	char *heartbeat_missed;
	char *retransmit_initial;
	char *retransmit_max;
	char *max_lifetime;
};

struct raw_mag_key {
	char *mag;
	char *spi;
	char *key_file;
};

struct raw_lma {
	char *address;
	char **core_interfaces;
	unsigned core_interfaces_count;
	char **access_interfaces;
	unsigned access_interfaces_count;
	int dataplane;
	char *prefix_pool;
	int prefix_policy;
	int ordering;
	int flow_signaling;
	char **mags;
	unsigned mags_count;
	struct raw_mag_key *mag_keys;
	unsigned mag_keys_count;
	struct raw_lma_peer *peers;
	unsigned peers_count;
	struct raw_policy *policies;
	unsigned policies_count;
	struct raw_lma_mn *mobile_nodes;
	unsigned mobile_nodes_count;
	struct raw_lma_timers *timers;
	char *tunnel_mtu;
};

struct raw_access {
	char *name;
	char *att;
	struct raw_policy *flow_requests;
	unsigned flow_requests_count;
};

struct raw_mag_mn {
	char *mac;
	char *id;
};

struct raw_mag_timers {
	char *retransmit_initial;
	char *retransmit_max;
	char *lifetime;
	char *ra_interval;
	char *idle_timeout;
	char *heartbeat_interval;
	char *heartbeat_missed;
};

struct raw_mag {
	char *address;
	char *lma;
	char *lma_spi;
	char *lma_key_file;
	char *lma_interface;
	int dataplane;
	struct raw_access *access_interfaces;
	unsigned access_interfaces_count;
	char *link_local;
	struct raw_mag_mn *mobile_nodes;
	unsigned mobile_nodes_count;
	int keep_flow_state; /* 0 absent, 1 true, 2 false */
	struct raw_mag_timers *timers;
	char *tunnel_mtu;
};

struct raw_metrics {
	char *listen;
	int per_flow; /* 0 absent, 1 true, 2 false */
};

struct raw_routes {
	char *table;
	char *proto;
	int home_prefixes; /* 0 absent, 1 true, 2 false */
};

struct raw_config {
	char *instance;
	char *max_mns;
	int role;
	int *log_level;
	char *control_socket;
	char *bpffs;
	char *netns;
	char *state_dir;
	struct raw_lma *lma;
	struct raw_mag *mag;
	struct raw_metrics *metrics;
	struct raw_routes *routes;
};

/* ---- schema ---------------------------------------------------------------- */

#define OPT CYAML_FLAG_OPTIONAL
#define PTR CYAML_FLAG_POINTER
#define STR_PTR(key, flags, st, m)                                                                 \
	CYAML_FIELD_STRING_PTR(key, (flags) | PTR, st, m, 0, CYAML_UNLIMITED)
/* Numbers are loaded as strings and parsed by num() (core/num.h): libcyaml's own
 * unsigned parsing accepts "3abc" as 3 and "1e3" as 1. */
#define UINT_PTR(key, st, m) STR_PTR(key, OPT, st, m)

static const cyaml_strval_t role_strv[] = {{"lma", FM_ROLE_LMA}, {"mag", FM_ROLE_MAG}};
/* Log levels are stored +1 so that 0 can mean "absent" elsewhere; the field is a pointer anyway. */
static const cyaml_strval_t level_strv[] = {
    {"error", FM_LOG_ERROR}, {"warn", FM_LOG_WARN},   {"warning", FM_LOG_WARN},
    {"info", FM_LOG_INFO},   {"debug", FM_LOG_DEBUG},
};
static const cyaml_strval_t dp_strv[] = {
    {"xdp", FM_DP_MODE_XDP}, {"xdp-generic", FM_DP_MODE_XDP_GENERIC}, {"tc", FM_DP_MODE_TC}};
static const cyaml_strval_t pp_strv[] = {
    {"unique", FM_PP_UNIQUE}, {"shared", FM_PP_SHARED}, {"hybrid", FM_PP_HYBRID}};
static const cyaml_strval_t order_strv[] = {{"timestamp", FM_ORDER_TIMESTAMP},
					    {"sequence", FM_ORDER_SEQUENCE}};
static const cyaml_strval_t sig_strv[] = {{"fmi", FM_SIG_FMI}, {"upn", FM_SIG_UPN}};
static const cyaml_strval_t hb_strv[] = {{"auto", 1}, {"on", 2}, {"off", 3}};
static const cyaml_strval_t action_strv[] = {{"forward", 1}, {"drop", 2}};
/* libcyaml's bool takes any word for true: a strict enum refuses "maybe". */
static const cyaml_strval_t bool_strv[] = {{"true", 1},	 {"yes", 1}, {"on", 1},
					   {"false", 2}, {"no", 2},  {"off", 2}};

#define NSTRV(a) CYAML_ARRAY_LEN(a)
#define ENUM_F(key, flags, st, m, tbl)                                                             \
	CYAML_FIELD_ENUM(key, (flags) | CYAML_FLAG_STRICT, st, m, tbl, NSTRV(tbl))

static const cyaml_schema_value_t str_entry = {
    CYAML_VALUE_STRING(PTR, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t sel_fields[] = {
#define X(m, k) CYAML_FIELD_SEQUENCE(k, OPT | PTR, struct raw_sel, m, &str_entry, 1, 2),
    SEL_FIELDS(X)
#undef X
	CYAML_FIELD_END};

static const cyaml_schema_field_t policy_fields[] = {
    UINT_PTR("fid", struct raw_policy, fid),
    UINT_PTR("priority", struct raw_policy, priority),
    CYAML_FIELD_MAPPING_PTR("selector", PTR, struct raw_policy, selector, sel_fields),
    CYAML_FIELD_SEQUENCE("prefer-att", OPT | PTR, struct raw_policy, prefer_att, &str_entry, 0,
			 FM_DP_MAX_ATT),
    ENUM_F("action", OPT, struct raw_policy, action, action_strv),
    CYAML_FIELD_END};
static const cyaml_schema_value_t policy_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_policy, policy_fields),
};

static const cyaml_schema_field_t lma_mn_fields[] = {
    STR_PTR("id", 0, struct raw_lma_mn, id),
    ENUM_F("prefix-policy", OPT, struct raw_lma_mn, prefix_policy, pp_strv),
    ENUM_F("deny", OPT, struct raw_lma_mn, deny, bool_strv), CYAML_FIELD_END};
static const cyaml_schema_value_t lma_mn_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_lma_mn, lma_mn_fields),
};

static const cyaml_schema_field_t lma_peer_fields[] = {
    STR_PTR("mag", 0, struct raw_lma_peer, mag),
    ENUM_F("heartbeat", OPT, struct raw_lma_peer, heartbeat, hb_strv), CYAML_FIELD_END};

static const cyaml_schema_value_t lma_peer_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_lma_peer, lma_peer_fields),
};

static const cyaml_schema_field_t lma_timer_fields[] = {
    UINT_PTR("min-delay-before-bce-delete", struct raw_lma_timers, min_delay_before_bce_delete),
    UINT_PTR("max-delay-before-new-bce-assign", struct raw_lma_timers,
	     max_delay_before_new_bce_assign),
    UINT_PTR("timestamp-window", struct raw_lma_timers, timestamp_window),
    UINT_PTR("heartbeat-interval", struct raw_lma_timers, heartbeat_interval),
    UINT_PTR("heartbeat-missed", struct raw_lma_timers, heartbeat_missed),
    UINT_PTR("retransmit-initial", struct raw_lma_timers, retransmit_initial),
    UINT_PTR("retransmit-max", struct raw_lma_timers, retransmit_max),
    UINT_PTR("max-lifetime", struct raw_lma_timers, max_lifetime),
    CYAML_FIELD_END};

static const cyaml_schema_field_t mag_key_fields[] = {
    STR_PTR("mag", 0, struct raw_mag_key, mag), STR_PTR("spi", 0, struct raw_mag_key, spi),
    STR_PTR("key-file", 0, struct raw_mag_key, key_file), CYAML_FIELD_END};
static const cyaml_schema_value_t mag_key_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_mag_key, mag_key_fields),
};

static const cyaml_schema_field_t lma_fields[] = {
    STR_PTR("address", 0, struct raw_lma, address),
    CYAML_FIELD_SEQUENCE("core-interfaces", PTR, struct raw_lma, core_interfaces, &str_entry, 1,
			 FM_CFG_MAX_IFACES),
    CYAML_FIELD_SEQUENCE("access-interfaces", PTR, struct raw_lma, access_interfaces, &str_entry, 1,
			 FM_CFG_MAX_IFACES),
    ENUM_F("dataplane", OPT, struct raw_lma, dataplane, dp_strv),
    /* keys known only once the interfaces are: the second pass (load_modes) */
    CYAML_FIELD_IGNORE("interface-modes", OPT),
    STR_PTR("prefix-pool", 0, struct raw_lma, prefix_pool),
    ENUM_F("prefix-policy", OPT, struct raw_lma, prefix_policy, pp_strv),
    ENUM_F("ordering", OPT, struct raw_lma, ordering, order_strv),
    ENUM_F("flow-signaling", OPT, struct raw_lma, flow_signaling, sig_strv),
    CYAML_FIELD_SEQUENCE("mags", PTR, struct raw_lma, mags, &str_entry, 1, FM_CFG_MAX_MAGS),
    CYAML_FIELD_SEQUENCE("mag-keys", OPT | PTR, struct raw_lma, mag_keys, &mag_key_entry, 0,
			 FM_CFG_MAX_MAGS),
    CYAML_FIELD_SEQUENCE("peers", OPT | PTR, struct raw_lma, peers, &lma_peer_entry, 0,
			 FM_CFG_MAX_MAGS),
    CYAML_FIELD_SEQUENCE("policies", OPT | PTR, struct raw_lma, policies, &policy_entry, 0,
			 FM_CFG_MAX_POLICIES),
    CYAML_FIELD_SEQUENCE("mobile-nodes", OPT | PTR, struct raw_lma, mobile_nodes, &lma_mn_entry, 0,
			 FM_CFG_MAX_MNS),
    CYAML_FIELD_MAPPING_PTR("timers", OPT | PTR, struct raw_lma, timers, lma_timer_fields),
    UINT_PTR("tunnel-mtu", struct raw_lma, tunnel_mtu), CYAML_FIELD_END};

static const cyaml_schema_field_t access_fields[] = {
    STR_PTR("name", 0, struct raw_access, name), UINT_PTR("att", struct raw_access, att),
    CYAML_FIELD_SEQUENCE("flow-requests", OPT | PTR, struct raw_access, flow_requests,
			 &policy_entry, 0, 8),
    CYAML_FIELD_END};
static const cyaml_schema_value_t access_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_access, access_fields),
};

static const cyaml_schema_field_t mag_mn_fields[] = {STR_PTR("mac", 0, struct raw_mag_mn, mac),
						     STR_PTR("id", 0, struct raw_mag_mn, id),
						     CYAML_FIELD_END};
static const cyaml_schema_value_t mag_mn_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_mag_mn, mag_mn_fields),
};

static const cyaml_schema_field_t mag_timer_fields[] = {
    UINT_PTR("retransmit-initial", struct raw_mag_timers, retransmit_initial),
    UINT_PTR("retransmit-max", struct raw_mag_timers, retransmit_max),
    UINT_PTR("lifetime", struct raw_mag_timers, lifetime),
    UINT_PTR("ra-interval", struct raw_mag_timers, ra_interval),
    UINT_PTR("idle-timeout", struct raw_mag_timers, idle_timeout),
    UINT_PTR("heartbeat-interval", struct raw_mag_timers, heartbeat_interval),
    UINT_PTR("heartbeat-missed", struct raw_mag_timers, heartbeat_missed),
    CYAML_FIELD_END};

static const cyaml_schema_field_t mag_fields[] = {
    STR_PTR("address", 0, struct raw_mag, address),
    STR_PTR("lma", 0, struct raw_mag, lma),
    UINT_PTR("lma-spi", struct raw_mag, lma_spi),
    STR_PTR("lma-key-file", OPT, struct raw_mag, lma_key_file),
    STR_PTR("lma-interface", 0, struct raw_mag, lma_interface),
    ENUM_F("dataplane", OPT, struct raw_mag, dataplane, dp_strv),
    CYAML_FIELD_IGNORE("interface-modes", OPT),
    CYAML_FIELD_SEQUENCE("access-interfaces", PTR, struct raw_mag, access_interfaces, &access_entry,
			 1, FM_CFG_MAX_IFACES),
    STR_PTR("link-local", OPT, struct raw_mag, link_local),
    CYAML_FIELD_SEQUENCE("mobile-nodes", OPT | PTR, struct raw_mag, mobile_nodes, &mag_mn_entry, 0,
			 FM_CFG_MAX_MNS),
    ENUM_F("keep-flow-state", OPT, struct raw_mag, keep_flow_state, bool_strv),
    CYAML_FIELD_MAPPING_PTR("timers", OPT | PTR, struct raw_mag, timers, mag_timer_fields),
    UINT_PTR("tunnel-mtu", struct raw_mag, tunnel_mtu),
    CYAML_FIELD_END};

static const cyaml_schema_field_t metrics_fields[] = {
    STR_PTR("listen", 0, struct raw_metrics, listen),
    ENUM_F("per-flow", OPT, struct raw_metrics, per_flow, bool_strv),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t routes_fields[] = {
    STR_PTR("table", 0, struct raw_routes, table),
    UINT_PTR("proto", struct raw_routes, proto),
    ENUM_F("home-prefixes", OPT, struct raw_routes, home_prefixes, bool_strv),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t top_fields[] = {
    STR_PTR("instance", 0, struct raw_config, instance),
    UINT_PTR("max-mns", struct raw_config, max_mns),
    ENUM_F("role", 0, struct raw_config, role, role_strv),
    CYAML_FIELD_ENUM_PTR("log-level", OPT | PTR | CYAML_FLAG_STRICT, struct raw_config, log_level,
			 level_strv, NSTRV(level_strv)),
    STR_PTR("control-socket", OPT, struct raw_config, control_socket),
    STR_PTR("bpffs", OPT, struct raw_config, bpffs),
    STR_PTR("netns", OPT, struct raw_config, netns),
    STR_PTR("state-dir", OPT, struct raw_config, state_dir),
    CYAML_FIELD_MAPPING_PTR("lma", OPT | PTR, struct raw_config, lma, lma_fields),
    CYAML_FIELD_MAPPING_PTR("mag", OPT | PTR, struct raw_config, mag, mag_fields),
    CYAML_FIELD_MAPPING_PTR("metrics", OPT | PTR, struct raw_config, metrics, metrics_fields),
    CYAML_FIELD_MAPPING_PTR("routes", OPT | PTR, struct raw_config, routes, routes_fields),
    CYAML_FIELD_END};

static const cyaml_schema_value_t top_schema = {
    CYAML_VALUE_MAPPING(PTR, struct raw_config, top_fields),
};

/* ---- libcyaml's log, captured ------------------------------------------------ */

struct cylog {
	char buf[4096];
	size_t len;
};

static void cy_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct cylog *l = ctx;
	int n;

	if (level < CYAML_LOG_ERROR || l->len >= sizeof(l->buf) - 1)
		return;
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, args);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= sizeof(l->buf))
		l->len = sizeof(l->buf) - 1;
}

/* For "Invalid ENUM value": the words the key accepts. */
static void enum_choices(const char *keypath, char *buf, size_t len)
{
	static const struct {
		const char *key;
		const cyaml_strval_t *v;
		unsigned n;
	} tbl[] = {
	    {"role", role_strv, NSTRV(role_strv)},
	    {"log-level", level_strv, NSTRV(level_strv)},
	    {"dataplane", dp_strv, NSTRV(dp_strv)},
	    {"prefix-policy", pp_strv, NSTRV(pp_strv)},
	    {"ordering", order_strv, NSTRV(order_strv)},
	    {"flow-signaling", sig_strv, NSTRV(sig_strv)},
	    {"action", action_strv, NSTRV(action_strv)},
	    {"deny", bool_strv, NSTRV(bool_strv)},
	    {"keep-flow-state", bool_strv, NSTRV(bool_strv)},
	    {"heartbeat", hb_strv, NSTRV(hb_strv)},
	};
	const char *last = strrchr(keypath, '.');
	size_t pos = 0;

	buf[0] = '\0';
	last = last ? last + 1 : keypath;
	if (strstr(keypath, ".interface-modes."))
		last = "dataplane"; /* the key is an interface name */
	for (size_t i = 0; i < sizeof(tbl) / sizeof(tbl[0]); i++) {
		if (strcmp(tbl[i].key, last))
			continue;
		for (unsigned k = 0; k < tbl[i].n; k++) {
			int n =
			    snprintf(buf + pos, len - pos, "%s%s", k ? ", " : "", tbl[i].v[k].str);
			if (n < 0 || (size_t)n >= len - pos)
				break;
			pos += (size_t)n;
		}
	}
}

/*
 * Turn libcyaml's log into "FILE:LINE: key.path: message". The log is the error
 * line ("Load: Unexpected key: foo") followed by a backtrace, innermost first:
 *   "  in mapping field 'b' (line: 3, column: 15)"
 *   "  in sequence entry '2' (line: 4, column: 5)"   (1-based while loading it)
 *   "  in mapping (line: 4, column: 9)"
 */
static void cy_error(const struct cylog *l, const char *path, cyaml_err_t e, char *err,
		     size_t errlen)
{
	char msg[512] = "", keys[16][80];
	int lines[16];
	int nkeys = 0, line = 0, first = 0;
	bool excess = false, missing = false, seq_seen = false;
	const char *p = l->buf;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char ln[512];
		const char *q;

		if (n >= sizeof(ln))
			n = sizeof(ln) - 1;
		memcpy(ln, p, n);
		ln[n] = '\0';
		p += eol ? n + 1 : n;

		q = ln;
		while (*q == ' ')
			q++;
		if (!strncmp(q, "Load: ", 6))
			q += 6;
		if (!strncmp(q, "Backtrace:", 10))
			continue;
		if (!strncmp(q, "in ", 3)) {
			const char *lp = strstr(q, "(line: ");
			const char *a = strchr(q, '\'');
			const char *b = a ? strchr(a + 1, '\'') : NULL;

			if (nkeys < 16 && a && b) {
				size_t kl = (size_t)(b - a - 1);

				if (kl > 60)
					kl = 60;
				lines[nkeys] = lp ? atoi(lp + 7) : 0;
				if (!strncmp(q, "in sequence entry", 17)) {
					long idx = strtol(a + 1, NULL, 10);

					/* the entry being loaded is counted 1-based; only
					 * an excess entry (innermost) is reported 0-based */
					if (!(excess && !seq_seen) && idx > 0)
						idx--;
					seq_seen = true;
					snprintf(keys[nkeys++], sizeof(keys[0]), "[%ld]", idx);
				} else {
					snprintf(keys[nkeys++], sizeof(keys[0]), ".%.*s", (int)kl,
						 a + 1);
				}
			}
			continue;
		}
		if (!msg[0] && *q) {
			snprintf(msg, sizeof(msg), "%s", q);
			excess = !strncmp(q, "Excessive entries", 17);
			missing = !strncmp(q, "Missing required mapping field", 30);
		}
	}
	/* For a missing key the innermost entry is a sibling (the last field
	 * seen), not a parent: drop it. */
	if (missing && nkeys && keys[0][0] == '.')
		first = 1;
	if (first < nkeys)
		line = lines[first];

	char kp[512] = "";
	size_t kl = 0;
	for (int i = nkeys - 1; i >= first; i--) {
		const char *k = keys[i];

		if (kl == 0 && k[0] == '.')
			k++;
		kl += (size_t)snprintf(kp + kl, sizeof(kp) - kl, "%s", k);
		if (kl >= sizeof(kp))
			kl = sizeof(kp) - 1;
	}
	/* "Unexpected key: foo" / "Missing required mapping field: foo": the key is
	 * in the message; append it to the path so the path names it. */
	const char *colon = strrchr(msg, ':');
	if (colon && (!strncmp(msg, "Unexpected key", 14) ||
		      !strncmp(msg, "Missing required mapping field", 30))) {
		const char *k = colon + 1;
		size_t z;

		while (*k == ' ')
			k++;
		snprintf(kp + kl, sizeof(kp) - kl, "%s%s", kl ? "." : "", k);
		z = strlen(kp);
		while (z && isspace((unsigned char)kp[z - 1]))
			kp[--z] = '\0';
		snprintf(msg, sizeof(msg), "%s",
			 msg[0] == 'U' ? "unknown key" : "missing required key");
	}
	if (!msg[0])
		snprintf(msg, sizeof(msg), "%s", cyaml_strerror(e));
	if (!strncmp(msg, "Invalid ENUM value: ", 20)) {
		char choices[200], val[128];

		snprintf(val, sizeof(val), "%.100s", msg + 20);
		enum_choices(kp, choices, sizeof(choices));
		if (choices[0])
			snprintf(msg, sizeof(msg), "'%s' is not one of: %s", val, choices);
	}

	if (line && kp[0])
		snprintf(err, errlen, "%s:%d: %s: %s", path, line, kp, msg);
	else if (line)
		snprintf(err, errlen, "%s:%d: %s", path, line, msg);
	else if (kp[0])
		snprintf(err, errlen, "%s: %s: %s", path, kp, msg);
	else
		snprintf(err, errlen, "%s: %s", path, msg);
}

/* ---- validation helpers ------------------------------------------------------ */

/* ---- key paths and their lines ------------------------------------------------- */

/*
 * libcyaml reports lines for its own errors only; the checks after it name a key
 * path ("lma.mags[1]", "lma.policies[0].selector.dst-port"). A libyaml pass over
 * the same text records the line of every key and sequence entry under its path,
 * so that every message can say "FILE:LINE: key.path: what".
 */
struct kline {
	char *key;
	int line; /* 1-based */
};

struct linemap {
	struct kline *e;
	size_t n, cap;
};

static void lm_add(struct linemap *m, const char *key, int line)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct kline *e = realloc(m->e, cap * sizeof(*e));

		if (!e)
			return;
		m->e = e;
		m->cap = cap;
	}
	m->e[m->n].key = strdup(key);
	if (m->e[m->n].key)
		m->e[m->n++].line = line;
}

static void lm_free(struct linemap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].key);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* The line of key, or of its nearest recorded parent ("lma.policies[0].fid" that
 * is missing: the entry's line); 0 when unknown. The first occurrence wins. */
static int lm_line(const struct linemap *m, const char *key)
{
	char k[256];

	snprintf(k, sizeof(k), "%s", key);
	for (;;) {
		char *cut;

		for (size_t i = 0; i < m->n; i++)
			if (!strcmp(m->e[i].key, k))
				return m->e[i].line;
		cut = strrchr(k, '.');
		if (!cut || (strrchr(k, '[') && strrchr(k, '[') > cut))
			cut = strrchr(k, '[');
		if (!cut || cut == k)
			return 0;
		*cut = '\0';
	}
}

#define LM_DEPTH 32

/* Walk the document's events; a file libyaml cannot parse yields what was seen. */
static void lm_build(struct linemap *m, const uint8_t *data, size_t len)
{
	struct {
		bool map;	/* mapping (else sequence) */
		bool want_key;	/* mapping: the next scalar is a key */
		unsigned idx;	/* sequence: next entry */
		char path[256]; /* this node's path */
		char key[128];	/* mapping: the current key */
	} st[LM_DEPTH];
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return;
	yaml_parser_set_input_string(&p, data, len);
	while (!done && yaml_parser_parse(&p, &ev)) {
		int line = (int)ev.start_mark.line + 1;
		char path[256] = "";
		bool value = false;

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done = ev.type == YAML_STREAM_END_EVENT;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth && st[depth - 1].map && st[depth - 1].want_key) {
				/* a key (only scalar keys have paths) */
				if (ev.type != YAML_SCALAR_EVENT) {
					done = true;
					break;
				}
				snprintf(st[depth - 1].key, sizeof(st[0].key), "%s",
					 (const char *)ev.data.scalar.value);
				st[depth - 1].want_key = false;
				snprintf(path, sizeof(path), "%s%s%s", st[depth - 1].path,
					 st[depth - 1].path[0] ? "." : "", st[depth - 1].key);
				lm_add(m, path, line);
				break;
			}
			value = true;
			if (depth && st[depth - 1].map) {
				snprintf(path, sizeof(path), "%s%s%s", st[depth - 1].path,
					 st[depth - 1].path[0] ? "." : "", st[depth - 1].key);
				st[depth - 1].want_key = true;
			} else if (depth) {
				snprintf(path, sizeof(path), "%s[%u]", st[depth - 1].path,
					 st[depth - 1].idx++);
				lm_add(m, path, line);
			}
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (depth)
				depth--;
			break;
		default:
			break;
		}
		if (value && ev.type != YAML_SCALAR_EVENT) {
			if (depth == LM_DEPTH) {
				done = true;
			} else {
				st[depth].map = ev.type == YAML_MAPPING_START_EVENT;
				st[depth].want_key = true;
				st[depth].idx = 0;
				st[depth].key[0] = '\0';
				snprintf(st[depth].path, sizeof(st[0].path), "%s", path);
				depth++;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

struct vctx {
	const char *path;
	char *err;
	size_t errlen;
	const uint8_t *data; /* the file, read once: both passes parse the same text */
	size_t len;
	struct linemap lines;
	const char *netns; /* host checks: the namespace they run in ("" none) */
};

__attribute__((format(printf, 3, 4))) static int verr(struct vctx *v, const char *key,
						      const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	int line = lm_line(&v->lines, key);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(v->err, v->errlen, "%s:%d: %s: %s", v->path, line, key, msg);
	else
		snprintf(v->err, v->errlen, "%s: %s: %s", v->path, key, msg);
	return -1;
}

static int parse_in6(struct vctx *v, const char *key, const char *s, struct in6_addr *out)
{
	if (!s || inet_pton(AF_INET6, s, out) != 1)
		return verr(v, key, "'%s' is not an IPv6 address", s ? s : "");
	return 0;
}

static int parse_unicast6(struct vctx *v, const char *key, const char *s, struct in6_addr *out)
{
	if (parse_in6(v, key, s, out))
		return -1;
	if (IN6_IS_ADDR_UNSPECIFIED(out) || IN6_IS_ADDR_MULTICAST(out) ||
	    IN6_IS_ADDR_LOOPBACK(out) || IN6_IS_ADDR_LINKLOCAL(out) || IN6_IS_ADDR_V4MAPPED(out))
		return verr(v, key, "'%s' is not a global or unique-local unicast address", s);
	return 0;
}

static bool host_bits_zero(const struct in6_addr *a, unsigned plen)
{
	for (unsigned i = plen; i < 128; i++)
		if (a->s6_addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static int parse_prefix6(struct vctx *v, const char *key, const char *s, struct in6_addr *out,
			 uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long n;

	if (!s || strlen(s) >= sizeof(buf))
		return verr(v, key, "'%s' is not an IPv6 prefix (ADDR/LEN)", s ? s : "");
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return verr(v, key, "'%s' is not an IPv6 prefix (ADDR/LEN)", s);
	*slash = '\0';
	errno = 0;
	n = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || n < 0 || n > 128)
		return verr(v, key, "'%s': bad prefix length", s);
	if (inet_pton(AF_INET6, buf, out) != 1)
		return verr(v, key, "'%s' is not an IPv6 prefix (ADDR/LEN)", s);
	if (!host_bits_zero(out, (unsigned)n))
		return verr(v, key, "'%s' has bits set beyond /%ld", s, n);
	*plen = (uint8_t)n;
	return 0;
}

static int parse_ifname(struct vctx *v, const char *key, const char *s, char out[IF_NAMESIZE])
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= IF_NAMESIZE)
		return verr(v, key, "'%s': interface names are 1 to %d characters", s ? s : "",
			    IF_NAMESIZE - 1);
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || isspace((unsigned char)s[i]) || s[i] == ':')
			return verr(v, key, "'%s' is not a valid interface name", s);
	memcpy(out, s, n + 1);
	return 0;
}

/* instance and netns names end up in paths: [A-Za-z0-9._-], not starting with '.' */
static int parse_name(struct vctx *v, const char *key, const char *s, char *out, size_t outlen)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= outlen)
		return verr(v, key, "must be 1 to %zu characters", outlen - 1);
	if (s[0] == '.' || s[0] == '-')
		return verr(v, key, "'%s' must not start with '%c'", s, s[0]);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return verr(v, key, "'%s': only letters, digits, '.', '_' and '-' allowed",
				    s);
	memcpy(out, s, n + 1);
	return 0;
}

static int parse_path(struct vctx *v, const char *key, const char *s, char *out, size_t outlen)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || s[0] != '/')
		return verr(v, key, "'%s' must be an absolute path", s ? s : "");
	if (n >= outlen)
		return verr(v, key, "path longer than %zu characters", outlen - 1);
	memcpy(out, s, n + 1);
	return 0;
}

static int parse_nai(struct vctx *v, const char *key, const char *s, char out[FM_NAI_MAX + 1])
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > FM_NAI_MAX)
		return verr(v, key, "a mobile node identifier (NAI) is 1 to %d characters",
			    FM_NAI_MAX);
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return verr(v, key, "'%s': NAI with a space or control character", s);
	memcpy(out, s, n + 1);
	return 0;
}

static int parse_mac(struct vctx *v, const char *key, const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (!s || strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return verr(v, key, "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", s ? s : "");
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
			return verr(v, key, "'%s' is not a MAC address", s);
		mac[i] = (uint8_t)b[i];
	}
	if (mac[0] & 1)
		return verr(v, key, "'%s' is a multicast MAC address", s);
	return 0;
}

/*
 * A number key: absent (s NULL) leaves *out as it is (the default); otherwise
 * digits only through core/num.h (decimal or 0x hex: no sign, fraction, exponent
 * or trailing text, so "1e3", "9.9" and "3abc" are refused), within [lo, hi].
 */
static int num(struct vctx *v, const char *key, const char *s, uint32_t lo, uint32_t hi,
	       uint32_t *out)
{
	uint32_t x;

	if (!s)
		return 0;
	if (fm_parse_u32(s, UINT32_MAX, &x))
		return verr(v, key, "'%s' is not a whole number (digits only) in [%u, %u]", s, lo,
			    hi);
	if (x < lo || x > hi)
		return verr(v, key, "%u out of range [%u, %u]", x, lo, hi);
	*out = x;
	return 0;
}

/* ---- selectors ---------------------------------------------------------------- */

/* "parent.name" into buf (key paths are short; an overlong one is cut). */
static const char *kjoin(char *buf, size_t len, const char *parent, const char *name)
{
	if (snprintf(buf, len, "%s.%s", parent, name) >= (int)len)
		buf[len - 1] = '\0';
	return buf;
}

/* "a.b.c.d" -> ::ffff:a.b.c.d, or an IPv6 address. Returns 4, 6 or 0. */
static int parse_any_addr(const char *s, struct in6_addr *out)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, sizeof(*out));
		out->s6_addr[10] = 0xff;
		out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12], &a4, 4);
		return 4;
	}
	if (inet_pton(AF_INET6, s, out) == 1)
		return 6;
	return 0;
}

static int sel_addr(struct vctx *v, const char *key, char **vals, unsigned n, struct ts_val *tv,
		    int *family)
{
	struct in6_addr a[2] = {0};
	int fam[2] = {0, 0};

	if (n == 1 && strchr(vals[0], '/')) {
		/* prefix: the range [first, last] */
		char buf[64], *slash, *end;
		long plen;
		int f, bits;

		if (strlen(vals[0]) >= sizeof(buf))
			return verr(v, key, "'%s' is not an address or prefix", vals[0]);
		strcpy(buf, vals[0]);
		slash = strchr(buf, '/');
		*slash = '\0';
		f = parse_any_addr(buf, &a[0]);
		if (!f)
			return verr(v, key, "'%s' is not an address or prefix", vals[0]);
		bits = f == 4 ? 32 : 128;
		plen = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || plen < 0 || plen > bits)
			return verr(v, key, "'%s': bad prefix length", vals[0]);
		if (f == 4)
			plen += 96;
		a[1] = a[0];
		for (int i = (int)plen; i < 128; i++) {
			a[0].s6_addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
			a[1].s6_addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		}
		if (memcmp(&a[0], &a[1], 16) == 0) {
			tv->n = TS_EXACT;
			tv->addr[0] = a[0];
		} else {
			tv->n = TS_RANGE;
			tv->addr[0] = a[0];
			tv->addr[1] = a[1];
		}
		fam[0] = f;
		fam[1] = f;
	} else {
		for (unsigned i = 0; i < n; i++) {
			fam[i] = parse_any_addr(vals[i], &a[i]);
			if (!fam[i])
				return verr(v, key, "'%s' is not an IPv4 or IPv6 address", vals[i]);
		}
		if (n == 2 && fam[0] != fam[1])
			return verr(v, key, "range mixes IPv4 and IPv6");
		if (n == 2 && memcmp(&a[0], &a[1], 16) > 0)
			return verr(v, key, "range start %s is above its end %s", vals[0], vals[1]);
		tv->n = n == 1 ? TS_EXACT : TS_RANGE;
		tv->addr[0] = a[0];
		if (n == 2)
			tv->addr[1] = a[1];
	}
	if (*family && *family != fam[0])
		return verr(v, key, "selector mixes IPv4 and IPv6 addresses");
	*family = fam[0];
	return 0;
}

static int sel_num(struct vctx *v, const char *key, char **vals, unsigned n, uint32_t max,
		   struct ts_val *tv)
{
	uint32_t x[2] = {0, 0};

	for (unsigned i = 0; i < n; i++)
		if (fm_parse_u32(vals[i], max, &x[i]))
			return verr(v, key, "'%s' is not a number in [0, %u]", vals[i], max);
	if (n == 2 && x[0] > x[1])
		return verr(v, key, "range start %u is above its end %u", x[0], x[1]);
	tv->n = n == 1 ? TS_EXACT : TS_RANGE;
	tv->num[0] = x[0];
	tv->num[1] = n == 2 ? x[1] : 0;
	return 0;
}

static int parse_selector(struct vctx *v, const char *pkey, const struct raw_sel *rs,
			  struct fm_ts *ts)
{
	char key[160];
	int family = 0;
	bool v4names = rs->tos || rs->protocol;

	memset(ts, 0, sizeof(*ts));
#define K(name) kjoin(key, sizeof(key), pkey, name)
	if (rs->tos && rs->tc)
		return verr(v, K("tos"), "'tos' and 'tc' are the same field; give one");
	if (rs->protocol && rs->next_header)
		return verr(v, K("protocol"), "'protocol' and 'next-header' are the same field");

	if (rs->src_addr && sel_addr(v, K("src-addr"), rs->src_addr, rs->src_addr_count,
				     &ts->f[TS_SRC_ADDR], &family))
		return -1;
	if (rs->dst_addr && sel_addr(v, K("dst-addr"), rs->dst_addr, rs->dst_addr_count,
				     &ts->f[TS_DST_ADDR], &family))
		return -1;
	if (family == 6 && v4names)
		return verr(v, K(rs->tos ? "tos" : "protocol"),
			    "IPv4 field name in a selector with IPv6 addresses (use %s)",
			    rs->tos ? "tc" : "next-header");
	if (family == 4 || (family == 0 && v4names)) {
		ts->format = TS_FMT_IPV4;
		if (rs->flow_label)
			return verr(v, K("flow-label"), "an IPv4 selector has no flow label");
	} else {
		ts->format = TS_FMT_IPV6;
	}

	if (rs->spi && sel_num(v, K("spi"), rs->spi, rs->spi_count, 0xffffffffu, &ts->f[TS_SPI]))
		return -1;
	if (rs->flow_label && sel_num(v, K("flow-label"), rs->flow_label, rs->flow_label_count,
				      0xfffff, &ts->f[TS_FLOW_LABEL]))
		return -1;
	if (rs->src_port && sel_num(v, K("src-port"), rs->src_port, rs->src_port_count, 0xffff,
				    &ts->f[TS_SRC_PORT]))
		return -1;
	if (rs->dst_port && sel_num(v, K("dst-port"), rs->dst_port, rs->dst_port_count, 0xffff,
				    &ts->f[TS_DST_PORT]))
		return -1;
	if (rs->tc && sel_num(v, K("tc"), rs->tc, rs->tc_count, 0xff, &ts->f[TS_TC]))
		return -1;
	if (rs->tos && sel_num(v, K("tos"), rs->tos, rs->tos_count, 0xff, &ts->f[TS_TC]))
		return -1;
	if (rs->next_header && sel_num(v, K("next-header"), rs->next_header, rs->next_header_count,
				       0xff, &ts->f[TS_NEXT_HEADER]))
		return -1;
	if (rs->protocol && sel_num(v, K("protocol"), rs->protocol, rs->protocol_count, 0xff,
				    &ts->f[TS_NEXT_HEADER]))
		return -1;
#undef K
	return 0;
}

static int parse_policy(struct vctx *v, const char *pkey, const struct raw_policy *rp,
			struct fm_cfg_policy *p, bool need_att)
{
	char key[160];

	memset(p, 0, sizeof(*p));
#define K(name) kjoin(key, sizeof(key), pkey, name)
	uint32_t x = 0;

	if (!rp->fid)
		return verr(v, K("fid"), "missing required key");
	if (num(v, K("fid"), rp->fid, 1, 65535, &x))
		return -1;
	p->fid = (uint16_t)x;
	x = FM_CFG_DEFAULT_PRIORITY;
	if (num(v, K("priority"), rp->priority, 0, 65535, &x))
		return -1;
	p->priority = (uint16_t)x;
	p->drop = rp->action == 2;
	if (parse_selector(v, K("selector"), rp->selector, &p->selector))
		return -1;
	for (unsigned i = 0; i < rp->prefer_att_count; i++) {
		snprintf(key, sizeof(key), "%s.prefer-att[%u]", pkey, i);
		if (fm_parse_u32(rp->prefer_att[i], 255, &x) || x < 1)
			return verr(v, key, "'%s' is not an access technology type (1-255)",
				    rp->prefer_att[i]);
		for (unsigned j = 0; j < p->n_att; j++)
			if (p->prefer_att[j] == x)
				return verr(v, key, "%u listed twice", x);
		p->prefer_att[p->n_att++] = (uint8_t)x;
	}
	if (need_att && !p->drop && p->n_att == 0)
		return verr(v, K("prefer-att"),
			    "a forwarding placement policy needs at least one access technology");
#undef K
	return 0;
}

static int check_dup_fids(struct vctx *v, const char *pkey, const struct fm_cfg_policy *p, int n)
{
	char key[160];

	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (p[i].fid == p[j].fid) {
				snprintf(key, sizeof(key), "%s[%d].fid", pkey, i);
				return verr(v, key, "duplicate FID %u (also %s[%d])", p[i].fid,
					    pkey, j);
			}
	return 0;
}

/* ---- the sections ---------------------------------------------------------------- */

static int check_mtu(struct vctx *v, const char *key, const char *m, uint16_t *out)
{
	uint32_t x = 0;

	if (num(v, key, m, 0, 65535, &x))
		return -1;
	if (x != 0 && x < 1280)
		return verr(v, key, "%u: 0 (the link's MTU) or 1280-65535", x);
	*out = (uint16_t)x;
	return 0;
}

static int iface_list(struct vctx *v, const char *pkey, char **names, unsigned n,
		      char out[][IF_NAMESIZE], int *count)
{
	char key[160];

	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s[%u]", pkey, i);
		if (parse_ifname(v, key, names[i], out[i]))
			return -1;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(out[i], out[j]))
				return verr(v, key, "interface '%s' listed twice", out[i]);
	}
	*count = (int)n;
	return 0;
}

/* An RFC 4285 key: spi and the key file (relative to the configuration's folder). */
static int load_key(struct vctx *v, const char *key, unsigned spi, const char *file,
		    struct mh_auth_key *k)
{
	char path[PATH_MAX], msg[PATH_MAX + 128];
	const char *slash = strrchr(v->path, '/');

	if (spi < MH_AUTH_SPI_MIN)
		return verr(v, key, "spi %u is reserved (RFC 4285: 0-255); use %d or more", spi,
			    MH_AUTH_SPI_MIN);
	if (file[0] == '/' || !slash)
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - v->path), v->path, file);
	if (mh_auth_key_file(path, k, msg, sizeof(msg)))
		return verr(v, key, "%s", msg);
	k->spi = spi;
	return 0;
}

static int load_lma(struct vctx *v, const struct raw_lma *r, struct fm_cfg_lma *l)
{
	const struct raw_lma_timers *t = r->timers;
	struct raw_lma_timers none = {0};
	bool peer_seen[FM_CFG_MAX_MAGS] = {0};
	char key[160];

	if (parse_unicast6(v, "lma.address", r->address, &l->address))
		return -1;
	if (iface_list(v, "lma.core-interfaces", r->core_interfaces, r->core_interfaces_count,
		       l->core_ifaces, &l->n_core))
		return -1;
	if (iface_list(v, "lma.access-interfaces", r->access_interfaces, r->access_interfaces_count,
		       l->access_ifaces, &l->n_access))
		return -1;
	for (int i = 0; i < l->n_access; i++)
		for (int j = 0; j < l->n_core; j++)
			if (!strcmp(l->access_ifaces[i], l->core_ifaces[j])) {
				snprintf(key, sizeof(key), "lma.access-interfaces[%d]", i);
				return verr(v, key, "'%s' is also a core interface",
					    l->access_ifaces[i]);
			}
	if (r->dataplane)
		l->dataplane = (enum fm_dp_mode)r->dataplane;
	if (parse_prefix6(v, "lma.prefix-pool", r->prefix_pool, &l->prefix_pool.addr,
			  &l->prefix_pool.plen))
		return -1;
	if (l->prefix_pool.plen > 64)
		return verr(v, "lma.prefix-pool", "/%u is longer than the /64s handed out from it",
			    l->prefix_pool.plen);
	if (IN6_IS_ADDR_LINKLOCAL(&l->prefix_pool.addr) ||
	    IN6_IS_ADDR_MULTICAST(&l->prefix_pool.addr) ||
	    IN6_IS_ADDR_UNSPECIFIED(&l->prefix_pool.addr))
		return verr(v, "lma.prefix-pool", "'%s' is not a global or unique-local prefix",
			    r->prefix_pool);
	if (r->prefix_policy)
		l->prefix_policy = (enum fm_prefix_policy)r->prefix_policy;
	if (r->ordering)
		l->ordering = (enum fm_ordering)r->ordering;
	if (r->flow_signaling)
		l->flow_signaling = (enum fm_flow_signaling)r->flow_signaling;

	for (unsigned i = 0; i < r->mags_count; i++) {
		snprintf(key, sizeof(key), "lma.mags[%u]", i);
		if (parse_unicast6(v, key, r->mags[i], &l->mags[i]))
			return -1;
		for (unsigned j = 0; j < i; j++)
			if (IN6_ARE_ADDR_EQUAL(&l->mags[i], &l->mags[j]))
				return verr(v, key, "MAG %s listed twice", r->mags[i]);
		if (IN6_ARE_ADDR_EQUAL(&l->mags[i], &l->address))
			return verr(v, key, "%s is the LMA's own address", r->mags[i]);
	}
	l->n_mags = (int)r->mags_count;
	for (unsigned i = 0; i < r->mag_keys_count; i++) {
		const struct raw_mag_key *mk = &r->mag_keys[i];
		struct in6_addr a;
		int j;

		snprintf(key, sizeof(key), "lma.mag-keys[%u]", i);
		if (parse_unicast6(v, key, mk->mag, &a))
			return -1;
		for (j = 0; j < l->n_mags && !IN6_ARE_ADDR_EQUAL(&a, &l->mags[j]); j++)
			;
		if (j == l->n_mags)
			return verr(v, key, "%s is not one of lma.mags", mk->mag);
		if (l->mag_keys[j].len)
			return verr(v, key, "a second key for MAG %s", mk->mag);
		{
			char sk[180];
			uint32_t spi = 0;

			snprintf(sk, sizeof(sk), "%s.spi", key);
			if (num(v, sk, mk->spi, 0, UINT32_MAX, &spi) ||
			    load_key(v, key, spi, mk->key_file, &l->mag_keys[j]))
				return -1;
		}
	}
	for (unsigned i = 0; i < r->peers_count; i++) {
		struct in6_addr a;
		int j;

		snprintf(key, sizeof(key), "lma.peers[%u].mag", i);
		if (parse_unicast6(v, key, r->peers[i].mag, &a))
			return -1;
		for (j = 0; j < l->n_mags && !IN6_ARE_ADDR_EQUAL(&a, &l->mags[j]); j++)
			;
		if (j == l->n_mags)
			return verr(v, key, "%s is not one of lma.mags", r->peers[i].mag);
		if (peer_seen[j])
			return verr(v, key, "MAG %s listed twice", r->peers[i].mag);
		peer_seen[j] = true;
		if (r->peers[i].heartbeat)
			l->mag_heartbeat[j] = (enum fm_hb_mode)(r->peers[i].heartbeat - 1);
	}

	for (unsigned i = 0; i < r->policies_count; i++) {
		snprintf(key, sizeof(key), "lma.policies[%u]", i);
		if (parse_policy(v, key, &r->policies[i], &l->policies[i], true))
			return -1;
	}
	l->n_policies = (int)r->policies_count;
	if (check_dup_fids(v, "lma.policies", l->policies, l->n_policies))
		return -1;

	for (unsigned i = 0; i < r->mobile_nodes_count; i++) {
		struct fm_cfg_lma_mn *mn = &l->mobile_nodes[i];

		snprintf(key, sizeof(key), "lma.mobile-nodes[%u].id", i);
		if (parse_nai(v, key, r->mobile_nodes[i].id, mn->id))
			return -1;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(mn->id, l->mobile_nodes[j].id))
				return verr(v, key, "mobile node '%s' listed twice", mn->id);
		mn->prefix_policy = (enum fm_prefix_policy)r->mobile_nodes[i].prefix_policy;
		mn->deny = r->mobile_nodes[i].deny == 1;
	}
	l->n_mobile_nodes = (int)r->mobile_nodes_count;

	if (!t)
		t = &none;
	if (num(v, "lma.timers.min-delay-before-bce-delete", t->min_delay_before_bce_delete, 0,
		3600000, &l->timers.min_delay_before_bce_delete_ms) ||
	    num(v, "lma.timers.max-delay-before-new-bce-assign", t->max_delay_before_new_bce_assign,
		0, 3600000, &l->timers.max_delay_before_new_bce_assign_ms) ||
	    num(v, "lma.timers.timestamp-window", t->timestamp_window, 1, 3600000,
		&l->timers.timestamp_window_ms) ||
	    num(v, "lma.timers.heartbeat-interval", t->heartbeat_interval, 0, 86400,
		&l->timers.heartbeat_interval_s) ||
	    num(v, "lma.timers.heartbeat-missed", t->heartbeat_missed, 1, 100,
		&l->timers.heartbeat_missed) ||
	    num(v, "lma.timers.retransmit-initial", t->retransmit_initial, 10, 600000,
		&l->timers.retransmit_initial_ms) ||
	    num(v, "lma.timers.retransmit-max", t->retransmit_max, 10, 3600000,
		&l->timers.retransmit_max_ms) ||
	    num(v, "lma.timers.max-lifetime", t->max_lifetime, 4, 65532, &l->timers.max_lifetime_s))
		return -1;
	if (l->timers.retransmit_max_ms < l->timers.retransmit_initial_ms)
		return verr(v, "lma.timers.retransmit-max", "%u is below retransmit-initial (%u)",
			    l->timers.retransmit_max_ms, l->timers.retransmit_initial_ms);
	if (l->timers.max_lifetime_s % 4)
		return verr(v, "lma.timers.max-lifetime",
			    "%u is not a multiple of 4 (lifetimes travel in 4-second units)",
			    l->timers.max_lifetime_s);
	return check_mtu(v, "lma.tunnel-mtu", r->tunnel_mtu, &l->tunnel_mtu);
}

static int load_mag(struct vctx *v, const struct raw_mag *r, struct fm_cfg_mag *m)
{
	const struct raw_mag_timers *t = r->timers;
	struct raw_mag_timers none = {0};
	char key[160];
	uint32_t lma_spi = 0;

	if (parse_unicast6(v, "mag.address", r->address, &m->address))
		return -1;
	if (parse_unicast6(v, "mag.lma", r->lma, &m->lma))
		return -1;
	if (IN6_ARE_ADDR_EQUAL(&m->address, &m->lma))
		return verr(v, "mag.lma", "the LMA's address equals the MAG's own");
	if (!r->lma_spi != !r->lma_key_file)
		return verr(v, r->lma_spi ? "mag.lma-key-file" : "mag.lma-spi",
			    "lma-spi and lma-key-file go together");
	if (r->lma_spi && (num(v, "mag.lma-spi", r->lma_spi, 0, UINT32_MAX, &lma_spi) ||
			   load_key(v, "mag.lma-key-file", lma_spi, r->lma_key_file, &m->lma_key)))
		return -1;
	if (parse_ifname(v, "mag.lma-interface", r->lma_interface, m->lma_interface))
		return -1;
	if (r->dataplane)
		m->dataplane = (enum fm_dp_mode)r->dataplane;

	for (unsigned i = 0; i < r->access_interfaces_count; i++) {
		const struct raw_access *ra = &r->access_interfaces[i];
		struct fm_cfg_access_iface *a = &m->access_ifaces[i];
		uint32_t att;

		snprintf(key, sizeof(key), "mag.access-interfaces[%u].name", i);
		if (parse_ifname(v, key, ra->name, a->name))
			return -1;
		if (!strcmp(a->name, m->lma_interface))
			return verr(v, key, "'%s' is the lma-interface", a->name);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(a->name, m->access_ifaces[j].name))
				return verr(v, key, "interface '%s' listed twice", a->name);
		snprintf(key, sizeof(key), "mag.access-interfaces[%u].att", i);
		if (!ra->att)
			return verr(v, key, "missing required key");
		if (fm_parse_u32(ra->att, 255, &att) || att < 1)
			return verr(v, key, "'%s' is not an access technology type (1-255)",
				    ra->att);
		a->att = (uint8_t)att;
		for (unsigned k = 0; k < ra->flow_requests_count; k++) {
			snprintf(key, sizeof(key), "mag.access-interfaces[%u].flow-requests[%u]", i,
				 k);
			if (parse_policy(v, key, &ra->flow_requests[k], &a->flow_requests[k],
					 false))
				return -1;
		}
		a->n_flow_requests = (int)ra->flow_requests_count;
		snprintf(key, sizeof(key), "mag.access-interfaces[%u].flow-requests", i);
		if (check_dup_fids(v, key, a->flow_requests, a->n_flow_requests))
			return -1;
	}
	m->n_access = (int)r->access_interfaces_count;

	if (r->link_local) {
		if (parse_in6(v, "mag.link-local", r->link_local, &m->link_local))
			return -1;
		if (!IN6_IS_ADDR_LINKLOCAL(&m->link_local))
			return verr(v, "mag.link-local",
				    "'%s' is not a link-local (fe80::/10) address", r->link_local);
	}

	for (unsigned i = 0; i < r->mobile_nodes_count; i++) {
		struct fm_cfg_mag_mn *mn = &m->mobile_nodes[i];

		snprintf(key, sizeof(key), "mag.mobile-nodes[%u].mac", i);
		if (parse_mac(v, key, r->mobile_nodes[i].mac, mn->mac))
			return -1;
		for (unsigned j = 0; j < i; j++)
			if (!memcmp(mn->mac, m->mobile_nodes[j].mac, 6))
				return verr(v, key, "MAC %s listed twice", r->mobile_nodes[i].mac);
		snprintf(key, sizeof(key), "mag.mobile-nodes[%u].id", i);
		if (parse_nai(v, key, r->mobile_nodes[i].id, mn->id))
			return -1;
	}
	m->n_mobile_nodes = (int)r->mobile_nodes_count;
	m->keep_flow_state = r->keep_flow_state == 1;

	if (!t)
		t = &none;
	if (num(v, "mag.timers.retransmit-initial", t->retransmit_initial, 10, 600000,
		&m->timers.retransmit_initial_ms) ||
	    num(v, "mag.timers.retransmit-max", t->retransmit_max, 10, 3600000,
		&m->timers.retransmit_max_ms) ||
	    num(v, "mag.timers.lifetime", t->lifetime, 4, 65532, &m->timers.lifetime_s) ||
	    num(v, "mag.timers.ra-interval", t->ra_interval, 1, 1800, &m->timers.ra_interval_s) ||
	    num(v, "mag.timers.idle-timeout", t->idle_timeout, 0, 86400,
		&m->timers.idle_timeout_s) ||
	    num(v, "mag.timers.heartbeat-interval", t->heartbeat_interval, 0, 86400,
		&m->timers.heartbeat_interval_s) ||
	    num(v, "mag.timers.heartbeat-missed", t->heartbeat_missed, 1, 100,
		&m->timers.heartbeat_missed))
		return -1;
	if (m->timers.retransmit_max_ms < m->timers.retransmit_initial_ms)
		return verr(v, "mag.timers.retransmit-max", "%u is below retransmit-initial (%u)",
			    m->timers.retransmit_max_ms, m->timers.retransmit_initial_ms);
	if (m->timers.lifetime_s % 4)
		return verr(v, "mag.timers.lifetime",
			    "%u is not a multiple of 4 (lifetimes travel in 4-second units)",
			    m->timers.lifetime_s);
	return check_mtu(v, "mag.tunnel-mtu", r->tunnel_mtu, &m->tunnel_mtu);
}

static int load_top(struct vctx *v, const struct raw_config *r, struct fm_config *c)
{
	if (parse_name(v, "instance", r->instance, c->instance, sizeof(c->instance)))
		return -1;
	if (num(v, "max-mns", r->max_mns, 1, FM_CFG_MAX_MAX_MNS, &c->max_mns))
		return -1;
	c->role = (enum fm_role)r->role;
	if (r->log_level)
		c->log_level = *r->log_level;

	if (r->control_socket) {
		if (parse_path(v, "control-socket", r->control_socket, c->control_socket,
			       sizeof(c->control_socket)))
			return -1;
	} else if ((size_t)snprintf(c->control_socket, sizeof(c->control_socket),
				    "/run/flowmob/%s.sock",
				    c->instance) >= sizeof(c->control_socket)) {
		return verr(v, "instance", "too long for the default control-socket path");
	}
	if (r->bpffs && parse_path(v, "bpffs", r->bpffs, c->bpffs, sizeof(c->bpffs)))
		return -1;
	if (r->netns && parse_name(v, "netns", r->netns, c->netns, sizeof(c->netns)))
		return -1;
	if (r->state_dir) {
		if (parse_path(v, "state-dir", r->state_dir, c->state_dir, sizeof(c->state_dir)))
			return -1;
	} else {
		snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/flowmob/%s", c->instance);
	}

	if (r->metrics) {
		struct sockaddr_storage ss;
		socklen_t sl;
		char e[160] = "longer than 63 characters";

		if (fm_metrics_parse_listen(r->metrics->listen, &ss, &sl, e, sizeof(e)) ||
		    strlen(r->metrics->listen) >= sizeof(c->metrics.listen))
			return verr(v, "metrics.listen", "%s", e);
		strcpy(c->metrics.listen, r->metrics->listen);
		c->metrics.per_flow = r->metrics->per_flow == 1;
	}

	if (r->routes) {
		const struct raw_routes *rr = r->routes;
		uint32_t table = 0, proto = FM_ROUTES_PROTO;

		if (c->role != FM_ROLE_LMA)
			return verr(v, "routes",
				    "only for role lma (it announces the LMA's prefixes)");
		if (num(v, "routes.table", rr->table, 0, UINT32_MAX, &table))
			return -1;
		if (!table || table == 253 || table == 254 || table == 255)
			return verr(v, "routes.table",
				    "%u is not a table for flowmob's routes (1-4294967295, not 253 "
				    "default, 254 main, 255 local)",
				    table);
		if (rr->proto && (fm_parse_u32(rr->proto, 255, &proto) || proto < 1))
			return verr(v, "routes.proto", "'%s' is not a route protocol (1-255)",
				    rr->proto);
		c->routes.table = table;
		c->routes.proto = (uint8_t)proto;
		c->routes.home_prefixes = rr->home_prefixes != 2;
	}

	if (c->role == FM_ROLE_LMA) {
		if (!r->lma)
			return verr(v, "lma", "missing required section for role lma");
		if (r->mag)
			return verr(v, "mag", "section given but role is lma");
		return load_lma(v, r->lma, &c->lma);
	}
	if (!r->mag)
		return verr(v, "mag", "missing required section for role mag");
	if (r->lma)
		return verr(v, "lma", "section given but role is mag");
	if (load_mag(v, r->mag, &c->mag))
		return -1;
	if ((uint32_t)c->mag.n_mobile_nodes > c->max_mns)
		return verr(v, "max-mns", "%u is below the number of mag.mobile-nodes (%d)",
			    c->max_mns, c->mag.n_mobile_nodes);
	return 0;
}

/* ---- interface-modes: the second pass ------------------------------------------ */

/*
 * interface-modes is a mapping whose keys are the role's interface names, known
 * only after the first pass (which ignores it). The second pass loads the file
 * again with a schema built from them: every other key is ignored (the first pass
 * checked it), an unknown interface name is libcyaml's "unexpected key", with the
 * key path and line, and a value outside xdp | xdp-generic | tc a bad enum.
 */
#define MODES_MAX	(2 * FM_CFG_MAX_IFACES)
#define FM_CFG_MAX_FILE (16u << 20)

struct raw_modes {
	int mode[MODES_MAX]; /* 0: not given */
};
struct raw_modes_sect {
	struct raw_modes *modes;
};
struct raw_modes_top {
	struct raw_modes_sect *lma;
	struct raw_modes_sect *mag;
};

/* Every field of src as an optional ignored key (the END entry included). */
static cyaml_schema_field_t *ignoring(const cyaml_schema_field_t *src)
{
	size_t n = 0;
	cyaml_schema_field_t *f;

	while (src[n].key)
		n++;
	f = calloc(n + 1, sizeof(*f));
	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		f[i].key = src[i].key;
		f[i].value.type = CYAML_IGNORE;
		f[i].value.flags = CYAML_FLAG_OPTIONAL;
	}
	return f;
}

static int load_modes(struct vctx *v, struct fm_config *c)
{
	static const cyaml_schema_field_t modes_proto[] = {
	    ENUM_F("x", OPT, struct raw_modes, mode[0], dp_strv), CYAML_FIELD_END};
	bool lma = c->role == FM_ROLE_LMA;
	const char *names[MODES_MAX], *sect = lma ? "lma" : "mag";
	cyaml_schema_field_t mode_f[MODES_MAX + 1] = {0}, *top_f = NULL, *sect_f = NULL;
	struct raw_modes_top *raw = NULL;
	struct raw_modes_sect *rs;
	struct cylog log = {0};
	cyaml_config_t cc = {
	    .log_fn = cy_log,
	    .log_ctx = &log,
	    .mem_fn = cyaml_mem,
	    .log_level = CYAML_LOG_ERROR,
	    .flags = CYAML_CFG_NO_ALIAS,
	};
	cyaml_schema_value_t top;
	cyaml_err_t e;
	int n = 0, ret = -1;

	if (lma) {
		for (int i = 0; i < c->lma.n_core; i++)
			names[n++] = c->lma.core_ifaces[i];
		for (int i = 0; i < c->lma.n_access; i++)
			names[n++] = c->lma.access_ifaces[i];
	} else {
		names[n++] = c->mag.lma_interface;
		for (int i = 0; i < c->mag.n_access && n < MODES_MAX; i++)
			names[n++] = c->mag.access_ifaces[i].name;
	}
	for (int i = 0; i < n; i++) {
		mode_f[i] = modes_proto[0];
		mode_f[i].key = names[i];
		mode_f[i].data_offset += (uint32_t)(i * sizeof(int));
	}

	top_f = ignoring(top_fields);
	sect_f = ignoring(lma ? lma_fields : mag_fields);
	if (!top_f || !sect_f) {
		snprintf(v->err, v->errlen, "%s: out of memory", v->path);
		goto out;
	}
	for (int i = 0; top_f[i].key; i++) {
		if (lma && !strcmp(top_f[i].key, "lma"))
			top_f[i] = (cyaml_schema_field_t)CYAML_FIELD_MAPPING_PTR(
			    "lma", OPT | PTR, struct raw_modes_top, lma, sect_f);
		if (!lma && !strcmp(top_f[i].key, "mag"))
			top_f[i] = (cyaml_schema_field_t)CYAML_FIELD_MAPPING_PTR(
			    "mag", OPT | PTR, struct raw_modes_top, mag, sect_f);
	}
	for (int i = 0; sect_f[i].key; i++)
		if (!strcmp(sect_f[i].key, "interface-modes"))
			sect_f[i] = (cyaml_schema_field_t)CYAML_FIELD_MAPPING_PTR(
			    "interface-modes", OPT | PTR, struct raw_modes_sect, modes, mode_f);
	top = (cyaml_schema_value_t){CYAML_VALUE_MAPPING(PTR, struct raw_modes_top, top_f)};

	e = cyaml_load_data(v->data, v->len, &cc, &top, (cyaml_data_t **)&raw, NULL);
	if (e != CYAML_OK) {
		char *u;

		cy_error(&log, v->path, e, v->err, v->errlen);
		u = strstr(v->err, ": unknown key");
		if (u && strstr(v->err, ".interface-modes.") && !u[13])
			snprintf(u, v->errlen - (size_t)(u - v->err),
				 ": not one of the %s's interfaces (%s)", sect,
				 lma ? "core-interfaces, access-interfaces"
				     : "lma-interface, access-interfaces");
		goto out;
	}
	rs = raw ? (lma ? raw->lma : raw->mag) : NULL;
	if (rs && rs->modes) {
		const int *m = rs->modes->mode;

		if (lma) {
			for (int i = 0; i < c->lma.n_core; i++)
				c->lma.core_modes[i] = (enum fm_dp_mode)m[i];
			for (int i = 0; i < c->lma.n_access; i++)
				c->lma.access_modes[i] = (enum fm_dp_mode)m[c->lma.n_core + i];
		} else {
			c->mag.lma_interface_mode = (enum fm_dp_mode)m[0];
			for (int i = 0; i < c->mag.n_access; i++)
				c->mag.access_ifaces[i].mode = (enum fm_dp_mode)m[1 + i];
		}
	}
	ret = 0;
out:
	if (raw)
		cyaml_free(&cc, &top, raw, 0);
	free(top_f);
	free(sect_f);
	return ret;
}

/* The whole file into *data (malloc'd, not terminated). */
static int read_all(const char *path, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			uint8_t *n = cap >= FM_CFG_MAX_FILE ? NULL : realloc(data, cap + 65536);

			if (!n) {
				snprintf(err, errlen, "%s: %s", path,
					 cap >= FM_CFG_MAX_FILE ? "larger than 16 MiB"
								: "out of memory");
				fclose(f);
				free(data);
				return -1;
			}
			data = n;
			cap += 65536;
		}
		got = fread(data + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	*out = data;
	*outlen = len;
	return 0;
}

int fm_config_load_mem(const char *name, const uint8_t *data, size_t len, struct fm_config *out,
		       char *err, size_t errlen)
{
	struct cylog log = {0};
	cyaml_config_t cc = {
	    .log_fn = cy_log,
	    .log_ctx = &log,
	    .mem_fn = cyaml_mem,
	    .log_level = CYAML_LOG_ERROR,
	    .flags = CYAML_CFG_NO_ALIAS,
	};
	struct raw_config *raw = NULL;
	struct fm_config *tmp = NULL;
	const char *path = name;
	struct vctx v = {.path = name, .err = err, .errlen = errlen, .data = data, .len = len};
	cyaml_err_t e;
	int ret = -1;

	if (errlen)
		err[0] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "%s: empty configuration", path);
		goto out;
	}
	e = cyaml_load_data(data, len, &cc, &top_schema, (cyaml_data_t **)&raw, NULL);
	if (e != CYAML_OK) {
		cy_error(&log, path, e, err, errlen);
		goto out;
	}
	if (!raw) {
		snprintf(err, errlen, "%s: empty configuration", path);
		goto out;
	}

	tmp = malloc(sizeof(*tmp));
	if (!tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	fm_config_defaults(tmp, (enum fm_role)raw->role);
	lm_build(&v.lines, data, len);
	if (load_top(&v, raw, tmp) || load_modes(&v, tmp))
		goto out;
	memcpy(out, tmp, sizeof(*out));
	ret = 0;
out:
	lm_free(&v.lines);
	free(tmp);
	if (raw)
		cyaml_free(&cc, &top_schema, raw, 0);
	return ret;
}

int fm_config_load(const char *path, struct fm_config *out, char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	if (errlen)
		err[0] = '\0';
	/* Read once (both passes parse the same text, even if the file changes). */
	if (read_all(path, &data, &len, err, errlen))
		return -1;
	ret = fm_config_load_mem(path, data, len, out, err, errlen);
	free(data);
	return ret;
}

/* ---- the host: interfaces, own address, memory ----------------------------------------- */

static int host_iface(struct vctx *v, const char *key, const char *name)
{
	if (!if_nametoindex(name))
		return verr(v, key, "interface '%s' does not exist%s", name,
			    v->netns[0] ? " in this network namespace" : "");
	return 0;
}

static int host_addr(struct vctx *v, const char *key, const struct in6_addr *a)
{
	struct ifaddrs *ifa, *i;
	char b[INET6_ADDRSTRLEN];
	bool found = false;

	if (getifaddrs(&ifa))
		return verr(v, key, "cannot list the host's addresses: %s", strerror(errno));
	for (i = ifa; i && !found; i = i->ifa_next)
		found = i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
			IN6_ARE_ADDR_EQUAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a);
	freeifaddrs(ifa);
	if (!found)
		return verr(v, key, "%s is not configured on any interface%s",
			    inet_ntop(AF_INET6, a, b, sizeof(b)),
			    v->netns[0] ? " of this network namespace" : " of this host");
	return 0;
}

/* MemAvailable of /proc/meminfo in bytes, 0 when unknown. */
static uint64_t mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

int fm_config_check_host(const char *path, const struct fm_config *c, uint64_t map_bytes, char *err,
			 size_t errlen)
{
	struct vctx v = {.path = path, .err = err, .errlen = errlen, .netns = c->netns};
	uint8_t *data = NULL;
	size_t len = 0;
	char key[160];
	uint64_t avail = mem_available();
	int rc = -1;

	if (read_all(path, &data, &len, err, errlen))
		return -1;
	lm_build(&v.lines, data, len);
	if (c->role == FM_ROLE_LMA) {
		const struct fm_cfg_lma *l = &c->lma;

		for (int i = 0; i < l->n_core; i++) {
			snprintf(key, sizeof(key), "lma.core-interfaces[%d]", i);
			if (host_iface(&v, key, l->core_ifaces[i]))
				goto out;
		}
		for (int i = 0; i < l->n_access; i++) {
			snprintf(key, sizeof(key), "lma.access-interfaces[%d]", i);
			if (host_iface(&v, key, l->access_ifaces[i]))
				goto out;
		}
		if (host_addr(&v, "lma.address", &l->address))
			goto out;
	} else {
		const struct fm_cfg_mag *m = &c->mag;

		if (host_iface(&v, "mag.lma-interface", m->lma_interface))
			goto out;
		for (int i = 0; i < m->n_access; i++) {
			snprintf(key, sizeof(key), "mag.access-interfaces[%d].name", i);
			if (host_iface(&v, key, m->access_ifaces[i].name))
				goto out;
		}
		if (host_addr(&v, "mag.address", &m->address))
			goto out;
	}
	if (avail && map_bytes > avail) {
		verr(&v, "max-mns",
		     "%u needs about %" PRIu64 " MiB of BPF maps; %" PRIu64 " MiB are available",
		     c->max_mns, map_bytes >> 20, avail >> 20);
		goto out;
	}
	rc = 0;
out:
	lm_free(&v.lines);
	free(data);
	return rc;
}

/* ---- SIGHUP: the reload table ----------------------------------------------------- */

#define FIELD(f) offsetof(struct fm_config, f), sizeof(((struct fm_config *)0)->f)
/* fields first..last, adjacent in struct fm_config (a list and its count) */
#define SPAN(first, last)                                                                          \
	offsetof(struct fm_config, first), offsetof(struct fm_config, last) +                      \
					       sizeof(((struct fm_config *)0)->last) -             \
					       offsetof(struct fm_config, first)

/* The set of access interfaces (their names, in order) needs a restart; their att
 * and flow requests are reloaded. A new set keeps the whole running list. */
static bool keep_mag_access(const struct fm_config *cur, struct fm_config *next)
{
	bool same = next->mag.n_access == cur->mag.n_access;

	for (int i = 0; same && i < cur->mag.n_access; i++)
		same = !strcmp(next->mag.access_ifaces[i].name, cur->mag.access_ifaces[i].name);
	if (same)
		return false;
	memcpy(next->mag.access_ifaces, cur->mag.access_ifaces, sizeof(cur->mag.access_ifaces));
	next->mag.n_access = cur->mag.n_access;
	return true;
}

/* mag.interface-modes lives in two places: the lma-interface's and each access
 * interface's entry. */
static bool keep_mag_modes(const struct fm_config *cur, struct fm_config *next)
{
	bool changed = next->mag.lma_interface_mode != cur->mag.lma_interface_mode;

	next->mag.lma_interface_mode = cur->mag.lma_interface_mode;
	for (int i = 0; i < cur->mag.n_access; i++) {
		changed |= next->mag.access_ifaces[i].mode != cur->mag.access_ifaces[i].mode;
		next->mag.access_ifaces[i].mode = cur->mag.access_ifaces[i].mode;
	}
	return changed;
}

const struct fm_cfg_key fm_cfg_keys[] = {
    {"instance", 0, FM_CFG_RESTART, FIELD(instance), NULL},
    {"max-mns", 0, FM_CFG_RESTART, FIELD(max_mns), NULL},
    {"role", 0, FM_CFG_REFUSE, FIELD(role), NULL},
    {"log-level", 0, FM_CFG_RELOAD, 0, 0, NULL},
    {"control-socket", 0, FM_CFG_RESTART, FIELD(control_socket), NULL},
    {"bpffs", 0, FM_CFG_RESTART, FIELD(bpffs), NULL},
    {"netns", 0, FM_CFG_RESTART, FIELD(netns), NULL},
    {"state-dir", 0, FM_CFG_RESTART, FIELD(state_dir), NULL},
    {"metrics", 0, FM_CFG_RESTART, FIELD(metrics), NULL},
    {"routes", FM_ROLE_LMA, FM_CFG_RESTART, FIELD(routes), NULL},

    {"lma.address", FM_ROLE_LMA, FM_CFG_RESTART, FIELD(lma.address), NULL},
    {"lma.core-interfaces", FM_ROLE_LMA, FM_CFG_RESTART, SPAN(lma.core_ifaces, lma.n_core), NULL},
    {"lma.access-interfaces", FM_ROLE_LMA, FM_CFG_RESTART, SPAN(lma.access_ifaces, lma.n_access),
     NULL},
    {"lma.dataplane", FM_ROLE_LMA, FM_CFG_RESTART, FIELD(lma.dataplane), NULL},
    {"lma.interface-modes", FM_ROLE_LMA, FM_CFG_RESTART, SPAN(lma.core_modes, lma.access_modes),
     NULL},
    {"lma.prefix-pool", FM_ROLE_LMA, FM_CFG_RESTART, FIELD(lma.prefix_pool), NULL},
    {"lma.prefix-policy", FM_ROLE_LMA, FM_CFG_RELOAD, 0, 0, NULL},
    {"lma.ordering", FM_ROLE_LMA, FM_CFG_RELOAD, 0, 0, NULL},
    {"lma.flow-signaling", FM_ROLE_LMA, FM_CFG_RELOAD, 0, 0, NULL},
    {"lma.mags", FM_ROLE_LMA, FM_CFG_RELOAD, 0, 0, NULL},
    {"lma.mag-keys", FM_ROLE_LMA, FM_CFG_RESTART, FIELD(lma.mag_keys), NULL},
    {"lma.peers", FM_ROLE_LMA, FM_CFG_RELOAD, 0, 0, NULL},
    {"lma.policies", FM_ROLE_LMA, FM_CFG_RELOAD, 0, 0, NULL},
    {"lma.mobile-nodes", FM_ROLE_LMA, FM_CFG_RELOAD, 0, 0, NULL},
    {"lma.timers", FM_ROLE_LMA, FM_CFG_RELOAD, 0, 0, NULL},
    {"lma.tunnel-mtu", FM_ROLE_LMA, FM_CFG_RESTART, FIELD(lma.tunnel_mtu), NULL},

    {"mag.address", FM_ROLE_MAG, FM_CFG_RESTART, FIELD(mag.address), NULL},
    {"mag.lma", FM_ROLE_MAG, FM_CFG_RESTART, FIELD(mag.lma), NULL},
    {"mag.lma-spi", FM_ROLE_MAG, FM_CFG_RESTART, FIELD(mag.lma_key.spi), NULL},
    {"mag.lma-key-file", FM_ROLE_MAG, FM_CFG_RESTART, FIELD(mag.lma_key), NULL},
    {"mag.lma-interface", FM_ROLE_MAG, FM_CFG_RESTART, FIELD(mag.lma_interface), NULL},
    {"mag.dataplane", FM_ROLE_MAG, FM_CFG_RESTART, FIELD(mag.dataplane), NULL},
    /* before interface-modes: a new set of interfaces keeps the running modes too */
    {"mag.access-interfaces", FM_ROLE_MAG, FM_CFG_RESTART, 0, 0, keep_mag_access},
    {"mag.access-interfaces[].att", FM_ROLE_MAG, FM_CFG_RELOAD, 0, 0, NULL},
    {"mag.access-interfaces[].flow-requests", FM_ROLE_MAG, FM_CFG_RELOAD, 0, 0, NULL},
    {"mag.interface-modes", FM_ROLE_MAG, FM_CFG_RESTART, 0, 0, keep_mag_modes},
    {"mag.link-local", FM_ROLE_MAG, FM_CFG_RESTART, FIELD(mag.link_local), NULL},
    /* the MAG builds its MN table at start */
    {"mag.mobile-nodes", FM_ROLE_MAG, FM_CFG_RESTART, SPAN(mag.mobile_nodes, mag.n_mobile_nodes),
     NULL},
    {"mag.keep-flow-state", FM_ROLE_MAG, FM_CFG_RELOAD, 0, 0, NULL},
    {"mag.timers", FM_ROLE_MAG, FM_CFG_RELOAD, 0, 0, NULL},
    {"mag.tunnel-mtu", FM_ROLE_MAG, FM_CFG_RESTART, FIELD(mag.tunnel_mtu), NULL},
};
const size_t fm_cfg_n_keys = sizeof(fm_cfg_keys) / sizeof(fm_cfg_keys[0]);

int fm_config_reload_filter(const struct fm_config *cur, struct fm_config *next, char *err,
			    size_t errlen)
{
	int kept = 0;

	for (size_t i = 0; i < fm_cfg_n_keys; i++) {
		const struct fm_cfg_key *k = &fm_cfg_keys[i];
		const char *a = (const char *)cur + k->off;
		char *b = (char *)next + k->off;

		if (k->reload != FM_CFG_REFUSE || !memcmp(a, b, k->len))
			continue;
		snprintf(err, errlen, "%s changed; that needs a restart", k->key);
		return -1;
	}
	for (size_t i = 0; i < fm_cfg_n_keys; i++) {
		const struct fm_cfg_key *k = &fm_cfg_keys[i];
		const char *a = (const char *)cur + k->off;
		char *b = (char *)next + k->off;
		bool changed;

		if (k->reload != FM_CFG_RESTART || (k->role && k->role != cur->role))
			continue;
		if (k->keep) {
			changed = k->keep(cur, next);
		} else {
			changed = memcmp(a, b, k->len) != 0;
			memcpy(b, a, k->len);
		}
		if (changed) {
			pr_warn("reload: %s changed; it needs a restart, keeping the running value",
				k->key);
			kept++;
		}
	}
	return kept;
}
