/* SPDX-License-Identifier: GPL-2.0 */
/*
 * num.h — the agent's one number parser, used by the configuration, the selector
 * text of the CLI and the control protocol: so "010" means ten everywhere.
 *
 * Accepted: decimal digits ("0", "1500", "010" = 10) or "0x"/"0X" and hex digits.
 * Refused: an empty string, a sign, spaces, anything after the digits ("3abc"),
 * fractions and exponents ("9.9", "1e3"), values above max.
 */
#ifndef FLOWMOB_NUM_H
#define FLOWMOB_NUM_H

#include <stdint.h>

/* 0 with *out set, or -1 (out untouched). */
int fm_parse_u32(const char *s, uint32_t max, uint32_t *out);
int fm_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif /* FLOWMOB_NUM_H */
