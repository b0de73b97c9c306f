/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bul.h — the MAG's binding update list (RFC 5213 §6.1), one entry per mobile
 * node interface attached to this MAG, and its registration state machine:
 *
 *   idle --start--> registering --PBA 0--> registered --refresh/update--> (registered,
 *   PBU outstanding) ... --stop--> deregistering --PBA / give up--> idle
 *
 * The entry builds its own Proxy Binding Updates (MN-ID, HNP — ::/0 on first
 * attach, the assigned set afterwards —, HI, ATT, Timestamp, Link-local Address,
 * MN Link-layer ID, the BID once the LMA allocated one, flow requests), retransmits
 * them as a proto/xact request (retransmit-initial doubling to retransmit-max; a
 * registration goes on at the maximum, a de-registration is given up after the try
 * sent at the maximum), refreshes before expiry and handles every PBA status. No
 * sockets: the entry's timers (the outstanding PBU, the next refresh or back-off, the
 * binding's expiry) are core/timer timers on the caller's wheel, the caller passes
 * "now" (monotonic ms) into every call and supplies a send hook and an event hook
 * for what the timers decide. The Timestamp option reads fm_wall() (clock.h).
 */
#ifndef FLOWMOB_BUL_H
#define FLOWMOB_BUL_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

#include "core/prefix.h"
#include "core/timer.h"
#include "daemon/config.h"
#include "mh/mh.h"
#include "mh/view.h"
#include "proto/xact.h"

#define BUL_MAX_PREFIXES 16
#define BUL_MAX_FLOW_REQ 8
#define BUL_NO_DEADLINE	 UINT64_MAX

enum bul_state {
	BUL_IDLE = 0,
	BUL_REGISTERING,   /* PBU sent, no binding yet */
	BUL_REGISTERED,	   /* binding accepted (a refresh or update may be outstanding) */
	BUL_DEREGISTERING, /* lifetime-0 PBU sent */
};

enum bul_event {
	BUL_EV_NONE = 0,
	BUL_EV_REGISTERED,   /* PBA 0: binding (re)established; prefixes/BID may have changed */
	BUL_EV_REJECTED,     /* PBA error: binding gone, retrying after a back-off */
	BUL_EV_DEREGISTERED, /* de-registration acknowledged or given up: entry is idle */
	BUL_EV_EXPIRED,	     /* lifetime ran out without a successful refresh */
};

struct bul_entry;

typedef int (*bul_send_fn)(void *ctx, const struct mh_msg *m);
/* What an entry's timer decided: BUL_EV_EXPIRED, or BUL_EV_DEREGISTERED when a
 * de-registration was given up. The hook may free the entry (after bul_entry_fini). */
typedef void (*bul_event_fn)(void *ctx, struct bul_entry *e, enum bul_event ev, uint64_t now);

struct bul_ctx {
	/* retransmit-initial, retransmit-max, lifetime (requested, rounded down to 4 s
	 * units): the configuration's, defaults filled by config.c */
	const struct fm_cfg_mag_timers *t;
	bul_send_fn send;
	void *send_ctx; /* also the event hook's */
	bul_event_fn event;
	struct fm_timers *wheel; /* the entries' timers */
};

struct bul_entry {
	/* identity (set by the caller) */
	char mn_id[FM_NAI_MAX + 1];
	uint8_t mac[6];
	char iface[IF_NAMESIZE];
	uint8_t att;
	struct in6_addr mag_ll; /* the shared link-local, sent in the Link-local Address option */
	int n_flow_req;
	struct fm_cfg_policy flow_req[BUL_MAX_FLOW_REQ];

	const struct bul_ctx *ctx; /* for the timers' callbacks */

	/* state */
	enum bul_state state;
	uint16_t seq;	    /* last sequence number sent */
	uint16_t seq_first; /* first sequence number of the outstanding exchange */
	bool awaiting;	    /* a PBU is outstanding */
	uint16_t bid;	    /* 0 until the LMA allocated one */
	int n_prefixes;
	struct fm_prefix prefixes[BUL_MAX_PREFIXES]; /* assigned by the LMA */
	bool pending_set; /* next PBU carries 'wanted' instead of the assigned set */
	int n_wanted;
	struct fm_prefix wanted[BUL_MAX_PREFIXES];
	bool flow_req_done;  /* flow requests were accepted once */
	uint8_t hi;	     /* Handoff Indicator of the next PBU */
	uint32_t lifetime_s; /* granted */
	uint64_t registered_ms, expires_ms, refresh_ms;
	struct fm_xact tx;	/* the outstanding PBU (awaiting) */
	struct fm_timer again;	/* registered: the refresh; registering: the back-off's end */
	struct fm_timer expiry; /* registered: the binding's lifetime ends */
	uint32_t tx_count, rx_count;
	uint8_t dereg_rounds; /* de-registration tries at retransmit-max after the first round */
	uint8_t last_status;
	uint64_t rejects;
};

/* Initialise an idle entry of c with the first sequence number to use. */
void bul_entry_init(struct bul_entry *e, const struct bul_ctx *c, const char *mn_id,
		    const uint8_t mac[6], const char *iface, uint8_t att,
		    const struct in6_addr *mag_ll, uint16_t seq0);
/* Stops the entry's timers (before it is freed). */
void bul_entry_fini(struct bul_entry *e);

/* idle -> registering: send the first PBU (HNP ::/0, HI 1). No-op unless idle. */
int bul_start(const struct bul_ctx *c, struct bul_entry *e, uint64_t now);
/* Registered: send a PBU now carrying 'set' (NULL: the assigned set), e.g. after a UPN. */
int bul_update(const struct bul_ctx *c, struct bul_entry *e, const struct fm_prefix *set, int n,
	       uint64_t now);
/* -> deregistering: send the lifetime-0 PBU. An idle entry stays idle. */
int bul_stop(const struct bul_ctx *c, struct bul_entry *e, uint64_t now);
/* Drop the entry to idle without signaling (binding revoked by the LMA). */
void bul_reset(struct bul_entry *e);
/* An idle entry taken as registered for the configured lifetime (state restored after
 * a restart, prefixes and BID already set), refreshed at once. */
int bul_restored(const struct bul_ctx *c, struct bul_entry *e, uint64_t now);

/* A PBA for this entry (matched by the caller on MN-ID, checked here on sequence). */
enum bul_event bul_on_pba(const struct bul_ctx *c, struct bul_entry *e, const struct pba_view *pba,
			  uint64_t now);
/* Next time one of the entry's timers fires, or BUL_NO_DEADLINE (tests, diagnostics). */
uint64_t bul_deadline(const struct bul_entry *e);

/* The PBU the entry would send now with the given lifetime (tests, diagnostics). */
int bul_build_pbu(const struct bul_ctx *c, const struct bul_entry *e, uint32_t lifetime_s,
		  struct mh_msg *out);

const char *bul_state_name(enum bul_state s);
const char *bul_event_name(enum bul_event ev);

#endif /* FLOWMOB_BUL_H */
