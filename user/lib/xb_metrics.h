/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Metrics in the Prometheus text exposition format (version 0.0.4): what the pinned maps
 * know (packet and byte counters per interface, drop-log outcomes, bans by kind, family and
 * origin, map fill), plus what a caller such as xdpband adds about itself (per-source log
 * lines and bans, start time). Names start with xdpban_, counters end in _total, units are
 * base units (bytes, seconds). Collecting only reads map fds, so it may run in any thread.
 * Like the rest of libxdpban it never prints; it writes to the FILE it is given.
 */
#ifndef XB_METRICS_H
#define XB_METRICS_H

#include <stdio.h>
#include "xb.h"

/* The Content-Type of what xb_metrics_write() produces, for an HTTP endpoint. */
#define XB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum xb_ban_kind {
	XB_KIND_EXACT = 0, /* a /32 or /128, in xb_ban_v4 / xb_ban_v6 */
	XB_KIND_PREFIX, /* anything shorter, in xb_pfx_v4 / xb_pfx_v6 */
	__XB_KIND_MAX,
};

/* A snapshot of the pinned maps, as xb_metrics_collect() reads it. */
struct xb_metrics_kernel {
	struct xb_iface ifaces[XB_MAX_IFACES]; /* ifindex 0: slot free, not shown */
	struct xb_counters counters[XB_MAX_IFACES]; /* summed over CPUs */
	/* Bans in force (not past their expiry), [enum xb_ban_kind][0 = IPv4, 1 = IPv6]. */
	__u64 bans[__XB_KIND_MAX][2];
	/* Bans in force by the ban's origin field; the last slot counts unknown origins. */
	__u64 bans_origin[__XB_ORIGIN_MAX + 1];
	/* Bans still in a map but past their expiry: the kernel ignores them already. */
	__u64 bans_expired;
	/* Entries and capacity of the ban and allow maps (other ids stay 0). */
	__u32 entries[__XB_MAP_MAX];
	__u32 max_entries[__XB_MAP_MAX];
	/* xb_meta: adds refused because the map was full, by enum xb_table. */
	struct xb_meta meta;
};

/* One log source of the daemon, for the source="NAME" series. */
struct xb_metrics_source {
	const char *name;
	__u64 lines_read; /* handed to the parser */
	__u64 lines_matched; /* named an address (failure, ban or unban) */
	__u64 lines_ignored; /* matched, but an ignoreregex matched too */
	__u64 lines_missed; /* matched no pattern */
	__u64 lines_too_long; /* skipped before parsing: over the line limit */
	__u64 lines_binary; /* skipped before parsing: NUL bytes or invalid UTF-8 */
	__u64 bytes_read;
	__u64 rotations;
	__u64 bans_added;
	__u64 bans_removed; /* unban events the source reported (fail2ban) */
	__u64 ban_errors; /* bans the maps refused (full, ...) */
};

/*
 * The extension point for a daemon's own metrics: filled by the caller, written after the
 * kernel's. Pass NULL to xb_metrics_write() when there is no daemon (banctl).
 */
struct xb_metrics_daemon {
	__s64 start_time; /* unix seconds */
	const struct xb_metrics_source *sources;
	size_t n_sources;
	/* Bans the daemon removed past their expiry, by origin; the last slot: unknown. */
	__u64 expired[__XB_ORIGIN_MAX + 1];
};

/* Reads every counter slot, the interface table and the ban and allow maps. */
int xb_metrics_collect(struct xb_maps *maps, struct xb_metrics_kernel *k);

/*
 * Writes the exposition text: build info, then k's metrics, then d's (if given). Families
 * without a sample (no interface attached, no source) are left out. Returns 0, or -EIO when
 * f reported a write error.
 */
int xb_metrics_write(FILE *f, const struct xb_metrics_kernel *k, const struct xb_metrics_daemon *d);

/* Writes a label value escaped as the format wants: \\, \" and \n. */
void xb_metrics_escape(FILE *f, const char *value);

#endif /* XB_METRICS_H */
