// SPDX-License-Identifier: GPL-2.0
/*
 * mh_json.c — the JSON form of Mobility Header messages and traffic selectors
 * (docs/mh-json.md), built and parsed with jansson. Errors name the key path,
 * e.g. "options[1].prefix: not an IPv6 prefix".
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mh/mh_json.h"

/* ---- message kinds: the one table of mh.h --------------------------------------------- */

static const struct mh_kind_desc *kind_by_name(const char *n)
{
	for (int k = 1; k < MH_KIND_COUNT; k++) {
		const struct mh_kind_desc *d = mh_kind_desc(k);

		if (d && !strcmp(d->name, n))
			return d;
	}
	return NULL;
}

static const struct mh_field *kind_field(const struct mh_kind_desc *d, enum mh_field_id id)
{
	for (int i = 0; i < MH_MAX_FIXED && d->fields[i].id; i++)
		if (d->fields[i].id == id || (id == MF_LIFE4 && d->fields[i].id == MF_LIFE1))
			return &d->fields[i];
	return NULL;
}

static void flags_to_str(const struct mh_kind_desc *d, uint16_t flags, char *buf)
{
	int n = 0;

	for (int i = 0; i < MH_MAX_FLAGS && d->flags[i].letter; i++)
		if (flags & d->flags[i].bit)
			buf[n++] = d->flags[i].letter;
	buf[n] = 0;
}

/* ---- small helpers ---------------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char buf[2 * 256 + 1];

	for (size_t i = 0; i < n && i < 256; i++) {
		buf[2 * i] = hexdig[p[i] >> 4];
		buf[2 * i + 1] = hexdig[p[i] & 15];
	}
	buf[2 * (n < 256 ? n : 256)] = 0;
	return json_string(buf);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static json_t *addr_json(const struct in6_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, s, sizeof(s));
	return json_string(s);
}

static json_t *addr4_json(const uint8_t *p)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, p, s, sizeof(s));
	return json_string(s);
}

/* Error context: a key path like "options[2].ts.dst_port". */
struct jerr {
	char *buf;
	size_t len;
	char path[96];
};

__attribute__((format(printf, 3, 4))) static int jfail(struct jerr *e, const char *key,
						       const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e->buf && e->len)
		snprintf(e->buf, e->len, "%s%s%s: %s", e->path, e->path[0] && key[0] ? "." : "",
			 key, msg);
	return -1;
}

/* Integer member: required unless def is non-NULL. */
static int get_uint(struct jerr *e, const json_t *o, const char *key, uint64_t max,
		    const uint64_t *def, uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	json_int_t i;

	if (!v) {
		if (def) {
			*out = *def;
			return 0;
		}
		return jfail(e, key, "missing");
	}
	if (!json_is_integer(v))
		return jfail(e, key, "must be an integer");
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return jfail(e, key, "%lld is out of range (0 to %llu)", (long long)i,
			     (unsigned long long)max);
	*out = (uint64_t)i;
	return 0;
}

static const uint64_t zero = 0;

#define GET(e, o, key, max, def, lval)                                                             \
	({                                                                                         \
		uint64_t _v;                                                                       \
		int _r = get_uint(e, o, key, max, def, &_v);                                       \
		if (!_r)                                                                           \
			lval = _v;                                                                 \
		_r;                                                                                \
	})

static int get_str(struct jerr *e, const json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return jfail(e, key, "missing");
	if (!json_is_string(v))
		return jfail(e, key, "must be a string");
	*out = json_string_value(v);
	return 0;
}

