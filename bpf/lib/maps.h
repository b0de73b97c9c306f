/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps.h — BTF-defined maps of the data plane (types from include/fm_dp_maps.h).
 * Sizes here are defaults; the loader resizes the big ones before load.
 * Every map is pinned by name by the loader (<bpffs>/flowmob/<instance>/<ver>/).
 */
#ifndef FM_BPF_MAPS_H
#define FM_BPF_MAPS_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FM_ST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} fm_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fm_pfx64_key);
	__type(value, struct fm_prefix);
} fm_pfx64 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fm_lpm_key);
	__type(value, struct fm_prefix);
} fm_pfx_lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2); /* [0] the agent's, [1] the programs' next-hop clock */
	__type(key, __u32);
	__type(value, struct fm_meta);
} fm_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fm_mn);
} fm_mn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072);
	__type(key, struct fm_bkey);
	__type(value, struct fm_bind_info);
} fm_binding SEC(".maps"); /* agent's view, unused by the programs */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 131072);
	__type(key, __u32);
	__type(value, struct fm_binding);
} fm_bval SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 131072);
	__type(key, __u32);
	__type(value, struct fm_counter);
} fm_bind_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 131072);
	__type(key, struct fm_fidkey);
	__type(value, struct fm_counter);
} fm_fid_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct fm_counter);
} fm_mn_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct fm_addr);
	__type(value, struct fm_peer);
} fm_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072);
	__type(key, struct fm_spoof_key);
	__type(value, struct fm_spoof);
} fm_spoof SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct fm_ruleset);
} fm_rulesets SEC(".maps");

/* The rule sets' elementary intervals (bit-vector classifier), a pool the agent
 * hands out in ranges (struct fm_cls_fdesc). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct fm_cls_iv);
} fm_cls_iv SEC(".maps");

/* Per-CPU LRU lists (BPF_F_NO_COMMON_LRU): an insert takes no global lock. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct fm_flow_key);
	__type(value, struct fm_flow);
} fm_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fm_frag_key);
	__type(value, struct fm_flow);
} fm_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fm_ratelimit);
} fm_ptb_rl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fm_nh);
} fm_mag_nh SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct fm_ulnh_key);
	__type(value, struct fm_nh);
} fm_ul_nh SEC(".maps");

static __always_inline void fm_stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&fm_stats, &idx);

	if (v)
		*v += 1;
}

/* A path counter (include/fm_stats.h): one increment for several counters. Returns
 * the CPU's new count (0 if the map is missing). */
static __always_inline __u64 fm_stat_path(__u32 path)
{
	__u32 idx = FM_ST_MAX + path;
	__u64 *v = bpf_map_lookup_elem(&fm_stats, &idx);

	if (!v)
		return 0;
	return ++*v;
}

/* Counters in per-CPU arrays: no update path. */
static __always_inline void fm_count_arr(void *map, __u32 idx, __u64 bytes)
{
	struct fm_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline void fm_count(void *map, const void *key, __u64 bytes)
{
	struct fm_counter *c = bpf_map_lookup_elem(map, key);
	struct fm_counter n = {1, bytes};

	if (c) {
		c->packets++;
		c->bytes += bytes;
		return;
	}
	bpf_map_update_elem(map, key, &n, BPF_NOEXIST);
}

/* Destination or source -> prefix entry: the /64 hash, then (only when the agent
 * installed other lengths) the LPM trie, longest match first. */
static __always_inline struct fm_prefix *fm_prefix_lookup(const __u8 *addr)
{
	struct fm_pfx64_key k;
	struct fm_prefix *p, *l = NULL;
	struct fm_meta *m;
	__u32 zero = 0;

	m = bpf_map_lookup_elem(&fm_meta, &zero);
	if (m && m->n_lpm) {
		struct fm_lpm_key lk = {.prefixlen = 128};

		__builtin_memcpy(lk.addr, addr, 16);
		l = bpf_map_lookup_elem(&fm_pfx_lpm, &lk);
		if (l && l->plen > 64)
			return l;
	}
	__builtin_memcpy(k.prefix, addr, 8);
	p = bpf_map_lookup_elem(&fm_pfx64, &k);
	return p ? p : l;
}

#endif /* FM_BPF_MAPS_H */
