// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c — data-plane benchmarks (numbers are reported, never asserted).
 *
 *  bench_dp testrun
 *      ns/packet of each path from BPF_PROG_TEST_RUN, in a private network
 *      namespace. Encapsulating programs change their buffer, so every run is a
 *      separate test_run (repeat = 1) and the kernel-measured duration of an empty
 *      program (the harness) is subtracted. LMA downlink with 1, 10k and 1M MNs
 *      (sharing one rule-set template) and 1/16/64 rules, flow-cache hit and miss.
 *
 *  bench_dp live GEN_NS GEN_IF LMA_NS LMA_IN LMA_OUT SINK_NS SINK_IF DST_MAC SECONDS
 *      packets/s of the LMA alone: a BPF_F_TEST_XDP_LIVE_FRAMES generator in GEN_NS
 *      sends 64-octet CN -> MN frames into LMA_NS, the sink (an XDP counter at the
 *      MAG's ingress) counts what arrives; first with the kernel's own IPv6
 *      forwarding (run.sh installs the route), then with the flowmob LMA in XDP and
 *      in TC mode; prints the ratios.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <jansson.h>

#include "dp/dataplane.h"
#include "core/log.h"
#include "fm_bench.skel.h"

__attribute__((weak)) void fm_log(enum fm_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > FM_LOG_WARN && !getenv("FM_BENCH_VERBOSE"))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}
__attribute__((weak)) enum fm_log_level fm_log_get_level(void)
{
	return FM_LOG_WARN;
}

#define FRAME 64

static const uint8_t MAC_A[6] = {0x02, 0xaa, 0, 0, 0, 1};
static const uint8_t MAC_B[6] = {0x02, 0xbb, 0, 0, 0, 2};

static struct in6_addr A(const char *s) {
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

/* MN i owns fd00:100:<i >> 16>:<i & 0xffff>::/64. */
static struct in6_addr
mn_prefix(uint32_t i)
{
	struct in6_addr a = A("fd00:100::");

	a.s6_addr[4] = (uint8_t)(i >> 24);
	a.s6_addr[5] = (uint8_t)(i >> 16);
	a.s6_addr[6] = (uint8_t)(i >> 8);
	a.s6_addr[7] = (uint8_t)i;
	return a;
}

/* A 64-octet Ethernet + IPv6 + UDP frame src -> dst. */
static void frame(uint8_t *b, const struct in6_addr *src, const struct in6_addr *dst,
		  uint16_t sport, uint16_t dport)
{
	uint16_t plen = htons(FRAME - 54);

	memset(b, 0, FRAME);
	memcpy(b, MAC_A, 6);
	memcpy(b + 6, MAC_B, 6);
	b[12] = 0x86;
	b[13] = 0xdd;
	b[14] = 0x60;
	memcpy(b + 18, &plen, 2);
	b[20] = 17;
	b[21] = 64;
	memcpy(b + 22, src, 16);
	memcpy(b + 38, dst, 16);
	b[54] = (uint8_t)(sport >> 8);
	b[55] = (uint8_t)sport;
	b[56] = (uint8_t)(dport >> 8);
	b[57] = (uint8_t)dport;
	b[59] = FRAME - 54;
}

/* Wraps a frame's IPv6 packet in an outer header src -> dst (tunnel input). */
static size_t tunnelled(uint8_t *o, const uint8_t *in, const char *src, const char *dst)
{
	struct in6_addr s = A(src), d = A(dst);
	uint16_t plen = htons(FRAME - 14);

	memcpy(o, in, 14);
	memset(o + 14, 0, 40);
	o[14] = 0x60;
	memcpy(o + 18, &plen, 2);
	o[20] = 41;
	o[21] = 64;
	memcpy(o + 22, &s, 16);
	memcpy(o + 38, &d, 16);
	memcpy(o + 54, in + 14, FRAME - 14);
	return FRAME + 40;
}

static uint8_t outbuf[4096];

/* Kernel-measured ns of one run, averaged over `iters` runs of the frames in pk
 * (nframes of len bytes each); the best of three rounds, since single runs are
 * noisy. vary: rewrite the source port every run (flow-cache misses). */
static double measure1(int fd, uint8_t *pk, size_t len, uint32_t nframes, uint32_t iters, int vary)
{
	uint64_t total = 0;
	uint32_t n = 0;
	static uint16_t sport = 1;
	static uint32_t seq;

	/* whole cycles over the active set: every frame is sent equally often */
	if (iters % nframes)
		iters += nframes - iters % nframes;
	for (uint32_t i = 0; i < iters; i++) {
		uint8_t *p = pk + (size_t)(i % nframes) * len;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p, .data_size_in = (uint32_t)len,
			    .data_out = outbuf, .data_size_out = sizeof(outbuf), .repeat = 1);

		if (vary) {
			sport = (uint16_t)(sport + 1) ? (uint16_t)(sport + 1) : 1;
			seq++;
			p[54] = (uint8_t)(sport >> 8);
			p[55] = (uint8_t)sport;
			p[57] = (uint8_t)(seq >> 16); /* dport low byte: > 65535 distinct flows */
		}
		if (bpf_prog_test_run_opts(fd, &o))
			continue;
		total += o.duration;
		n++;
	}
	return n ? (double)total / n : -1;
}

