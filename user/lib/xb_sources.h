/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log sources: following a log file, and turning its lines into events about addresses.
 * Each parser is pure (a line in, an event out) so that tests and fuzzers reach it without
 * a daemon; what an event leads to (maxretry, ignoreip, bans) is the pipeline's business.
 */
#ifndef XB_SOURCES_H
#define XB_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "xb.h"

/* Lines longer than this are counted and skipped, never parsed. */
#define XB_LINE_MAX (64 * 1024)

/* ---- what a line says ---- */

enum xb_line_kind {
	XB_LINE_MISS = 0, /* no failregex / known form matched */
	XB_LINE_FAIL, /* a failure by addr: counts toward maxretry within findtime */
	XB_LINE_BAN, /* ban addr now (fail2ban's own decision) */
	XB_LINE_UNBAN, /* lift the ban on addr */
	XB_LINE_IGNORED, /* matched, but an ignoreregex matched too */
};

enum xb_f2b_action {
	XB_F2B_NONE = 0,
	XB_F2B_BAN, /* "Ban" and "[manual] Ban" */
	XB_F2B_RESTORE, /* "Restore Ban" */
	XB_F2B_INCREASE, /* "Increase Ban" */
	XB_F2B_UNBAN,
};

struct xb_line_event {
	enum xb_line_kind kind;
	struct xb_prefix addr; /* a host address (/32 or /128) */
	char tag[XB_REASON_LEN]; /* fail2ban: the jail; else "" */
	enum xb_f2b_action f2b; /* fail2ban source only */
	__u64 bantime_s; /* fail2ban 'Increase Ban ... (N # ...)' when the line says it; 0 = unknown */
	bool has_score; /* spamd: score and threshold are known */
	double score;
	double threshold; /* spamd's required score for that message */
	__s64 when; /* the line's own timestamp (unix seconds), 0 = unknown */
};

/* ---- regex source: fail2ban-style failregex / ignoreregex with <HOST> ---- */

struct xb_regex;

/*
 * Compiles failregex (n_fail patterns, at least one) and ignoreregex (n_ignore) with PCRE2
 * and its JIT. <HOST> (and <ADDR>, <IP4>, <IP6>) expand to a strict address group;
 * fail2ban's other tags (<F-USER>...</F-USER>, <F-ID>...) are accepted and ignored safely.
 * Every failregex must contain exactly one address tag. Returns 0, or -EINVAL with err
 * naming the pattern and the offset.
 */
int xb_regex_compile(struct xb_regex **out, const char *const *failregex, size_t n_fail,
		     const char *const *ignoreregex, size_t n_ignore, char *err, size_t err_size);
/* One line (not NUL terminated, no newline): MISS, FAIL with ev->addr, or IGNORED. */
enum xb_line_kind xb_regex_match(struct xb_regex *rx, const char *line, size_t len,
				 struct xb_line_event *ev);
void xb_regex_free(struct xb_regex *rx);

/* ---- fail2ban source: fail2ban.log written by fail2ban 0.8 to 1.1, file or syslog ---- */

/*
 * Ban / Unban / Restore Ban / Increase Ban / [manual] Ban lines of a jail matching one of
 * the jails globs (fnmatch; "*" = all) become BAN or UNBAN events with tag = jail name.
 */
enum xb_line_kind xb_f2blog_parse(const char *line, size_t len, const char *const *jails,
				  size_t n_jails, struct xb_line_event *ev);

/* ---- spamd source ---- */

struct xb_spamd;

/*
 * State for joining spamd results with postfix lines (message-id -> queue id -> client IP),
 * at most max_pending messages, each forgotten after max_age_s.
 */
struct xb_spamd *xb_spamd_new(size_t max_pending, __u64 max_age_s);
/*
 * One mail.log / spamd log line. Spam from a known sender address -> FAIL with the score
 * and threshold: spamd's patched "identified spam (S/T) from [IP] ...", its "result: Y ...
 * relayip=IP" (the shipped plugin), or a "result: Y ... mid=<ID>" joined with postfix's
 * cleanup message-id and smtpd client lines. now is for ageing the join state.
 */
enum xb_line_kind xb_spamd_line(struct xb_spamd *s, const char *line, size_t len, __u64 now,
				struct xb_line_event *ev);
void xb_spamd_free(struct xb_spamd *s);

/* ---- following a file ---- */

struct xb_follow;

struct xb_follow_opts {
	const char *path; /* the log file; it may not exist yet */
	const char *state_file; /* where the read position persists; NULL = none */
	bool from_start; /* no saved position: read the file from its start, not its end */
};

struct xb_follow_stats {
	__u64 lines; /* handed to the callback */
	__u64 bytes;
	__u64 skipped_long; /* over XB_LINE_MAX */
	__u64 skipped_binary; /* NUL bytes or invalid UTF-8 */
	__u64 rotations; /* rename+create or copytruncate seen */
};

/* Called once per complete line, without its newline. */
typedef void (*xb_line_fn)(void *ctx, const char *line, size_t len);

int xb_follow_open(struct xb_follow **out, const struct xb_follow_opts *opts);
/* An fd that becomes readable when the file may have changed (inotify); poll it. */
int xb_follow_fd(const struct xb_follow *f);
/*
 * Reads every complete line available now, following rotation: the rest of a rotated file
 * is read before the new one. Call when the fd is readable, and from time to time anyway.
 */
int xb_follow_read(struct xb_follow *f, xb_line_fn fn, void *ctx);
/* Persists the position of the last line handed out (inode, offset, first-line hash). */
int xb_follow_save(struct xb_follow *f);
void xb_follow_stats(const struct xb_follow *f, struct xb_follow_stats *st);
void xb_follow_close(struct xb_follow *f);

/* Reads a whole file, plain or gzip (by its magic), line by line: back-fill of .gz logs. */
int xb_read_file_lines(const char *path, xb_line_fn fn, void *ctx, struct xb_follow_stats *st);

#endif /* XB_SOURCES_H */
