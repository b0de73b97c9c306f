// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_config.c — libFuzzer target for the YAML configuration (agent/daemon/config.c,
 * fm_config_load_mem: libcyaml and every semantic check). Any input must be accepted
 * or refused with a message, without a crash or a leak; an accepted one must name a
 * role.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/log.h"
#include "daemon/config.h"

static struct fm_config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];

	fm_log_set_level(FM_LOG_ERROR);
	if (fm_config_load_mem("/nonexistent/fuzz.yaml", data, size, &cfg, err, sizeof(err)) == 0) {
		if (cfg.role != FM_ROLE_LMA && cfg.role != FM_ROLE_MAG)
			abort();
	} else if (!err[0]) {
		abort(); /* a refusal always says why */
	}
	return 0;
}
