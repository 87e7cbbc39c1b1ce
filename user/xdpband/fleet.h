/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fleet: every xdpband of a fleet shares its bans through one Redis (or Valkey).
 *
 * A ban a local source decides is published once, by a Lua script that in one step
 *   XADD STREAM MINID <now - maxage> * v 1 node N prefix P expires E reason R source S
 *        ts T sig H
 * (the stream keeps maxage of history) and records the ban in the current set: the hash
 * STREAM:set (field = prefix, value = the message as one line, see xbd_fleet_to_line) and
 * the sorted set STREAM:exp (score = expiry, +inf = permanent), where a longer ban of the
 * same prefix is never replaced by a shorter one and expired bans are removed.
 *
 * Every node reads the stream (XREAD BLOCK) after the last ID it handled, kept in
 * state_dir/fleet.id. A node that has no ID yet, or whose ID's entry the stream has trimmed
 * while newer ones came (so some of those may be gone too), first loads the current set and
 * the stream's last ID in one MULTI/EXEC, then follows from there: no ban missed, and none
 * applied twice (a ban the maps already hold as long is left alone).
 *
 * Each message is checked (fields, prefix, reason, lengths), its HMAC-SHA256 verified with
 * the key every node shares (key_file), the node's own messages skipped, and the rest go
 * through the rules a local ban goes through: [xdpband] ignoreip, xb_never_ban() (loopback,
 * link-local, own addresses, the allow list), a cap per minute, and no shortening of a ban
 * already in place; then xb_bans_add() with origin XB_ORIGIN_FLEET.
 *
 * The signed text (what the HMAC covers) is, each line ending in '\n':
 *   xdpban-fleet-v1
 *   LEN:STREAM          the stream's name, so a message cannot be moved to another fleet
 *   LEN:NODE
 *   LEN:PREFIX          as xb_prefix_format() writes it: "203.0.113.7/32"
 *   LEN:EXPIRES         unix seconds, 0 = permanent
 *   LEN:REASON
 *   LEN:SOURCE
 *   LEN:TS              when it was published, unix microseconds
 * where LEN is the byte length of the value in decimal; sig is the lowercase hex HMAC.
 *
 * When Redis is away, nothing local changes: bans go on being decided and enforced, and
 * the ones to publish queue (at most queue_max, in state_dir/fleet.queue, so a restart keeps
 * them) until a reconnect (1 s, doubling to 30 s). The daemon is single-threaded: the two
 * Redis connections (one blocked in XREAD, one publishing) are hiredis async contexts on an
 * epoll set of their own, whose fd the daemon's loop watches; only a TCP connect's name
 * lookup (getaddrinfo) can block, so give redis = an address or a unix socket.
 *
 * The counters (struct xbd_fleet_stats, with a histogram of publish -> map entry lags) are
 * written to state_dir/fleet.stats, "NAME VALUE" lines, at most once a second; rejections,
 * connection losses and returns are logged (rejections at most every 10 s, with a count).
 * The HMAC gives authenticity, not freshness: whoever can write to Redis cannot forge a ban,
 * but can replay a signed one before its expiry, or flood the stream.
 */
#ifndef XBD_FLEET_H
#define XBD_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "config.h"
#include "sources.h"

#define XBD_FLEET_SIG_HEX 64
#define XBD_FLEET_KEY_MIN 16
#define XBD_FLEET_KEY_MAX 4096
/* The longest stream entry ID: two 20-digit numbers and '-'. */
#define XBD_FLEET_ID_LEN 48
/* The longest value of a field Redis hands us that is even looked at. */
#define XBD_FLEET_VALUE_MAX 256
/* The lag histogram: 1 us to 2^36 us (19 h), each bucket at most 12.5% wide. */
#define XBD_FLEET_LAG_BUCKETS 280

/* The fields of a message, in the order of the signed text and of the line form. */
enum xbd_fleet_field {
	XBD_FF_V,
	XBD_FF_NODE,
	XBD_FF_PREFIX,
	XBD_FF_EXPIRES,
	XBD_FF_REASON,
	XBD_FF_SOURCE,
	XBD_FF_TS,
	XBD_FF_SIG,
	__XBD_FF_MAX,
};

/* "v", "node", "prefix", "expires", "reason", "source", "ts", "sig". */
extern const char *const xbd_fleet_field_names[__XBD_FF_MAX];

struct xbd_fleet_msg {
	char node[XBD_FLEET_NODE_LEN];
	char prefix[XB_PREFIX_STRLEN]; /* as sent */
	__u64 expires; /* unix seconds; 0 = permanent */
	char reason[XB_REASON_LEN];
	char source[XBD_SOURCE_NAME_LEN]; /* the source that decided it on its node */
	__u64 ts_us; /* when it was published, unix microseconds */
	char sig[XBD_FLEET_SIG_HEX + 1];
	struct xb_prefix pfx; /* prefix, parsed */
};

/* One field of a stream entry as Redis returned it (not NUL-terminated). */
struct xbd_fleet_kv {
	const char *name;
	size_t name_len;
	const char *val;
	size_t val_len;
};

/* ---- messages: pure functions, no Redis ---- */

/*
 * The message of a local ban: m->pfx, prefix, expires (now + timeout, 0 = permanent),
 * reason, source, node and ts_us (now) filled; not signed yet.
 */
int xbd_fleet_msg_init(struct xbd_fleet_msg *m, const char *node, const char *source,
		       const struct xb_ban_req *req);
