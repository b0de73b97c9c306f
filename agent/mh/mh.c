// SPDX-License-Identifier: GPL-2.0
/*
 * mh.c — the Mobility Header codec: encode/decode of PBU, PBA, BRI, BRA, Heartbeat,
 * Binding Error, FMI/FMA (seed draft §4, one configurable MH type told apart by the
 * I flag), UPN and UPA, with every mobility option of mh.h, the Flow Identification
 * sub-options and both RFC 6088 binary traffic selector formats, plus the MH
 * checksum. Layout decisions are recorded in docs/wire-notes.md.
 *
 * Encoding pads every option to its alignment rule (relative to the start of the
 * MH, which itself starts 8-octet aligned) and the message to a multiple of 8.
 * Decoding checks every length before it reads, accepts any alignment, and keeps
 * unknown options and sub-options as raw bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mh/mh.h"

uint8_t mh_fm_type = MH_FM_TYPE_DEFAULT;

#define MH_HDR_LEN	  6    /* Payload Proto, Header Len, MH Type, Reserved, Checksum */
#define MH_MAX_LEN	  2048 /* (255 + 1) * 8 */
#define MH_PAYLOAD_NONE	  59   /* IPPROTO_NONE */
#define TS_FLOW_LABEL_LEN 3    /* bytes per flow label field in the IPv6 binary selector */
#define TS_FLAGS_LEN	  4    /* flags + reserved word that starts a binary selector */

/* ---- errors ---------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int fail(struct mh_err *err, size_t off,
						      const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->offset = off;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- names ------------------------------------------------------------------- */

const char *mh_kind_name(enum mh_kind k)
{
	switch (k) {
	case MH_PBU:
		return "pbu";
	case MH_PBA:
		return "pba";
	case MH_BRI:
		return "bri";
	case MH_BRA:
		return "bra";
	case MH_HEARTBEAT:
		return "heartbeat";
	case MH_BE:
		return "be";
	case MH_FMI:
		return "fmi";
	case MH_FMA:
		return "fma";
	case MH_UPN:
		return "upn";
	case MH_UPA:
		return "upa";
	}
	return "unknown";
}

static const char *opt_name(uint8_t type)
{
	switch (type) {
	case MH_OPT_PAD1:
		return "Pad1";
	case MH_OPT_PADN:
		return "PadN";
	case MH_OPT_MN_ID:
		return "MN-ID";
	case MH_OPT_HNP:
		return "Home Network Prefix";
	case MH_OPT_HI:
		return "Handoff Indicator";
	case MH_OPT_ATT:
		return "Access Technology Type";
	case MH_OPT_LL_ID:
		return "MN Link-layer ID";
	case MH_OPT_LLA:
		return "Link-local Address";
	case MH_OPT_TIMESTAMP:
		return "Timestamp";
	case MH_OPT_RESTART_COUNTER:
		return "Restart Counter";
	case MH_OPT_GRE_KEY:
		return "GRE Key";
	case MH_OPT_BID:
		return "Binding Identifier";
	case MH_OPT_FLOW_SUMMARY:
		return "Flow Summary";
	case MH_OPT_FLOW_ID:
		return "Flow Identification";
	}
	return "unknown";
}

/* ---- options list helpers ------------------------------------------------------ */

const struct mh_opt *mh_opt_find(const struct mh_msg *m, uint8_t type, int nth)
{
	for (int i = 0; i < m->n_opts && i < MH_MAX_OPTS; i++)
		if (m->opts[i].type == type && nth-- == 0)
			return &m->opts[i];
	return NULL;
}

/* mh_msg_init clears everything before opts: keep the option array last. */
_Static_assert(offsetof(struct mh_msg, opts) + sizeof(((struct mh_msg *)0)->opts) ==
		       sizeof(struct mh_msg),
	       "struct mh_msg: opts must be the last member");

void mh_msg_init(struct mh_msg *m, enum mh_kind k)
{
	memset(m, 0, offsetof(struct mh_msg, opts));
	m->kind = k;
}

struct mh_opt *mh_opt_add(struct mh_msg *m, uint8_t type)
{
	struct mh_opt *o;

	if (m->n_opts >= MH_MAX_OPTS)
		return NULL;
	o = &m->opts[m->n_opts++];
	memset(o, 0, sizeof(*o));
	o->type = type;
	return o;
}

/* ---- checksum --------------------------------------------------------------------- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * Returns the checksum as a host-order number, to be stored big-endian at offset 4
 * of the MH. The MH passed in should carry 0 there; over an MH whose checksum field
 * is already filled in correctly, the function returns 0.
 */
