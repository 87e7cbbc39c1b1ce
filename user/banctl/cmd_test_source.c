// SPDX-License-Identifier: GPL-2.0
/*
 * banctl test-source: a source of the configuration run over a file in dry-run, like
 * fail2ban-regex: what it reads, matches and misses, and which bans would follow.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banctl.h"
#include "sources.h"

#define SHOW_MAX 20

struct addr_count {
	struct xb_prefix addr;
	__u64 hits;
};

struct report {
	struct addr_count *addrs;
	size_t n_addrs, cap;
	size_t *index; /* open addressing over addrs: position + 1, 0 = empty */
	size_t index_cap;
	struct xb_ban_req *bans;
	size_t n_bans, cap_bans;
	int err;
};

static struct report rep;

static size_t addr_hash(const struct xb_prefix *a)
{
	const unsigned char *k = (const unsigned char *)a;
	size_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < sizeof(*a); i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	return h;
}

/* The index is rebuilt at twice the size when half full: O(1) per line, however many. */
static int grow_index(void)
{
	size_t cap = rep.index_cap ? rep.index_cap * 2 : 1024;
	size_t *index = calloc(cap, sizeof(*index));

	if (!index)
		return -ENOMEM;
	for (size_t i = 0; i < rep.n_addrs; i++) {
		size_t h = addr_hash(&rep.addrs[i].addr) & (cap - 1);

		while (index[h])
			h = (h + 1) & (cap - 1);
		index[h] = i + 1;
	}
	free(rep.index);
	rep.index = index;
	rep.index_cap = cap;
	return 0;
}

static void count_addr(const struct xb_prefix *a)
{
	size_t h;

	if (2 * (rep.n_addrs + 1) > rep.index_cap && grow_index()) {
		rep.err = -ENOMEM;
		return;
	}
	for (h = addr_hash(a) & (rep.index_cap - 1); rep.index[h];
	     h = (h + 1) & (rep.index_cap - 1)) {
		if (!memcmp(&rep.addrs[rep.index[h] - 1].addr, a, sizeof(*a))) {
			rep.addrs[rep.index[h] - 1].hits++;
			return;
		}
	}
	if (rep.n_addrs == rep.cap) {
		void *p = realloc(rep.addrs,
				  (rep.cap = rep.cap ? rep.cap * 2 : 64) * sizeof(*rep.addrs));

		if (!p) {
			rep.err = -ENOMEM;
			return;
		}
		rep.addrs = p;
	}
	rep.addrs[rep.n_addrs].addr = *a;
	rep.addrs[rep.n_addrs].hits = 1;
	rep.index[h] = ++rep.n_addrs;
}

static void on_decision(struct xbd_source *src, enum xb_decision d, const struct xb_line_event *ev,
			const struct xb_ban_req *req)
{
	(void)src;
	if (ev->kind == XB_LINE_FAIL || ev->kind == XB_LINE_BAN)
		count_addr(&ev->addr);
	if (d != XB_DEC_DRYRUN)
		return;
	if (rep.n_bans == rep.cap_bans) {
		void *p = realloc(rep.bans, (rep.cap_bans = rep.cap_bans ? rep.cap_bans * 2 : 64) *
						    sizeof(*rep.bans));

		if (!p) {
			rep.err = -ENOMEM;
			return;
		}
		rep.bans = p;
	}
	rep.bans[rep.n_bans++] = *req;
}

static void on_line(void *ctx, const char *line, size_t len)
{
	xbd_source_line(ctx, line, len);
}

static void print_plain(const struct xbd_source *s, const struct xb_follow_stats *st)
{
	char text[XB_PREFIX_STRLEN], dur[32];

	printf("source %s: %llu lines read, %llu matched, %llu ignored, %llu missed", s->name,
	       (unsigned long long)s->lines, (unsigned long long)s->matched,
	       (unsigned long long)s->ignored_lines, (unsigned long long)s->missed);
	printf(", %llu skipped (long or binary)\n",
	       (unsigned long long)(st->skipped_long + st->skipped_binary));
	printf("%zu addresses found:\n", rep.n_addrs);
	for (size_t i = 0; i < rep.n_addrs && i < SHOW_MAX; i++) {
		xb_prefix_format(&rep.addrs[i].addr, text, sizeof(text));
		printf("  %-43s %llu\n", text, (unsigned long long)rep.addrs[i].hits);
	}
	if (rep.n_addrs > SHOW_MAX)
		printf("  ... and %zu more\n", rep.n_addrs - SHOW_MAX);
	printf("%zu bans would result:\n", rep.n_bans);
	for (size_t i = 0; i < rep.n_bans && i < SHOW_MAX; i++) {
		xb_prefix_format(&rep.bans[i].pfx, text, sizeof(text));
		if (rep.bans[i].timeout_s)
			xb_duration_format(rep.bans[i].timeout_s, dur, sizeof(dur));
		else
			snprintf(dur, sizeof(dur), "permanent");
		printf("  %-43s %-10s %s\n", text, dur, rep.bans[i].reason);
	}
	if (rep.n_bans > SHOW_MAX)
		printf("  ... and %zu more\n", rep.n_bans - SHOW_MAX);
}

