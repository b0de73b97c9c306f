// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ctl.c — libFuzzer target for control-socket requests: one JSON line through
 * the control socket's request dispatch (agent/core/ctl.c, fm_ctl_request) into the
 * LMA's command handlers (bindings, flows, stats, peers, flow.add, flow.move,
 * flow.del), run against a real LMA (agent/lma) made from docs/examples/lma.yaml with
 * no MH socket and no data plane. Every input must get a reply object ({"ok": ...});
 * the LMA's state is reset every 256 inputs so flows added by one input do not grow
 * without bound.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ctl.h"
#include "core/log.h"
#include "daemon/config.h"
#include "lma/lma.h"

static struct fm_config cfg;
static struct fm_ctl *ctl;
static struct lma *l;
static struct ev_loop *loop;
static char dir[] = "/tmp/fm-fuzz-ctlXXXXXX";
static unsigned runs;
static uint64_t now = 1000;

static int no_send(void *ctx, const struct mh_msg *m, const struct in6_addr *dst)
{
	(void)ctx, (void)m, (void)dst;
	return 0;
}

static void no_event(void *ctx, const char *name, json_t *fields)
{
	(void)ctx, (void)name;
	json_decref(fields);
}

static void lma_up(void)
{
	struct lma_hooks h = {.send = no_send, .event = no_event};

	l = lma_new(&cfg, &h);
	if (!l || lma_start(l, now))
		abort();
	fm_ctl_register(ctl, "bindings", lma_cmd_bindings, l);
	fm_ctl_register(ctl, "flows", lma_cmd_flows, l);
	fm_ctl_register(ctl, "stats", lma_cmd_stats, l);
	fm_ctl_register(ctl, "peers", lma_cmd_peers, l);
	fm_ctl_register(ctl, "flow.add", lma_cmd_flow_add, l);
	fm_ctl_register(ctl, "flow.move", lma_cmd_flow_move, l);
	fm_ctl_register(ctl, "flow.del", lma_cmd_flow_del, l);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512], sock[64];

	(void)argc, (void)argv;
	fm_log_set_level(FM_LOG_ERROR);
	if (!mkdtemp(dir) || fm_config_load("docs/examples/lma.yaml", &cfg, err, sizeof(err))) {
		fprintf(stderr, "fuzz_ctl: %s (run from the repository)\n", err);
		abort();
	}
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/state", dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	loop = ev_loop_new(EVFLAG_AUTO);
	if (fm_ctl_open(loop, sock, &ctl))
		abort();
	lma_up();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *r = fm_ctl_request(ctl, (const char *)data, size);

	if (!r || !json_is_boolean(json_object_get(r, "ok")))
		abort();
	json_decref(r);
	if (++runs % 256 == 0) {
		/* a fresh LMA (and a fresh control socket's command table) */
		fm_ctl_close(ctl);
		lma_free(l);
		char sock[64];

		snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
		unlink(sock);
		if (fm_ctl_open(loop, sock, &ctl))
			abort();
		lma_up();
	}
	return 0;
}