static int get_hex(struct jerr *e, const json_t *o, const char *key, uint8_t *out, size_t max,
		   size_t *n)
{
	const char *s;
	size_t l;

	if (get_str(e, o, key, &s))
		return -1;
	l = strlen(s);
	if (l % 2)
		return jfail(e, key, "hex string has an odd number of digits");
	if (l / 2 > max)
		return jfail(e, key, "too long (%zu octets, at most %zu)", l / 2, max);
	for (size_t i = 0; i < l / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return jfail(e, key, "not a hex string");
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = l / 2;
	return 0;
}

static int get_addr6(struct jerr *e, const json_t *o, const char *key, struct in6_addr *a)
{
	const char *s;

	if (get_str(e, o, key, &s))
		return -1;
	if (inet_pton(AF_INET6, s, a) != 1)
		return jfail(e, key, "'%s' is not an IPv6 address", s);
	return 0;
}

/* Every key of o must be in the NULL-terminated list. */
static int check_keys(struct jerr *e, const json_t *o, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v)
	{
		const char *const *a;

		for (a = allowed; *a; a++)
			if (!strcmp(*a, key))
				break;
		if (!*a)
			return jfail(e, key, "unknown key");
	}
	return 0;
}

/* ---- traffic selector ----------------------------------------------------------------- */

json_t *ts_to_json(const struct fm_ts *ts)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	for (int f = 0; f < TS_NFIELDS; f++) {
		const struct ts_val *v = &ts->f[f];
		json_t *a;

		if (v->n == TS_ABSENT)
			continue;
		a = json_array();
		for (int i = 0; i < v->n && i < 2; i++) {
			if (f == TS_SRC_ADDR || f == TS_DST_ADDR)
				json_array_append_new(a, ts->format == TS_FMT_IPV4
							     ? addr4_json(&v->addr[i].s6_addr[12])
							     : addr_json(&v->addr[i]));
			else
				json_array_append_new(a, json_integer(v->num[i]));
		}
		json_object_set_new(o, ts_field_name(f, ts->format), a);
	}
	return o;
}

static int ts_from_json_e(struct jerr *e, const json_t *obj, enum ts_format fmt, struct fm_ts *out)
{
	const char *key;
	json_t *val;
	char msg[128];

	memset(out, 0, sizeof(*out));
	if (fmt != TS_FMT_IPV4 && fmt != TS_FMT_IPV6)
		return jfail(e, "format", "unknown selector format");
	out->format = (uint8_t)fmt;
	if (!json_is_object(obj))
		return jfail(e, "", "a traffic selector must be an object");
	json_object_foreach((json_t *)obj, key, val)
	{
		int f;
		size_t n;
		struct ts_val *v;

		if (!strcmp(key, "format"))
			continue; /* checked by the caller */
		for (f = 0; f < TS_NFIELDS; f++) {
			if (fmt == TS_FMT_IPV4 && f == TS_FLOW_LABEL)
				continue;
			if (!strcmp(key, ts_field_name(f, fmt)))
				break;
		}
		if (f == TS_NFIELDS)
			return jfail(e, key, "unknown selector field for the %s format",
				     fmt == TS_FMT_IPV4 ? "IPv4" : "IPv6");
		n = json_is_array(val) ? json_array_size(val) : 0;
		if (n != 1 && n != 2)
			return jfail(e, key, "must be [value] or [start, end]");
		v = &out->f[f];
		v->n = (uint8_t)n;
		for (size_t i = 0; i < n; i++) {
			json_t *x = json_array_get(val, i);

			if (f == TS_SRC_ADDR || f == TS_DST_ADDR) {
				const char *s = json_string_value(x);
				struct in_addr a4;

				if (!s)
					return jfail(e, key, "addresses must be strings");
				if (fmt == TS_FMT_IPV4) {
					if (inet_pton(AF_INET, s, &a4) != 1)
						return jfail(e, key, "'%s' is not an IPv4 address",
							     s);
					v->addr[i].s6_addr[10] = v->addr[i].s6_addr[11] = 0xff;
					memcpy(&v->addr[i].s6_addr[12], &a4, 4);
				} else if (inet_pton(AF_INET6, s, &v->addr[i]) != 1) {
					return jfail(e, key, "'%s' is not an IPv6 address", s);
				}
			} else {
				json_int_t iv;

				if (!json_is_integer(x))
					return jfail(e, key, "values must be integers");
				iv = json_integer_value(x);
				if (iv < 0 || (uint64_t)iv > ts_field_max(f))
					return jfail(e, key, "%lld is out of range (0 to %u)",
						     (long long)iv, ts_field_max(f));
				v->num[i] = (uint32_t)iv;
			}
		}
	}
	if (!ts_valid(out, msg, sizeof(msg)))
		return jfail(e, "", "%s", msg);
	return 0;
}

