// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ts.c — libFuzzer target for selector text (agent/mh/ts.c, ts_parse_cli, as
 * flowmobctl and the control socket pass it). What parses must be valid, print with
 * ts_format_cli and parse back to the same selector.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mh/ts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096], out[4096], err[256];
	struct fm_ts a, b;
	enum ts_format fmt;

	if (size == 0 || size >= sizeof(text))
		return 0;
	fmt = data[0] & 1 ? TS_FMT_IPV4 : TS_FMT_IPV6;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	if (ts_parse_cli(text, fmt, &a, err, sizeof(err)))
		return 0;
	if (!ts_valid(&a, err, sizeof(err)))
		abort();
	if (ts_format_cli(&a, out, sizeof(out)) < 0)
		abort();
	if (ts_parse_cli(out, fmt, &b, err, sizeof(err)) || !ts_equal(&a, &b))
		abort();
	return 0;
}
