/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mhsock.h — the raw IPPROTO_MH socket: receive, decode and hand messages to the
 * role; encode and send. The kernel fills and checks the MH checksum. Malformed
 * messages are counted and logged at debug level, never passed on.
 */
#ifndef FLOWMOB_MHSOCK_H
#define FLOWMOB_MHSOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <ev.h>
#include <jansson.h>
#include <netinet/in.h>

#include "mh/mh.h"

struct fm_mhsock;

typedef void (*fm_mh_rx)(void *ctx, const struct mh_msg *m, const struct in6_addr *src,
			 const struct in6_addr *dst, int ifindex);

struct fm_mhsock_stats {
	uint64_t rx, tx, rx_malformed, rx_unknown_type, tx_errors;
	uint64_t be_suppressed;	      /* Binding Errors not sent: rate limit */
	uint64_t rx_kind[MH_UPA + 1]; /* by enum mh_kind */
	uint64_t tx_kind[MH_UPA + 1];
};

/* Bind to local (the LMA address or Proxy-CoA) and start reading on loop. */
int fm_mhsock_open(struct ev_loop *loop, const struct in6_addr *local, fm_mh_rx rx, void *ctx,
		   struct fm_mhsock **out);
void fm_mhsock_close(struct fm_mhsock *s);
int fm_mhsock_send(struct fm_mhsock *s, const struct mh_msg *m, const struct in6_addr *dst);
/* Held sends: while hold is on, fm_mhsock_send encodes and queues instead of sending
 * (the daemons' commit point: what a loop iteration acknowledges leaves only after
 * its state is committed). flush sends (or, send false, drops) the queue in order;
 * returns how many were queued. */
void fm_mhsock_hold(struct fm_mhsock *s, bool hold);
unsigned fm_mhsock_flush(struct fm_mhsock *s, bool send);
const struct fm_mhsock_stats *fm_mhsock_stats(const struct fm_mhsock *s);
/* The socket-level counters (what never reached the role) for `stats`:
 * {"rx_malformed", "rx_unknown_type", "tx_errors", "binding_errors_suppressed"}. */
json_t *fm_mhsock_stats_json(const struct fm_mhsock *s);

#endif /* FLOWMOB_MHSOCK_H */
