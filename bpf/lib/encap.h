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

/*
 * Next hop towards dst (network order), from cache (may be NULL) or the FIB.
 * Writes the MACs into the Ethernet header at the frame start and the egress
 * ifindex into *ifindex.
 */
static __always_inline int fm_nexthop(void *ctx, const int xdp, struct fm_nh *cache,
				      const __u8 *dst, __u32 ingress, __u32 *ifindex)
{
	struct bpf_fib_lookup p = {};
	void *data, *data_end;
	struct ethhdr *eth;
	__u64 now = 0;
	int rc;

	if (cache && (cache->flags & FM_NH_VALID)) {
		if (!(cache->flags & FM_NH_STATIC))
			now = bpf_ktime_get_coarse_ns();
		if ((cache->flags & FM_NH_STATIC) || now - cache->stamp_ns < cfg.nh_ttl_ns) {
			data = fm_data(ctx, xdp);
			data_end = fm_data_end(ctx, xdp);
			eth = data;
			if ((void *)(eth + 1) > data_end)
				return FM_NH_DROP;
			__builtin_memcpy(eth->h_dest, cache->dmac, 6);
			__builtin_memcpy(eth->h_source, cache->smac, 6);
			*ifindex = cache->ifindex;
			fm_stat(FM_ST_NH_CACHE_HIT);
			return FM_NH_OK;
		}
	}
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
	data = fm_data(ctx, xdp);
	data_end = fm_data_end(ctx, xdp);
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return FM_NH_DROP;
	__builtin_memcpy(eth->h_dest, p.dmac, 6);
	__builtin_memcpy(eth->h_source, p.smac, 6);
	*ifindex = p.ifindex;
	if (cache) {
		/* Fields first, the flags word last (x86 keeps store order). */
		__builtin_memcpy(cache->dmac, p.dmac, 6);
		__builtin_memcpy(cache->smac, p.smac, 6);
		cache->ifindex = p.ifindex;
		cache->stamp_ns = now ? now : bpf_ktime_get_coarse_ns();
		cache->flags = FM_NH_VALID;
	}
	return FM_NH_OK;
}

#endif /* FM_BPF_ENCAP_H */