static double measure(int fd, uint8_t *pk, size_t len, uint32_t nframes, uint32_t iters, int vary)
{
	double best = -1;

	if (iters < 3000)
		return measure1(fd, pk, len, nframes, iters, vary);
	for (int r = 0; r < 3; r++) {
		double v = measure1(fd, pk, len, nframes, iters / 3, vary);

		if (v >= 0 && (best < 0 || v < best))
			best = v;
	}
	return best;
}

static double harness_ns;
static json_t *rows_json; /* the rows, for build/bench/results.json */
static struct fm_dp *cur_dp;
static uint64_t st_hit, st_miss;

/* Flow-cache hit ratio since the last call (from the data plane's own counters). */
static double hit_ratio(void)
{
	uint64_t v[128] = {0}, h, m;
	int n = fm_dp_stats_count(), ih = -1, im = -1;
	double r;

	fm_dp_stats(cur_dp, v, n < 128 ? n : 128);
	for (int i = 0; i < n && i < 128; i++) {
		if (!strcmp(fm_dp_stat_name(i), "flow_cache_hit"))
			ih = i;
		if (!strcmp(fm_dp_stat_name(i), "flow_cache_miss"))
			im = i;
	}
	if (ih < 0 || im < 0)
		return -1;
	h = v[ih] - st_hit;
	m = v[im] - st_miss;
	st_hit = v[ih];
	st_miss = v[im];
	r = h + m ? 100.0 * (double)h / (double)(h + m) : -1;
	return r;
}

/* One row: path, MNs installed, MNs the traffic goes to, rules, cache case. */
static void row(const char *path, const char *mns, uint32_t active, const char *rules,
		const char *cache, double ns)
{
	double hr = cur_dp ? hit_ratio() : -1;
	char hb[16] = "-", ab[16];

	if (hr >= 0)
		snprintf(hb, sizeof(hb), "%.0f%%", hr);
	snprintf(ab, sizeof(ab), active >= 1000 ? "%uk" : "%u",
		 active >= 1000 ? (active + 512) / 1024 : active);
	printf("| %-36s | %5s | %6s | %5s | %5s | %5s | %8.1f |\n", path, mns, ab, rules, cache, hb,
	       ns - harness_ns);
	fflush(stdout);
	if (rows_json)
		json_array_append_new(
		    rows_json, json_pack("{s:s, s:s, s:i, s:s, s:s, s:f, s:f}", "path", path, "mns",
					 mns, "active", (json_int_t)active, "rules", rules, "cache",
					 cache, "hit_pct", hr, "ns", ns - harness_ns));
}

/* Merges section into the JSON object in path (created when missing): the other
 * sections of the file (written by other benchmarks) stay. */
