/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The history store: what xdpban did, kept for `banctl report`. An SQLite database in WAL
 * mode, state_dir/history.sqlite, with one writer (xdpband) and any number of readers
 * (banctl) at the same time. It holds:
 *
 *  - ban, unban and spam events: time, prefix, origin, source and jail, reason, duration,
 *    spamd's score, and the time of the first bad line that led to the ban when known;
 *  - dropped packets and bytes per ban and minute, from the per-ban hit counters (deltas
 *    between two samples); per address family and minute from the interface counters;
 *    logged drops per protocol class and minute from drop-log events.
 *
 * Size is bounded: rows older than the retention go, per-minute rows older than a day are
 * summed into hourly ones, a minute keeps its XB_HISTORY_TOP_PER_MINUTE busiest bans (the
 * rest summed as prefix "*"), and at most XB_HISTORY_EVENTS_MAX events are kept. Pruning
 * runs on writes, at most once a minute.
 *
 * The same schema, in memory, holds what `banctl report --from-log` reads from existing
 * logs (iptables LOG lines, fail2ban.log, mail.log with spamd), so one set of report
 * queries serves both. Like the rest of libxdpban it never prints: failures are -errno
 * with one line through xb_set_print()'s callback.
 */
#ifndef XB_HISTORY_H
#define XB_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "xb.h"

#define XB_HISTORY_FILE "history.sqlite"
#define XB_HISTORY_SCHEMA_VERSION 1
#define XB_HISTORY_RETENTION_DEFAULT_S (30ULL * 86400)
/* Per-minute rows older than this are summed into hourly rows. */
#define XB_HISTORY_MINUTES_KEPT_S 86400
#define XB_HISTORY_TOP_PER_MINUTE 256
#define XB_HISTORY_EVENTS_MAX 1000000
/* Bans a sample takes in for the first time, at most; the rest wait for the next one. */
#define XB_HISTORY_NEW_PER_SAMPLE 100000
/* The prefix under which a minute's bans beyond the busiest are summed. */
#define XB_HISTORY_OTHER "*"

enum xb_history_mode {
	XB_HISTORY_WRITER, /* the daemon: creates the file, writes, prunes */
	XB_HISTORY_READER, /* banctl report: read only, never blocks the writer */
	XB_HISTORY_MEMORY, /* an in-memory database (path ignored), never pruned */
};

struct xb_history_opts {
	enum xb_history_mode mode;
	__u64 retention_s; /* 0 = XB_HISTORY_RETENTION_DEFAULT_S */
};

struct xb_history;

/*
 * Opens (a writer creates) the database at path. -ENOENT when a reader finds none,
 * -EPROTO when it was written by a newer schema.
 */
int xb_history_open(struct xb_history **out, const char *path, const struct xb_history_opts *opts);
/* Writes what is pending (logged drops of the current minute) and closes. NULL-safe. */
void xb_history_close(struct xb_history *h);

/* ---- events ---- */

struct xb_history_ban {
	__s64 when; /* unix seconds; 0 = now */
	struct xb_prefix pfx;
	__u8 origin; /* enum xb_origin */
	const char *source; /* the log source's name; NULL = the origin's name */
	const char *jail; /* fail2ban's jail; NULL = none */
	const char *reason; /* NULL = none */
	__u64 duration_s; /* 0 = until unbanned (permanent, or not known) */
	bool has_score; /* spamd: the message's score and threshold */
	double score, threshold;
	__s64 first_bad; /* unix time of the first counted failure that led here; 0 = unknown */
};

int xb_history_ban(struct xb_history *h, const struct xb_history_ban *b);
/* A ban lifted (why: "expired", "removed", "fail2ban"...); when 0 = now. */
int xb_history_unban(struct xb_history *h, __s64 when, const struct xb_prefix *pfx,
		     const char *why);
/*
 * How fast a ban followed the first bad line: sets the first counted failure of the ban
 * of pfx made at ban_time (within a few seconds). -ENOENT when there is no such ban.
 */
int xb_history_first_bad(struct xb_history *h, const struct xb_prefix *pfx, __s64 first_fail,
			 __s64 ban_time);
/* A spam message from pfx with spamd's score and threshold (when 0 = now). */
int xb_history_spam(struct xb_history *h, __s64 when, const struct xb_prefix *pfx, double score,
		    double threshold);

/* ---- drops ---- */

/*
 * Lists the bans (xb_bans_list) and the interface counters and records what each dropped
 * since the last sample, in the minute between the two samples; bans that appeared
 * without a recorded ban event (banctl add, restore) get one, bans that went without an
 * unban get one ("removed"). Call once a minute.
 */
int xb_history_sample(struct xb_history *h, struct xb_maps *maps);
/* The same from a given list, counter sum (NULL: none) and time: for tests and replays. */
int xb_history_sample_bans(struct xb_history *h, const struct xb_ban_entry *e, size_t n,
			   const struct xb_counters *total, __s64 now);
/* A ban removed past its expiry, with its final counters (xb_bans_expire()'s callback). */
int xb_history_expired(struct xb_history *h, const struct xb_ban_entry *e, __s64 now);
/*
 * One drop-log ring-buffer event: counted by protocol class in the current minute, written
 * at the next sample or flush (events are rate-limited samples of the drops, not all).
 */
