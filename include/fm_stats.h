/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fm_stats.h — indices and names of the data plane's per-CPU outcome and drop
 * counters (map fm_stats). Shared by bpf/ and agent/dp/dataplane.c through one
 * X-macro so that the index and its name can never drift apart.
 */
#ifndef FLOWMOB_FM_STATS_H
#define FLOWMOB_FM_STATS_H

/* X(ENUM, "name") — append only: the index is part of the pinned layout. */
#define FM_STATS_LIST(X)                                                                           \
	X(RX, "rx")			   /* every packet seen by a flowmob program */            \
	X(PASS_NOT_IP6, "pass_not_ipv6")   /* not IPv6 (ARP, IPv4 ...) */                          \
	X(PASS_NOT_MN, "pass_not_mobile")  /* destination is not a mobile node */                  \
	X(PASS_MH, "pass_mobility_header") /* signalling to the stack */                           \
	X(PASS_ND, "pass_nd_icmpv6")	   /* neighbour discovery / RS / RA */                     \
	X(PASS_HOPLIMIT, "pass_hop_limit") /* inner hop limit <= 1: stack sends Time Exceeded */   \
	X(PASS_LOCAL, "pass_local")	   /* link-local, multicast, to this node */               \
	X(DL_FWD, "lma_downlink_encap")	   /* LMA: encapsulated and redirected */                  \
	X(DL_TO_STACK, "lma_downlink_encap_stack") /* LMA: encapsulated, next hop unresolved */    \
	X(UL_FWD, "lma_uplink_decap")		   /* LMA: decapsulated and redirected */          \
	X(UL_TO_STACK, "lma_uplink_decap_stack")   /* LMA: decapsulated, handed to the stack */    \
	X(MN_TO_MN, "lma_mn_to_mn")		   /* LMA: uplink re-encapsulated to another MN */ \
	X(MAG_DL_FWD, "mag_downlink_decap")	   /* MAG: decapsulated to the access link */      \
	X(MAG_UL_FWD, "mag_uplink_encap")	   /* MAG: encapsulated to the LMA */              \
	X(MAG_UL_TO_STACK, "mag_uplink_encap_stack") /* MAG: encapsulated, next hop unresolved */  \
	X(CACHE_HIT, "flow_cache_hit")                                                             \
	X(CACHE_MISS, "flow_cache_miss") /* includes stale epochs */                               \
	X(CACHE_STALE, "flow_cache_stale_epoch")                                                   \
	X(RULE_MATCH, "rule_match")                                                                \
	X(RULE_DEFAULT, "rule_default_binding") /* no rule matched: prefix default BID */          \
	X(FRAG_FIRST, "frag_first")                                                                \
	X(FRAG_FOLLOW, "frag_follow_first") /* non-first fragment, decision of the first */        \
	X(FRAG_DEFAULT, "frag_no_decision_default") /* non-first fragment, no known decision */    \
	X(NH_CACHE_HIT, "nexthop_cached")                                                          \
	X(NH_FIB, "nexthop_fib_lookup")                                                            \
	X(PTB_SENT, "ptb_sent")                                                                    \
	X(PTB_RATELIMITED, "ptb_rate_limited")                                                     \
	X(DROP_TRUNC, "drop_truncated") /* truncated Ethernet/IPv6/extension header */             \
	X(DROP_EXTHDR, "drop_too_many_ext_headers")                                                \
	X(DROP_RULE, "drop_rule_action")	 /* a matching rule says drop */                   \
	X(DROP_NO_BINDING, "drop_no_binding")	 /* MN known, no usable binding */                 \
	X(DROP_UNKNOWN_PEER, "drop_unknown_mag") /* tunnel packet from an unregistered peer */     \
	X(DROP_SPOOF, "drop_spoofed_source")	 /* inner source not allowed */                    \
	X(DROP_TOO_BIG, "drop_too_big") /* bigger than the tunnel MTU (PTB sent or limited) */     \
	X(DROP_ECN, "drop_ecn_ce_on_not_ect") /* RFC 6040 decapsulation */                         \
	X(DROP_HELPER, "drop_helper_failed")  /* adjust_head/room failed */                        \
	X(DROP_NO_ROUTE, "drop_no_route")     /* FIB says unreachable / MAG: unknown inner dst */  \
	X(DROP_TUNNEL_INNER, "drop_bad_inner_packet") /* tunnel payload not IPv6 or truncated */   \
	X(DROP_FRAG_MN, "drop_fragment_unclassifiable")

#define FM_ST_ENUM(e, s) FM_ST_##e,
enum fm_stat { FM_STATS_LIST(FM_ST_ENUM) FM_ST_MAX };
#undef FM_ST_ENUM

/*
 * Path counters: one increment stands for several of the counters above, so that a
 * packet on a common path updates one per-CPU counter only. They live after
 * FM_ST_MAX in fm_stats; the agent adds each to the counters it lists (a bitmask of
 * enum fm_stat) and never shows it by itself.
 * X(ENUM, mask) — append only.
 */
#define FM_SB(e) (1ULL << FM_ST_##e)
#define FM_STATS_PATHS(X)                                                                          \
	X(LMA_DL_HIT, FM_SB(RX) | FM_SB(CACHE_HIT) | FM_SB(NH_CACHE_HIT) | FM_SB(DL_FWD))          \
	X(LMA_UL_FWD, FM_SB(RX) | FM_SB(NH_CACHE_HIT) | FM_SB(UL_FWD))                             \
	X(MAG_DL_FWD, FM_SB(RX) | FM_SB(MAG_DL_FWD))                                               \
	X(MAG_UL_FWD, FM_SB(RX) | FM_SB(NH_CACHE_HIT) | FM_SB(MAG_UL_FWD))

#define FM_SP_ENUM(e, m) FM_SP_##e,
enum fm_stat_path { FM_STATS_PATHS(FM_SP_ENUM) FM_SP_MAX };
#undef FM_SP_ENUM
#define FM_ST_SLOTS (FM_ST_MAX + FM_SP_MAX) /* entries of fm_stats */

#endif /* FLOWMOB_FM_STATS_H */
