/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * parse.h — the bounded IPv6 extension-header walk and upper-layer fields that
 * classification needs (ports, SPI, ICMPv6 type, fragment state).
 *
 * The walk follows at most FM_MAX_EXTHDR extension headers within the first
 * FM_EXT_WALK_LIMIT bytes; the offset is masked each round so that every path
 * reaches the verifier with the same range. Nothing after the walk does pointer
 * arithmetic with the offsets it leaves in fm_pkt, so the verifier treats them as
 * imprecise and the states leaving the walk prune each other (without that, the
 * rest of the program is verified once per extension-header path: 10x the work).
 */
#ifndef FM_BPF_PARSE_H
#define FM_BPF_PARSE_H

#include "common.h"

enum fm_frag_state {
	FM_FRAG_NONE = 0,
	FM_FRAG_FIRST = 1,
	FM_FRAG_LATER = 2,
};

#define FM_HAVE_PORTS 1
#define FM_HAVE_SPI   2

struct fm_pkt {
	__u32 redir;   /* egress ifindex for FM_V_REDIRECT */
	__u32 l4_off;  /* offset of the upper-layer header from the frame start */
	__u32 frag_id; /* network order */
	__u32 spi;     /* host order */
	__u16 sport, dport;
	__u8 nh; /* upper-layer protocol after the extension headers */
	__u8 n_ext;
	__u8 frag; /* enum fm_frag_state */
	__u8 have; /* FM_HAVE_* */
	__u8 icmp_type;
	__u8 bad;     /* FM_ST_DROP_* when the packet cannot be classified, else 0 */
	__u8 l4_hlen; /* upper-layer header length (TCP data offset, else 8) */
	__u8 pad;
};

static __always_inline int fm_is_ext(__u8 nh)
{
	return nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_FRAGMENT || nh == NH_DSTOPTS ||
	       nh == NH_AH;
}

struct fm_walk {
	void *ctx; /* for bpf_{xdp,skb}_load_bytes in the callback */
	__u32 off; /* next header's offset from the frame start */
	__u32 frag_id;
	__u32 spi;
	__u8 nh; /* type of the header at off */
	__u8 frag;
	__u8 have;
	__u8 n_ext;
	__u8 bad;
	__u8 pad[3];
};

/* One extension header h (its first 8 octets) at w->off. Returns 1 to stop. */
static __always_inline long fm_walk_step(struct fm_walk *w, const __u8 *h)
{
	__u32 len;

	if (w->nh == NH_FRAGMENT) {
		__u16 fo = ((__u16)h[2] << 8) | h[3];

		__builtin_memcpy(&w->frag_id, h + 4, 4);
		len = 8;
		w->frag = (fo & 0xfff8) ? FM_FRAG_LATER : FM_FRAG_FIRST;
	} else if (w->nh == NH_AH) {
		len = ((__u32)h[1] + 2) * 4;
		w->spi = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) | ((__u32)h[6] << 8) | h[7];
		w->have |= FM_HAVE_SPI;
	} else {
		len = ((__u32)h[1] + 1) * 8;
	}
	w->nh = h[0];
	w->off += len;
	w->n_ext++;
	/* a non-first fragment carries no upper-layer header */
	return w->frag == FM_FRAG_LATER || !fm_is_ext(w->nh);
}

static long fm_walk_cb_xdp(__u32 i, void *arg)
{
	struct fm_walk *w = arg;
	__u8 h[8];

	(void)i;
	if (w->off > FM_EXT_WALK_LIMIT) {
		w->bad = FM_ST_DROP_EXTHDR;
		return 1;
	}
	if (bpf_xdp_load_bytes(w->ctx, w->off, h, sizeof(h))) {
		w->bad = FM_ST_DROP_TRUNC;
		return 1;
	}
	return fm_walk_step(w, h);
}

static long fm_walk_cb_tc(__u32 i, void *arg)
{
	struct fm_walk *w = arg;
	__u8 h[8];

	(void)i;
	if (w->off > FM_EXT_WALK_LIMIT) {
		w->bad = FM_ST_DROP_EXTHDR;
		return 1;
	}
	if (bpf_skb_load_bytes(w->ctx, w->off, h, sizeof(h))) {
		w->bad = FM_ST_DROP_TRUNC;
		return 1;
	}
	return fm_walk_step(w, h);
}

/*
 * Walks the extension headers of the IPv6 packet at ETH_HLEN_ (first_nh: its Next
 * Header) in a bpf_loop callback, so that the verifier sees the walk once instead of
 * once per header combination, then reads the upper-layer fields.
 */
static __always_inline void fm_walk(void *ctx, const int xdp, void *data, void *data_end,
				    __u8 first_nh, struct fm_pkt *pk)
{
	__u32 off = ETH_HLEN_ + IP6_HLEN;
	__u8 nh = first_nh;

	pk->n_ext = 0;
	pk->frag = FM_FRAG_NONE;
	pk->have = 0;
	pk->bad = 0;
	pk->icmp_type = 0;
	pk->l4_hlen = 8;
	pk->sport = pk->dport = 0;
	pk->spi = 0;

	if (fm_is_ext(nh)) {
		struct fm_walk w = {.ctx = ctx, .off = off, .nh = nh};

		if (xdp)
			bpf_loop(FM_MAX_EXTHDR, fm_walk_cb_xdp, &w, 0);
		else
			bpf_loop(FM_MAX_EXTHDR, fm_walk_cb_tc, &w, 0);
		pk->n_ext = w.n_ext;
		pk->frag = w.frag;
		pk->frag_id = w.frag_id;
		pk->spi = w.spi;
		pk->have = w.have;
		pk->nh = w.nh;
		pk->l4_off = w.off;
		if (w.bad) {
			pk->bad = w.bad;
			return;
		}
		if (w.frag == FM_FRAG_LATER)
			return; /* no upper-layer header in this fragment */
		if (fm_is_ext(w.nh) || w.off > FM_EXT_WALK_LIMIT) {
			pk->bad = FM_ST_DROP_EXTHDR; /* a 9th extension header */
			return;
		}
		nh = w.nh;
		off = w.off;
	}
	pk->nh = nh;
	pk->l4_off = off;

	{
		__u8 *l4 = data + (off & 0x1ff);

		pk->l4_hlen = 8;
		switch (nh) {
		case NH_TCP:
			if ((void *)(l4 + 13) > data_end) {
				pk->bad = FM_ST_DROP_TRUNC;
				return;
			}
			pk->l4_hlen = (l4[12] >> 4) * 4;
			/* fall through */
		case NH_UDP:
		case NH_SCTP:
		case NH_UDPLITE:
			if ((void *)(l4 + 4) > data_end) {
				pk->bad = FM_ST_DROP_TRUNC;
				return;
			}
			pk->sport = ((__u16)l4[0] << 8) | l4[1];
			pk->dport = ((__u16)l4[2] << 8) | l4[3];
			pk->have |= FM_HAVE_PORTS;
			break;
		case NH_ESP:
			if ((void *)(l4 + 4) > data_end) {
				pk->bad = FM_ST_DROP_TRUNC;
				return;
			}
			pk->spi = ((__u32)l4[0] << 24) | ((__u32)l4[1] << 16) |
				  ((__u32)l4[2] << 8) | l4[3];
			pk->have |= FM_HAVE_SPI;
			break;
		case NH_ICMPV6:
			if ((void *)(l4 + 1) > data_end) {
				pk->bad = FM_ST_DROP_TRUNC;
				return;
			}
			pk->icmp_type = l4[0];
			break;
		default:
			break;
		}
	}
}

#endif /* FM_BPF_PARSE_H */
