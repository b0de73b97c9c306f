// SPDX-License-Identifier: GPL-2.0
/*
 * dataplane.c — the BPF data plane loader and map programmer: the only module
 * that knows libbpf, the pinned layout (include/fm_dp_maps.h) and pin paths.
 *
 * - fm_dp_open(): opens the flowmob skeleton, writes the read-only config, pins
 *   every map by name under <bpffs>/flowmob/<instance>/<layout>/ (an existing pin
 *   is reused: a restart keeps forwarding state), loads the role's XDP and TC
 *   programs and attaches one to each interface in that interface's mode
 *   (core_modes/access_modes, else mode) as a BPF link (XDP native or generic, or
 *   tcx) pinned next to the maps: the pins outlive us and are the only record of
 *   what is ours. A restart swaps the new program into the pinned links; our link
 *   of another mode on the interface, or on an interface no longer listed, goes.
 * - typed calls translate prefixes, bindings, peers and RFC 6088 selectors into
 *   map entries. Rule sets are compiled, deduplicated by content (MNs sharing a
 *   placement policy share one rule set) and switched per MN with the two-slot
 *   scheme: write the inactive slot, then one 8-byte {slot, epoch} store.
 * - fm_dp_cleanup(): detaches every pinned link of the instance and unpins.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp/dataplane.h"
#include "core/log.h"
#include "core/fsutil.h"
#include "fm_dp_maps.h"
#include "fm_stats.h"
#include "flowmob.skel.h"

#define DEF_MAX_MNS	 65536
#define DEF_MAX_RULESETS 1024
#define DEF_FLOW_CACHE	 65536
#define DEF_PTB_PER_SEC	 100
#define DEF_CLS_IV	 65536 /* classifier intervals at least (48 octets each) */

/* One rule as compiled from its selector: inclusive ranges per field (host-order
 * 128-bit numbers; narrow fields in the low bits) and what a match does. The rule sets'
 * content, by which they are shared. */
typedef unsigned __int128 u128;
struct rule_src {
	u128 lo[FM_CF_N], hi[FM_CF_N];
	struct fm_rule meta;
};

/* What attaching one interface did, to undo it when a later one fails or the
 * start fails after the data plane was opened (fm_dp_abandon). */
struct attach_undo {
	int link_fd;	 /* -1: nothing to undo */
	int old_prog_fd; /* updated link: the program it ran before, else -1 */
	char path[PATH_MAX + 64];
};

/* One distinct compiled rule set, shared by every MN whose rules compile to it. */
struct fm_rs_ent {
	uint32_t refcnt;
	uint32_t hash;
	uint32_t n;
	bool used;
	struct rule_src *copy;	/* its rules, for deduplication without syscalls (NULL: rebuilt
				   after a restart, not shared further) */
	uint32_t iv_base, iv_n; /* its intervals in fm_cls_iv */
};

struct fm_dp {
	struct flowmob *skel;
	enum fm_dp_role role;
	enum fm_dp_mode mode;
	bool reused;
	char pin_dir[PATH_MAX];
	struct fm_mn *mn; /* mmap of fm_mn */
	size_t mn_len;
	uint32_t max_mns;
	uint32_t max_rs;
	struct fm_rs_ent *rs; /* index = rule-set id, 0 unused */
	uint32_t rs_cursor;
	uint32_t rs_last; /* last id handed out: consecutive MNs often share it */
	uint32_t max_b;	  /* fm_binding / fm_bind_cnt entries */
	uint8_t *bi_used; /* fm_binding indexes in use */
	uint8_t *ci_used; /* fm_bind_cnt indexes in use */
	uint32_t bi_cursor, ci_cursor;
	uint32_t max_iv; /* fm_cls_iv entries */
	uint8_t *iv_used;
	uint32_t iv_cursor;
	int ncpus;
	/* what this open's attach did, kept until close: fm_dp_abandon undoes it */
	struct attach_undo *undo;
	int n_undo;
	bool reuse_ok; /* every map came from pins: nothing to unpin on abandon */
	bool marked;   /* FM_DP_MARK made by this (first) start, until fm_dp_commit */
};

/* A directory in the pin directory while a first start is under way: pins found
 * with it are the remains of a start that never completed (killed), not an
 * earlier healthy run's, and are removed instead of reused. */
#define FM_DP_MARK "start_incomplete" /* bpffs refuses names with a dot */

static const char *const stat_names[] = {
#define FM_ST_NAME(e, s) s,
    FM_STATS_LIST(FM_ST_NAME)
#undef FM_ST_NAME
};

int fm_dp_stats_count(void)
{
	return FM_ST_MAX;
}

const char *fm_dp_stat_name(int idx)
{
	if (idx < 0 || idx >= FM_ST_MAX)
		return NULL;
	return stat_names[idx];
}

const char *fm_dp_pin_dir(const struct fm_dp *dp)
{
	return dp->pin_dir;
}

bool fm_dp_reused(const struct fm_dp *dp)
{
	return dp && dp->reused;
}

/* ---- helpers ------------------------------------------------------------------ */

static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static const char *bpffs_root(const struct fm_dp_opts *o)
{
	return (o->bpffs && *o->bpffs) ? o->bpffs : "/sys/fs/bpf";
}

/* Checks that root is a bpffs, mounting one there when it is an empty directory
 * on another file system. */
static int ensure_bpffs(const char *root)
{
	struct statfs sf;

	if (statfs(root, &sf)) {
		pr_err("dataplane: bpffs root %s: %s (set 'bpffs:' to a mounted bpf file system)",
		       root, strerror(errno));
		return -errno;
	}
	if ((unsigned long)sf.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", root, "bpf", 0, "mode=0700")) {
		int err = -errno;

		pr_err("dataplane: %s is not a bpf file system and mounting one failed: %s", root,
		       strerror(errno));
		return err;
	}
	pr_info("dataplane: mounted a bpf file system on %s", root);
	return 0;
}

static int pin_dir_of(const struct fm_dp_opts *o, char *buf, size_t len)
{
	int n =
	    snprintf(buf, len, "%s/flowmob/%s/%s", bpffs_root(o), o->instance, FM_LAYOUT_VERSION);

	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

/* Remove the pin directory and, when empty, its parents up to <bpffs>/flowmob. */
static void rmdir_up(const struct fm_dp_opts *o, const char *dir)
{
	char path[PATH_MAX];

	rmdir(dir);
	snprintf(path, sizeof(path), "%s/flowmob/%s", bpffs_root(o), o->instance);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/flowmob", bpffs_root(o));
	rmdir(path); /* only when empty */
}

static int iface_index(const char *name)
{
	unsigned int idx = if_nametoindex(name);

	if (!idx) {
		pr_err("dataplane: interface %s: %s", name, strerror(errno));
		return -ENODEV;
	}
	return (int)idx;
}

static int iface_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	if (ioctl(fd, req, ifr))
		rc = -errno;
	close(fd);
	return rc;
}

static struct bpf_map *map_by_name(struct fm_dp *dp, const char *name)
{
	return bpf_object__find_map_by_name(dp->skel->obj, name);
}

int fm_dp_map_fd(struct fm_dp *dp, const char *name)
{
	struct bpf_map *m = dp ? map_by_name(dp, name) : NULL;

	return m ? bpf_map__fd(m) : -ENOENT;
}

static struct bpf_program *role_prog(struct flowmob *s, enum fm_dp_role role, bool tc)
{
	if (role == FM_DP_LMA)
		return tc ? s->progs.fm_lma_tc : s->progs.fm_lma_xdp;
	return tc ? s->progs.fm_mag_tc : s->progs.fm_mag_xdp;
}

int fm_dp_prog_fd(struct fm_dp *dp, bool tc)
{
	if (!dp)
		return -EINVAL;
	return bpf_program__fd(role_prog(dp->skel, dp->role, tc));
}

/* ---- attach / detach ------------------------------------------------------------- *
 * Every attachment is a BPF link (XDP: BPF_XDP with the native or generic mode flag;
 * TC: a tcx ingress link, Linux 6.6+) pinned in the instance's pin directory as
 * link_<kind>_<ifname>. The pin is the ownership record: what the kernel holds there
 * is ours, nothing else is (no program names are compared). A restart swaps the new
 * program into the pinned link (BPF_LINK_UPDATE, atomic); cleanup detaches every
 * pinned link. */

/* enum bpf_attach_type / bpf_link_type values of Linux 6.6 (tcx) that the 6.1 uapi
 * headers of Debian 12 do not have; libbpf 1.1's bpf_link_create passes them through. */
#define FM_BPF_TCX_INGRESS   46
#define FM_BPF_LINK_TYPE_TCX 11

enum lk_kind { LK_XDP, LK_XDP_GENERIC, LK_TC, LK_N };
static const char *const lk_tag[LK_N] = {"xdp", "xdpgeneric", "tc"};
#define LINK_PIN_PREFIX "link_"

static enum lk_kind kind_of(enum fm_dp_mode m)
{
	return m == FM_DP_MODE_TC ? LK_TC : m == FM_DP_MODE_XDP_GENERIC ? LK_XDP_GENERIC : LK_XDP;
}

static int link_pin_path(const char *dir, enum lk_kind k, const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/" LINK_PIN_PREFIX "%s_%s", dir, lk_tag[k], ifname);

	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

/* The interface name of a link pin's file name, NULL when it is not one. */
static const char *link_pin_ifname(const char *fname)
{
	const char *p;

	if (strncmp(fname, LINK_PIN_PREFIX, strlen(LINK_PIN_PREFIX)))
		return NULL;
	p = strchr(fname + strlen(LINK_PIN_PREFIX), '_');
	return p && p[1] ? p + 1 : NULL;
}

/* Detach the pinned link (whoever else may hold it) and remove the pin. */
static void link_remove(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
	}
	if (unlink(path) && errno != ENOENT)
		pr_warn("dataplane: unpin %s: %s", path, strerror(errno));
}

