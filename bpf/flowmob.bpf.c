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

/* Per-packet bookkeeping of the LMA paths. */
struct fm_lpk {
	struct fm_pkt pk;
	struct fm_flow_key fk;
	struct fm_flow *fv; /* flow-cache entry of fk (NULL: none) */
	__u32 path;	    /* 1 + enum fm_stat_path when a path counter counted the packet */
	__u8 walked;	    /* pk and fk are filled */
	__u8 pad[3];
};

/* Walks the packet's extension headers and builds its flow key (once). */
static __always_inline void fm_lma_walk(void *ctx, const int xdp, struct fm_lpk *lp,
					struct ipv6hdr *ip6, void *data, void *data_end)
{
	if (lp->walked)
		return;
	fm_walk(ctx, xdp, data, data_end, ip6->nexthdr, &lp->pk);
	fm_flow_key_of(ip6, &lp->pk, &lp->fk);
	lp->walked = 1;
}

/* Packets the downlink hands to the stack untouched (signaling, ND, Time Exceeded);
 * 0: none of these. */
static __always_inline int fm_dl_pass_reason(const struct fm_pkt *pk, const struct ipv6hdr *ip6)
{
	if (pk->nh == NH_MH && pk->frag == FM_FRAG_NONE)
		return FM_ST_PASS_MH;
	if (pk->nh == NH_ICMPV6 && pk->frag == FM_FRAG_NONE && pk->icmp_type >= 133 &&
	    pk->icmp_type <= 137)
		return FM_ST_PASS_ND;
	if (ip6->hop_limit <= 1)
		return FM_ST_PASS_HOPLIMIT; /* the stack answers Time Exceeded */
	return 0;
}

/*
 * The flow-cache hit path of the downlink: the cached entry is current (its ver is
 * the MN's), forwards, and carries a valid next hop. Three map reads (fm_flows,
 * fm_mn, the binding counter; a flow that matched a rule also counts its FID), one
 * path counter. Returns FM_V_CONT when the packet must take the full path.
 */
static __always_inline int fm_lma_fast(void *ctx, const int xdp, struct fm_lpk *lp,
				       struct ipv6hdr *ip6, void *data_end, __u32 *redir)
{
	struct fm_flow *fv;
	struct fm_mn *m;
	__u8 coa[16], local[16];
	__u32 ip_len, mn;

	if (lp->pk.bad || lp->pk.frag == FM_FRAG_LATER)
		return FM_V_CONT;
	fv = bpf_map_lookup_elem(&fm_flows, &lp->fk);
	lp->fv = fv;
	if (!fv || lp->pk.frag != FM_FRAG_NONE || fm_dl_pass_reason(&lp->pk, ip6) ||
	    fv->action != FM_RA_FORWARD)
		return FM_V_CONT;
	mn = fv->mn;
	m = bpf_map_lookup_elem(&fm_mn, &mn);
	if (!m || READ_ONCE_U64(&m->ver) != fv->ver || !fm_nh_valid(&fv->nh, fm_nh_gen()))
		return FM_V_CONT;
	ip_len = bpf_ntohs(ip6->payload_len) + IP6_HLEN;
	if (fm_too_big(ctx, xdp, ip_len, lp->pk.l4_off - ETH_HLEN_ + lp->pk.l4_hlen))
		return FM_V_CONT;
	(void)data_end;
	if (fv->fid) {
		struct fm_fidkey fk = {.mn = mn, .fid = fv->fid};

		fm_count(&fm_fid_cnt, &fk, ip_len);
	}
	fm_count_arr(&fm_bind_cnt, fv->ci, ip_len);
	__builtin_memcpy(coa, fv->coa, 16);
	ip6->hop_limit--;
	fm_cfg_addr(local, cfg.local);
	if (fm_push_outer(ctx, xdp, local, coa))
		return FM_DROP(FM_ST_DROP_HELPER);
	if (fm_nh_apply(ctx, xdp, &fv->nh, redir) != FM_NH_OK)
		return FM_DROP(FM_ST_DROP_TRUNC);
	lp->path = 1 + FM_SP_LMA_DL_HIT;
	return *redir == fm_ingress(ctx, xdp) ? FM_V_TX : FM_V_REDIRECT;
}

