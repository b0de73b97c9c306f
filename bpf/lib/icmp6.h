/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * icmp6.h — ICMPv6 Packet Too Big (RFC 4443 §3.2) built in BPF for packets that
 * do not fit the tunnel, rate-limited per CPU (token bucket in fm_ptb_rl), and
 * the one's-complement checksum helpers it needs.
 *
 * Only called for packets longer than the tunnel MTU (>= FM_MIN_TUNNEL_MTU), so the
 * invoking packet always fills the fixed FM_PTB_QUOTE bytes of the message and the
 * checksum runs over constant-size chunks (bpf_csum_diff takes at most 512 bytes).
 */
#ifndef FM_BPF_ICMP6_H
#define FM_BPF_ICMP6_H

#include "maps.h"

static __always_inline __u16 fm_csum_fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* True when this CPU may send a PTB now. */
static __always_inline int fm_ptb_allowed(void)
{
	__u32 zero = 0;
	struct fm_ratelimit *rl = bpf_map_lookup_elem(&fm_ptb_rl, &zero);
	__u64 now, cap;

	if (!rl)
		return 0;
	now = bpf_ktime_get_ns();
	cap = cfg.ptb_interval_ns * cfg.ptb_burst;
	rl->credit_ns += now - rl->last_ns;
	rl->last_ns = now;
	if (rl->credit_ns > cap)
		rl->credit_ns = cap;
	if (rl->credit_ns < cfg.ptb_interval_ns)
		return 0;
	rl->credit_ns -= cfg.ptb_interval_ns;
	return 1;
}

#define FM_PTB_FRAME (ETH_HLEN_ + FM_PTB_LEN)

/*
 * Turns the oversized frame into a PTB back to its source; src is our address.
 * Returns FM_V_TX, or FM_V_DROP when rate-limited or a helper failed.
 */
static __always_inline int fm_send_ptb(void *ctx, const int xdp, __u32 mtu)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct ipv6hdr *ip6;
	__u8 mac[12], dst[16];
	__u8 *icmp;
	__u64 sum;
	__u32 len;
	struct {
		__u8 src[16];
		__u8 dst[16];
		__be32 len;
		__be32 nh;
	} ph;

	if (!fm_ptb_allowed()) {
		fm_stat(FM_ST_PTB_RATELIMITED);
		return FM_V_DROP;
	}
	/* Room for the new IPv6 + ICMPv6 headers in front of the invoking packet. */
	if (xdp) {
		if (bpf_xdp_adjust_head(ctx, -(int)(IP6_HLEN + 8)))
			goto fail;
	} else {
		if (bpf_skb_change_head(ctx, IP6_HLEN + 8, 0))
			goto fail;
	}
	data = fm_data(ctx, xdp);
	data_end = fm_data_end(ctx, xdp);
	if (data + IP6_HLEN + 8 + ETH_HLEN_ + IP6_HLEN > data_end)
		goto fail;
	/* Old Ethernet header now at 48, invoking IPv6 header at 62. */
	__builtin_memcpy(mac, data + IP6_HLEN + 8, 12);
	__builtin_memcpy(dst, data + IP6_HLEN + 8 + ETH_HLEN_ + 8, 16); /* its source */

	len = fm_len(ctx, xdp);
	if (len < FM_PTB_FRAME)
		goto fail;
	if (xdp) {
		if (bpf_xdp_adjust_tail(ctx, (int)FM_PTB_FRAME - (int)len))
			goto fail;
	} else {
		if (bpf_skb_change_tail(ctx, FM_PTB_FRAME, 0))
			goto fail;
		if (bpf_skb_pull_data(ctx, FM_PTB_FRAME))
			goto fail;
	}
	data = fm_data(ctx, xdp);
	data_end = fm_data_end(ctx, xdp);
	if (data + FM_PTB_FRAME > data_end)
		goto fail;
	eth = data;
	__builtin_memcpy(eth->h_dest, mac + 6, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
	eth->h_proto = bpf_htons(ETH_P_IPV6);
	ip6 = data + ETH_HLEN_;
	*(__be32 *)ip6 = bpf_htonl(6U << 28);
	ip6->payload_len = bpf_htons(FM_PTB_LEN - IP6_HLEN);
	ip6->nexthdr = NH_ICMPV6;
	ip6->hop_limit = 255;
	fm_cfg_addr(&ip6->saddr, cfg.local);
	__builtin_memcpy(&ip6->daddr, dst, 16);
	icmp = data + ETH_HLEN_ + IP6_HLEN;
	icmp[0] = 2; /* Packet Too Big */
	icmp[1] = 0;
	icmp[2] = 0;
	icmp[3] = 0;
	*(__be32 *)(icmp + 4) = bpf_htonl(mtu);

	fm_cfg_addr(ph.src, cfg.local);
	__builtin_memcpy(ph.dst, dst, 16);
	ph.len = bpf_htonl(FM_PTB_LEN - IP6_HLEN);
	ph.nh = bpf_htonl(NH_ICMPV6);
	sum = (__u32)bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
	sum += (__u32)bpf_csum_diff(NULL, 0, (__be32 *)icmp, 512, 0);
	sum += (__u32)bpf_csum_diff(NULL, 0, (__be32 *)(icmp + 512), 512, 0);
	sum +=
	    (__u32)bpf_csum_diff(NULL, 0, (__be32 *)(icmp + 1024), FM_PTB_LEN - IP6_HLEN - 1024, 0);
	*(__u16 *)(icmp + 2) = fm_csum_fold(sum);
	fm_stat(FM_ST_PTB_SENT);
	return FM_V_TX;
fail:
	fm_stat(FM_ST_DROP_HELPER);
	return FM_V_DROP;
}

#endif /* FM_BPF_ICMP6_H */
