/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mh.h — the Mobility Header codec (RFC 6275 §6.1 framing, RFC 5213 PBU/PBA,
 * RFC 5846 BRI/BRA, RFC 5847 heartbeat, RFC 7077 UPN/UPA, the seed draft's FMI/FMA,
 * RFC 5648/6089 BID, Flow Summary and Flow Identification, RFC 6088 selectors).
 *
 * Pure functions on byte buffers: no sockets, no allocation, no globals except the
 * configurable FMI/FMA type number. Encoding pads every option to its alignment
 * rule and the message to 8 octets; decoding validates every length, accepts any
 * alignment, keeps unknown options and sub-options as raw bytes, and never reads
 * past the buffer. Every wire number lives in one enum or define below, so that a
 * correction is one edit.
 */
#ifndef FLOWMOB_MH_H
#define FLOWMOB_MH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "mh/ts.h"

/* ---- wire numbers -------------------------------------------------------- */
#define MH_PROTO 135 /* IPv6 next header of the Mobility Header */

enum mh_type {
	MH_TYPE_BU = 5,
	MH_TYPE_BA = 6,
	MH_TYPE_BE = 7,
	MH_TYPE_EXPERIMENTAL = 11,
	MH_TYPE_HEARTBEAT = 13,
	MH_TYPE_BR = 16,
	MH_TYPE_UPN = 19,
	MH_TYPE_UPA = 20,
};
/* FMI and FMA share one MH type (no IANA number): default 11, settable at run time. */
#define MH_FM_TYPE_DEFAULT MH_TYPE_EXPERIMENTAL
extern uint8_t mh_fm_type;

enum mh_opt_type {
	MH_OPT_PAD1 = 0,
	MH_OPT_PADN = 1,
	MH_OPT_MN_ID = 8,
	MH_OPT_HNP = 22,
	MH_OPT_HI = 23,
	MH_OPT_ATT = 24,
	MH_OPT_LL_ID = 25,
	MH_OPT_LLA = 26,
	MH_OPT_TIMESTAMP = 27,
	MH_OPT_RESTART_COUNTER = 28,
	MH_OPT_GRE_KEY = 33,
	MH_OPT_BID = 35,
	MH_OPT_FLOW_SUMMARY = 44,
	MH_OPT_FLOW_ID = 45,
};

enum mh_fid_sub {
	MH_FIDSUB_PAD1 = 0,
	MH_FIDSUB_PADN = 1,
	MH_FIDSUB_BID_REF = 2,
	MH_FIDSUB_TS = 3,
};

/* Flag bits as they sit in each message's flags field (host order). */
#define MH_PBU_A 0x8000
#define MH_PBU_H 0x4000
#define MH_PBU_L 0x2000
#define MH_PBU_K 0x1000
#define MH_PBU_M 0x0800
#define MH_PBU_R 0x0400
#define MH_PBU_P 0x0200
#define MH_PBU_F 0x0100
#define MH_PBU_T 0x0080
#define MH_PBU_B 0x0040
#define MH_PBA_K 0x80
#define MH_PBA_R 0x40
#define MH_PBA_P 0x20
#define MH_PBA_T 0x10
#define MH_PBA_B 0x08
#define MH_BR_P	 0x8000
#define MH_BR_V	 0x4000
#define MH_BR_G	 0x2000
#define MH_HB_U	 0x02
#define MH_HB_R	 0x01
#define MH_FMI_I 0x8000
#define MH_FMI_C 0x4000
#define MH_FMI_R 0x2000
#define MH_UPN_A 0x80

#define MH_BR_TYPE_BRI		    1
#define MH_BR_TYPE_BRA		    2
#define MH_UPN_REASON_FLOW_MOBILITY 8
#define MH_FM_LIFETIME_INFINITE	    0xffff

/* PBA status (RFC 5213 §8.9 and friends). */
enum mh_pba_status {
	PBA_ACCEPTED = 0,
	PBA_UNSPECIFIED = 128,
	PBA_ADMIN_PROHIBITED = 129,
	PBA_INSUFFICIENT_RESOURCES = 130,
	PBA_SEQ_OUT_OF_WINDOW = 135,
	PBA_PROXY_REG_NOT_ENABLED = 152,
	PBA_NOT_LMA_FOR_MN = 153,
	PBA_MAG_NOT_AUTHORIZED = 154,
	PBA_NOT_AUTHORIZED_FOR_HNP = 155,
	PBA_TIMESTAMP_MISMATCH = 156,
	PBA_TIMESTAMP_LOWER = 157,
	PBA_MISSING_HNP = 158,
	PBA_BCE_PBU_PREFIX_MISMATCH = 159,
	PBA_MISSING_MN_ID = 160,
	PBA_MISSING_HI = 161,
	PBA_MISSING_ATT = 162,
};

enum mh_fma_status {
	FMA_SUCCESS = 0,
	FMA_UNSPECIFIED = 128,
	FMA_MN_NOT_ATTACHED = 129,
	FMA_SEQ_OUT_OF_WINDOW = 130,
	FMA_TS_FORMAT_UNSUPPORTED = 131,
	FMA_NO_ENTRY = 132,
	FMA_ENTRY_EXISTS = 133,
};

enum mh_fid_status {
	FID_SUCCESS = 0,
	FID_ADMIN_PROHIBITED = 128,
	FID_REJECTED = 129,
	FID_MALFORMED = 130,
	FID_BID_NOT_FOUND = 131,
	FID_NOT_FOUND = 132,
	FID_TS_FORMAT_UNSUPPORTED = 133,
};