/*
 * Downlink towards a mobile node: the IPv6 packet at ETH_HLEN_ is for mobile node
 * pv->mn. Classify, pick the binding, encapsulate to its MAG, resolve the next hop,
 * and store the decision with the binding's CoA and next hop in the flow cache.
 * from_tunnel: the packet was just decapsulated (MN to MN).
 */
static __always_inline int fm_lma_downlink(void *ctx, const int xdp, struct fm_lpk *lp,
					   const struct fm_prefix *pv, int from_tunnel)
{
	void *data = fm_data(ctx, xdp), *data_end = fm_data_end(ctx, xdp);
	struct fm_pkt *pk = &lp->pk;
	struct fm_decision d;
	struct fm_binding *b;
	struct ipv6hdr *ip6;
	struct fm_nh nh = {};
	__u32 ip_len, mn = pv->mn, gen;
	__u16 dflt = pv->default_bid;
	__u8 coa[16], local[16];
	int rc;

	ip6 = data + ETH_HLEN_;
	if ((void *)(ip6 + 1) > data_end)
		return FM_DROP(FM_ST_DROP_TRUNC);
	if (!lp->walked) {
		fm_lma_walk(ctx, xdp, lp, ip6, data, data_end);
		if (!pk->bad && pk->frag != FM_FRAG_LATER)
			lp->fv = bpf_map_lookup_elem(&fm_flows, &lp->fk);
	}
	if (pk->bad)
		return FM_DROP(pk->bad);
	rc = fm_dl_pass_reason(pk, ip6);
	if (rc) {
		fm_stat(rc);
		return FM_V_PASS;
	}
	ip_len = bpf_ntohs(ip6->payload_len) + IP6_HLEN;
	if (fm_too_big(ctx, xdp, ip_len, pk->l4_off - ETH_HLEN_ + pk->l4_hlen)) {
		fm_stat(FM_ST_DROP_TOO_BIG);
		if (from_tunnel || (!xdp && ((struct __sk_buff *)ctx)->gso_size))
			return FM_V_DROP;
		return fm_send_ptb(ctx, xdp, cfg.tunnel_mtu - IP6_HLEN);
	}

	rc = fm_classify(ip6, pk, mn, dflt, &lp->fk, lp->fv, &d);
	if (rc)
		return FM_DROP(rc);
	if (d.fid) {
		struct fm_fidkey fk = {.mn = mn, .fid = d.fid};

		fm_count(&fm_fid_cnt, &fk, ip_len);
	}
	if (d.action == FM_RA_DROP) {
		if (d.insert) {
			struct fm_flow nv = {
			    .ver = d.ver, .mn = mn, .fid = d.fid, .action = d.action};

			bpf_map_update_elem(&fm_flows, &lp->fk, &nv, BPF_ANY);
		}
		return FM_DROP(FM_ST_DROP_RULE);
	}
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
	gen = fm_nh_gen();
	rc = fm_nexthop(ctx, xdp, &b->nh, coa, fm_ingress(ctx, xdp), &pk->redir, gen, 1, &nh);
	if (rc == FM_NH_DROP)
		return FM_DROP(FM_ST_DROP_NO_ROUTE);
	if (rc == FM_NH_OK) {
		if (d.insert) {
			struct fm_flow nv = {.ver = d.ver,
					     .mn = mn,
					     .bid = d.bid,
					     .fid = d.fid,
					     .action = d.action,
					     .bi = d.bi,
					     .ci = b->ci};

			__builtin_memcpy(nv.coa, coa, 16);
			nv.nh = nh;
			bpf_map_update_elem(&fm_flows, &lp->fk, &nv, BPF_ANY);
		} else if (d.fv && d.fv->bi == d.bi) {
			fm_nh_store(&d.fv->nh, &nh); /* a hit whose next hop had expired */
		}
	} else if (d.insert) {
		/* next hop unresolved: the decision is cached, its next hop is not */
		struct fm_flow nv = {.ver = d.ver,
				     .mn = mn,
				     .bid = d.bid,
				     .fid = d.fid,
				     .action = d.action,
				     .bi = d.bi,
				     .ci = b->ci};

		__builtin_memcpy(nv.coa, coa, 16);
		bpf_map_update_elem(&fm_flows, &lp->fk, &nv, BPF_ANY);
	}
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
 * Every entry point starts here (fm_done counts the packet): make the first pull octets
 * linear (TC), and check Ethernet + IPv6. Returns FM_V_CONT with *ip6p set, or the
 * verdict for a packet that is truncated (dropped) or not IPv6 (passed).
 */
static __always_inline int fm_ingress_ip6(void *ctx, const int xdp, __u32 pull,
					  struct ipv6hdr **ip6p)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct ipv6hdr *ip6;

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

/* Decapsulated uplink to a correspondent: the next hop per inner destination from
 * the fm_ul_nh cache, else the FIB (which refreshes it). */
static __always_inline int fm_lma_ul_route(void *ctx, const int xdp, struct ipv6hdr *ip6,
					   __u32 *redir, __u32 *path)
{
	struct fm_ulnh_key k;
	struct fm_nh *c, nh = {};
	void *data, *data_end;
	__u32 gen = fm_nh_gen();
	int rc;

	if (ip6->hop_limit <= 1) {
		fm_stat(FM_ST_UL_TO_STACK);
		return FM_V_PASS;
	}
	__builtin_memcpy(k.dst, &ip6->daddr, 16);
	c = bpf_map_lookup_elem(&fm_ul_nh, &k);
	if (c && fm_nh_valid(c, gen)) {
		rc = fm_nh_apply(ctx, xdp, c, redir);
		*path = 1 + FM_SP_LMA_UL_FWD;
	} else {
		rc = fm_fib(ctx, xdp, k.dst, fm_ingress(ctx, xdp), redir, &nh, gen);
		if (rc == FM_NH_OK)
			bpf_map_update_elem(&fm_ul_nh, &k, &nh, BPF_ANY);
	}
	if (rc != FM_NH_OK) {
		*path = 0;
		fm_stat(FM_ST_UL_TO_STACK);
		return FM_V_PASS;
	}
	data = fm_data(ctx, xdp);
	data_end = fm_data_end(ctx, xdp);
	ip6 = data + ETH_HLEN_;
	if ((void *)(ip6 + 1) > data_end)
		return FM_DROP(FM_ST_DROP_TRUNC);
	ip6->hop_limit--;
	if (!*path)
		fm_stat(FM_ST_UL_FWD);
	return *redir == fm_ingress(ctx, xdp) ? FM_V_TX : FM_V_REDIRECT;
}

static __always_inline int fm_lma(void *ctx, const int xdp, __u32 *redir, __u32 *path)
{
	struct fm_lpk lp;
	void *data, *data_end;
	struct ipv6hdr *ip6;
	struct fm_prefix *pv;
	int from_tunnel = 0;
	__u8 local[16];
	int v;

	lp.walked = 0;
	lp.fv = NULL;
	lp.path = 0;
	lp.pk.redir = 0;
	v = fm_ingress_ip6(ctx, xdp, 512, &ip6);
	if (v != FM_V_CONT)
		return v;
	fm_cfg_addr(local, cfg.local);
	data = fm_data(ctx, xdp);
	data_end = fm_data_end(ctx, xdp);
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
	} else {
		/* Downlink: a current flow-cache entry needs no prefix lookup. */
		fm_lma_walk(ctx, xdp, &lp, ip6, data, data_end);
		v = fm_lma_fast(ctx, xdp, &lp, ip6, data_end, redir);
		if (v != FM_V_CONT) {
			*path = lp.path;
			return v;
		}
		data = fm_data(ctx, xdp);
		data_end = fm_data_end(ctx, xdp);
		ip6 = data + ETH_HLEN_;
		if ((void *)(ip6 + 1) > data_end)
			return FM_DROP(FM_ST_DROP_TRUNC);
	}
	pv = fm_prefix_lookup((const __u8 *)&ip6->daddr);
	if (pv) {
		v = fm_lma_downlink(ctx, xdp, &lp, pv, from_tunnel);
		*redir = lp.pk.redir;
		return v;
	}
	if (!from_tunnel) {
		fm_stat(FM_ST_PASS_NOT_MN);
		return FM_V_PASS;
	}
	return fm_lma_ul_route(ctx, xdp, ip6, redir, path);
}

