/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * common.h — includes, protocol constants and the context abstraction that lets
 * one code base serve the XDP and the TC (clsact) entry points: every helper
 * takes `void *ctx` plus a compile-time constant `xdp`, so each entry point is
 * compiled with the other mode's branches removed.
 */
#ifndef FM_BPF_COMMON_H
#define FM_BPF_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "fm_dp_maps.h"
#include "fm_stats.h"

#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV6
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8) /* kernel >= 6.3 */
#endif

#define FM_XDP 1
#define FM_TC  0

#define ETH_HLEN_ 14
#define IP6_HLEN  40

#define NH_HOPOPTS  0
#define NH_TCP	    6
#define NH_UDP	    17
#define NH_IPV6	    41
#define NH_ROUTING  43
#define NH_FRAGMENT 44
#define NH_ESP	    50
#define NH_AH	    51
#define NH_ICMPV6   58
#define NH_NONE	    59
#define NH_DSTOPTS  60
#define NH_SCTP	    132
#define NH_MH	    135
#define NH_UDPLITE  136

#define ECN_NOT_ECT 0
#define ECN_ECT1    1
#define ECN_ECT0    2
#define ECN_CE	    3

#define READ_ONCE_U64(p) (*(volatile __u64 *)(p))

/* Internal verdicts, mapped to XDP_* / TC_ACT_* by fm_finish(). */
enum fm_verdict {
	FM_V_PASS = 0,
	FM_V_DROP,
	FM_V_TX,       /* back out of the ingress interface */
	FM_V_REDIRECT, /* to fm_pkt.redir */
	FM_V_CONT,     /* internal: continue with the next stage */
};

/* Read-only configuration, filled by the loader before load. */
const volatile struct fm_cfg cfg = {
    .tunnel_mtu = 1500,
    .hop_limit = 64,
    .nh_ttl_ns = 1000000000ULL,
    .ptb_interval_ns = 10000000ULL,
    .ptb_burst = 10,
};

/* Addresses from cfg: read through volatile, or the compiler folds in the initializer. */
static __always_inline void fm_cfg_addr(void *dst, const volatile __u8 *src)
{
	__u64 w[2];

	w[0] = *(const volatile __u64 *)src;
	w[1] = *(const volatile __u64 *)(src + 8);
	__builtin_memcpy(dst, w, 16);
}

static __always_inline void *fm_data(void *ctx, const int xdp)
{
	if (xdp)
		return (void *)(long)((struct xdp_md *)ctx)->data;
	return (void *)(long)((struct __sk_buff *)ctx)->data;
}

static __always_inline void *fm_data_end(void *ctx, const int xdp)
{
	if (xdp)
		return (void *)(long)((struct xdp_md *)ctx)->data_end;
	return (void *)(long)((struct __sk_buff *)ctx)->data_end;
}

static __always_inline __u32 fm_ingress(void *ctx, const int xdp)
{
	asm volatile("" : "+r"(ctx)); /* see fm_finish */
	if (xdp)
		return ((struct xdp_md *)ctx)->ingress_ifindex;
	return ((struct __sk_buff *)ctx)->ifindex;
}

static __always_inline __u32 fm_len(void *ctx, const int xdp)
{
	if (xdp)
		return (__u32)(fm_data_end(ctx, xdp) - fm_data(ctx, xdp));
	return ((struct __sk_buff *)ctx)->len;
}

static __always_inline int fm_finish(void *ctx, const int xdp, int v, __u32 ifindex)
{
	/* keep clang from reusing an address ctx + offset computed earlier: the verifier
	 * only accepts ctx loads at a constant offset from ctx itself */
	asm volatile("" : "+r"(ctx));
	if (xdp) {
		switch (v) {
		case FM_V_DROP:
			return XDP_DROP;
		case FM_V_TX:
			/* Not XDP_TX: on veth, XDP_TX frames towards a peer without an
			 * XDP program wait in its ring until something else kicks its
			 * NAPI; a redirect to ourselves flushes. */
			return bpf_redirect(((struct xdp_md *)ctx)->ingress_ifindex, 0);
		case FM_V_REDIRECT:
			return bpf_redirect(ifindex, 0);
		default:
			return XDP_PASS;
		}
	}
	switch (v) {
	case FM_V_DROP:
		return TC_ACT_SHOT;
	case FM_V_TX:
		return bpf_redirect(((struct __sk_buff *)ctx)->ifindex, 0);
	case FM_V_REDIRECT:
		return bpf_redirect(ifindex, 0);
	default:
		return TC_ACT_OK;
	}
}

/* 128-bit address helpers (addresses in packets and maps are network order). */
struct fm_a128 {
	__u64 hi, lo; /* host order, so that < and > compare like the address */
};

static __always_inline struct fm_a128 fm_a128_load(const void *p)
{
	struct fm_a128 a;
	__u64 w[2];

	__builtin_memcpy(w, p, 16);
	a.hi = bpf_be64_to_cpu(w[0]);
	a.lo = bpf_be64_to_cpu(w[1]);
	return a;
}

static __always_inline int fm_a128_le(struct fm_a128 a, struct fm_a128 b)
{
	return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo);
}

static __always_inline int fm_ip6_eq(const void *a, const void *b)
{
	__u64 x[2], y[2];

	__builtin_memcpy(x, a, 16);
	__builtin_memcpy(y, b, 16);
	return x[0] == y[0] && x[1] == y[1];
}

static __always_inline __u8 fm_ip6_tc(const struct ipv6hdr *ip6)
{
	return (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
}

static __always_inline __u32 fm_ip6_fl(const struct ipv6hdr *ip6)
{
	return ((__u32)(ip6->flow_lbl[0] & 0x0f) << 16) | ((__u32)ip6->flow_lbl[1] << 8) |
	       ip6->flow_lbl[2];
}

static __always_inline void fm_ip6_set_ecn(struct ipv6hdr *ip6, __u8 ecn)
{
	ip6->flow_lbl[0] = (ip6->flow_lbl[0] & ~0x30) | (ecn << 4);
}

#endif /* FM_BPF_COMMON_H */