/* The pinned link at path when it is still attached to ifindex (its fd, and its
 * program's id); a pin whose link lost its interface is removed. -ENOENT: none. */
static int link_open_pinned(const char *path, int ifindex, uint32_t *prog_id)
{
	struct bpf_link_info info = {};
	uint32_t len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return -ENOENT;
	/* xdp.ifindex and tcx.ifindex are the same first word of the union */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    (info.type != BPF_LINK_TYPE_XDP && info.type != FM_BPF_LINK_TYPE_TCX) ||
	    info.xdp.ifindex != (uint32_t)ifindex) {
		close(fd);
		link_remove(path);
		return -ENOENT;
	}
	*prog_id = info.prog_id;
	return fd;
}

static int link_create(enum lk_kind k, int prog_fd, int ifindex)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	enum bpf_attach_type at = BPF_XDP;
	int fd;

	if (k == LK_XDP)
		lo.flags = XDP_FLAGS_DRV_MODE;
	else if (k == LK_XDP_GENERIC)
		lo.flags = XDP_FLAGS_SKB_MODE;
	else
		at = (enum bpf_attach_type)FM_BPF_TCX_INGRESS;
	fd = bpf_link_create(prog_fd, ifindex, at, &lo);
	return fd < 0 ? (errno ? -errno : fd) : fd;
}

static void undo_one(struct attach_undo *u, bool rollback)
{
	if (u->link_fd < 0)
		return;
	if (rollback && u->old_prog_fd >= 0) {
		if (bpf_link_update(u->link_fd, u->old_prog_fd, NULL))
			pr_warn("dataplane: %s: cannot restore the earlier program", u->path);
	} else if (rollback) {
		bpf_link_detach(u->link_fd);
		unlink(u->path);
	}
	if (u->old_prog_fd >= 0)
		close(u->old_prog_fd);
	close(u->link_fd);
	u->link_fd = u->old_prog_fd = -1;
}

/* Attach prog_fd to ifindex as a link of kind k: the pinned link of an earlier run gets
 * the new program (atomic swap); otherwise a new link is created and pinned. Our links
 * of the other kinds on this interface (an earlier run's other mode) go first: they
 * would see the packets before (XDP) or as well (TC), and native and generic XDP
 * exclude each other. */
static int attach_one(const char *dir, const char *ifname, int ifindex, enum lk_kind k, int prog_fd,
		      struct attach_undo *u)
{
	char other[PATH_MAX + 64];
	uint32_t old_id = 0;
	int fd, rc;

	u->link_fd = u->old_prog_fd = -1;
	for (int o = 0; o < LK_N; o++) {
		if (o == (int)k)
			continue;
		rc = link_pin_path(dir, (enum lk_kind)o, ifname, other, sizeof(other));
		if (rc)
			return rc;
		if (!access(other, F_OK))
			link_remove(other);
	}
	rc = link_pin_path(dir, k, ifname, u->path, sizeof(u->path));
	if (rc)
		return rc;
	fd = link_open_pinned(u->path, ifindex, &old_id);
	if (fd >= 0) {
		int old = bpf_prog_get_fd_by_id(old_id);

		if (!bpf_link_update(fd, prog_fd, NULL)) {
			u->link_fd = fd;
			u->old_prog_fd = old;
			return 0;
		}
		pr_warn("dataplane: %s: update of the pinned link failed (%s), attaching anew",
			ifname, strerror(errno));
		if (old >= 0)
			close(old);
		close(fd);
		link_remove(u->path);
	}
	fd = link_create(k, prog_fd, ifindex);
	if (fd < 0) {
		if (fd == -EBUSY || fd == -EEXIST)
			pr_err("dataplane: attach %s to %s: %s: another program is attached there "
			       "(not by this instance)",
			       lk_tag[k], ifname, strerror(-fd));
		else if (k == LK_TC && (fd == -EINVAL || fd == -EOPNOTSUPP))
			pr_err("dataplane: attach tc to %s: %s: tc mode needs tcx links "
			       "(Linux 6.6 or later); use xdp or xdp-generic",
			       ifname, strerror(-fd));
		else
			pr_err("dataplane: attach %s to %s: %s", lk_tag[k], ifname, strerror(-fd));
		return fd;
	}
	if (bpf_obj_pin(fd, u->path)) {
		rc = -errno;
		pr_err("dataplane: pin %s: %s", u->path, strerror(-rc));
		close(fd); /* the only reference: the link goes, detached */
		return rc;
	}
	u->link_fd = fd;
	return 0;
}

/* Remove every pinned link of dir whose interface is not in keep[] (NULL: all). */
static void links_remove_except(const char *dir, const char *const *keep, int n_keep)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *ifn = link_pin_ifname(de->d_name);
		bool kept = false;

		if (!ifn)
			continue;
		for (int i = 0; i < n_keep && !kept; i++)
			kept = keep[i] && !strcmp(keep[i], ifn);
		if (kept)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		link_remove(path);
	}
	closedir(d);
}

/* ---- rule-set registry ---------------------------------------------------------- */

static uint32_t fnv1a(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* ---- bit-vector compilation ---------------------------------------------------------- */

static bool rbit(const __u64 *w, unsigned i)
{
	return (w[i / 64] >> (i % 64)) & 1;
}

static void rset(__u64 *w, unsigned i)
{
	w[i / 64] |= 1ULL << (i % 64);
}

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

/* Intervals the rule set needs in fm_cls_iv: per field some rule uses, one more than
 * its distinct range ends. Fills the field counts in set->f[].n. */
static uint32_t cls_count(const struct rule_src *src, uint32_t n, struct fm_ruleset *set, u128 *tmp)
{
	uint32_t total = 0;

	for (int f = 0; f < FM_CF_N; f++) {
		uint32_t k = 0;

		tmp[k++] = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (src[i].meta.v4 || !(src[i].meta.fields & (1u << f)))
				continue;
			tmp[k++] = src[i].lo[f];
			if (src[i].hi[f] != ~(u128)0)
				tmp[k++] = src[i].hi[f] + 1;
		}
		set->f[f].n = 0;
		if (k == 1)
			continue; /* no rule uses the field */
		qsort(tmp, k, sizeof(tmp[0]), cmp_u128);
		set->f[f].n = 1;
		for (uint32_t i = 1; i < k; i++)
			if (tmp[i] != tmp[i - 1])
				tmp[set->f[f].n++] = tmp[i];
		total += set->f[f].n;
	}
	return total;
}

/*
 * Compiles src (n rules in priority order) into set (header) and iv (its intervals,
 * fields one after the other from base): for every elementary interval the bitmap of
 * the rules that match all of its values.
 */
static void cls_build(const struct rule_src *src, uint32_t n, uint32_t base, struct fm_ruleset *set,
		      struct fm_cls_iv *iv, u128 *tmp)
{
	uint32_t off = 0;

	memset(set, 0, sizeof(*set));
	set->n = n;
	for (uint32_t i = 0; i < n; i++) {
		set->r[i] = src[i].meta;
		if (src[i].meta.v4)
			continue;
		rset(set->all, i);
		if (src[i].meta.fields & (FM_RF_SPORT | FM_RF_DPORT))
			rset(set->need_ports, i);
		if (src[i].meta.fields & FM_RF_SPI)
			rset(set->need_spi, i);
	}
	cls_count(src, n, set, tmp); /* fills set->f[].n again */
	for (int f = 0; f < FM_CF_N; f++) {
		uint32_t k = 0;

		if (!set->f[f].n)
			continue;
		/* the distinct starts again (cls_count left only the last field's in tmp) */
		tmp[k++] = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (src[i].meta.v4 || !(src[i].meta.fields & (1u << f)))
				continue;
			tmp[k++] = src[i].lo[f];
			if (src[i].hi[f] != ~(u128)0)
				tmp[k++] = src[i].hi[f] + 1;
		}
		qsort(tmp, k, sizeof(tmp[0]), cmp_u128);
		set->f[f].base = base + off;
		for (uint32_t i = 0, m = 0; i < k; i++) {
			struct fm_cls_iv *e;
			u128 st = tmp[i];

			if (i && tmp[i] == tmp[i - 1])
				continue;
			e = &iv[off + m++];
			memset(e, 0, sizeof(*e));
			e->hi = (uint64_t)(st >> 64);
			e->lo = (uint64_t)st;
			for (uint32_t r = 0; r < n; r++) {
				if (!rbit(set->all, r))
					continue;
				if (!(src[r].meta.fields & (1u << f)) ||
				    (src[r].lo[f] <= st && st <= src[r].hi[f]))
					rset(e->w, r);
			}
		}
		off += set->f[f].n;
	}
}

/* k consecutive free entries of fm_cls_iv, next fit from the cursor (a freed range is
 * reused late, long after any packet that read it). Returns the base or -ENOSPC. */
static int64_t iv_alloc(struct fm_dp *dp, uint32_t k)
{
	uint32_t start = dp->iv_cursor, run = 0;

	if (!k)
		return 0;
	for (uint64_t step = 0; step < (uint64_t)dp->max_iv + k; step++) {
		uint32_t i = (uint32_t)((start + step) % dp->max_iv);

		if (i == 0)
			run = 0; /* ranges do not wrap */
		if (dp->iv_used[i]) {
			run = 0;
			continue;
		}
		if (++run == k) {
			uint32_t base = i + 1 - k;

			memset(dp->iv_used + base, 1, k);
			dp->iv_cursor = (i + 1) % dp->max_iv;
			return base;
		}
	}
	return -ENOSPC;
}

