/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * classify.h — flow classification (RFC 6088 selectors, RFC 6089 priorities):
 * the exact-tuple LRU flow cache tagged with the MN's {slot, epoch} word, the
 * priority-ordered scan of the active rule slot (bpf_loop: verified once,
 * whatever the number of rules), binding resolution (BID or access technology,
 * skipping bindings that are down), and the fragment decision LRU.
 */
#ifndef FM_BPF_CLASSIFY_H
#define FM_BPF_CLASSIFY_H

#include "maps.h"
#include "parse.h"

struct fm_cls {
	struct fm_a128 src, dst;
	__u32 spi, fl;
	__u16 sport, dport;
	__u8 tc, nh, have, pad;
	__u32 mn;
	__u32 rs;
	/* result */
	__u32 matched;
	__u32 bi;
	__u16 bid, fid;
	__u8 action;
	__u8 pad2[3];
};

/*
 * A usable binding of the MN from its compact list in fm_mn: the one with this
 * BID (bid != 0), else the first whose access technology the rule lists (r), else
 * the first at all (r == NULL). Returns its fm_bval index, 0 if none; *bid_out
 * gets its BID.
 */
static __always_inline __u32 fm_mn_pick(const struct fm_mn *m, __u16 bid, const struct fm_rule *r,
					__u16 *bid_out)
{
	int i, j;

#pragma unroll
	for (i = 0; i < FM_MAX_BIND_PER_MN; i++) {
		struct fm_mn_bind b;

		__builtin_memcpy(&b, (const void *)&m->bind[i], sizeof(b));
		if ((b.flags & (FM_MB_VALID | FM_MB_DOWN)) != FM_MB_VALID || !b.bi)
			continue;
		if (bid) {
			if (b.bid != bid)
				continue;
		} else if (r) {
			int hit = 0;

#pragma unroll
			for (j = 0; j < FM_MAX_ATT; j++)
				if (j < r->n_att && r->att[j] == b.att)
					hit = 1;
			if (!hit)
				continue;
		}
		*bid_out = b.bid;
		return b.bi;
	}
	return 0;
}

static __always_inline int fm_rule_match(const struct fm_rule *r, const struct fm_cls *c)
{
	__u8 f = r->fields;

	if (r->v4)
		return 0;
	if ((f & (FM_RF_SPORT | FM_RF_DPORT)) && !(c->have & FM_HAVE_PORTS))
		return 0;
	if ((f & FM_RF_SPI) && !(c->have & FM_HAVE_SPI))
		return 0;
	if ((f & FM_RF_NH) && (c->nh < r->nh_lo || c->nh > r->nh_hi))
		return 0;
	if ((f & FM_RF_DPORT) && (c->dport < r->dport_lo || c->dport > r->dport_hi))
		return 0;
	if ((f & FM_RF_SPORT) && (c->sport < r->sport_lo || c->sport > r->sport_hi))
		return 0;
	if ((f & FM_RF_TC) && (c->tc < r->tc_lo || c->tc > r->tc_hi))
		return 0;
	if ((f & FM_RF_FL) && (c->fl < r->fl_lo || c->fl > r->fl_hi))
		return 0;
	if ((f & FM_RF_SPI) && (c->spi < r->spi_lo || c->spi > r->spi_hi))
		return 0;
	if (f & FM_RF_DST) {
		if (!fm_a128_le(fm_a128_load(r->dst_lo), c->dst) ||
		    !fm_a128_le(c->dst, fm_a128_load(r->dst_hi)))
			return 0;
	}
	if (f & FM_RF_SRC) {
		if (!fm_a128_le(fm_a128_load(r->src_lo), c->src) ||
		    !fm_a128_le(c->src, fm_a128_load(r->src_hi)))
			return 0;
	}
	return 1;
}

/* bpf_loop callback: rule i of the active rule set. Returns 1 to stop. */
static long fm_rule_cb(__u32 i, void *arg)
{
	struct fm_cls *c = arg;
	struct fm_ruleset *rs;
	struct fm_rule *r;
	__u32 key = c->rs, bi;
	__u16 bid;

	rs = bpf_map_lookup_elem(&fm_rulesets, &key);
	i &= FM_MAX_RULES - 1; /* bpf_loop runs FM_MAX_RULES rounds: a no-op bound */
	if (!rs || i >= rs->n)
		return 1;
	r = &rs->r[i];
	if (!fm_rule_match(r, c))
		return 0;
	bid = 0;
	bi = 0;
	if (r->action != FM_RA_DROP) {
		__u32 mk = c->mn;
		struct fm_mn *m = bpf_map_lookup_elem(&fm_mn, &mk);

		if (!m)
			return 0;
		/* target down or gone: later rules, then the default */
		bi = fm_mn_pick(m, r->bid, r, &bid);
		if (!bi)
			return 0;
	}
	c->matched = 1;
	c->bi = bi;
	c->bid = bid;
	c->fid = r->fid;
	c->action = r->action;
	return 1;
}

struct fm_decision {
	__u32 bi; /* fm_bval index, 0: no usable binding */
	__u16 bid;
	__u16 fid; /* 0: default binding */
	__u8 action;
};

/* Default binding of the prefix, else any usable binding of the MN. */
static __always_inline void fm_default(const struct fm_mn *m, __u16 dflt, struct fm_decision *d)
{
	d->bi = dflt ? fm_mn_pick(m, dflt, NULL, &d->bid) : 0;
	if (!d->bi)
		d->bi = fm_mn_pick(m, 0, NULL, &d->bid);
}

