/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fmc.h — the LMA's flow mobility cache (seed §5.2, Figure 8), one per mobile node:
 * FID-PRI, FID (per MN, RFC 6089), traffic selector (RFC 6088), BIDs, action,
 * active/inactive. Pure data structure: no sockets, no data plane (the LMA's bottom
 * layer). lma_base.c resolves the entries against the MN's bindings (fmc_resolve)
 * and pushes the result to the data plane in one rules_set call (fmc_to_rules).
 */
#ifndef FLOWMOB_FMC_H
#define FLOWMOB_FMC_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "dp/dataplane.h"
#include "mh/ts.h"

#define FMC_MAX_FLOWS FM_DP_MAX_RULES
#define FMC_MAX_BIDS  8

/* Where an entry came from; decides who may change or remove it. */
enum fmc_origin {
	FMC_POLICY = 1, /* configured placement policy (template applied to every MN) */
	FMC_CTL,	/* control socket: flow.add */
	FMC_PBU,	/* requested by a MAG in a PBU's Flow Identification option */
};

struct fmc_flow {
	uint16_t fid;
	uint16_t priority; /* FID-PRI: lower value first */
	struct fm_ts ts;
	uint8_t n_bids;
	uint16_t bids[FMC_MAX_BIDS];
	uint8_t action; /* enum fm_dp_action */
	bool active;
	enum fmc_origin origin;
	/* Placement by access technology (policy template, or flow.move --att): the
	 * BIDs are re-derived from the bindings whose ATT is listed, in this order. */
	uint8_t n_att;
	uint8_t att[FM_DP_MAX_ATT];
	uint16_t dp_bid; /* the BID programmed in the data plane (first usable), 0 none */
	/* Flow-granularity signaling state: the MAG that holds FMI state for it. */
	bool signalled;
	struct in6_addr signalled_mag;
	/* The placement it had before lma_rescue_flows moved it off its peer-down
	 * bindings, put back when one of them is active again (lma_restore_flows). */
	bool rescued;
	uint8_t r_n_bids, r_n_att;
	uint16_t r_bids[FMC_MAX_BIDS];
	uint8_t r_att[FM_DP_MAX_ATT];
};

struct fmc {
	unsigned n, cap;
	struct fmc_flow *flows; /* grows on demand: most MNs have a few entries */
};

/* A binding as the FMC sees it. usable = registered and neither
 * deregistering nor peer-down. */
struct fmc_bview {
	uint16_t bid;
	uint8_t att;
	bool usable;
};

void fmc_init(struct fmc *c);
void fmc_free(struct fmc *c);
struct fmc_flow *fmc_find(struct fmc *c, uint16_t fid);
/* Adds a copy of f; -EEXIST when the FID is taken, -ENOSPC when full (FMC_MAX_FLOWS),
 * -EINVAL bad, -ENOMEM. Pointers to entries are invalidated by fmc_add/fmc_del. */
int fmc_add(struct fmc *c, const struct fmc_flow *f);
int fmc_del(struct fmc *c, uint16_t fid);

/*
 * Re-derive every entry against the MN's bindings: ATT-placed entries get the BIDs
 * of the bindings with their ATTs; every entry is active when at least one of its
 * BIDs is usable (inactive only when all of them are gone, deregistering or
 * peer-down), and dp_bid is its first usable BID. A drop entry without BIDs is
 * always active. Returns how many entries changed
 * active state or dp_bid; changed[i] (if not NULL) marks them.
 */
unsigned fmc_resolve(struct fmc *c, const struct fmc_bview *b, unsigned nb, bool *changed);

/* The data-plane rule set, ordered by FID-PRI then FID; inactive entries are
 * passed as inactive rules. Returns the number of rules written (<= max). */
unsigned fmc_to_rules(const struct fmc *c, struct fm_dp_rule *rules, unsigned max);

/* True when bid is one of the entry's BIDs. */
bool fmc_flow_has_bid(const struct fmc_flow *f, uint16_t bid);

const char *fmc_action_name(uint8_t action);
/* "policy", "ctl", "pbu" (JSON, the state file), and back (anything else: ctl). */
const char *fmc_origin_name(enum fmc_origin o);
enum fmc_origin fmc_origin_parse(const char *s);
#endif /* FLOWMOB_FMC_H */
