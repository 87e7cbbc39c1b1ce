// SPDX-License-Identifier: GPL-2.0
/*
 * banctl report: what xdpban did, in the manner of Lire's reports. From the daemon's history
 * (STATE_DIR/history.sqlite) or, with --from-log, from existing logs read into an in-memory
 * database of the same schema: drops over time, top offenders by dropped packets and by
 * bans, bans by source and jail, repeat offenders, bans without traffic (candidates to
 * lift), spam scores, and how fast bans followed the first bad line. As text, JSON, or one
 * self-contained HTML file: inline SVG charts, no script, no external font, phone-sized.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strptime() */
#endif
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "banctl.h"
#include "xb_history.h"

#define DEFAULT_WINDOW_S (7 * 86400)
#define DEFAULT_QUIET_S 86400
#define DEFAULT_TOP 10
#define TOP_MAX 1000
#define TEXT_ROWS 24
#define TEXT_BAR 36

enum report_format {
	FMT_TEXT,
	FMT_JSON,
	FMT_HTML,
};

static const char *const format_names[] = { "text", "json", "html" };

struct report_args {
	__s64 since, until;
	bool has_since, has_until, has_format;
	enum report_format format;
	const char *output;
	__u32 top;
	__u64 quiet_s;
	const char **logs;
	size_t n_logs;
};

/* What the report was made from, for its header. */
struct report_input {
	bool from_logs;
	char where[PATH_MAX + 32];
	const char **logs;
	size_t n_logs;
	struct xb_history_import_stats st;
};

/* ---- arguments ---- */

static void report_help(void)
{
	printf("Usage: banctl [--state-dir DIR] report [--since DUR|DATE] [--until DUR|DATE]\n"
	       "           [--format text|json|html] [-o FILE] [--top N] [--quiet DUR]\n"
	       "           [--from-log FILE...]\n"
	       "What xdpban did: drops over time, top offenders by dropped packets and by bans,\n"
	       "bans by source and jail, repeat offenders, bans in force without traffic\n"
	       "(candidates to lift), the spam score distribution, and how fast bans followed\n"
	       "the first bad line. Read from STATE_DIR/history.sqlite, which xdpband keeps.\n"
	       "\n"
	       "  --since, --until  the window: a duration back from now (7d, 12h), a local date\n"
	       "                    (2024-03-10, '2024-03-10 14:00'), @UNIXTIME or now; default\n"
	       "                    the last 7 days (with --from-log: everything in the logs)\n"
	       "  --format FMT      text (default), json (also with -j), or html: one\n"
	       "                    self-contained file (inline SVG, no scripts or fonts)\n"
	       "  -o, --output FILE write to FILE (atomically) instead of stdout\n"
	       "  --top N           rows of each top list (default %d)\n"
	       "  --quiet DUR       a ban in force without drops this long is a candidate to\n"
	       "                    lift (default 1d)\n"
	       "  --from-log FILE...  report on existing logs instead: iptables LOG lines\n"
	       "                    (kern.log, xdpband's drop log), fail2ban.log (Ban, Unban and\n"
	       "                    Found lines), mail.log with spamd; plain or .gz. Syslog\n"
	       "                    stamps without a year take it from the file's mtime.\n",
	       DEFAULT_TOP);
}