uint16_t mh_checksum(const struct in6_addr *src, const struct in6_addr *dst, const uint8_t *mh,
		     size_t len)
{
	uint8_t ph[8];
	uint32_t sum = 0;

	ph[0] = (uint8_t)(len >> 24);
	ph[1] = (uint8_t)(len >> 16);
	ph[2] = (uint8_t)(len >> 8);
	ph[3] = (uint8_t)len;
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = MH_PROTO;
	sum = csum_add(sum, src->s6_addr, 16);
	sum = csum_add(sum, dst->s6_addr, 16);
	sum = csum_add(sum, ph, sizeof(ph));
	sum = csum_add(sum, mh, len);
	return (uint16_t)~sum;
}

/* ---- encoder ---------------------------------------------------------------------- */

struct wr {
	uint8_t *buf;
	size_t len;
	size_t pos;
	struct mh_err *err;
	bool failed;
};

static bool wr_room(struct wr *w, size_t n)
{
	if (w->failed)
		return false;
	if (w->pos + n > w->len || w->pos + n > MH_MAX_LEN) {
		fail(w->err, w->pos, "message too long: %s",
		     w->pos + n > MH_MAX_LEN ? "over the 2048-octet MH limit"
					     : "output buffer too small");
		w->failed = true;
		return false;
	}
	return true;
}

static void put8(struct wr *w, uint8_t v)
{
	if (wr_room(w, 1))
		w->buf[w->pos++] = v;
}

static void put16(struct wr *w, uint16_t v)
{
	put8(w, v >> 8);
	put8(w, v & 0xff);
}

static void put32(struct wr *w, uint32_t v)
{
	put16(w, v >> 16);
	put16(w, v & 0xffff);
}

static void putn(struct wr *w, const void *p, size_t n)
{
	if (n && wr_room(w, n)) {
		memcpy(w->buf + w->pos, p, n);
		w->pos += n;
	}
}

/* Pad1/PadN so that the next option starts at a position with pos % x == y. */
static void pad_to(struct wr *w, unsigned int x, unsigned int y)
{
	unsigned int need;

	if (x <= 1)
		return;
	need = (unsigned int)((y + x - w->pos % x) % x);
	if (need == 1) {
		put8(w, MH_OPT_PAD1);
	} else if (need >= 2) {
		put8(w, MH_OPT_PADN);
		put8(w, (uint8_t)(need - 2));
		for (unsigned int i = 0; i < need - 2; i++)
			put8(w, 0);
	}
}

/* Alignment rule xn+y of each option (RFC 6275 §6.2 notation); x = 0: none. */
static void opt_align(uint8_t type, unsigned int *x, unsigned int *y)
{
	*x = 0;
	*y = 0;
	switch (type) {
	case MH_OPT_HNP: /* RFC 5213 §8.3 */
		*x = 8;
		*y = 4;
		break;
	case MH_OPT_LLA: /* RFC 5213 §8.6 */
		*x = 8;
		*y = 6;
		break;
	case MH_OPT_TIMESTAMP: /* RFC 5213 §8.8 */
	case MH_OPT_LL_ID:     /* RFC 5213 §8.6 */
		*x = 8;
		*y = 2;
		break;
	case MH_OPT_GRE_KEY:	     /* RFC 5845 §3.1 */
	case MH_OPT_RESTART_COUNTER: /* RFC 5847 §5.2 */
		*x = 4;
		*y = 2;
		break;
	case MH_OPT_BID:	  /* RFC 5648 §6.1 */
	case MH_OPT_FLOW_SUMMARY: /* RFC 6089 §4.1 */
	case MH_OPT_FLOW_ID:	  /* RFC 6089 §4.2 */
		*x = 2;
		*y = 0;
		break;
	default:
		break;
	}
}

/* Start of an option: returns the position of its Length byte. */
static size_t opt_begin(struct wr *w, uint8_t type)
{
	size_t lpos;

	put8(w, type);
	lpos = w->pos;
	put8(w, 0);
	return lpos;
}

static void opt_end(struct wr *w, size_t lpos, size_t start)
{
	size_t l;

	if (w->failed)
		return;
	l = w->pos - lpos - 1;
	if (l > 255) {
		fail(w->err, start, "%s option too long (%zu octets, at most 255)",
		     opt_name(w->buf[start]), l);
		w->failed = true;
		return;
	}
	w->buf[lpos] = (uint8_t)l;
}

static void put_ts_num(struct wr *w, enum ts_field f, uint32_t v)
{
	switch (f) {
	case TS_SPI:
		put32(w, v);
		break;
	case TS_FLOW_LABEL:
		put8(w, (v >> 16) & 0xff);
		put16(w, v & 0xffff);
		break;
	case TS_SRC_PORT:
	case TS_DST_PORT:
		put16(w, (uint16_t)v);
		break;
	default:
		put8(w, (uint8_t)v);
		break;
	}
}