int ts_from_json(const json_t *obj, enum ts_format fmt, struct fm_ts *out, char *err, size_t errlen)
{
	struct jerr e = {.buf = err, .len = errlen};

	return ts_from_json_e(&e, obj, fmt, out);
}

/* ---- options: one pair of functions per entry of MH_OPT_LIST ----------------------------- */

static bool printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

#define SET(key, val) json_object_set_new(j, key, val)

/* Keys an option object may have besides "type". */
#define KEYS(...)                                                                                  \
	do {                                                                                       \
		static const char *const k_[] = {"type", __VA_ARGS__, NULL};                       \
		if (check_keys(e, j, k_))                                                          \
			return -1;                                                                 \
	} while (0)

static void pad_to_json(const struct mh_opt *o, json_t *j)
{
	(void)o, (void)j; /* never decoded into the message */
}

static int pad_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	(void)e, (void)j, (void)o;
	return 0;
}

static void mn_id_to_json(const struct mh_opt *o, json_t *j)
{
	char buf[256];

	SET("subtype", json_integer(o->mn_id.subtype));
	if (o->mn_id.subtype == 1 && printable(o->mn_id.id, o->mn_id.len)) {
		memcpy(buf, o->mn_id.id, o->mn_id.len);
		buf[o->mn_id.len] = 0;
		SET("id", json_string(buf));
	} else {
		SET("data", hex_json(o->mn_id.id, o->mn_id.len));
	}
}

static int mn_id_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	json_t *id;
	size_t n;

	KEYS("subtype", "id", "data");
	if (GET(e, j, "subtype", 0xff, NULL, o->mn_id.subtype))
		return -1;
	id = json_object_get(j, "id");
	if (id && json_object_get(j, "data"))
		return jfail(e, "id", "give either id (text) or data (hex), not both");
	if (id) {
		const char *s;

		if (get_str(e, j, "id", &s))
			return -1;
		n = strlen(s);
		if (n == 0 || n > sizeof(o->mn_id.id))
			return jfail(e, "id", "length %zu (1 to %zu)", n, sizeof(o->mn_id.id));
		memcpy(o->mn_id.id, s, n);
	} else {
		if (get_hex(e, j, "data", o->mn_id.id, sizeof(o->mn_id.id), &n))
			return -1;
		if (n == 0)
			return jfail(e, "data", "empty identifier");
	}
	o->mn_id.len = (uint8_t)n;
	return 0;
}

static void hnp_to_json(const struct mh_opt *o, json_t *j)
{
	char a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];

	inet_ntop(AF_INET6, &o->hnp.prefix, a, sizeof(a));
	snprintf(buf, sizeof(buf), "%s/%u", a, o->hnp.plen);
	SET("prefix", json_string(buf));
}

static int hnp_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	const char *s, *slash;
	char a[INET6_ADDRSTRLEN];
	uint64_t plen = 0;
	char *end = NULL;

	KEYS("prefix");
	if (get_str(e, j, "prefix", &s))
		return -1;
	slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(a))
		return jfail(e, "prefix", "'%s' is not ADDRESS/LENGTH", s);
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = 0;
	if (slash[1])
		plen = strtoull(slash + 1, &end, 10);
	if (inet_pton(AF_INET6, a, &o->hnp.prefix) != 1 || !slash[1] || *end || plen > 128)
		return jfail(e, "prefix", "'%s' is not an IPv6 prefix", s);
	o->hnp.plen = (uint8_t)plen;
	return 0;
}

static void hi_to_json(const struct mh_opt *o, json_t *j)
{
	SET("value", json_integer(o->hi));
}