int xb_history_drop_event(struct xb_history *h, const struct xb_event *ev);
/* Writes the pending per-minute counts now. */
int xb_history_flush(struct xb_history *h);
/* Deletes what is past retention and rolls old minutes up into hours (at now). */
int xb_history_prune(struct xb_history *h, __s64 now);

/* ---- reading existing logs (banctl report --from-log) ---- */

struct xb_history_import_stats {
	__u64 lines;
	__u64 drops; /* iptables / xdpband LOG lines */
	__u64 bans; /* fail2ban Ban, Restore Ban */
	__u64 unbans;
	__u64 found; /* fail2ban "Found" lines: the first bad line of a ban */
	__u64 spam; /* spamd spam with a known sender */
	__u64 unknown; /* anything else */
};

struct xb_history_import;

/* Starts reading logs into h (one transaction until xb_history_import_end()). */
int xb_history_import_new(struct xb_history *h, struct xb_history_import **out);
/*
 * One line. ref_time places syslog stamps without a year (the latest year that does not
 * put them more than a day after ref_time; 0 = now): a log file's mtime.
 */
int xb_history_import_line(struct xb_history_import *im, const char *line, size_t len,
			   __s64 ref_time);
/* A whole file, plain or gzip; its mtime is the reference for yearless stamps. */
int xb_history_import_file(struct xb_history_import *im, const char *path);
void xb_history_import_stats(const struct xb_history_import *im,
			     struct xb_history_import_stats *st);
/* Commits and frees; the first error of the import, if any. NULL-safe. */
int xb_history_import_end(struct xb_history_import *im);

/* ---- reports ---- */

/* Oldest and newest time with data (events or drops); -ENODATA when empty. */
int xb_history_span(struct xb_history *h, __s64 *first, __s64 *last);

#define XB_REPORT_NAME_LEN 64
#define XB_REPORT_SCORE_BUCKETS 7
#define XB_REPORT_LATENCY_BUCKETS 7

extern const char *const xb_report_score_labels[XB_REPORT_SCORE_BUCKETS];
extern const char *const xb_report_latency_labels[XB_REPORT_LATENCY_BUCKETS];
extern const char *const xb_report_class_names[__XB_CLASS_MAX];

struct xb_report_opts {
	__s64 since, until; /* [since, until) in unix seconds; until 0 = now */
	__u64 quiet_s; /* a ban this long without drops is a candidate to lift; 0 = 1 day */
	__u32 top; /* rows of each top list; 0 = 10 */
};

struct xb_report_point {
	__s64 t; /* start of the step */
	__u64 packets, bytes; /* dropped */
	__u64 bans;
};

struct xb_report_offender {
	char prefix[XB_PREFIX_STRLEN];
	__u64 packets, bytes; /* dropped in the window */
	__u64 bans; /* in the window */
	__s64 first, last; /* first and last ban (or drop, for top_drops) in the window */
	char sources[XB_REPORT_NAME_LEN]; /* the sources that banned it, comma-separated */
	__u64 returns; /* repeat: bans made after a ban of it had been lifted */
};

struct xb_report_source {
	char source[XB_REPORT_NAME_LEN];
	char jail[XB_REPORT_NAME_LEN];
	__u64 bans, addresses;
};

struct xb_report_quiet {
	char prefix[XB_PREFIX_STRLEN];
	__s64 banned; /* when the ban still in force was made */
	__s64 last_drop; /* start of the last minute with drops; 0 = none since the ban */
	__u64 packets; /* dropped since the ban */
	char source[XB_REPORT_NAME_LEN];
};

struct xb_report_dist {
	__u64 n;
	double min, median, p90, max;
};

struct xb_report {
	__s64 since, until;
	__u32 step_s; /* of series */
	__u64 quiet_s;
	/* totals in the window */
	__u64 dropped_packets, dropped_bytes;
	__u64 bans, unbans, banned_addresses, spam;
	__u64 logged[__XB_CLASS_MAX]; /* logged drops by protocol class */
	__u64 logged_bytes[__XB_CLASS_MAX];
	__u64 active; /* bans in force at until */
	struct xb_report_point *series;
	size_t n_series;
	struct xb_report_offender *top_drops, *top_bans, *repeat;
	size_t n_top_drops, n_top_bans, n_repeat;
	__u64 repeat_total; /* addresses banned at least twice */
	struct xb_report_source *sources;
	size_t n_sources;
	struct xb_report_quiet *quiet;
	size_t n_quiet;
	__u64 quiet_total;
	/* spam scores: buckets <5, 5-10, ... 25-30, 30+ */
	__u64 score_hist[XB_REPORT_SCORE_BUCKETS];
	struct xb_report_dist score;
	double threshold_avg;
	/* seconds from the first bad line to the ban */
	__u64 latency_hist[XB_REPORT_LATENCY_BUCKETS];
	struct xb_report_dist latency;
};

int xb_history_report(struct xb_history *h, const struct xb_report_opts *opts,
		      struct xb_report **out);
void xb_report_free(struct xb_report *r);

#endif /* XB_HISTORY_H */
