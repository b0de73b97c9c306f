/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daemon.h — what main.c hands to a role (LMA or MAG): the loop, the loaded
 * config, the data plane, the control socket and the MH socket. A role module
 * implements start (register control commands, open its sockets and timers),
 * reload (SIGHUP: apply what may change at run time) and stop (SIGTERM: persist
 * state, leave the data plane running).
 */
#ifndef FLOWMOB_DAEMON_H
#define FLOWMOB_DAEMON_H

#include <ev.h>

#include "daemon/config.h"
#include "core/ctl.h"
#include "dp/dataplane.h"
#include "mh/mhsock.h"

struct fm_daemon {
	struct ev_loop *loop;
	const struct fm_config *cfg; /* the one running copy (main.c owns it); after a
				      * reload it holds the new values in place */
	struct fm_dp *dp;
	struct fm_ctl *ctl;
	void *role;	    /* struct lma * or struct mag * */
	const char *import; /* flowmobd --import FILE: an export document to restore */
};

/*
 * reload: main.c has validated next and already reset its restart-only keys
 * (config.c's table fm_cfg_keys: instance, sockets, bpffs, netns, state-dir,
 * addresses, interfaces, dataplane modes, ...) to the running values. d->cfg
 * still holds the running config, so the role can compare; return 0 and main
 * copies next into *d->cfg (the roles keep no copy: they read d->cfg), non-zero
 * and the running config stays.
 */
struct fm_role_ops {
	int (*start)(struct fm_daemon *d);
	int (*reload)(struct fm_daemon *d, const struct fm_config *next);
	void (*stop)(struct fm_daemon *d);
};

extern const struct fm_role_ops lma_ops;
extern const struct fm_role_ops mag_ops;

#endif /* FLOWMOB_DAEMON_H */