/* "7d" (back from now), "2024-03-10[ 14:00[:05]]" (local), "@1710000000", "now". */
static int parse_when(const char *text, const char *opt, __s64 now, __s64 *out)
{
	static const char *const formats[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					       "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	char *end;
	__u64 d;

	if (!strcmp(text, "now")) {
		*out = now;
		return 0;
	}
	if (text[0] == '@') {
		long long v;

		errno = 0;
		v = strtoll(text + 1, &end, 10);
		if (!errno && end != text + 1 && !*end && v >= 0) {
			*out = v;
			return 0;
		}
	} else if (!xb_duration_parse(text, &d)) {
		*out = now - (__s64)d;
		return 0;
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm = {};

		end = strptime(text, formats[i], &tm);
		if (end && !*end) {
			tm.tm_isdst = -1;
			*out = (__s64)mktime(&tm);
			return 0;
		}
	}
	return usage_err("report: %s '%s' is not a duration (7d, 12h), a date (2024-03-10, "
			 "'2024-03-10 14:00'), @UNIXTIME or now",
			 opt, text);
}

static int parse_format(const char *text, struct report_args *a)
{
	for (int i = 0; i <= FMT_HTML; i++) {
		if (!strcmp(text, format_names[i])) {
			a->format = (enum report_format)i;
			a->has_format = true;
			return 0;
		}
	}
	return usage_err("report: --format must be text, json or html, not '%s'", text);
}

static int parse_opt(int opt, const char *arg, struct report_args *a, __s64 now)
{
	switch (opt) {
	case 's':
		a->has_since = true;
		return parse_when(arg, "--since", now, &a->since);
	case 'u':
		a->has_until = true;
		return parse_when(arg, "--until", now, &a->until);
	case 'f':
		return parse_format(arg, a);
	case 'o':
		a->output = arg;
		return 0;
	case 't':
		return parse_u32_arg(arg, "--top", 1, TOP_MAX, &a->top);
	case 'q':
		if (xb_duration_parse(arg, &a->quiet_s) || !a->quiet_s)
			return usage_err("report: --quiet '%s' is not a duration (1d, 12h)", arg);
		return 0;
	case 'L':
		a->logs[a->n_logs++] = arg;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The rest of the checks, once every option is read. */
static int check_args(struct report_args *a)
{
	if (json_wtr && a->has_format && a->format != FMT_JSON && !a->output)
		return usage_err("report: -j prints JSON; use --format %s without -j, or -o FILE",
				 format_names[a->format]);
	if (json_wtr && !a->has_format)
		a->format = FMT_JSON;
	if (a->has_since && a->has_until && a->since >= a->until)
		return usage_err("report: --since must be before --until");
	return 0;
}

/* What getopt left: "help", or the files after --from-log's first. */
static int rest_args(int argc, char **argv, struct report_args *a)
{
	for (; optind < argc; optind++) {
		if (!strcmp(argv[optind], "help")) {
			report_help();
			return 1;
		}
		if (!a->n_logs)
			return usage_err("report: unexpected argument '%s'", argv[optind]);
		a->logs[a->n_logs++] = argv[optind];
	}
	return 0;
}

/* 0, 1 after help, or -EUSAGE. */
static int parse_args(int argc, char **argv, struct report_args *a)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 't' },
		{ "quiet", required_argument, NULL, 'q' },
		{ "from-log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	__s64 now = (__s64)time(NULL);
	int opt, err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		if (opt == 'h') {
			report_help();
			return 1;
		}
		if (opt == ':')
			return usage_err("report: option '%s' needs a value", argv[optind - 1]);
		if (opt == '?')
			return usage_err("report: unknown option '%s'; 'banctl report help'",
					 argv[optind - 1]);
		err = parse_opt(opt, optarg, a, now);
		if (err)
			return err;
	}
	return rest_args(argc, argv, a) ?: check_args(a);
}

/* ---- the data ---- */

static int import_logs(struct xb_history *h, const struct report_args *a, struct report_input *in)
{
	struct xb_history_import *im = NULL;
	int err = xb_history_import_new(h, &im);

	for (size_t i = 0; !err && i < a->n_logs; i++) {
		struct xb_history_import_stats before, after;

		xb_history_import_stats(im, &before);
		err = xb_history_import_file(im, a->logs[i]);
		xb_history_import_stats(im, &after);
		p_info("%s: %llu lines: %llu drops, %llu bans, %llu unbans, %llu Found, %llu spam",
		       a->logs[i], (unsigned long long)(after.lines - before.lines),
		       (unsigned long long)(after.drops - before.drops),
		       (unsigned long long)(after.bans - before.bans),
		       (unsigned long long)(after.unbans - before.unbans),
		       (unsigned long long)(after.found - before.found),
		       (unsigned long long)(after.spam - before.spam));
	}
	if (im)
		xb_history_import_stats(im, &in->st);
	return xb_history_import_end(im) ?: err;
}

static int open_data(const struct report_args *a, struct report_input *in, struct xb_history **h)
{
	struct xb_history_opts o = { .mode = a->n_logs ? XB_HISTORY_MEMORY : XB_HISTORY_READER };
	int err;

	in->from_logs = a->n_logs;
	in->logs = a->logs;
	in->n_logs = a->n_logs;
	snprintf(in->where, sizeof(in->where), "%s/%s", state_dir, XB_HISTORY_FILE);
	err = xb_history_open(h, in->where, &o);
	if (err == -ENOENT && !a->n_logs) {
		p_err("no history at %s: xdpband keeps it in its state_dir (give that with "
		      "--state-dir), or report on logs with --from-log FILE...",
		      in->where);
		return err;
	}
	if (err)
		return err;
	return a->n_logs ? import_logs(*h, a, in) : 0;
}

/* The window: as given, else the last 7 days (from logs: all they hold). */
static int window(struct xb_history *h, const struct report_args *a, const struct report_input *in,
		  struct xb_report_opts *o)
{
	__s64 now = (__s64)time(NULL), first = 0, last = 0;
	bool data = in->from_logs && !xb_history_span(h, &first, &last);

	if (in->from_logs && !data)
		p_warn("nothing in the logs was recognised as a drop, ban or spam line");
	o->until = a->has_until ? a->until : data ? last + 1 : now;
	o->since = a->has_since ? a->since : data ? first : o->until - DEFAULT_WINDOW_S;
	o->quiet_s = a->quiet_s;
	o->top = a->top;
	if (o->since >= o->until)
		return usage_err("report: the window is empty (--since after --until, or after the "
				 "logs' end)");
	return 0;
}

/* ---- formatting helpers ---- */

/* HTML tables leave the year out when the whole report is within one: phones are narrow. */
static bool short_times;

static void fmt_time(__s64 t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	strftime(buf, size, short_times ? "%m-%d %H:%M" : "%Y-%m-%d %H:%M", &tm);
}

static bool same_year(__s64 a, __s64 b)
{
	time_t ta = (time_t)a, tb = (time_t)b;
	struct tm x, y;

	localtime_r(&ta, &x);
	localtime_r(&tb, &y);
	return x.tm_year == y.tm_year;
}

/* A series label: the time of day, or the date from daily steps up. */
static void fmt_step(__s64 t, __u32 step, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, size, step >= 86400 ? "%Y-%m-%d" : "%m-%d %H:%M", &tm);
}

static void fmt_bytes(__u64 b, char *buf, size_t size)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB", "PB" };
	double v = (double)b;
	int u = -1;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

static void fmt_secs(double s, char *buf, size_t size)
{
	xb_duration_format(s > 0 ? (__u64)(s + 0.5) : 0, buf, size);
}

/* A host prefix as its address, anything else as it is. */
static const char *show_prefix(const char *p, char *buf, size_t size)
{
	const char *slash = strrchr(p, '/');
	bool host = slash && ((!strcmp(slash, "/32") && !strchr(p, ':')) || !strcmp(slash, "/128"));

	if (!host)
		return p;
	snprintf(buf, size, "%.*s", (int)(slash - p), p);
	return buf;
}

static const char *src_or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static const char *drops_word(const struct report_input *in)
{
	return in->from_logs ? "logged drops" : "dropped packets";
}

/* ---- text ---- */

/* A bar of up to width '#'; padded to width when something follows it on the line. */
static void text_bar(FILE *f, __u64 v, __u64 max, int width, bool pad)
{
	int n = max ? (int)((v * (__u64)width + max - 1) / max) : 0;

	for (int i = 0; i < (pad ? width : n); i++)
		fputc(i < n ? '#' : ' ', f);
}

static void text_header(FILE *f, const struct report_input *in, const struct xb_report *r)
{
	char a[32], b[32], zone[16];
	time_t t = (time_t)r->until;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(zone, sizeof(zone), "%Z", &tm);
	fmt_time(r->since, a, sizeof(a));
	fmt_time(r->until, b, sizeof(b));
	fprintf(f, "xdpban report: %s to %s %s\n", a, b, zone);
	if (!in->from_logs) {
		fprintf(f, "from the history in %s\n", in->where);
		return;
	}
	fprintf(f,
		"from %zu log file%s (%llu lines: %llu drops, %llu Ban, %llu Unban, "
		"%llu Found, %llu spam)\n",
		in->n_logs, in->n_logs == 1 ? "" : "s", (unsigned long long)in->st.lines,
		(unsigned long long)in->st.drops, (unsigned long long)in->st.bans,
		(unsigned long long)in->st.unbans, (unsigned long long)in->st.found,
		(unsigned long long)in->st.spam);
}

