// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_state.c — libFuzzer target for the LMA's state import: the export document
 * (flowmobd --import FILE, and the one-time migration of the old lma.json: both go
 * through lma_import and agent/lma/lma_state.c's loader) restored by a fresh LMA at
 * start (lma_start), made from docs/examples/lma.yaml without an MH socket, a data
 * plane or a state directory. Any document must be imported or refused without a
 * crash or a leak, and the imported state must be consistent enough to answer
 * `bindings` and `flows` and to be exported again.
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
	cfg.state_dir[0] = 0; /* no store: the import alone */
	snprintf(file, sizeof(file), "%s/lma.json", dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lma_hooks h = {.send = no_send, .event = no_event};
	struct lma *l;
	char err[256];
	json_t *r, *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);

	if (!doc)
		return 0; /* flowmobd --import refuses it before the LMA sees it */
	l = lma_new(&cfg, &h);
	if (!l)
		abort();
	lma_import(l, doc);
	lma_start(l, 1000); /* refused or imported */
	json_t *q = json_object();

	json_decref(lma_state_export(l));

	r = lma_cmd_bindings(l, q, err, sizeof(err));
	json_decref(r);
	r = lma_cmd_flows(l, q, err, sizeof(err));
	json_decref(q);
	json_decref(r);
	lma_free(l);
	return 0;
}
