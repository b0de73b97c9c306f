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
#define TS_FLOW_LABEL_LEN 4 /* RFC 6088 §3.2 Figure 2: 32-bit field, 20-bit label right-aligned */
#define TS_FLAGS_LEN	  4 /* flags + reserved word that starts a binary selector */
#define TS_HDR_LEN	  4 /* sub-option Type, Length, TS Format, Reserved */

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

/* ---- the tables of mh.h ------------------------------------------------------------ */

#define AL_ROW_(n, x, y, src) [MH_AL_##n] = {x, y, src},
const struct mh_align_rule mh_align_rules[MH_AL_COUNT] = {MH_ALIGN_LIST(AL_ROW_)};
#undef AL_ROW_

#define UNPAREN_(...) __VA_ARGS__
#define KF_(id, o, b)                                                                              \
	{                                                                                          \
		MF_##id, o, b                                                                      \
	}
#define KL_(c, b)                                                                                  \
	{                                                                                          \
		c, b                                                                               \
	}
#define KD_(o, m, v, what) o, m, v, what
#define KN_()		   0, 0, 0, NULL
#define KIND_ROW_(e, n, t, disc, body, fields, flags)                                              \
	[MH_##e] = {MH_##e, n, t, disc, body, {UNPAREN_ fields}, {UNPAREN_ flags}},
static const struct mh_kind_desc kinds[MH_KIND_COUNT] = {
    MH_KIND_LIST(KIND_ROW_, KF_, KL_, KD_, KN_)};
#undef KIND_ROW_
#undef KF_
#undef KL_
#undef KD_
#undef KN_

const struct mh_kind_desc *mh_kind_desc(enum mh_kind k)
{
	if ((unsigned int)k >= MH_KIND_COUNT || !kinds[k].name)
		return NULL;
	return &kinds[k];
}

uint16_t mh_kind_flag_mask(const struct mh_kind_desc *d)
{
	uint16_t m = 0;

	for (int i = 0; i < MH_MAX_FLAGS && d->flags[i].letter; i++)
		m |= d->flags[i].bit;
	return m;
}

const char *mh_kind_name(enum mh_kind k)
{
	const struct mh_kind_desc *d = mh_kind_desc(k);

	return d ? d->name : "unknown";
}

struct wr;
typedef void enc_fn(struct wr *w, const struct mh_opt *o, size_t start);
typedef int dec_fn(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err);

struct opt_desc {
	const char *name;
	enum mh_align align;
	enc_fn *enc;
	dec_fn *dec;
	bool known;
};

#define OPT_PROTO_(e, t, stem, jn, dn, al)                                                         \
	static enc_fn enc_##stem;                                                                  \
	static dec_fn dec_##stem;
MH_OPT_LIST(OPT_PROTO_)
#undef OPT_PROTO_

#define OPT_ROW_(e, t, stem, jn, dn, al) [t] = {dn, MH_AL_##al, enc_##stem, dec_##stem, true},
static const struct opt_desc opts[256] = {MH_OPT_LIST(OPT_ROW_)};
#undef OPT_ROW_

const char *mh_opt_name(uint8_t type)
{
	return opts[type].known ? opts[type].name : "unknown";
}

#define opt_name mh_opt_name

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

/* Start of an option: returns the position of its Length byte. */
static size_t opt_begin(struct wr *w, uint8_t type)
{
	size_t lpos;

	put8(w, type);
	lpos = w->pos;
	put8(w, 0);
	return lpos;
}

static void opt_end(struct wr *w, size_t lpos, size_t start, const char *what)
{
	size_t l;

	if (w->failed)
		return;
	l = w->pos - lpos - 1;
	if (l > 255) {
		fail(w->err, start, "%s too long (%zu octets, at most 255)", what, l);
		w->failed = true;
		return;
	}
	w->buf[lpos] = (uint8_t)l;
}

__attribute__((format(printf, 3, 4))) static void wfail(struct wr *w, size_t off, const char *fmt,
							...)
{
	va_list ap;

	if (w->err) {
		w->err->offset = off;
		va_start(ap, fmt);
		vsnprintf(w->err->msg, sizeof(w->err->msg), fmt, ap);
		va_end(ap);
	}
	w->failed = true;
}

static void put_ts_num(struct wr *w, enum ts_field f, uint32_t v)
{
	switch (f) {
	case TS_SPI:
	case TS_FLOW_LABEL: /* RFC 6088 Figure 2: 32 bits, the 20-bit label right-aligned */
		put32(w, v);
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

/* RFC 6088 §3.1/§3.2: the alignment row of a Traffic Selector sub-option, chosen by
 * the widest field it carries, so that the first selector field is on its natural
 * boundary (the field follows the 8-octet sub-option header and flags word). */
static enum mh_align ts_align(const struct fm_ts *ts)
{
	bool addr = ts->f[TS_SRC_ADDR].n || ts->f[TS_DST_ADDR].n;
	bool w4 = ts->f[TS_SPI].n || (ts->format != TS_FMT_IPV4 && ts->f[TS_FLOW_LABEL].n);

	if (ts->format == TS_FMT_IPV4)
		return addr || w4 ? MH_AL_TS4_ADDR_SPI : MH_AL_TS4_OTHER;
	return addr ? MH_AL_TS6_ADDR : w4 ? MH_AL_TS6_SPI_FL : MH_AL_TS6_OTHER;
}

static void pad_rule(struct wr *w, enum mh_align a)
{
	pad_to(w, mh_align_rules[a].x, mh_align_rules[a].y);
}

static void enc_ts(struct wr *w, const struct fm_ts *ts, size_t start)
{
	char msg[120];
	uint32_t flags = 0;
	int bit = 31;
	enum ts_field f;

	if (!ts_valid(ts, msg, sizeof(msg))) {
		wfail(w, start, "traffic selector: %s", msg);
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

/* ---- one encoder per option (MH_OPT_LIST); w->pos is after Type and Length ---------- */

static void enc_pad(struct wr *w, const struct mh_opt *o, size_t start)
{
	(void)w, (void)o, (void)start; /* padding is the encoder's business */
}

static void enc_mn_id(struct wr *w, const struct mh_opt *o, size_t start)
{
	if (o->mn_id.len == 0 || o->mn_id.len > sizeof(o->mn_id.id))
		return wfail(w, start, "MN-ID: identifier length %u (1 to %zu)", o->mn_id.len,
			     sizeof(o->mn_id.id));
	put8(w, o->mn_id.subtype);
	putn(w, o->mn_id.id, o->mn_id.len);
}

static void enc_hnp(struct wr *w, const struct mh_opt *o, size_t start)
{
	if (o->hnp.plen > 128)
		return wfail(w, start, "Home Network Prefix: prefix length %u > 128", o->hnp.plen);
	put8(w, 0);
	put8(w, o->hnp.plen);
	putn(w, o->hnp.prefix.s6_addr, 16);
}

static void enc_hi(struct wr *w, const struct mh_opt *o, size_t start)
{
	(void)start;
	put8(w, 0);
	put8(w, o->hi);
}

static void enc_att(struct wr *w, const struct mh_opt *o, size_t start)
{
	(void)start;
	put8(w, 0);
	put8(w, o->att);
}

static void enc_ll_id(struct wr *w, const struct mh_opt *o, size_t start)
{
	if (o->ll_id.len == 0 || o->ll_id.len > sizeof(o->ll_id.id))
		return wfail(w, start, "MN Link-layer ID: length %u (1 to %zu)", o->ll_id.len,
			     sizeof(o->ll_id.id));
	put16(w, 0);
	putn(w, o->ll_id.id, o->ll_id.len);
}

static void enc_lla(struct wr *w, const struct mh_opt *o, size_t start)
{
	(void)start;
	putn(w, o->lla.s6_addr, 16);
}

static void enc_timestamp(struct wr *w, const struct mh_opt *o, size_t start)
{
	if (o->timestamp.seconds >> 48)
		return wfail(w, start, "Timestamp: seconds do not fit in 48 bits");
	put16(w, (uint16_t)(o->timestamp.seconds >> 32));
	put32(w, (uint32_t)o->timestamp.seconds);
	put16(w, o->timestamp.fraction);
}

static void enc_restart_counter(struct wr *w, const struct mh_opt *o, size_t start)
{
	(void)start;
	put32(w, o->restart_counter);
}

static void enc_gre_key(struct wr *w, const struct mh_opt *o, size_t start)
{
	(void)start;
	put16(w, 0);
	put32(w, o->gre_key);
}

/* RFC 4285 §5: Subtype, Mobility SPI, Authentication Data (filled in by mh_auth_sign
 * when the message is signed; the encoder writes what the option holds). */
static void enc_auth(struct wr *w, const struct mh_opt *o, size_t start)
{
	if (o->auth.len > MH_AUTH_MAX_DATA)
		return wfail(w, start, "Authentication: %u octets of data (at most %d)",
			     o->auth.len, MH_AUTH_MAX_DATA);
	put8(w, o->auth.subtype);
	put32(w, o->auth.spi);
	putn(w, o->auth.data, o->auth.len);
}

static void enc_bid(struct wr *w, const struct mh_opt *o, size_t start)
{
	if (o->bid.coa_len != 0 && o->bid.coa_len != 4 && o->bid.coa_len != 16)
		return wfail(w, start, "Binding Identifier: CoA length %u (0, 4 or 16)",
			     o->bid.coa_len);
	if (o->bid.priority > 127)
		return wfail(w, start, "Binding Identifier: priority %u > 127", o->bid.priority);
	put16(w, o->bid.bid);
	put8(w, o->bid.status);
	put8(w, (uint8_t)((o->bid.h ? 0x80 : 0) | o->bid.priority));
	putn(w, o->bid.coa, o->bid.coa_len);
}

static void enc_flow_summary(struct wr *w, const struct mh_opt *o, size_t start)
{
	if (o->flow_summary.n == 0 || o->flow_summary.n > MH_MAX_FIDS)
		return wfail(w, start, "Flow Summary: %u FIDs (1 to %d)", o->flow_summary.n,
			     MH_MAX_FIDS);
	for (int i = 0; i < o->flow_summary.n; i++)
		put16(w, o->flow_summary.fids[i]);
}

static void enc_flow_id(struct wr *w, const struct mh_opt *o, size_t start)
{
	const struct mh_flowid *fi = &o->flow_id;
	size_t lpos;

	if (fi->n_bids > MH_MAX_BIDREF)
		return wfail(w, start, "Flow Identification: too many BIDs (%u, at most %d)",
			     fi->n_bids, MH_MAX_BIDREF);
	if (fi->n_raw > MH_MAX_RAW_SUBS)
		return wfail(w, start, "Flow Identification: too many raw sub-options");
	put16(w, fi->fid);
	put16(w, fi->priority);
	put8(w, 0);
	put8(w, fi->status);
	if (fi->n_bids) {
		size_t s = w->pos;

		lpos = opt_begin(w, MH_FIDSUB_BID_REF);
		for (int i = 0; i < fi->n_bids; i++)
			put16(w, fi->bids[i]);
		opt_end(w, lpos, s, "BID Reference sub-option");
	}
	if (fi->has_ts) {
		size_t s;

		/* RFC 6089 §4.2.1: sub-options on their natural boundaries, padded with the
		 * Pad1/PadN sub-options (same codes as the options) */
		pad_rule(w, ts_align(&fi->ts));
		s = w->pos;
		lpos = opt_begin(w, MH_FIDSUB_TS);
		enc_ts(w, &fi->ts, s);
		opt_end(w, lpos, s, "Traffic Selector sub-option");
	}
	for (int i = 0; i < fi->n_raw; i++) {
		put8(w, fi->raw[i].type);
		put8(w, fi->raw[i].len);
		putn(w, fi->raw[i].data, fi->raw[i].len);
	}
}

static void enc_raw(struct wr *w, const struct mh_opt *o, size_t start)
{
	if (o->raw.type != o->type)
		return wfail(w, start, "raw option: type %u does not match raw.type %u", o->type,
			     o->raw.type);
	putn(w, o->raw.data, o->raw.len);
}

static enum mh_align opt_align(const struct mh_opt *o)
{
	if (!opts[o->type].known)
		return MH_AL_NONE;
	if (o->type == MH_OPT_BID && o->bid.coa_len)
		return MH_AL_BID_COA;
	return opts[o->type].align;
}

static void enc_opt(struct wr *w, const struct mh_opt *o)
{
	size_t start, lpos;

	if (o->type == MH_OPT_PAD1 || o->type == MH_OPT_PADN)
		return; /* padding is the encoder's business */
	pad_rule(w, opt_align(o));
	start = w->pos;
	lpos = opt_begin(w, o->type);
	(opts[o->type].known ? opts[o->type].enc : enc_raw)(w, o, start);
	opt_end(w, lpos, start, mh_opt_name(o->type));
}

/* ---- fixed fields (MH_KIND_LIST) --------------------------------------------------------- */

static void store(uint8_t *p, unsigned int bits, uint32_t v)
{
	for (int i = (int)bits / 8 - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static int enc_field(const struct mh_kind_desc *d, const struct mh_field *f, const struct mh_msg *m,
		     uint8_t *buf, struct mh_err *err)
{
	uint64_t v, max = f->bits >= 32 ? 0xffffffffull : (1ull << f->bits) - 1;

	switch (f->id) {
	case MF_SEQ:
		v = m->seq;
		if (v > max)
			return fail(err, f->off, "%s: sequence number %u does not fit in %u bits",
				    d->name, m->seq, f->bits);
		break;
	case MF_FLAGS:
		v = m->flags;
		if (v & ~(uint64_t)mh_kind_flag_mask(d))
			return fail(err, f->off, "%s: flags 0x%x are not all %s flags (0x%x)",
				    d->name, m->flags, d->name, mh_kind_flag_mask(d));
		break;
	case MF_STATUS:
		v = m->status;
		break;
	case MF_TRIGGER:
		v = m->trigger;
		break;
	case MF_REASON:
		v = m->reason;
		break;
	case MF_LIFE4:
		if (m->lifetime % 4)
			return fail(err, f->off,
				    "%s: lifetime %u s is not a multiple of 4 s (the wire unit is "
				    "4 s)",
				    d->name, m->lifetime);
		v = m->lifetime / 4;
		if (v > max)
			return fail(err, f->off, "%s: lifetime %u s is above the maximum of %u s",
				    d->name, m->lifetime, (unsigned int)max * 4);
		break;
	case MF_LIFE1:
		v = m->lifetime;
		if (v > max)
			return fail(err, f->off,
				    "%s: lifetime %u s is above 65535 (65535 = infinite)", d->name,
				    m->lifetime);
		break;
	case MF_HOA:
		memcpy(buf + f->off, m->home_address.s6_addr, 16);
		return 0;
	default:
		return 0;
	}
	store(buf + f->off, f->bits, (uint32_t)v);
	return 0;
}

int mh_encode(const struct mh_msg *m, uint8_t *buf, size_t len, struct mh_err *err)
{
	struct wr w = {.buf = buf, .len = len, .err = err};
	const struct mh_kind_desc *d = mh_kind_desc(m->kind);

	if (!d)
		return fail(err, 0, "unknown message kind %d", (int)m->kind);
	if (m->n_opts > MH_MAX_OPTS)
		return fail(err, 0, "too many options (%u, at most %d)", m->n_opts, MH_MAX_OPTS);
	if (!wr_room(&w, d->body))
		return -1;
	memset(buf, 0, d->body); /* reserved fields and bits are sent as zero */
	buf[0] = MH_PAYLOAD_NONE;
	buf[2] = d->type ? d->type : mh_fm_type;
	for (int i = 0; i < MH_MAX_FIXED && d->fields[i].id; i++)
		if (enc_field(d, &d->fields[i], m, buf, err))
			return -1;
	if (d->disc_what)
		buf[d->disc_off] = (uint8_t)((buf[d->disc_off] & ~d->disc_mask) | d->disc_val);
	w.pos = d->body;

	for (int i = 0; i < m->n_opts && !w.failed; i++)
		enc_opt(&w, &m->opts[i]);
	if (!w.failed)
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
	uint32_t flags;
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
	/* p[1] and the flag bits past the last field are reserved: ignored (RFC 6088 §3) */
	flags = get32(p + 2);
	pos = 2 + TS_FLAGS_LEN;
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
			} else if (f == TS_FLOW_LABEL) {
				/* the 12 bits above the 20-bit label are not part of it */
				v->num[i] = get32(p + pos) & ts_field_max(TS_FLOW_LABEL);
			} else if (fl == 4) {
				v->num[i] = get32(p + pos);
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

/* ---- one decoder per option (MH_OPT_LIST): p at the body, l its Length, off the MH
 * offset of the Type byte; o comes zeroed with its type set ------------------------- */

#define WANT_LEN(cond, what)                                                                       \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return fail(err, off + 1, "%s option: length %u invalid (%s)",             \
				    mh_opt_name(o->type), l, what);                                \
	} while (0)

static int dec_pad(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err)
{
	(void)p, (void)l, (void)off, (void)o, (void)err;
	return 0;
}

static int dec_mn_id(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err)
{
	WANT_LEN(l >= 2, "a subtype and at least one identifier octet");
	o->mn_id.subtype = p[0];
	o->mn_id.len = l - 1;
	memcpy(o->mn_id.id, p + 1, l - 1);
	return 0;
}

static int dec_hnp(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err)
{
	WANT_LEN(l == 18, "must be 18");
	if (p[1] > 128)
		return fail(err, off + 3, "Home Network Prefix: prefix length %u > 128", p[1]);
	o->hnp.plen = p[1];
	memcpy(o->hnp.prefix.s6_addr, p + 2, 16);
	return 0;
}

static int dec_hi(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err)
{
	WANT_LEN(l == 2, "must be 2");
	o->hi = p[1];
	return 0;
}

static int dec_att(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err)
{
	WANT_LEN(l == 2, "must be 2");
	o->att = p[1];
	return 0;
}

static int dec_ll_id(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err)
{
	WANT_LEN(l >= 3, "2 reserved octets and at least one identifier octet");
	o->ll_id.len = l - 2;
	memcpy(o->ll_id.id, p + 2, l - 2);
	return 0;
}

static int dec_lla(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err)
{
	WANT_LEN(l == 16, "must be 16");
	memcpy(o->lla.s6_addr, p, 16);
	return 0;
}

static int dec_timestamp(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o,
			 struct mh_err *err)
{
	WANT_LEN(l == 8, "must be 8");
	o->timestamp.seconds = (uint64_t)get16(p) << 32 | get32(p + 2);
	o->timestamp.fraction = get16(p + 6);
	return 0;
}

static int dec_restart_counter(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o,
			       struct mh_err *err)
{
	WANT_LEN(l == 4, "must be 4");
	o->restart_counter = get32(p);
	return 0;
}

static int dec_gre_key(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o,
		       struct mh_err *err)
{
	WANT_LEN(l == 6, "must be 6");
	o->gre_key = get32(p + 2);
	return 0;
}

static int dec_auth(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err)
{
	WANT_LEN(l >= 5, "a subtype and a 32-bit SPI at least");
	o->auth.subtype = p[0];
	o->auth.spi = get32(p + 1);
	o->auth.len = l - 5;
	memcpy(o->auth.data, p + 5, l - 5);
	return 0;
}

static int dec_bid(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o, struct mh_err *err)
{
	WANT_LEN(l == 4 || l == 8 || l == 20, "4, 8 with an IPv4 CoA, or 20 with an IPv6 CoA");
	o->bid.bid = get16(p);
	o->bid.status = p[2];
	o->bid.h = p[3] & 0x80;
	o->bid.priority = p[3] & 0x7f;
	o->bid.coa_len = l - 4;
	memcpy(o->bid.coa, p + 4, l - 4);
	return 0;
}

static int dec_flow_summary(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o,
			    struct mh_err *err)
{
	WANT_LEN(l >= 2 && l % 2 == 0, "a non-zero multiple of 2");
	if (l / 2 > MH_MAX_FIDS)
		return fail(err, off + 1, "Flow Summary option: %u FIDs (at most %d)", l / 2,
			    MH_MAX_FIDS);
	o->flow_summary.n = l / 2;
	for (int i = 0; i < o->flow_summary.n; i++)
		o->flow_summary.fids[i] = get16(p + 2 * i);
	return 0;
}

static int dec_flow_id(const uint8_t *p, uint8_t l, size_t off, struct mh_opt *o,
		       struct mh_err *err)
{
	struct mh_flowid *fi = &o->flow_id;
	size_t pos = 6, len = l;
	bool seen_bids = false;

	off += 2; /* from here on: the MH offset of p */
	if (len < 6)
		return fail(err, off - 1,
			    "Flow Identification option: length %zu too small (at least 6)", len);
	fi->fid = get16(p);
	fi->priority = get16(p + 2);
	fi->status = p[5]; /* p[4] is reserved: ignored */
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
#undef WANT_LEN

static int dec_opts(const uint8_t *buf, size_t len, size_t pos, struct mh_msg *m,
		    struct mh_err *err)
{
	bool after_auth = false;

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
			/* RFC 4285 §5: the Authentication option is the last option */
			if (after_auth)
				return fail(err, pos,
					    "%s option (type %u) after the Authentication option, "
					    "which must be the last",
					    opt_name(type), type);
			after_auth = type == MH_OPT_AUTH;
			o = mh_opt_add(m, type); /* zeroes this one option */
			if (!o)
				return fail(err, pos, "too many options (at most %d)", MH_MAX_OPTS);
			if (opts[type].known) {
				if (opts[type].dec(buf + pos + 2, l, pos, o, err))
					return -1;
			} else {
				o->raw.type = type;
				o->raw.len = l;
				memcpy(o->raw.data, buf + pos + 2, l);
			}
		}
		pos += 2 + (size_t)l;
	}
	return 0;
}

bool mh_type_known(uint8_t type)
{
	for (int k = 1; k < MH_KIND_COUNT; k++)
		if ((kinds[k].type ? kinds[k].type : mh_fm_type) == type)
			return true;
	return false;
}

/* The kind of a message of MH type `type`: the FMI/FMA reading wins when mh_fm_type
 * is also the number of another message. NULL with *what set when a discriminator
 * (B.R. Type) has a value no kind uses. */
static const struct mh_kind_desc *kind_of(const uint8_t *buf, uint8_t type, const char **what)
{
	bool fm = type == mh_fm_type;

	*what = NULL;
	for (int k = 1; k < MH_KIND_COUNT; k++) {
		const struct mh_kind_desc *d = &kinds[k];

		if (fm ? d->type != 0 : d->type != type)
			continue;
		if (!d->disc_what || (buf[d->disc_off] & d->disc_mask) == d->disc_val)
			return d;
		*what = d->disc_what;
	}
	return NULL;
}

int mh_opts_offset(const uint8_t *buf, size_t len)
{
	const struct mh_kind_desc *d;
	const char *what;

	if (len < 16 || !mh_type_known(buf[2]) || !(d = kind_of(buf, buf[2], &what)))
		return -1;
	return d->body <= len ? d->body : -1;
}

static uint32_t load(const uint8_t *p, unsigned int bits)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < bits / 8; i++)
		v = v << 8 | p[i];
	return v;
}

int mh_decode(const uint8_t *buf, size_t len, struct mh_msg *m, struct mh_err *err)
{
	const struct mh_kind_desc *d;
	const char *what;
	size_t mhlen;
	uint8_t type;

	/* The fixed part only (not the 32 option slots): each option is zeroed as it is
	 * added. */
	mh_msg_init(m, MH_KIND_NONE);
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
	d = kind_of(buf, type, &what);
	if (!d)
		return fail(err, 6, "MH type %u: unknown %s %u", type, what ? what : "kind",
			    buf[6]);
	if (mhlen < d->body)
		return fail(err, 1, "%s: %zu octets, the message needs at least %u", d->name, mhlen,
			    d->body);
	m->kind = d->kind;
	for (int i = 0; i < MH_MAX_FIXED && d->fields[i].id; i++) {
		const struct mh_field *f = &d->fields[i];
		uint32_t v = f->id == MF_HOA ? 0 : load(buf + f->off, f->bits);

		switch (f->id) {
		case MF_SEQ:
			m->seq = v;
			break;
		case MF_FLAGS: /* reserved bits, and the discriminator, ignored */
			m->flags = (uint16_t)(v & mh_kind_flag_mask(d));
			break;
		case MF_STATUS:
			m->status = (uint8_t)v;
			break;
		case MF_TRIGGER:
			m->trigger = (uint8_t)v;
			break;
		case MF_REASON:
			m->reason = (uint16_t)v;
			break;
		case MF_LIFE4:
			m->lifetime = v * 4;
			break;
		case MF_LIFE1:
			m->lifetime = v;
			break;
		case MF_HOA:
			memcpy(m->home_address.s6_addr, buf + f->off, 16);
			break;
		}
	}
	return dec_opts(buf, mhlen, d->body, m, err);
}