static void results_merge(const char *path, const char *section, json_t *v)
{
	json_t *all = json_load_file(path, 0, NULL);

	if (!all || !json_is_object(all)) {
		json_decref(all);
		all = json_object();
	}
	json_object_set(all, section, v);
	if (json_dump_file(all, path, JSON_INDENT(1) | JSON_SORT_KEYS))
		fprintf(stderr, "bench: cannot write %s\n", path);
	json_decref(all);
}

static void set_rules(struct fm_dp *dp, uint32_t from, uint32_t to, unsigned nr)
{
	static struct fm_dp_rule rs[FM_DP_RULES_MAX];

	/* A placement-policy template: port rules the bench flow never matches, so a
	 * miss scans all of them; bid 0 + ATT makes the set shareable by every MN. */
	for (unsigned i = 0; i < nr; i++) {
		memset(&rs[i], 0, sizeof(rs[i]));
		rs[i].fid = (uint16_t)(1 + i);
		rs[i].priority = (uint16_t)(1 + i);
		rs[i].active = true;
		rs[i].n_att = 1;
		rs[i].att[0] = 4;
		rs[i].ts.format = TS_FMT_IPV6;
		rs[i].ts.f[TS_NEXT_HEADER].n = TS_EXACT;
		rs[i].ts.f[TS_NEXT_HEADER].num[0] = 17;
		rs[i].ts.f[TS_SRC_PORT].n = TS_RANGE;
		rs[i].ts.f[TS_SRC_PORT].num[0] = 1;
		rs[i].ts.f[TS_SRC_PORT].num[1] = 65535;
		rs[i].ts.f[TS_DST_PORT].n = TS_RANGE;
		rs[i].ts.f[TS_DST_PORT].num[0] = 60000 + i;
		rs[i].ts.f[TS_DST_PORT].num[1] = 60000 + i;
	}
	for (uint32_t mn = from; mn < to; mn++)
		fm_dp_rules_set(dp, mn, rs, nr);
}

static int populate(struct fm_dp *dp, uint32_t from, uint32_t to)
{
	struct fm_dp_binding b = {.coa = A("fd00:11::2"), .att = 3};

	for (uint32_t mn = from; mn < to; mn++) {
		struct in6_addr p = mn_prefix(mn);

		if (fm_dp_prefix_set(dp, &p, 64, mn, 1) || fm_dp_binding_set(dp, mn, 1, &b) ||
		    fm_dp_nexthop_static(dp, mn, 1, 2, MAC_B, MAC_A))
			return -1;
	}
	return 0;
}