static void iv_free(struct fm_dp *dp, uint32_t base, uint32_t k)
{
	if (base < dp->max_iv && k <= dp->max_iv - base)
		memset(dp->iv_used + base, 0, k);
}

static int iv_write(struct fm_dp *dp, uint32_t base, const struct fm_cls_iv *iv, uint32_t k)
{
	int fd = bpf_map__fd(dp->skel->maps.fm_cls_iv);
	uint32_t *keys = malloc(sizeof(*keys) * (k ? k : 1));
	int rc = 0;

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < k; i++)
		keys[i] = base + i;
	{
		LIBBPF_OPTS(bpf_map_batch_opts, bo);
		uint32_t cnt = k;

		if (k && bpf_map_update_batch(fd, keys, iv, &cnt, &bo)) {
			for (uint32_t i = 0; i < k && !rc; i++)
				if (bpf_map_update_elem(fd, &keys[i], &iv[i], BPF_ANY))
					rc = -errno;
		}
	}
	free(keys);
	return rc;
}

/* Finds a rule set with this content, or stores a new one. Returns its id (> 0) with a
 * reference taken, or a negative errno. */
static int rs_get(struct fm_dp *dp, const struct rule_src *src, uint32_t n)
{
	int fd = bpf_map__fd(dp->skel->maps.fm_rulesets);
	size_t len = n * sizeof(*src);
	uint32_t h = fnv1a(src, len), total;
	struct fm_ruleset *set = NULL;
	struct fm_cls_iv *iv = NULL;
	struct rule_src *copy = NULL;
	u128 *tmp = NULL;
	int64_t base;
	uint32_t id;
	int rc;

	if (dp->rs_last && dp->rs[dp->rs_last].used && dp->rs[dp->rs_last].copy &&
	    dp->rs[dp->rs_last].hash == h && dp->rs[dp->rs_last].n == n &&
	    !memcmp(dp->rs[dp->rs_last].copy, src, len)) {
		dp->rs[dp->rs_last].refcnt++;
		return (int)dp->rs_last;
	}
	for (id = 1; id < dp->max_rs; id++) {
		struct fm_rs_ent *e = &dp->rs[id];

		if (e->used && e->copy && e->hash == h && e->n == n && !memcmp(e->copy, src, len)) {
			e->refcnt++;
			dp->rs_last = id;
			return (int)id;
		}
	}
	/* A fresh id, round robin: a just-released id is reused last, long after
	 * any packet that read it has finished its scan. */
	for (uint32_t i = 0; i < dp->max_rs; i++) {
		id = 1 + (dp->rs_cursor + i) % (dp->max_rs - 1);
		if (!dp->rs[id].used)
			break;
		id = 0;
	}
	if (!id) {
		pr_err("dataplane: all %u rule sets in use (max_rulesets)", dp->max_rs - 1);
		return -ENOSPC;
	}
	rc = -ENOMEM;
	set = calloc(1, sizeof(*set));
	tmp = calloc(2 * FM_MAX_RULES + 1, sizeof(*tmp));
	copy = malloc(len ? len : 1);
	if (!set || !tmp || !copy)
		goto out;
	memcpy(copy, src, len);
	total = cls_count(src, n, set, tmp);
	iv = calloc(total ? total : 1, sizeof(*iv));
	if (!iv)
		goto out;
	base = iv_alloc(dp, total);
	if (base < 0) {
		pr_err("dataplane: classifier intervals exhausted (%u needed, %u entries): raise "
		       "the interval pool",
		       total, dp->max_iv);
		rc = -ENOSPC;
		goto out;
	}
	cls_build(src, n, (uint32_t)base, set, iv, tmp);
	rc = iv_write(dp, (uint32_t)base, iv, total);
	if (!rc && bpf_map_update_elem(fd, &id, set, BPF_ANY))
		rc = -errno;
	if (rc) {
		pr_err("dataplane: store rule set %u: %s", id, strerror(-rc));
		iv_free(dp, (uint32_t)base, total);
		goto out;
	}
	dp->rs_cursor = id;
	free(dp->rs[id].copy);
	dp->rs[id] = (struct fm_rs_ent){.used = true,
					.refcnt = 1,
					.hash = h,
					.n = n,
					.copy = copy,
					.iv_base = (uint32_t)base,
					.iv_n = total};
	copy = NULL;
	dp->rs_last = id;
	rc = (int)id;
out:
	free(set);
	free(tmp);
	free(iv);
	free(copy);
	return rc;
}

static void rs_put(struct fm_dp *dp, uint32_t id)
{
	if (!id || id >= dp->max_rs || !dp->rs[id].used)
		return;
	if (--dp->rs[id].refcnt == 0) {
		dp->rs[id].used = false;
		free(dp->rs[id].copy);
		dp->rs[id].copy = NULL;
		iv_free(dp, dp->rs[id].iv_base, dp->rs[id].iv_n);
	}
}

/* After a restart: rebuild the registry (and the interval pool's use) from the MNs'
 * active slots. Rebuilt sets keep serving their MNs but are not shared further: their
 * content is not kept in the maps. */
static void rs_rebuild(struct fm_dp *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.fm_rulesets);
	struct fm_ruleset *set = malloc(sizeof(*set));

	if (!set)
		return;
	for (uint32_t mn = 0; mn < dp->max_mns; mn++) {
		struct fm_mn *m = &dp->mn[mn];
		uint64_t w = __atomic_load_n((uint64_t *)&m->ver, __ATOMIC_ACQUIRE);
		struct fm_ver v;
		uint32_t id;

		memcpy(&v, &w, sizeof(v));
		id = m->rs[v.slot & 1];
		if (!id || id >= dp->max_rs)
			continue;
		if (!dp->rs[id].used) {
			uint32_t lo = UINT32_MAX, hi = 0;

			if (bpf_map_lookup_elem(fd, &id, set) || set->n > FM_MAX_RULES)
				continue;
			for (int f = 0; f < FM_CF_N; f++) {
				if (!set->f[f].n)
					continue;
				if (set->f[f].base < lo)
					lo = set->f[f].base;
				if (set->f[f].base + set->f[f].n > hi)
					hi = set->f[f].base + set->f[f].n;
			}
			if (hi > dp->max_iv)
				continue;
			if (lo < hi)
				memset(dp->iv_used + lo, 1, hi - lo);
			dp->rs[id] = (struct fm_rs_ent){.used = true,
							.n = set->n,
							.iv_base = lo < hi ? lo : 0,
							.iv_n = lo < hi ? hi - lo : 0};
			if (id > dp->rs_cursor)
				dp->rs_cursor = id;
		}
		dp->rs[id].refcnt++;
	}
	free(set);
}

/* After a restart: which binding and counter indexes are in use. */
static void bindings_rebuild(struct fm_dp *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.fm_bval);

	for (uint32_t mn = 0; mn < dp->max_mns; mn++) {
		for (int i = 0; i < FM_MAX_BIND_PER_MN; i++) {
			struct fm_mn_bind e = dp->mn[mn].bind[i];
			struct fm_binding v;

			if (!(e.flags & FM_MB_VALID) || !e.bi || e.bi >= dp->max_b)
				continue;
			dp->bi_used[e.bi] = 1;
			if (e.bi > dp->bi_cursor)
				dp->bi_cursor = e.bi;
			if (!bpf_map_lookup_elem(fd, &e.bi, &v) && v.ci && v.ci < dp->max_b) {
				dp->ci_used[v.ci] = 1;
				if (v.ci > dp->ci_cursor)
					dp->ci_cursor = v.ci;
			}
		}
	}
}

/* ---- open / close / cleanup ---------------------------------------------------------- */

static uint32_t pinned_max_entries(const char *path)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

static int link_mtu_min(const struct fm_dp_opts *o)
{
	int mtu = 0;

	for (int i = 0; i < o->n_core + o->n_access; i++) {
		const char *n = i < o->n_core ? o->core_ifaces[i] : o->access_ifaces[i - o->n_core];
		struct ifreq ifr;

		if (!n || iface_ioctl(n, SIOCGIFMTU, &ifr))
			continue;
		if (!mtu || ifr.ifr_mtu < mtu)
			mtu = ifr.ifr_mtu;
	}
	return mtu ? mtu : 1500;
}

static bool mode_ok(enum fm_dp_mode m)
{
	return m == FM_DP_MODE_XDP || m == FM_DP_MODE_XDP_GENERIC || m == FM_DP_MODE_TC;
}

static const char *mode_name(enum fm_dp_mode m)
{
	return m == FM_DP_MODE_TC ? "tc" : m == FM_DP_MODE_XDP ? "xdp native" : "xdp generic";
}

static int check_opts(const struct fm_dp_opts *o)
{
	if (!o || !name_ok(o->instance)) {
		pr_err("dataplane: instance name missing or not [A-Za-z0-9._-]{1,64}");
		return -EINVAL;
	}
	if (o->role != FM_DP_LMA && o->role != FM_DP_MAG) {
		pr_err("dataplane: role must be LMA or MAG");
		return -EINVAL;
	}
	if (!mode_ok(o->mode)) {
		pr_err("dataplane: unknown attach mode %d", o->mode);
		return -EINVAL;
	}
	if (o->n_core < 0 || o->n_core > FM_DP_MAX_IFACES || o->n_access < 0 ||
	    o->n_access > FM_DP_MAX_IFACES)
		return -EINVAL;
	for (int i = 0; i < o->n_core + o->n_access; i++) {
		enum fm_dp_mode m =
		    i < o->n_core ? o->core_modes[i] : o->access_modes[i - o->n_core];

		if (m && !mode_ok(m)) {
			pr_err("dataplane: unknown attach mode %d for interface %d", m, i);
			return -EINVAL;
		}
	}
	return 0;
}