static void text_summary(FILE *f, const struct report_input *in, const struct xb_report *r)
{
	char bytes[32], q[32], med[32], p90[32];

	fmt_bytes(r->dropped_bytes, bytes, sizeof(bytes));
	fmt_secs((double)r->quiet_s, q, sizeof(q));
	fprintf(f, "\nSummary\n");
	fprintf(f, "  %-22s %llu (%s)\n", drops_word(in), (unsigned long long)r->dropped_packets,
		bytes);
	fprintf(f, "  %-22s %llu of %llu addresses, %llu unbans\n", "bans",
		(unsigned long long)r->bans, (unsigned long long)r->banned_addresses,
		(unsigned long long)r->unbans);
	fprintf(f, "  %-22s %llu banned again after a ban was lifted\n", "repeat offenders",
		(unsigned long long)r->repeat_total);
	fprintf(f, "  %-22s %llu, %llu without drops for %s (candidates to lift)\n",
		"in force at the end", (unsigned long long)r->active,
		(unsigned long long)r->quiet_total, q);
	fprintf(f, "  %-22s %llu", "spam messages", (unsigned long long)r->spam);
	if (r->score.n)
		fprintf(f, ", median score %.1f", r->score.median);
	fputc('\n', f);
	if (!r->latency.n) {
		fprintf(f, "  %-22s not known for any ban\n", "first bad line to ban");
		return;
	}
	fmt_secs(r->latency.median, med, sizeof(med));
	fmt_secs(r->latency.p90, p90, sizeof(p90));
	fprintf(f, "  %-22s median %s, 90%% within %s (%llu bans)\n", "first bad line to ban", med,
		p90, (unsigned long long)r->latency.n);
}

static void text_series(FILE *f, const struct report_input *in, const struct xb_report *r)
{
	size_t per = (r->n_series + TEXT_ROWS - 1) / TEXT_ROWS, rows;
	__u64 max = 0, p[TEXT_ROWS + 1] = {}, b[TEXT_ROWS + 1] = {};
	char step[32], label[32];

	per = per ? per : 1;
	rows = (r->n_series + per - 1) / per;
	for (size_t i = 0; i < r->n_series; i++) {
		p[i / per] += r->series[i].packets;
		b[i / per] += r->series[i].bans;
	}
	for (size_t i = 0; i < rows; i++)
		max = p[i] > max ? p[i] : max;
	fmt_secs((double)r->step_s * (double)per, step, sizeof(step));
	fprintf(f, "\nDrops over time (%s per %s)\n", drops_word(in), step);
	for (size_t i = 0; i < rows; i++) {
		fmt_step(r->series[i * per].t, r->step_s * (__u32)per, label, sizeof(label));
		fprintf(f, "  %-11s ", label);
		text_bar(f, p[i], max, TEXT_BAR, true);
		fprintf(f, " %10llu", (unsigned long long)p[i]);
		if (b[i])
			fprintf(f, "  %llu ban%s", (unsigned long long)b[i], b[i] == 1 ? "" : "s");
		fputc('\n', f);
	}
}

static void text_protocols(FILE *f, const struct xb_report *r)
{
	__u64 total = 0, max = 0;

	for (int c = 0; c < __XB_CLASS_MAX; c++) {
		total += r->logged[c];
		max = r->logged[c] > max ? r->logged[c] : max;
	}
	fprintf(f, "\nLogged drops by protocol\n");
	if (!total) {
		fprintf(f, "  (none)\n");
		return;
	}
	for (int c = 0; c < __XB_CLASS_MAX; c++) {
		fprintf(f, "  %-6s %10llu %5.1f%%%s", xb_report_class_names[c],
			(unsigned long long)r->logged[c],
			100.0 * (double)r->logged[c] / (double)total, r->logged[c] ? "  " : "");
		text_bar(f, r->logged[c], max, TEXT_BAR / 2, false);
		fputc('\n', f);
	}
}

/* The three offender tables: by dropped packets, by bans, returning after a lifted ban. */
enum off_kind {
	OFF_DROPS,
	OFF_BANS,
	OFF_REPEAT,
};

static void text_offender(FILE *f, const struct xb_report_offender *o, enum off_kind k)
{
	char pb[64], bytes[32], a[32], b[32];
	const char *addr = show_prefix(o->prefix, pb, sizeof(pb));

	fmt_bytes(o->bytes, bytes, sizeof(bytes));
	fmt_time(o->first, a, sizeof(a));
	fmt_time(o->last, b, sizeof(b));
	if (k == OFF_DROPS)
		fprintf(f, "  %-24s %10llu %10s %5llu  %-16s  %s\n", addr,
			(unsigned long long)o->packets, bytes, (unsigned long long)o->bans, b,
			src_or_dash(o->sources));
	else if (k == OFF_BANS)
		fprintf(f, "  %-24s %5llu %10llu  %-16s  %-16s  %s\n", addr,
			(unsigned long long)o->bans, (unsigned long long)o->packets, a, b,
			src_or_dash(o->sources));
	else
		fprintf(f, "  %-24s %7llu %5llu %10llu  %-16s  %s\n", addr,
			(unsigned long long)o->returns, (unsigned long long)o->bans,
			(unsigned long long)o->packets, b, src_or_dash(o->sources));
}

static void text_offenders(FILE *f, const char *title, const struct xb_report_offender *o, size_t n,
			   enum off_kind k)
{
	fprintf(f, "\n%s\n", title);
	if (!n) {
		fprintf(f, "  (none)\n");
		return;
	}
	if (k == OFF_DROPS)
		fprintf(f, "  %-24s %10s %10s %5s  %-16s  %s\n", "ADDRESS", "PACKETS", "BYTES",
			"BANS", "LAST DROP", "BANNED BY");
	else if (k == OFF_BANS)
		fprintf(f, "  %-24s %5s %10s  %-16s  %-16s  %s\n", "ADDRESS", "BANS", "PACKETS",
			"FIRST BAN", "LAST BAN", "BANNED BY");
	else
		fprintf(f, "  %-24s %7s %5s %10s  %-16s  %s\n", "ADDRESS", "RETURNS", "BANS",
			"PACKETS", "LAST BAN", "BANNED BY");
	for (size_t i = 0; i < n; i++)
		text_offender(f, &o[i], k);
}

