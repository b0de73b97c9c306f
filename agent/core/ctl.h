/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl.h — the control socket (Unix stream socket, mode 0600) that flowmobctl
 * speaks to. Protocol: one JSON object per line in each direction.
 *   request   {"cmd": "bindings", ...arguments}
 *   reply     {"ok": true, "result": <any>}  or  {"ok": false, "error": "message"}
 *   "monitor" turns the connection into an event stream: one JSON object per
 *   line, {"event": "registration", "time": <unix s>, ...fields}.
 * Role modules register their commands; the socket owns connections and framing.
 */
#ifndef FLOWMOB_CTL_H
#define FLOWMOB_CTL_H

#include <stddef.h>
#include <ev.h>
#include <jansson.h>

struct fm_ctl;

/* Returns a new reference to the result, or NULL with a message in err. */
typedef json_t *(*fm_ctl_handler)(void *ctx, const json_t *req, char *err, size_t errlen);

/* Open the socket under a private name (path must not answer: -EADDRINUSE);
 * fm_ctl_publish() moves it to path once the daemon is ready to serve. */
int fm_ctl_open(struct ev_loop *loop, const char *path, struct fm_ctl **out);
int fm_ctl_publish(struct fm_ctl *ctl);
void fm_ctl_close(struct fm_ctl *ctl);
/* Answer one request line as a client would get it (the fuzz harness, tests): the
 * reply object, never NULL. "monitor" is answered but streams nothing. */
json_t *fm_ctl_request(struct fm_ctl *ctl, const char *line, size_t len);

/* Clients that send nothing for ms milliseconds (monitors excepted) are dropped;
 * default FM_CTL_IDLE_MS. 0: never. */
#define FM_CTL_IDLE_MS 30000
void fm_ctl_set_idle_timeout(struct fm_ctl *ctl, unsigned ms);
int fm_ctl_register(struct fm_ctl *ctl, const char *cmd, fm_ctl_handler fn, void *ctx);

/* Run a registered command in-process, as a request {"cmd": cmd} would (the
 * metrics endpoint reads stats, peers, bindings this way). Returns a new
 * reference, or NULL with a message in err (also for an unknown command). */
json_t *fm_ctl_call(struct fm_ctl *ctl, const char *cmd, char *err, size_t errlen);

/* Fields added to the "version" reply, e.g. {"role": "lma", "instance": "lma1"}
 * (flowmobctl names the role of a socket with them); steals the reference. */
void fm_ctl_set_info(struct fm_ctl *ctl, json_t *info);

/* In-process observer of every event (after the monitors got it); fields are
 * borrowed. One hook; NULL removes it. */
typedef void (*fm_ctl_event_hook)(void *ctx, const char *event, const json_t *fields);
void fm_ctl_set_event_hook(struct fm_ctl *ctl, fm_ctl_event_hook fn, void *ctx);

/* Publish an event to every monitor connection; steals the reference to fields. */
void fm_ctl_event(struct fm_ctl *ctl, const char *event, json_t *fields);

#endif /* FLOWMOB_CTL_H */