/* Attach every interface in its own mode (per-interface, else o->mode). All or
 * nothing: when one fails, the links created so far are removed and the updated ones
 * get their earlier program back. Then links of interfaces no longer listed go. */
static int attach_all(struct fm_dp *dp, const struct fm_dp_opts *o)
{
	struct attach_undo *u = dp->undo;
	const char *names[2 * FM_DP_MAX_IFACES];
	int n = o->n_core + o->n_access, done = 0, rc = 0;

	for (int i = 0; i < n; i++) {
		const char *name =
		    i < o->n_core ? o->core_ifaces[i] : o->access_ifaces[i - o->n_core];
		enum fm_dp_mode m =
		    i < o->n_core ? o->core_modes[i] : o->access_modes[i - o->n_core];
		bool tc;
		int idx;

		names[i] = name;
		if (!name)
			continue;
		if (!m)
			m = o->mode;
		tc = m == FM_DP_MODE_TC;
		idx = iface_index(name);
		if (idx < 0) {
			rc = idx;
			break;
		}
		rc =
		    attach_one(dp->pin_dir, name, idx, kind_of(m), fm_dp_prog_fd(dp, tc), &u[done]);
		if (rc)
			break;
		done++;
		pr_info("dataplane: %s attached to %s (%s)",
			bpf_program__name(role_prog(dp->skel, dp->role, tc)), name, mode_name(m));
	}
	if (rc) {
		for (int i = 0; i < done; i++)
			undo_one(&u[i], true);
		return rc;
	}
	dp->n_undo = done; /* kept for fm_dp_abandon */
	links_remove_except(dp->pin_dir, names, n);
	return 0;
}

/* Map sizes from the options (see dataplane.h: max_mns). MN ids are 1..max_mns, so
 * the MN arrays have one entry more; bindings keep an eighth spare for copy on
 * write (a change takes a fresh index before it frees the old one). */
struct dp_sizes {
	uint32_t mn, pfx64, b, rs, flows, iv;
};

static void dp_sizes(const struct fm_dp_opts *o, struct dp_sizes *z)
{
	uint32_t n = o->max_mns ? o->max_mns : DEF_MAX_MNS;
	uint32_t nb = o->max_bindings ? o->max_bindings : 2 * n;

	z->mn = n + 1;
	z->pfx64 = 3 * n;
	z->b = nb + nb / 8 + 16;
	z->rs = (o->max_rulesets	? o->max_rulesets
		 : n < DEF_MAX_RULESETS ? n
					: DEF_MAX_RULESETS) +
		1;
	z->flows = o->flow_cache ? o->flow_cache : DEF_FLOW_CACHE;
	z->iv = o->cls_intervals	  ? o->cls_intervals
		: 64 * z->rs > DEF_CLS_IV ? 64 * z->rs
					  : DEF_CLS_IV;
}

/* Detach every pinned link of dir (our attachments are these links), unpin the
 * rest and remove the start mark. */
static void pins_remove(const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	links_remove_except(dir, NULL, 0);
	snprintf(path, sizeof(path), "%s/%s", dir, FM_DP_MARK);
	rmdir(path);
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' || !strcmp(de->d_name, FM_DP_MARK))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (unlink(path))
				pr_warn("dataplane: unpin %s: %s", path, strerror(errno));
		}
		closedir(d);
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	if (level == LIBBPF_DEBUG && fm_log_get_level() < FM_LOG_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (level == LIBBPF_WARN)
		pr_warn("libbpf: %s", buf);
	else
		pr_debug("libbpf: %s", buf);
	return 0;
}

int fm_dp_open(const struct fm_dp_opts *o, struct fm_dp **out)
{
	struct fm_dp *dp;
	struct bpf_map *map;
	char path[PATH_MAX + 64];
	int rc, mtu;

	*out = NULL;
	rc = check_opts(o);
	if (rc)
		return rc;
	rc = ensure_bpffs(bpffs_root(o));
	if (rc)
		return rc;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->undo = calloc(2 * FM_DP_MAX_IFACES, sizeof(*dp->undo));
	if (!dp->undo) {
		free(dp);
		return -ENOMEM;
	}
	dp->role = o->role;
	dp->mode = o->mode;
	dp->ncpus = libbpf_num_possible_cpus();
	rc = pin_dir_of(o, dp->pin_dir, sizeof(dp->pin_dir));
	if (rc)
		goto err;
	{
		char older[PATH_MAX];

		snprintf(older, sizeof(older), "%s/flowmob/%s/%s", bpffs_root(o), o->instance,
			 FM_LAYOUT_OLDER);
		if (!access(older, F_OK)) {
			pr_err(
			    "dataplane: %s holds the pins of an earlier build (layout %s); this "
			    "build's maps have layout %s and cannot take them over: stop that "
			    "instance and run 'flowmobd --cleanup' (it removes every layout), then "
			    "start again",
			    older, FM_LAYOUT_OLDER, FM_LAYOUT_VERSION);
			rc = -EEXIST;
			dp->pin_dir[0] = 0; /* nothing of ours to remove */
			goto err;
		}
	}
	rc = fm_mkdir_p(dp->pin_dir, 0700);
	if (rc) {
		pr_err("dataplane: create %s: %s", dp->pin_dir, strerror(-rc));
		goto err;
	}
	libbpf_set_print(libbpf_print);
	snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, FM_DP_MARK);
	if (!access(path, F_OK)) {
		pr_warn("dataplane: %s holds the remains of a start that did not complete; "
			"removing them (they are not an earlier healthy run's)",
			dp->pin_dir);
		pins_remove(dp->pin_dir);
	}

	dp->skel = flowmob__open();
	if (!dp->skel) {
		rc = -errno ? -errno : -ENOMEM;
		pr_err("dataplane: open BPF skeleton: %s", strerror(-rc));
		goto err;
	}

	/* Read-only configuration. */
	{
		struct fm_cfg *c = (struct fm_cfg *)&dp->skel->rodata->cfg;
		uint32_t rate = o->ptb_per_sec ? o->ptb_per_sec : DEF_PTB_PER_SEC;

		memset(c, 0, sizeof(*c));
		memcpy(c->local, &o->local, 16);
		memcpy(c->lma, &o->lma, 16);
		mtu = o->tunnel_mtu ? o->tunnel_mtu : link_mtu_min(o);
		if (mtu < FM_MIN_TUNNEL_MTU) {
			pr_err("dataplane: tunnel MTU %d is below %d (1280 inner + 40 outer); "
			       "raise the link MTU or tunnel-mtu",
			       mtu, FM_MIN_TUNNEL_MTU);
			rc = -EINVAL;
			goto err;
		}
		c->tunnel_mtu = (uint32_t)mtu;
		c->hop_limit = o->hop_limit ? o->hop_limit : 64;
		c->role = o->role == FM_DP_LMA ? FM_ROLE_LMA : FM_ROLE_MAG;
		c->nh_ttl_ns = 1000000000ULL;
		c->ptb_interval_ns = 1000000000ULL / rate;
		c->ptb_burst = rate < 10 ? rate : 10;
	}

	/* Sizes, then pins: an existing pin keeps its size (a restart reuses it). */
	{
		struct dp_sizes z;

		dp_sizes(o, &z);
		bpf_map__set_max_entries(dp->skel->maps.fm_mn, z.mn);
		bpf_map__set_max_entries(dp->skel->maps.fm_pfx64, z.pfx64);
		bpf_map__set_max_entries(dp->skel->maps.fm_mn_cnt, z.mn);
		bpf_map__set_max_entries(dp->skel->maps.fm_bval, z.b);
		bpf_map__set_max_entries(dp->skel->maps.fm_binding, z.b);
		bpf_map__set_max_entries(dp->skel->maps.fm_bind_cnt, z.b);
		bpf_map__set_max_entries(dp->skel->maps.fm_spoof, z.b);
		bpf_map__set_max_entries(dp->skel->maps.fm_fid_cnt, z.b * 4);
		bpf_map__set_max_entries(dp->skel->maps.fm_rulesets, z.rs);
		bpf_map__set_max_entries(dp->skel->maps.fm_flows, z.flows);
		bpf_map__set_max_entries(dp->skel->maps.fm_cls_iv, z.iv);
	}
	dp->reuse_ok = true;
	bpf_object__for_each_map(map, dp->skel->obj)
	{
		const char *name = bpf_map__name(map);
		uint32_t pinned;

		if (name[0] == '.' || strchr(name, '.'))
			continue; /* .rodata: per program load */
		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, name);
		pinned = pinned_max_entries(path);
		if (!pinned)
			dp->reuse_ok = false;
		if (pinned) {
			dp->reused = true;
			if (pinned != bpf_map__max_entries(map))
				pr_warn("dataplane: %s keeps its pinned size %u", name, pinned);
			bpf_map__set_max_entries(map, pinned);
		}
		rc = bpf_map__set_pin_path(map, path);
		if (rc)
			goto err;
	}
	if (!dp->reused) {
		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, FM_DP_MARK);
		if (mkdir(path, 0700))
			pr_warn("dataplane: mkdir %s: %s", path, strerror(errno));
		else
			dp->marked = true;
	}
	dp->max_mns = bpf_map__max_entries(dp->skel->maps.fm_mn);
	dp->max_rs = bpf_map__max_entries(dp->skel->maps.fm_rulesets);
	dp->max_b = bpf_map__max_entries(dp->skel->maps.fm_bval);
	dp->max_iv = bpf_map__max_entries(dp->skel->maps.fm_cls_iv);

	for (int tc = 0; tc < 2; tc++)
		for (int role = FM_DP_LMA; role <= FM_DP_MAG; role++)
			bpf_program__set_autoload(role_prog(dp->skel, role, tc),
						  (enum fm_dp_role)role == o->role);

	/* FM_DP_VERIFIER_STATS=1: log the verifier's instruction counts. */
	static char vlog[2][1 << 20];
	bool vstats = getenv("FM_DP_VERIFIER_STATS") != NULL;

	if (vstats)
		for (int tc = 0; tc < 2; tc++) {
			struct bpf_program *p = role_prog(dp->skel, o->role, tc);

			bpf_program__set_log_buf(p, vlog[tc], sizeof(vlog[tc]));
			bpf_program__set_log_level(p, 4); /* BPF_LOG_STATS */
		}
	{
		/* FM_DP_VERIFIER_LOG=FILE: the verifier's full log (its tail, when long) of the
		 * role's XDP program, for a program that fails to load. */
		const char *vf = getenv("FM_DP_VERIFIER_LOG");
		static char *big;

		if (vf && (big = malloc(64u << 20))) {
			struct bpf_program *p = role_prog(dp->skel, o->role, false);

			big[0] = 0;
			bpf_program__set_log_buf(p, big, 64u << 20);
			bpf_program__set_log_level(p, 1);
		}
		rc = flowmob__load(dp->skel);
		if (vf && big) {
			FILE *f = fopen(vf, "w");

			if (f) {
				fputs(big, f);
				fclose(f);
			}
			free(big);
			big = NULL;
		}
	}
	if (vstats)
		for (int tc = 0; tc < 2; tc++) {
			char *l = strstr(vlog[tc], "processed"), *e = l ? strchr(l, '\n') : NULL;

			if (e)
				*e = 0;
			pr_info("dataplane: verifier %s: %s",
				bpf_program__name(role_prog(dp->skel, o->role, tc)), l ? l : "?");
		}
	if (rc) {
		pr_err("dataplane: load BPF programs: %s (pins in %s)", strerror(-rc), dp->pin_dir);
		goto err;
	}

	dp->mn_len = (size_t)dp->max_mns * sizeof(struct fm_mn);
	dp->mn_len = (dp->mn_len + 4095) & ~(size_t)4095;
	dp->mn = mmap(NULL, dp->mn_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      bpf_map__fd(dp->skel->maps.fm_mn), 0);
	if (dp->mn == MAP_FAILED) {
		rc = -errno;
		dp->mn = NULL;
		pr_err("dataplane: mmap fm_mn: %s", strerror(-rc));
		goto err;
	}
	dp->rs = calloc(dp->max_rs, sizeof(*dp->rs));
	dp->bi_used = calloc(dp->max_b, 1);
	dp->ci_used = calloc(dp->max_b, 1);
	dp->iv_used = calloc(dp->max_iv, 1);
	if (!dp->rs || !dp->bi_used || !dp->ci_used || !dp->iv_used) {
		rc = -ENOMEM;
		goto err;
	}
	if (dp->reused) {
		rs_rebuild(dp);
		bindings_rebuild(dp);
	}

	rc = attach_all(dp, o);
	if (rc) {
		/* a first start leaves nothing behind: the maps it pinned go too */
		if (!dp->reused)
			bpf_object__unpin_maps(dp->skel->obj, NULL);
		goto err;
	}
	pr_info("dataplane: %s instance %s %s (pins %s, tunnel MTU %d)",
		o->role == FM_DP_LMA ? "LMA" : "MAG", o->instance,
		dp->reused ? "reused" : "created", dp->pin_dir, mtu);
	*out = dp;
	return 0;
