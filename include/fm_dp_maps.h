/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fm_dp_maps.h — the data plane's pinned layout: map keys and values shared by
 * bpf/flowmob.bpf.c and agent/dp/dataplane.c. Plain __u8..__u64, explicit padding,
 * sizes fixed by static asserts. Any change to a struct here changes the pinned
 * layout: bump FM_LAYOUT_VERSION (pins live in <bpffs>/flowmob/<instance>/<ver>/).
 *
 * Concurrency contract (docs/architecture.md, "two-slot rule changes"):
 *  - fm_mn is a BPF_F_MMAPABLE array; the agent writes its fields with single
 *    aligned 4- or 8-byte atomic stores through the mapping, never memcpy;
 *  - rule sets (fm_rulesets) are immutable while any MN's slot refers to them;
 *    an MN switches rule set by writing its inactive slot's id, then flipping
 *    fm_mn.ver {slot, epoch} in one 8-byte store;
 *  - every other value wider than 8 bytes is replaced through hash-map update
 *    (an atomic element swap), except fm_binding.nh which only the programs write.
 */
#ifndef FLOWMOB_FM_DP_MAPS_H
#define FLOWMOB_FM_DP_MAPS_H

#include <linux/types.h>

#define FM_LAYOUT_VERSION "v2"
#define FM_LAYOUT_OLDER	  "v1" /* earlier layouts: a start over their pins fails clearly */

#define FM_MAX_RULES	   256			  /* rules per rule set */
#define FM_RULE_WORDS	   (FM_MAX_RULES / 64)	  /* 64-bit words of a rule bitmap */
#define FM_CLS_MAX_IV	   (2 * FM_MAX_RULES + 1) /* elementary intervals per field */
#define FM_CLS_STEPS	   10			  /* binary-search steps: 2^10 >= FM_CLS_MAX_IV */
#define FM_MAX_BIND_PER_MN 8			  /* bindings per MN visible to att[] rules */
#define FM_MAX_ATT	   4
#define FM_MAX_EXTHDR	   8	/* extension headers walked; a 9th is unclassifiable */
#define FM_EXT_WALK_LIMIT  448	/* bytes of extension headers walked at most */
#define FM_PTB_LEN	   1280 /* IPv6 size of a Packet Too Big (RFC 4443: <= min MTU) */
#define FM_PTB_QUOTE	   (FM_PTB_LEN - 40 - 8)
#define FM_MIN_TUNNEL_MTU  1320 /* 1280 inner + 40 outer */

/* ---- configuration (read-only data of the programs, set by the loader) ---- */
enum fm_role {
	FM_ROLE_LMA = 1,
	FM_ROLE_MAG = 2,
};

struct fm_cfg {
	__u8 local[16];	  /* LMA address / MAG Proxy-CoA: outer source */
	__u8 lma[16];	  /* MAG: the LMA, outer destination of uplink */
	__u32 tunnel_mtu; /* largest outer IPv6 packet (>= FM_MIN_TUNNEL_MTU) */
	__u8 hop_limit;	  /* outer hop limit */
	__u8 role;	  /* enum fm_role */
	__u16 pad0;
	__u64 nh_ttl_ns;       /* lifetime of a cached next hop */
	__u64 ptb_interval_ns; /* one PTB per interval per CPU ... */
	__u32 ptb_burst;       /* ... with this burst */
	__u32 pad1;
};
_Static_assert(sizeof(struct fm_cfg) == 64, "fm_cfg layout");

/* ---- prefixes: /64s in a hash (O(1)), other lengths in an LPM trie --------- */
struct fm_pfx64_key {
	__u8 prefix[8]; /* first 64 bits, network order */
};

struct fm_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};
_Static_assert(sizeof(struct fm_lpm_key) == 20, "fm_lpm_key layout");

struct fm_prefix {
	__u32 mn;
	__u16 default_bid; /* LMA: binding for packets no rule claims */
	__u8 plen;
	__u8 flags;
	__u32 ifindex;	/* MAG: access interface of the MN */
	__u8 mn_mac[6]; /* MAG: the MN's MAC */
	__u8 if_mac[6]; /* MAG: the access interface's MAC */
};
_Static_assert(sizeof(struct fm_prefix) == 24, "fm_prefix layout");

/* fm_meta[0] is the agent's (n_lpm), fm_meta[1] the programs' (the next-hop clock:
 * nh_gen moves on once nh_ttl_ns has passed, noticed every FM_NH_SAMPLE packets on a
 * CPU; a cached next hop is valid while its gen is the current one). */
struct fm_meta {
	__u32 n_lpm;	  /* [0]: prefixes in fm_pfx_lpm (lengths other than 64) */
	__u32 nh_gen;	  /* [1]: generation of cached next hops */
	__u64 nh_last_ns; /* [1]: when nh_gen last moved */
};
_Static_assert(sizeof(struct fm_meta) == 16, "fm_meta layout");
#define FM_NH_SAMPLE 64 /* packets per CPU between two looks at the clock */

