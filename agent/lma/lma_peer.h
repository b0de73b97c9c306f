/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lma_peer.h — the LMA's MAG peers (lma_peer.c): the configured MAGs, their
 * liveness by RFC 5847 heartbeats (proto/heartbeat) with restart detection, and
 * what a MAG going down, coming back or restarting does to its bindings. Above
 * flow mobility (lma_flow.c) and lma_base.c; called by lma.c.
 */
#ifndef FLOWMOB_LMA_PEER_H
#define FLOWMOB_LMA_PEER_H

#include "lma/lma_int.h"
#include "mh/view.h"

/* Rx: a heartbeat from a configured MAG (a request is answered). */
void lma_handle_heartbeat(struct lma *l, struct lma_peer *p, const struct hb_view *v, uint64_t now);
/* Any other message from a peer that is up refreshes its last-seen time. */
void lma_peer_seen(struct lma_peer *p, uint64_t now);
/* (Re)builds the peer table from the configuration: peers kept keep their state,
 * removed ones leave the data plane, every heartbeat timer restarts. */
void lma_peers_apply(struct lma *l, uint64_t now);

#endif /* FLOWMOB_LMA_PEER_H */