static int hi_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	KEYS("value");
	return GET(e, j, "value", 0xff, NULL, o->hi);
}

static void att_to_json(const struct mh_opt *o, json_t *j)
{
	SET("value", json_integer(o->att));
}

static int att_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	KEYS("value");
	return GET(e, j, "value", 0xff, NULL, o->att);
}

static void ll_id_to_json(const struct mh_opt *o, json_t *j)
{
	char buf[3 * 253 + 1];

	for (int i = 0; i < o->ll_id.len; i++) {
		buf[3 * i] = hexdig[o->ll_id.id[i] >> 4];
		buf[3 * i + 1] = hexdig[o->ll_id.id[i] & 15];
		buf[3 * i + 2] = ':';
	}
	buf[o->ll_id.len ? 3 * o->ll_id.len - 1 : 0] = 0;
	SET("id", json_string(buf));
}

static int ll_id_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	const char *s;
	size_t n = 0;

	KEYS("id");
	if (get_str(e, j, "id", &s))
		return -1;
	for (;;) {
		int hi = hexval(s[0]), lo = hi >= 0 ? hexval(s[1]) : -1;

		if (hi < 0 || lo < 0 || n >= sizeof(o->ll_id.id))
			return jfail(e, "id",
				     "'%s' is not a link-layer ID (hex octets separated by ':', 1 "
				     "to %zu)",
				     s, sizeof(o->ll_id.id));
		o->ll_id.id[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (!*s)
			break;
		if (*s != ':')
			return jfail(e, "id", "octets must be separated by ':'");
		s++;
	}
	o->ll_id.len = (uint8_t)n;
	return 0;
}

static void lla_to_json(const struct mh_opt *o, json_t *j)
{
	SET("address", addr_json(&o->lla));
}

static int lla_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	KEYS("address");
	return get_addr6(e, j, "address", &o->lla);
}

static void timestamp_to_json(const struct mh_opt *o, json_t *j)
{
	SET("seconds", json_integer((json_int_t)o->timestamp.seconds));
	SET("fraction", json_integer(o->timestamp.fraction));
}

static int timestamp_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	KEYS("seconds", "fraction");
	return GET(e, j, "seconds", 0xffffffffffffull, NULL, o->timestamp.seconds) ||
	       GET(e, j, "fraction", 0xffff, &zero, o->timestamp.fraction);
}

static void restart_counter_to_json(const struct mh_opt *o, json_t *j)
{
	SET("value", json_integer(o->restart_counter));
}

static int restart_counter_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	KEYS("value");
	return GET(e, j, "value", 0xffffffffu, NULL, o->restart_counter);
}

static void gre_key_to_json(const struct mh_opt *o, json_t *j)
{
	SET("key", json_integer(o->gre_key));
}

static int gre_key_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	KEYS("key");
	return GET(e, j, "key", 0xffffffffu, NULL, o->gre_key);
}

static void auth_to_json(const struct mh_opt *o, json_t *j)
{
	SET("subtype", json_integer(o->auth.subtype));
	SET("spi", json_integer(o->auth.spi));
	SET("data", hex_json(o->auth.data, o->auth.len));
}

static int auth_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	size_t n = 0;

	KEYS("subtype", "spi", "data");
	if (GET(e, j, "subtype", 0xff, &(uint64_t){MH_AUTH_MN_HA}, o->auth.subtype) ||
	    GET(e, j, "spi", 0xffffffffu, NULL, o->auth.spi))
		return -1;
	if (json_object_get(j, "data") &&
	    get_hex(e, j, "data", o->auth.data, sizeof(o->auth.data), &n))
		return -1;
	o->auth.len = (uint8_t)n;
	return 0;
}

static void bid_to_json(const struct mh_opt *o, json_t *j)
{
	SET("bid", json_integer(o->bid.bid));
	SET("status", json_integer(o->bid.status));
	SET("h", json_boolean(o->bid.h));
	SET("priority", json_integer(o->bid.priority));
	if (o->bid.coa_len == 16)
		SET("coa", addr_json((const struct in6_addr *)o->bid.coa));
	else if (o->bid.coa_len == 4)
		SET("coa", addr4_json(o->bid.coa));
}

