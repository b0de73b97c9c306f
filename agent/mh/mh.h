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

/*
 * The mobility options the codec knows, declared once:
 * X(ENUM, type, stem, "JSON name", "display name", alignment rule (MH_AL_*)).
 * stem names the union member of struct mh_opt and, in mh.c and mh_json.c, the
 * functions enc_<stem>, dec_<stem>, <stem>_to_json and <stem>_from_json, so adding
 * an option is one line here plus its four functions. Pad1/PadN (JSON name NULL)
 * are the encoder's business and never appear in the decoded form.
 */
#define MH_OPT_LIST(X)                                                                             \
	X(PAD1, 0, pad, NULL, "Pad1", NONE)                                                        \
	X(PADN, 1, pad, NULL, "PadN", NONE)                                                        \
	X(MN_ID, 8, mn_id, "mn-id", "MN-ID", NONE)                                                 \
	X(AUTH, 9, auth, "auth", "Authentication", AUTH)                                           \
	X(HNP, 22, hnp, "hnp", "Home Network Prefix", HNP)                                         \
	X(HI, 23, hi, "hi", "Handoff Indicator", NONE)                                             \
	X(ATT, 24, att, "att", "Access Technology Type", NONE)                                     \
	X(LL_ID, 25, ll_id, "ll-id", "MN Link-layer ID", LL_ID)                                    \
	X(LLA, 26, lla, "lla", "Link-local Address", LLA)                                          \
	X(TIMESTAMP, 27, timestamp, "timestamp", "Timestamp", TIMESTAMP)                           \
	X(RESTART_COUNTER, 28, restart_counter, "restart-counter", "Restart Counter",              \
	  RESTART_COUNTER)                                                                         \
	X(GRE_KEY, 33, gre_key, "gre-key", "GRE Key", GRE_KEY)                                     \
	X(BID, 35, bid, "bid", "Binding Identifier", BID)                                          \
	X(FLOW_SUMMARY, 44, flow_summary, "flow-summary", "Flow Summary", FLOW_SUMMARY)            \
	X(FLOW_ID, 45, flow_id, "flow-id", "Flow Identification", FLOW_ID)

#define MH_OPT_ENUM_(e, t, stem, jname, dname, al) MH_OPT_##e = t,
enum mh_opt_type { MH_OPT_LIST(MH_OPT_ENUM_) };
#undef MH_OPT_ENUM_

/*
 * Sender alignment, every rule in one table: X(NAME, x, y, "source"), the RFC 6275
 * §6.2 notation xn+y, counted from the start of the MH (x = 0: no rule). An option
 * names its row in MH_OPT_LIST; the rows below it are chosen by the encoder from
 * the option's contents (a BID with a care-of address, a Traffic Selector
 * sub-option by the fields it carries). Receivers accept any alignment.
 */
#define MH_ALIGN_LIST(X)                                                                           \
	X(NONE, 0, 0, "no rule (RFC 4283, RFC 5213 §8.4/§8.5)")                                    \
	X(HNP, 8, 4, "RFC 5213 §8.3: the prefix on an 8-octet boundary")                           \
	X(LL_ID, 8, 2, "RFC 5213 §8.6")                                                            \
	X(LLA, 8, 6, "RFC 5213 §8.7: the address on an 8-octet boundary")                          \
	X(TIMESTAMP, 8, 2, "RFC 5213 §8.8: the 64-bit value on an 8-octet boundary")               \
	X(RESTART_COUNTER, 4, 2, "RFC 5847 §5.2: the counter right after Length, 4-aligned")       \
	X(GRE_KEY, 4, 2, "RFC 5845 §3.1: the key 4-aligned after Reserved(16)")                    \
	X(AUTH, 8, 2, "RFC 4285 §5: Mobility Message Authentication, the last option")             \
	X(BID, 2, 0, "RFC 5648 §4.3: no care-of address")                                          \
	X(BID_COA, 8, 2, "RFC 5648 §4.3: with an IPv4 or IPv6 care-of address")                    \
	X(FLOW_SUMMARY, 2, 0, "RFC 6089 §4.1: 16-bit FIDs")                                        \
	X(FLOW_ID, 2, 0, "RFC 6089 §4.2: 16-bit FID and FID-PRI")                                  \
	X(TS6_ADDR, 8, 0, "RFC 6088 §3.2: IPv6 selector with any of A-D (addresses)")              \
	X(TS6_SPI_FL, 4, 0, "RFC 6088 §3.2: IPv6 selector with E-H (SPI, flow label), no A-D")     \
	X(TS6_OTHER, 2, 0, "RFC 6088 §3.2: IPv6 selector with none of A-H")                        \
	X(TS4_ADDR_SPI, 4, 0, "RFC 6088 §3.1: IPv4 selector with any of A-F")                      \
	X(TS4_OTHER, 2, 0, "RFC 6088 §3.1: IPv4 selector with none of A-F")

