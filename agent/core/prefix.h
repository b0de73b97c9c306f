/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prefix.h — the agent's one IPv6 prefix type (an address and a length), used by the
 * configuration (the LMA's prefix pool), the LMA's binding cache and the MAG's
 * binding update list, routes and Router Advertisements; with its text form
 * "fd00:100::/64".
 */
#ifndef FLOWMOB_PREFIX_H
#define FLOWMOB_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct fm_prefix {
	struct in6_addr addr;
	uint8_t plen;
};

/* Text size of the longest "ADDR/LEN". */
#define FM_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

bool fm_prefix_eq(const struct fm_prefix *a, const struct fm_prefix *b);
/* Index of p in set[0..n), or -1. */
int fm_prefix_index(const struct fm_prefix *set, int n, const struct fm_prefix *p);
/* "fd00:100::/64"; returns what snprintf returns. */
int fm_prefix_fmt(const struct fm_prefix *p, char *buf, size_t len);
/* "ADDR/LEN", LEN 0-128 read by fm_parse_u32 (num.h): 0, or -EINVAL. */
int fm_prefix_parse(const char *s, struct fm_prefix *out);

#endif /* FLOWMOB_PREFIX_H */
