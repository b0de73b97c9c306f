// SPDX-License-Identifier: Dual BSD/GPL
/*
 * flowmob.bpf.c — the flowmob data plane: LMA and MAG programs, each with an XDP
 * and a TC (clsact ingress) entry point compiled from the same code.
 *
 *  fm_lma_{xdp,tc}: on every LMA interface. Tunnel packets to our address from a
 *    registered MAG are decapsulated (uplink) and forwarded, or sent back down
 *    the tunnel when the inner destination is a mobile node (MN to MN); packets
 *    to a mobile node's prefix are classified and encapsulated to its MAG
 *    (downlink); everything else goes to the stack untouched.
 *  fm_mag_{xdp,tc}: on every MAG interface. Tunnel packets from the LMA are
 *    decapsulated and delivered to the MN's access interface and MAC; packets
 *    from an attached MN's prefix are encapsulated to the LMA.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/classify.h"
#include "lib/encap.h"
#include "lib/icmp6.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FM_DROP(reason)                                                                            \
	({                                                                                         \
		fm_stat(reason);                                                                   \
		FM_V_DROP;                                                                         \
	})

/* Would the encapsulated packet (or each of its GSO segments) exceed the tunnel MTU? */
static __always_inline int fm_too_big(void *ctx, const int xdp, __u32 ip_len, __u32 hdr_len)
{
	if (!xdp) {
		__u32 gso = ((struct __sk_buff *)ctx)->gso_size;

		if (gso)
			return hdr_len + gso + IP6_HLEN > cfg.tunnel_mtu;
	}
	return ip_len + IP6_HLEN > cfg.tunnel_mtu;
}

/*
 * Downlink towards a mobile node: the IPv6 packet at ETH_HLEN_ is for mobile node
 * pv->mn. Classify, pick the binding, encapsulate to its MAG, resolve the next hop.
 * from_tunnel: the packet was just decapsulated (MN to MN).
 */
static __always_inline int fm_lma_downlink(void *ctx, const int xdp, struct fm_pkt *pk,
					   const struct fm_prefix *pv, int from_tunnel)
{
	void *data = fm_data(ctx, xdp), *data_end = fm_data_end(ctx, xdp);
	struct fm_decision d;
	struct fm_binding *b;
	struct ipv6hdr *ip6;
	__u32 ip_len, mn = pv->mn;
	__u16 dflt = pv->default_bid;
	__u8 coa[16], local[16];
	int rc;

	ip6 = data + ETH_HLEN_;
	if ((void *)(ip6 + 1) > data_end)
		return FM_DROP(FM_ST_DROP_TRUNC);
	fm_walk(ctx, xdp, data, data_end, ip6->nexthdr, pk);
	if (pk->bad)
		return FM_DROP(pk->bad);
	if (pk->nh == NH_MH && pk->frag == FM_FRAG_NONE) {
		fm_stat(FM_ST_PASS_MH);
		return FM_V_PASS;
	}
	if (pk->nh == NH_ICMPV6 && pk->frag == FM_FRAG_NONE && pk->icmp_type >= 133 &&
	    pk->icmp_type <= 137) {
		fm_stat(FM_ST_PASS_ND);
		return FM_V_PASS;
	}
	if (ip6->hop_limit <= 1) {
		fm_stat(FM_ST_PASS_HOPLIMIT); /* the stack answers Time Exceeded */
		return FM_V_PASS;
	}
	ip_len = bpf_ntohs(ip6->payload_len) + IP6_HLEN;
	if (fm_too_big(ctx, xdp, ip_len, pk->l4_off - ETH_HLEN_ + pk->l4_hlen)) {
		fm_stat(FM_ST_DROP_TOO_BIG);
		if (from_tunnel || (!xdp && ((struct __sk_buff *)ctx)->gso_size))
			return FM_V_DROP;
		return fm_send_ptb(ctx, xdp, cfg.tunnel_mtu - IP6_HLEN);
	}

	rc = fm_classify(ip6, pk, mn, dflt, &d);
	if (rc)
		return FM_DROP(rc);
	if (d.fid) {
		struct fm_fidkey fk = {.mn = mn, .fid = d.fid};

		fm_count(&fm_fid_cnt, &fk, ip_len);
	}
	if (d.action == FM_RA_DROP)
		return FM_DROP(FM_ST_DROP_RULE);
	if (!d.bi)
		return FM_DROP(FM_ST_DROP_NO_BINDING);
	b = bpf_map_lookup_elem(&fm_bval, &d.bi);
	if (!b || b->mn != mn || b->bid != d.bid)
		return FM_DROP(FM_ST_DROP_NO_BINDING);
	fm_count_arr(&fm_bind_cnt, b->ci, ip_len);
	__builtin_memcpy(coa, b->coa, 16);

	ip6->hop_limit--;
	fm_cfg_addr(local, cfg.local);
	if (fm_push_outer(ctx, xdp, local, coa))
		return FM_DROP(FM_ST_DROP_HELPER);
	rc = fm_nexthop(ctx, xdp, &b->nh, coa, fm_ingress(ctx, xdp), &pk->redir);
	if (rc == FM_NH_DROP)
		return FM_DROP(FM_ST_DROP_NO_ROUTE);
	if (rc == FM_NH_STACK) {
		fm_stat(FM_ST_DL_TO_STACK);
		return FM_V_PASS;
	}
	fm_stat(from_tunnel ? FM_ST_MN_TO_MN : FM_ST_DL_FWD);
	return pk->redir == fm_ingress(ctx, xdp) ? FM_V_TX : FM_V_REDIRECT;
}

