/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lma_int.h — private to agent/lma/: struct lma (the LMA's object graph) and the
 * lowest LMA layer, lma_base.c, that every other LMA file may call.
 *
 * The LMA's files are layers; each calls only files further down this list
 * (tools/check-layers checks that the calls form no loop):
 *
 *   lma_daemon.c  flowmobd's glue                                   lma.c, ctl (lma.h)
 *   lma.c         entry: life cycle, dispatch, reload, timers   state, peer, reg, flow
 *   lma_ctl.c     control commands                                  flow, base
 *   lma_state.c   persistence, reconciliation at start              reg, base
 *   lma_peer.c    MAG liveness (RFC 5847)                           flow, base
 *   lma_reg.c     registration: PBU -> binding cache, PBA           flow, base
 *   lma_flow.c    flow mobility: placement, moves, FMI/BRI/UPN      base
 *   lma_base.c    events, sending, config lookups, data-plane sync  caches
 *   bce.c, fmc.c  the binding cache and the flow mobility cache (pure data)
 *
 * Timer callbacks and the save timer are bound by the layer that owns them, so a
 * lower layer never names a higher one. Nothing outside agent/lma/ includes this
 * header; the public API is lma.h.
 */
#ifndef FLOWMOB_LMA_INT_H
#define FLOWMOB_LMA_INT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "core/list.h"
#include "core/timer.h"
#include "lma/lma.h"
#include "mh/mhsock.h"
#include "proto/heartbeat.h"
#include "proto/xact.h"

enum txn_op {
	TXN_FMI_CREATE = 1,
	TXN_FMI_REFRESH,
	TXN_FMI_CANCEL,
	TXN_BRI,
	TXN_UPN,
};

/* An LMA-initiated request waiting for its answer (FMI, BRI, UPN); lma_flow.c. */
struct lma_txn {
	struct fm_xact x; /* retransmission with backoff */
	LIST_ENTRY(lma_txn) link;
	enum txn_op op;
	enum mh_kind kind;
	uint16_t seq;
	struct in6_addr dst;
	char nai[FM_NAI_MAX + 1];
	uint16_t fid;
	uint16_t bid;
	bool resent_new_seq;
	struct mh_msg *msg;
};

/* A changed MN (bid 0: its records; else that binding only, e.g. a refresh). By NAI:
 * the MN may be gone by the commit (its records are then deleted). */
struct lma_mark {
	uint16_t bid;
	char nai[FM_NAI_MAX + 1];
};

/* A configured MAG and its liveness; lma_peer.c. */
struct lma_peer {
	struct in6_addr addr;
	struct fm_hb hb;
	struct fm_timer timer;	   /* heartbeat interval */
	bool hb_armed;		   /* a binding was registered through it: heartbeats start */
	bool no_hb;		   /* it answered a heartbeat with BE 2 (heartbeat: auto) */
	bool revalidate;	   /* back up by a message: the next heartbeat answer decides */
	uint64_t rc_ms;		   /* last heartbeat that carried restart counter hb.rc */
	const char *reason;	   /* of the last up/down transition (static string) */
	uint64_t changed_ms;	   /* when it happened (0: never) */
	uint64_t rejected[256];	   /* PBAs with that status sent to it */
	uint64_t restarts_ignored; /* new restart counters not believed (not authenticated) */
	uint64_t malformed[FM_MH_FAULT_COUNT]; /* its messages dropped, by fault */
};

/* A PBU with HI 4 held for MaxDelayBeforeNewBCEAssign (RFC 5213 §5.4.1.2); lma_reg.c. */
struct lma_hold {
	struct mh_msg *pbu;
	struct in6_addr src;
	char nai[FM_NAI_MAX + 1];
	uint16_t old_bid;
	struct fm_timer timer;
	LIST_ENTRY(lma_hold) link;
};

struct lma {
	const struct fm_config *cfg; /* the caller's; never copied (see lma_reload) */
	struct lma_hooks h;
	struct fm_timers timers; /* every timer of this LMA */
	struct bce bce;
	struct lma_peer peers[FM_CFG_MAX_MAGS];
	int n_peers;
	LIST_HEAD(, lma_txn) txns;
	LIST_HEAD(, lma_txn) parked; /* given up: re-signalled when their MAG is heard */
	unsigned n_parked;
	LIST_HEAD(, lma_hold) holds;
	/* persistence (lma_state.c): what changed since the last commit */
	struct fm_store *store; /* NULL: nothing is persisted (no state-dir) */
	struct lma_mark *marks;
	unsigned n_marks, cap_marks;
	bool mark_global; /* restart counter, sequence numbers */
	bool mark_all;	  /* rewrite every record (import) */
	bool marks_off;	  /* reconciliation re-programs what was loaded: no change */
	uint32_t persist_gen;
	json_t *import; /* lma_import's document, restored by lma_start */
	uint32_t restart_counter;
	uint16_t seq;	 /* FMI, BRI, UPN */
	uint32_t hb_seq; /* heartbeat */
	uint64_t rx[MH_KIND_COUNT], tx[MH_KIND_COUNT];
	uint64_t status[MH_KIND_COUNT][256];
	uint64_t rx_ignored;
	/* data-plane calls that failed (a full map): a registration or command that
	 * sees it grow is undone and refused */
	uint64_t dp_errors;
	uint64_t pbu_retransmissions; /* exact duplicates answered with the earlier PBA */
};

/* Calls hooks.dp->fn(hooks.dp_ctx, ...) when the data plane has it; 0 otherwise. */
#define DP(l, fn, ...) ((l)->h.dp && (l)->h.dp->fn ? (l)->h.dp->fn((l)->h.dp_ctx, __VA_ARGS__) : 0)

/* The LMA a timer belongs to (every LMA timer is on l->timers). */
static inline struct lma *lma_of_timer(const struct fm_timer *t)
{
	return fm_container_of(t->wheel, struct lma, timers);
}

static inline const char *a6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static inline json_t *j_addr(const struct in6_addr *a)
{
	char b[INET6_ADDRSTRLEN];

	return json_string(a6(a, b));
}

static inline json_t *j_prefix(const struct fm_prefix *p)
{
	char b[INET6_ADDRSTRLEN + 8];

	fm_prefix_fmt(p, b, sizeof(b));
	return json_string(b);
}

/* ---- lma_base.c ------------------------------------------------------------------- */

/* Events: hands one to hooks.event (which steals fields), or drops it. */
void lma_emit(struct lma *l, const char *name, json_t *fields);
/* A binding's BID, ATT, MAG and prefixes set in o (events, commands, the state file). */
void lma_binding_fields(json_t *o, const struct bce_binding *b);
/* The common fields of an event: "mn" and, with b, its BID, ATT, MAG and prefixes. */
json_t *lma_ev_fields(const struct bce_mn *mn, const struct bce_binding *b);
/* A flow cache entry's own fields (FID, priority, selector, BIDs, action, active,
 * origin, prefer_att) set in o: what the flows command, the events and the state
 * file share. */
void lma_flow_fields(json_t *o, const struct fmc_flow *f);
/* A flow cache entry as JSON with its MN and counters (flows command, flow events). */
json_t *lma_flow_json(struct lma *l, const struct bce_mn *mn, const struct fmc_flow *f);

/* Counts m (tx and, for answers, its status) and sends it through hooks.send. */
void lma_send_msg(struct lma *l, const struct mh_msg *m, const struct in6_addr *dst);
/* The MAG at peer signs its messages (RFC 4285) and the MH socket verified them. */
bool lma_peer_authenticated(const struct lma *l, const struct in6_addr *peer);
/* Option builders for the messages the LMA sends. */
void lma_add_mn_id(struct mh_msg *m, const char *nai);
void lma_add_hnp(struct mh_msg *m, const struct fm_prefix *p);
void lma_add_bid(struct mh_msg *m, uint16_t bid);
void lma_add_flow_id(struct mh_msg *m, const struct fmc_flow *f, uint16_t bid, uint8_t status);

/* Configuration lookups. */
struct lma_peer *lma_peer_find(struct lma *l, const struct in6_addr *a);
const struct fm_cfg_lma_mn *lma_mn_cfg(const struct lma *l, const char *nai);
enum fm_prefix_policy lma_mn_policy(const struct lma *l, const char *nai);
/* The longest lifetime granted (a multiple of 4, at most 65532). */
uint32_t lma_max_lifetime(const struct lma *l);

/* Seconds of lifetime b has left at now. */
uint32_t lma_binding_left_s(const struct bce_binding *b, uint64_t now);
/* True when p is one of the MN's shared prefixes (mn->shared). */
bool lma_mn_shares(const struct bce_mn *mn, const struct fm_prefix *p);

/* Data plane: one binding; the MN's prefixes at their holders; its rules in one call;
 * re-resolves its flows (flow-active/-inactive events), returns how many changed;
 * everything of one MN. */
void lma_dp_binding(struct lma *l, struct bce_binding *b);
void lma_dp_prefixes(struct lma *l, struct bce_mn *mn);
void lma_push_rules(struct lma *l, struct bce_mn *mn);
unsigned lma_resolve_flows(struct lma *l, struct bce_mn *mn);
void lma_dp_sync_mn(struct lma *l, struct bce_mn *mn);
/* Deletes an MN left with no binding and only policy flows, with its shared prefixes. */
void lma_mn_maybe_free(struct lma *l, struct bce_mn *mn);

/* Persistence marks, written by the next lma_state_save (the daemon's commit point,
 * before the acknowledgements of this loop iteration leave): the LMA's globals
 * (restart counter, sequence numbers); an MN's records (or its deletion, when it is
 * gone by then); one binding's record (a refresh). The data-plane calls above mark
 * what they program, so a change that reaches the maps reaches the store. */
void lma_mark_dirty(struct lma *l);
void lma_mark_nai(struct lma *l, const char *nai, uint16_t bid);
void lma_mark_mn(struct lma *l, const struct bce_mn *mn);
void lma_mark_binding(struct lma *l, const struct bce_binding *b);
void lma_mark_all(struct lma *l);

#endif /* FLOWMOB_LMA_INT_H */