static int cmd_testrun(void)
{
	static const uint32_t mns[] = {1, 10000, 1000000};
	static const unsigned rules[] = {1, 16, 64, 256};
	const uint32_t iters = 100000, maxk = 65536;
	struct fm_dp_opts o = {.instance = NULL,
			       .role = FM_DP_LMA,
			       .mode = FM_DP_MODE_XDP,
			       .tunnel_mtu = 1500,
			       .max_mns = 1000001,
			       .max_rulesets = 64,
			       .flow_cache = 2097152};
	struct fm_bench *sk;
	struct fm_dp *dp = NULL;
	char inst[64];
	uint8_t *pk;
	uint32_t have = 0;
	struct in6_addr cn = A("fd00:1::2");

	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (unshare(CLONE_NEWNET)) {
		perror("unshare");
		return 1;
	}
	/* a real route for the uplink rows (the FIB must not answer early) */
	if (system("ip link set lo up && sysctl -qw net.ipv6.conf.all.forwarding=1 && "
		   "ip link add br0 type veth peer name br1 && ip link set br0 up && "
		   "ip link set br1 up && ip -6 addr add fd00:77::1/64 dev br0 nodad && "
		   "ip -6 neigh replace fd00:77::2 lladdr 02:77:00:00:00:02 dev br0 nud permanent "
		   "&& ip -6 route add fd00:1::/64 via fd00:77::2 dev br0")) {
		fprintf(stderr, "bench: could not set up the uplink route\n");
	}
	rows_json = json_array();
	sk = fm_bench__open_and_load();
	if (!sk) {
		fprintf(stderr, "bench: load fm_bench\n");
		return 1;
	}
	pk = malloc((size_t)maxk * (FRAME + 40));
	if (!pk)
		return 1;
	frame(pk, &cn, &cn, 1, 1);
	harness_ns = 0;
	harness_ns = measure(bpf_program__fd(sk->progs.fm_bench_nop), pk, FRAME, 1, iters, 0);

	snprintf(inst, sizeof(inst), "bench%d", getpid());
	o.instance = inst;
	o.local = A("fd00:11::1");
	if (fm_dp_open(&o, &dp)) {
		fprintf(stderr, "bench: open data plane\n");
		return 1;
	}
	printf(
	    "## test_run, ns/packet (kernel-measured, minus the empty-program harness %.1f ns)\n",
	    harness_ns);
	printf("# MNs: installed; active: MNs the traffic goes to, spread over all ids, every\n"
	       "# one warmed up and sent equally often\n\n");
	printf("| %-36s | %5s | %6s | %5s | %5s | %5s | %8s |\n", "path", "MNs", "active", "rules",
	       "cache", "hit%", "ns/pkt");
	printf("|%s|%s|%s|%s|%s|%s|%s|\n", "--------------------------------------", "-------",
	       "--------", "-------", "-------", "-------", "----------");
	cur_dp = dp;
	hit_ratio();
	{
		int fx = fm_dp_prog_fd(dp, false), ft = fm_dp_prog_fd(dp, true);

		for (unsigned mi = 0; mi < 3; mi++) {
			uint32_t n = mns[mi];
			char mbuf[16];

			if (populate(dp, have, n)) {
				fprintf(stderr, "bench: populate %u MNs failed\n", n);
				return 1;
			}
			have = n;
			snprintf(mbuf, sizeof(mbuf),
				 n >= 1000000 ? "%uM"
				 : n >= 1000  ? "%uk"
					      : "%u",
				 n >= 1000000 ? n / 1000000
				 : n >= 1000  ? n / 1000
					      : n);
			/* Two traffic mixes: 1024 active MNs spread over the whole id range
			 * (the algorithmic cost), and 65536 (memory-bound: every lookup
			 * misses the CPU caches between test_run calls). */
			for (int spread = 0; spread < 2; spread++) {
				uint32_t k = spread ? maxk : 1024;

				if (k > n)
					k = n;
				if (spread && k <= 1024)
					continue;
				for (uint32_t i = 0; i < k; i++) {
					uint32_t mn = (uint32_t)(((uint64_t)i * n) / k);
					struct in6_addr d = mn_prefix(mn);

					d.s6_addr[15] = 0x10;
					frame(pk + (size_t)i * FRAME, &cn, &d, 1000, 2000);
				}
				set_rules(dp, 0, n, 0);
				measure1(fx, pk, FRAME, k, k, 0); /* warm-up: every active MN */
				hit_ratio();
				row("lma downlink encap (no rules)", mbuf, k, "0", "hit",
				    measure(fx, pk, FRAME, k, iters, 0));
				for (unsigned ri = 0; ri < 4; ri++) {
					char rbuf[8];

					if (spread && ri != 1)
						continue;
					if (ri == 3 && n != 1)
						continue; /* 256 rules: the 1-MN rows only */
					snprintf(rbuf, sizeof(rbuf), "%u", rules[ri]);
					set_rules(dp, 0, n, rules[ri]);
					for (uint32_t i = 0; i < k; i++) {
						uint8_t *p = pk + (size_t)i * FRAME;

						p[54] = 0x03;
						p[55] = 0xe8; /* sport 1000 */
						p[56] = 0x07;
						p[57] = 0xd0; /* dport 2000 */
					}
					measure1(fx, pk, FRAME, k, k, 0); /* warm-up: every flow */
					hit_ratio();
					row("lma downlink encap", mbuf, k, rbuf, "hit",
					    measure(fx, pk, FRAME, k, iters, 0));
					row("lma downlink encap", mbuf, k, rbuf, "miss",
					    measure(fx, pk, FRAME, k, iters / 2, 1));
				}
			}
		}
		/* XDP and TC on the same traffic: 1024 MNs spread over the 1M ids */
		set_rules(dp, 0, have, 16);
		for (uint32_t i = 0; i < 1024; i++) {
			struct in6_addr d = mn_prefix((uint32_t)(((uint64_t)i * have) / 1024));

			d.s6_addr[15] = 0x10;
			frame(pk + (size_t)i * FRAME, &cn, &d, 1000, 2000);
		}
		measure1(fx, pk, FRAME, 1024, 1024, 0);
		hit_ratio();
		row("lma downlink encap, XDP (same as TC)", "1M", 1024, "16", "hit",
		    measure(fx, pk, FRAME, 1024, iters, 0));
		measure1(ft, pk, FRAME, 1024, 1024, 0);
		hit_ratio();
		row("lma downlink encap, TC (skb)", "1M", 1024, "16", "hit",
		    measure(ft, pk, FRAME, 1024, iters, 0));
		/* uplink MN 0 -> CN, and MN 0 -> MN 1 */
		{
			uint8_t in[FRAME];
			struct in6_addr s = mn_prefix(0), d1 = mn_prefix(1);
			struct in6_addr mag = A("fd00:11::2");

			s.s6_addr[15] = 0x10;
			d1.s6_addr[15] = 0x10;
			fm_dp_peer_set(dp, &mag);
			frame(in, &s, &cn, 2000, 1000);
			tunnelled(pk, in, "fd00:11::2", "fd00:11::1");
			measure1(fx, pk, FRAME + 40, 1, 10, 0);
			hit_ratio();
			row("lma uplink decap, routed (cached nh)", "1M", 1, "16", "-",
			    measure(fx, pk, FRAME + 40, 1, iters, 0));
			frame(in, &s, &d1, 2000, 1000);
			tunnelled(pk, in, "fd00:11::2", "fd00:11::1");
			measure1(fx, pk, FRAME + 40, 1, 10, 0);
			hit_ratio();
			row("lma MN->MN (decap + encap)", "1M", 1, "16", "hit",
			    measure(fx, pk, FRAME + 40, 1, iters, 0));
		}
	}
	{
		char path[600];

		snprintf(path, sizeof(path), "%s", fm_dp_pin_dir(dp));
		cur_dp = NULL;
		fm_dp_close(dp);
		fm_dp_cleanup(&o);
	}
	/* MAG */
	{
		struct fm_dp_opts m = {
		    .role = FM_DP_MAG, .mode = FM_DP_MODE_XDP, .tunnel_mtu = 1500};
		struct in6_addr p = mn_prefix(0), s = mn_prefix(0);
		uint8_t in[FRAME];

		snprintf(inst, sizeof(inst), "benchm%d", getpid());
		m.instance = inst;
		m.local = A("fd00:11::2");
		m.lma = A("fd00:11::1");
		if (fm_dp_open(&m, &dp))
			return 1;
		fm_dp_mag_route_set(dp, &p, 64, "lo", MAC_B, 0);
		fm_dp_nexthop_static(dp, 0, 0, 2, MAC_B, MAC_A);
		s.s6_addr[15] = 0x10;
		frame(in, &cn, &s, 1000, 2000);
		tunnelled(pk, in, "fd00:11::1", "fd00:11::2");
		row("mag downlink decap", "1", 1, "-", "-",
		    measure(fm_dp_prog_fd(dp, false), pk, FRAME + 40, 1, iters, 0));
		frame(pk, &s, &cn, 2000, 1000);
		row("mag uplink encap", "1", 1, "-", "-",
		    measure(fm_dp_prog_fd(dp, false), pk, FRAME, 1, iters, 0));
		fm_dp_close(dp);
		fm_dp_cleanup(&m);
	}
	fm_bench__destroy(sk);
	free(pk);
	{
		const char *out = getenv("BENCH_JSON");
		json_t *sec = json_pack("{s:f, s:o}", "harness_ns", harness_ns, "rows", rows_json);

		if (out && sec)
			results_merge(out, "dataplane_testrun", sec);
		json_decref(sec);
		rows_json = NULL;
	}
	return 0;
}

