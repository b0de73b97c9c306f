// SPDX-License-Identifier: GPL-2.0
/*
 * main.c — flowmobd: command line, configuration, network namespace and bpffs,
 * the data plane and control socket, the role (LMA or MAG), signals.
 * See docs/flowmobd.8.md (and flowmobd --help).
 *
 *   SIGTERM/SIGINT  role stop (persists state), data plane left running, exit 0
 *   SIGHUP          reload the configuration; a bad file is refused, the running one kept
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <bpf/libbpf.h>

#include "daemon/anchor.h"
#include "daemon/config.h"
#include "core/ctl.h"
#include "daemon/daemon.h"
#include "dp/dataplane.h"
#include "core/log.h"
#include "core/metrics.h"
#include "mh/mh_status.h"
#include "core/service.h"
#include "core/state.h"
#include "core/version.h"

enum {
	EXIT_USAGE = 2,
};

static const char usage_text[] =
    "Usage: flowmobd -c FILE [--netns NAME] [--log-level LEVEL] [--import FILE]\n"
    "                [--check | --check-config | --cleanup]\n"
    "       flowmobd --help | --version\n";

static const char help_text[] =
    "NAME\n"
    "    flowmobd - Proxy Mobile IPv6 LMA/MAG with flow mobility and an eBPF data plane\n"
    "\n"
    "SYNOPSIS\n"
    "    flowmobd -c FILE [--netns NAME] [--log-level LEVEL] [--import FILE]\n"
    "    flowmobd -c FILE [--netns NAME] --check\n"
    "    flowmobd -c FILE --check-config\n"
    "    flowmobd -c FILE [--netns NAME] --cleanup\n"
    "\n"
    "DESCRIPTION\n"
    "    Runs one instance, as LMA or MAG (the configuration's role:), in the foreground:\n"
    "    loads or reuses the instance's BPF programs and pinned maps, opens the control\n"
    "    socket (flowmobctl) and the Mobility Header socket, and runs the signaling.\n"
    "    Logs go to the systemd journal with FLOWMOB_* fields when standard error is the\n"
    "    journal's stream (or FLOWMOB_LOG=journal), else to standard error as timestamped\n"
    "    lines. Under systemd (flowmobd@.service, Type=notify) it sends READY=1 once the\n"
    "    role serves and WATCHDOG=1 from its loop; metrics: in FILE serves Prometheus.\n"
    "\n"
    "OPTIONS\n"
    "    -c, --config FILE      YAML configuration (docs/configuration.md). Required.\n"
    "    -n, --netns NAME       enter network namespace /run/netns/NAME before anything\n"
    "                           else (overrides netns: in FILE). The mount namespace is\n"
    "                           kept, so pins in the host's bpffs survive the process.\n"
    "    -l, --log-level LEVEL  error, warn, info or debug; overrides log-level: in FILE,\n"
    "                           also across SIGHUP reloads.\n"
    "        --import FILE      start from FILE, a state export (flowmobctl state export),\n"
    "                           instead of the state store's content, which it replaces.\n"
    "        --check            validate FILE and the host (in the network namespace:\n"
    "                           interfaces exist, the role's address is configured,\n"
    "                           the maps fit in memory), print a summary and exit.\n"
    "        --check-config     validate FILE only (not the host), print a summary, exit.\n"
    "        --cleanup          detach the instance's programs, unpin its maps, remove its\n"
    "                           state directory and control socket, and exit. Refused while\n"
    "                           the instance is running.\n"
    "    -h, --help             this text.\n"
    "    -V, --version          print the version and the libbpf version.\n"
    "\n"
    "SIGNALS\n"
    "    SIGTERM, SIGINT  stop: the role saves its state; programs stay attached and maps\n"
    "                     pinned (a restart is hitless); the control socket is removed; exit 0.\n"
    "    SIGHUP           reload FILE. An invalid file is refused with an error and the\n"
    "                     running configuration kept. Log level, timers, MAG list, policies\n"
    "                     and the LMA's mobile nodes change at run time; instance, role,\n"
    "                     sockets, bpffs, netns, state-dir, addresses, interfaces, dataplane\n"
    "                     modes and the MAG's mobile nodes need a restart (a change is logged\n"
    "                     and ignored). docs/configuration.md's reload column has every key.\n"
    "\n"
    "FILES\n"
    "    /run/flowmob/INSTANCE.sock       control socket (control-socket:), mode 0600\n"
    "    BPFFS/flowmob/INSTANCE/          pinned maps and links (bpffs:, /sys/fs/bpf)\n"
    "    /var/lib/flowmob/INSTANCE/       persisted state (state-dir:)\n"
    "    /run/netns/NAME                  network namespaces (--netns, netns:)\n"
    "\n"
    "EXIT STATUS\n"
    "    0  stopped by SIGTERM/SIGINT, or --check/--cleanup/--help/--version succeeded\n"
    "    1  invalid configuration, or a start-up or clean-up failure (the message says which)\n"
    "    2  bad command line\n"
    "\n"
    "SEE ALSO\n"
    "    flowmobctl(8), flowmob.yaml(5), flowmob-mh(1), flowmobd@.service (systemd unit)\n";

struct opts {
	const char *config;
	const char *netns;
	int log_level; /* -1: from the config */
	bool check;
	bool check_config; /* --check-config: the file only, not the host */
	bool cleanup;
	const char *import;
};