static bool ts_field_in_format(enum ts_field f, uint8_t fmt)
{
	return !(fmt == TS_FMT_IPV4 && f == TS_FLOW_LABEL);
}

static void enc_ts(struct wr *w, const struct fm_ts *ts, size_t start)
{
	char msg[120];
	uint32_t flags = 0;
	int bit = 31;
	enum ts_field f;

	if (!ts_valid(ts, msg, sizeof(msg))) {
		fail(w->err, start, "traffic selector: %s", msg);
		w->failed = true;
		return;
	}
	for (f = 0; f < TS_NFIELDS; f++) {
		if (!ts_field_in_format(f, ts->format))
			continue;
		if (ts->f[f].n >= TS_EXACT)
			flags |= 1u << bit;
		if (ts->f[f].n == TS_RANGE)
			flags |= 1u << (bit - 1);
		bit -= 2;
	}
	put8(w, ts->format);
	put8(w, 0);
	put32(w, flags);
	for (f = 0; f < TS_NFIELDS; f++) {
		const struct ts_val *v = &ts->f[f];

		if (!ts_field_in_format(f, ts->format) || v->n == TS_ABSENT)
			continue;
		for (int i = 0; i < (v->n == TS_RANGE ? 2 : 1); i++) {
			if (f == TS_SRC_ADDR || f == TS_DST_ADDR) {
				if (ts->format == TS_FMT_IPV4)
					putn(w, &v->addr[i].s6_addr[12], 4);
				else
					putn(w, v->addr[i].s6_addr, 16);
			} else {
				put_ts_num(w, f, v->num[i]);
			}
		}
	}
}

static void enc_flowid(struct wr *w, const struct mh_flowid *fi, size_t start)
{
	size_t lpos;

	put16(w, fi->fid);
	put16(w, fi->priority);
	put8(w, 0);
	put8(w, fi->status);
	if (fi->n_bids > MH_MAX_BIDREF) {
		fail(w->err, start, "Flow Identification: too many BIDs (%u, at most %d)",
		     fi->n_bids, MH_MAX_BIDREF);
		w->failed = true;
		return;
	}
	if (fi->n_bids) {
		size_t s = w->pos;

		lpos = opt_begin(w, MH_FIDSUB_BID_REF);
		for (int i = 0; i < fi->n_bids; i++)
			put16(w, fi->bids[i]);
		opt_end(w, lpos, s);
	}
	if (fi->has_ts) {
		size_t s = w->pos;

		lpos = opt_begin(w, MH_FIDSUB_TS);
		enc_ts(w, &fi->ts, s);
		opt_end(w, lpos, s);
	}
	if (fi->n_raw > MH_MAX_RAW_SUBS) {
		fail(w->err, start, "Flow Identification: too many raw sub-options");
		w->failed = true;
		return;
	}
	for (int i = 0; i < fi->n_raw; i++) {
		put8(w, fi->raw[i].type);
		put8(w, fi->raw[i].len);
		putn(w, fi->raw[i].data, fi->raw[i].len);
	}
}

