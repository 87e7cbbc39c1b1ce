// SPDX-License-Identifier: GPL-2.0
/*
 * banctl log: the drop log, whether or not xdpband runs. With a daemon (its pid file in
 * state_dir is locked) the daemon owns the ring buffer, so we read its log file; without
 * one we drain the ring buffer ourselves. banctl log-limit: the rate, without reloading.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "banctl.h"
#include "config.h"
#include "droplog.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Under -j the array opens with the first line, so an early failure is the only value. */
static bool array_open;

static void emit_line(const char *line, __s64 when)
{
	if (json_wtr && !array_open) {
		jsonw_start_array(json_wtr);
		array_open = true;
	}
	if (!json_wtr) {
		printf("%s\n", line);
		fflush(stdout);
		return;
	}
	jsonw_start_object(json_wtr);
	if (when)
		jsonw_int_field(json_wtr, "time", when);
	jsonw_string_field(json_wtr, "line", line);
	jsonw_end_object(json_wtr);
}

/* The last n lines of f (all when n is 0), then, with follow, what is appended. */
static int tail_file(const char *path, size_t n, bool follow)
{
	char **ring = NULL, *line = NULL;
	size_t count = 0, lsz = 0;
	struct stat st, now;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		p_err("cannot open the daemon's log file %s: %s", path, strerror(errno));
		return -errno;
	}
	fstat(fileno(f), &st);
	ring = n ? calloc(n, sizeof(*ring)) : NULL;
	while (getline(&line, &lsz, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!n) {
			emit_line(line, 0);
			continue;
		}
		free(ring[count % n]);
		ring[count % n] = strdup(line);
		count++;
	}
	for (size_t i = count > n ? count - n : 0; n && i < count; i++)
		emit_line(ring[i % n], 0);
	for (size_t i = 0; ring && i < n; i++)
		free(ring[i]);
	free(ring);
	while (follow && !stop) {
		struct timespec ts = { 0, 200000000 };

		clearerr(f);
		while (getline(&line, &lsz, f) > 0) {
			line[strcspn(line, "\n")] = '\0';
			emit_line(line, 0);
		}
		nanosleep(&ts, NULL);
		/* logrotate moved it: follow the new file, as tail -F does. */
		if (!stat(path, &now) && (now.st_ino != st.st_ino || now.st_size < ftell(f))) {
			FILE *g = fopen(path, "re");

			if (g) {
				fclose(f);
				f = g;
				st = now;
			}
		}
	}
	free(line);
	fclose(f);
	return 0;
}

struct drain_ctx {
	const struct xbd_config *cfg;
	size_t n, max;
};

static int print_event(void *ctx, void *data, size_t size)
{
	struct drain_ctx *d = ctx;
	const struct xb_event *ev = data;
	char line[1024];

	if (size < sizeof(*ev) || (d->max && d->n >= d->max))
		return 0;
	droplog_format(d->cfg, ev, line, sizeof(line));
	emit_line(line, xb_boot_to_unix(ev->ts_ns));
	d->n++;
	return 0;
}

static int drain_ring(const struct xbd_config *cfg, size_t n, bool follow)
{
	struct drain_ctx d = { .cfg = cfg, .max = follow ? 0 : n };
	struct ring_buffer *rb = NULL;
	struct xb_maps maps;
	int err;

	err = xb_maps_open(&maps, pin_dir, false);
	if (err)
		return err;
	xb_maps_unlock(&maps);
	rb = ring_buffer__new(maps.fd[XB_EVENTS], print_event, &d, NULL);
	if (!rb) {
		err = -errno;
		p_err("cannot read the drop-log ring buffer: %s", strerror(-err));
		goto out;
	}
	err = ring_buffer__consume(rb);
	while (err >= 0 && follow && !stop)
		err = ring_buffer__poll(rb, 200);
	if (err == -EINTR || err > 0)
		err = 0;
out:
	ring_buffer__free(rb);
	xb_maps_close(&maps);
	return err < 0 ? err : 0;
}

