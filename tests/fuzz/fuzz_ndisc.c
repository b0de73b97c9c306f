// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ndisc.c — libFuzzer target for the MAG's Neighbor Discovery input
 * (agent/mag/ndisc.c): the Ethernet frame parser (nd_parse_frame) and the RS/NS/NA
 * parser (nd_parse_msg) on what it extracts, and the RA parser. The first octet picks
 * the source (unspecified or link-local) and the hop limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mag/ndisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in6_addr src = {0};
	struct nd_frame fr;
	struct nd_msg msg;
	struct nd_ra ra;
	const char *why = NULL;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		src.s6_addr[0] = 0xfe;
		src.s6_addr[1] = 0x80;
		src.s6_addr[15] = 1;
	}
	/* the MAG's path: a frame from the access link, then its ICMPv6 message */
	if (nd_parse_frame(data + 1, size - 1, &fr, &why) == 0) {
		if (fr.icmp_len > size || (fr.icmp_len && (fr.icmp < data || fr.icmp + fr.icmp_len > data + size)))
			abort(); /* the message must lie inside the frame */
		why = NULL;
		if (nd_parse_msg(fr.icmp, fr.icmp_len, &fr.src, fr.hop_limit, &msg, &why) && !why)
			abort();
	}
	why = NULL;
	if (nd_parse_msg(data + 1, size - 1, &src, data[0] & 2 ? 255 : 64, &msg, &why) && !why)
		abort(); /* a refusal always has a reason */
	nd_parse_ra(data + 1, size - 1, &ra);
	return 0;
}
