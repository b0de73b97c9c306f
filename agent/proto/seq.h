/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seq.h — the 16-bit Mobility Header sequence-number window (RFC 6275 §9.5.1,
 * used by RFC 5213 §5.3.1 for PBUs and by the seed draft's FMI/FMA): numbers
 * compare modulo 2^16, "newer" meaning less than 2^15 ahead. The one copy for
 * the LMA's PBU check, the MAG's PBA match and its FMI check.
 */
#ifndef FLOWMOB_SEQ_H
#define FLOWMOB_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* seq is strictly newer than last. */
static inline bool fm_seq_newer(uint16_t seq, uint16_t last)
{
	uint16_t d = (uint16_t)(seq - last);

	return d != 0 && d < 0x8000;
}

/* seq is last or newer (a retransmission of last, or anything after it). */
static inline bool fm_seq_not_older(uint16_t seq, uint16_t last)
{
	return (uint16_t)(seq - last) < 0x8000;
}

#endif /* FLOWMOB_SEQ_H */
