/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ts.h — the traffic selector (RFC 6088): flowmob's one selector vocabulary.
 *
 * The same struct carries a selector decoded from a Flow Identification option,
 * one parsed from the CLI ('next-header 17 dst-port 5000-5999'), from JSON
 * ({"dst_port":[5000,5999],"next_header":[17]}) or from YAML (config), and is what
 * the data-plane loader compiles into BPF rules. It keeps the wire distinction
 * between an exact value (start field only) and a range (start and end), so a
 * decoded selector encodes back to the same bytes.
 *
 * IPv4 selectors (format 1) use the same slots: TS_TC holds the TOS/DSCP byte,
 * TS_NEXT_HEADER the protocol, addresses are stored IPv4-mapped (::ffff:a.b.c.d),
 * and TS_FLOW_LABEL is never present.
 */
#ifndef FLOWMOB_TS_H
#define FLOWMOB_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

enum ts_format {
	TS_FMT_IPV4 = 1,
	TS_FMT_IPV6 = 2,
};

/* Field order is the RFC 6088 flag order (IPv6 binary format). */
enum ts_field {
	TS_SRC_ADDR = 0,
	TS_DST_ADDR,
	TS_SPI,
	TS_FLOW_LABEL,
	TS_SRC_PORT,
	TS_DST_PORT,
	TS_TC,
	TS_NEXT_HEADER,
	TS_NFIELDS,
};

enum ts_presence {
	TS_ABSENT = 0,
	TS_EXACT = 1, /* start field only on the wire, [v] in JSON */
	TS_RANGE = 2, /* start and end, [start, end] in JSON; start <= end */
};

struct ts_val {
	uint8_t n; /* enum ts_presence */
	union {
		struct in6_addr addr[2]; /* TS_SRC_ADDR, TS_DST_ADDR: [start, end] */
		uint32_t num[2];	 /* every other field, host order */
	};
};

struct fm_ts {
	uint8_t format; /* enum ts_format */
	struct ts_val f[TS_NFIELDS];
};

/* Names: JSON uses ts_field_name() (underscores), CLI and YAML the hyphenated form. */
const char *ts_field_name(enum ts_field f, enum ts_format fmt);
const char *ts_field_cli_name(enum ts_field f, enum ts_format fmt);

/* Largest value of a numeric field (e.g. 0xfffff for the flow label). */
uint32_t ts_field_max(enum ts_field f);

/* True when every field is valid for the format and every range has start <= end. */
bool ts_valid(const struct fm_ts *ts, char *err, size_t errlen);
bool ts_equal(const struct fm_ts *a, const struct fm_ts *b);

/*
 * CLI text: pairs "NAME VALUE", VALUE either "v" or "start-end"; addresses also
 * as "addr/len" (a range) or "start-end". Example: 'next-header 17 dst-port 5000-5999'.
 * Returns 0, or -1 with a message naming the bad word in err.
 */
int ts_parse_cli(const char *text, enum ts_format fmt, struct fm_ts *out, char *err, size_t errlen);
/* The inverse of ts_parse_cli (canonical form); returns the length or -1 if it did not fit. */
int ts_format_cli(const struct fm_ts *ts, char *buf, size_t len);

#endif /* FLOWMOB_TS_H */
