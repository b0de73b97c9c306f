/* SPDX-License-Identifier: GPL-2.0 */
/*
 * routes.h — kernel routes for what the LMA anchors (config `routes:`): the
 * prefix pool and, optionally, each home network prefix in use, as blackhole
 * routes in one routing table of the operator's choice with one protocol
 * number, so that a routing daemon (BIRD: protocol kernel with "learn") can
 * announce them. The data plane forwards the traffic; the routes only carry the
 * announcement (a packet the XDP program leaves to the kernel is dropped there,
 * never looped). rtnetlink through libmnl.
 *
 * The set is owned by (table, proto): fm_routes_open() forgets nothing — it
 * reads the routes already there (a restart keeps announcing without a gap),
 * fm_routes_sync() makes the table hold exactly the given prefixes, and
 * fm_routes_flush() removes every route of the pair (--cleanup).
 */
#ifndef FLOWMOB_DP_ROUTES_H
#define FLOWMOB_DP_ROUTES_H

#include <stdint.h>
#include <netinet/in.h>

struct fm_routes;

struct fm_route_pfx {
	struct in6_addr addr;
	uint8_t len;
};

/* table 1..2^32-1 (not 0, 253 default, 254 main, 255 local), proto 1..255. */
int fm_routes_open(uint32_t table, uint8_t proto, struct fm_routes **out);
void fm_routes_close(struct fm_routes *r);
/* Add what is missing, remove what is not in want; returns 0 or -errno (the
 * first failure; the others are still tried). */
int fm_routes_sync(struct fm_routes *r, const struct fm_route_pfx *want, int n);
/* The routes of (table, proto) now in the kernel: fills up to max, returns how
 * many there are (or -errno). */
int fm_routes_list(struct fm_routes *r, struct fm_route_pfx *out, int max);
int fm_routes_flush(struct fm_routes *r);

#endif /* FLOWMOB_DP_ROUTES_H */