/* ---- mobile nodes (mmapable array indexed by MN id) ------------------------ */
struct fm_ver {
	__u32 slot;  /* active rule slot, 0 or 1 */
	__u32 epoch; /* bumped on every change of the MN's rules or bindings */
} __attribute__((aligned(8)));

enum fm_mn_bind_flags {
	FM_MB_VALID = 1,
	FM_MB_DOWN = 2,
};

struct fm_mn_bind {
	__u16 bid;
	__u8 att;
	__u8 flags; /* enum fm_mn_bind_flags */
	__u32 bi;   /* index of the binding's current value in fm_binding */
} __attribute__((aligned(8)));

struct fm_mn {
	struct fm_ver ver;			    /* the one 8-byte word flipped atomically */
	__u32 rs[2];				    /* rule-set id per slot, 0 = no rules */
	struct fm_mn_bind bind[FM_MAX_BIND_PER_MN]; /* each rewritten by one 8-byte store */
};
_Static_assert(sizeof(struct fm_mn) == 80, "fm_mn layout");

/* ---- bindings ------------------------------------------------------------- */
enum fm_nh_flags {
	FM_NH_VALID = 1,
	FM_NH_STATIC = 2, /* set by the agent or a test: never expires */
};

struct fm_nh {
	__u32 gen; /* fm_meta[1].nh_gen when resolved */
	__u32 pad0;
	__u32 ifindex;
	__u32 flags; /* enum fm_nh_flags */
	__u8 dmac[6];
	__u8 smac[6];
	__u32 pad;
};
_Static_assert(sizeof(struct fm_nh) == 32, "fm_nh layout");

enum fm_binding_flags {
	FM_B_DOWN = 1,
};

/*
 * fm_bval is an array: a binding's value is never rewritten by the agent. A
 * change writes a fresh index and then switches fm_mn.bind[] to it (copy on
 * write); indexes are reused round robin, long after the switch. Only the
 * programs write nh in place.
 */
struct fm_binding {
	__u32 mn;
	__u16 bid;
	__u8 att;
	__u8 flags; /* enum fm_binding_flags */
	__u8 coa[16];
	__u32 ci; /* index of its counters in fm_bind_cnt (stable across changes) */
	__u32 pad;
	struct fm_nh nh; /* next hop towards coa, cached by the programs */
};
_Static_assert(sizeof(struct fm_binding) == 64, "fm_binding layout");

/* fm_binding: the binding cache keyed [MN, BID], written by the agent only (for
 * bpftool, reconciliation and counters); the programs read fm_mn and fm_bval. */
struct fm_bkey {
	__u32 mn;
	__u16 bid;
	__u16 pad;
};
_Static_assert(sizeof(struct fm_bkey) == 8, "fm_bkey layout");

struct fm_bind_info {
	__u8 coa[16];
	__u8 att;
	__u8 flags; /* enum fm_binding_flags */
	__u16 pad;
	__u32 bi; /* current value in fm_bval */
	__u32 ci; /* counters in fm_bind_cnt */
	__u32 pad1;
};
_Static_assert(sizeof(struct fm_bind_info) == 32, "fm_bind_info layout");

struct fm_counter {
	__u64 packets;
	__u64 bytes;
};

struct fm_fidkey {
	__u32 mn;
	__u16 fid;
	__u16 pad;
};

/* ---- uplink acceptance ------------------------------------------------------ */
struct fm_addr {
	__u8 addr[16];
};

struct fm_peer {
	__u32 flags;
	__u32 pad;
};

/* [MAG, MN] pairs with an active binding: the per-MN anti-spoofing rule. */
struct fm_spoof_key {
	__u8 coa[16];
	__u32 mn;
};
_Static_assert(sizeof(struct fm_spoof_key) == 20, "fm_spoof_key layout");

struct fm_spoof {
	__u32 nbind; /* bindings of mn through coa */
	__u32 ci;    /* counters of one of them: uplink traffic is counted there */
};

/* ---- rules ------------------------------------------------------------------- */
enum fm_rule_field { /* bits of fm_rule.fields: RFC 6088 order, as enum ts_field */
		     FM_RF_SRC = 1 << 0,
		     FM_RF_DST = 1 << 1,
		     FM_RF_SPI = 1 << 2,
		     FM_RF_FL = 1 << 3,
		     FM_RF_SPORT = 1 << 4,
		     FM_RF_DPORT = 1 << 5,
		     FM_RF_TC = 1 << 6,
		     FM_RF_NH = 1 << 7,
};

enum fm_rule_action {
	FM_RA_FORWARD = 0,
	FM_RA_DROP = 1,
};

/*
 * Rule sets are compiled to a bit-vector classifier (Linear Bit Vector Search): per
 * selector field, the value space is cut into elementary intervals at the rules'
 * range ends; each interval carries the bitmap of the rules that match every value
 * in it (rules without the field match everywhere). A packet costs one binary search
 * per field some rule uses (<= FM_CLS_STEPS steps), an AND of the bitmaps, and the
 * lowest set bit is the highest-priority match (rules sorted by FID-PRI).
 */