struct app {
	struct opts o;
	struct fm_daemon d;
	struct fm_config *cfg; /* the running configuration: d.cfg, writable here only */
	const struct fm_role_ops *ops;
	ev_signal sig_term, sig_int, sig_hup;
	struct fm_metrics *metrics;
	struct fm_anchor *anchor;
	bool stopping;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"netns", required_argument, NULL, 'n'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"check", no_argument, NULL, 'k'},
	    {"check-config", no_argument, NULL, 'K'},
	    {"cleanup", no_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"import", required_argument, NULL, 'I'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->log_level = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:n:l:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'n':
			o->netns = optarg;
			break;
		case 'l':
			o->log_level = fm_log_level_parse(optarg);
			if (o->log_level < 0) {
				fprintf(stderr,
					"flowmobd: --log-level: '%s' is not one of error, warn, "
					"info, debug\n%s",
					optarg, usage_text);
				return EXIT_USAGE;
			}
			break;
		case 'k':
			o->check = true;
			break;
		case 'K':
			o->check = o->check_config = true;
			break;
		case 'C':
			o->cleanup = true;
			break;
		case 'I':
			o->import = optarg;
			break;
		case 'h':
			fputs(help_text, stdout);
			return 0;
		case 'V':
			printf("flowmobd %s (libbpf %u.%u)\n", FLOWMOB_VERSION,
			       libbpf_major_version(), libbpf_minor_version());
			return 0;
		case ':':
			fprintf(stderr, "flowmobd: option '%s' needs an argument\n%s",
				argv[optind - 1], usage_text);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "flowmobd: unknown option '%s'\n%s", argv[optind - 1],
				usage_text);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowmobd: unexpected argument '%s'\n%s", argv[optind], usage_text);
		return EXIT_USAGE;
	}
	if (!o->config) {
		fprintf(stderr, "flowmobd: -c FILE is required\n%s", usage_text);
		return EXIT_USAGE;
	}
	if (o->check && o->cleanup) {
		fprintf(stderr, "flowmobd: --check and --cleanup exclude each other\n%s",
			usage_text);
		return EXIT_USAGE;
	}
	return -1; /* go on */
}

static int enter_netns(const char *name)
{
	char path[128];
	int fd;

	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		pr_err("netns: '%s' is not a namespace name", name);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		pr_err("netns: cannot open %s: %s (create it with 'ip netns add %s')", path,
		       strerror(errno), name);
		return r;
	}
	if (setns(fd, CLONE_NEWNET)) {
		int r = -errno;

		pr_err("netns: setns(%s): %s", path, strerror(errno));
		close(fd);
		return r;
	}
	close(fd);
	pr_info("entered network namespace %s", name);
	return 0;
}

