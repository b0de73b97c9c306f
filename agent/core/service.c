// SPDX-License-Identifier: GPL-2.0
/*
 * service.c — sd_notify(3) for flowmobd (service.h). The watchdog interval comes
 * from sd_watchdog_enabled() ($WATCHDOG_USEC, set by systemd from WatchdogSec=);
 * the timer pings at half of it, so a loop stuck for longer gets the service
 * restarted. Owns: two ev_timers.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "core/log.h"
#include "core/service.h"

#define LOG_FLUSH_S 2.0

static ev_timer wd_timer, flush_timer;
static bool started;

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	sd_notify(0, "WATCHDOG=1");
}

static void on_flush(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	fm_log_flush_repeats();
}

void fm_service_start(struct ev_loop *loop)
{
	uint64_t usec = 0;

	if (started)
		return;
	started = true;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		double every = (double)usec / 2e6;

		ev_timer_init(&wd_timer, on_watchdog, every, every);
		ev_timer_start(loop, &wd_timer);
		/* the timer keeps no reference: the loop ends when the role's watchers do */
		ev_unref(loop);
		pr_info("systemd: watchdog every %.3f s", every);
	}
	ev_timer_init(&flush_timer, on_flush, LOG_FLUSH_S, LOG_FLUSH_S);
	ev_timer_start(loop, &flush_timer);
	ev_unref(loop);
}

void fm_service_stop(struct ev_loop *loop)
{
	if (!started)
		return;
	started = false;
	if (ev_is_active(&wd_timer)) {
		ev_ref(loop);
		ev_timer_stop(loop, &wd_timer);
	}
	ev_ref(loop);
	ev_timer_stop(loop, &flush_timer);
	fm_log_flush_repeats();
}

void fm_service_ready(const char *status)
{
	if (status)
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	else
		sd_notify(0, "READY=1");
}

void fm_service_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

void fm_service_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
