/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * classify.h — flow classification (RFC 6088 selectors, RFC 6089 priorities):
 * the exact-tuple LRU flow cache tagged with the MN's {slot, epoch} word, the
 * bit-vector classifier of the active rule slot (one binary search per field a rule
 * uses, AND, lowest set bit first: the cost does not grow with the number of rules),
 * binding resolution (BID or access technology, skipping bindings that are down),
 * and the fragment decision LRU.
 */
#ifndef FM_BPF_CLASSIFY_H
#define FM_BPF_CLASSIFY_H

#include "maps.h"
#include "parse.h"

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

/* ---- bit-vector classification -------------------------------------------------- */

struct fm_cls {
	struct fm_a128 src, dst;
	__u32 spi, fl;
	__u16 sport, dport;
	__u8 tc, nh, have, pad;
	__u32 mn;
	__u32 rs;
	__u64 acc[FM_RULE_WORDS]; /* candidate rules: the AND of the fields' bitmaps */
	/* result */
	__u32 matched;
	__u32 bi;
	__u16 bid, fid;
	__u8 action;
	__u8 pad2[3];
};

/* The packet's value of field f as a 128-bit number (narrow fields in lo). */
static __always_inline struct fm_a128 fm_cls_value(const struct fm_cls *c, __u32 f)
{
	struct fm_a128 v = {0, 0};

	switch (f) {
	case FM_CF_SRC:
		return c->src;
	case FM_CF_DST:
		return c->dst;
	case FM_CF_SPI:
		v.lo = c->spi;
		break;
	case FM_CF_FL:
		v.lo = c->fl;
		break;
	case FM_CF_SPORT:
		v.lo = c->sport;
		break;
	case FM_CF_DPORT:
		v.lo = c->dport;
		break;
	case FM_CF_TC:
		v.lo = c->tc;
		break;
	default:
		v.lo = c->nh;
		break;
	}
	return v;
}

/*
 * bpf_loop callback, field f: a binary search for the last interval whose start is
 * <= the packet's value (the first interval starts at 0), then AND its bitmap into
 * the candidates. FM_CLS_STEPS steps at most, whatever the number of rules.
 */
static long fm_field_cb(__u32 f, void *arg)
{
	struct fm_cls *c = arg;
	struct fm_ruleset *rs;
	struct fm_cls_iv *e;
	struct fm_a128 v, s;
	__u32 key = c->rs, base, n, lo = 0, idx;
	int k;

	rs = bpf_map_lookup_elem(&fm_rulesets, &key);
	if (!rs)
		goto fail;
	f &= FM_CF_N - 1;
	base = rs->f[f].base;
	n = rs->f[f].n;
	if (!n)
		return 0; /* no rule of the set uses this field */
	v = fm_cls_value(c, f);
	for (k = 0; k < FM_CLS_STEPS; k++) { /* a bounded loop: at most 10 rounds */
		__u32 half;

		if (n <= 1)
			break;
		half = n >> 1;
		idx = base + lo + half;
		e = bpf_map_lookup_elem(&fm_cls_iv, &idx);
		if (!e)
			goto fail;
		s.hi = e->hi;
		s.lo = e->lo;
		if (fm_a128_le(s, v))
			lo += half;
		n -= half;
	}
	idx = base + lo;
	e = bpf_map_lookup_elem(&fm_cls_iv, &idx);
	if (!e)
		goto fail;
#pragma unroll
	for (k = 0; k < FM_RULE_WORDS; k++)
		c->acc[k] &= e->w[k];
	return 0;
fail: /* a rule set without its intervals: no rule matches (the default binding) */
#pragma unroll
	for (k = 0; k < FM_RULE_WORDS; k++)
		c->acc[k] = 0;
	return 1;
}

/* Index of the lowest set bit of a non-zero word: a de Bruijn multiply and a table
 * load, without branches (a branchy version hands the verifier 64 constant indexes,
 * each verified on its own through the binding choice). */
static const __u8 fm_debruijn[64] = {0,	 1,  48, 2,  57, 49, 28, 3,  61, 58, 50, 42, 38, 29, 17, 4,
				     62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
				     63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
				     46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,	 6};

static __always_inline __u32 fm_ctz64(__u64 x)
{
	return fm_debruijn[((x & -x) * 0x03f79d71b4cb0a89ULL) >> 58];
}

/* bpf_loop callback: the highest-priority candidate left (lowest set bit). A
 * forwarding rule whose target is down or gone is skipped (the next candidate, then
 * the default). Returns 1 to stop. */
