/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lma.h — the Local Mobility Anchor's protocol logic (RFC 5213 with several bindings
 * per MN, the seed draft's flow mobility: FMI/FMA, UPN/UPA, BRI/BRA, heartbeat).
 *
 * Testable without sockets: lma_rx() takes a decoded message, its source and
 * "now"; everything the LMA sends goes through hooks.send; every data-plane change
 * through hooks.dp (NULL: no data plane); timers (core/timer.h) are embedded in
 * their owners and fire either from libev (hooks.loop set) or from lma_tick(now)
 * (tests). The LMA reads its configuration through the pointer given to lma_new
 * and never copies it. lma_daemon.c wires this to flowmobd (lma_ops): MH socket,
 * control socket, maps. The files behind this API and their layers: lma_int.h.
 */
#ifndef FLOWMOB_LMA_H
#define FLOWMOB_LMA_H

#include <stdbool.h>
#include <stdint.h>
#include <ev.h>
#include <jansson.h>
#include <netinet/in.h>

#include "lma/bce.h"
#include "daemon/config.h"
#include "dp/dataplane.h"
#include "mh/mh.h"
#include "mh/mhsock.h"

struct lma_hooks {
	int (*send)(void *ctx, const struct mh_msg *m, const struct in6_addr *dst);
	void (*event)(void *ctx, const char *name, json_t *fields); /* steals fields */
	void *ctx;
	const struct fm_dp_ops *dp; /* fm_dp_ops, a test's fake, or NULL: no data plane */
	struct fm_dp *dp_ctx;
	struct ev_loop *loop; /* NULL: timers only fire from lma_tick() */
	/* RFC 4285: true when every message from peer is verified (it has a key); NULL:
	 * no peer is authenticated. Read through lma_peer_authenticated(). */
	bool (*authenticated)(void *ctx, const struct in6_addr *peer);
};

struct lma;

/* Signaling counters (stats command). */
enum lma_dir { LMA_RX = 0, LMA_TX = 1 };

struct lma *lma_new(const struct fm_config *cfg, const struct lma_hooks *hooks);
/* Stops every timer and frees; does not touch the data plane. */
void lma_free(struct lma *l);

/* Start: load the state file (if any), increment and save the restart counter,
 * reconcile with the data plane, program peers, start heartbeats. */
int lma_start(struct lma *l, uint64_t now);
/* SIGHUP: MAG list, placement policies, MN entries, timers, signaling options. The
 * LMA adapts to next and returns still reading the pointer given to lma_new: on
 * success the caller installs next there (main.c: *cur = *next). */
int lma_reload(struct lma *l, const struct fm_config *next, uint64_t now);

void lma_rx(struct lma *l, const struct mh_msg *m, const struct in6_addr *src, uint64_t now);
/* A message from src the MH socket dropped (fm_mhsock_on_fault): per-peer counters. */
void lma_rx_fault(struct lma *l, const struct in6_addr *src, enum fm_mh_fault f);
/* Fire every timer due at or before now, earliest first (tests; a no-op on a loop). */
void lma_tick(struct lma *l, uint64_t now);
/* The earliest armed deadline without a loop, 0 when none. */
uint64_t lma_next_due(const struct lma *l);

/* Persistence (JSON in cfg->state_dir/lma-state.json, written atomically). */
int lma_state_save(struct lma *l);
uint32_t lma_restart_counter(const struct lma *l);

/* Control commands (docs/control-protocol.md); NULL + err on error, nothing changed. */
json_t *lma_cmd_bindings(void *l, const json_t *req, char *err, size_t errlen);
json_t *lma_cmd_flows(void *l, const json_t *req, char *err, size_t errlen);
json_t *lma_cmd_stats(void *l, const json_t *req, char *err, size_t errlen);
json_t *lma_cmd_peers(void *l, const json_t *req, char *err, size_t errlen);
json_t *lma_cmd_flow_add(void *l, const json_t *req, char *err, size_t errlen);
json_t *lma_cmd_flow_move(void *l, const json_t *req, char *err, size_t errlen);
json_t *lma_cmd_flow_del(void *l, const json_t *req, char *err, size_t errlen);

/* Read-only access for tests and the daemon glue. */
struct bce *lma_bce(struct lma *l);
uint64_t lma_counter(const struct lma *l, enum lma_dir dir, enum mh_kind kind);
uint64_t lma_status_counter(const struct lma *l, enum mh_kind kind, uint8_t status);

#endif /* FLOWMOB_LMA_H */