static void enc_opt(struct wr *w, const struct mh_opt *o)
{
	unsigned int x, y;
	size_t start, lpos;

	if (o->type == MH_OPT_PAD1 || o->type == MH_OPT_PADN)
		return; /* padding is the encoder's business */
	opt_align(o->type, &x, &y);
	pad_to(w, x, y);
	start = w->pos;
	lpos = opt_begin(w, o->type);
	switch (o->type) {
	case MH_OPT_MN_ID:
		if (o->mn_id.len == 0 || o->mn_id.len > sizeof(o->mn_id.id)) {
			fail(w->err, start, "MN-ID: identifier length %u (1 to %zu)", o->mn_id.len,
			     sizeof(o->mn_id.id));
			w->failed = true;
			return;
		}
		put8(w, o->mn_id.subtype);
		putn(w, o->mn_id.id, o->mn_id.len);
		break;
	case MH_OPT_HNP:
		if (o->hnp.plen > 128) {
			fail(w->err, start, "Home Network Prefix: prefix length %u > 128",
			     o->hnp.plen);
			w->failed = true;
			return;
		}
		put8(w, 0);
		put8(w, o->hnp.plen);
		putn(w, o->hnp.prefix.s6_addr, 16);
		break;
	case MH_OPT_HI:
		put8(w, 0);
		put8(w, o->hi);
		break;
	case MH_OPT_ATT:
		put8(w, 0);
		put8(w, o->att);
		break;
	case MH_OPT_LL_ID:
		if (o->ll_id.len == 0 || o->ll_id.len > sizeof(o->ll_id.id)) {
			fail(w->err, start, "MN Link-layer ID: length %u (1 to %zu)", o->ll_id.len,
			     sizeof(o->ll_id.id));
			w->failed = true;
			return;
		}
		put16(w, 0);
		putn(w, o->ll_id.id, o->ll_id.len);
		break;
	case MH_OPT_LLA:
		putn(w, o->lla.s6_addr, 16);
		break;
	case MH_OPT_TIMESTAMP:
		if (o->timestamp.seconds >> 48) {
			fail(w->err, start, "Timestamp: seconds do not fit in 48 bits");
			w->failed = true;
			return;
		}
		put16(w, (uint16_t)(o->timestamp.seconds >> 32));
		put32(w, (uint32_t)o->timestamp.seconds);
		put16(w, o->timestamp.fraction);
		break;
	case MH_OPT_RESTART_COUNTER:
		put32(w, o->restart_counter);
		break;
	case MH_OPT_GRE_KEY:
		put16(w, 0);
		put32(w, o->gre_key);
		break;
	case MH_OPT_BID:
		if (o->bid.coa_len != 0 && o->bid.coa_len != 4 && o->bid.coa_len != 16) {
			fail(w->err, start, "Binding Identifier: CoA length %u (0, 4 or 16)",
			     o->bid.coa_len);
			w->failed = true;
			return;
		}
		if (o->bid.priority > 127) {
			fail(w->err, start, "Binding Identifier: priority %u > 127",
			     o->bid.priority);
			w->failed = true;
			return;
		}
		put16(w, o->bid.bid);
		put8(w, o->bid.status);
		put8(w, (uint8_t)((o->bid.h ? 0x80 : 0) | o->bid.priority));
		putn(w, o->bid.coa, o->bid.coa_len);
		break;
	case MH_OPT_FLOW_SUMMARY:
		if (o->flow_summary.n == 0 || o->flow_summary.n > MH_MAX_FIDS) {
			fail(w->err, start, "Flow Summary: %u FIDs (1 to %d)", o->flow_summary.n,
			     MH_MAX_FIDS);
			w->failed = true;
			return;
		}
		for (int i = 0; i < o->flow_summary.n; i++)
			put16(w, o->flow_summary.fids[i]);
		break;
	case MH_OPT_FLOW_ID:
		enc_flowid(w, &o->flow_id, start);
		break;
	default:
		if (o->raw.type != o->type) {
			fail(w->err, start, "raw option: type %u does not match raw.type %u",
			     o->type, o->raw.type);
			w->failed = true;
			return;
		}
		putn(w, o->raw.data, o->raw.len);
		break;
	}
	opt_end(w, lpos, start);
}

static int enc_seq16(struct wr *w, const struct mh_msg *m)
{
	if (m->seq > 0xffff)
		return fail(w->err, 6, "%s: sequence number %u does not fit in 16 bits",
			    mh_kind_name(m->kind), m->seq);
	put16(w, (uint16_t)m->seq);
	return 0;
}

static int enc_life4(struct wr *w, const struct mh_msg *m)
{
	if (m->lifetime % 4)
		return fail(w->err, 10,
			    "%s: lifetime %u s is not a multiple of 4 s (the wire unit is 4 s)",
			    mh_kind_name(m->kind), m->lifetime);
	if (m->lifetime / 4 > 0xffff)
		return fail(w->err, 10, "%s: lifetime %u s is above the maximum of %u s",
			    mh_kind_name(m->kind), m->lifetime, 0xffffu * 4);
	put16(w, (uint16_t)(m->lifetime / 4));
	return 0;
}

static int enc_life1(struct wr *w, const struct mh_msg *m)
{
	if (m->lifetime > 0xffff)
		return fail(w->err, 10, "%s: lifetime %u s is above 65535 (65535 = infinite)",
			    mh_kind_name(m->kind), m->lifetime);
	put16(w, (uint16_t)m->lifetime);
	return 0;
}