static int log_usage(void)
{
	printf("Usage: banctl log [-f] [-n N] [-c CONFIG]\n"
	       "The drop log: one iptables LOG line per logged drop. When xdpband runs, its\n"
	       "log_file is read (tail); else the ring buffer is drained here, which consumes\n"
	       "the events. -f follows; -n shows the last N lines (default 10, 0 = all).\n"
	       "CONFIG (default %s) tells state_dir, log_file and the prefixes.\n",
	       XBD_CONFIG_PATH);
	return 0;
}

int do_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = XBD_CONFIG_PATH;
	struct sigaction sa = { .sa_handler = on_signal };
	static struct xbd_config cfg;
	char msg[512];
	bool follow = false;
	__u32 n = 10;
	int opt, err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, ":fn:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			follow = true;
			break;
		case 'n':
			err = parse_u32_arg(optarg, "-n", 0, 1U << 30, &n);
			if (err)
				return err;
			break;
		case 'c':
			path = optarg;
			break;
		case 'h':
			return log_usage();
		case ':':
			return usage_err("log: option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_err("log: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (!strcmp(argv[optind], "help"))
			return log_usage();
		return usage_err("log: unexpected argument '%s'", argv[optind]);
	}
	if (follow && json_wtr)
		return usage_err("log: -f and -j do not go together (JSON is one document)");
	err = xbd_config_load(path, &cfg, msg, sizeof(msg));
	if (err == -ENOENT && !strcmp(path, XBD_CONFIG_PATH)) {
		/* No configuration at all: the defaults say where to look. */
		xbd_config_defaults(&cfg);
	} else if (err) {
		p_err("%s", msg);
		return -EUSAGE;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (daemon_pid(cfg.state_dir) > 0) {
		if (!cfg.log_file[0]) {
			p_err("xdpband runs and logs to syslog only (no log_file in %s); read it "
			      "with journalctl -t xdpband",
			      path);
			err = -ENOENT;
		} else {
			err = tail_file(cfg.log_file, n, follow);
		}
	} else {
		err = drain_ring(&cfg, n, follow);
	}
	if (json_wtr && !err && !array_open)
		jsonw_start_array(json_wtr);
	if (json_wtr && (array_open || !err))
		jsonw_end_array(json_wtr);
	xbd_config_free(&cfg);
	return err;
}

int do_log_limit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "burst", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	__u64 interval = 0;
	__u32 burst = XB_LOG_DEFAULT_BURST;
	bool set = false, off = false;
	struct xb_maps maps;
	char shown[32];
	int opt, err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, ":b:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			err = parse_u32_arg(optarg, "--burst", 1, 10000, &burst);
			if (err)
				return err;
			break;
		case 'h':
			printf("Usage: banctl log-limit [RATE|off] [--burst N]\n"
			       "Show or set the drop log's rate per class, as iptables' -m limit:\n"
			       "RATE like 5/min, 10/second, 3/hour, 1/day; default burst 5. Takes\n"
			       "effect at once with full buckets; no reload.\n");
			return 0;
		case ':':
			return usage_err("log-limit: option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_err("log-limit: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		set = true;
		off = !strcmp(argv[optind], "off");
		err = off ? 0 : xb_rate_parse(argv[optind], &interval);
		if (err)
			return usage_err("'%s' is not a rate (5/min, 10/second, 3/hour, 1/day; at "
					 "most 10000/second)",
					 argv[optind]);
		if (optind + 1 < argc)
			return usage_err("log-limit: unexpected argument '%s'", argv[optind + 1]);
	}
	err = xb_maps_open(&maps, pin_dir, set);
	if (err)
		return err;
	if (set)
		err = xb_log_limit_set(&maps, off ? 0 : interval, burst);
	if (!err)
		err = xb_log_limit_get(&maps, &interval, &burst);
	xb_maps_close(&maps);
	if (err)
		return err;
	if (interval)
		xb_rate_format(interval, shown, sizeof(shown));
	else
		snprintf(shown, sizeof(shown), "off");
	if (json_wtr) {
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "limit", shown);
		jsonw_uint_field(json_wtr, "interval_ns", interval);
		jsonw_uint_field(json_wtr, "burst", burst);
		jsonw_end_object(json_wtr);
	} else {
		printf("log limit %s, burst %u (per class: TCP, UDP, ICMP, other)\n", shown, burst);
	}
	return 0;
}