err:
	if (dp->marked)
		fm_dp_commit(dp); /* the mark goes with the pins libbpf or we removed */
	if (!dp->reused && dp->pin_dir[0])
		rmdir_up(o, dp->pin_dir);
	fm_dp_close(dp);
	return rc;
}

void fm_dp_commit(struct fm_dp *dp)
{
	char path[PATH_MAX + 64];

	if (!dp || !dp->marked)
		return;
	snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, FM_DP_MARK);
	if (rmdir(path))
		pr_warn("dataplane: rmdir %s: %s", path, strerror(errno));
	dp->marked = false;
}

void fm_dp_close(struct fm_dp *dp)
{
	if (!dp)
		return;
	fm_dp_commit(dp); /* closed, not killed: the pins are good */
	for (int i = 0; i < dp->n_undo; i++)
		undo_one(&dp->undo[i], false); /* a good start: the links stay */
	free(dp->undo);
	if (dp->mn)
		munmap(dp->mn, dp->mn_len);
	flowmob__destroy(dp->skel);
	if (dp->rs)
		for (uint32_t i = 0; i < dp->max_rs; i++)
			free(dp->rs[i].copy);
	free(dp->rs);
	free(dp->bi_used);
	free(dp->ci_used);
	free(dp->iv_used);
	free(dp);
}

void fm_dp_abandon(struct fm_dp *dp, const struct fm_dp_opts *o)
{
	if (!dp)
		return;
	/* links this open created go (detached, unpinned); links it updated get the
	 * program they ran before */
	for (int i = 0; i < dp->n_undo; i++)
		undo_one(&dp->undo[i], true);
	dp->n_undo = 0;
	if (!dp->reused) {
		/* everything in the pin directory is this start's */
		bpf_object__unpin_maps(dp->skel->obj, NULL);
		fm_dp_commit(dp); /* the mark */
		rmdir_up(o, dp->pin_dir);
		pr_info("dataplane: start failed: attachments and pins of this start removed");
	} else {
		if (!dp->reuse_ok)
			pr_warn("dataplane: start failed; maps pinned by this start stay with the "
				"earlier run's (flowmobd --cleanup removes them)");
		pr_info("dataplane: start failed: attachments restored to the earlier run's");
	}
	fm_dp_close(dp);
}

uint64_t fm_dp_map_bytes(const struct fm_dp_opts *o)
{
	struct dp_sizes z;
	uint64_t cpus = (uint64_t)(libbpf_num_possible_cpus() > 0 ? libbpf_num_possible_cpus() : 1);
	uint64_t cnt = cpus * sizeof(struct fm_counter), hash = 64; /* per-element overhead */

	dp_sizes(o, &z);
	return (uint64_t)z.mn * (sizeof(struct fm_mn) + cnt) +
	       (uint64_t)z.pfx64 * (sizeof(struct fm_pfx64_key) + sizeof(struct fm_prefix) + hash) +
	       (uint64_t)z.b * (sizeof(struct fm_binding) + cnt + 2 * (48 + hash)) +
	       (uint64_t)z.b * 4 * (sizeof(struct fm_fidkey) + cnt + hash) +
	       (uint64_t)z.rs * sizeof(struct fm_ruleset) +
	       (uint64_t)z.flows * (sizeof(struct fm_flow_key) + sizeof(struct fm_flow) + hash) +
	       (uint64_t)z.iv * 48;
}

int fm_dp_limits(struct fm_dp *dp, struct fm_dp_limits *l)
{
	uint32_t b = dp->max_b > 1 ? dp->max_b - 1 : 0;

	l->mns = dp->max_mns > 1 ? dp->max_mns - 1 : 0;
	l->bindings = b - b / 9; /* the spare of dp_sizes */
	l->prefixes = bpf_map__max_entries(dp->skel->maps.fm_pfx64);
	l->rulesets = dp->max_rs > 1 ? dp->max_rs - 1 : 0;
	return 0;
}

static void cleanup_dir(const char *dir)
{
	pins_remove(dir);
	rmdir(dir);
}

int fm_dp_cleanup(const struct fm_dp_opts *o)
{
	char dir[PATH_MAX];
	int rc;

	if (!o || !name_ok(o->instance)) {
		pr_err("dataplane: cleanup needs a valid instance name");
		return -EINVAL;
	}
	libbpf_set_print(libbpf_print);
	rc = pin_dir_of(o, dir, sizeof(dir));
	if (rc)
		return rc;
	cleanup_dir(dir);
	/* and the pins of an earlier layout (an older build's instance of this name) */
	snprintf(dir, sizeof(dir), "%s/flowmob/%s/%s", bpffs_root(o), o->instance, FM_LAYOUT_OLDER);
	cleanup_dir(dir);
	pin_dir_of(o, dir, sizeof(dir));
	rmdir_up(o, dir);
	pr_info("dataplane: instance %s cleaned up", o->instance);
	return 0;
}

/* ---- MN word helpers (mmap, single aligned atomic stores) --------------------------------- */

static int mn_check(struct fm_dp *dp, uint32_t mn)
{
	if (!dp)
		return -EINVAL;
	if (mn >= dp->max_mns) {
		pr_err("dataplane: MN id %u out of range (max_mns %u)", mn, dp->max_mns);
		return -ERANGE;
	}
	return 0;
}

static struct fm_ver mn_ver(struct fm_mn *m)
{
	uint64_t w = __atomic_load_n((uint64_t *)&m->ver, __ATOMIC_ACQUIRE);
	struct fm_ver v;

	memcpy(&v, &w, sizeof(v));
	return v;
}