static void text_sources(FILE *f, const struct xb_report *r)
{
	fprintf(f, "\nBans by source and jail\n");
	if (!r->n_sources) {
		fprintf(f, "  (none)\n");
		return;
	}
	fprintf(f, "  %-20s %-20s %7s %10s\n", "SOURCE", "JAIL", "BANS", "ADDRESSES");
	for (size_t i = 0; i < r->n_sources; i++)
		fprintf(f, "  %-20s %-20s %7llu %10llu\n", r->sources[i].source,
			src_or_dash(r->sources[i].jail), (unsigned long long)r->sources[i].bans,
			(unsigned long long)r->sources[i].addresses);
}

static void text_quiet(FILE *f, const struct xb_report *r)
{
	char q[32], pb[64], a[32], b[32];

	fmt_secs((double)r->quiet_s, q, sizeof(q));
	fprintf(f, "\nBans in force without drops for %s (candidates to lift): %llu of %llu\n", q,
		(unsigned long long)r->quiet_total, (unsigned long long)r->active);
	if (!r->n_quiet) {
		fprintf(f, "  (none)\n");
		return;
	}
	fprintf(f, "  %-24s  %-16s  %-16s %10s  %s\n", "ADDRESS", "BANNED", "LAST DROP", "PACKETS",
		"BANNED BY");
	for (size_t i = 0; i < r->n_quiet; i++) {
		const struct xb_report_quiet *x = &r->quiet[i];

		fmt_time(x->banned, a, sizeof(a));
		fmt_time(x->last_drop, b, sizeof(b));
		fprintf(f, "  %-24s  %-16s  %-16s %10llu  %s\n",
			show_prefix(x->prefix, pb, sizeof(pb)), a, x->last_drop ? b : "never",
			(unsigned long long)x->packets, src_or_dash(x->source));
	}
}

static void text_hist(FILE *f, const char *const *labels, const __u64 *v, int n)
{
	__u64 max = 0;

	for (int i = 0; i < n; i++)
		max = v[i] > max ? v[i] : max;
	for (int i = 0; i < n; i++) {
		fprintf(f, "  %-7s %8llu%s", labels[i], (unsigned long long)v[i], v[i] ? "  " : "");
		text_bar(f, v[i], max, TEXT_BAR, false);
		fputc('\n', f);
	}
}

static void text_dists(FILE *f, const struct xb_report *r)
{
	char a[32], b[32], c[32];

	fprintf(f, "\nSpam scores (%llu messages", (unsigned long long)r->score.n);
	if (r->score.n)
		fprintf(f, "; median %.1f, 90%% below %.1f, max %.1f; threshold %.1f",
			r->score.median, r->score.p90, r->score.max, r->threshold_avg);
	fprintf(f, ")\n");
	if (r->score.n)
		text_hist(f, xb_report_score_labels, r->score_hist, XB_REPORT_SCORE_BUCKETS);
	fprintf(f, "\nFirst bad line to ban (%llu bans", (unsigned long long)r->latency.n);
	if (r->latency.n) {
		fmt_secs(r->latency.median, a, sizeof(a));
		fmt_secs(r->latency.p90, b, sizeof(b));
		fmt_secs(r->latency.max, c, sizeof(c));
		fprintf(f, "; median %s, 90%% within %s, max %s", a, b, c);
	}
	fprintf(f, ")\n");
	if (r->latency.n)
		text_hist(f, xb_report_latency_labels, r->latency_hist, XB_REPORT_LATENCY_BUCKETS);
}

static void print_text(FILE *f, const struct report_input *in, const struct xb_report *r)
{
	text_header(f, in, r);
	text_summary(f, in, r);
	text_series(f, in, r);
	text_protocols(f, r);
	text_offenders(f, "Top offenders by dropped packets", r->top_drops, r->n_top_drops,
		       OFF_DROPS);
	text_offenders(f, "Top offenders by bans", r->top_bans, r->n_top_bans, OFF_BANS);
	text_offenders(f, "Repeat offenders (banned again after a ban was lifted)", r->repeat,
		       r->n_repeat, OFF_REPEAT);
	text_sources(f, r);
	text_quiet(f, r);
	text_dists(f, r);
}

/* ---- JSON ---- */

static void json_sources(json_writer_t *w, const char *list)
{
	char buf[XB_REPORT_NAME_LEN], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	jsonw_name(w, "sources");
	jsonw_start_array(w);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		jsonw_string(w, t);
	jsonw_end_array(w);
}