/* The signed text into buf; returns its length, or -E2BIG. */
int xbd_fleet_canon(const struct xbd_fleet_msg *m, const char *stream, char *buf, size_t size);
/* Fills m->sig. 0, or -E2BIG / -EIO (OpenSSL failed). */
int xbd_fleet_sign(struct xbd_fleet_msg *m, const char *stream, const void *key, size_t key_len);
/* Whether m->sig is the HMAC of m under key (constant-time compare). */
bool xbd_fleet_verify(const struct xbd_fleet_msg *m, const char *stream, const void *key,
		      size_t key_len);

/*
 * A stream entry's fields into m: each of the eight exactly once, no other, every value
 * well-formed. -EINVAL (malformed) or -EPROTO (another version) with *why naming the
 * problem. The signature is not checked here.
 */
int xbd_fleet_decode(struct xbd_fleet_msg *m, const struct xbd_fleet_kv *kv, size_t n,
		     const char **why);

/*
 * The line form, for the current-set hash and the queue file: the eight values in field
 * order, separated by tabs (no value may hold one). to_line returns the length or -E2BIG;
 * from_line returns 0 or -EINVAL/-EPROTO with *why, as xbd_fleet_decode().
 */
int xbd_fleet_to_line(const struct xbd_fleet_msg *m, char *buf, size_t size);
int xbd_fleet_from_line(struct xbd_fleet_msg *m, const char *line, size_t len, const char **why);

/*
 * Reads the shared key from path into out (XBD_FLEET_KEY_MAX + 1 bytes): its bytes without
 * trailing whitespace, at least XBD_FLEET_KEY_MIN. 0, or -errno with a message.
 */
int xbd_fleet_key_load(const char *path, unsigned char *out, size_t *len);

/* ---- the client ---- */

struct xbd_fleet;

struct xbd_fleet_stats {
	__u64 connected; /* 1 while following the stream (and so able to publish) */
	__u64 connects; /* times it got there */
	__u64 disconnects; /* times a working connection was lost */
	__u64 connect_failures; /* attempts that failed */
	__u64 published; /* local bans Redis accepted */
	__u64 publish_errors; /* refused by Redis for good (not retried) */
	__u64 queued; /* local bans waiting for Redis, now */
	__u64 queue_dropped; /* the oldest, dropped when queue_max were waiting */
	__u64 received; /* stream entries and current-set entries read */
	__u64 applied; /* put in the maps */
	__u64 own; /* this node's, skipped */
	__u64 expired; /* past their expiry on arrival */
	__u64 kept; /* the maps had the same ban or a longer one */
	__u64 refused; /* ignoreip, or never-ban: loopback, own address, allow list... */
	__u64 capped; /* over max_bans_per_minute */
	__u64 not_applied; /* apply = no */
	__u64 apply_errors; /* the maps refused (full...) */
	__u64 bad_signature; /* forged or signed with another key */
	__u64 malformed; /* fields missing, extra, too long, unparsable; another version */
	__u64 snapshots; /* times the current set was loaded */
	__u64 snapshot_bans; /* entries it held */
	/* Bans applied from the stream: publish -> map entry, in XBD_FLEET_LAG_BUCKETS. */
	__u64 last_lag_us;
	__u64 max_lag_us;
	__u64 last_applied_us; /* when the last one was applied, unix microseconds */
	__u64 lag_hist[XBD_FLEET_LAG_BUCKETS];
};

/* The upper bound (exclusive) of lag_hist[i], in microseconds: 8 buckets per power of two. */
__u64 xbd_fleet_lag_bucket_us(unsigned int i);

/*
 * Starts the fleet client of cfg->fleet over maps (*out = NULL and 0 when the file has no
 * [fleet]): reads the key, the persisted ID and queue from cfg->state_dir, and starts to
 * connect without waiting. -errno with a message when the key or the state cannot be read.
 */
int xbd_fleet_start(struct xbd_fleet **out, const struct xbd_config *cfg, struct xb_maps *maps);
/*
 * On SIGHUP, with the new configuration: stops and starts again (reconnecting), or stops
 * (no [fleet] now). A key that cannot be read keeps the running client and returns -errno.
 */
int xbd_fleet_reload(struct xbd_fleet **f, const struct xbd_config *cfg, struct xb_maps *maps);
/*
 * Waits up to a second for publishes in flight, saves the queue, the ID and the counters,
 * disconnects and frees f. NULL f: nothing.
 */
void xbd_fleet_stop(struct xbd_fleet *f);

/* The fd to add to the daemon's epoll set (EPOLLIN); stable for f's life. -1 for NULL f. */
int xbd_fleet_fd(const struct xbd_fleet *f);
/*
 * Never blocks. Call on every wake-up of the daemon's loop (at least once a second): Redis
 * I/O, applying what arrived, reconnects, timeouts, and saving the state files. NULL f: nothing.
 */
void xbd_fleet_poll(struct xbd_fleet *f);

/* Publishes a ban the local source decided (queued while Redis is away). NULL f: nothing. */
void xbd_fleet_publish(struct xbd_fleet *f, const char *source, const struct xb_ban_req *req);
/*
 * Makes every ban of these sources (those publish selects) go to xbd_fleet_publish(): sets
 * their on_decision hook, which first calls the hook each source had (the history's, say).
 * Call after each xbd_sources_build() and after the other hooks are set; f NULL: the fleet's
 * hook is taken off again (when src are the sources it was set on).
 */
void xbd_fleet_attach_sources(struct xbd_fleet *f, struct xbd_source *src, size_t n);

void xbd_fleet_get_stats(const struct xbd_fleet *f, struct xbd_fleet_stats *st);

/*
 * The consume path without Redis, for tests and the bench: decoded messages through the
 * signature check, the rules and the maps, as entries of the stream (snapshot = false) or
 * of the current set.
 */
void xbd_fleet_consume(struct xbd_fleet *f, const struct xbd_fleet_msg *m, size_t n, bool snapshot);

#endif /* XBD_FLEET_H */