static void mn_set_ver(struct fm_mn *m, struct fm_ver v)
{
	uint64_t w;

	memcpy(&w, &v, sizeof(w));
	__atomic_store_n((uint64_t *)&m->ver, w, __ATOMIC_RELEASE);
}

/* Invalidates the MN's cached decisions (bindings changed). */
static void mn_bump(struct fm_mn *m)
{
	struct fm_ver v = mn_ver(m);

	v.epoch++;
	mn_set_ver(m, v);
}

/* ---- LMA: prefixes, bindings, peers ---------------------------------------------------------- */

static void prefix_mask(const struct in6_addr *in, uint8_t plen, uint8_t out[16])
{
	memset(out, 0, 16);
	for (int i = 0; i < 16 && plen; i++) {
		uint8_t bits = plen >= 8 ? 8 : plen;

		out[i] = in->s6_addr[i] & (uint8_t)(0xff << (8 - bits));
		plen -= bits;
	}
}

static int prefix_put(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen,
		      const struct fm_prefix *v)
{
	uint8_t a[16];
	int rc;

	if (!dp || !prefix || plen > 128 || plen == 0)
		return -EINVAL;
	prefix_mask(prefix, plen, a);
	if (plen == 64) {
		struct fm_pfx64_key k;

		memcpy(k.prefix, a, 8);
		rc = bpf_map_update_elem(bpf_map__fd(dp->skel->maps.fm_pfx64), &k, v, BPF_ANY);
	} else {
		struct fm_lpm_key k = {.prefixlen = plen};
		int fd = bpf_map__fd(dp->skel->maps.fm_pfx_lpm);
		struct fm_prefix old;
		bool isnew;

		memcpy(k.addr, a, 16);
		/* an LPM lookup answers the longest match, not only this prefix */
		isnew = bpf_map_lookup_elem(fd, &k, &old) != 0 || old.plen != plen;
		rc = bpf_map_update_elem(fd, &k, v, BPF_ANY);
		if (!rc && isnew) {
			uint32_t zero = 0;
			struct fm_meta m = {};

			bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.fm_meta), &zero, &m);
			m.n_lpm++;
			bpf_map_update_elem(bpf_map__fd(dp->skel->maps.fm_meta), &zero, &m,
					    BPF_ANY);
		}
	}
	if (rc) {
		rc = -errno;
		pr_err("dataplane: set prefix /%u: %s", plen, strerror(-rc));
	}
	return rc;
}

/* Bumps the epoch of MN mn (when it is one): its cached flow decisions go. */
static void mn_bump_id(struct fm_dp *dp, uint32_t mn)
{
	if (mn < dp->max_mns)
		mn_bump(&dp->mn[mn]);
}

/* The prefix entry stored for prefix/plen (exact key), 0 or -ENOENT. */
static int prefix_get(struct fm_dp *dp, const uint8_t a[16], uint8_t plen, struct fm_prefix *v)
{
	if (plen == 64) {
		struct fm_pfx64_key k;

		memcpy(k.prefix, a, 8);
		return bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.fm_pfx64), &k, v) ? -ENOENT
											: 0;
	} else {
		struct fm_lpm_key k = {.prefixlen = plen};
		struct fm_prefix got;

		memcpy(k.addr, a, 16);
		/* an LPM lookup answers the longest match: only an exact one counts */
		if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.fm_pfx_lpm), &k, &got) ||
		    got.plen != plen)
			return -ENOENT;
		*v = got;
		return 0;
	}
}

/*
 * A prefix change takes effect for cached flows too: the flow cache is consulted
 * before any prefix lookup, so the MNs whose decisions could change have their
 * epochs bumped: the prefix's old and new owner and, when prefixes of other lengths
 * exist, the owner of the prefix that covered it until now (its flows to addresses
 * inside this prefix now belong here).
 */
static void prefix_invalidate(struct fm_dp *dp, const uint8_t a[16], uint8_t plen)
{
	struct fm_prefix old;
	uint32_t zero = 0;
	struct fm_meta meta = {};

	if (!prefix_get(dp, a, plen, &old))
		mn_bump_id(dp, old.mn);
	bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.fm_meta), &zero, &meta);
	if (plen == 64 && !meta.n_lpm)
		return;
	{
		struct fm_lpm_key k = {.prefixlen = plen < 128 ? plen : 128};

		memcpy(k.addr, a, 16);
		if (!bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.fm_pfx_lpm), &k, &old))
			mn_bump_id(dp, old.mn);
	}
	if (plen > 64) {
		struct fm_pfx64_key k;

		memcpy(k.prefix, a, 8);
		if (!bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.fm_pfx64), &k, &old))
			mn_bump_id(dp, old.mn);
	}
}

int fm_dp_prefix_set(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen, uint32_t mn,
		     uint16_t default_bid)
{
	struct fm_prefix v = {.mn = mn, .default_bid = default_bid, .plen = plen};
	int rc = mn_check(dp, mn);
	uint8_t a[16];

	if (rc)
		return rc;
	if (!prefix || plen > 128 || plen == 0)
		return -EINVAL;
	prefix_mask(prefix, plen, a);
	prefix_invalidate(dp, a, plen);
	rc = prefix_put(dp, prefix, plen, &v);
	mn_bump_id(dp, mn); /* its default binding may have changed */
	return rc;
}

int fm_dp_prefix_del(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen)
{
	struct fm_prefix old;
	uint8_t a[16];

	if (!dp || !prefix || plen > 128 || plen == 0)
		return -EINVAL;
	prefix_mask(prefix, plen, a);
	if (!prefix_get(dp, a, plen, &old)) /* its flows are cached: they go */
		mn_bump_id(dp, old.mn);
	if (plen == 64) {
		struct fm_pfx64_key k;

		memcpy(k.prefix, a, 8);
		if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.fm_pfx64), &k))
			return -errno;
	} else {
		struct fm_lpm_key k = {.prefixlen = plen};
		uint32_t zero = 0;
		struct fm_meta m = {};

		memcpy(k.addr, a, 16);
		if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.fm_pfx_lpm), &k))
			return -errno;
		bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.fm_meta), &zero, &m);
		if (m.n_lpm)
			m.n_lpm--;
		bpf_map_update_elem(bpf_map__fd(dp->skel->maps.fm_meta), &zero, &m, BPF_ANY);
	}
	return 0;
}

/* Round-robin index allocator over [1, max): a freed index is reused last, long
 * after any packet that read it has finished with it. */
static uint32_t idx_alloc(uint8_t *used, uint32_t max, uint32_t *cursor)
{
	for (uint32_t i = 0; i < max; i++) {
		uint32_t id = 1 + (*cursor + i) % (max - 1);

		if (!used[id]) {
			used[id] = 1;
			*cursor = id;
			return id;
		}
	}
	return 0;
}

static int find_bind(const struct fm_mn *m, uint16_t bid)
{
	for (int i = 0; i < FM_MAX_BIND_PER_MN; i++) {
		struct fm_mn_bind e = m->bind[i];

		if ((e.flags & FM_MB_VALID) && e.bid == bid)
			return i;
	}
	return -1;
}

static int binding_read(struct fm_dp *dp, uint32_t bi, struct fm_binding *v)
{
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.fm_bval), &bi, v))
		return -errno;
	return 0;
}

static void mn_set_bind(struct fm_mn *m, int i, struct fm_mn_bind b)
{
	uint64_t w;

	memcpy(&w, &b, sizeof(w));
	__atomic_store_n((uint64_t *)&m->bind[i], w, __ATOMIC_RELEASE);
}

/* Copy on write: the value goes to a fresh index, then one 8-byte store switches
 * the MN's list entry to it and the epoch moves on. */
static int binding_publish(struct fm_dp *dp, struct fm_mn *m, int slot, const struct fm_binding *v)
{
	struct fm_mn_bind old = m->bind[slot];
	uint32_t bi = idx_alloc(dp->bi_used, dp->max_b, &dp->bi_cursor);

	if (!bi) {
		pr_err("dataplane: all %u binding slots in use (max_bindings)", dp->max_b - 1);
		return -ENOSPC;
	}
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.fm_bval), &bi, v, BPF_ANY)) {
		int rc = -errno;

		dp->bi_used[bi] = 0;
		pr_err("dataplane: write binding [%u,%u]: %s", v->mn, v->bid, strerror(-rc));
		return rc;
	}
	mn_set_bind(
	    m, slot,
	    (struct fm_mn_bind){.bid = v->bid,
				.att = v->att,
				.flags = FM_MB_VALID | ((v->flags & FM_B_DOWN) ? FM_MB_DOWN : 0),
				.bi = bi});
	mn_bump(m);
	if ((old.flags & FM_MB_VALID) && old.bi && old.bi < dp->max_b)
		dp->bi_used[old.bi] = 0;
	{
		struct fm_bkey k = {.mn = v->mn, .bid = v->bid};
		struct fm_bind_info info = {
		    .att = v->att, .flags = v->flags, .bi = bi, .ci = v->ci};

		memcpy(info.coa, v->coa, 16);
		bpf_map_update_elem(bpf_map__fd(dp->skel->maps.fm_binding), &k, &info, BPF_ANY);
	}
	return 0;
}

static void spoof_adjust(struct fm_dp *dp, const uint8_t coa[16], uint32_t mn, uint32_t ci,
			 int delta)
{
	int fd = bpf_map__fd(dp->skel->maps.fm_spoof);
	struct fm_spoof_key k = {.mn = mn};
	struct fm_spoof v = {};

	memcpy(k.coa, coa, 16);
	bpf_map_lookup_elem(fd, &k, &v);
	if (delta < 0 && v.nbind <= 1) {
		bpf_map_delete_elem(fd, &k);
		return;
	}
	v.nbind += delta;
	if (delta > 0 || v.ci == ci)
		v.ci = ci; /* uplink counters: the most recent binding via this MAG */
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
}