/*
 * Uplink: an IPv6-in-IPv6 packet to our address. Checks the MAG and the inner
 * source, strips the outer header. Returns FM_V_CONT when the inner packet is
 * ready for forwarding, or a verdict.
 */
static __always_inline int fm_lma_uplink(void *ctx, const int xdp)
{
	void *data = fm_data(ctx, xdp), *data_end = fm_data_end(ctx, xdp);
	struct ipv6hdr *out, *in;
	struct fm_spoof_key sk;
	struct fm_prefix *pv;
	struct fm_spoof *sv;
	struct fm_addr peer;
	int rc;

	out = data + ETH_HLEN_;
	in = data + ETH_HLEN_ + IP6_HLEN;
	if ((void *)(out + 1) > data_end)
		return FM_DROP(FM_ST_DROP_TRUNC);
	__builtin_memcpy(peer.addr, &out->saddr, 16);
	if (!bpf_map_lookup_elem(&fm_peers, &peer))
		return FM_DROP(FM_ST_DROP_UNKNOWN_PEER);
	if ((void *)(in + 1) > data_end)
		return FM_DROP(FM_ST_DROP_TUNNEL_INNER);
	pv = fm_prefix_lookup((const __u8 *)&in->saddr);
	if (!pv)
		return FM_DROP(FM_ST_DROP_SPOOF);
	__builtin_memcpy(sk.coa, peer.addr, 16);
	sk.mn = pv->mn;
	sv = bpf_map_lookup_elem(&fm_spoof, &sk);
	if (!sv || !sv->nbind)
		return FM_DROP(FM_ST_DROP_SPOOF);
	fm_count_arr(&fm_bind_cnt, sv->ci, bpf_ntohs(in->payload_len) + IP6_HLEN);
	rc = fm_pop_outer(ctx, xdp);
	if (rc)
		return FM_DROP(rc);
	return FM_V_CONT;
}

/*
 * Every entry point starts here: count the packet, make the first pull octets
 * linear (TC), and check Ethernet + IPv6. Returns FM_V_CONT with *ip6p set, or the
 * verdict for a packet that is truncated (dropped) or not IPv6 (passed).
 */
static __always_inline int fm_ingress_ip6(void *ctx, const int xdp, __u32 pull,
					  struct ipv6hdr **ip6p)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct ipv6hdr *ip6;

	fm_stat(FM_ST_RX);
	if (!xdp) {
		struct __sk_buff *skb = ctx;
		__u32 want = skb->len < pull ? skb->len : pull;

		if (fm_data(ctx, xdp) + want > fm_data_end(ctx, xdp))
			bpf_skb_pull_data(skb, want);
	}
	data = fm_data(ctx, xdp);
	data_end = fm_data_end(ctx, xdp);
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return FM_DROP(FM_ST_DROP_TRUNC);
	if (eth->h_proto != bpf_htons(ETH_P_IPV6)) {
		fm_stat(FM_ST_PASS_NOT_IP6);
		return FM_V_PASS;
	}
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end)
		return FM_DROP(FM_ST_DROP_TRUNC);
	if (ip6->version != 6) {
		fm_stat(FM_ST_PASS_NOT_IP6);
		return FM_V_PASS;
	}
	*ip6p = ip6;
	return FM_V_CONT;
}