static int bid_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	static const uint64_t pri_default = MH_BID_PRI_DEFAULT;
	json_t *h, *coa;

	KEYS("bid", "status", "h", "priority", "coa");
	/* BID-PRI 0 is reserved (RFC 6089 §4.1): left out, the priority is 1; an explicit
	 * 0 is kept so that a captured RFC 5648-only option can be reproduced */
	if (GET(e, j, "bid", 0xffff, NULL, o->bid.bid) ||
	    GET(e, j, "status", 0xff, &zero, o->bid.status) ||
	    GET(e, j, "priority", 127, &pri_default, o->bid.priority))
		return -1;
	h = json_object_get(j, "h");
	if (h && !json_is_boolean(h))
		return jfail(e, "h", "must be true or false");
	o->bid.h = h && json_is_true(h);
	coa = json_object_get(j, "coa");
	if (coa) {
		const char *s = json_string_value(coa);

		if (!s)
			return jfail(e, "coa", "must be a string");
		if (inet_pton(AF_INET6, s, o->bid.coa) == 1)
			o->bid.coa_len = 16;
		else if (inet_pton(AF_INET, s, o->bid.coa) == 1)
			o->bid.coa_len = 4;
		else
			return jfail(e, "coa", "'%s' is not an IPv6 or IPv4 address", s);
	}
	return 0;
}

static void flow_summary_to_json(const struct mh_opt *o, json_t *j)
{
	json_t *a = json_array();

	for (int i = 0; i < o->flow_summary.n; i++)
		json_array_append_new(a, json_integer(o->flow_summary.fids[i]));
	SET("fids", a);
}

static int flow_summary_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	json_t *a;
	size_t n;

	KEYS("fids");
	a = json_object_get(j, "fids");
	if (!a)
		return jfail(e, "fids", "missing");
	n = json_is_array(a) ? json_array_size(a) : 0;
	if (n == 0 || n > MH_MAX_FIDS)
		return jfail(e, "fids", "must be a list of 1 to %d FIDs", MH_MAX_FIDS);
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(a, i);

		if (!json_is_integer(x) || json_integer_value(x) < 0 ||
		    json_integer_value(x) > 0xffff)
			return jfail(e, "fids", "element %zu is not a FID (0 to 65535)", i);
		o->flow_summary.fids[i] = (uint16_t)json_integer_value(x);
	}
	o->flow_summary.n = (uint8_t)n;
	return 0;
}

static void flow_id_to_json(const struct mh_opt *o, json_t *j)
{
	const struct mh_flowid *fi = &o->flow_id;

	SET("fid", json_integer(fi->fid));
	SET("priority", json_integer(fi->priority));
	SET("status", json_integer(fi->status));
	if (fi->n_bids) {
		json_t *a = json_array();

		for (int i = 0; i < fi->n_bids; i++)
			json_array_append_new(a, json_integer(fi->bids[i]));
		SET("bids", a);
	}
	if (fi->has_ts) {
		json_t *ts = json_object();
		json_t *fields = ts_to_json(&fi->ts);

		json_object_set_new(ts, "format",
				    json_string(fi->ts.format == TS_FMT_IPV4 ? "ipv4" : "ipv6"));
		json_object_update(ts, fields);
		json_decref(fields);
		SET("ts", ts);
	}
	if (fi->n_raw) {
		json_t *a = json_array();

		for (int i = 0; i < fi->n_raw && i < MH_MAX_RAW_SUBS; i++) {
			json_t *s = json_object();

			json_object_set_new(s, "sub", json_integer(fi->raw[i].type));
			json_object_set_new(s, "data", hex_json(fi->raw[i].data, fi->raw[i].len));
			json_array_append_new(a, s);
		}
		SET("subs", a);
	}
}

