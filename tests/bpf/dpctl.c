// SPDX-License-Identifier: GPL-2.0
/*
 * dpctl.c — a small test driver of the data-plane API (agent/dp/dataplane.h) for the
 * namespace tests: `bpf_fixtures dpctl OPTIONS ACTIONS...`. It opens (or reuses)
 * an instance exactly as flowmobd does, entering the network namespace itself
 * (-n) so that pins stay in the host's bpffs, runs the actions in order and
 * exits, leaving programs attached and maps pinned (or holds until killed).
 *
 * Options: -i INSTANCE -r lma|mag -m xdp|xdpgeneric|tc -l LOCAL [-L LMA]
 *          [-c CORE_IF[:MODE]]... [-a ACCESS_IF[:MODE]]... [-t TUNNEL_MTU] [-n NETNS]
 *          [-b BPFFS]   (IF:MODE: this interface's own attach mode, else -m's)
 * Actions: prefix P/LEN MN DEFAULT_BID | binding MN BID COA ATT | peer ADDR
 *          | rule MN FID PRI BID|0:ATT PROTO DPORT_LO DPORT_HI | norules MN
 *          | route P/LEN IFACE MAC MN | stats | bcount MN BID | reused | hold | cleanup
 *          | progs (name, verified_insns, xlated size of the role's programs)
 *          | netlinkxdp IFACE (attach the XDP program through netlink, as a foreign
 *            tool would: not a link of this instance)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp/dataplane.h"

int dpctl_main(int argc, char **argv);

static int addr_of(const char *s, struct in6_addr *a)
{
	if (inet_pton(AF_INET6, s, a) != 1) {
		fprintf(stderr, "dpctl: bad address %s\n", s);
		return -1;
	}
	return 0;
}

static int prefix_of(const char *s, struct in6_addr *a, uint8_t *plen)
{
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = 0;
	*plen = (uint8_t)atoi(slash + 1);
	return addr_of(buf, a);
}

static int mac_of(const char *s, uint8_t mac[6])
{
	unsigned int m[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static enum fm_dp_mode mode_of(const char *v)
{
	return !strcmp(v, "tc")		  ? FM_DP_MODE_TC
	       : !strcmp(v, "xdpgeneric") ? FM_DP_MODE_XDP_GENERIC
					  : FM_DP_MODE_XDP;
}

/* "IF" or "IF:MODE" (argv is writable: the ':' becomes the name's end). */
static void iface_arg(char *v, const char **names, enum fm_dp_mode *modes, int *n)
{
	char *colon = strchr(v, ':');

	if (*n >= FM_DP_MAX_IFACES)
		return;
	if (colon) {
		*colon = 0;
		modes[*n] = mode_of(colon + 1);
	}
	names[(*n)++] = v;
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "dpctl: netns %s: %s\n", name, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Rule sets being built per MN (only MN ids < 16 in tests). */
static struct fm_dp_rule rules[16][FM_DP_MAX_RULES];
static unsigned nrules[16];

int dpctl_main(int argc, char **argv)
{
	struct fm_dp_opts o = {.role = FM_DP_LMA, .mode = FM_DP_MODE_XDP};
	struct fm_dp *dp = NULL;
	const char *netns = NULL, *a = "open";
	int i = 1, rc = 0;

	for (; i < argc && argv[i][0] == '-'; i += 2) {
		char empty[1] = "";
		char *v = i + 1 < argc ? argv[i + 1] : empty;

		switch (argv[i][1]) {
		case 'i':
			o.instance = v;
			break;
		case 'r':
			o.role = !strcmp(v, "mag") ? FM_DP_MAG : FM_DP_LMA;
			break;
		case 'm':
			o.mode = mode_of(v);
			break;
		case 'l':
			if (addr_of(v, &o.local))
				return 2;
			break;
		case 'L':
			if (addr_of(v, &o.lma))
				return 2;
			break;
		case 'c':
			iface_arg(v, o.core_ifaces, o.core_modes, &o.n_core);
			break;
		case 'a':
			iface_arg(v, o.access_ifaces, o.access_modes, &o.n_access);
			break;
		case 't':
			o.tunnel_mtu = (uint16_t)atoi(v);
			break;
		case 'n':
			netns = v;
			break;
		case 'b':
			o.bpffs = v;
			break;
		default:
			fprintf(stderr, "dpctl: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (netns && enter_netns(netns))
		return 1;
	if (i < argc && !strcmp(argv[i], "cleanup")) {
		rc = fm_dp_cleanup(&o);
		printf("cleanup=%d\n", rc);
		return rc ? 1 : 0;
	}
	rc = fm_dp_open(&o, &dp);
	if (rc) {
		fprintf(stderr, "dpctl: open: %s\n", strerror(-rc));
		return 1;
	}
	for (; i < argc && !rc; i++) {
		a = argv[i];
		struct in6_addr p;
		uint8_t plen;

#define NEED(n)                                                                                    \
	do {                                                                                       \
		if (i + (n) >= argc) {                                                             \
			fprintf(stderr, "dpctl: %s needs %d arguments\n", a, n);                   \
			rc = -EINVAL;                                                              \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)
		if (!strcmp(a, "prefix")) {
			NEED(3);
			if (prefix_of(argv[i + 1], &p, &plen))
				rc = -EINVAL;
			else
				rc = fm_dp_prefix_set(dp, &p, plen, (uint32_t)atoi(argv[i + 2]),
						      (uint16_t)atoi(argv[i + 3]));
			i += 3;
		} else if (!strcmp(a, "binding")) {
			struct fm_dp_binding b = {0};

			NEED(4);
			if (addr_of(argv[i + 3], &b.coa))
				rc = -EINVAL;
			b.att = (uint8_t)atoi(argv[i + 4]);
			if (!rc)
				rc = fm_dp_binding_set(dp, (uint32_t)atoi(argv[i + 1]),
						       (uint16_t)atoi(argv[i + 2]), &b);
			i += 4;
		} else if (!strcmp(a, "peer")) {
			NEED(1);
			rc = addr_of(argv[i + 1], &p) ? -EINVAL : fm_dp_peer_set(dp, &p);
			i += 1;
		} else if (!strcmp(a, "rule")) {
			/* rule MN FID PRI BID PROTO DPORT_LO DPORT_HI */
			uint32_t mn;
			struct fm_dp_rule *r;

			NEED(7);
			mn = (uint32_t)atoi(argv[i + 1]) & 15;
			r = &rules[mn][nrules[mn] % FM_DP_MAX_RULES];
			memset(r, 0, sizeof(*r));
			r->fid = (uint16_t)atoi(argv[i + 2]);
			r->priority = (uint16_t)atoi(argv[i + 3]);
			r->bid = (uint16_t)atoi(argv[i + 4]);
			r->active = true;
			r->ts.format = TS_FMT_IPV6;
			r->ts.f[TS_NEXT_HEADER].n = TS_EXACT;
			r->ts.f[TS_NEXT_HEADER].num[0] = (uint32_t)atoi(argv[i + 5]);
			r->ts.f[TS_DST_PORT].n = TS_RANGE;
			r->ts.f[TS_DST_PORT].num[0] = (uint32_t)atoi(argv[i + 6]);
			r->ts.f[TS_DST_PORT].num[1] = (uint32_t)atoi(argv[i + 7]);
			nrules[mn]++;
			rc = fm_dp_rules_set(dp, mn, rules[mn], nrules[mn]);
			i += 7;
		} else if (!strcmp(a, "norules")) {
			NEED(1);
			rc = fm_dp_rules_set(dp, (uint32_t)atoi(argv[i + 1]), NULL, 0);
			i += 1;
		} else if (!strcmp(a, "route")) {
			uint8_t mac[6];

			NEED(4);
			if (prefix_of(argv[i + 1], &p, &plen) || mac_of(argv[i + 3], mac))
				rc = -EINVAL;
			else
				rc = fm_dp_mag_route_set(dp, &p, plen, argv[i + 2], mac,
							 (uint32_t)atoi(argv[i + 4]));
			i += 4;
		} else if (!strcmp(a, "stats")) {
			int n = fm_dp_stats_count();
			uint64_t v[128];

			fm_dp_stats(dp, v, n < 128 ? n : 128);
			for (int k = 0; k < n && k < 128; k++)
				printf("%s=%llu\n", fm_dp_stat_name(k), (unsigned long long)v[k]);
		} else if (!strcmp(a, "bcount")) {
			struct fm_dp_counters c = {0};

			NEED(2);
			rc = fm_dp_binding_counters(dp, (uint32_t)atoi(argv[i + 1]),
						    (uint16_t)atoi(argv[i + 2]), &c);
			printf("packets=%llu bytes=%llu\n", (unsigned long long)c.packets,
			       (unsigned long long)c.bytes);
			i += 2;
		} else if (!strcmp(a, "reused")) {
			printf("reused=%d\n", fm_dp_reused(dp));
		} else if (!strcmp(a, "pindir")) {
			printf("pindir=%s\n", fm_dp_pin_dir(dp));
		} else if (!strcmp(a, "netlinkxdp")) {
			/* someone else's XDP program named like ours: this instance's XDP
			 * program attached to IFACE through netlink, not as a link */
			unsigned int idx;

			NEED(1);
			idx = if_nametoindex(argv[i + 1]);
			rc = idx ? bpf_xdp_attach((int)idx, fm_dp_prog_fd(dp, false),
						  XDP_FLAGS_DRV_MODE, NULL)
				 : -ENODEV;
			i += 1;
		} else if (!strcmp(a, "progs")) {
			/* the verifier's figures of the role's two loaded programs */
			for (int tc = 0; tc < 2 && !rc; tc++) {
				struct bpf_prog_info info = {0};
				uint32_t len = sizeof(info);

				rc = bpf_obj_get_info_by_fd(fm_dp_prog_fd(dp, tc), &info, &len);
				if (!rc)
					printf("prog=%s verified_insns=%u xlated_insns=%u\n",
					       info.name, info.verified_insns,
					       info.xlated_prog_len / 8);
			}
		} else if (!strcmp(a, "hold")) {
			/* set up and running, as flowmobd once ready: a kill from now on
			 * leaves pins the next open reuses */
			fm_dp_commit(dp);
			printf("holding\n");
			fflush(stdout);
			for (;;)
				pause();
		} else {
			fprintf(stderr, "dpctl: unknown action %s\n", a);
			rc = -EINVAL;
		}
		fflush(stdout);
	}
out:
	if (rc)
		fprintf(stderr, "dpctl: %s: %s\n", a, strerror(-rc));
	fm_dp_close(dp);
	return rc ? 1 : 0;
}
