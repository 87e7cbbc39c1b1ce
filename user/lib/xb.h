/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libxdpban: everything banctl and xdpband share — prefix and duration parsing, the pinned
 * maps, attaching, bans and counters. It never prints: diagnostics go through the callback
 * set with xb_set_print(), one line per failure saying what failed and what to do.
 * Functions return 0 or a negative errno, as libbpf does.
 */
#ifndef XB_H
#define XB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include "xdpban_maps.h"

/* ---- diagnostics ---- */

enum xb_print_level {
	XB_WARN,
	XB_NOTICE, /* not a failure, but shown by default: a migration, a bpffs mounted */
	XB_INFO,
	XB_DEBUG,
};

typedef void (*xb_print_fn)(enum xb_print_level level, const char *fmt, va_list ap);
void xb_set_print(xb_print_fn fn);
void xb_pr(enum xb_print_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define xb_warn(...) xb_pr(XB_WARN, __VA_ARGS__)
#define xb_notice(...) xb_pr(XB_NOTICE, __VA_ARGS__)
#define xb_info(...) xb_pr(XB_INFO, __VA_ARGS__)
#define xb_debug(...) xb_pr(XB_DEBUG, __VA_ARGS__)

/*
 * 0 when the process may use BPF maps (CAP_BPF, or CAP_SYS_ADMIN) and, with attach, XDP
 * links (CAP_NET_ADMIN); else -EPERM with a message naming what is missing.
 */
int xb_caps_check(bool attach);

/* ---- prefixes ---- */

struct xb_prefix {
	__u8 family; /* 4 or 6 */
	__u8 len;
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes */
};

/* Longest text xb_prefix_format() writes, with the NUL. */
#define XB_PREFIX_STRLEN 50

/*
 * Parses "a.b.c.d", "a.b.c.d/n", an IPv6 address or "addr/n". ::ffff:a.b.c.d[/n] becomes
 * the IPv4 prefix. Host bits under the mask are cleared and *host_bits (if given) set.
 * -EINVAL on anything else.
 */
int xb_prefix_parse(const char *text, struct xb_prefix *pfx, bool *host_bits);
void xb_prefix_format(const struct xb_prefix *pfx, char *buf, size_t size);
bool xb_prefix_is_host(const struct xb_prefix *pfx);
/* Whether a covers b (b equal to or inside a). */
bool xb_prefix_covers(const struct xb_prefix *a, const struct xb_prefix *b);

/* ---- durations ---- */

/*
 * fail2ban-style durations: "600", "10m", "1h30m", "1d", "2w", "1 day"; units s, m, h, d, w
 * and their long forms. -EINVAL on bad syntax, -ERANGE above XB_DURATION_MAX seconds.
 */
#define XB_DURATION_MAX (100ULL * 366 * 24 * 3600)
int xb_duration_parse(const char *text, __u64 *seconds);
void xb_duration_format(__u64 seconds, char *buf, size_t size);

/* ---- clocks ---- */

__u64 xb_now_boot_ns(void);
struct tm;
/* mktime() of a local log stamp (tm_min, tm_sec in range), without a zone re-read a call. */
__s64 xb_local_mktime(const struct tm *tm);
/* Wall-clock seconds of a CLOCK_BOOTTIME nanosecond stamp. */
__s64 xb_boot_to_unix(__u64 boot_ns);

/* ---- pinned maps ---- */

/* The pin dir from --pin-dir, else $XDPBAN_PIN_DIR, else the default. */
const char *xb_pin_dir(const char *from_option);

enum xb_map_id {
	XB_META,
	XB_IFACES,
	XB_COUNTERS,
	XB_BAN_V4,
	XB_BAN_V6,
	XB_PFX_V4,
	XB_PFX_V6,
	XB_ALLOW_V4,
	XB_ALLOW_V6,
	XB_BUCKETS,
	XB_EVENTS,
	XB_HOLDS,
	__XB_MAP_MAX,
};

extern const char *const xb_map_names[__XB_MAP_MAX];

struct xb_maps {
	int fd[__XB_MAP_MAX];
	int lock_fd;
	char pin_dir[256];
	/* The durable record of ban changes (xb_journal_open()); NULL = none kept. */
	struct xb_journal *journal;
};

/*
 * Opens every pinned map under pin_dir and takes the pin-dir lock (shared for readers,
 * exclusive for writers). -ENOENT with a message when nothing is loaded there.
 */
int xb_maps_open(struct xb_maps *maps, const char *pin_dir, bool writer);
void xb_maps_close(struct xb_maps *maps);
/* Drops the pin-dir lock but keeps the maps open: for a long-lived reader like xdpband. */
void xb_maps_unlock(struct xb_maps *maps);
/* Entries in one map and its capacity; walks the keys, so O(entries). */
int xb_map_count(int fd, __u32 *entries, __u32 *max_entries);
/*
 * When the pins in maps->pin_dir now name other maps than maps holds (a migration or a
 * resize replaced them), reopens every map: 1 if so, 0 if nothing changed, or -errno
 * with a message (maps then still holds the old ones).
 */
int xb_maps_reopen_if_replaced(struct xb_maps *maps);

/* ---- loading and attaching ---- */

struct xb_load_opts {
	enum xb_xdp_mode mode; /* XB_MODE_NONE = auto: native, else generic */
	/* Capacities for maps created by this load; 0 = default, or keep the pinned one. */
	__u32 max_ban_v4, max_ban_v6, max_pfx_v4, max_pfx_v6, max_allow;
	/* Drop-log rate; 0 = keep the pinned buckets' (new maps: 5/min, burst 5). */
	__u64 log_interval_ns;
	__u32 log_burst;
};

/* Creates (or checks) the pinned maps without attaching anything. */
int xb_maps_create(const char *pin_dir, const struct xb_load_opts *opts);
/* Attaches (or atomically replaces) the program on ifname; fills *iface. */
int xb_attach(const char *pin_dir, const char *ifname, const struct xb_load_opts *opts,
	      struct xb_iface *iface);
int xb_detach(const char *pin_dir, const char *ifname);
/*
 * Layout migration (and resizing): when the maps pinned in pin_dir have an older layout,
 * or other capacities than opts asks for, builds a new set, copies every entry across,
 * switches every pinned link to it with bpf_link_update and replaces the pins. Caller
 * holds the pin-dir lock (xb_attach() and xb_maps_create() call it). 0 when nothing was
 * to be done, 1 when the maps were migrated, or -errno with a message (nothing changed).
 */
int xb_migrate(const char *pin_dir, const struct xb_load_opts *opts);
/* Whether xb_migrate() would migrate (1), has nothing to do (0), or would refuse (-errno). */
int xb_migrate_needed(const char *pin_dir, const struct xb_load_opts *opts, __u32 *from_layout);
/* Detaches every interface and removes every pin: all bans are gone. */
int xb_unload_all(const char *pin_dir);
const char *xb_mode_name(enum xb_xdp_mode mode);

/* ---- bans ---- */

struct xb_ban_req {
	struct xb_prefix pfx;
	__u64 timeout_s; /* 0 = permanent */
	__u8 origin; /* enum xb_origin */
	char reason[XB_REASON_LEN];
	/* Restoring: when it was added (unix seconds; 0 = now) and its hits so far. */
	__s64 added_unix;
	__u64 packets, bytes;
};

/*
 * Adds or refreshes bans, all or nothing: on failure every map is as it was and *bad (if
 * given) is the index of the request that failed. A refreshed ban keeps its hit counters.
 */
int xb_bans_add(struct xb_maps *maps, const struct xb_ban_req *reqs, size_t n, size_t *bad);
/* 0, or -E2BIG / -EINVAL when a reason is too long or holds control characters. */
int xb_reason_check(const char *text);
/*
 * Parses "PREFIX [timeout DURATION] [reason TEXT...]" into req (fields not on the line keep
 * their value). Returns 0, 1 for a blank or comment line, or -EINVAL with err filled in.
 * Modifies line.
 */
int xb_ban_line_parse(char *line, struct xb_ban_req *req, char *err, size_t err_size);

/* Removes bans, all or nothing; -ENOENT (and *bad) when one is not banned. */
int xb_bans_del(struct xb_maps *maps, const struct xb_prefix *pfx, size_t n, size_t *bad);

struct xb_ban_entry {
	struct xb_prefix pfx;
	struct xb_ban ban;
};

/* Every ban, unsorted; free(*out) after. */
int xb_bans_list(struct xb_maps *maps, struct xb_ban_entry **out, size_t *n);
/* Every ban to fn, a kernel batch at a time: memory independent of how many; fn's
 * non-zero return stops the walk and is returned. */
typedef int (*xb_ban_walk_fn)(const struct xb_ban_entry *e, void *ctx);
int xb_bans_walk(struct xb_maps *maps, xb_ban_walk_fn fn, void *ctx);

typedef void (*xb_expire_fn)(const struct xb_ban_entry *e, void *ctx);

/*
 * Removes every ban past its expiry (the kernel stopped enforcing them already), under the
 * pin-dir lock, calling fn for each. Memory grows with the expired bans, not all of them.
 * Also lets the program skip tries found empty: only for xdpband, whose own writes come
 * from the thread that calls this (see enum xb_trie).
 * *next_ns (if given) is the earliest expiry (CLOCK_BOOTTIME ns) of the bans left, or
 * UINT64_MAX. Returns how many went, or -errno.
 */
int xb_bans_expire(struct xb_maps *maps, xb_expire_fn fn, void *ctx, __u64 *next_ns);
/* A number every add and delete of bans (by any process) changes: worth a new sweep. */
__u64 xb_bans_changes(struct xb_maps *maps);

struct xb_allow_entry {
	struct xb_prefix pfx;
	struct xb_allow allow;
};

int xb_allow_add(struct xb_maps *maps, const struct xb_prefix *pfx, size_t n, size_t *bad);
int xb_allow_del(struct xb_maps *maps, const struct xb_prefix *pfx, size_t n, size_t *bad);
int xb_allow_list(struct xb_maps *maps, struct xb_allow_entry **out, size_t *n);

/*
 * Whether a ban of addr would cut off what must never be banned: loopback, link-local,
 * this machine's own addresses and default gateways (re-read at most every 10 s), and,
 * with maps, the allow list — in either direction (a prefix covering them, or inside
 * them). *why names the rule, *hit (if given) the address or prefix it would cut off.
 */
bool xb_never_ban(struct xb_maps *maps, const struct xb_prefix *addr, const char **why,
		  struct xb_prefix *hit);
/* Whether default gateways count as never-ban (default yes; xdpban.conf neverban_gateway). */
void xb_never_ban_gateway(bool on);
/* The gateways of the default routes in /proc/net/route and /proc/net/ipv6_route text. */
size_t xb_gateways_v4(FILE *f, struct xb_prefix *out, size_t max);
size_t xb_gateways_v6(FILE *f, struct xb_prefix *out, size_t max);

/* ---- the durable record (state_dir/bans.journal) ---- */

/*
 * Every ban and allow-list change, appended and fdatasync'ed before the call that made it
 * returns, so that after a reboot (pins gone) the maps can be rebuilt. One line a change:
 *   ban PREFIX EXPIRES ADDED ORIGIN PACKETS BYTES REASON...   (times unix, EXPIRES 0 = never)
 *   unban PREFIX
 *   allow PREFIX / unallow PREFIX
 * Compaction rewrites it as the live set (atomically, tmp + rename).
 */
struct xb_journal;

/* Opens (creating) state_dir/bans.journal for appending and attaches it to maps. */
int xb_journal_open(struct xb_maps *maps, const char *state_dir);
void xb_journal_close(struct xb_maps *maps);

/*
 * Rebuilds the maps from state_dir's journal: every ban not yet expired, with its remaining
 * time, age and hit counters, and the allow list. Returns the
 * number of bans restored, or -errno.
 */
int xb_journal_restore(struct xb_maps *maps, const char *state_dir);
/* Rewrites the journal as what the maps hold now (with hit counters). */
int xb_journal_compact(struct xb_maps *maps, const char *state_dir);

/* Internal to the library: the records of one call, then one fdatasync. */
void xb_journal_ban(struct xb_journal *j, const struct xb_prefix *p, const struct xb_ban *b);
void xb_journal_unban(struct xb_journal *j, const struct xb_prefix *p);
void xb_journal_allow(struct xb_journal *j, const struct xb_prefix *p, bool allowed);
int xb_journal_commit(struct xb_journal *j);
void xb_journal_abort(struct xb_journal *j);

/* ---- counters ---- */

/* Every counter's name (as JSON keys and stats lines show it) and place in the struct. */
struct xb_counter_field {
	const char *name;
	size_t offset;
};
extern const struct xb_counter_field xb_counter_fields[];
extern const size_t xb_counter_nfields;

static inline __u64 xb_counter_get(const struct xb_counters *c, const struct xb_counter_field *f)
{
	return *(const __u64 *)((const char *)c + f->offset);
}

/* One slot's counters summed over CPUs. */
int xb_counters_read(struct xb_maps *maps, __u32 slot, struct xb_counters *out);
void xb_counters_add(struct xb_counters *sum, const struct xb_counters *c);
/* Attached interfaces by slot; an entry with ifindex 0 is a free slot. */
int xb_ifaces_read(struct xb_maps *maps, struct xb_iface ifaces[XB_MAX_IFACES]);

/* ---- drop log ---- */

/*
 * Sets every class's token bucket to one event per interval_ns with the given burst, full,
 * as iptables does when a limit rule is (re)inserted. interval_ns 0 turns the log off.
 */
int xb_log_limit_set(struct xb_maps *maps, __u64 interval_ns, __u32 burst);
int xb_log_limit_get(struct xb_maps *maps, __u64 *interval_ns, __u32 *burst);
int xb_log_limit_set_fd(int buckets_fd, __u64 interval_ns, __u32 burst);

/*
 * iptables `limit` rates: "5/min", "10/second", "3/h", "1/day" (any prefix of second,
 * minute, hour, day; no unit = per second). *interval_ns is the time per event.
 * -EINVAL on bad syntax, -ERANGE when faster than 10000/s or the count is 0.
 */
int xb_rate_parse(const char *text, __u64 *interval_ns);
/*
 * "N/unit" in the smallest unit (second, minute, hour, day) where N is whole and reads back
 * to interval_ns; else the nearest rate, which may not parse (e.g. "20000/second").
 */
void xb_rate_format(__u64 interval_ns, char *buf, size_t size);

/*
 * One drop event as the iptables LOG target (nf_log_syslog) prints it:
 * "<prefix>IN=<ifname> OUT= MAC=... SRC=... DST=... LEN=... ... " byte for byte, without
 * the newline. Returns the length the full line needs, as snprintf does.
 */
int xb_log_format(const struct xb_event *ev, const char *prefix, const char *ifname, char *buf,
		  size_t size);

#endif /* XB_H */
