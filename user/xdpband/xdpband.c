// SPDX-License-Identifier: GPL-2.0
/*
 * xdpband: attaches the XDP program to the configured interfaces (or adopts the pinned
 * attachment), is the one reader of the drop-log ring buffer, and removes bans past their
 * expiry. Stopping it leaves the program attached and every ban in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "config.h"
#include "droplog.h"
#include "fleet.h"
#include "sources.h"
#include "history.h"
#include "metrics.h"

#ifndef XDPBAN_VERSION
#define XDPBAN_VERSION "0.1.0"
#endif

static volatile sig_atomic_t exiting, reload;
static int verbosity;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		exiting = 1;
}

static void lib_print(enum xb_print_level level, const char *fmt, va_list ap)
{
	if ((level == XB_INFO && verbosity < 1) || (level == XB_DEBUG && verbosity < 2))
		return;
	fprintf(stderr, "xdpband: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xdpband [-c FILE] [-f] [--pin-dir DIR] [-v] [-d]\n"
		"Attach xdpban to the configured interfaces, write the drop log, expire bans.\n"
		"\n"
		"  -c, --config FILE  configuration (default %s)\n"
		"  -f, --foreground   stay in the foreground (systemd runs it so)\n"
		"      --pin-dir DIR  bpffs directory; overrides the config's pin_dir\n"
		"  -v, --verbose      more messages; -d, --debug: libbpf's too\n"
		"  -V, --version      print the version\n"
		"\n"
		"Signals: SIGHUP reloads the configuration and reopens the log file;\n"
		"SIGTERM/SIGINT stop the daemon, leaving the program attached and the bans in "
		"place.\n"
		"Exit status: 0 stopped cleanly, 1 runtime failure, 2 bad configuration or usage.\n"
		"See xdpband(8) and xdpban.conf(5).\n",
		XBD_CONFIG_PATH);
}

/* One daemon per state dir: a pid file held under flock for the daemon's life. */
static int take_pidfile(const char *state_dir)
{
	char path[PATH_MAX + 16], pid[32];
	int fd, len;

	if (mkdir(state_dir, 0750) && errno != EEXIST) {
		fprintf(stderr, "xdpband: cannot create state_dir %s: %s\n", state_dir,
			strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/xdpband.pid", state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "xdpband: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		len = (int)read(fd, pid, sizeof(pid) - 1);
		pid[len > 0 ? len : 0] = '\0';
		fprintf(stderr, "xdpband: another xdpband (pid %s) runs with state_dir %s\n",
			strtok(pid, "\n") ? pid : "?", state_dir);
		close(fd);
		return -EBUSY;
	}
	len = snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) || write(fd, pid, (size_t)len) != len)
		fprintf(stderr, "xdpband: cannot write %s: %s\n", path, strerror(errno));
	return fd;
}

static int attach_all(const struct xbd_config *cfg)
{
	struct xb_load_opts lo = cfg->load;

	lo.log_interval_ns = cfg->log_interval_ns;
	lo.log_burst = cfg->log_burst;
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		struct xb_iface ifc;
		int err = xb_attach(cfg->pin_dir, cfg->ifaces[i], &lo, &ifc);

		if (err)
			return err;
		fprintf(stderr, "xdpband: %s: attached in %s mode (prog id %u)\n", cfg->ifaces[i],
			xb_mode_name(ifc.mode), ifc.prog_id);
	}
	if (cfg->n_ifaces)
		return 0;
	fprintf(stderr, "xdpband: no interfaces configured; serving the pinned maps\n");
	return xb_maps_create(cfg->pin_dir, &lo);
}

/* Interfaces the old configuration had and the new one dropped are detached. */
static void detach_removed(const struct xbd_config *old, const struct xbd_config *cur)
{
	for (size_t i = 0; i < old->n_ifaces; i++) {
		bool kept = false;

		for (size_t j = 0; j < cur->n_ifaces; j++)
			kept |= !strcmp(old->ifaces[i], cur->ifaces[j]);
		if (!kept && !xb_detach(old->pin_dir, old->ifaces[i]))
			fprintf(stderr, "xdpband: %s: detached (no longer configured)\n",
				old->ifaces[i]);
	}
}

struct daemon {
	struct xbd_config cfg;
	struct xb_maps maps;
	struct ring_buffer *rb;
	struct droplog dl;
	struct xbd_source *src;
	size_t n_src;
	int pid_fd;
	int epoll_fd;
	struct xbd_metrics *metrics;
	struct xbd_history *hist;
	struct xbd_fleet *fleet; /* NULL without [fleet] */
	bool maps_lost; /* replaced by maps this build cannot use: keep the journal as is */
};