enum fm_cls_field { /* order of enum fm_rule_field */
		    FM_CF_SRC,
		    FM_CF_DST,
		    FM_CF_SPI,
		    FM_CF_FL,
		    FM_CF_SPORT,
		    FM_CF_DPORT,
		    FM_CF_TC,
		    FM_CF_NH,
		    FM_CF_N,
};

/* What a match needs besides the bitmaps: its target and action. */
struct fm_rule {
	__u16 fid;
	__u16 prio;
	__u16 bid;   /* target binding; 0: first binding with an att[] below */
	__u8 action; /* enum fm_rule_action */
	__u8 fields; /* enum fm_rule_field: fields that take part */
	__u8 att[FM_MAX_ATT];
	__u8 n_att;
	__u8 v4; /* IPv4 selector (format 1): never matches an IPv6 packet */
	__u16 pad;
};
_Static_assert(sizeof(struct fm_rule) == 16, "fm_rule layout");

/* One field of a rule set: its intervals are fm_cls_iv[base .. base + n). n = 0: no
 * rule of the set uses the field (not looked up). */
struct fm_cls_fdesc {
	__u32 base;
	__u32 n;
};

struct fm_ruleset {
	__u32 n; /* rules in priority order */
	__u32 pad;
	__u64 all[FM_RULE_WORDS];	 /* rules that can match an IPv6 packet */
	__u64 need_ports[FM_RULE_WORDS]; /* rules with port fields: not for portless packets */
	__u64 need_spi[FM_RULE_WORDS];	 /* rules with an SPI field: not without an SPI */
	struct fm_cls_fdesc f[FM_CF_N];
	struct fm_rule r[FM_MAX_RULES];
};
_Static_assert(sizeof(struct fm_ruleset) == 8 + 3 * 32 + 64 + 16 * FM_MAX_RULES,
	       "fm_ruleset layout");

/* One elementary interval: values from start (host order; narrow fields in lo) up to
 * the next interval's start match the rules whose bits are set. */
struct fm_cls_iv {
	__u64 hi, lo;
	__u64 w[FM_RULE_WORDS];
};
_Static_assert(sizeof(struct fm_cls_iv) == 48, "fm_cls_iv layout");

/* ---- flow cache and fragments --------------------------------------------------- */
struct fm_flow_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 fl_tc; /* flow label | traffic class << 20 */
	__u32 l4;    /* sport << 16 | dport, or the SPI */
	__u8 nh;
	__u8 pad[3];
};
_Static_assert(sizeof(struct fm_flow_key) == 44, "fm_flow_key layout");

/*
 * A cached decision, valid while ver is the MN's current {slot, epoch} word (every
 * change of its rules, bindings or prefixes bumps it). It carries what forwarding
 * needs, so a hit reads fm_flows, fm_mn[mn].ver and one counter: the binding's CoA,
 * its counter index and its next hop (valid while nh.gen is fm_meta[1].nh_gen, or
 * static).
 */
struct fm_flow {
	__u64 ver; /* the MN's {slot, epoch} word when decided */
	__u32 mn;
	__u16 bid;
	__u16 fid; /* 0: default binding */
	__u8 action;
	__u8 pad[3];
	__u32 bi; /* fm_bval index (valid while ver is current) */
	__u32 ci; /* fm_bind_cnt index of the binding */
	__u32 pad1;
	__u8 coa[16];
	struct fm_nh nh; /* next hop towards coa */
};
_Static_assert(sizeof(struct fm_flow) == 80, "fm_flow layout");

/* The decapsulated uplink's next hop per inner destination (LRU). */
struct fm_ulnh_key {
	__u8 dst[16];
};

struct fm_frag_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 id;
};
_Static_assert(sizeof(struct fm_frag_key) == 36, "fm_frag_key layout");

/* ---- PTB rate limit (per CPU) ------------------------------------------------------ */
struct fm_ratelimit {
	__u64 last_ns;
	__u64 credit_ns;
};

/* Pin names (the map names in bpf/lib/maps.h). */
#define FM_MAP_NAMES(X)                                                                            \
	X(fm_stats)                                                                                \
	X(fm_pfx64)                                                                                \
	X(fm_pfx_lpm)                                                                              \
	X(fm_meta)                                                                                 \
	X(fm_mn)                                                                                   \
	X(fm_binding) X(fm_bind_cnt) X(fm_fid_cnt) X(fm_mn_cnt) X(fm_peers) X(fm_spoof)            \
	    X(fm_rulesets) X(fm_cls_iv) X(fm_flows) X(fm_frags) X(fm_ptb_rl) X(fm_mag_nh)          \
		X(fm_ul_nh)

#endif /* FLOWMOB_FM_DP_MAPS_H */
