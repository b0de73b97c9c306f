// SPDX-License-Identifier: GPL-2.0
/*
 * ts.c — traffic selectors (RFC 6088 fields): names, validation, equality and the
 * CLI text form ('next-header 17 dst-port 5000-5999', addresses as a, a-b or a/len).
 * The wire form lives in mh.c, the JSON form in mh_json.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mh/ts.h"
#include "core/num.h"

static const char *const names6[TS_NFIELDS] = {
    "src_addr", "dst_addr", "spi", "flow_label", "src_port", "dst_port", "tc", "next_header",
};
static const char *const names4[TS_NFIELDS] = {
    "src_addr", "dst_addr", "spi", "flow_label", "src_port", "dst_port", "tos", "protocol",
};
static const char *const cli6[TS_NFIELDS] = {
    "src-addr", "dst-addr", "spi", "flow-label", "src-port", "dst-port", "tc", "next-header",
};
static const char *const cli4[TS_NFIELDS] = {
    "src-addr", "dst-addr", "spi", "flow-label", "src-port", "dst-port", "tos", "protocol",
};

const char *ts_field_name(enum ts_field f, enum ts_format fmt)
{
	if ((unsigned int)f >= TS_NFIELDS)
		return "?";
	return fmt == TS_FMT_IPV4 ? names4[f] : names6[f];
}

const char *ts_field_cli_name(enum ts_field f, enum ts_format fmt)
{
	if ((unsigned int)f >= TS_NFIELDS)
		return "?";
	return fmt == TS_FMT_IPV4 ? cli4[f] : cli6[f];
}

uint32_t ts_field_max(enum ts_field f)
{
	switch (f) {
	case TS_SPI:
		return 0xffffffffu;
	case TS_FLOW_LABEL:
		return 0xfffff;
	case TS_SRC_PORT:
	case TS_DST_PORT:
		return 0xffff;
	case TS_TC:
	case TS_NEXT_HEADER:
		return 0xff;
	default:
		return 0;
	}
}

static bool is_addr(enum ts_field f)
{
	return f == TS_SRC_ADDR || f == TS_DST_ADDR;
}

static bool is_v4mapped(const struct in6_addr *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a->s6_addr, pfx, 12) == 0;
}

bool ts_valid(const struct fm_ts *ts, char *err, size_t errlen)
{
	enum ts_field f;

	if (ts->format != TS_FMT_IPV4 && ts->format != TS_FMT_IPV6) {
		snprintf(err, errlen, "unknown selector format %u (1 IPv4, 2 IPv6)", ts->format);
		return false;
	}
	for (f = 0; f < TS_NFIELDS; f++) {
		const struct ts_val *v = &ts->f[f];
		const char *name = ts_field_name(f, ts->format);

		if (v->n > TS_RANGE) {
			snprintf(err, errlen, "%s: bad presence %u", name, v->n);
			return false;
		}
		if (v->n == TS_ABSENT)
			continue;
		if (f == TS_FLOW_LABEL && ts->format == TS_FMT_IPV4) {
			snprintf(err, errlen, "flow_label is not a field of IPv4 selectors");
			return false;
		}
		if (is_addr(f)) {
			for (int i = 0; i < v->n; i++) {
				if (ts->format == TS_FMT_IPV4 && !is_v4mapped(&v->addr[i])) {
					snprintf(err, errlen, "%s: not an IPv4 address", name);
					return false;
				}
			}
			if (v->n == TS_RANGE && memcmp(&v->addr[0], &v->addr[1], 16) > 0) {
				snprintf(err, errlen, "%s: range start is above its end", name);
				return false;
			}
			continue;
		}
		for (int i = 0; i < v->n; i++) {
			if (v->num[i] > ts_field_max(f)) {
				snprintf(err, errlen, "%s: %u is above the maximum %u", name,
					 v->num[i], ts_field_max(f));
				return false;
			}
		}
		if (v->n == TS_RANGE && v->num[0] > v->num[1]) {
			snprintf(err, errlen, "%s: range start %u is above its end %u", name,
				 v->num[0], v->num[1]);
			return false;
		}
	}
	return true;
}

bool ts_equal(const struct fm_ts *a, const struct fm_ts *b)
{
	if (a->format != b->format)
		return false;
	for (int f = 0; f < TS_NFIELDS; f++) {
		const struct ts_val *x = &a->f[f], *y = &b->f[f];

		if (x->n != y->n)
			return false;
		for (int i = 0; i < x->n && i < 2; i++) {
			if (is_addr(f) ? memcmp(&x->addr[i], &y->addr[i], 16) != 0
				       : x->num[i] != y->num[i])
				return false;
		}
	}
	return true;
}

/* ---- CLI text ----------------------------------------------------------------------- */

static int field_by_name(const char *w, enum ts_format fmt)
{
	for (int f = 0; f < TS_NFIELDS; f++) {
		if (fmt == TS_FMT_IPV4 && f == TS_FLOW_LABEL)
			continue;
		if (!strcmp(w, ts_field_cli_name(f, fmt)) || !strcmp(w, ts_field_name(f, fmt)))
			return f;
	}
	return -1;
}

static int parse_addr(const char *s, enum ts_format fmt, struct in6_addr *a)
{
	struct in_addr v4;

	memset(a, 0, sizeof(*a));
	if (fmt == TS_FMT_IPV4) {
		if (inet_pton(AF_INET, s, &v4) != 1)
			return -1;
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, a) == 1 ? 0 : -1;
}