static long fm_pick_cb(__u32 i, void *arg)
{
	struct fm_cls *c = arg;
	struct fm_ruleset *rs;
	struct fm_rule *r;
	__u32 key = c->rs, w, bit, ri, bi = 0;
	__u16 bid = 0;

	(void)i;
	if (c->acc[0])
		w = 0;
	else if (c->acc[1])
		w = 1;
	else if (c->acc[2])
		w = 2;
	else if (c->acc[3])
		w = 3;
	else
		return 1;
	bit = fm_ctz64(c->acc[w]);
	c->acc[w] &= ~(1ULL << bit);
	ri = (w * 64 + bit) & (FM_MAX_RULES - 1);
	rs = bpf_map_lookup_elem(&fm_rulesets, &key);
	if (!rs || ri >= rs->n)
		return 1;
	r = &rs->r[ri];
	if (r->action != FM_RA_DROP) {
		__u32 mk = c->mn;
		struct fm_mn *m = bpf_map_lookup_elem(&fm_mn, &mk);

		if (!m)
			return 1;
		bi = fm_mn_pick(m, r->bid, r, &bid);
		if (!bi)
			return 0; /* target down or gone: the next candidate */
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
	__u8 insert; /* a miss: store the decision in the flow cache once resolved */
	__u8 pad[2];
	__u64 ver;	    /* the MN's {slot, epoch} word it was made under */
	struct fm_flow *fv; /* a hit: the flow-cache entry (its next hop may need a refresh) */
};

/* Default binding of the prefix, else any usable binding of the MN. */
static __always_inline void fm_default(const struct fm_mn *m, __u16 dflt, struct fm_decision *d)
{
	d->bi = dflt ? fm_mn_pick(m, dflt, NULL, &d->bid) : 0;
	if (!d->bi)
		d->bi = fm_mn_pick(m, 0, NULL, &d->bid);
}

/* The flow-cache key of an IPv6 packet (already walked into pk). */
static __always_inline void fm_flow_key_of(const struct ipv6hdr *ip6, const struct fm_pkt *pk,
					   struct fm_flow_key *fk)
{
	__builtin_memcpy(fk->src, &ip6->saddr, 16);
	__builtin_memcpy(fk->dst, &ip6->daddr, 16);
	fk->fl_tc = fm_ip6_fl(ip6) | ((__u32)fm_ip6_tc(ip6) << 20);
	fk->l4 = (pk->have & FM_HAVE_SPI) ? pk->spi : ((__u32)pk->sport << 16 | pk->dport);
	fk->nh = pk->nh;
	fk->pad[0] = fk->pad[1] = fk->pad[2] = 0;
}

/*
 * Classifies the IPv6 packet ip6 (walked into pk, flow key fk) for mobile node mn.
 * fv: the flow-cache entry of fk, NULL when there is none. Fills d; returns 0, or a
 * FM_ST_DROP_* reason.
 */
static __always_inline int fm_classify(const struct ipv6hdr *ip6, const struct fm_pkt *pk, __u32 mn,
				       __u16 dflt, const struct fm_flow_key *fk, struct fm_flow *fv,
				       struct fm_decision *d)
{
	struct fm_mn *m;
	struct fm_cls c;
	__u64 ver;
	__u32 slot;

	d->bi = 0;
	d->bid = 0;
	d->fid = 0;
	d->action = FM_RA_FORWARD;
	d->insert = 0;
	d->fv = NULL;

	m = bpf_map_lookup_elem(&fm_mn, &mn);
	if (!m)
		return FM_ST_DROP_NO_BINDING;
	ver = READ_ONCE_U64(&m->ver);
	d->ver = ver;
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

	if (fv && fv->mn == mn) {
		if (fv->ver == ver) {
			fm_stat(FM_ST_CACHE_HIT);
			d->bi = fv->bi;
			d->bid = fv->bid;
			d->fid = fv->fid;
			d->action = fv->action;
			d->fv = fv;
			goto frag_first;
		}
		fm_stat(FM_ST_CACHE_STALE);
	}
	fm_stat(FM_ST_CACHE_MISS);

	if (!c.rs) { /* no rules: the default binding */
		fm_stat(FM_ST_RULE_DEFAULT);
		fm_default(m, dflt, d);
		d->insert = 1;
		goto frag_first;
	}

	c.src = fm_a128_load(&ip6->saddr);
	c.dst = fm_a128_load(&ip6->daddr);
	c.tc = fm_ip6_tc(ip6);
	c.fl = fm_ip6_fl(ip6);
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
	{
		struct fm_ruleset *rs = bpf_map_lookup_elem(&fm_rulesets, &c.rs);
		int k;

		if (!rs)
			return FM_ST_DROP_NO_BINDING; /* an MN's rule set is always there */
#pragma unroll
		for (k = 0; k < FM_RULE_WORDS; k++) {
			__u64 a = rs->all[k];

			if (!(c.have & FM_HAVE_PORTS))
				a &= ~rs->need_ports[k];
			if (!(c.have & FM_HAVE_SPI))
				a &= ~rs->need_spi[k];
			c.acc[k] = a;
		}
	}
	bpf_loop(FM_CF_N, fm_field_cb, &c, 0);
	bpf_loop(FM_MAX_RULES, fm_pick_cb, &c, 0);
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
	d->insert = 1;

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
