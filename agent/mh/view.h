/* SPDX-License-Identifier: GPL-2.0 */
/*
 * view.h — a decoded Mobility Header message as a typed view: the fields each kind
 * carries (MN-ID, home network prefixes, HI, ATT, LL-ID, timestamp, BID, flow
 * requests, restart counter, ...) read in ONE pass over the message's options, so
 * that the roles read fields, not options (no repeated mh_opt_find).
 *
 * mh layer, above the codec (mh.h). One builder per kind; each takes the decoded
 * struct mh_msg and returns 0 when everything the kind needs is present and well
 * formed, or the status the answer must carry (PBU -> PBA status, FMI -> FMA status,
 * UPN -> UPA status, BRI -> BRA status), or -1 when m is not of that kind. The view
 * is filled as far as it goes even when a status is returned (e.g. a PBU missing
 * its HI still has its MN-ID), so a role can apply its own checks in between.
 *
 * Repeated singleton options: the first one counts (as mh_opt_find(.., 0) did).
 * Small values are copied; Flow Identification options (each with its selector and
 * BID list) are pointers into the message, which must outlive the view. A view is
 * about 1-2 KB (MH_MAX_OPTS bounds every array: a message cannot carry more).
 */
#ifndef FLOWMOB_MH_VIEW_H
#define FLOWMOB_MH_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "mh/mh.h"

/* A Mobile Node Identifier option (RFC 4283): present, its bytes, and whether it is
 * a valid NAI (RFC 7542 syntax, core/nai.h: UTF-8, no control characters, at most 253
 * octets); nai is NUL-terminated either way. A PBU whose MN-ID is present but not a
 * valid NAI gets PBA 129 (docs/wire-notes.md), a missing one 160. */
struct mh_view_mn_id {
	bool present;
	bool valid;
	uint8_t subtype;
	uint8_t len;
	char nai[256];
};

struct mh_view_prefix {
	struct in6_addr prefix; /* all zero: "assign me one" in a PBU */
	uint8_t plen;
};

struct mh_view_ll_id {
	bool present;
	uint8_t len;
	uint8_t id[253];
};

struct mh_view_bid {
	bool present;
	uint16_t bid;
	uint8_t status;
	uint8_t priority;
};

/* The Timestamp option (RFC 5213 §8.8) as one 48.16 fixed-point number. */
struct mh_view_ts {
	bool present;
	uint64_t fixed; /* seconds << 16 | 1/65536 fractions */
};

/* Proxy Binding Update (RFC 5213 §8.1; RFC 6089 flow requests). */
struct pbu_view {
	uint16_t seq;
	uint16_t flags;	   /* MH_PBU_* */
	uint32_t lifetime; /* seconds */
	struct mh_view_mn_id mn_id;
	uint8_t n_hnp;
	uint8_t n_hnp_nonzero; /* HNPs naming a prefix (not the all-zero request) */
	struct mh_view_prefix hnp[MH_MAX_OPTS];
	bool has_hi, has_att, has_lla, has_gre_key;
	uint8_t hi;  /* enum mh_hi */
	uint8_t att; /* access technology type */
	struct mh_view_ll_id ll_id;
	struct in6_addr lla; /* the MAG's link-local address */
	struct mh_view_ts ts;
	struct mh_view_bid bid;
	uint32_t gre_key;
	uint8_t n_flows; /* Flow Identification options, in order */
	const struct mh_flowid *flows[MH_MAX_OPTS];
};

/* Proxy Binding Acknowledgement (RFC 5213 §8.2). */
struct pba_view {
	uint16_t seq;
	uint8_t flags; /* MH_PBA_* */
	uint8_t status;
	uint32_t lifetime;
	struct mh_view_mn_id mn_id;
	uint8_t n_hnp;
	struct mh_view_prefix hnp[MH_MAX_OPTS];
	bool has_hi, has_att, has_gre_key;
	uint8_t hi, att;
	struct mh_view_ll_id ll_id;
	struct mh_view_ts ts;
	struct mh_view_bid bid;
	uint32_t gre_key;
	uint8_t n_flows; /* answered flow requests (their status in flows[i]->status) */
	const struct mh_flowid *flows[MH_MAX_OPTS];
};

