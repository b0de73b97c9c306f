/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * parse.h — the bounded IPv6 extension-header walk and upper-layer fields that
 * classification needs (ports, SPI, ICMPv6 type, fragment state).
 *
 * The walk follows at most FM_MAX_EXTHDR extension headers within the first
 * FM_EXT_WALK_LIMIT bytes; the offset is masked each round so that every path
 * reaches the verifier with the same range (state pruning keeps the loop cheap).
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
	__u8 bad; /* FM_ST_DROP_* when the packet cannot be classified, else 0 */
	__u8 pad[2];
};

static __always_inline int fm_is_ext(__u8 nh)
{
	return nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_FRAGMENT || nh == NH_DSTOPTS ||
	       nh == NH_AH;
}

/* Walks the extension headers of the IPv6 packet at l3 (offset ETH_HLEN_ from data). */
static __always_inline void fm_walk(void *data, void *data_end, __u8 first_nh, struct fm_pkt *pk)
{
	__u32 off = ETH_HLEN_ + IP6_HLEN;
	__u8 nh = first_nh;
	int i;

	pk->n_ext = 0;
	pk->frag = FM_FRAG_NONE;
	pk->have = 0;
	pk->bad = 0;
	pk->icmp_type = 0;
	pk->sport = pk->dport = 0;
	pk->spi = 0;

	if (fm_is_ext(nh)) {
		for (i = 0; i < FM_MAX_EXTHDR; i++) {
			__u8 *h;
			__u32 len;

			if (off > FM_EXT_WALK_LIMIT) {
				pk->bad = FM_ST_DROP_EXTHDR;
				return;
			}
			h = data + (off & 0x1ff);
			if ((void *)(h + 8) > data_end) {
				pk->bad = FM_ST_DROP_TRUNC;
				return;
			}
			if (nh == NH_FRAGMENT) {
				__u16 fo = ((__u16)h[2] << 8) | h[3];

				__builtin_memcpy(&pk->frag_id, h + 4, 4);
				len = 8;
				if (fo & 0xfff8) {
					pk->frag = FM_FRAG_LATER;
					pk->nh = h[0];
					pk->n_ext++;
					pk->l4_off = off + len;
					return; /* no upper-layer header in this fragment */
				}
				pk->frag = FM_FRAG_FIRST;
			} else if (nh == NH_AH) {
				len = ((__u32)h[1] + 2) * 4;
				pk->spi = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) |
					  ((__u32)h[6] << 8) | h[7];
				pk->have |= FM_HAVE_SPI;
			} else {
				len = ((__u32)h[1] + 1) * 8;
			}
			nh = h[0];
			off += len;
			pk->n_ext++;
			if (!fm_is_ext(nh))
				break;
		}
		if (fm_is_ext(nh)) {
			pk->bad = FM_ST_DROP_EXTHDR; /* a 9th extension header */
			return;
		}
		if (off > FM_EXT_WALK_LIMIT) {
			pk->bad = FM_ST_DROP_EXTHDR;
			return;
		}
	}
	pk->nh = nh;
	pk->l4_off = off;

	{
		__u8 *l4 = data + (off & 0x1ff);

		switch (nh) {
		case NH_TCP:
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