static void json_offenders(json_writer_t *w, const char *name, const struct xb_report_offender *o,
			   size_t n)
{
	jsonw_name(w, name);
	jsonw_start_array(w);
	for (size_t i = 0; i < n; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "prefix", o[i].prefix);
		jsonw_uint_field(w, "packets", o[i].packets);
		jsonw_uint_field(w, "bytes", o[i].bytes);
		jsonw_uint_field(w, "bans", o[i].bans);
		jsonw_uint_field(w, "returns", o[i].returns);
		jsonw_int_field(w, "first", o[i].first);
		jsonw_int_field(w, "last", o[i].last);
		json_sources(w, o[i].sources);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void json_input(json_writer_t *w, const struct report_input *in)
{
	jsonw_name(w, "input");
	jsonw_start_object(w);
	jsonw_string_field(w, "from", in->from_logs ? "logs" : "history");
	if (!in->from_logs) {
		jsonw_string_field(w, "path", in->where);
		jsonw_end_object(w);
		return;
	}
	jsonw_name(w, "files");
	jsonw_start_array(w);
	for (size_t i = 0; i < in->n_logs; i++)
		jsonw_string(w, in->logs[i]);
	jsonw_end_array(w);
	jsonw_uint_field(w, "lines", in->st.lines);
	jsonw_uint_field(w, "drops", in->st.drops);
	jsonw_uint_field(w, "bans", in->st.bans);
	jsonw_uint_field(w, "unbans", in->st.unbans);
	jsonw_uint_field(w, "found", in->st.found);
	jsonw_uint_field(w, "spam", in->st.spam);
	jsonw_uint_field(w, "unknown", in->st.unknown);
	jsonw_end_object(w);
}

static void json_totals(json_writer_t *w, const struct xb_report *r)
{
	jsonw_name(w, "totals");
	jsonw_start_object(w);
	jsonw_uint_field(w, "dropped_packets", r->dropped_packets);
	jsonw_uint_field(w, "dropped_bytes", r->dropped_bytes);
	jsonw_uint_field(w, "bans", r->bans);
	jsonw_uint_field(w, "unbans", r->unbans);
	jsonw_uint_field(w, "banned_addresses", r->banned_addresses);
	jsonw_uint_field(w, "repeat_offenders", r->repeat_total);
	jsonw_uint_field(w, "active", r->active);
	jsonw_uint_field(w, "candidates_to_lift", r->quiet_total);
	jsonw_uint_field(w, "spam", r->spam);
	jsonw_end_object(w);
	jsonw_name(w, "logged_by_protocol");
	jsonw_start_object(w);
	for (int c = 0; c < __XB_CLASS_MAX; c++) {
		jsonw_name(w, xb_report_class_names[c]);
		jsonw_start_object(w);
		jsonw_uint_field(w, "packets", r->logged[c]);
		jsonw_uint_field(w, "bytes", r->logged_bytes[c]);
		jsonw_end_object(w);
	}
	jsonw_end_object(w);
}

static void json_series(json_writer_t *w, const struct xb_report *r)
{
	jsonw_name(w, "drops_over_time");
	jsonw_start_array(w);
	for (size_t i = 0; i < r->n_series; i++) {
		jsonw_start_object(w);
		jsonw_int_field(w, "t", r->series[i].t);
		jsonw_uint_field(w, "packets", r->series[i].packets);
		jsonw_uint_field(w, "bytes", r->series[i].bytes);
		jsonw_uint_field(w, "bans", r->series[i].bans);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void json_by_source(json_writer_t *w, const struct xb_report *r)
{
	jsonw_name(w, "by_source");
	jsonw_start_array(w);
	for (size_t i = 0; i < r->n_sources; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "source", r->sources[i].source);
		jsonw_string_field(w, "jail", r->sources[i].jail);
		jsonw_uint_field(w, "bans", r->sources[i].bans);
		jsonw_uint_field(w, "addresses", r->sources[i].addresses);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void json_quiet(json_writer_t *w, const struct xb_report *r)
{
	jsonw_name(w, "candidates_to_lift");
	jsonw_start_array(w);
	for (size_t i = 0; i < r->n_quiet; i++) {
		const struct xb_report_quiet *q = &r->quiet[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "prefix", q->prefix);
		jsonw_int_field(w, "banned", q->banned);
		if (q->last_drop)
			jsonw_int_field(w, "last_drop", q->last_drop);
		else
			jsonw_null_field(w, "last_drop");
		jsonw_uint_field(w, "packets", q->packets);
		jsonw_string_field(w, "source", q->source);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void json_dist(json_writer_t *w, const char *name, const struct xb_report_dist *d,
		      const char *const *labels, const __u64 *hist, int n)
{
	jsonw_name(w, name);
	jsonw_start_object(w);
	jsonw_uint_field(w, "count", d->n);
	if (d->n) {
		jsonw_float_field(w, "min", d->min);
		jsonw_float_field(w, "median", d->median);
		jsonw_float_field(w, "p90", d->p90);
		jsonw_float_field(w, "max", d->max);
	}
	jsonw_name(w, "histogram");
	jsonw_start_array(w);
	for (int i = 0; i < n; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "range", labels[i]);
		jsonw_uint_field(w, "count", hist[i]);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static void print_json(json_writer_t *w, const struct report_input *in, const struct xb_report *r)
{
	jsonw_start_object(w);
	jsonw_int_field(w, "since", r->since);
	jsonw_int_field(w, "until", r->until);
	jsonw_uint_field(w, "step", r->step_s);
	jsonw_uint_field(w, "quiet", r->quiet_s);
	json_input(w, in);
	json_totals(w, r);
	json_series(w, r);
	json_offenders(w, "top_by_drops", r->top_drops, r->n_top_drops);
	json_offenders(w, "top_by_bans", r->top_bans, r->n_top_bans);
	json_offenders(w, "repeat_offenders", r->repeat, r->n_repeat);
	json_by_source(w, r);
	json_quiet(w, r);
	json_dist(w, "spam_scores", &r->score, xb_report_score_labels, r->score_hist,
		  XB_REPORT_SCORE_BUCKETS);
	if (r->score.n)
		jsonw_float_field(w, "spam_threshold", r->threshold_avg);
	json_dist(w, "ban_latency", &r->latency, xb_report_latency_labels, r->latency_hist,
		  XB_REPORT_LATENCY_BUCKETS);
	jsonw_end_object(w);
}

/* ---- HTML ---- */

static const char html_css[] =
	":root{--bg:#f4f5f7;--card:#fff;--fg:#1c2230;--mute:#5d6677;--line:#e2e5ea;"
	"--a:#c0392b;--b:#2f6fb3;--c:#2e8b57;--d:#8e6bbf}"
	"*{box-sizing:border-box}"
	"body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,"
	"-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
	"main{max-width:980px;margin:0 auto;padding:12px}"
	"h1{font-size:1.35em;margin:.2em 0}h2{font-size:1.05em;margin:0 0 .5em}"
	".sub{color:var(--mute);margin:0 0 .8em;font-size:.92em;overflow-wrap:anywhere}"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(145px,1fr));gap:8px}"
	".card,section{background:var(--card);border-radius:10px;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08)}"
	".card{padding:10px 12px}.card b{display:block;font-size:1.45em;line-height:1.2}"
	".card span{color:var(--mute);font-size:.85em}"
	"section{padding:12px;margin:12px 0}"
	".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}"
	".grid{margin:12px 0}.grid section{margin:0}"
	"svg{display:block;width:100%;height:auto;max-width:640px}"
	"svg text{font-family:inherit;fill:var(--mute)}"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
	"table{border-collapse:collapse;width:100%;font-size:.9em}"
	"th,td{padding:5px 6px;text-align:left;border-bottom:1px solid var(--line);"
	"white-space:nowrap}th{color:var(--mute);font-weight:600}"
	".n{text-align:right;font-variant-numeric:tabular-nums}"
	".none{color:var(--mute)}"
	"footer{color:var(--mute);font-size:.8em;text-align:center;margin:16px 0}"
	"@media(max-width:520px){body{font-size:14px}main{padding:8px}"
	".card b{font-size:1.25em}th,td{padding:4px}}";

static void html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* A round upper bound for an axis whose half is whole too: 2, 4, 10, 20, 40, 100... */
static double nice_max(__u64 v)
{
	double p = 1;

	if (v <= 2)
		return 2;
	while (p * 10 < (double)v)
		p *= 10;
	if ((double)v <= 2 * p)
		return 2 * p;
	return (double)v <= 4 * p ? 4 * p : 10 * p;
}

struct bars {
	const char *title; /* aria label */
	const char *color;
	const __u64 *v;
	char (*label)[24]; /* x labels, "" = none */
	char (*tip)[24]; /* each bar's name in its tooltip */
	size_t n;
};

#define SVG_W 420
#define SVG_H 190
#define SVG_L 44 /* left margin: y labels */
#define SVG_B 26 /* bottom margin: x labels */

static void svg_axis(FILE *f, double top)
{
	for (int i = 0; i <= 2; i++) {
		double y = 8 + (SVG_H - SVG_B - 8) * (1 - i / 2.0);

		fprintf(f,
			"<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e2e5ea\"/>"
			"<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%g</text>",
			SVG_L, SVG_W - 4, y, y, SVG_L - 5, y + 4, top * i / 2);
	}
}

/* A vertical bar chart, scaled to its box; tooltips carry exact values. */
static void svg_bars(FILE *f, const struct bars *b)
{
	__u64 max = 0;
	double top, w = (double)(SVG_W - SVG_L - 6) / (double)(b->n ? b->n : 1);

	for (size_t i = 0; i < b->n; i++)
		max = b->v[i] > max ? b->v[i] : max;
	top = nice_max(max ? max : 1);
	fprintf(f, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", SVG_W, SVG_H);
	html_esc(f, b->title);
	fprintf(f, "\">");
	svg_axis(f, top);
	for (size_t i = 0; i < b->n; i++) {
		double h = (SVG_H - SVG_B - 8) * (double)b->v[i] / top, x = SVG_L + 2 + w * i;

		if (b->v[i])
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"%s\" rx=\"1\"><title>%s: %llu</title></rect>",
				x, SVG_H - SVG_B - h, w > 3 ? w - 1 : w, h < 1 ? 1 : h, b->color,
				b->tip[i], (unsigned long long)b->v[i]);
		if (b->label[i][0])
			fprintf(f,
				"<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">"
				"%s</text>",
				x + w / 2, SVG_H - 8, b->label[i]);
	}
	fprintf(f, "</svg>");
}

/* Labels for a time series: five times of day within a day, else three dates. */
static char (*series_labels(const struct xb_report *r))[24]
{
	char(*l)[24] = calloc(r->n_series + 1, sizeof(*l));
	bool day = r->until - r->since <= 86400;
	size_t want = day ? 5 : 3, every = (r->n_series + want - 1) / want;
	const char *fmt = day ? "%H:%M" : r->step_s >= 86400 ? "%Y-%m-%d" : "%m-%d %H:%M";

	if (!l)
		return NULL;
	for (size_t i = 0; i < r->n_series; i += every ? every : 1) {
		time_t t = (time_t)r->series[i].t;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(l[i], sizeof(l[i]), fmt, &tm);
	}
	return l;
}

static int html_series(FILE *f, const struct report_input *in, const struct xb_report *r)
{
	char(*l)[24] = series_labels(r), (*tip)[24] = calloc(r->n_series + 1, sizeof(*tip));
	__u64 *p = calloc(r->n_series + 1, sizeof(*p)), *b = calloc(r->n_series + 1, sizeof(*b));
	struct bars bars = { .label = l, .tip = tip, .n = r->n_series };
	char step[32];
	int err = -ENOMEM;

	if (!l || !tip || !p || !b)
		goto out;
	for (size_t i = 0; i < r->n_series; i++) {
		p[i] = r->series[i].packets;
		b[i] = r->series[i].bans;
		fmt_step(r->series[i].t, r->step_s, tip[i], sizeof(tip[i]));
	}
	fmt_secs(r->step_s, step, sizeof(step));
	fprintf(f,
		"<div class=\"grid\"><section><h2>Drops over time</h2><p class=\"sub\">%s per "
		"%s</p>",
		drops_word(in), step);
	bars.title = "drops over time", bars.color = "var(--a)", bars.v = p;
	svg_bars(f, &bars);
	fprintf(f, "</section><section><h2>Bans over time</h2><p class=\"sub\">bans per %s</p>",
		step);
	bars.title = "bans over time", bars.color = "var(--b)", bars.v = b;
	svg_bars(f, &bars);
	fprintf(f, "</section></div>");
	err = 0;
out:
	free(l);
	free(tip);
	free(p);
	free(b);
	return err;
}

/* Horizontal bars for categories: each label above its bar, the value after it. */
static void svg_hbars(FILE *f, const char *title, const char *const *labels, const __u64 *v,
		      size_t n, const char *color)
{
	__u64 max = 1;
	int h = (int)n * 38 + 4;

	for (size_t i = 0; i < n; i++)
		max = v[i] > max ? v[i] : max;
	fprintf(f, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">", SVG_W, h, title);
	for (size_t i = 0; i < n; i++) {
		double w = 330.0 * (double)v[i] / (double)max;
		int y = 2 + (int)i * 38;

		fprintf(f, "<text x=\"2\" y=\"%d\" font-size=\"14\">", y + 13);
		html_esc(f, labels[i]);
		fprintf(f,
			"</text><rect x=\"2\" y=\"%d\" width=\"%.1f\" height=\"16\" rx=\"2\" "
			"fill=\"%s\"/><text x=\"%.1f\" y=\"%d\" font-size=\"14\">%llu</text>",
			y + 18, w < 1 && v[i] ? 1 : w, color, 8 + w, y + 31,
			(unsigned long long)v[i]);
	}
	fprintf(f, "</svg>");
}

static void html_card(FILE *f, const char *value, const char *what)
{
	fprintf(f, "<div class=\"card\"><b>");
	html_esc(f, value);
	fprintf(f, "</b><span>");
	html_esc(f, what);
	fprintf(f, "</span></div>");
}

static void html_cards(FILE *f, const struct report_input *in, const struct xb_report *r)
{
	char v[64], w[64], q[32];

	fprintf(f, "<div class=\"cards\">");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)r->dropped_packets);
	fmt_bytes(r->dropped_bytes, q, sizeof(q));
	snprintf(w, sizeof(w), "%s (%s)", drops_word(in), q);
	html_card(f, v, w);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)r->bans);
	snprintf(w, sizeof(w), "bans of %llu addresses", (unsigned long long)r->banned_addresses);
	html_card(f, v, w);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)r->repeat_total);
	html_card(f, v, "repeat offenders");
	snprintf(v, sizeof(v), "%llu / %llu", (unsigned long long)r->quiet_total,
		 (unsigned long long)r->active);
	html_card(f, v, "bans in force without traffic");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)r->spam);
	html_card(f, v, "spam messages");
	if (r->latency.n)
		fmt_secs(r->latency.median, v, sizeof(v));
	else
		snprintf(v, sizeof(v), "-");
	html_card(f, v, "median first bad line to ban");
	fprintf(f, "</div>");
}

