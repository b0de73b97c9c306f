// SPDX-License-Identifier: GPL-2.0
/*
 * dp_ops.c — fm_dp_ops, the one table through which the roles call the data plane:
 * the fm_dp_* functions of dataplane.c as they are, plus the global counters as a
 * JSON object for the roles' `stats` command.
 */
#include <stdlib.h>
#include <jansson.h>

#include "dp/dataplane.h"

static json_t *stats_json(struct fm_dp *dp)
{
	int n = fm_dp_stats_count();
	uint64_t *v;
	json_t *o;

	if (!dp || n <= 0)
		return NULL;
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return NULL;
	if (fm_dp_stats(dp, v, n) < 0) {
		free(v);
		return NULL;
	}
	o = json_object();
	for (int i = 0; o && i < n; i++)
		json_object_set_new(o, fm_dp_stat_name(i), json_integer((json_int_t)v[i]));
	free(v);
	return o;
}

const struct fm_dp_ops fm_dp_ops = {
    .prefix_set = fm_dp_prefix_set,
    .prefix_del = fm_dp_prefix_del,
    .binding_set = fm_dp_binding_set,
    .binding_del = fm_dp_binding_del,
    .peer_set = fm_dp_peer_set,
    .peer_del = fm_dp_peer_del,
    .rules_set = fm_dp_rules_set,
    .mn_del = fm_dp_mn_del,
    .binding_counters = fm_dp_binding_counters,
    .fid_counters = fm_dp_fid_counters,
    .bindings_foreach = fm_dp_bindings_foreach,
    .prefixes_foreach = fm_dp_prefixes_foreach,
    .mag_route_set = fm_dp_mag_route_set,
    .mag_route_del = fm_dp_mag_route_del,
    .mn_counters = fm_dp_mn_counters,
    .limits = fm_dp_limits,
    .stats_json = stats_json,
};