static void on_expired(const struct xb_ban_entry *e, void *ctx)
{
	struct daemon *d = ctx;
	char text[XB_PREFIX_STRLEN];

	xbd_metrics_expired(d->metrics, e);
	xbd_history_expired(d->hist, e);
	xb_prefix_format(&e->pfx, text, sizeof(text));
	fprintf(stderr, "xdpband: ban %s expired (%s), removed after %llu packets\n", text,
		e->ban.reason[0] ? e->ban.reason : "no reason", (unsigned long long)e->ban.packets);
}

/* Every drop event goes to the drop log and to the history. */
static int on_drop_event(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;

	xbd_history_event(d->hist, data, size);
	return droplog_event(&d->dl, data, size);
}

static int metrics_start(struct daemon *d)
{
	struct xbd_metrics_opts mo = {
		.textfile = d->cfg.metrics_textfile,
		.interval_s = d->cfg.metrics_interval_s,
		.listen = d->cfg.metrics_listen,
	};

	return xbd_metrics_start(&d->metrics, &mo, &d->maps);
}

/* One epoll set: the ring buffer's own epoll fd and every source's inotify fd. */
static int watch_all(struct daemon *d)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (d->epoll_fd >= 0)
		close(d->epoll_fd);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epoll_fd < 0)
		return -errno;
	ev.data.u32 = 0;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(d->rb), &ev))
		return -errno;
	for (size_t i = 0; i < d->n_src; i++) {
		int fd = xb_follow_fd(d->src[i].follow);

		ev.data.u32 = (__u32)i + 1;
		if (fd >= 0 && epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
			return -errno;
	}
	ev.data.u32 = UINT32_MAX;
	if (d->fleet && epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, xbd_fleet_fd(d->fleet), &ev))
		return -errno;
	return 0;
}

/*
 * After a reboot the pins are gone and the maps come up empty: rebuild them from the
 * journal before any source reads a line. Otherwise the maps are the truth, and the
 * journal is rewritten from them.
 */
