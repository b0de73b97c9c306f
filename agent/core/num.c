/* SPDX-License-Identifier: GPL-2.0 */
/*
 * num.c — strict unsigned number parsing (decimal, or 0x hex). See num.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "core/num.h"

int fm_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!isxdigit((unsigned char)*s))
			return -1;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int fm_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (fm_parse_u64(s, max, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}