static int ensure_bpffs(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == (unsigned long)BPF_FS_MAGIC)
		return 0;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		pr_err("bpffs: %s does not exist and cannot be created: %s", dir, strerror(errno));
		return -errno;
	}
	if (mount("bpf", dir, "bpf", 0, "mode=0700")) {
		int r = -errno;

		pr_err("bpffs: no BPF filesystem at %s and mounting one failed: %s "
		       "(mount it with 'mount -t bpf bpf %s', or set bpffs: in the configuration)",
		       dir, strerror(errno), dir);
		return r;
	}
	pr_info("bpffs: mounted a BPF filesystem at %s", dir);
	return 0;
}

/* opts points into cfg: cfg must outlive it. */
static void build_dp_opts(const struct fm_config *cfg, struct fm_dp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->instance = cfg->instance;
	o->bpffs = cfg->bpffs;
	o->max_mns = cfg->max_mns;
	if (cfg->role == FM_ROLE_LMA) {
		const struct fm_cfg_lma *l = &cfg->lma;

		o->role = FM_DP_LMA;
		o->mode = l->dataplane;
		o->local = l->address;
		for (int i = 0; i < l->n_core && i < FM_DP_MAX_IFACES; i++) {
			o->core_modes[o->n_core] = l->core_modes[i];
			o->core_ifaces[o->n_core++] = l->core_ifaces[i];
		}
		for (int i = 0; i < l->n_access && i < FM_DP_MAX_IFACES; i++) {
			o->access_modes[o->n_access] = l->access_modes[i];
			o->access_ifaces[o->n_access++] = l->access_ifaces[i];
		}
		o->tunnel_mtu = l->tunnel_mtu;
	} else {
		const struct fm_cfg_mag *m = &cfg->mag;

		o->role = FM_DP_MAG;
		o->mode = m->dataplane;
		o->local = m->address;
		o->lma = m->lma;
		o->core_modes[o->n_core] = m->lma_interface_mode;
		o->core_ifaces[o->n_core++] = m->lma_interface;
		for (int i = 0; i < m->n_access && i < FM_DP_MAX_IFACES; i++) {
			o->access_modes[o->n_access] = m->access_ifaces[i].mode;
			o->access_ifaces[o->n_access++] = m->access_ifaces[i].name;
		}
		o->tunnel_mtu = m->tunnel_mtu;
	}
}

static const char *role_name(enum fm_role r)
{
	return r == FM_ROLE_LMA ? "lma" : r == FM_ROLE_MAG ? "mag" : "?";
}

/* True when something answers on the control socket: the instance is running. */
static bool instance_running(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	bool live;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return live;
}

static int do_cleanup(const struct fm_config *cfg)
{
	struct fm_dp_opts dpo;
	struct stat st;
	int r, ret = 0;

	if (instance_running(cfg->control_socket)) {
		pr_err("cleanup: instance %s is running (%s answers); stop it first", cfg->instance,
		       cfg->control_socket);
		return 1;
	}
	build_dp_opts(cfg, &dpo);
	r = fm_dp_cleanup(&dpo);
	if (r) {
		pr_err("cleanup: data plane of %s: %s", cfg->instance, strerror(-r));
		ret = 1;
	}
	r = fm_anchor_cleanup(cfg);
	if (r) {
		pr_err("cleanup: routes in table %u: %s", cfg->routes.table, strerror(-r));
		ret = 1;
	}
	r = fm_state_remove_all(cfg->state_dir);
	if (r) {
		pr_err("cleanup: state directory %s: %s", cfg->state_dir, strerror(-r));
		ret = 1;
	}
	if (!lstat(cfg->control_socket, &st) && S_ISSOCK(st.st_mode) &&
	    unlink(cfg->control_socket)) {
		pr_err("cleanup: %s: %s", cfg->control_socket, strerror(errno));
		ret = 1;
	}
	if (!ret)
		pr_info("cleanup: instance %s removed", cfg->instance);
	return ret;
}

/* ---- SIGHUP ------------------------------------------------------------------ */