/* ---- MAG --------------------------------------------------------------------- */

static __always_inline int fm_mag(void *ctx, const int xdp, __u32 *redir, __u32 *path)
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
		*path = 1 + FM_SP_MAG_DL_FWD;
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
		__u32 zero = 0, gen = fm_nh_gen();
		struct fm_nh *nh = bpf_map_lookup_elem(&fm_mag_nh, &zero), used;

		if (nh && fm_nh_valid(nh, gen))
			*path = 1 + FM_SP_MAG_UL_FWD;
		rc = fm_nexthop(ctx, xdp, nh, lma, fm_ingress(ctx, xdp), redir, gen, 0, &used);
	}
	if (rc == FM_NH_DROP) {
		*path = 0;
		return FM_DROP(FM_ST_DROP_NO_ROUTE);
	}
	if (rc == FM_NH_STACK) {
		*path = 0;
		fm_stat(FM_ST_MAG_UL_TO_STACK);
		return FM_V_PASS;
	}
	if (!*path)
		fm_stat(FM_ST_MAG_UL_FWD);
	return *redir == fm_ingress(ctx, xdp) ? FM_V_TX : FM_V_REDIRECT;
}

/* Counts the packet: its path counter, or rx; every FM_NH_SAMPLE packets of a CPU
 * the next-hop clock takes a look at the time. */