static __always_inline int fm_lma(void *ctx, const int xdp, __u32 *redir)
{
	struct fm_pkt pk = {};
	void *data, *data_end;
	struct ipv6hdr *ip6;
	struct fm_prefix *pv;
	int from_tunnel = 0;
	__u8 local[16];
	int v;

	v = fm_ingress_ip6(ctx, xdp, 512, &ip6);
	if (v != FM_V_CONT)
		return v;
	fm_cfg_addr(local, cfg.local);
	if (ip6->nexthdr == NH_IPV6 && fm_ip6_eq(&ip6->daddr, local)) {
		v = fm_lma_uplink(ctx, xdp);
		if (v != FM_V_CONT)
			return v;
		from_tunnel = 1;
		data = fm_data(ctx, xdp);
		data_end = fm_data_end(ctx, xdp);
		ip6 = data + ETH_HLEN_;
		if ((void *)(ip6 + 1) > data_end)
			return FM_DROP(FM_ST_DROP_TRUNC);
	}
	pv = fm_prefix_lookup((const __u8 *)&ip6->daddr);
	if (pv) {
		v = fm_lma_downlink(ctx, xdp, &pk, pv, from_tunnel);
		*redir = pk.redir;
		return v;
	}
	if (!from_tunnel) {
		fm_stat(FM_ST_PASS_NOT_MN);
		return FM_V_PASS;
	}
	/* Decapsulated uplink to a correspondent: route the inner packet. */
	if (ip6->hop_limit <= 1) {
		fm_stat(FM_ST_UL_TO_STACK);
		return FM_V_PASS;
	}
	{
		__u8 dst[16];
		int rc;

		__builtin_memcpy(dst, &ip6->daddr, 16);
		rc = fm_nexthop(ctx, xdp, NULL, dst, fm_ingress(ctx, xdp), redir);
		if (rc != FM_NH_OK) {
			fm_stat(FM_ST_UL_TO_STACK);
			return FM_V_PASS;
		}
		data = fm_data(ctx, xdp);
		data_end = fm_data_end(ctx, xdp);
		ip6 = data + ETH_HLEN_;
		if ((void *)(ip6 + 1) > data_end)
			return FM_DROP(FM_ST_DROP_TRUNC);
		ip6->hop_limit--;
	}
	fm_stat(FM_ST_UL_FWD);
	return *redir == fm_ingress(ctx, xdp) ? FM_V_TX : FM_V_REDIRECT;
}

/* ---- MAG --------------------------------------------------------------------- */