static int flow_id_from_json(struct jerr *e, const json_t *j, struct mh_opt *o)
{
	struct mh_flowid *fi = &o->flow_id;
	json_t *v;
	size_t n;
	char saved[sizeof(e->path)];

	KEYS("fid", "priority", "status", "bids", "ts", "subs");
	if (GET(e, j, "fid", 0xffff, NULL, fi->fid) ||
	    GET(e, j, "priority", 0xffff, &zero, fi->priority) ||
	    GET(e, j, "status", 0xff, &zero, fi->status))
		return -1;
	if ((v = json_object_get(j, "bids"))) {
		if (!json_is_array(v))
			return jfail(e, "bids", "must be a list of BIDs");
		n = json_array_size(v);
		if (n == 0 || n > MH_MAX_BIDREF)
			return jfail(e, "bids", "%zu BIDs (1 to %d)", n, MH_MAX_BIDREF);
		for (size_t i = 0; i < n; i++) {
			json_t *x = json_array_get(v, i);

			if (!json_is_integer(x) || json_integer_value(x) < 0 ||
			    json_integer_value(x) > 0xffff)
				return jfail(e, "bids", "element %zu is not a BID (0 to 65535)", i);
			fi->bids[i] = (uint16_t)json_integer_value(x);
		}
		fi->n_bids = (uint8_t)n;
	}
	if ((v = json_object_get(j, "ts"))) {
		json_t *f;
		enum ts_format fmt;
		int rc;

		if (!json_is_object(v))
			return jfail(e, "ts", "must be an object");
		f = json_object_get(v, "format");
		if (!f || !json_is_string(f))
			return jfail(e, "ts.format", "missing (\"ipv4\" or \"ipv6\")");
		if (!strcmp(json_string_value(f), "ipv6"))
			fmt = TS_FMT_IPV6;
		else if (!strcmp(json_string_value(f), "ipv4"))
			fmt = TS_FMT_IPV4;
		else
			return jfail(e, "ts.format", "must be \"ipv4\" or \"ipv6\"");
		memcpy(saved, e->path, sizeof(saved));
		snprintf(e->path, sizeof(e->path), "%.60s.ts", saved);
		rc = ts_from_json_e(e, v, fmt, &fi->ts);
		memcpy(e->path, saved, sizeof(saved));
		if (rc)
			return -1;
		fi->has_ts = true;
	}
	if ((v = json_object_get(j, "subs"))) {
		static const char *const skeys[] = {"sub", "data", NULL};

		if (!json_is_array(v))
			return jfail(e, "subs", "must be a list");
		n = json_array_size(v);
		if (n > MH_MAX_RAW_SUBS)
			return jfail(e, "subs", "at most %d raw sub-options", MH_MAX_RAW_SUBS);
		memcpy(saved, e->path, sizeof(saved));
		for (size_t i = 0; i < n; i++) {
			json_t *s = json_array_get(v, i);
			size_t dl;
			int rc;

			snprintf(e->path, sizeof(e->path), "%.60s.subs[%zu]", saved, i);
			if (!json_is_object(s)) {
				rc = jfail(e, "", "must be an object");
			} else {
				rc = check_keys(e, s, skeys) ||
				     GET(e, s, "sub", 0xff, NULL, fi->raw[i].type) ||
				     get_hex(e, s, "data", fi->raw[i].data, 255, &dl);
				/* raw sub 3 only for a TS Format the codec cannot read
				 * (what decoding such a selector gives back) */
				if (!rc && fi->raw[i].type <= MH_FIDSUB_TS &&
				    !(fi->raw[i].type == MH_FIDSUB_TS && dl >= 1 &&
				      fi->raw[i].data[0] != TS_FMT_IPV4 &&
				      fi->raw[i].data[0] != TS_FMT_IPV6))
					rc = jfail(e, "sub",
						   "%u is a known sub-option (use bids or ts)",
						   fi->raw[i].type);
			}
			if (rc) {
				memcpy(e->path, saved, sizeof(saved));
				return -1;
			}
			fi->raw[i].len = (uint8_t)dl;
		}
		memcpy(e->path, saved, sizeof(saved));
		fi->n_raw = (uint8_t)n;
	}
	return 0;
}