int mh_encode(const struct mh_msg *m, uint8_t *buf, size_t len, struct mh_err *err)
{
	struct wr w = {.buf = buf, .len = len, .err = err};
	uint8_t type;
	size_t pad;

	switch (m->kind) {
	case MH_PBU:
	case MH_PBA:
		type = m->kind == MH_PBU ? MH_TYPE_BU : MH_TYPE_BA;
		break;
	case MH_BRI:
	case MH_BRA:
		type = MH_TYPE_BR;
		break;
	case MH_HEARTBEAT:
		type = MH_TYPE_HEARTBEAT;
		break;
	case MH_BE:
		type = MH_TYPE_BE;
		break;
	case MH_FMI:
	case MH_FMA:
		type = mh_fm_type;
		break;
	case MH_UPN:
		type = MH_TYPE_UPN;
		break;
	case MH_UPA:
		type = MH_TYPE_UPA;
		break;
	default:
		return fail(err, 0, "unknown message kind %d", (int)m->kind);
	}
	if (m->n_opts > MH_MAX_OPTS)
		return fail(err, 0, "too many options (%u, at most %d)", m->n_opts, MH_MAX_OPTS);

	put8(&w, MH_PAYLOAD_NONE);
	put8(&w, 0); /* Header Len, filled below */
	put8(&w, type);
	put8(&w, 0);
	put16(&w, 0); /* checksum */
	if (w.failed)
		return -1;

	switch (m->kind) {
	case MH_PBU:
		if (enc_seq16(&w, m))
			return -1;
		put16(&w, m->flags);
		if (enc_life4(&w, m))
			return -1;
		break;
	case MH_PBA:
		if (m->flags > 0xff)
			return fail(err, 7, "pba: flags 0x%x do not fit in 8 bits", m->flags);
		put8(&w, m->status);
		put8(&w, (uint8_t)m->flags);
		if (enc_seq16(&w, m))
			return -1;
		if (enc_life4(&w, m))
			return -1;
		break;
	case MH_BRI:
	case MH_BRA:
		put8(&w, m->kind == MH_BRI ? MH_BR_TYPE_BRI : MH_BR_TYPE_BRA);
		put8(&w, m->kind == MH_BRI ? m->trigger : m->status);
		if (enc_seq16(&w, m))
			return -1;
		put16(&w, m->flags);
		break;
	case MH_HEARTBEAT:
		if (m->flags > 0xff)
			return fail(err, 7, "heartbeat: flags 0x%x do not fit in 8 bits", m->flags);
		put8(&w, 0);
		put8(&w, (uint8_t)m->flags);
		put32(&w, m->seq);
		break;
	case MH_BE:
		put8(&w, m->status);
		put8(&w, 0);
		putn(&w, m->home_address.s6_addr, 16);
		break;
	case MH_FMI:
		if (enc_seq16(&w, m))
			return -1;
		put16(&w, m->flags | MH_FMI_I);
		if (enc_life1(&w, m))
			return -1;
		break;
	case MH_FMA:
		if (enc_seq16(&w, m))
			return -1;
		put8(&w, 0); /* I = 0, reserved */
		put8(&w, m->status);
		if (enc_life1(&w, m))
			return -1;
		break;
	case MH_UPN:
		if (m->flags > 0xff)
			return fail(err, 9, "upn: flags 0x%x do not fit in 8 bits", m->flags);
		if (enc_seq16(&w, m))
			return -1;
		put8(&w, m->reason);
		put8(&w, (uint8_t)m->flags);
		put16(&w, 0);
		break;
	case MH_UPA:
		if (enc_seq16(&w, m))
			return -1;
		put8(&w, m->status);
		put8(&w, 0);
		put16(&w, 0);
		break;
	}

	for (int i = 0; i < m->n_opts && !w.failed; i++)
		enc_opt(&w, &m->opts[i]);
	if (w.failed)
		return -1;
	pad = (8 - w.pos % 8) % 8;
	if (pad)
		pad_to(&w, 8, 0);
	if (w.failed)
		return -1;
	buf[1] = (uint8_t)(w.pos / 8 - 1);
	return (int)w.pos;
}

/* ---- decoder ------------------------------------------------------------------------ */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Width of one start or end field of a selector. */
static size_t ts_wire_len(enum ts_field f, uint8_t fmt)
{
	switch (f) {
	case TS_SRC_ADDR:
	case TS_DST_ADDR:
		return fmt == TS_FMT_IPV4 ? 4 : 16;
	case TS_SPI:
		return 4;
	case TS_FLOW_LABEL:
		return TS_FLOW_LABEL_LEN;
	case TS_SRC_PORT:
	case TS_DST_PORT:
		return 2;
	default:
		return 1;
	}
}

