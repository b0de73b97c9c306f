/* SPDX-License-Identifier: GPL-2.0 */
/*
 * service.h — flowmobd as a systemd service (Type=notify): READY=1 once the role
 * serves, RELOADING=1/READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM,
 * WATCHDOG=1 from the event loop every half WatchdogSec, and the periodic flush
 * of rate-limited log repeats. Without systemd ($NOTIFY_SOCKET unset) the
 * notifications are no-ops; the log flush still runs.
 */
#ifndef FLOWMOB_SERVICE_H
#define FLOWMOB_SERVICE_H

#include <ev.h>

/* Start the watchdog and log-flush timers on loop. */
void fm_service_start(struct ev_loop *loop);
void fm_service_stop(struct ev_loop *loop);
/* status: the STATUS= text systemctl shows (may be NULL). */
void fm_service_ready(const char *status);
void fm_service_reloading(void);
void fm_service_stopping(void);

#endif /* FLOWMOB_SERVICE_H */