/*
 * Classifies the IPv6 packet ip6 (already walked into pk) for mobile node mn.
 * Fills d; returns 0, or a FM_ST_DROP_* reason.
 */
static __always_inline int fm_classify(const struct ipv6hdr *ip6, const struct fm_pkt *pk, __u32 mn,
				       __u16 dflt, struct fm_decision *d)
{
	struct fm_flow_key fk;
	struct fm_flow *fv;
	struct fm_mn *m;
	struct fm_cls c;
	__u64 ver;
	__u32 slot;

	d->bi = 0;
	d->bid = 0;
	d->fid = 0;
	d->action = FM_RA_FORWARD;

	m = bpf_map_lookup_elem(&fm_mn, &mn);
	if (!m)
		return FM_ST_DROP_NO_BINDING;
	ver = READ_ONCE_U64(&m->ver);
	{
		struct fm_ver v;

		__builtin_memcpy(&v, &ver, sizeof(v));
		slot = v.slot & 1;
	}
	c.rs = slot ? m->rs[1] : m->rs[0];

	if (pk->frag == FM_FRAG_LATER) {
		struct fm_frag_key kk;

		__builtin_memcpy(kk.src, &ip6->saddr, 16);
		__builtin_memcpy(kk.dst, &ip6->daddr, 16);
		kk.id = pk->frag_id;
		fv = bpf_map_lookup_elem(&fm_frags, &kk);
		if (fv && fv->mn == mn) {
			fm_stat(FM_ST_FRAG_FOLLOW);
			d->bi = fv->bi;
			d->bid = fv->bid;
			d->fid = fv->fid;
			d->action = fv->action;
			return 0;
		}
		/* The first fragment's decision is unknown (not seen yet, or evicted from
		 * the LRU when it overflowed). With rules it may have gone to another binding
		 * than the default: never split one packet across MAGs, drop and count it. */
		if (c.rs)
			return FM_ST_DROP_FRAG_MN;
		fm_stat(FM_ST_FRAG_DEFAULT);
		fm_default(m, dflt, d);
		return 0;
	}

	if (!c.rs) { /* no rules: the default binding */
		fm_stat(FM_ST_RULE_DEFAULT);
		fm_default(m, dflt, d);
		goto frag_first;
	}

	__builtin_memcpy(fk.src, &ip6->saddr, 16);
	__builtin_memcpy(fk.dst, &ip6->daddr, 16);
	c.tc = fm_ip6_tc(ip6);
	c.fl = fm_ip6_fl(ip6);
	fk.fl_tc = c.fl | ((__u32)c.tc << 20);
	fk.l4 = (pk->have & FM_HAVE_SPI) ? pk->spi : ((__u32)pk->sport << 16 | pk->dport);
	fk.nh = pk->nh;
	fk.pad[0] = fk.pad[1] = fk.pad[2] = 0;

	fv = bpf_map_lookup_elem(&fm_flows, &fk);
	if (fv && fv->mn == mn) {
		if (fv->ver == ver) {
			fm_stat(FM_ST_CACHE_HIT);
			d->bi = fv->bi;
			d->bid = fv->bid;
			d->fid = fv->fid;
			d->action = fv->action;
			goto frag_first;
		}
		fm_stat(FM_ST_CACHE_STALE);
	}
	fm_stat(FM_ST_CACHE_MISS);

	c.src = fm_a128_load(&ip6->saddr);
	c.dst = fm_a128_load(&ip6->daddr);
	c.spi = pk->spi;
	c.sport = pk->sport;
	c.dport = pk->dport;
	c.nh = pk->nh;
	c.have = pk->have;
	c.pad = 0;
	c.mn = mn;
	c.matched = 0;
	c.bi = 0;
	c.bid = 0;
	c.fid = 0;
	c.action = 0;
	bpf_loop(FM_MAX_RULES, fm_rule_cb, &c, 0);
	if (c.matched) {
		fm_stat(FM_ST_RULE_MATCH);
		d->bi = c.bi;
		d->bid = c.bid;
		d->fid = c.fid;
		d->action = c.action;
	} else {
		fm_stat(FM_ST_RULE_DEFAULT);
		fm_default(m, dflt, d);
	}
	{
		struct fm_flow nv = {.ver = ver,
				     .mn = mn,
				     .bid = d->bid,
				     .fid = d->fid,
				     .action = d->action,
				     .bi = d->bi};

		if (d->bi || d->action == FM_RA_DROP)
			bpf_map_update_elem(&fm_flows, &fk, &nv, BPF_ANY);
	}

frag_first:
	if (pk->frag == FM_FRAG_FIRST) {
		struct fm_frag_key kk;
		struct fm_flow nv = {.ver = ver,
				     .mn = mn,
				     .bid = d->bid,
				     .fid = d->fid,
				     .action = d->action,
				     .bi = d->bi};

		__builtin_memcpy(kk.src, &ip6->saddr, 16);
		__builtin_memcpy(kk.dst, &ip6->daddr, 16);
		kk.id = pk->frag_id;
		bpf_map_update_elem(&fm_frags, &kk, &nv, BPF_ANY);
		fm_stat(FM_ST_FRAG_FIRST);
	}
	return 0;
}

#endif /* FM_BPF_CLASSIFY_H */
