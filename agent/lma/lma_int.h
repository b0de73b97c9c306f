/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lma_int.h — private to the LMA's modules (lma.c, lma_flow.c, lma_ctl.c,
 * lma_state.c): struct lma and its parts, and the internal functions they share.
 * Nothing outside the agent/lma/ folder includes this; the public API is lma.h.
 */
#ifndef FLOWMOB_LMA_INT_H
#define FLOWMOB_LMA_INT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "lma/lma.h"

enum txn_op {
	TXN_FMI_CREATE = 1,
	TXN_FMI_REFRESH,
	TXN_FMI_CANCEL,
	TXN_BRI,
	TXN_UPN,
};

/* An LMA-initiated request waiting for its answer (FMI, BRI, UPN). */
struct lma_txn {
	enum txn_op op;
	enum mh_kind kind;
	uint16_t seq;
	struct in6_addr dst;
	char nai[FM_NAI_MAX + 1];
	uint16_t fid;
	uint16_t bid;
	unsigned tries;
	uint32_t rto_ms;
	bool resent_new_seq;
	struct mh_msg *msg;
	struct fm_timer timer;
	struct lma_txn *prev, *next;
};

struct lma_peer {
	struct in6_addr addr;
	bool up;
	bool has_rc;
	uint32_t restart_counter;
	uint64_t last_seen_ms;
	uint32_t missed;
	bool waiting;
	uint32_t hb_seq;
	struct fm_timer timer;
};

/* A PBU with HI 4 held for MaxDelayBeforeNewBCEAssign (RFC 5213 §5.4.1.2). */
struct lma_hold {
	struct mh_msg *pbu;
	struct in6_addr src;
	char nai[FM_NAI_MAX + 1];
	uint16_t old_bid;
	struct fm_timer timer;
	struct lma_hold *prev, *next;
};

struct lma {
	struct fm_config *cfg;
	struct lma_hooks h;
	struct bce bce;
	struct lma_peer peers[FM_CFG_MAX_MAGS];
	int n_peers;
	struct lma_txn *txns;
	struct lma_hold *holds;
	struct fm_timer *timers; /* every armed timer */
	struct fm_timer save_timer;
	bool dirty;
	uint32_t restart_counter;
	uint16_t seq;	 /* FMI, BRI, UPN */
	uint32_t hb_seq; /* heartbeat */
	uint64_t rx[MH_KIND_COUNT], tx[MH_KIND_COUNT];
	uint64_t status[MH_KIND_COUNT][256];
	uint64_t rx_ignored;
	/* set while a PBU is processed: flow moves add to this PBA instead of signaling */
	struct mh_msg *cur_pba;
	struct bce_binding *cur_binding;
};

/* Calls hooks.dp->fn(hooks.dp_ctx, ...) when the data plane has it; 0 otherwise. */
#define DP(l, fn, ...) ((l)->h.dp && (l)->h.dp->fn ? (l)->h.dp->fn((l)->h.dp_ctx, __VA_ARGS__) : 0)

/* ---- tiny helpers ------------------------------------------------------------ */

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

