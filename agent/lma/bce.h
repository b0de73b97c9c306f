/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bce.h — the LMA binding cache (RFC 5213 §5.1, seed §5.1 Figure 7): mobile nodes by
 * NAI, each with an MN index the LMA allocates for the data plane, its flow
 * mobility cache, and up to BCE_MAX_BINDINGS bindings keyed by a BID the LMA
 * allocates (unique per MN). Also the home-network-prefix pool (/64s out of
 * prefix-pool). Pure data structure, the LMA's bottom layer: protocol decisions live
 * above it (lma_reg.c, lma_flow.c; see lma_int.h for the layers).
 */
#ifndef FLOWMOB_BCE_H
#define FLOWMOB_BCE_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "core/list.h"
#include "core/prefix.h"
#include "core/timer.h"
#include "daemon/config.h"
#include "lma/fmc.h"

#define BCE_MAX_BINDINGS  8 /* the data plane keeps 8 per MN (FM_MAX_BIND_PER_MN) */
#define BCE_MAX_PREFIXES  8
#define BCE_MAX_MNS	  65536
#define BCE_POOL_MAX_BITS 20 /* at most 2^20 /64s are managed from a pool */

enum bce_state {
	BCE_ACTIVE = 0,
	BCE_DEREG,     /* lifetime 0 accepted, waiting MinDelayBeforeBCEDelete */
	BCE_PEER_DOWN, /* its MAG stopped answering heartbeats or restarted */
};

struct bce_mn;

struct bce_binding {
	struct bce_mn *mn;
	uint16_t bid;
	uint8_t att;
	uint8_t hi;	   /* handoff indicator of the last accepted PBU */
	uint8_t ll_id_len; /* MN link-layer identifier, when the MAG sent one */
	uint8_t ll_id[32];
	struct in6_addr mag; /* Proxy-CoA */
	uint8_t n_pfx;
	struct fm_prefix pfx[BCE_MAX_PREFIXES];
	uint32_t lifetime_s; /* granted */
	uint64_t expires_ms; /* monotonic; for BCE_DEREG: when the entry is deleted */
	enum bce_state state;
	bool has_ts;
	uint64_t last_ts; /* last accepted Timestamp, 48.16 fixed point */
	bool has_seq;
	uint16_t last_seq; /* last accepted sequence number */
	uint64_t registered_ms;
	/* RFC 5213 §5.3 retransmissions: digest of the last accepted PBU, when, and the
	 * PBA it got (encoded, malloc'd; freed with the binding) */
	uint8_t dup_digest[32];
	uint64_t dup_ms;
	uint8_t *dup_pba;
	uint16_t dup_pba_len;
	uint64_t refreshed_ms; /* last accepted PBU (monotonic; not saved) */
	struct fm_timer timer; /* lifetime expiry or deferred delete (the LMA arms it) */
};

struct bce_mn {
	char nai[FM_NAI_MAX + 1];
	uint32_t index; /* data-plane MN index, 1.. */
	uint8_t n_b;
	struct bce_binding *b[BCE_MAX_BINDINGS];
	uint16_t att_bid[256]; /* BID last used per access technology (reuse on return) */
	uint8_t n_shared;      /* the MN-wide prefixes (shared and hybrid policies) */
	struct fm_prefix shared[BCE_MAX_PREFIXES];
	struct fmc fmc;
	struct bce_mn *hnext;
	TAILQ_ENTRY(bce_mn) link; /* every MN, creation order */
	uint32_t persist_gen;	  /* the LMA's store: written in this commit already */
};

struct bce {
	unsigned n_mns;
	unsigned n_bindings;
	TAILQ_HEAD(bce_mn_list, bce_mn) mns; /* creation order */
	struct bce_mn **hash;		     /* BCE_HASH buckets by NAI */
	struct bce_mn **by_index;	     /* max_mns + 1 slots */
	uint32_t next_index_hint;
	/* capacity (bce_set_limits): MN indexes 1..max_mns, bindings and pool
	 * prefixes in all (0: no limit but the pool's) */
	uint32_t max_mns, max_bindings, max_prefixes;
	/* prefix pool */
	struct in6_addr pool;
	uint8_t pool_len;
	uint32_t pool_bits; /* number of /64s managed */
	uint8_t *pool_map;  /* one bit per /64 */
	uint32_t pool_used;
	uint32_t pool_hint;
};

int bce_init(struct bce *c, const struct in6_addr *pool, uint8_t pool_len);
/* Capacity, before the first MN: MN indexes 1..mns (0: BCE_MAX_MNS), at most
 * bindings bindings and prefixes pool prefixes in all (0: unlimited). Beyond them
 * bce_mn_add, bce_binding_add and bce_pool_alloc fail (the LMA answers PBA 130). */
int bce_set_limits(struct bce *c, uint32_t mns, uint32_t bindings, uint32_t prefixes);
/* Frees every MN and binding (their timers must already be stopped by the owner). */
void bce_destroy(struct bce *c);

struct bce_mn *bce_mn_find(struct bce *c, const char *nai);
struct bce_mn *bce_mn_by_index(struct bce *c, uint32_t index);
/* Creates the MN with a fresh index (or the given one when index != 0 and free:
 * restoring after a restart). NULL when the NAI is too long or no index is free. */
struct bce_mn *bce_mn_add(struct bce *c, const char *nai, uint32_t index);
/* Removes an MN with no bindings left: its index is freed. Its prefixes are NOT
 * returned to the pool (the caller frees what it owned with bce_pool_free). */
void bce_mn_del(struct bce *c, struct bce_mn *mn);

struct bce_binding *bce_binding_find(const struct bce_mn *mn, uint16_t bid);
/* New binding with a BID: the one last used for this ATT when free, else the lowest
 * free BID. NULL when the MN has BCE_MAX_BINDINGS bindings. */
struct bce_binding *bce_binding_add(struct bce *c, struct bce_mn *mn, uint8_t att);
/* Forget a binding (its timer must be stopped). */
void bce_binding_del(struct bce *c, struct bce_binding *b);

/* The lowest BID in use for the MN that has a prefix, preferring usable bindings. */
bool bce_binding_usable(const struct bce_binding *b);
bool bce_binding_has_prefix(const struct bce_binding *b, const struct fm_prefix *p);
int bce_binding_add_prefix(struct bce_binding *b, const struct fm_prefix *p);
bool bce_binding_remove_prefix(struct bce_binding *b, const struct fm_prefix *p);
/* Any binding of the MN that holds the prefix (usable ones first), or NULL. */
struct bce_binding *bce_prefix_holder(const struct bce_mn *mn, const struct fm_prefix *p);
/* The MN (and binding) owning a prefix, by scanning; NULL if none. */
struct bce_mn *bce_prefix_owner(struct bce *c, const struct fm_prefix *p);

/* Prefix pool: a free /64 from prefix-pool (lowest first); -ENOSPC when exhausted. */
int bce_pool_alloc(struct bce *c, struct fm_prefix *out);
/* Mark a prefix used (restore); -EEXIST if already used, -ERANGE if outside the pool. */
int bce_pool_take(struct bce *c, const struct fm_prefix *p);
void bce_pool_free(struct bce *c, const struct fm_prefix *p);
bool bce_pool_contains(const struct bce *c, const struct fm_prefix *p);

const char *bce_state_name(enum bce_state s);

#endif /* FLOWMOB_BCE_H */