static __always_inline void fm_done(__u32 path)
{
	__u64 n;

	if (path) {
		n = fm_stat_path(path - 1);
	} else {
		__u32 idx = FM_ST_RX;
		__u64 *v = bpf_map_lookup_elem(&fm_stats, &idx);

		n = v ? ++*v : 0;
	}
	fm_nh_tick(n);
}

SEC("xdp")
int fm_lma_xdp(struct xdp_md *ctx)
{
	__u32 redir = 0, path = 0;
	int v = fm_lma(ctx, FM_XDP, &redir, &path);

	fm_done(path);
	return fm_finish(ctx, FM_XDP, v, redir);
}

SEC("tc")
int fm_lma_tc(struct __sk_buff *skb)
{
	__u32 redir = 0, path = 0;
	int v = fm_lma(skb, FM_TC, &redir, &path);

	fm_done(path);
	return fm_finish(skb, FM_TC, v, redir);
}

SEC("xdp")
int fm_mag_xdp(struct xdp_md *ctx)
{
	__u32 redir = 0, path = 0;
	int v = fm_mag(ctx, FM_XDP, &redir, &path);

	fm_done(path);
	return fm_finish(ctx, FM_XDP, v, redir);
}

SEC("tc")
int fm_mag_tc(struct __sk_buff *skb)
{
	__u32 redir = 0, path = 0;
	int v = fm_mag(skb, FM_TC, &redir, &path);

	fm_done(path);
	return fm_finish(skb, FM_TC, v, redir);
}