static void counters_zero(struct fm_dp *dp, int fd, uint32_t idx)
{
	struct fm_counter *z = calloc((size_t)dp->ncpus, sizeof(*z));

	if (z) {
		bpf_map_update_elem(fd, &idx, z, BPF_ANY);
		free(z);
	}
}

int fm_dp_binding_set(struct fm_dp *dp, uint32_t mn, uint16_t bid, const struct fm_dp_binding *b)
{
	struct fm_binding nv = {.mn = mn, .bid = bid}, old;
	int slot, rc = mn_check(dp, mn);
	struct fm_mn *m;
	bool had;

	if (rc)
		return rc;
	if (!bid || !b)
		return -EINVAL;
	m = &dp->mn[mn];
	slot = find_bind(m, bid);
	had = slot >= 0 && !binding_read(dp, m->bind[slot].bi, &old);
	if (slot < 0) {
		for (int i = 0; i < FM_MAX_BIND_PER_MN && slot < 0; i++)
			if (!(m->bind[i].flags & FM_MB_VALID))
				slot = i;
		if (slot < 0) {
			pr_err("dataplane: MN %u has %d bindings already", mn, FM_MAX_BIND_PER_MN);
			return -ENOSPC;
		}
	}
	memcpy(nv.coa, &b->coa, 16);
	nv.att = b->att;
	nv.flags = b->down ? FM_B_DOWN : 0;
	if (had) {
		nv.ci = old.ci;
		if (!memcmp(old.coa, nv.coa, 16))
			nv.nh = old.nh; /* same MAG: keep the resolved next hop */
	} else {
		nv.ci = idx_alloc(dp->ci_used, dp->max_b, &dp->ci_cursor);
		if (!nv.ci)
			return -ENOSPC;
		counters_zero(dp, bpf_map__fd(dp->skel->maps.fm_bind_cnt), nv.ci);
	}
	rc = binding_publish(dp, m, slot, &nv);
	if (rc) {
		if (!had)
			dp->ci_used[nv.ci] = 0;
		return rc;
	}
	if (!had) {
		spoof_adjust(dp, nv.coa, mn, nv.ci, +1);
	} else if (memcmp(old.coa, nv.coa, 16)) {
		spoof_adjust(dp, old.coa, mn, nv.ci, -1);
		spoof_adjust(dp, nv.coa, mn, nv.ci, +1);
	}
	return 0;
}

int fm_dp_binding_del(struct fm_dp *dp, uint32_t mn, uint16_t bid)
{
	struct fm_binding old;
	struct fm_mn_bind e;
	int slot, rc = mn_check(dp, mn);
	struct fm_mn *m;

	if (rc)
		return rc;
	m = &dp->mn[mn];
	slot = find_bind(m, bid);
	if (slot < 0)
		return -ENOENT;
	e = m->bind[slot];
	rc = binding_read(dp, e.bi, &old);
	mn_set_bind(m, slot, (struct fm_mn_bind){0});
	mn_bump(m);
	{
		struct fm_bkey k = {.mn = mn, .bid = bid};

		bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.fm_binding), &k);
	}
	if (e.bi < dp->max_b)
		dp->bi_used[e.bi] = 0;
	if (!rc) {
		if (old.ci < dp->max_b)
			dp->ci_used[old.ci] = 0;
		spoof_adjust(dp, old.coa, mn, old.ci, -1);
	}
	return 0;
}

int fm_dp_nexthop_static(struct fm_dp *dp, uint32_t mn, uint16_t bid, int ifindex,
			 const uint8_t dmac[6], const uint8_t smac[6])
{
	struct fm_nh nh = {.ifindex = (uint32_t)ifindex, .flags = FM_NH_VALID | FM_NH_STATIC};
	struct fm_binding b;
	struct fm_mn *m;
	int slot, rc;

	if (!dp || ifindex <= 0 || !dmac || !smac)
		return -EINVAL;
	memcpy(nh.dmac, dmac, 6);
	memcpy(nh.smac, smac, 6);
	if (dp->role == FM_DP_MAG) {
		uint32_t zero = 0;

		if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.fm_mag_nh), &zero, &nh, BPF_ANY))
			return -errno;
		return 0;
	}
	rc = mn_check(dp, mn);
	if (rc)
		return rc;
	m = &dp->mn[mn];
	slot = find_bind(m, bid);
	if (slot < 0 || binding_read(dp, m->bind[slot].bi, &b))
		return -ENOENT;
	b.nh = nh;
	return binding_publish(dp, m, slot, &b);
}

int fm_dp_peer_set(struct fm_dp *dp, const struct in6_addr *mag)
{
	struct fm_addr k;
	struct fm_peer v = {.flags = 1};

	if (!dp || !mag)
		return -EINVAL;
	memcpy(k.addr, mag, 16);
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.fm_peers), &k, &v, BPF_ANY))
		return -errno;
	return 0;
}

int fm_dp_peer_del(struct fm_dp *dp, const struct in6_addr *mag)
{
	struct fm_addr k;

	if (!dp || !mag)
		return -EINVAL;
	memcpy(k.addr, mag, 16);
	if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.fm_peers), &k))
		return -errno;
	return 0;
}

/* ---- rules ---------------------------------------------------------------------------------- */

static int cmp_rule(const void *a, const void *b)
{
	const struct fm_dp_rule *x = *(const struct fm_dp_rule *const *)a;
	const struct fm_dp_rule *y = *(const struct fm_dp_rule *const *)b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->fid < y->fid ? -1 : x->fid > y->fid;
}

static int num_field(const struct ts_val *v, uint32_t max, uint32_t *lo, uint32_t *hi)
{
	if (v->n == TS_EXACT) {
		*lo = *hi = v->num[0];
	} else if (v->n == TS_RANGE) {
		*lo = v->num[0];
		*hi = v->num[1];
	} else {
		return -EINVAL;
	}
	if (*lo > *hi || *hi > max)
		return -EINVAL;
	return 0;
}

static u128 addr128(const struct in6_addr *a)
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = (v << 8) | a->s6_addr[i];
	return v;
}

/* Compiles one selector; returns 0 or -EINVAL with a message. */
static int compile_rule(const struct fm_dp_rule *in, struct rule_src *r)
{
	const struct fm_ts *ts = &in->ts;
	static const uint32_t max[TS_NFIELDS] = {[TS_SPI] = 0xffffffffu, [TS_FLOW_LABEL] = 0xfffff,
						 [TS_SRC_PORT] = 0xffff, [TS_DST_PORT] = 0xffff,
						 [TS_TC] = 0xff,	 [TS_NEXT_HEADER] = 0xff};

	memset(r, 0, sizeof(*r));
	r->meta.fid = in->fid;
	r->meta.prio = in->priority;
	r->meta.bid = in->bid;
	r->meta.action = in->action == FM_DP_DROP ? FM_RA_DROP : FM_RA_FORWARD;
	if (in->action != FM_DP_DROP && !in->bid && (!in->n_att || in->n_att > FM_MAX_ATT)) {
		pr_err("dataplane: rule FID %u: no BID and no access technology", in->fid);
		return -EINVAL;
	}
	r->meta.n_att = in->n_att > FM_MAX_ATT ? FM_MAX_ATT : in->n_att;
	memcpy(r->meta.att, in->att, r->meta.n_att);
	if (ts->format == TS_FMT_IPV4)
		r->meta.v4 = 1;
	else if (ts->format != TS_FMT_IPV6)
		goto bad;

	_Static_assert((int)TS_NFIELDS == (int)FM_CF_N && (int)TS_SRC_ADDR == (int)FM_CF_SRC &&
			   (int)TS_DST_ADDR == (int)FM_CF_DST && (int)TS_SPI == (int)FM_CF_SPI &&
			   (int)TS_FLOW_LABEL == (int)FM_CF_FL &&
			   (int)TS_SRC_PORT == (int)FM_CF_SPORT &&
			   (int)TS_DST_PORT == (int)FM_CF_DPORT && (int)TS_TC == (int)FM_CF_TC &&
			   (int)TS_NEXT_HEADER == (int)FM_CF_NH,
		       "selector fields in classifier order");
	for (int f = 0; f < TS_NFIELDS; f++) {
		const struct ts_val *v = &ts->f[f];

		if (v->n == TS_ABSENT)
			continue;
		if (v->n != TS_EXACT && v->n != TS_RANGE)
			goto bad;
		r->meta.fields |= 1u << f;
		if (f == TS_SRC_ADDR || f == TS_DST_ADDR) {
			r->lo[f] = addr128(&v->addr[0]);
			r->hi[f] = addr128(&v->addr[v->n == TS_RANGE ? 1 : 0]);
		} else {
			uint32_t lo, hi;

			if (num_field(v, max[f], &lo, &hi))
				goto bad;
			r->lo[f] = lo;
			r->hi[f] = hi;
		}
		if (r->lo[f] > r->hi[f])
			goto bad;
	}
	return 0;
bad:
	pr_err("dataplane: rule FID %u: invalid traffic selector", in->fid);
	return -EINVAL;
}