/* p points at TS Format; len counts from there to the sub-option's end; off = MH offset of p. */
static int dec_ts(const uint8_t *p, size_t len, size_t off, struct fm_ts *ts, struct mh_err *err)
{
	uint32_t flags, known = 0;
	size_t pos;
	int bit = 31;
	enum ts_field f;
	char msg[120];

	if (len < 2 + TS_FLAGS_LEN)
		return fail(err, off,
			    "Traffic Selector sub-option too short (%zu octets after its header, "
			    "at least %d)",
			    len, 2 + TS_FLAGS_LEN);
	memset(ts, 0, sizeof(*ts));
	ts->format = p[0];
	flags = get32(p + 2);
	for (f = 0; f < TS_NFIELDS; f++) {
		if (!ts_field_in_format(f, ts->format))
			continue;
		known |= 3u << (bit - 1);
		bit -= 2;
	}
	if (flags & ~known)
		return fail(err, off + 2,
			    "Traffic Selector: reserved flag bits set (0x%08x) in the %s format",
			    flags & ~known, ts->format == TS_FMT_IPV4 ? "IPv4" : "IPv6");
	pos = 2 + TS_FLAGS_LEN;
	bit = 31;
	for (f = 0; f < TS_NFIELDS; f++) {
		struct ts_val *v = &ts->f[f];
		bool start, end;
		size_t fl;

		if (!ts_field_in_format(f, ts->format))
			continue;
		start = flags & (1u << bit);
		end = flags & (1u << (bit - 1));
		bit -= 2;
		if (end && !start)
			return fail(err, off + 2,
				    "Traffic Selector: %s has an end but no start flag",
				    ts_field_name(f, ts->format));
		if (!start)
			continue;
		v->n = end ? TS_RANGE : TS_EXACT;
		fl = ts_wire_len(f, ts->format);
		for (int i = 0; i < v->n; i++) {
			if (len - pos < fl)
				return fail(
				    err, off + pos,
				    "Traffic Selector: %s crosses the end of the sub-option",
				    ts_field_name(f, ts->format));
			if (f == TS_SRC_ADDR || f == TS_DST_ADDR) {
				if (ts->format == TS_FMT_IPV4) {
					v->addr[i].s6_addr[10] = 0xff;
					v->addr[i].s6_addr[11] = 0xff;
					memcpy(&v->addr[i].s6_addr[12], p + pos, 4);
				} else {
					memcpy(v->addr[i].s6_addr, p + pos, 16);
				}
			} else if (fl == 4) {
				v->num[i] = get32(p + pos);
			} else if (fl == 3) {
				v->num[i] = (uint32_t)p[pos] << 16 | get16(p + pos + 1);
			} else if (fl == 2) {
				v->num[i] = get16(p + pos);
			} else {
				v->num[i] = p[pos];
			}
			pos += fl;
		}
	}
	if (pos != len)
		return fail(err, off + pos,
			    "Traffic Selector: %zu octets after the last selector field",
			    len - pos);
	if (!ts_valid(ts, msg, sizeof(msg)))
		return fail(err, off, "Traffic Selector: %s", msg);
	return 0;
}

/* p points at the option's body (after Type and Length), off is its MH offset. */
static int dec_flowid(const uint8_t *p, size_t len, size_t off, struct mh_flowid *fi,
		      struct mh_err *err)
{
	size_t pos = 6;
	bool seen_bids = false;

	if (len < 6)
		return fail(err, off - 1,
			    "Flow Identification option: length %zu too small (at least 6)", len);
	fi->fid = get16(p);
	fi->priority = get16(p + 2);
	fi->status = p[5];
	while (pos < len) {
		uint8_t st = p[pos], sl;

		if (st == MH_FIDSUB_PAD1) {
			pos++;
			continue;
		}
		if (len - pos < 2)
			return fail(err, off + pos,
				    "Flow Identification: sub-option %u header crosses the end of "
				    "the option",
				    st);
		sl = p[pos + 1];
		if ((size_t)sl > len - pos - 2)
			return fail(err, off + pos + 1,
				    "Flow Identification: sub-option %u length %u crosses the end "
				    "of the option",
				    st, sl);
		switch (st) {
		case MH_FIDSUB_PADN:
			break;
		case MH_FIDSUB_BID_REF:
			if (seen_bids)
				return fail(
				    err, off + pos,
				    "Flow Identification: duplicate BID Reference sub-option");
			if (sl == 0 || sl % 2)
				return fail(err, off + pos + 1,
					    "BID Reference sub-option: length %u (a non-zero "
					    "multiple of 2)",
					    sl);
			if (sl / 2 > MH_MAX_BIDREF)
				return fail(err, off + pos + 1,
					    "BID Reference sub-option: %u BIDs (at most %d)",
					    sl / 2, MH_MAX_BIDREF);
			seen_bids = true;
			fi->n_bids = sl / 2;
			for (int i = 0; i < fi->n_bids; i++)
				fi->bids[i] = get16(p + pos + 2 + 2 * i);
			break;
		case MH_FIDSUB_TS:
			/* A format this codec cannot read is kept as raw bytes, so that the
			 * receiver can answer it (FMA 131, FID status 133) instead of the
			 * whole message being dropped as malformed. */
			if (sl >= 1 && p[pos + 2] != TS_FMT_IPV4 && p[pos + 2] != TS_FMT_IPV6)
				goto keep_raw;
			if (fi->has_ts)
				return fail(err, off + pos,
					    "Flow Identification: duplicate Traffic Selector "
					    "sub-option");
			if (dec_ts(p + pos + 2, sl, off + pos + 2, &fi->ts, err))
				return -1;
			fi->has_ts = true;
			break;
		default:
		keep_raw:
			if (fi->n_raw >= MH_MAX_RAW_SUBS)
				return fail(err, off + pos,
					    "Flow Identification: more than %d unknown sub-options",
					    MH_MAX_RAW_SUBS);
			fi->raw[fi->n_raw].type = st;
			fi->raw[fi->n_raw].len = sl;
			memcpy(fi->raw[fi->n_raw].data, p + pos + 2, sl);
			fi->n_raw++;
			break;
		}
		pos += 2 + (size_t)sl;
	}
	return 0;
}

