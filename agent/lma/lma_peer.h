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
/* Any other valid message from a peer is proof of life: a peer marked down is up
 * again (its bindings re-validated by its next heartbeat answer, or at once when
 * it has no heartbeats). */
void lma_peer_seen(struct lma *l, struct lma_peer *p, enum mh_kind kind, uint64_t now);
/* A Binding Error from the peer: status 2 while a heartbeat is outstanding marks it
 * "no heartbeat support" (heartbeat: auto). */
void lma_peer_binding_error(struct lma *l, struct lma_peer *p, uint8_t status, uint64_t now);
/* A message from src dropped by the MH socket for a fault: counted per peer. */
void lma_peer_fault(struct lma *l, const struct in6_addr *src, enum fm_mh_fault f);
/* "on", "off", "unsupported" or "waiting for a binding" (peers command). */
const char *lma_peer_heartbeat_state(const struct lma *l, const struct lma_peer *p);
/* True when some binding goes through the peer. */
bool lma_peer_has_bindings(const struct lma *l, const struct lma_peer *p);
/* (Re)builds the peer table from the configuration: peers kept keep their state,
 * removed ones leave the data plane, every heartbeat timer restarts. */
void lma_peers_apply(struct lma *l, uint64_t now);

#endif /* FLOWMOB_LMA_PEER_H */