/* ---- live ---------------------------------------------------------------------------- */

static int enter(const char *ns)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "bench: netns %s: %s\n", ns, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static uint64_t sink_count(struct fm_bench *sk, int ncpu)
{
	uint64_t v[512] = {0}, s = 0;
	uint32_t zero = 0;

	bpf_map_lookup_elem(bpf_map__fd(sk->maps.sink_cnt), &zero, v);
	for (int i = 0; i < ncpu && i < 512; i++)
		s += v[i];
	return s;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs the generator for about `seconds`; returns packets/s that reached the sink. */
static double pps(struct fm_bench *sk, int ncpu, const char *gen_ns, double seconds)
{
	uint8_t buf[FRAME];
	double best = 0;

	memcpy(buf, sk->bss->tmpl, FRAME);
	if (enter(gen_ns))
		return -1;
	for (int round = 0; round < 3; round++) {
		uint32_t repeat = 200000;
		double t0, t1;
		uint64_t c0, c1;

		/* size the run to about seconds/3 from a short probe */
		for (;;) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = FRAME,
				    .repeat = repeat, .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
				    .batch_size = 64);

			c0 = sink_count(sk, ncpu);
			t0 = now_s();
			if (bpf_prog_test_run_opts(bpf_program__fd(sk->progs.fm_bench_gen), &o)) {
				fprintf(stderr, "bench: live test_run: %s\n", strerror(errno));
				return -1;
			}
			t1 = now_s();
			c1 = sink_count(sk, ncpu);
			if (t1 - t0 > seconds / 6 || repeat > 50000000)
				break;
			repeat *= 4;
		}
		if ((double)(c1 - c0) / (t1 - t0) > best)
			best = (double)(c1 - c0) / (t1 - t0);
	}
	return best;
}