static void print_json(const struct xbd_source *s, const struct xb_follow_stats *st)
{
	char text[XB_PREFIX_STRLEN];

	jsonw_start_object(json_wtr);
	jsonw_string_field(json_wtr, "source", s->name);
	jsonw_uint_field(json_wtr, "lines", s->lines);
	jsonw_uint_field(json_wtr, "matched", s->matched);
	jsonw_uint_field(json_wtr, "ignored", s->ignored_lines);
	jsonw_uint_field(json_wtr, "missed", s->missed);
	jsonw_uint_field(json_wtr, "skipped", st->skipped_long + st->skipped_binary);
	jsonw_name(json_wtr, "addresses");
	jsonw_start_array(json_wtr);
	for (size_t i = 0; i < rep.n_addrs; i++) {
		xb_prefix_format(&rep.addrs[i].addr, text, sizeof(text));
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "address", text);
		jsonw_uint_field(json_wtr, "matches", rep.addrs[i].hits);
		jsonw_end_object(json_wtr);
	}
	jsonw_end_array(json_wtr);
	jsonw_name(json_wtr, "bans");
	jsonw_start_array(json_wtr);
	for (size_t i = 0; i < rep.n_bans; i++) {
		xb_prefix_format(&rep.bans[i].pfx, text, sizeof(text));
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "prefix", text);
		jsonw_uint_field(json_wtr, "timeout", rep.bans[i].timeout_s);
		jsonw_string_field(json_wtr, "reason", rep.bans[i].reason);
		jsonw_end_object(json_wtr);
	}
	jsonw_end_array(json_wtr);
	jsonw_end_object(json_wtr);
}

static int ts_usage(void)
{
	printf("Usage: banctl test-source [--config FILE] SOURCE [LOGFILE|-]\n"
	       "Run [source:SOURCE] of the configuration (default %s) over LOGFILE\n"
	       "(default its logpath; '-' = stdin; .gz read too) in dry-run: lines read,\n"
	       "matched, ignored and missed, the addresses found, and the bans that would\n"
	       "result. Nothing is banned.\n",
	       XBD_CONFIG_PATH);
	return 0;
}

static int run_source(struct xbd_source *s, const char *file)
{
	struct xb_follow_stats st = {};
	int err;

	s->on_decision = on_decision;
	err = xb_read_file_lines(!strcmp(file, "-") ? "/dev/stdin" : file, on_line, s, &st);
	if (err) {
		p_err("cannot read %s: %s", file, strerror(-err));
		return err;
	}
	if (rep.err)
		return rep.err;
	if (json_wtr)
		print_json(s, &st);
	else
		print_plain(s, &st);
	return 0;
}

int do_test_source(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = XBD_CONFIG_PATH;
	static struct xbd_config cfg;
	struct xbd_source *src = NULL;
	size_t n = 0;
	char msg[512];
	int opt, err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == 'h')
			return ts_usage();
		else
			return usage_err("test-source: bad option '%s'", argv[optind - 1]);
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && !strcmp(argv[0], "help"))
		return ts_usage();
	if (argc < 1 || argc > 2)
		return usage_err("test-source: name one source, and optionally a log file");
	err = xbd_config_load(path, &cfg, msg, sizeof(msg));
	if (!err)
		err = xbd_sources_build(&cfg, &src, &n, true, msg, sizeof(msg));
	if (err) {
		p_err("%s", msg);
		xbd_config_free(&cfg);
		return -EUSAGE;
	}
	err = -EUSAGE;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(src[i].name, argv[0]))
			err = run_source(&src[i], argc > 1 ? argv[1] : src[i].logpath);
	}
	if (err == -EUSAGE)
		usage_err("no enabled [source:%s] in %s", argv[0], path);
	xbd_sources_free(src, n);
	xbd_config_free(&cfg);
	free(rep.addrs);
	free(rep.bans);
	free(rep.index);
	return err;
}
