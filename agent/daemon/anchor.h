/* SPDX-License-Identifier: GPL-2.0 */
/*
 * anchor.h — keeps the kernel routes of what an LMA anchors (config `routes:`)
 * in step with it: the prefix pool always, and with home-prefixes: true each
 * home network prefix of the binding cache. It reads the LMA through its
 * control commands ("bindings", in-process) right after every binding event
 * (registration, deregistration, expiry, prefix-move) and every 5 s, and hands
 * the set to dp/routes.c. Stopping leaves the routes in place (a restart goes on
 * announcing); fm_anchor_cleanup() removes them (--cleanup).
 */
#ifndef FLOWMOB_ANCHOR_H
#define FLOWMOB_ANCHOR_H

#include <ev.h>

#include "core/ctl.h"
#include "daemon/config.h"

struct fm_anchor;

int fm_anchor_start(struct ev_loop *loop, struct fm_ctl *ctl, const struct fm_config *cfg,
		    struct fm_anchor **out);
void fm_anchor_stop(struct fm_anchor *a);
/* Sync now (tests, and the start). */
int fm_anchor_sync(struct fm_anchor *a);
int fm_anchor_cleanup(const struct fm_config *cfg);

#endif /* FLOWMOB_ANCHOR_H */
