/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state.h — small JSON documents a role persists across restarts (sequence
 * numbers, restart counter, flow mobility cache, MN index map), one file per
 * name: <state-dir>/<name>.json. Saves are atomic (temporary file, fsync,
 * rename, fsync of the directory): a crash leaves the old or the new version,
 * never a torn one.
 */
#ifndef FLOWMOB_STATE_H
#define FLOWMOB_STATE_H

#include <jansson.h>

/* Write obj as <dir>/<name>.json, creating dir (0700) if needed. 0 or -errno.
 * name: letters, digits, '-' and '_' only. */
int fm_state_save(const char *dir, const char *name, const json_t *obj);

/* Read <dir>/<name>.json into *out (a new reference). 0, -ENOENT when there is
 * none (a first start), -EINVAL when it is not valid JSON (logged; the file is
 * kept as <name>.json.corrupt for inspection), or another -errno. */
int fm_state_load(const char *dir, const char *name, json_t **out);

/* Remove every file in dir and dir itself (flowmobd --cleanup). Missing dir: 0. */
int fm_state_remove_all(const char *dir);

#endif /* FLOWMOB_STATE_H */