struct jopt {
	const char *name; /* NULL: not in the JSON form (padding) */
	bool known;
	void (*to_json)(const struct mh_opt *o, json_t *j);
	int (*from_json)(struct jerr *e, const json_t *j, struct mh_opt *o);
};

#define JOPT_ROW_(e, t, stem, jn, dn, al) [t] = {jn, true, stem##_to_json, stem##_from_json},
static const struct jopt jopts[256] = {MH_OPT_LIST(JOPT_ROW_)};
#undef JOPT_ROW_

static json_t *opt_to_json(const struct mh_opt *o)
{
	json_t *j = json_object();
	const struct jopt *d = &jopts[o->type];

	if (d->known && d->name) {
		SET("type", json_string(d->name));
		d->to_json(o, j);
	} else {
		SET("type", json_string("unknown"));
		SET("otype", json_integer(o->raw.type));
		SET("data", hex_json(o->raw.data, o->raw.len));
	}
	return j;
}

static int opt_from_json(struct jerr *e, const json_t *j, struct mh_msg *m)
{
	const char *t;
	struct mh_opt *o;
	size_t n;

	if (!json_is_object(j))
		return jfail(e, "", "an option must be an object");
	if (get_str(e, j, "type", &t))
		return -1;
	if (!strcmp(t, "unknown")) {
		uint8_t ot = 0;

		KEYS("otype", "data");
		if (GET(e, j, "otype", 0xff, NULL, ot))
			return -1;
		if (jopts[ot].known)
			return jfail(e, "otype", "%u is a known option type (use its own form)",
				     ot);
		o = mh_opt_add(m, ot);
		if (!o)
			return jfail(e, "", "too many options (at most %d)", MH_MAX_OPTS);
		o->raw.type = ot;
		if (get_hex(e, j, "data", o->raw.data, sizeof(o->raw.data), &n))
			return -1;
		o->raw.len = (uint8_t)n;
		return 0;
	}
	for (int i = 0; i < 256; i++) {
		if (!jopts[i].name || strcmp(jopts[i].name, t))
			continue;
		o = mh_opt_add(m, (uint8_t)i);
		if (!o)
			return jfail(e, "", "too many options (at most %d)", MH_MAX_OPTS);
		return jopts[i].from_json(e, j, o);
	}
	return jfail(e, "type", "unknown option type '%s'", t);
}
#undef KEYS
#undef SET

/* ---- messages ----------------------------------------------------------------------- */

/* The JSON keys of the fixed fields, in output order. */
static const struct {
	const char *key;
	enum mh_field_id id;
} fkeys[] = {
    {"seq", MF_SEQ},	 {"status", MF_STATUS},	 {"trigger", MF_TRIGGER},  {"reason", MF_REASON},
    {"flags", MF_FLAGS}, {"lifetime", MF_LIFE4}, {"home_address", MF_HOA},
};
#define N_FKEYS (sizeof(fkeys) / sizeof(fkeys[0]))

json_t *mh_to_json(const struct mh_msg *m)
{
	const struct mh_kind_desc *d = mh_kind_desc(m->kind);
	json_t *j, *opts;
	char fl[MH_MAX_FLAGS + 1];

	if (!d)
		return NULL;
	j = json_object();
	json_object_set_new(j, "type", json_string(d->name));
	for (size_t i = 0; i < N_FKEYS; i++) {
		json_t *v;

		if (!kind_field(d, fkeys[i].id))
			continue;
		switch (fkeys[i].id) {
		case MF_SEQ:
			v = json_integer(m->seq);
			break;
		case MF_STATUS:
			v = json_integer(m->status);
			break;
		case MF_TRIGGER:
			v = json_integer(m->trigger);
			break;
		case MF_REASON:
			v = json_integer(m->reason);
			break;
		case MF_FLAGS:
			flags_to_str(d, m->flags, fl);
			v = json_string(fl);
			break;
		case MF_HOA:
			v = addr_json(&m->home_address);
			break;
		default:
			v = json_integer(m->lifetime);
			break;
		}
		json_object_set_new(j, fkeys[i].key, v);
	}
	opts = json_array();
	for (int i = 0; i < m->n_opts && i < MH_MAX_OPTS; i++)
		json_array_append_new(opts, opt_to_json(&m->opts[i]));
	json_object_set_new(j, "options", opts);
	return j;
}