#define MH_AL_ENUM_(n, x, y, src) MH_AL_##n,
enum mh_align { MH_ALIGN_LIST(MH_AL_ENUM_) MH_AL_COUNT };
#undef MH_AL_ENUM_

struct mh_align_rule {
	uint8_t x, y;
	const char *source;
};
extern const struct mh_align_rule mh_align_rules[MH_AL_COUNT];

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
#define MH_UPN_A 0x8000 /* RFC 7077 §4.1: acknowledgement requested */
#define MH_UPN_D 0x4000 /* RFC 7077 §4.1: a retransmission */

#define MH_BR_TYPE_BRI		    1
#define MH_BR_TYPE_BRA		    2
#define MH_UPN_REASON_FLOW_MOBILITY 8
#define MH_BID_PRI_DEFAULT	    1 /* RFC 6089 §4.1: BID-PRI 0 is reserved, never sent */
#define MH_FM_LIFETIME_INFINITE	    0xffff

/* PBA status (RFC 5213 §8.9 and friends). */
enum mh_pba_status {
	PBA_ACCEPTED = 0,
	PBA_UNSPECIFIED = 128,
	PBA_ADMIN_PROHIBITED = 129,
	PBA_INSUFFICIENT_RESOURCES = 130,
	PBA_SEQ_OUT_OF_WINDOW = 135,
	PBA_MIPV6_ID_MISMATCH = 144,  /* RFC 4285 §8 */
	PBA_MIPV6_MESG_ID_REQD = 145, /* RFC 4285 §8 */
	PBA_MIPV6_AUTH_FAIL = 146,    /* RFC 4285 §8: authenticator missing or wrong */
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

/* RFC 4285 §5: Mobility Message Authentication option subtypes. */
#define MH_AUTH_MN_HA	 1
#define MH_AUTH_MN_AAA	 2
#define MH_AUTH_MAX_DATA 250 /* Option Length 255 - Subtype - SPI */

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

/*
 * The message kinds, declared once: X(ENUM, "name", MH type (0: mh_fm_type),
 * discriminator, options offset, (fixed fields), (flag letters)).
 *  - discriminator D(offset, mask, value, "what"): bits that tell two kinds sharing
 *    one MH type apart (B.R. Type, the FMI/FMA I flag); N() for none;
 *  - fixed fields F(what, MH offset, bits) (what: MF_* below);
 *  - flag letters L('c', bit) of the flags field. Bits without a letter are reserved:
 *    sent as zero and ignored on receipt.
 * enum mh_kind numbers the kinds from 1 in this order; MH_KIND_COUNT is one past the
 * last, the size for arrays indexed by kind.
 */
#define MH_KIND_LIST(X, F, L, D, N)                                                                \
	X(PBU, "pbu", MH_TYPE_BU, N(), 12, (F(SEQ, 6, 16), F(FLAGS, 8, 16), F(LIFE4, 10, 16)),     \
	  (L('A', MH_PBU_A), L('H', MH_PBU_H), L('L', MH_PBU_L), L('K', MH_PBU_K),                 \
	   L('M', MH_PBU_M), L('R', MH_PBU_R), L('P', MH_PBU_P), L('F', MH_PBU_F),                 \
	   L('T', MH_PBU_T), L('B', MH_PBU_B)))                                                    \
	X(PBA, "pba", MH_TYPE_BA, N(), 12,                                                         \
	  (F(STATUS, 6, 8), F(FLAGS, 7, 8), F(SEQ, 8, 16), F(LIFE4, 10, 16)),                      \
	  (L('K', MH_PBA_K), L('R', MH_PBA_R), L('P', MH_PBA_P), L('T', MH_PBA_T),                 \
	   L('B', MH_PBA_B)))                                                                      \
	X(BRI, "bri", MH_TYPE_BR, D(6, 0xff, MH_BR_TYPE_BRI, "B.R. Type"), 12,                     \
	  (F(TRIGGER, 7, 8), F(SEQ, 8, 16), F(FLAGS, 10, 16)),                                     \
	  (L('P', MH_BR_P), L('V', MH_BR_V), L('G', MH_BR_G)))                                     \
	X(BRA, "bra", MH_TYPE_BR, D(6, 0xff, MH_BR_TYPE_BRA, "B.R. Type"), 12,                     \
	  (F(STATUS, 7, 8), F(SEQ, 8, 16), F(FLAGS, 10, 16)),                                      \
	  (L('P', MH_BR_P), L('V', MH_BR_V), L('G', MH_BR_G)))                                     \
	X(HEARTBEAT, "heartbeat", MH_TYPE_HEARTBEAT, N(), 12, (F(FLAGS, 7, 8), F(SEQ, 8, 32)),     \
	  (L('U', MH_HB_U), L('R', MH_HB_R)))                                                      \
	X(BE, "be", MH_TYPE_BE, N(), 24, (F(STATUS, 6, 8), F(HOA, 8, 128)), ())                    \
	X(FMI, "fmi", 0, D(8, 0x80, 0x80, "I flag"), 12,                                           \
	  (F(SEQ, 6, 16), F(FLAGS, 8, 16), F(LIFE1, 10, 16)),                                      \
	  (L('C', MH_FMI_C), L('R', MH_FMI_R)))                                                    \
	X(FMA, "fma", 0, D(8, 0x80, 0x00, "I flag"), 12,                                           \
	  (F(SEQ, 6, 16), F(STATUS, 9, 8), F(LIFE1, 10, 16)), ())                                  \
	X(UPN, "upn", MH_TYPE_UPN, N(), 12, (F(SEQ, 6, 16), F(REASON, 8, 16), F(FLAGS, 10, 16)),   \
	  (L('A', MH_UPN_A), L('D', MH_UPN_D)))                                                    \
	X(UPA, "upa", MH_TYPE_UPA, N(), 12, (F(SEQ, 6, 16), F(STATUS, 8, 8)), ())

/* What a fixed field holds (struct mh_msg member; LIFE4 is in 4-second units on the wire). */
enum mh_field_id {
	MF_NONE = 0,
	MF_SEQ,
	MF_FLAGS,
	MF_STATUS,
	MF_TRIGGER,
	MF_REASON,
	MF_LIFE4,
	MF_LIFE1,
	MF_HOA,
};

#define MH_KIND_ENUM_(e, ...) MH_##e,
#define MH_IGNORE_(...)
enum mh_kind {
	MH_KIND_NONE = 0,
	MH_KIND_LIST(MH_KIND_ENUM_, MH_IGNORE_, MH_IGNORE_, MH_IGNORE_, MH_IGNORE_) MH_KIND_COUNT
};
#undef MH_KIND_ENUM_
#undef MH_IGNORE_

#define MH_MAX_FIXED 4
#define MH_MAX_FLAGS 10

struct mh_field {
	uint8_t id; /* enum mh_field_id */
	uint8_t off;
	uint8_t bits;
};

struct mh_flag {
	char letter;
	uint16_t bit;
};

struct mh_kind_desc {
	enum mh_kind kind;
	const char *name;
	uint8_t type; /* 0: the FMI/FMA type in use (mh_fm_type) */
	uint8_t disc_off, disc_mask, disc_val;
	const char *disc_what; /* NULL: no discriminator */
	uint8_t body;	       /* offset of the first option */
	struct mh_field fields[MH_MAX_FIXED];
	struct mh_flag flags[MH_MAX_FLAGS];
};

/* The table of MH_KIND_LIST, or NULL for a kind out of range. */
const struct mh_kind_desc *mh_kind_desc(enum mh_kind k);
/* Every flag bit a kind names (the others are reserved). */
uint16_t mh_kind_flag_mask(const struct mh_kind_desc *d);

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
			uint8_t subtype; /* MH_AUTH_MN_HA */
			uint32_t spi;
			uint8_t len; /* octets of Authentication Data */
			uint8_t data[MH_AUTH_MAX_DATA];
		} auth;
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
	uint16_t reason;	      /* UPN (16 bits, RFC 7077 §4.1) */
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

/* Offset of the first option of an encoded message (its kind's fixed part), or -1
 * when buf is not a message of a known kind. */
int mh_opts_offset(const uint8_t *buf, size_t len);

/* One's-complement MH checksum with the IPv6 pseudo-header (RFC 6275 §6.1.1). */
uint16_t mh_checksum(const struct in6_addr *src, const struct in6_addr *dst, const uint8_t *mh,
		     size_t len);

const char *mh_kind_name(enum mh_kind k); /* "pbu", "pba", ... as in the JSON form */
const char *mh_opt_name(uint8_t type);	  /* "Home Network Prefix", ...; "unknown" */

#endif /* FLOWMOB_MH_H */