enum mh_bra_status {
	BRA_SUCCESS = 0,
	BRA_PARTIAL = 1,
	BRA_NO_BINDING = 128,
	BRA_GLOBAL_NOT_AUTHORIZED = 130,
	BRA_FAILED_MN_ATTACHED = 132,
	BRA_TRIGGER_UNSUPPORTED = 133,
};

enum mh_upa_status {
	UPA_SUCCESS = 0,
	UPA_UNSPECIFIED = 131,
	UPA_MN_NOT_ATTACHED = 132,
};

enum mh_hi {
	MH_HI_NEW_IFACE = 1,
	MH_HI_HANDOFF_IFACES = 2,
	MH_HI_HANDOFF_MAGS = 3,
	MH_HI_UNKNOWN = 4,
	MH_HI_NOT_CHANGED = 5,
	MH_HI_NEW_IFACE_SHARED = 6,
};

/* ---- decoded form ---------------------------------------------------------- */
#define MH_MAX_OPTS	32
#define MH_MAX_BIDREF	64
#define MH_MAX_FIDS	64
#define MH_MAX_RAW_SUBS 4

enum mh_kind {
	MH_PBU = 1,
	MH_PBA,
	MH_BRI,
	MH_BRA,
	MH_HEARTBEAT,
	MH_BE,
	MH_FMI,
	MH_FMA,
	MH_UPN,
	MH_UPA,
};

struct mh_raw {
	uint8_t type;
	uint8_t len;
	uint8_t data[255];
};

struct mh_flowid {
	uint16_t fid;
	uint16_t priority;
	uint8_t status;
	uint8_t n_bids; /* 0: no BID Reference sub-option */
	uint16_t bids[MH_MAX_BIDREF];
	bool has_ts;
	struct fm_ts ts;
	uint8_t n_raw; /* unknown sub-options, kept as bytes */
	struct mh_raw raw[MH_MAX_RAW_SUBS];
};

struct mh_opt {
	uint8_t type; /* enum mh_opt_type, or anything else as raw */
	union {
		struct {
			uint8_t subtype; /* 1 = NAI */
			uint8_t len;
			uint8_t id[254];
		} mn_id;
		struct {
			uint8_t plen;
			struct in6_addr prefix;
		} hnp;
		uint8_t hi;
		uint8_t att;
		struct {
			uint8_t len;
			uint8_t id[253];
		} ll_id;
		struct in6_addr lla;
		struct {
			uint64_t seconds; /* 48 bits on the wire */
			uint16_t fraction;
		} timestamp;
		uint32_t restart_counter;
		uint32_t gre_key;
		struct {
			uint16_t bid;
			uint8_t status;
			bool h;
			uint8_t priority; /* 7 bits */
			uint8_t coa_len;  /* 0, 4 or 16 */
			uint8_t coa[16];
		} bid;
		struct {
			uint8_t n;
			uint16_t fids[MH_MAX_FIDS];
		} flow_summary;
		struct mh_flowid flow_id;
		struct mh_raw raw; /* raw.type == type */
	};
};

struct mh_msg {
	enum mh_kind kind;
	uint32_t seq;		      /* 16 bits except heartbeat (32) */
	uint16_t flags;		      /* the message's flag bits, MH_* above (FMI: I implied) */
	uint8_t status;		      /* PBA, BRA, BE, FMA, UPA */
	uint8_t trigger;	      /* BRI */
	uint8_t reason;		      /* UPN */
	uint32_t lifetime;	      /* seconds: PBU/PBA wire ×4, FMI/FMA as on the wire */
	struct in6_addr home_address; /* BE */
	uint8_t n_opts;
	struct mh_opt opts[MH_MAX_OPTS];
};

struct mh_err {
	size_t offset; /* byte offset in the MH where the problem is */
	char msg[160];
};

/* Encode m into buf; returns the MH length (a multiple of 8) or -1 with err set
 * (unencodable message, e.g. a PBU lifetime not a multiple of 4, or buf too small).
 * The checksum field is left 0 (the kernel's raw MH socket fills it; see mh_checksum). */
int mh_encode(const struct mh_msg *m, uint8_t *buf, size_t len, struct mh_err *err);

/* True for the MH types this codec decodes (including the FMI/FMA type in use). */
bool mh_type_known(uint8_t type);

/* Decode one MH; returns 0, or -1 with err naming what is wrong and where. */
int mh_decode(const uint8_t *buf, size_t len, struct mh_msg *m, struct mh_err *err);

/* An empty message of kind k: the fixed fields cleared, no options; the option
 * array is not touched (it is large), so this is the cheap way to start a message. */
void mh_msg_init(struct mh_msg *m, enum mh_kind k);

/* The n-th (0-based) option of a type, or NULL. */
const struct mh_opt *mh_opt_find(const struct mh_msg *m, uint8_t type, int nth);
/* Append an option; returns a pointer to it, or NULL when the message is full. */
struct mh_opt *mh_opt_add(struct mh_msg *m, uint8_t type);

/* One's-complement MH checksum with the IPv6 pseudo-header (RFC 6275 §6.1.1). */
uint16_t mh_checksum(const struct in6_addr *src, const struct in6_addr *dst, const uint8_t *mh,
		     size_t len);

const char *mh_kind_name(enum mh_kind k); /* "pbu", "pba", ... as in the JSON form */

#endif /* FLOWMOB_MH_H */
