// SPDX-License-Identifier: GPL-2.0
/*
 * prefix.c — IPv6 prefixes: comparison and the "ADDR/LEN" text form. See prefix.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "core/num.h"
#include "core/prefix.h"

bool fm_prefix_eq(const struct fm_prefix *a, const struct fm_prefix *b)
{
	return a->plen == b->plen && !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

int fm_prefix_index(const struct fm_prefix *set, int n, const struct fm_prefix *p)
{
	for (int i = 0; i < n; i++)
		if (fm_prefix_eq(&set[i], p))
			return i;
	return -1;
}

int fm_prefix_fmt(const struct fm_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &p->addr, a, sizeof(a));
	return snprintf(buf, len, "%s/%u", a, p->plen);
}

int fm_prefix_parse(const char *s, struct fm_prefix *out)
{
	char a[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	uint32_t plen;

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = 0;
	if (fm_parse_u32(slash + 1, 128, &plen) || inet_pton(AF_INET6, a, &out->addr) != 1)
		return -EINVAL;
	out->plen = (uint8_t)plen;
	return 0;
}
