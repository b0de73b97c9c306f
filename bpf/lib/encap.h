/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * encap.h — IPv6-in-IPv6 (RFC 2473) push and pop for XDP and TC, with ECN
 * handling per RFC 6040 (normal mode on encapsulation, the decapsulation table
 * of its Figure 4), and next-hop resolution: a cached next hop (per binding on
 * the LMA, the LMA's on a MAG), else bpf_fib_lookup, else the stack.
 */
#ifndef FM_BPF_ENCAP_H
#define FM_BPF_ENCAP_H

#include "maps.h"

/* RFC 6040 §4.1, normal mode: copy the inner ECN field, CE becomes ECT(0). */
static __always_inline __u8 fm_ecn_encap(__u8 inner)
{
	return inner == ECN_CE ? ECN_ECT0 : inner;
}

/* RFC 6040 §4.2 Figure 4: the inner ECN after decapsulation, or -1 to drop. */
static __always_inline int fm_ecn_decap(__u8 inner, __u8 outer)
{
	if (inner == ECN_NOT_ECT)
		return outer == ECN_CE ? -1 : ECN_NOT_ECT;
	if (outer == ECN_CE)
		return ECN_CE;
	if (inner == ECN_ECT0 && outer == ECN_ECT1)
		return ECN_ECT1;
	return inner;
}

/*
 * Inserts the outer IPv6 header between Ethernet and the inner IPv6 header, which
 * must already carry its final hop limit. The Ethernet header is kept (MACs are
 * rewritten later, or not at all when the stack takes the packet). Returns 0 or -1.
 */
static __always_inline int fm_push_outer(void *ctx, const int xdp, const __u8 *src, const __u8 *dst)
{
	void *data, *data_end;
	struct ipv6hdr *in, *out;
	__u32 word;
	__u16 plen;
	__u8 tc;

	if (xdp) {
		if (bpf_xdp_adjust_head(ctx, -(int)IP6_HLEN))
			return -1;
		data = fm_data(ctx, xdp);
		data_end = fm_data_end(ctx, xdp);
		if (data + ETH_HLEN_ + 2 * IP6_HLEN > data_end)
			return -1;
		__builtin_memcpy(data, data + IP6_HLEN, ETH_HLEN_);
	} else {
		if (bpf_skb_adjust_room(ctx, IP6_HLEN, BPF_ADJ_ROOM_MAC,
					BPF_F_ADJ_ROOM_ENCAP_L3_IPV6))
			return -1;
		data = fm_data(ctx, xdp);
		data_end = fm_data_end(ctx, xdp);
		if (data + ETH_HLEN_ + 2 * IP6_HLEN > data_end)
			return -1;
	}
	out = data + ETH_HLEN_;
	in = data + ETH_HLEN_ + IP6_HLEN;
	tc = fm_ip6_tc(in);
	tc = (tc & 0xfc) | fm_ecn_encap(tc & 3);
	word = (6U << 28) | ((__u32)tc << 20) | fm_ip6_fl(in);
	plen = bpf_ntohs(in->payload_len) + IP6_HLEN;
	*(__be32 *)out = bpf_htonl(word);
	out->payload_len = bpf_htons(plen);
	out->nexthdr = NH_IPV6;
	out->hop_limit = cfg.hop_limit;
	__builtin_memcpy(&out->saddr, src, 16);
	__builtin_memcpy(&out->daddr, dst, 16);
	return 0;
}

/*
 * Removes the outer IPv6 header of a verified IPv6-in-IPv6 packet, applying
 * RFC 6040 to the inner ECN field. Returns 0, or a FM_ST_DROP_* reason.
 */
static __always_inline int fm_pop_outer(void *ctx, const int xdp)
{
	void *data = fm_data(ctx, xdp), *data_end = fm_data_end(ctx, xdp);
	struct ipv6hdr *out, *in;
	int ecn;

	if (data + ETH_HLEN_ + 2 * IP6_HLEN > data_end)
		return FM_ST_DROP_TUNNEL_INNER;
	out = data + ETH_HLEN_;
	in = data + ETH_HLEN_ + IP6_HLEN;
	if (in->version != 6)
		return FM_ST_DROP_TUNNEL_INNER;
	ecn = fm_ecn_decap(fm_ip6_tc(in) & 3, fm_ip6_tc(out) & 3);
	if (ecn < 0)
		return FM_ST_DROP_ECN;
	fm_ip6_set_ecn(in, ecn);
	if (xdp) {
		__builtin_memcpy(data + IP6_HLEN, data, ETH_HLEN_);
		if (bpf_xdp_adjust_head(ctx, IP6_HLEN))
			return FM_ST_DROP_HELPER;
	} else {
		if (bpf_skb_adjust_room(ctx, -(int)IP6_HLEN, BPF_ADJ_ROOM_MAC,
					BPF_F_ADJ_ROOM_DECAP_L3_IPV6) &&
		    bpf_skb_adjust_room(ctx, -(int)IP6_HLEN, BPF_ADJ_ROOM_MAC, 0))
			return FM_ST_DROP_HELPER;
	}
	return 0;
}

enum fm_nh_result {
	FM_NH_OK = 0,
	FM_NH_STACK = 1, /* no neighbour yet or not forwardable here: let the stack do it */
	FM_NH_DROP = 2,	 /* unreachable / blackhole / prohibited */
};

/* ---- next hops ----------------------------------------------------------------- *
 * A cached next hop (struct fm_nh) is valid while it is static or its gen is the
 * current fm_meta[1].nh_gen. The generation moves on once cfg.nh_ttl_ns has passed,
 * noticed every FM_NH_SAMPLE packets per CPU (fm_nh_tick): a forwarded packet reads
 * no clock, and a cached next hop is refreshed from the FIB within about
 * nh_ttl_ns (1 s) of traffic, or at once where the FIB said NO_NEIGH (nothing is
 * cached then). */

static __always_inline struct fm_meta *fm_nh_clock(void)
{
	__u32 one = 1;

	return bpf_map_lookup_elem(&fm_meta, &one);
}

static __always_inline __u32 fm_nh_gen(void)
{
	struct fm_meta *m = fm_nh_clock();

	return m ? m->nh_gen : 0;
}

/* cnt: the CPU's packet count of a counter every packet moves. */
static __always_inline void fm_nh_tick(__u64 cnt)
{
	struct fm_meta *m;
	__u64 now;

	if (cnt % FM_NH_SAMPLE)
		return;
	m = fm_nh_clock();
	if (!m)
		return;
	now = bpf_ktime_get_coarse_ns();
	if (now - m->nh_last_ns >= cfg.nh_ttl_ns) {
		m->nh_last_ns = now;
		__sync_fetch_and_add(&m->nh_gen, 1);
	}
}

static __always_inline int fm_nh_valid(const struct fm_nh *nh, __u32 gen)
{
	return (nh->flags & FM_NH_STATIC) || ((nh->flags & FM_NH_VALID) && nh->gen == gen);
}

/* Writes the next hop's MACs into the Ethernet header and its interface to *ifindex. */
static __always_inline int fm_nh_apply(void *ctx, const int xdp, const struct fm_nh *nh,
				       __u32 *ifindex)
{
	void *data = fm_data(ctx, xdp), *data_end = fm_data_end(ctx, xdp);
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return FM_NH_DROP;
	__builtin_memcpy(eth->h_dest, nh->dmac, 6);
	__builtin_memcpy(eth->h_source, nh->smac, 6);
	*ifindex = nh->ifindex;
	return FM_NH_OK;
}

/* Copies a resolved next hop: fields first, gen and flags last (x86 keeps store order,
 * so a reader that sees the new gen sees the new fields). */
static __always_inline void fm_nh_store(struct fm_nh *to, const struct fm_nh *from)
{
	__builtin_memcpy(to->dmac, from->dmac, 6);
	__builtin_memcpy(to->smac, from->smac, 6);
	to->ifindex = from->ifindex;
	to->gen = from->gen;
	to->flags = from->flags;
}

/*
 * Next hop towards dst (network order) from bpf_fib_lookup: writes the MACs and
 * *ifindex, and the resolution to *out (flags FM_NH_VALID, gen).
 */
static __always_inline int fm_fib(void *ctx, const int xdp, const __u8 *dst, __u32 ingress,
				  __u32 *ifindex, struct fm_nh *out, __u32 gen)
{
	struct bpf_fib_lookup p = {};
	int rc;

	fm_stat(FM_ST_NH_FIB);
	p.family = 10; /* AF_INET6 */
	p.ifindex = ingress;
	p.tot_len = 0; /* no MTU check here: we did ours, and GSO packets are bigger */
	fm_cfg_addr(p.ipv6_src, cfg.local);
	__builtin_memcpy(p.ipv6_dst, dst, 16);
	rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
	if (rc == BPF_FIB_LKUP_RET_BLACKHOLE || rc == BPF_FIB_LKUP_RET_UNREACHABLE ||
	    rc == BPF_FIB_LKUP_RET_PROHIBIT)
		return FM_NH_DROP;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return FM_NH_STACK;
	__builtin_memcpy(out->dmac, p.dmac, 6);
	__builtin_memcpy(out->smac, p.smac, 6);
	out->ifindex = p.ifindex;
	out->gen = gen;
	out->flags = FM_NH_VALID;
	out->pad0 = 0;
	out->pad = 0;
	return fm_nh_apply(ctx, xdp, out, ifindex);
}

/*
 * Next hop towards dst from cache (may be NULL) while valid, else the FIB (the
 * result refreshes the cache). count: count a cache hit (callers on a path counter
 * count it there). *used gets what was applied.
 */
static __always_inline int fm_nexthop(void *ctx, const int xdp, struct fm_nh *cache,
				      const __u8 *dst, __u32 ingress, __u32 *ifindex, __u32 gen,
				      int count, struct fm_nh *used)
{
	int rc;

	if (cache && fm_nh_valid(cache, gen)) {
		if (count)
			fm_stat(FM_ST_NH_CACHE_HIT);
		__builtin_memcpy(used, cache, sizeof(*used));
		return fm_nh_apply(ctx, xdp, cache, ifindex);
	}
	rc = fm_fib(ctx, xdp, dst, ingress, ifindex, used, gen);
	if (rc == FM_NH_OK && cache)
		fm_nh_store(cache, used);
	return rc;
}

#endif /* FM_BPF_ENCAP_H */
