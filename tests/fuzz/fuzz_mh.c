// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_mh.c — libFuzzer target for the Mobility Header decoder (agent/mh/mh.c) and the
 * JSON mapping (agent/mh/mh_json.c). Any input must decode or be rejected without a
 * crash; a message that decodes must re-encode (unless the canonical padding pushes
 * it over the 2048-octet MH limit), decode again to the identical structure, and its
 * JSON form must survive JSON -> message -> JSON unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mh/mh.h"
#include "mh/mh_json.h"

static struct mh_msg m1, m2, m3;
static uint8_t buf[4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mh_err err;
	char jerr[256];
	json_t *j1, *j2;
	int n;

	/* An input ending in 0xfe decodes with its own MH type as the FMI/FMA type. */
	mh_fm_type = (size > 8 && data[size - 1] == 0xfe) ? data[2] : MH_FM_TYPE_DEFAULT;

	if (mh_decode(data, size, &m1, &err)) {
		if (err.offset > size || !err.msg[0])
			abort();
		return 0;
	}
	n = mh_encode(&m1, buf, sizeof(buf), &err);
	if (n < 0) {
		if (!strstr(err.msg, "2048"))
			abort(); /* a decoded message must be encodable */
		return 0;
	}
	if (n % 8 || buf[1] != n / 8 - 1)
		abort();
	if (mh_decode(buf, (size_t)n, &m2, &err))
		abort();
	/* mh_decode initialises the fixed part and each option it adds, not the unused
	 * option slots: compare what it filled in */
	if (m1.n_opts != m2.n_opts ||
	    memcmp(&m1, &m2, offsetof(struct mh_msg, opts) + m1.n_opts * sizeof(m1.opts[0])))
		abort();

	j1 = mh_to_json(&m1);
	if (!j1)
		abort();
	if (mh_from_json(j1, &m3, jerr, sizeof(jerr)))
		abort();
	j2 = mh_to_json(&m3);
	if (!j2 || !json_equal(j1, j2))
		abort();
	json_decref(j1);
	json_decref(j2);
	return 0;
}