static __always_inline int fm_mag(void *ctx, const int xdp, __u32 *redir)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct ipv6hdr *ip6;
	struct fm_prefix *pv;
	__u32 mn, ip_len;
	__u8 local[16], lma[16];
	__u8 a0;
	int rc;

	rc = fm_ingress_ip6(ctx, xdp, 128, &ip6);
	if (rc != FM_V_CONT)
		return rc;

	fm_cfg_addr(local, cfg.local);
	fm_cfg_addr(lma, cfg.lma);
	if (ip6->nexthdr == NH_IPV6 && fm_ip6_eq(&ip6->daddr, local)) {
		/* Downlink from the LMA. */
		if (!fm_ip6_eq(&ip6->saddr, lma))
			return FM_DROP(FM_ST_DROP_UNKNOWN_PEER);
		rc = fm_pop_outer(ctx, xdp);
		if (rc)
			return FM_DROP(rc);
		data = fm_data(ctx, xdp);
		data_end = fm_data_end(ctx, xdp);
		eth = data;
		ip6 = data + ETH_HLEN_;
		if ((void *)(ip6 + 1) > data_end)
			return FM_DROP(FM_ST_DROP_TRUNC);
		pv = fm_prefix_lookup((const __u8 *)&ip6->daddr);
		if (!pv)
			return FM_DROP(FM_ST_DROP_NO_ROUTE);
		if (ip6->hop_limit <= 1) {
			fm_stat(FM_ST_PASS_HOPLIMIT);
			return FM_V_PASS;
		}
		ip6->hop_limit--;
		__builtin_memcpy(eth->h_dest, pv->mn_mac, 6);
		__builtin_memcpy(eth->h_source, pv->if_mac, 6);
		mn = pv->mn;
		*redir = pv->ifindex;
		fm_count_arr(&fm_mn_cnt, mn, bpf_ntohs(ip6->payload_len) + IP6_HLEN);
		fm_stat(FM_ST_MAG_DL_FWD);
		return *redir == fm_ingress(ctx, xdp) ? FM_V_TX : FM_V_REDIRECT;
	}

	/* Uplink candidates: global source of an attached MN, global destination. */
	a0 = ((__u8 *)&ip6->daddr)[0];
	if (a0 == 0xff || (a0 == 0xfe && (((__u8 *)&ip6->daddr)[1] & 0xc0) == 0x80) ||
	    fm_ip6_eq(&ip6->daddr, local)) {
		fm_stat(FM_ST_PASS_LOCAL);
		return FM_V_PASS;
	}
	pv = fm_prefix_lookup((const __u8 *)&ip6->saddr);
	if (!pv) {
		fm_stat(FM_ST_PASS_NOT_MN);
		return FM_V_PASS;
	}
	if (pv->ifindex && pv->ifindex != fm_ingress(ctx, xdp))
		return FM_DROP(FM_ST_DROP_SPOOF);
	if (ip6->hop_limit <= 1) {
		fm_stat(FM_ST_PASS_HOPLIMIT);
		return FM_V_PASS;
	}
	mn = pv->mn;
	ip_len = bpf_ntohs(ip6->payload_len) + IP6_HLEN;
	{
		__u32 hdr = IP6_HLEN + 60;

		if (fm_too_big(ctx, xdp, ip_len, hdr)) {
			fm_stat(FM_ST_DROP_TOO_BIG);
			if (!xdp && ((struct __sk_buff *)ctx)->gso_size)
				return FM_V_DROP;
			return fm_send_ptb(ctx, xdp, cfg.tunnel_mtu - IP6_HLEN);
		}
	}
	fm_count_arr(&fm_mn_cnt, mn, ip_len);
	ip6->hop_limit--;
	if (fm_push_outer(ctx, xdp, local, lma))
		return FM_DROP(FM_ST_DROP_HELPER);
	{
		__u32 zero = 0;
		struct fm_nh *nh = bpf_map_lookup_elem(&fm_mag_nh, &zero);

		rc = fm_nexthop(ctx, xdp, nh, lma, fm_ingress(ctx, xdp), redir);
	}
	if (rc == FM_NH_DROP)
		return FM_DROP(FM_ST_DROP_NO_ROUTE);
	if (rc == FM_NH_STACK) {
		fm_stat(FM_ST_MAG_UL_TO_STACK);
		return FM_V_PASS;
	}
	fm_stat(FM_ST_MAG_UL_FWD);
	return *redir == fm_ingress(ctx, xdp) ? FM_V_TX : FM_V_REDIRECT;
}

SEC("xdp")
int fm_lma_xdp(struct xdp_md *ctx)
{
	__u32 redir = 0;
	int v = fm_lma(ctx, FM_XDP, &redir);

	return fm_finish(ctx, FM_XDP, v, redir);
}

SEC("tc")
int fm_lma_tc(struct __sk_buff *skb)
{
	__u32 redir = 0;
	int v = fm_lma(skb, FM_TC, &redir);

	return fm_finish(skb, FM_TC, v, redir);
}

SEC("xdp")
int fm_mag_xdp(struct xdp_md *ctx)
{
	__u32 redir = 0;
	int v = fm_mag(ctx, FM_XDP, &redir);

	return fm_finish(ctx, FM_XDP, v, redir);
}

SEC("tc")
int fm_mag_tc(struct __sk_buff *skb)
{
	__u32 redir = 0;
	int v = fm_mag(skb, FM_TC, &redir);

	return fm_finish(skb, FM_TC, v, redir);
}