static void html_td(FILE *f, const char *cls, const char *text)
{
	fprintf(f, "<td%s>", cls ? " class=\"n\"" : "");
	html_esc(f, text);
	fprintf(f, "</td>");
}

static void html_th(FILE *f, const char *const *cols, size_t n)
{
	fprintf(f, "<div class=\"scroll\"><table><thead><tr>");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<th%s>%s</th>", cols[i][0] == '#' ? " class=\"n\"" : "",
			cols[i] + (cols[i][0] == '#'));
	fprintf(f, "</tr></thead><tbody>");
}

static void html_offender(FILE *f, const struct xb_report_offender *o, enum off_kind k)
{
	char pb[64], pk[24], by[24], bn[24], rt[24], a[32], b[32];

	snprintf(pk, sizeof(pk), "%llu", (unsigned long long)o->packets);
	fmt_bytes(o->bytes, by, sizeof(by));
	snprintf(bn, sizeof(bn), "%llu", (unsigned long long)o->bans);
	snprintf(rt, sizeof(rt), "%llu", (unsigned long long)o->returns);
	fmt_time(o->first, a, sizeof(a));
	fmt_time(o->last, b, sizeof(b));
	fprintf(f, "<tr>");
	html_td(f, NULL, show_prefix(o->prefix, pb, sizeof(pb)));
	if (k == OFF_REPEAT)
		html_td(f, "n", rt);
	html_td(f, "n", k == OFF_DROPS ? pk : bn);
	html_td(f, "n", k == OFF_DROPS ? by : pk);
	html_td(f, k == OFF_DROPS ? "n" : NULL, k == OFF_DROPS ? bn : k == OFF_BANS ? a : b);
	if (k != OFF_REPEAT)
		html_td(f, NULL, b);
	html_td(f, NULL, src_or_dash(o->sources));
	fprintf(f, "</tr>");
}

