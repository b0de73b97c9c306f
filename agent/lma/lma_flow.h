/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lma_flow.h — the LMA's flow mobility layer (lma_flow.c): placing the flow
 * mobility cache on the bindings, moving flows and prefixes, and the requests the
 * LMA initiates for that (FMI, BRI, UPN) with their answers. Above lma_base.c,
 * below registration (lma_reg.c), peers, control and persistence.
 */
#ifndef FLOWMOB_LMA_FLOW_H
#define FLOWMOB_LMA_FLOW_H

#include "lma/lma_int.h"
#include "mh/view.h"

/* Flows the PBA being built must carry (one Flow Identification each, status 0). */
struct lma_pba_flows {
	unsigned n;
	uint16_t fid[FMC_MAX_FLOWS];
};

/* Starts an FMI transaction (create, refresh or cancel) for flow f towards dst. */
void lma_send_fmi(struct lma *l, enum txn_op op, struct bce_mn *mn, struct fmc_flow *f,
		  const struct in6_addr *dst, struct bce_binding *to, uint64_t now);

/* Re-resolves the MN's flows; those whose effective BID changed are moved and
 * signalled (FMI, UPN, or BRI for a prefix). */
void lma_replace_flows(struct lma *l, struct bce_mn *mn, uint64_t now);
/* The same while a PBA for binding reg is being built: what moves onto reg goes in
 * that PBA instead — *out lists the flows to add as Flow Identification options. */
void lma_replace_flows_pba(struct lma *l, struct bce_mn *mn, struct bce_binding *reg,
			   struct lma_pba_flows *out, uint64_t now);
/* Moves flows whose bindings are all peer-down to a usable binding, then re-places. */
void lma_rescue_flows(struct lma *l, struct bce_mn *mn, uint64_t now);
/* A refresh of binding b from its MAG: the flows signalled there are refreshed (FMI). */
void lma_refresh_flows(struct lma *l, struct bce_mn *mn, struct bce_binding *b, uint64_t now);

/* The placement policies (config templates) applied to the MN's cache: removed ones
 * dropped, changed ones updated, new ones added. */
void lma_apply_policies(struct lma *l, struct bce_mn *mn);
/* A Flow Identification request in a PBU registering b: the FID status for the PBA. */
uint8_t lma_flow_request(struct lma *l, struct bce_mn *mn, struct bce_binding *b,
			 const struct mh_flowid *q);

/* Answers to the LMA's requests. */
void lma_handle_fma(struct lma *l, const struct fma_view *v, const struct in6_addr *src,
		    uint64_t now);
void lma_handle_bra(struct lma *l, const struct bra_view *v, const struct in6_addr *src);
void lma_handle_upa(struct lma *l, const struct upa_view *v, const struct in6_addr *src);

/* Requests waiting for an answer; stopping and freeing all of them (lma_free). */
unsigned lma_flow_pending(const struct lma *l);
void lma_flow_fini(struct lma *l);

/* Flows lma_rescue_flows moved off peer-down bindings go back to their own
 * placement when one of its bindings is usable again; then lma_replace_flows. */
void lma_restore_flows(struct lma *l, struct bce_mn *mn, uint64_t now);

/* A global revocation (RFC 5846 BRI with P and G: every binding of that MAG). */
void lma_send_global_bri(struct lma *l, const struct in6_addr *mag, uint8_t trigger, uint64_t now);
#define LMA_BRI_TRIGGER_ADMIN	    1	/* Administrative Reason */
#define LMA_BRI_TRIGGER_OUT_SYNC    7	/* Possible Out-of-Sync BCE State */
#define LMA_BRI_TRIGGER_PEER_POLICY 250 /* Per-Peer Policy: the MAG left the configuration */

/* The MAG was heard (a heartbeat, a PBU, an answer): the FMI/BRI/UPN exchanges with
 * it that were given up are redone as the LMA's view needs them now (a create that
 * is still wanted, a cancel otherwise; a revocation still due). */
void lma_flow_resync(struct lma *l, const struct in6_addr *mag, uint64_t now);
unsigned lma_flow_parked(const struct lma *l);
/* flow-signaling changes at run time (before the new configuration is installed):
 * fmi -> upn cancels the FMI state at the MAGs and signals those flows by UPN. */
void lma_flow_signaling_changed(struct lma *l, enum fm_flow_signaling to, uint64_t now);

#endif /* FLOWMOB_LMA_FLOW_H */