/* One option: p at its body, l its Length, off the MH offset of its Type byte. */
static int dec_opt(uint8_t type, const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o,
		   struct mh_err *err)
{
	const char *name = opt_name(type);

#define WANT_LEN(cond, what)                                                                       \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return fail(err, off + 1, "%s option: length %u invalid (%s)", name, l,    \
				    what);                                                         \
	} while (0)

	switch (type) {
	case MH_OPT_MN_ID:
		WANT_LEN(l >= 2, "a subtype and at least one identifier octet");
		o->mn_id.subtype = p[0];
		o->mn_id.len = l - 1;
		memcpy(o->mn_id.id, p + 1, l - 1);
		break;
	case MH_OPT_HNP:
		WANT_LEN(l == 18, "must be 18");
		if (p[1] > 128)
			return fail(err, off + 3, "Home Network Prefix: prefix length %u > 128",
				    p[1]);
		o->hnp.plen = p[1];
		memcpy(o->hnp.prefix.s6_addr, p + 2, 16);
		break;
	case MH_OPT_HI:
		WANT_LEN(l == 2, "must be 2");
		o->hi = p[1];
		break;
	case MH_OPT_ATT:
		WANT_LEN(l == 2, "must be 2");
		o->att = p[1];
		break;
	case MH_OPT_LL_ID:
		WANT_LEN(l >= 3, "2 reserved octets and at least one identifier octet");
		o->ll_id.len = l - 2;
		memcpy(o->ll_id.id, p + 2, l - 2);
		break;
	case MH_OPT_LLA:
		WANT_LEN(l == 16, "must be 16");
		memcpy(o->lla.s6_addr, p, 16);
		break;
	case MH_OPT_TIMESTAMP:
		WANT_LEN(l == 8, "must be 8");
		o->timestamp.seconds = (uint64_t)get16(p) << 32 | get32(p + 2);
		o->timestamp.fraction = get16(p + 6);
		break;
	case MH_OPT_RESTART_COUNTER:
		WANT_LEN(l == 4, "must be 4");
		o->restart_counter = get32(p);
		break;
	case MH_OPT_GRE_KEY:
		WANT_LEN(l == 6, "must be 6");
		o->gre_key = get32(p + 2);
		break;
	case MH_OPT_BID:
		WANT_LEN(l == 4 || l == 8 || l == 20,
			 "4, 8 with an IPv4 CoA, or 20 with an IPv6 CoA");
		o->bid.bid = get16(p);
		o->bid.status = p[2];
		o->bid.h = p[3] & 0x80;
		o->bid.priority = p[3] & 0x7f;
		o->bid.coa_len = l - 4;
		memcpy(o->bid.coa, p + 4, l - 4);
		break;
	case MH_OPT_FLOW_SUMMARY:
		WANT_LEN(l >= 2 && l % 2 == 0, "a non-zero multiple of 2");
		if (l / 2 > MH_MAX_FIDS)
			return fail(err, off + 1, "Flow Summary option: %u FIDs (at most %d)",
				    l / 2, MH_MAX_FIDS);
		o->flow_summary.n = l / 2;
		for (int i = 0; i < o->flow_summary.n; i++)
			o->flow_summary.fids[i] = get16(p + 2 * i);
		break;
	case MH_OPT_FLOW_ID:
		return dec_flowid(p, l, off + 2, &o->flow_id, err);
	default:
		o->raw.type = type;
		o->raw.len = l;
		memcpy(o->raw.data, p, l);
		break;
	}
#undef WANT_LEN
	return 0;
}

static int dec_opts(const uint8_t *buf, size_t len, size_t pos, struct mh_msg *m,
		    struct mh_err *err)
{
	while (pos < len) {
		uint8_t type = buf[pos], l;
		struct mh_opt *o;

		if (type == MH_OPT_PAD1) {
			pos++;
			continue;
		}
		if (len - pos < 2)
			return fail(err, pos, "%s option (type %u) truncated: no Length octet",
				    opt_name(type), type);
		l = buf[pos + 1];
		if ((size_t)l > len - pos - 2)
			return fail(err, pos + 1,
				    "%s option (type %u) length %u crosses the end of the message "
				    "(%zu octets left)",
				    opt_name(type), type, l, len - pos - 2);
		if (type != MH_OPT_PADN) {
			o = mh_opt_add(m, type);
			if (!o)
				return fail(err, pos, "too many options (at most %d)", MH_MAX_OPTS);
			if (dec_opt(type, buf + pos + 2, l, pos, o, err))
				return -1;
		}
		pos += 2 + (size_t)l;
	}
	return 0;
}