static void html_offenders(FILE *f, const char *title, const struct xb_report_offender *o, size_t n,
			   enum off_kind k)
{
	static const char *const cols[][6] = {
		[OFF_DROPS] = { "Address", "#Packets", "#Bytes", "#Bans", "Last drop",
				"Banned by" },
		[OFF_BANS] = { "Address", "#Bans", "#Packets", "First ban", "Last ban",
			       "Banned by" },
		[OFF_REPEAT] = { "Address", "#Returns", "#Bans", "#Packets", "Last ban",
				 "Banned by" },
	};

	fprintf(f, "<section><h2>%s</h2>", title);
	if (!n) {
		fprintf(f, "<p class=\"none\">none</p></section>");
		return;
	}
	html_th(f, cols[k], 6);
	for (size_t i = 0; i < n; i++)
		html_offender(f, &o[i], k);
	fprintf(f, "</tbody></table></div></section>");
}

static void html_sources(FILE *f, const struct xb_report *r)
{
	const char *labels[12];
	char names[12][XB_REPORT_NAME_LEN * 2 + 2];
	__u64 v[12];
	size_t n = r->n_sources < 12 ? r->n_sources : 12;

	fprintf(f, "<section><h2>Bans by source and jail</h2>");
	if (!n) {
		fprintf(f, "<p class=\"none\">none</p></section>");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "%s%s%s", r->sources[i].source,
			 r->sources[i].jail[0] ? "/" : "", r->sources[i].jail);
		labels[i] = names[i];
		v[i] = r->sources[i].bans;
	}
	svg_hbars(f, "bans by source", labels, v, n, "var(--b)");
	fprintf(f, "</section>");
}

static void html_protocols(FILE *f, const struct xb_report *r)
{
	__u64 total = 0;

	for (int c = 0; c < __XB_CLASS_MAX; c++)
		total += r->logged[c];
	fprintf(f, "<section><h2>Logged drops by protocol</h2>");
	if (!total)
		fprintf(f, "<p class=\"none\">none</p>");
	else
		svg_hbars(f, "logged drops by protocol", xb_report_class_names, r->logged,
			  __XB_CLASS_MAX, "var(--a)");
	fprintf(f, "</section>");
}

static void html_quiet(FILE *f, const struct xb_report *r)
{
	static const char *const cols[] = { "Address", "Banned", "Last drop", "#Packets",
					    "Banned by" };
	char q[32], pb[64], a[32], b[32], n[32];

	fmt_secs((double)r->quiet_s, q, sizeof(q));
	fprintf(f,
		"<section><h2>Candidates to lift</h2><p class=\"sub\">%llu of %llu bans in "
		"force saw no drops for %s</p>",
		(unsigned long long)r->quiet_total, (unsigned long long)r->active, q);
	if (!r->n_quiet) {
		fprintf(f, "</section>");
		return;
	}
	html_th(f, cols, 5);
	for (size_t i = 0; i < r->n_quiet; i++) {
		const struct xb_report_quiet *x = &r->quiet[i];

		fmt_time(x->banned, a, sizeof(a));
		fmt_time(x->last_drop, b, sizeof(b));
		snprintf(n, sizeof(n), "%llu", (unsigned long long)x->packets);
		fprintf(f, "<tr>");
		html_td(f, NULL, show_prefix(x->prefix, pb, sizeof(pb)));
		html_td(f, NULL, a);
		html_td(f, NULL, x->last_drop ? b : "never");
		html_td(f, "n", n);
		html_td(f, NULL, src_or_dash(x->source));
		fprintf(f, "</tr>");
	}
	fprintf(f, "</tbody></table></div></section>");
}