static void reload(struct app *a)
{
	struct fm_config *cur = a->cfg, *next;
	char err[512];

	pr_info("reload: reading %s", a->o.config);
	next = calloc(1, sizeof(*next));
	if (!next) {
		pr_err("reload: out of memory; keeping the running configuration");
		return;
	}
	if (fm_config_load(a->o.config, next, err, sizeof(err))) {
		pr_err("reload: %s; keeping the running configuration", err);
		goto out;
	}
	if (a->o.netns) /* --netns overrides netns: on every reload too */
		snprintf(next->netns, sizeof(next->netns), "%s", a->o.netns);
	/* restart-only keys keep their running values (config.c's reload table) */
	if (fm_config_reload_filter(cur, next, err, sizeof(err)) < 0) {
		pr_err("reload: %s; keeping the running configuration", err);
		goto out;
	}
	if (a->ops->reload && a->ops->reload(&a->d, next)) {
		pr_err("reload: the %s refused the new configuration; keeping the running one",
		       role_name(cur->role));
		goto out;
	}
	*cur = *next;
	fm_log_set_level(a->o.log_level >= 0 ? (enum fm_log_level)a->o.log_level
					     : (enum fm_log_level)cur->log_level);
	pr_info("reload: done (log level %s)", fm_log_level_name(fm_log_get_level()));
out:
	free(next);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct app *a = w->data;

	(void)revents;
	if (w->signum == SIGHUP) {
		fm_service_reloading();
		reload(a);
		fm_service_ready(NULL);
		return;
	}
	if (a->stopping)
		return;
	a->stopping = true;
	fm_service_stopping();
	pr_info("%s: stopping (programs stay attached, maps pinned)", strsignal(w->signum));
	ev_break(loop, EVBREAK_ALL);
}

/* Status names for the metrics' status label: "pba", 154 -> "MAG not authorized". */
static const char *metrics_status_name(const char *kind, unsigned code)
{
	static const struct {
		const char *name;
		enum mh_kind kind;
	} kinds[] = {{"pba", MH_PBA}, {"fma", MH_FMA}, {"bra", MH_BRA}, {"upa", MH_UPA}};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].name))
			return mh_status_name(kinds[i].kind, code);
	return NULL;
}

static int start_metrics(struct app *a)
{
	const struct fm_config *cfg = a->d.cfg;
	char libbpf[32];
	struct fm_metrics_opts mo = {
	    .listen = cfg->metrics.listen,
	    .per_flow = cfg->metrics.per_flow,
	    .role = role_name(cfg->role),
	    .instance = cfg->instance,
	    .version = FLOWMOB_VERSION,
	    .libbpf = libbpf,
	    .status_name = metrics_status_name,
	};

	snprintf(libbpf, sizeof(libbpf), "%u.%u", libbpf_major_version(), libbpf_minor_version());
	return fm_metrics_start(a->d.loop, a->d.ctl, &mo, &a->metrics);
}