static int restore_or_compact(struct daemon *d, bool fresh)
{
	struct timespec t0, t1;
	int n;

	n = xb_journal_open(&d->maps, d->cfg.state_dir);
	if (n)
		return n;
	if (!fresh)
		return xb_journal_compact(&d->maps, d->cfg.state_dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = xb_journal_restore(&d->maps, d->cfg.state_dir);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (n < 0)
		return n;
	fprintf(stderr, "xdpband: restored %d bans from %s/bans.journal in %.3f s\n", n,
		d->cfg.state_dir,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

static int start(struct daemon *d)
{
	char meta[PATH_MAX];
	bool fresh;
	int err;

	snprintf(meta, sizeof(meta), "%s/%s", d->cfg.pin_dir, XB_MAP_META);
	fresh = access(meta, F_OK) != 0;
	err = attach_all(&d->cfg);
	if (err)
		return err;
	err = xb_maps_open(&d->maps, d->cfg.pin_dir, false);
	if (err)
		return err;
	/* Hold no lock while running: banctl must be able to add bans. */
	xb_maps_unlock(&d->maps);
	err = restore_or_compact(d, fresh);
	if (err)
		return err;
	err = droplog_open(&d->dl, &d->cfg);
	if (err)
		return err;
	d->rb = ring_buffer__new(d->maps.fd[XB_EVENTS], on_drop_event, d, NULL);
	if (!d->rb) {
		err = -errno;
		fprintf(stderr, "xdpband: cannot read the drop-log ring buffer: %s\n",
			strerror(-err));
		return err;
	}
	/* Before the sources open, so that bans of a back-fill are recorded too. */
	d->hist = xbd_history_open(&d->cfg, d->cfg.history_retention_s);
	xbd_history_attach(d->hist, d->src, d->n_src);
	err = xbd_fleet_start(&d->fleet, &d->cfg, &d->maps);
	if (err)
		return err;
	xbd_fleet_attach_sources(d->fleet, d->src, d->n_src);
	err = xbd_sources_open(d->src, d->n_src, d->cfg.state_dir, &d->maps);
	if (err)
		return err;
	err = metrics_start(d);
	if (err)
		return err;
	return watch_all(d);
}

/*
 * A migration or a resize (by this daemon's reload, or by banctl load) put new maps in
 * place: follow them. -errno when this build cannot use them (a newer one made them).
 */
static int follow_maps(struct daemon *d)
{
	struct ring_buffer *rb;
	int rc = xb_maps_reopen_if_replaced(&d->maps);

	if (rc == -ENOENT)
		return 0; /* unloaded under us: nothing to follow until a load */
	if (rc <= 0)
		return rc;
	rb = ring_buffer__new(d->maps.fd[XB_EVENTS], on_drop_event, d, NULL);
	if (!rb)
		return -errno;
	ring_buffer__consume(d->rb);
	ring_buffer__free(d->rb);
	d->rb = rb;
	fprintf(stderr, "xdpband: the pinned maps were replaced (migrated or resized); using the "
			"new ones\n");
	return watch_all(d);
}

static void do_reload(struct daemon *d, const char *path, const char *pin_dir)
{
	static struct xbd_config next, old;
	struct xbd_source *src;
	size_t n_src;
	char err[512];

	if (xbd_config_load(path, &next, err, sizeof(err)))
		goto refuse;
	if (xbd_sources_build(&next, &src, &n_src, false, err, sizeof(err))) {
		xbd_config_free(&next);
		goto refuse;
	}
	if (pin_dir)
		snprintf(next.pin_dir, sizeof(next.pin_dir), "%s", pin_dir);
	if (strcmp(next.pin_dir, d->cfg.pin_dir) || strcmp(next.state_dir, d->cfg.state_dir)) {
		fprintf(stderr, "xdpband: reload refused: pin_dir and state_dir change only with "
				"a restart\n");
		xbd_sources_free(src, n_src);
		xbd_config_free(&next);
		return;
	}
	/* The old sources saved their positions; the new ones continue from there. */
	xbd_sources_poll(d->src, d->n_src, true);
	xbd_metrics_retire(d->metrics, d->src, d->n_src);
	xbd_sources_free(d->src, d->n_src);
	d->src = src;
	d->n_src = n_src;
	xbd_history_attach(d->hist, d->src, d->n_src);
	old = d->cfg;
	d->cfg = next;
	xb_never_ban_gateway(d->cfg.neverban_gateway);
	detach_removed(&old, &d->cfg);
	xbd_config_free(&old);
	if (attach_all(&d->cfg))
		fprintf(stderr, "xdpband: reload: some interfaces could not be attached\n");
	droplog_reopen(&d->dl, &d->cfg);
	if (xbd_fleet_reload(&d->fleet, &d->cfg, &d->maps))
		fprintf(stderr, "xdpband: reload: the fleet keeps its running configuration\n");
	xbd_fleet_attach_sources(d->fleet, d->src, d->n_src);
	if (xbd_sources_open(d->src, d->n_src, d->cfg.state_dir, &d->maps) || watch_all(d))
		fprintf(stderr, "xdpband: reload: some sources could not be opened\n");
	if (metrics_start(d))
		fprintf(stderr, "xdpband: reload: metrics are not fully served\n");
	fprintf(stderr, "xdpband: configuration reloaded from %s\n", path);
	return;
refuse:
	fprintf(stderr, "xdpband: reload refused, keeping the running configuration: %s\n", err);
}

/*
 * A sweep walks every ban (about 0.3 s a million), so it runs only when a ban can have
 * expired: at the earliest expiry the last walk saw, after any add or delete since (it may
 * expire sooner), and at least every XBD_SWEEP_MAX_S; never more often than
 * expire_interval. The kernel ignores an expired ban either way: this is cleanup and log.
 */
struct sweep_plan {
	time_t last;
	__u64 next_ns; /* earliest expiry left by the last sweep, CLOCK_BOOTTIME */
	__u64 changes; /* xb_bans_changes() then */
};

#define XBD_SWEEP_MAX_S 60

/* Asked once per expire_interval. */
static bool sweep_due(struct daemon *d, const struct sweep_plan *s)
{
	return time(NULL) >= s->last + XBD_SWEEP_MAX_S || xb_now_boot_ns() >= s->next_ns ||
	       xb_bans_changes(&d->maps) != s->changes;
}

static int run(struct daemon *d, const char *path, const char *pin_dir)
{
	struct sweep_plan sweep = {};
	time_t next_check = 0;

	while (!exiting) {
		struct epoll_event evs[16];
		int n = epoll_wait(d->epoll_fd, evs, 16, 1000);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "xdpband: epoll_wait failed: %s\n", strerror(errno));
			return -errno;
		}
		ring_buffer__consume(d->rb);
		/* Every wake-up reads every source: cheap, and a missed inotify event costs
		 * at most a second. */
		xbd_sources_poll(d->src, d->n_src, false);
		xbd_fleet_poll(d->fleet);
		if (reload) {
			reload = 0;
			do_reload(d, path, pin_dir);
			next_check = 0;
			sweep.last = 0;
		}
		xbd_metrics_tick(d->metrics, d->src, d->n_src);
		if (time(NULL) >= next_check) {
			int err = follow_maps(d);

			if (err) {
				fprintf(stderr,
					"xdpband: stopping: the maps in %s cannot be used "
					"by this build; start the xdpband that made them\n",
					d->cfg.pin_dir);
				d->maps_lost = true;
				return err;
			}
			if (sweep_due(d, &sweep)) {
				/* Read before the walk: a change during it is seen next time. */
				sweep.changes = xb_bans_changes(&d->maps);
				xb_bans_expire(&d->maps, on_expired, d, &sweep.next_ns);
				sweep.last = time(NULL);
			}
			next_check = time(NULL) + (time_t)d->cfg.expire_interval_s;
		}
		xbd_history_tick(d->hist, &d->maps);
	}
	/* What is still queued is written before leaving. */
	ring_buffer__consume(d->rb);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = XBD_CONFIG_PATH, *pin_dir = NULL;
	struct daemon d = { .pid_fd = -1, .epoll_fd = -1 };
	bool foreground = false;
	struct sigaction sa = { .sa_handler = on_signal };
	char err_msg[512];
	int opt, err;

	while ((opt = getopt_long(argc, argv, "c:fvdVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'P':
			pin_dir = optarg;
			break;
		case 'v':
			verbosity = verbosity < 1 ? 1 : verbosity;
			break;
		case 'd':
			verbosity = 2;
			break;
		case 'V':
			printf("xdpband %s (layout %d)\n", XDPBAN_VERSION, XB_LAYOUT_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xdpband: unexpected argument '%s'; see xdpband --help\n",
			argv[optind]);
		return 2;
	}
	xb_set_print(lib_print);
	err = xbd_config_load(path, &d.cfg, err_msg, sizeof(err_msg));
	if (!err)
		err = xbd_sources_build(&d.cfg, &d.src, &d.n_src, false, err_msg, sizeof(err_msg));
	if (err) {
		/* Nothing is attached or changed before the whole configuration is good. */
		fprintf(stderr, "xdpband: %s\n", err_msg);
		xbd_config_free(&d.cfg);
		return 2;
	}
	if (pin_dir)
		snprintf(d.cfg.pin_dir, sizeof(d.cfg.pin_dir), "%s", pin_dir);
	xb_never_ban_gateway(d.cfg.neverban_gateway);
	if (xb_caps_check(true)) {
		xbd_sources_free(d.src, d.n_src);
		xbd_config_free(&d.cfg);
		return 1;
	}
	if (!foreground && daemon(0, 0)) {
		fprintf(stderr, "xdpband: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	d.pid_fd = take_pidfile(d.cfg.state_dir);
	err = d.pid_fd < 0 ? d.pid_fd : start(&d);
	if (!err) {
		fprintf(stderr, "xdpband: running (pin dir %s, %zu sources, drop log %s%s%s)\n",
			d.cfg.pin_dir, d.n_src, d.cfg.log_file[0] ? d.cfg.log_file : "",
			d.cfg.log_file[0] && d.cfg.log_syslog ? " and " : "",
			d.cfg.log_syslog ? "syslog" : "");
		err = run(&d, path, pin_dir);
	}
	xbd_sources_poll(d.src, d.n_src, true);
	xbd_fleet_stop(d.fleet);
	xbd_metrics_stop(d.metrics, d.src, d.n_src);
	xbd_sources_free(d.src, d.n_src);
	/* Hit counters live only in the maps: keep them for the next boot. */
	if (d.maps.journal && !d.maps_lost)
		xb_journal_compact(&d.maps, d.cfg.state_dir);
	if (d.epoll_fd >= 0)
		close(d.epoll_fd);
	ring_buffer__free(d.rb);
	droplog_close(&d.dl);
	xbd_history_close(d.hist, &d.maps);
	xb_maps_close(&d.maps);
	xbd_config_free(&d.cfg);
	if (d.pid_fd >= 0)
		close(d.pid_fd);
	if (!err)
		fprintf(stderr, "xdpband: stopped; the program stays attached, bans stay in "
				"place\n");
	return err ? 1 : 0;
}