static int cmd_live(char **a)
{
	const char *gen_ns = a[0], *gen_if = a[1], *lma_ns = a[2], *lma_in = a[3], *lma_out = a[4],
		   *sink_ns = a[5], *sink_if = a[6];
	double seconds = atof(a[8]), k, x = 0, x0 = 0, t = 0, f = 0;
	int ncpu = libbpf_num_possible_cpus(), sink_idx;
	unsigned int mac[6];
	struct fm_bench *sk;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	sk = fm_bench__open_and_load();
	if (!sk)
		return 1;
	if (sscanf(a[7], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
		   &mac[5]) != 6)
		return 2;
	{
		struct in6_addr cn = A("fd00:1::2"), mn = A("fd00:100:0:1::10");

		frame(sk->bss->tmpl, &cn, &mn, 1000, 2000);
		for (int i = 0; i < 6; i++)
			sk->bss->tmpl[i] = (uint8_t)mac[i];
	}
	if (enter(sink_ns))
		return 1;
	sink_idx = (int)if_nametoindex(sink_if);
	if (bpf_xdp_attach(sink_idx, bpf_program__fd(sk->progs.fm_bench_sink), XDP_FLAGS_DRV_MODE,
			   NULL)) {
		fprintf(stderr, "bench: attach sink: %s\n", strerror(errno));
		return 1;
	}
	if (enter(gen_ns))
		return 1;
	sk->bss->gen_ifindex = if_nametoindex(gen_if);

	k = pps(sk, ncpu, gen_ns, seconds);
	/* floor: a blind XDP redirect l0 -> l1 (generator and sink cost only) */
	if (enter(lma_ns))
		return 1;
	{
		int l0 = (int)if_nametoindex(lma_in);

		sk->bss->fwd_ifindex = if_nametoindex(lma_out);
		if (bpf_xdp_attach(l0, bpf_program__fd(sk->progs.fm_bench_fwd), XDP_FLAGS_DRV_MODE,
				   NULL) == 0) {
			f = pps(sk, ncpu, gen_ns, seconds);
			enter(lma_ns);
			bpf_xdp_detach(l0, XDP_FLAGS_DRV_MODE, NULL);
		}
	}
	for (int mode = 0; mode < 2; mode++) {
		struct fm_dp_opts o = {.role = FM_DP_LMA,
				       .mode = mode ? FM_DP_MODE_TC : FM_DP_MODE_XDP};
		struct fm_dp *dp = NULL;
		struct fm_dp_binding b = {.coa = A("fd00:11::2"), .att = 3};
		struct in6_addr p = A("fd00:100:0:1::");
		char inst[64];

		snprintf(inst, sizeof(inst), "benchlive%d", getpid());
		o.instance = inst;
		o.local = A("fd00:11::1");
		o.core_ifaces[o.n_core++] = lma_in;
		o.access_ifaces[o.n_access++] = lma_out;
		if (enter(lma_ns) || fm_dp_open(&o, &dp))
			return 1;
		fm_dp_prefix_set(dp, &p, 64, 1, 1);
		fm_dp_binding_set(dp, 1, 1, &b);
		if (mode) {
			set_rules(dp, 1, 2, 16);
			t = pps(sk, ncpu, gen_ns, seconds);
		} else {
			x0 = pps(sk, ncpu, gen_ns, seconds);
			enter(lma_ns);
			set_rules(dp, 1, 2, 16); /* 16-rule template: flow-cache hits */
			x = pps(sk, ncpu, gen_ns, seconds);
		}
		enter(lma_ns);
		fm_dp_close(dp);
		fm_dp_cleanup(&o);
	}
	enter(sink_ns);
	bpf_xdp_detach(sink_idx, XDP_FLAGS_DRV_MODE, NULL);
	fm_bench__destroy(sk);

	printf("\n## LMA packets/s, 64-octet CN -> MN frames, one CPU (generator, LMA and sink "
	       "share it)\n\n");
	printf("| %-44s | %10s | %8s |\n", "forwarding on the LMA", "Mpps", "ratio");
	printf("|----------------------------------------------|------------|----------|\n");
	printf("| %-44s | %10.3f | %8.2f |\n", "kernel IPv6 forwarding (no tunnel)", k / 1e6, 1.0);
	printf("| %-44s | %10.3f | %8.2f |\n", "flowmob LMA, XDP, 16 rules (flow-cache hit)",
	       x / 1e6, k > 0 ? x / k : 0);
	printf("| %-44s | %10.3f | %8.2f |\n", "flowmob LMA, XDP, no rules", x0 / 1e6,
	       k > 0 ? x0 / k : 0);
	printf("| %-44s | %10.3f | %8.2f |\n", "flowmob LMA, TC, 16 rules (flow-cache hit)",
	       t / 1e6, k > 0 ? t / k : 0);
	printf("| %-44s | %10.3f | %8s |\n", "floor: blind XDP redirect (generator + sink)",
	       f / 1e6, "-");
	printf("\nratio XDP (16 rules) / kernel = %.2f\n", k > 0 ? x / k : 0);
	{
		const char *out = getenv("BENCH_JSON");
		json_t *sec = json_pack("{s:f, s:f, s:f, s:f, s:f}", "kernel_fwd_mpps", k / 1e6,
					"xdp_16rules_mpps", x / 1e6, "xdp_norules_mpps", x0 / 1e6,
					"tc_16rules_mpps", t / 1e6, "floor_mpps", f / 1e6);

		if (out && sec)
			results_merge(out, "dataplane_live", sec);
		json_decref(sec);
	}
	if (f > x && f > k && x > 0 && k > 0) {
		double kc = 1e9 / k - 1e9 / f, xc = 1e9 / x - 1e9 / f,
		       tc = t > 0 ? 1e9 / t - 1e9 / f : 0;

		printf("LMA's own cost per packet (path time minus the floor): kernel %.0f ns, "
		       "XDP %.0f ns, TC %.0f ns; ratio kernel/XDP = %.2f\n",
		       kc, xc, tc, kc / xc);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "testrun"))
		return cmd_testrun();
	if (argc >= 11 && !strcmp(argv[1], "live"))
		return cmd_live(argv + 2);
	fprintf(stderr, "usage: bench_dp testrun | bench_dp live GEN_NS GEN_IF LMA_NS LMA_IN "
			"LMA_OUT SINK_NS SINK_IF DST_MAC SECONDS\n");
	return 2;
}