bool mh_type_known(uint8_t type)
{
	return type == mh_fm_type || type == MH_TYPE_BU || type == MH_TYPE_BA ||
	       type == MH_TYPE_BR || type == MH_TYPE_HEARTBEAT || type == MH_TYPE_BE ||
	       type == MH_TYPE_UPN || type == MH_TYPE_UPA;
}

int mh_decode(const uint8_t *buf, size_t len, struct mh_msg *m, struct mh_err *err)
{
	size_t mhlen, body;
	uint8_t type;

	memset(m, 0, sizeof(*m));
	if (len < 8)
		return fail(err, len,
			    "message truncated: %zu octets, a Mobility Header has at "
			    "least 8",
			    len);
	if (buf[0] != MH_PAYLOAD_NONE)
		return fail(err, 0, "Payload Proto is %u, must be 59 (no next header)", buf[0]);
	mhlen = ((size_t)buf[1] + 1) * 8;
	if (mhlen > len)
		return fail(err, 1, "Header Len %u says %zu octets but only %zu are present",
			    buf[1], mhlen, len);
	if (mhlen < len)
		return fail(err, mhlen, "Header Len %u says %zu octets but %zu are present", buf[1],
			    mhlen, len);
	type = buf[2];
	if (!mh_type_known(type))
		return fail(err, 2, "unsupported MH Type %u", type);
	/* Every supported message has at least 12 octets of fixed fields: 16 with padding. */
	if (mhlen < 16)
		return fail(err, 1, "Header Len %u: %zu octets cannot hold the %s fixed fields",
			    buf[1], mhlen, type == mh_fm_type ? "FMI/FMA" : "message's");

	if (type == mh_fm_type) {
		body = 12;
		m->seq = get16(buf + 6);
		m->lifetime = get16(buf + 10);
		if (buf[8] & 0x80) {
			m->kind = MH_FMI;
			m->flags = get16(buf + 8) & ~MH_FMI_I;
		} else {
			m->kind = MH_FMA;
			m->status = buf[9];
		}
		return dec_opts(buf, mhlen, body, m, err);
	}

	switch (type) {
	case MH_TYPE_BU:
		m->kind = MH_PBU;
		m->seq = get16(buf + 6);
		m->flags = get16(buf + 8);
		m->lifetime = (uint32_t)get16(buf + 10) * 4;
		body = 12;
		break;
	case MH_TYPE_BA:
		m->kind = MH_PBA;
		m->status = buf[6];
		m->flags = buf[7];
		m->seq = get16(buf + 8);
		m->lifetime = (uint32_t)get16(buf + 10) * 4;
		body = 12;
		break;
	case MH_TYPE_BR:
		if (buf[6] == MH_BR_TYPE_BRI) {
			m->kind = MH_BRI;
			m->trigger = buf[7];
		} else if (buf[6] == MH_BR_TYPE_BRA) {
			m->kind = MH_BRA;
			m->status = buf[7];
		} else {
			return fail(err, 6,
				    "Binding Revocation: unknown B.R. Type %u (1 BRI, 2 BRA)",
				    buf[6]);
		}
		m->seq = get16(buf + 8);
		m->flags = get16(buf + 10);
		body = 12;
		break;
	case MH_TYPE_HEARTBEAT:
		m->kind = MH_HEARTBEAT;
		m->flags = buf[7];
		m->seq = get32(buf + 8);
		body = 12;
		break;
	case MH_TYPE_BE:
		m->kind = MH_BE;
		body = 24;
		if (mhlen < body)
			return fail(err, 1,
				    "Binding Error: %zu octets, the message needs at least 24",
				    mhlen);
		m->status = buf[6];
		memcpy(m->home_address.s6_addr, buf + 8, 16);
		break;
	case MH_TYPE_UPN:
		m->kind = MH_UPN;
		m->seq = get16(buf + 6);
		m->reason = buf[8];
		m->flags = buf[9];
		body = 12;
		break;
	case MH_TYPE_UPA:
		m->kind = MH_UPA;
		m->seq = get16(buf + 6);
		m->status = buf[8];
		body = 12;
		break;
	default:
		return fail(err, 2, "unsupported MH Type %u", type);
	}
	return dec_opts(buf, mhlen, body, m, err);
}