static void html_hist(FILE *f, const char *title, const char *sub, const char *const *labels,
		      const __u64 *v, int n, const char *color)
{
	char l[XB_REPORT_LATENCY_BUCKETS][24];
	struct bars b = {
		.title = title, .color = color, .v = v, .label = l, .tip = l, .n = (size_t)n
	};

	for (int i = 0; i < n; i++)
		snprintf(l[i], sizeof(l[i]), "%s", labels[i]);
	fprintf(f, "<section><h2>%s</h2><p class=\"sub\">", title);
	html_esc(f, sub);
	fprintf(f, "</p>");
	svg_bars(f, &b);
	fprintf(f, "</section>");
}

static void html_dists(FILE *f, const struct xb_report *r)
{
	char sub[160], a[32], b[32];

	_Static_assert(XB_REPORT_SCORE_BUCKETS <= XB_REPORT_LATENCY_BUCKETS, "label room");
	fprintf(f, "<div class=\"grid\">");
	if (r->score.n)
		snprintf(sub, sizeof(sub), "%llu messages; median %.1f, max %.1f; threshold %.1f",
			 (unsigned long long)r->score.n, r->score.median, r->score.max,
			 r->threshold_avg);
	else
		snprintf(sub, sizeof(sub), "no spam with a known sender");
	html_hist(f, "Spam scores", sub, xb_report_score_labels, r->score_hist,
		  XB_REPORT_SCORE_BUCKETS, "var(--d)");
	if (r->latency.n) {
		fmt_secs(r->latency.median, a, sizeof(a));
		fmt_secs(r->latency.p90, b, sizeof(b));
		snprintf(sub, sizeof(sub), "%llu bans; median %s, 90%% within %s",
			 (unsigned long long)r->latency.n, a, b);
	} else {
		snprintf(sub, sizeof(sub), "not known for any ban");
	}
	html_hist(f, "First bad line to ban", sub, xb_report_latency_labels, r->latency_hist,
		  XB_REPORT_LATENCY_BUCKETS, "var(--c)");
	fprintf(f, "</div>");
}

static void html_head(FILE *f, const struct report_input *in, const struct xb_report *r)
{
	char a[32], b[32];

	fmt_time(r->since, a, sizeof(a));
	fmt_time(r->until, b, sizeof(b));
	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		"<title>xdpban report %s to %s</title><style>%s</style></head><body><main>"
		"<h1>xdpban report</h1><p class=\"sub\">%s to %s &middot; ",
		a, b, html_css, a, b);
	if (in->from_logs) {
		fprintf(f, "from %zu log file%s:", in->n_logs, in->n_logs == 1 ? "" : "s");
		for (size_t i = 0; i < in->n_logs; i++) {
			fputc(' ', f);
			html_esc(f, in->logs[i]);
		}
	} else {
		fprintf(f, "from ");
		html_esc(f, in->where);
	}
	fprintf(f, "</p>");
}

static int print_html(FILE *f, const struct report_input *in, const struct xb_report *r)
{
	int err;

	html_head(f, in, r);
	short_times = same_year(r->since, r->until);
	html_cards(f, in, r);
	err = html_series(f, in, r);
	if (err)
		return err;
	fprintf(f, "<div class=\"grid\">");
	html_protocols(f, r);
	html_sources(f, r);
	fprintf(f, "</div>");
	html_offenders(f, "Top offenders by dropped packets", r->top_drops, r->n_top_drops,
		       OFF_DROPS);
	html_offenders(f, "Top offenders by bans", r->top_bans, r->n_top_bans, OFF_BANS);
	html_offenders(f, "Repeat offenders", r->repeat, r->n_repeat, OFF_REPEAT);
	html_quiet(f, r);
	html_dists(f, r);
	fprintf(f, "<footer>banctl report &middot; xdpban</footer></main></body></html>\n");
	short_times = false;
	return 0;
}

/* ---- output ---- */

static int emit(FILE *f, const struct report_args *a, const struct report_input *in,
		const struct xb_report *r)
{
	json_writer_t *w;

	switch (a->format) {
	case FMT_TEXT:
		print_text(f, in, r);
		return 0;
	case FMT_HTML:
		return print_html(f, in, r);
	case FMT_JSON:
		if (json_wtr && !a->output) {
			print_json(json_wtr, in, r);
			return 0;
		}
		w = jsonw_new(f);
		if (!w)
			return -errno;
		jsonw_pretty(w, true);
		print_json(w, in, r);
		jsonw_destroy(&w);
		return 0;
	}
	return -EINVAL;
}

/* To stdout, or to FILE through FILE.tmp and a rename: never a half-written report. */
static int write_report(const struct report_args *a, const struct report_input *in,
			const struct xb_report *r)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int err;

	if (!a->output)
		return emit(stdout, a, in, r);
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->output);
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		p_err("cannot write %s: %s", tmp, strerror(-err));
		return err;
	}
	err = emit(f, a, in, r);
	if (!err && (fflush(f) || ferror(f) || fsync(fileno(f))))
		err = -errno ?: -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, a->output))
		err = -errno;
	if (err) {
		unlink(tmp);
		p_err("cannot write %s: %s", a->output, strerror(-err));
		return err;
	}
	if (json_wtr) {
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "output", a->output);
		jsonw_string_field(json_wtr, "format", format_names[a->format]);
		jsonw_end_object(json_wtr);
	}
	return 0;
}

int do_report(int argc, char **argv)
{
	struct report_args a = { .top = DEFAULT_TOP, .quiet_s = DEFAULT_QUIET_S };
	struct report_input in = {};
	struct xb_report_opts ro = {};
	struct xb_history *h = NULL;
	struct xb_report *r = NULL;
	int err;

	a.logs = calloc((size_t)argc + 1, sizeof(*a.logs));
	if (!a.logs)
		return -ENOMEM;
	err = parse_args(argc, argv, &a);
	if (err) {
		free(a.logs);
		return err > 0 ? 0 : err;
	}
	err = open_data(&a, &in, &h);
	if (!err)
		err = window(h, &a, &in, &ro);
	if (!err)
		err = xb_history_report(h, &ro, &r);
	if (!err)
		err = write_report(&a, &in, r);
	xb_report_free(r);
	xb_history_close(h);
	free(a.logs);
	return err;
}