int main(int argc, char **argv)
{
	struct app a = {0};
	struct fm_config *cfg = NULL;
	struct fm_dp_opts dpo;
	struct ev_loop *loop;
	char err[512];
	int r, ret = 1;

	r = parse_args(argc, argv, &a.o);
	if (r >= 0)
		return r;
	if (a.o.log_level >= 0)
		fm_log_set_level((enum fm_log_level)a.o.log_level);

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		pr_err("out of memory");
		return 1;
	}
	if (fm_config_load(a.o.config, cfg, err, sizeof(err))) {
		pr_err("%s", err);
		goto out_free;
	}
	if (a.o.log_level < 0)
		fm_log_set_level((enum fm_log_level)cfg->log_level);
	fm_log_set_ident("flowmobd", cfg->instance);
	if (a.o.netns) {
		if (!*a.o.netns || strlen(a.o.netns) >= sizeof(cfg->netns)) {
			fprintf(stderr, "flowmobd: --netns: bad name '%s'\n%s", a.o.netns,
				usage_text);
			ret = EXIT_USAGE;
			goto out_free;
		}
		strcpy(cfg->netns, a.o.netns);
	}

	if (a.o.check_config) {
		printf("%s: configuration valid: instance %s, role %s, control socket %s "
		       "(the host not checked)\n",
		       a.o.config, cfg->instance, role_name(cfg->role), cfg->control_socket);
		ret = 0;
		goto out_free;
	}
	if (cfg->netns[0] && enter_netns(cfg->netns))
		goto out_free;
	/* Before anything else: is this instance already running? */
	if (!a.o.check && !a.o.cleanup && instance_running(cfg->control_socket)) {
		pr_err("instance %s is already running (%s answers)", cfg->instance,
		       cfg->control_socket);
		goto out_free;
	}
	/* the host: interfaces, own address and memory, for --check and every start */
	build_dp_opts(cfg, &dpo);
	if (!a.o.cleanup &&
	    fm_config_check_host(a.o.config, cfg, fm_dp_map_bytes(&dpo), err, sizeof(err))) {
		pr_err("%s", err);
		goto out_free;
	}
	if (a.o.check) {
		printf("%s: configuration valid: instance %s, role %s, control socket %s%s%s\n",
		       a.o.config, cfg->instance, role_name(cfg->role), cfg->control_socket,
		       cfg->netns[0] ? ", network namespace " : "", cfg->netns);
		ret = 0;
		goto out_free;
	}
	if (ensure_bpffs(cfg->bpffs))
		goto out_free;

	if (a.o.cleanup) {
		ret = do_cleanup(cfg);
		goto out_free;
	}

	a.ops = cfg->role == FM_ROLE_LMA ? &lma_ops : &mag_ops;

	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		pr_err("cannot create the event loop");
		goto out_free;
	}
	a.d.loop = loop;
	a.d.import = a.o.import;
	a.cfg = cfg;
	a.d.cfg = cfg;

	r = fm_dp_open(&dpo, &a.d.dp);
	if (r) {
		pr_err("data plane: %s", strerror(-r));
		goto out_free;
	}
	pr_info("data plane %s (instance %s, %s)",
		fm_dp_reused(a.d.dp) ? "reused from an earlier run" : "loaded", cfg->instance,
		role_name(cfg->role));

	r = fm_ctl_open(loop, cfg->control_socket, &a.d.ctl);
	if (r)
		goto out_dp;

	r = a.ops->start(&a.d);
	if (r) {
		pr_err("%s start failed: %s", role_name(cfg->role), strerror(r < 0 ? -r : r));
		goto out_ctl;
	}

	ev_signal_init(&a.sig_term, on_signal, SIGTERM);
	ev_signal_init(&a.sig_int, on_signal, SIGINT);
	ev_signal_init(&a.sig_hup, on_signal, SIGHUP);
	a.sig_term.data = a.sig_int.data = a.sig_hup.data = &a;
	ev_signal_start(loop, &a.sig_term);
	ev_signal_start(loop, &a.sig_int);
	ev_signal_start(loop, &a.sig_hup);
	fm_ctl_set_info(a.d.ctl, json_pack("{s:s,s:s}", "role", role_name(cfg->role), "instance",
					   cfg->instance));
	if (cfg->metrics.listen[0] && start_metrics(&a))
		goto out_role;
	if (fm_anchor_start(loop, a.d.ctl, cfg, &a.anchor))
		goto out_role;
	/* the control socket appears only now: its presence means "ready" */
	if (fm_ctl_publish(a.d.ctl))
		goto out_role;
	fm_dp_commit(a.d.dp); /* from now on the pins are a healthy run's */
	pr_info("flowmobd %s: %s %s running", FLOWMOB_VERSION, role_name(cfg->role), cfg->instance);
	/* systemd: serving now (the control socket answers); watchdog from the loop */
	fm_service_start(loop);
	{
		char status[320];

		snprintf(status, sizeof(status), "%s %s serving on %s", role_name(cfg->role),
			 cfg->instance, cfg->control_socket);
		fm_service_ready(status);
	}

	ev_run(loop, 0);
	ret = 0;
	fm_service_stop(loop);
	pr_info("stopped");
out_role:
	fm_anchor_stop(a.anchor); /* the routes stay: a restart goes on announcing */
	fm_metrics_stop(a.metrics);
	if (a.ops->stop)
		a.ops->stop(&a.d);
out_ctl:
	fm_ctl_close(a.d.ctl);
out_dp:
	/* a failed start undoes its attachments and pins: a later start must not take
	 * them for a healthy run's */
	if (ret)
		fm_dp_abandon(a.d.dp, &dpo);
	else
		fm_dp_close(a.d.dp);
out_free:
	free(cfg);
	return ret;
}