static inline uint32_t tmr(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

/* ---- lma.c: helpers, timers, data plane sync, bindings */

/* Hands an event to hooks.event (which steals fields), or drops it. */
void lma_emit(struct lma *l, const char *name, json_t *fields);
/* The common fields of an event: "mn" and, with b, its BID, ATT, MAG and prefixes. */
json_t *lma_ev_fields(const struct bce_mn *mn, const struct bce_binding *b);
/* Counts m (tx and, for answers, its status) and sends it through hooks.send. */
void lma_send_msg(struct lma *l, const struct mh_msg *m, const struct in6_addr *dst);
/* Sets up an unarmed timer calling fn(lma, obj, now). */
void lma_timer_init(struct fm_timer *t, void (*fn)(void *, void *, uint64_t), void *obj);
/* Disarms t (no-op when not armed). */
void lma_timer_stop(struct lma *l, struct fm_timer *t);
/* (Re)arms t for due (ms), on the libev loop when there is one. */
void lma_timer_set(struct lma *l, struct fm_timer *t, uint64_t due, uint64_t now);
/* Programs the data plane's flow rules from the MN's flow mobility cache. */
void lma_push_rules(struct lma *l, struct bce_mn *mn);
/* Re-resolves the MN's flows against its bindings (flow events); returns how many changed. */
unsigned lma_resolve_flows(struct lma *l, struct bce_mn *mn);
/* Programs the MN's prefixes (and their default BIDs) into the data plane. */
void lma_dp_prefixes(struct lma *l, struct bce_mn *mn);
/* Programs an MN's bindings, prefixes and rules into the data plane. */
void lma_dp_sync_mn(struct lma *l, struct bce_mn *mn);
/* Deletes an MN left with no binding and only policy flows, with its shared prefixes. */
void lma_mn_maybe_free(struct lma *l, struct bce_mn *mn);
/* True when p is one of the MN's shared prefixes (mn->shared). */
bool lma_mn_shares(const struct bce_mn *mn, const struct fm_prefix *p);
/* Timer callback: a binding's lifetime ran out. */
void lma_binding_timeout(void *lp, void *obj, uint64_t now);

/* ---- lma_flow.c: outgoing transactions (FMI, BRI, UPN), flow moves, their answers */

/* Disarms a transaction, unlinks it and frees it with its message. */
void lma_txn_free(struct lma *l, struct lma_txn *t);
/* Appends a Home Network Prefix option for p. */
void lma_add_hnp(struct mh_msg *m, const struct fm_prefix *p);
/* Appends a Binding Identifier option for bid. */
void lma_add_bid(struct mh_msg *m, uint16_t bid);
/* Seconds of lifetime b has left at now. */
uint32_t lma_binding_left_s(const struct bce_binding *b, uint64_t now);
/* Starts an FMI transaction (create, refresh or cancel) for flow f towards dst. */
void lma_send_fmi(struct lma *l, enum txn_op op, struct bce_mn *mn, struct fmc_flow *f,
		  const struct in6_addr *dst, struct bce_binding *to, uint64_t now);
/* Re-resolves the MN's flows; those whose effective BID changed are moved and signalled. */
void lma_replace_flows(struct lma *l, struct bce_mn *mn, uint64_t now);
/* Moves flows whose bindings are all peer-down to a usable binding, then re-places. */
void lma_rescue_flows(struct lma *l, struct bce_mn *mn, uint64_t now);
/* Rx: an FMA answering one of our FMIs. */
void lma_handle_fma(struct lma *l, const struct mh_msg *m, const struct in6_addr *src,
		    uint64_t now);
/* Rx: a BRA answering one of our BRIs. */
void lma_handle_bra(struct lma *l, const struct mh_msg *m, const struct in6_addr *src);
/* Rx: a UPA answering one of our UPNs. */
void lma_handle_upa(struct lma *l, const struct mh_msg *m, const struct in6_addr *src);

/* ---- lma_ctl.c: control commands and their JSON */

/* A flow cache entry as JSON (flows command, events, state file). */
json_t *lma_flow_json(struct lma *l, const struct bce_mn *mn, const struct fmc_flow *f);

/* ---- lma_state.c: persistence and reconciliation */

/* Timer callback: writes the state file (l->save_timer). */
void lma_save_timeout(void *lp, void *obj, uint64_t now);
/* Schedules a state save shortly (LMA_SAVE_DELAY_MS in lma_state.c), once per burst. */
void lma_mark_dirty(struct lma *l);
/* Loads the state file (restart counter, MNs, bindings, flows); <0: none or unreadable. */
int lma_state_load(struct lma *l, uint64_t now);
/* Makes the data plane match the loaded state: adopts newer bindings, removes strays. */
void lma_reconcile(struct lma *l, uint64_t now);

#endif /* FLOWMOB_LMA_INT_H */
