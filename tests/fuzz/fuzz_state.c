// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_state.c — libFuzzer target for the LMA's state import: the JSON state file
 * (agent/lma/lma_state.c, lma_state_load through agent/core/state.c) read by a fresh
 * LMA at start (lma_start), made from docs/examples/lma.yaml without an MH socket or a
 * data plane. Any file must be imported or refused without a crash or a leak, and the
 * imported state must be consistent enough to answer `bindings` and `flows` and to
 * be saved again. (The JSON file is today's state format; when the state store's
 * import lands, this target feeds the same bytes to it.)
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "daemon/config.h"
#include "lma/lma.h"

static struct fm_config cfg;
static char dir[] = "/tmp/fm-fuzz-stateXXXXXX", file[128];

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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc, (void)argv;
	fm_log_set_level(FM_LOG_ERROR + 0);
	if (!mkdtemp(dir) || fm_config_load("docs/examples/lma.yaml", &cfg, err, sizeof(err))) {
		fprintf(stderr, "fuzz_state: %s (run from the repository)\n", err);
		abort();
	}
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", dir);
	snprintf(file, sizeof(file), "%s/lma.json", dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lma_hooks h = {.send = no_send, .event = no_event};
	struct lma *l;
	char err[256];
	json_t *r;
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	l = lma_new(&cfg, &h);
	if (!l)
		abort();
	lma_start(l, 1000); /* loads the state file: refused or imported */
	json_t *q = json_object();

	r = lma_cmd_bindings(l, q, err, sizeof(err));
	json_decref(r);
	r = lma_cmd_flows(l, q, err, sizeof(err));
	json_decref(q);
	json_decref(r);
	lma_free(l);
	return 0;
}
