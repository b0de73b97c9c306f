/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mh_json.h — the JSON form of Mobility Header messages (docs/mh-json.md), shared by
 * flowmob-mh, the control socket and the monitor stream. Traffic selectors use
 * the one vocabulary of ts.h: {"dst_port":[5000,5999],"next_header":[17]}.
 */
#ifndef FLOWMOB_MH_JSON_H
#define FLOWMOB_MH_JSON_H

#include <jansson.h>

#include "mh/mh.h"
#include "mh/ts.h"

/* Message <-> JSON object. mh_from_json returns 0, or -1 with err naming the key. */
json_t *mh_to_json(const struct mh_msg *m);
int mh_from_json(const json_t *obj, struct mh_msg *m, char *err, size_t errlen);

/* Selector <-> JSON object of fields (no "format" key; the caller knows the format). */
json_t *ts_to_json(const struct fm_ts *ts);
int ts_from_json(const json_t *obj, enum ts_format fmt, struct fm_ts *out, char *err,
		 size_t errlen);

#endif /* FLOWMOB_MH_JSON_H */
