/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xact.h — a retransmitting request, the one copy behind the LMA's FMI, BRI and UPN
 * and the MAG's PBU (RFC 6275 §11.8 / RFC 5213 §6.9.4 backoff: the first
 * retransmission after the initial timeout, each next one after twice the last,
 * up to the maximum; after the try sent at the maximum times out, the request is
 * given up).
 *
 * Embedded in its owner (container_of from the xact back to the transaction). The
 * owner supplies send(x, try, now) — try 1 is the first transmission, later ones
 * are retransmissions (UPN sets its D flag from that) — and give_up(x, now), called
 * once when the last try timed out; the owner may free itself there. An answer
 * ends the request with fm_xact_stop().
 */
#ifndef FLOWMOB_XACT_H
#define FLOWMOB_XACT_H

#include <stdint.h>

#include "core/timer.h"

struct fm_xact;

struct fm_xact_ops {
	void (*send)(struct fm_xact *x, unsigned try, uint64_t now);
	void (*give_up)(struct fm_xact *x, uint64_t now);
};

struct fm_xact {
	struct fm_timer timer;
	const struct fm_xact_ops *ops;
	uint32_t initial_ms, rto_ms, max_ms;
	unsigned tries; /* transmissions so far */
};

/* Sends try 1 now and arms the first timeout. initial_ms and max_ms come from the
 * configuration (which fills their defaults); max_ms < initial_ms is taken as initial. */
void fm_xact_start(struct fm_xact *x, struct fm_timers *w, const struct fm_xact_ops *ops,
		   uint32_t initial_ms, uint32_t max_ms, uint64_t now);
/* Ends the request (answered or cancelled): no more tries, no give_up. */
void fm_xact_stop(struct fm_xact *x);
/* Starts over from try 1 with the same timers (a request rebuilt with a new sequence
 * number, e.g. after a sequence-number error). */
void fm_xact_restart(struct fm_xact *x, uint64_t now);

#endif /* FLOWMOB_XACT_H */