/* "a", "a-b" or "a/len" into v; returns 0 or -1. */
static int parse_addr_value(char *s, enum ts_format fmt, struct ts_val *v)
{
	char *sep;

	if ((sep = strchr(s, '/'))) {
		unsigned int bits = fmt == TS_FMT_IPV4 ? 32 : 128, off = 128 - bits;
		uint32_t plen;

		*sep = 0;
		if (parse_addr(s, fmt, &v->addr[0]) || fm_parse_u32(sep + 1, bits, &plen))
			return -1;
		v->addr[1] = v->addr[0];
		for (unsigned int b = off + plen; b < 128; b++) {
			v->addr[0].s6_addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
			v->addr[1].s6_addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		}
		v->n = plen == bits ? TS_EXACT : TS_RANGE;
		return 0;
	}
	if ((sep = strchr(s, '-'))) {
		*sep = 0;
		if (parse_addr(s, fmt, &v->addr[0]) || parse_addr(sep + 1, fmt, &v->addr[1]))
			return -1;
		v->n = TS_RANGE;
		return 0;
	}
	if (parse_addr(s, fmt, &v->addr[0]))
		return -1;
	v->n = TS_EXACT;
	return 0;
}

static int parse_num_value(char *s, enum ts_field f, struct ts_val *v)
{
	char *sep = strchr(s, '-');

	if (sep) {
		*sep = 0;
		if (fm_parse_u32(s, ts_field_max(f), &v->num[0]) ||
		    fm_parse_u32(sep + 1, ts_field_max(f), &v->num[1]))
			return -1;
		v->n = TS_RANGE;
		return 0;
	}
	if (fm_parse_u32(s, ts_field_max(f), &v->num[0]))
		return -1;
	v->n = TS_EXACT;
	return 0;
}

int ts_parse_cli(const char *text, enum ts_format fmt, struct fm_ts *out, char *err, size_t errlen)
{
	char *copy, *save = NULL, *name, *val;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (fmt != TS_FMT_IPV4 && fmt != TS_FMT_IPV6) {
		snprintf(err, errlen, "unknown selector format %d", (int)fmt);
		return -1;
	}
	out->format = (uint8_t)fmt;
	copy = strdup(text ? text : "");
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((name = strtok_r(save ? NULL : copy, " \t\n", &save))) {
		int f = field_by_name(name, fmt);
		struct ts_val *v;

		if (f < 0) {
			snprintf(err, errlen, "unknown selector field '%s'", name);
			goto out;
		}
		v = &out->f[f];
		if (v->n != TS_ABSENT) {
			snprintf(err, errlen, "selector field '%s' given twice", name);
			goto out;
		}
		val = strtok_r(NULL, " \t\n", &save);
		if (!val) {
			snprintf(err, errlen, "selector field '%s' has no value", name);
			goto out;
		}
		if (is_addr(f) ? parse_addr_value(val, fmt, v) : parse_num_value(val, f, v)) {
			v->n = TS_ABSENT;
			snprintf(err, errlen, "bad value for '%s' (%s)", name,
				 is_addr(f) ? "an address, start-end or address/length"
					    : "a number or start-end within the field's range");
			goto out;
		}
	}
	if (!ts_valid(out, err, errlen))
		goto out;
	rc = 0;
out:
	free(copy);
	return rc;
}

static void fmt_addr(const struct in6_addr *a, uint8_t fmt, char *buf, size_t len)
{
	if (fmt == TS_FMT_IPV4)
		inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

/* Prefix length when [lo, hi] is exactly one prefix, else -1. */
static int range_plen(const struct in6_addr *lo, const struct in6_addr *hi, uint8_t fmt)
{
	int off = fmt == TS_FMT_IPV4 ? 96 : 0, b = 128;

	while (b > off) {
		int i = b - 1;
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		if ((lo->s6_addr[i / 8] & m) || !(hi->s6_addr[i / 8] & m))
			break;
		b--;
	}
	for (int i = off; i < b; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		if ((lo->s6_addr[i / 8] & m) != (hi->s6_addr[i / 8] & m))
			return -1;
	}
	return b - off;
}

int ts_format_cli(const struct fm_ts *ts, char *buf, size_t len)
{
	size_t pos = 0;
	int n;

	if (!len)
		return -1;
	buf[0] = 0;
	for (int f = 0; f < TS_NFIELDS; f++) {
		const struct ts_val *v = &ts->f[f];
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		const char *name = ts_field_cli_name(f, ts->format);
		const char *sp = pos ? " " : "";

		if (v->n == TS_ABSENT)
			continue;
		if (is_addr(f)) {
			fmt_addr(&v->addr[0], ts->format, a, sizeof(a));
			if (v->n == TS_EXACT) {
				n = snprintf(buf + pos, len - pos, "%s%s %s", sp, name, a);
			} else {
				int pl = range_plen(&v->addr[0], &v->addr[1], ts->format);

				fmt_addr(&v->addr[1], ts->format, b, sizeof(b));
				if (pl >= 0 && pl < (ts->format == TS_FMT_IPV4 ? 32 : 128))
					n = snprintf(buf + pos, len - pos, "%s%s %s/%d", sp, name,
						     a, pl);
				else
					n = snprintf(buf + pos, len - pos, "%s%s %s-%s", sp, name,
						     a, b);
			}
		} else if (v->n == TS_EXACT) {
			n = snprintf(buf + pos, len - pos, "%s%s %u", sp, name, v->num[0]);
		} else {
			n = snprintf(buf + pos, len - pos, "%s%s %u-%u", sp, name, v->num[0],
				     v->num[1]);
		}
		if (n < 0 || (size_t)n >= len - pos)
			return -1;
		pos += (size_t)n;
	}
	return (int)pos;
}
