/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ban pipeline: what a source's line events lead to. Failures count per address within
 * findtime; at maxretry the address is banned for bantime (longer for repeat offenders with
 * bantime.increment); ignoreip, ignoreself and the allow list are never banned. Every
 * source goes through here, and from here through xb_bans_add(), like banctl does.
 */
#ifndef XB_PIPELINE_H
#define XB_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "xb.h"
#include "xb_sources.h"

struct xb_pipeline_opts {
	const char *name; /* the source's name: the reason of its bans */
	enum xb_origin origin;
	__u32 maxretry; /* failures within findtime that make a ban; >= 1 */
	__u64 findtime_s;
	__u64 bantime_s; /* 0 = permanent */
	bool increment; /* bantime.increment: repeat offenders get longer bans */
	double factor; /* bantime.factor */
	__u64 maxtime_s; /* bantime.maxtime, 0 = no cap */
	bool dryrun; /* decide and report, change nothing */
	bool has_minscore; /* spamd: ban only from this score up, else the message's threshold */
	double minscore;
	const struct xb_prefix *ignore; /* ignoreip: never banned */
	size_t n_ignore;
	bool ignoreself; /* own addresses, loopback, link-local and the allow list */
	size_t max_tracked; /* addresses with failures kept in memory; 0 = 65536 */
	__u32 max_bans_per_min; /* a broken regex must not ban the internet; 0 = no cap */
};

enum xb_decision {
	XB_DEC_NONE = 0, /* the line said nothing about an address */
	XB_DEC_COUNTED, /* a failure, below maxretry */
	XB_DEC_BANNED,
	XB_DEC_UNBANNED,
	XB_DEC_IGNORED, /* ignoreip / ignoreself / allow list, or below minscore */
	XB_DEC_DRYRUN, /* would have banned */
	XB_DEC_ERROR, /* the map refused (full...): logged, counted, nothing else lost */
	XB_DEC_CAPPED, /* over max_bans_per_min: not banned, logged once a minute, counted */
};

struct xb_pipeline_stats {
	__u64 events; /* FAIL, BAN or UNBAN events fed */
	__u64 counted;
	__u64 bans;
	__u64 unbans;
	__u64 ignored;
	__u64 dryrun;
	__u64 errors;
	__u64 untracked; /* failures not counted: out of memory */
	__u64 evicted; /* addresses forgotten to make room (max_tracked): their count, history */
	__u64 capped; /* bans refused by max_bans_per_min */
};

struct xb_pipeline;

struct xb_pipeline *xb_pipeline_new(const struct xb_pipeline_opts *opts);
void xb_pipeline_free(struct xb_pipeline *p);

/*
 * Feeds one line event at time now (unix seconds; the event's own time wins when it has
 * one). maps may be NULL in dry-run. *req (if given) is what was or would be banned.
 */
enum xb_decision xb_pipeline_feed(struct xb_pipeline *p, struct xb_maps *maps,
				  const struct xb_line_event *ev, __s64 now,
				  struct xb_ban_req *req);
void xb_pipeline_stats(const struct xb_pipeline *p, struct xb_pipeline_stats *st);
const char *xb_decision_name(enum xb_decision d);

/*
 * The failures counted so far and the ban counts of repeat offenders, written atomically
 * to path (tmp + rename) and read back, so a restart neither forgets nor re-counts them.
 * Only what changed since the last save is worth a write: xb_pipeline_dirty() says.
 */
int xb_pipeline_save(struct xb_pipeline *p, const char *path);
int xb_pipeline_load(struct xb_pipeline *p, const char *path);
bool xb_pipeline_dirty(const struct xb_pipeline *p);

#endif /* XB_PIPELINE_H */
