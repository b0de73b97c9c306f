// SPDX-License-Identifier: GPL-2.0
/*
 * lma_rate.c — PBU→PBA processing rate of the LMA logic on one core (in process:
 * decoded PBU in, PBA encoded by the real codec, no socket and no kernel). With N
 * bindings registered first, it then measures N initial registrations and R
 * refreshes (re-registrations with the BID) round-robin over the bindings.
 *
 *   lma_rate [N bindings] [R refreshes]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "lma/lma.h"
#include "core/log.h"

static uint64_t n_pba, n_bad;
static uint8_t wire[4096];

static int cap_send(void *ctx, const struct mh_msg *m, const struct in6_addr *dst)
{
	struct mh_err err;

	(void)ctx;
	(void)dst;
	/* encode, as the socket would: the cost of the PBA on the wire is counted */
	if (mh_encode(m, wire, sizeof(wire), &err) < 0 || m->status != 0)
		n_bad++;
	n_pba++;
	return 0;
}

static double secs(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void mkpbu(struct mh_msg *m, const char *nai, uint16_t seq, uint16_t bid)
{
	struct mh_opt *o;
	struct timespec w;

	memset(m, 0, sizeof(*m));
	m->kind = MH_PBU;
	m->seq = seq;
	m->flags = MH_PBU_A | MH_PBU_P;
	m->lifetime = 3600;
	o = mh_opt_add(m, MH_OPT_MN_ID);
	o->mn_id.subtype = 1;
	o->mn_id.len = (uint8_t)strlen(nai);
	memcpy(o->mn_id.id, nai, o->mn_id.len);
	mh_opt_add(m, MH_OPT_HNP);
	mh_opt_add(m, MH_OPT_HI)->hi = bid ? MH_HI_NOT_CHANGED : MH_HI_NEW_IFACE;
	mh_opt_add(m, MH_OPT_ATT)->att = 4;
	fm_wall(&w);
	o = mh_opt_add(m, MH_OPT_TIMESTAMP);
	o->timestamp.seconds = (uint64_t)w.tv_sec;
	o->timestamp.fraction = (uint16_t)(((uint64_t)w.tv_nsec << 16) / 1000000000ull);
	if (bid)
		mh_opt_add(m, MH_OPT_BID)->bid.bid = bid;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
	unsigned r = argc > 2 ? (unsigned)atoi(argv[2]) : 100000;
	static struct fm_config cfg;
	struct lma_hooks h = {.send = cap_send};
	struct mh_msg *m = malloc(sizeof(*m));
	struct in6_addr mag;
	struct lma *l;
	double t0, t1, t2;
	char nai[64];

	fm_log_set_level(FM_LOG_ERROR);
	inet_pton(AF_INET6, "fd00:11::2", &mag);
	inet_pton(AF_INET6, "fd00:100::", &cfg.lma.prefix_pool.addr);
	cfg.lma.prefix_pool.plen = 40; /* room for the largest runs */
	cfg.lma.prefix_policy = FM_PP_UNIQUE;
	cfg.lma.ordering = FM_ORDER_TIMESTAMP;
	cfg.lma.flow_signaling = FM_SIG_FMI;
	cfg.lma.mags[0] = mag;
	cfg.lma.n_mags = 1;
	cfg.lma.timers.timestamp_window_ms = 300;
	cfg.lma.timers.max_lifetime_s = 65532;
	l = lma_new(&cfg, &h);
	if (!l || !m || lma_start(l, fm_now_ms()))
		return 1;
	t0 = secs();
	for (unsigned i = 0; i < n; i++) {
		snprintf(nai, sizeof(nai), "mn%u@bench", i);
		mkpbu(m, nai, 1, 0);
		lma_rx(l, m, &mag, fm_now_ms());
	}
	t1 = secs();
	for (unsigned i = 0; i < r; i++) {
		snprintf(nai, sizeof(nai), "mn%u@bench", i % n);
		mkpbu(m, nai, (uint16_t)(2 + i / n), 1);
		lma_rx(l, m, &mag, fm_now_ms());
	}
	t2 = secs();
	printf("bindings %u: registrations %.0f PBU->PBA/s (%u in %.3f s); "
	       "refreshes %.0f PBU->PBA/s (%u in %.3f s); rejected %llu\n",
	       n, n / (t1 - t0), n, t1 - t0, r / (t2 - t1), r, t2 - t1, (unsigned long long)n_bad);
	lma_free(l);
	free(m);
	return n_bad ? 1 : 0;
}