int mh_from_json(const json_t *obj, struct mh_msg *m, char *err, size_t errlen)
{
	struct jerr e = {.buf = err, .len = errlen};
	const struct mh_kind_desc *k;
	const struct mh_field *f;
	const char *t, *key;
	json_t *v;

	mh_msg_init(m, MH_KIND_NONE);
	if (!json_is_object(obj))
		return jfail(&e, "", "a message must be a JSON object");
	if (get_str(&e, obj, "type", &t))
		return -1;
	k = kind_by_name(t);
	if (!k) {
		char all[128] = "";

		for (int i = 1; i < MH_KIND_COUNT; i++)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
				 i > 1 ? " " : "", mh_kind_name(i));
		return jfail(&e, "type", "unknown message type '%s' (%s)", t, all);
	}
	m->kind = k->kind;
	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i;

		if (!strcmp(key, "type") || !strcmp(key, "options"))
			continue;
		for (i = 0; i < N_FKEYS; i++)
			if (!strcmp(key, fkeys[i].key))
				break;
		if (i == N_FKEYS || !kind_field(k, fkeys[i].id))
			return jfail(&e, key, "not a key of a %s message", k->name);
	}
	for (size_t i = 0; i < N_FKEYS; i++) {
		uint64_t max;

		f = kind_field(k, fkeys[i].id);
		if (!f || fkeys[i].id == MF_FLAGS || fkeys[i].id == MF_HOA)
			continue;
		max = f->bits >= 32 ? 0xffffffffull : (1ull << f->bits) - 1;
		if (f->id == MF_LIFE4)
			max *= 4;
		switch (f->id) {
		case MF_SEQ:
			if (GET(&e, obj, "seq", max, &zero, m->seq))
				return -1;
			break;
		case MF_STATUS:
			if (GET(&e, obj, "status", max, &zero, m->status))
				return -1;
			break;
		case MF_TRIGGER:
			if (GET(&e, obj, "trigger", max, &zero, m->trigger))
				return -1;
			break;
		case MF_REASON:
			if (GET(&e, obj, "reason", max, &zero, m->reason))
				return -1;
			break;
		default: /* lifetime */
			if (GET(&e, obj, "lifetime", max, &zero, m->lifetime))
				return -1;
			break;
		}
	}
	if ((v = json_object_get(obj, "flags"))) {
		const char *s = json_string_value(v);

		if (!s)
			return jfail(&e, "flags", "must be a string of flag letters");
		for (; *s; s++) {
			int i;

			for (i = 0; i < MH_MAX_FLAGS && k->flags[i].letter; i++)
				if (k->flags[i].letter == *s)
					break;
			if (i == MH_MAX_FLAGS || !k->flags[i].letter) {
				char all[MH_MAX_FLAGS + 1];

				flags_to_str(k, 0xffff, all);
				return jfail(&e, "flags", "'%c' is not a %s flag (%s)", *s, k->name,
					     all);
			}
			m->flags |= k->flags[i].bit;
		}
	}
	if (kind_field(k, MF_HOA) && json_object_get(obj, "home_address") &&
	    get_addr6(&e, obj, "home_address", &m->home_address))
		return -1;
	if ((v = json_object_get(obj, "options"))) {
		size_t i;
		json_t *o;

		if (!json_is_array(v))
			return jfail(&e, "options", "must be a list");
		json_array_foreach(v, i, o)
		{
			snprintf(e.path, sizeof(e.path), "options[%zu]", i);
			if (opt_from_json(&e, o, m))
				return -1;
		}
	}
	return 0;
}