int fm_dp_rules_set(struct fm_dp *dp, uint32_t mn, const struct fm_dp_rule *rules, unsigned n)
{
	const struct fm_dp_rule *sorted[FM_DP_RULES_MAX];
	struct rule_src *src = NULL;
	struct fm_ver v;
	struct fm_mn *m;
	uint32_t old, id = 0;
	unsigned k = 0;
	int rc = mn_check(dp, mn);

	if (rc)
		return rc;
	if (n > FM_DP_RULES_MAX || (n && !rules)) {
		pr_err("dataplane: %u rules for MN %u (max %d)", n, mn, FM_DP_RULES_MAX);
		return -E2BIG;
	}
	for (unsigned i = 0; i < n; i++)
		if (rules[i].active) /* inactive rules are skipped */
			sorted[k++] = &rules[i];
	qsort(sorted, k, sizeof(sorted[0]), cmp_rule);
	if (k) {
		src = calloc(k, sizeof(*src));
		if (!src)
			return -ENOMEM;
		for (unsigned i = 0; i < k; i++) {
			rc = compile_rule(sorted[i], &src[i]);
			if (rc)
				goto out;
		}
		rc = rs_get(dp, src, k);
		if (rc < 0)
			goto out;
		id = (uint32_t)rc;
		rc = 0;
	}
	m = &dp->mn[mn];
	v = mn_ver(m);
	old = m->rs[v.slot & 1];
	/* Fill the inactive slot, then flip {slot, epoch} in one 8-byte store. */
	__atomic_store_n(&m->rs[!(v.slot & 1)], id, __ATOMIC_RELEASE);
	v.slot = !(v.slot & 1);
	v.epoch++;
	mn_set_ver(m, v);
	rs_put(dp, old);
out:
	free(src);
	return rc;
}

static void del_counters_of(struct fm_dp *dp, uint32_t mn)
{
	int fd = bpf_map__fd(dp->skel->maps.fm_fid_cnt);
	struct fm_fidkey k, next, *prev = NULL;
	struct fm_fidkey dels[256];
	int nd = 0;

	/* FID counters: walk the map (an MN delete is rare, the map is per binding-sized). */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (next.mn == mn && nd < (int)(sizeof(dels) / sizeof(dels[0])))
			dels[nd++] = next;
	}
	for (int i = 0; i < nd; i++)
		bpf_map_delete_elem(fd, &dels[i]);
}

int fm_dp_mn_del(struct fm_dp *dp, uint32_t mn)
{
	int rc = mn_check(dp, mn);
	struct fm_mn *m;
	struct fm_ver v;
	uint32_t a, b;

	if (rc)
		return rc;
	m = &dp->mn[mn];
	v = mn_ver(m);
	a = m->rs[0];
	b = m->rs[1];
	__atomic_store_n(&m->rs[!(v.slot & 1)], 0, __ATOMIC_RELEASE);
	v.slot = !(v.slot & 1);
	v.epoch++;
	mn_set_ver(m, v);
	__atomic_store_n(&m->rs[!(v.slot & 1)], 0, __ATOMIC_RELEASE);
	rs_put(dp, (v.slot & 1) ? a : b); /* the slot that was active */
	del_counters_of(dp, mn);
	counters_zero(dp, bpf_map__fd(dp->skel->maps.fm_mn_cnt), mn);
	return 0;
}

/* ---- MAG --------------------------------------------------------------------------------------
 */

int fm_dp_mag_route_set(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen,
			const char *access_iface, const uint8_t mn_mac[6], uint32_t mn)
{
	struct fm_prefix v = {.mn = mn, .plen = plen};
	struct ifreq ifr;
	int idx, rc;

	if (!dp || !access_iface || !mn_mac)
		return -EINVAL;
	idx = iface_index(access_iface);
	if (idx < 0)
		return idx;
	rc = iface_ioctl(access_iface, SIOCGIFHWADDR, &ifr);
	if (rc) {
		pr_err("dataplane: MAC of %s: %s", access_iface, strerror(-rc));
		return rc;
	}
	v.ifindex = (uint32_t)idx;
	memcpy(v.mn_mac, mn_mac, 6);
	memcpy(v.if_mac, ifr.ifr_hwaddr.sa_data, 6);
	rc = mn_check(dp, mn);
	return rc ? rc : prefix_put(dp, prefix, plen, &v);
}

int fm_dp_mag_route_del(struct fm_dp *dp, const struct in6_addr *prefix, uint8_t plen)
{
	return fm_dp_prefix_del(dp, prefix, plen);
}

/* ---- counters
 * ------------------------------------------------------------------------------------ */

static int percpu_sum(struct fm_dp *dp, int fd, const void *key, struct fm_counter *out)
{
	struct fm_counter *v = calloc((size_t)dp->ncpus, sizeof(*v));
	int rc = 0;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(fd, key, v)) {
		rc = -errno;
	} else {
		for (int i = 0; i < dp->ncpus; i++) {
			out->packets += v[i].packets;
			out->bytes += v[i].bytes;
		}
	}
	free(v);
	return rc;
}

int fm_dp_binding_counters(struct fm_dp *dp, uint32_t mn, uint16_t bid, struct fm_dp_counters *c)
{
	struct fm_counter s;
	struct fm_binding b;
	int slot, rc;

	if (!dp || !c)
		return -EINVAL;
	rc = mn_check(dp, mn);
	if (rc)
		return rc;
	slot = find_bind(&dp->mn[mn], bid);
	if (slot < 0 || binding_read(dp, dp->mn[mn].bind[slot].bi, &b))
		return -ENOENT;
	rc = percpu_sum(dp, bpf_map__fd(dp->skel->maps.fm_bind_cnt), &b.ci, &s);
	c->packets = s.packets;
	c->bytes = s.bytes;
	return rc;
}

int fm_dp_fid_counters(struct fm_dp *dp, uint32_t mn, uint16_t fid, struct fm_dp_counters *c)
{
	struct fm_fidkey k = {.mn = mn, .fid = fid};
	struct fm_counter s;
	int rc;

	if (!dp || !c)
		return -EINVAL;
	rc = percpu_sum(dp, bpf_map__fd(dp->skel->maps.fm_fid_cnt), &k, &s);
	if (rc == -ENOENT)
		rc = 0; /* no packet has matched this FID yet */
	c->packets = s.packets;
	c->bytes = s.bytes;
	return rc;
}

int fm_dp_mn_counters(struct fm_dp *dp, uint32_t mn, struct fm_dp_counters *c)
{
	struct fm_counter s;
	int rc;

	if (!dp || !c)
		return -EINVAL;
	rc = percpu_sum(dp, bpf_map__fd(dp->skel->maps.fm_mn_cnt), &mn, &s);
	if (rc == -ENOENT)
		rc = 0;
	c->packets = s.packets;
	c->bytes = s.bytes;
	return rc;
}

int fm_dp_stats(struct fm_dp *dp, uint64_t *out, int n)
{
	static const uint64_t path_mask[FM_SP_MAX] = {
#define FM_SP_MASK(e, m) m,
	    FM_STATS_PATHS(FM_SP_MASK)
#undef FM_SP_MASK
	};
	uint64_t all[FM_ST_SLOTS] = {0};
	int fd, cnt = n < FM_ST_MAX ? n : FM_ST_MAX;
	uint64_t *v;

	if (!dp || !out || n < 0)
		return -EINVAL;
	v = calloc((size_t)dp->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	fd = bpf_map__fd(dp->skel->maps.fm_stats);
	for (uint32_t i = 0; i < FM_ST_SLOTS; i++) {
		if (bpf_map_lookup_elem(fd, &i, v))
			continue;
		for (int c = 0; c < dp->ncpus; c++)
			all[i] += v[c];
	}
	/* a path counter stands for each counter of its mask */
	for (int p = 0; p < FM_SP_MAX; p++)
		for (int i = 0; i < FM_ST_MAX; i++)
			if (path_mask[p] & (1ULL << i))
				all[i] += all[FM_ST_MAX + p];
	for (int i = 0; i < cnt; i++)
		out[i] = all[i];
	for (int i = cnt; i < n; i++)
		out[i] = 0;
	free(v);
	return cnt;
}

/* ---- reconciliation
 * ------------------------------------------------------------------------------ */

int fm_dp_bindings_foreach(struct fm_dp *dp, fm_dp_binding_cb cb, void *arg)
{
	struct fm_bkey k, next, *prev = NULL;
	struct fm_bind_info v;
	int fd;

	if (!dp || !cb)
		return -EINVAL;
	fd = bpf_map__fd(dp->skel->maps.fm_binding);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct fm_dp_binding b = {0};

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		b.att = v.att;
		b.down = !!(v.flags & FM_B_DOWN);
		memcpy(&b.coa, v.coa, 16);
		cb(k.mn, k.bid, &b, arg);
	}
	return 0;
}

int fm_dp_prefixes_foreach(struct fm_dp *dp, fm_dp_prefix_cb cb, void *arg)
{
	int fd;

	if (!dp || !cb)
		return -EINVAL;
	{
		struct fm_pfx64_key k, next, *prev = NULL;
		struct fm_prefix v;

		fd = bpf_map__fd(dp->skel->maps.fm_pfx64);
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			struct in6_addr a = {};

			k = next;
			prev = &k;
			if (bpf_map_lookup_elem(fd, &k, &v))
				continue;
			memcpy(&a, k.prefix, 8);
			cb(&a, 64, v.mn, v.default_bid, arg);
		}
	}
	{
		struct fm_lpm_key k, next, *prev = NULL;
		struct fm_prefix v;

		fd = bpf_map__fd(dp->skel->maps.fm_pfx_lpm);
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			struct in6_addr a;

			k = next;
			prev = &k;
			if (bpf_map_lookup_elem(fd, &k, &v))
				continue;
			memcpy(&a, k.addr, 16);
			cb(&a, (uint8_t)k.prefixlen, v.mn, v.default_bid, arg);
		}
	}
	return 0;
}