/* Flow Mobility Initiate (seed draft): C = cancel, R = refresh, neither = add. */
struct fmi_view {
	uint16_t seq;
	uint16_t flags; /* MH_FMI_* */
	bool cancel, refresh;
	uint32_t lifetime;
	struct mh_view_mn_id mn_id;
	uint8_t n_hnp; /* the home prefixes the target MAG routes for the flows */
	struct mh_view_prefix hnp[MH_MAX_OPTS];
	uint8_t n_flows;
	const struct mh_flowid *flows[MH_MAX_OPTS];
};

/* Flow Mobility Acknowledgement. */
struct fma_view {
	uint16_t seq;
	uint8_t status;
	uint32_t lifetime;
	struct mh_view_mn_id mn_id;
	uint8_t n_flows;
	const struct mh_flowid *flows[MH_MAX_OPTS];
};

/* Update Notification (RFC 7077) and its acknowledgement. */
struct upn_view {
	uint16_t seq;
	uint16_t flags; /* MH_UPN_A, D */
	uint16_t reason;
	uint32_t lifetime;
	struct mh_view_mn_id mn_id;
	uint8_t n_hnp; /* the MN's new prefix set, when named */
	struct mh_view_prefix hnp[MH_MAX_OPTS];
	struct mh_view_bid bid;
	uint8_t n_flows;
	const struct mh_flowid *flows[MH_MAX_OPTS];
};

struct upa_view {
	uint16_t seq;
	uint8_t status;
	struct mh_view_mn_id mn_id;
};

/* Binding Revocation Indication / Acknowledgement (RFC 5846). */
struct bri_view {
	uint16_t seq;
	uint16_t flags; /* MH_BR_P, V, G */
	uint8_t trigger;
	struct mh_view_mn_id mn_id;
	uint8_t n_hnp; /* 0: the whole binding */
	struct mh_view_prefix hnp[MH_MAX_OPTS];
	struct mh_view_bid bid;
};

struct bra_view {
	uint16_t seq;
	uint16_t flags;
	uint8_t status;
	struct mh_view_mn_id mn_id;
};

/* Heartbeat (RFC 5847). */
struct hb_view {
	uint32_t seq;
	bool response;	  /* R flag */
	bool unsolicited; /* U flag */
	bool has_rc;
	uint32_t restart_counter;
};

/*
 * PBU: PBA_MISSING_MN_ID (160) when there is no MN-ID or it is empty or has a NUL
 * inside, else PBA_MISSING_HNP (158) without any HNP option, else PBA_MISSING_HI (161),
 * else PBA_MISSING_ATT (162) — checked in that order; 0 when all four are there.
 * (The P flag, the timestamp rules and who may register are the LMA's checks.)
 */
int pbu_view_build(struct pbu_view *v, const struct mh_msg *m);
/* PBA: PBA_MISSING_MN_ID when it names no MN (the MAG cannot match it), else 0. */
int pba_view_build(struct pba_view *v, const struct mh_msg *m);
/* FMI: FMA_UNSPECIFIED without a usable MN-ID or without any Flow Identification. */
int fmi_view_build(struct fmi_view *v, const struct mh_msg *m);
/* FMA: 0 (its status is in v->status). */
int fma_view_build(struct fma_view *v, const struct mh_msg *m);
/* UPN: UPA_MN_NOT_ATTACHED without a usable MN-ID (no MN can be meant). */
int upn_view_build(struct upn_view *v, const struct mh_msg *m);
/* UPA: 0. */
int upa_view_build(struct upa_view *v, const struct mh_msg *m);
/* BRI: BRA_NO_BINDING without a usable MN-ID (no binding can be meant). */
int bri_view_build(struct bri_view *v, const struct mh_msg *m);
/* BRA: 0. */
int bra_view_build(struct bra_view *v, const struct mh_msg *m);
/* Heartbeat: 0. */
int hb_view_build(struct hb_view *v, const struct mh_msg *m);

/* The Timestamp option's value as 48.16 fixed point, and back. */
static inline uint64_t mh_ts_fixed(uint64_t seconds, uint16_t fraction)
{
	return (seconds << 16) | fraction;
}

#endif /* FLOWMOB_MH_VIEW_H */
