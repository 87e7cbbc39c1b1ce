// SPDX-License-Identifier: GPL-2.0
/*
 * The history store (see xb_history.h): the schema, the daemon's writes (events, samples of
 * the hit counters, drop-log events, pruning), the log importer of `banctl report
 * --from-log`, and the report queries.
 *
 * Samples remember each ban's counters in memory (and in ban_last, so a restart continues
 * where it stopped): a ban is the same ban while its prefix and its added time agree, so
 * a refresh (which keeps both) is not a new ban and a ban made again after it went is.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem() */
#endif
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "xb_history.h"
#include "xb_sources.h"

#define BUSY_TIMEOUT_MS 5000
#define PRUNE_EVERY_S 60
#define FULL_PRUNE_EVERY_S 86400
/* A ban event and a ban in the maps are the same ban when their times are this close. */
#define SAME_BAN_S 5
/* A sample this long after the previous one puts its deltas in its own minute. */
#define SAMPLE_GAP_MAX_S 3600
#define WAL_LIMIT_BYTES (4 * 1024 * 1024)

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS events (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  t INTEGER NOT NULL,\n"
	"  kind TEXT NOT NULL,\n"
	"  prefix TEXT NOT NULL,\n"
	"  origin TEXT NOT NULL DEFAULT '',\n"
	"  source TEXT NOT NULL DEFAULT '',\n"
	"  jail TEXT NOT NULL DEFAULT '',\n"
	"  reason TEXT NOT NULL DEFAULT '',\n"
	"  duration INTEGER,\n"
	"  score REAL,\n"
	"  threshold REAL,\n"
	"  first_bad INTEGER);\n"
	"CREATE INDEX IF NOT EXISTS events_t ON events(t);\n"
	"CREATE INDEX IF NOT EXISTS events_prefix ON events(prefix, t);\n"
	"CREATE TABLE IF NOT EXISTS ban_drops (minute INTEGER NOT NULL, prefix TEXT NOT NULL,\n"
	"  packets INTEGER NOT NULL, bytes INTEGER NOT NULL, PRIMARY KEY (minute, prefix))\n"
	"  WITHOUT ROWID;\n"
	"CREATE INDEX IF NOT EXISTS ban_drops_prefix ON ban_drops(prefix, minute);\n"
	"CREATE TABLE IF NOT EXISTS proto_drops (minute INTEGER NOT NULL, proto TEXT NOT NULL,\n"
	"  packets INTEGER NOT NULL, bytes INTEGER NOT NULL, PRIMARY KEY (minute, proto))\n"
	"  WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS family_drops (minute INTEGER NOT NULL,\n"
	"  family INTEGER NOT NULL,\n"
	"  packets INTEGER NOT NULL, bytes INTEGER NOT NULL, PRIMARY KEY (minute, family))\n"
	"  WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS ban_last (prefix TEXT PRIMARY KEY, added INTEGER NOT NULL,\n"
	"  packets INTEGER NOT NULL, bytes INTEGER NOT NULL) WITHOUT ROWID;\n";

enum stmt_id {
	ST_EVENT,
	ST_BAN_DROPS,
	ST_PROTO_DROPS,
	ST_FAMILY_DROPS,
	ST_LAST_PUT,
	ST_LAST_DEL,
	ST_BAN_KNOWN,
	ST_FIRST_BAD,
	ST_DURATION,
	ST_META_PUT,
	__ST_MAX,
};

static const char *const stmt_sql[__ST_MAX] = {
	[ST_EVENT] = "INSERT INTO events (t, kind, prefix, origin, source, jail, reason, duration,"
		     " score, threshold, first_bad) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		     " ?10, ?11)",
	[ST_BAN_DROPS] = "INSERT INTO ban_drops VALUES (?1, ?2, ?3, ?4) ON CONFLICT(minute, prefix)"
			 " DO UPDATE SET packets = packets + excluded.packets, bytes = bytes +"
			 " excluded.bytes",
	[ST_PROTO_DROPS] = "INSERT INTO proto_drops VALUES (?1, ?2, ?3, ?4) ON CONFLICT(minute,"
			   " proto) DO UPDATE SET packets = packets + excluded.packets, bytes ="
			   " bytes + excluded.bytes",
	[ST_FAMILY_DROPS] = "INSERT INTO family_drops VALUES (?1, ?2, ?3, ?4) ON CONFLICT(minute,"
			    " family) DO UPDATE SET packets = packets + excluded.packets, bytes ="
			    " bytes + excluded.bytes",
	[ST_LAST_PUT] = "INSERT OR REPLACE INTO ban_last VALUES (?1, ?2, ?3, ?4)",
	[ST_LAST_DEL] = "DELETE FROM ban_last WHERE prefix = ?1",
	[ST_BAN_KNOWN] = "SELECT 1 FROM events WHERE prefix = ?1 AND kind = 'ban' AND t BETWEEN"
			 " ?2 - 5 AND ?2 + 5 LIMIT 1",
	[ST_FIRST_BAD] = "UPDATE events SET first_bad = ?2 WHERE id = (SELECT id FROM events"
			 " WHERE prefix = ?1 AND kind = 'ban' AND t BETWEEN ?3 - 5 AND ?3 + 5"
			 " ORDER BY abs(t - ?3), id DESC LIMIT 1)",
	[ST_DURATION] = "UPDATE events SET duration = ?2 WHERE id = ?1",
	[ST_META_PUT] = "INSERT OR REPLACE INTO meta VALUES (?1, ?2)",
};

/* A ban's counters at the last sample. */
struct last {
	struct xb_prefix pfx;
	bool used;
	__u32 gen;
	__s64 added;
	__u64 packets, bytes;
};

struct xb_history {
	sqlite3 *db;
	enum xb_history_mode mode;
	char path[PATH_MAX];
	__u64 retention_s;
	sqlite3_stmt *st[__ST_MAX];
	__s64 created, last_sample, last_prune, last_full_prune, pruned_to, rolled_to;
	struct last *tab;
	size_t cap, used;
	__u32 gen;
	/* interface drop counters at the last sample, by family (v4, v6) */
	bool have_base;
	__u64 base_packets[2], base_bytes[2];
	/* logged drops of acc_minute, by class, not yet written */
	__s64 acc_minute;
	__u64 acc_packets[__XB_CLASS_MAX], acc_bytes[__XB_CLASS_MAX];
};

const char *const xb_report_class_names[__XB_CLASS_MAX] = {
	[XB_CLASS_TCP] = "tcp",
	[XB_CLASS_UDP] = "udp",
	[XB_CLASS_ICMP] = "icmp",
	[XB_CLASS_OTHER] = "other",
};

const char *const xb_report_score_labels[XB_REPORT_SCORE_BUCKETS] = {
	"<5", "5-10", "10-15", "15-20", "20-25", "25-30", "30+",
};

const char *const xb_report_latency_labels[XB_REPORT_LATENCY_BUCKETS] = {
	"<=1s", "<=10s", "<=1m", "<=10m", "<=1h", "<=1d", ">1d",
};

static const char *origin_name(__u8 origin)
{
	static const char *const names[__XB_ORIGIN_MAX] = {
		[XB_ORIGIN_MANUAL] = "manual",	   [XB_ORIGIN_SPAMD] = "spamd",
		[XB_ORIGIN_FAIL2BAN] = "fail2ban", [XB_ORIGIN_REGEX] = "regex",
		[XB_ORIGIN_RESTORE] = "restore",   [XB_ORIGIN_FLEET] = "fleet",
	};

	return origin < __XB_ORIGIN_MAX ? names[origin] : "unknown";
}

/* ---- SQLite plumbing ---- */

static int sql_errno(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		return sys ? -sys : -ENOENT;
	default:
		return sys ? -sys : -EIO;
	}
}

/* One line naming the database and what failed; returns -errno. */
static int fail(struct xb_history *h, int rc, const char *what)
{
	int err = sql_errno(h->db, rc);

	xb_warn("history %s: %s: %s", h->path, what, h->db ? sqlite3_errmsg(h->db) : "?");
	return err ? err : -EIO;
}

static int exec(struct xb_history *h, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(h->db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	xb_warn("history %s: %s", h->path, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return sql_errno(h->db, rc) ?: -EIO;
}

/* The prepared statement id, reset and unbound; NULL after a message. */
static sqlite3_stmt *stmt(struct xb_history *h, enum stmt_id id)
{
	int rc;

	if (h->st[id]) {
		sqlite3_reset(h->st[id]);
		sqlite3_clear_bindings(h->st[id]);
		return h->st[id];
	}
	rc = sqlite3_prepare_v3(h->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &h->st[id],
				NULL);
	if (rc != SQLITE_OK) {
		fail(h, rc, "prepare");
		return NULL;
	}
	return h->st[id];
}

/* Runs a bound statement to its end. */
static int run(struct xb_history *h, sqlite3_stmt *s, const char *what)
{
	int rc, err = 0;

	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		err = fail(h, rc, what);
	sqlite3_reset(s);
	return err;
}

/* A statement of the report queries, with :since, :until etc. bound where used. */
static sqlite3_stmt *prepare(struct xb_history *h, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(h->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK) {
		fail(h, rc, "query");
		return NULL;
	}
	return s;
}

static void bind_named(sqlite3_stmt *s, const char *name, __s64 v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i > 0)
		sqlite3_bind_int64(s, i, v);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

static int meta_put(struct xb_history *h, const char *key, __s64 v)
{
	sqlite3_stmt *s = stmt(h, ST_META_PUT);

	if (!s)
		return -EIO;
	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, v);
	return run(h, s, "meta");
}

static __s64 meta_get(struct xb_history *h, const char *key, __s64 def)
{
	sqlite3_stmt *s = prepare(h, "SELECT value FROM meta WHERE key = ?1");
	__s64 v = def;

	if (!s)
		return def;
	bind_text(s, 1, key);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static __s64 now_s(void)
{
	return (__s64)time(NULL);
}

static void fmt_prefix(const struct xb_prefix *p, char buf[XB_PREFIX_STRLEN])
{
	xb_prefix_format(p, buf, XB_PREFIX_STRLEN);
}

/* The prefix with every byte past its family's address zero, as a hash key. */
static struct xb_prefix norm(const struct xb_prefix *p)
{
	struct xb_prefix k = { .family = p->family, .len = p->len };

	memcpy(k.addr, p->addr, p->family == 4 ? 4 : 16);
	return k;
}

/* ---- the last counters of each ban, in memory ---- */

static size_t slot_of(size_t cap, const struct xb_prefix *p)
{
	const unsigned char *k = (const unsigned char *)p;
	__u64 hash = 1469598103934665603ULL;

	for (size_t i = 0; i < sizeof(*p); i++)
		hash = (hash ^ k[i]) * 1099511628211ULL;
	/* FNV's low bits are weak for keys that differ in a few bytes: mix (murmur3's fmix64). */
	hash ^= hash >> 33;
	hash *= 0xff51afd7ed558ccdULL;
	hash ^= hash >> 33;
	return (size_t)hash & (cap - 1);
}

static int last_grow(struct xb_history *h)
{
	size_t cap = h->cap ? h->cap * 2 : 1024;
	struct last *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < h->cap; i++) {
		size_t j;

		if (!h->tab[i].used)
			continue;
		for (j = slot_of(cap, &h->tab[i].pfx); tab[j].used; j = (j + 1) & (cap - 1))
			;
		tab[j] = h->tab[i];
	}
	free(h->tab);
	h->tab = tab;
	h->cap = cap;
	return 0;
}

/* The entry of p; with add, a new zeroed one if none (NULL: out of memory). */
static struct last *last_find(struct xb_history *h, const struct xb_prefix *p, bool add)
{
	struct xb_prefix k = norm(p);
	size_t i;

	if (add && (h->used + 1) * 2 > h->cap && last_grow(h))
		return NULL;
	if (!h->cap)
		return NULL;
	for (i = slot_of(h->cap, &k); h->tab[i].used; i = (i + 1) & (h->cap - 1)) {
		if (!memcmp(&h->tab[i].pfx, &k, sizeof(k)))
			return &h->tab[i];
	}
	if (!add)
		return NULL;
	memset(&h->tab[i], 0, sizeof(h->tab[i]));
	h->tab[i].pfx = k;
	h->tab[i].used = true;
	h->used++;
	return &h->tab[i];
}

/* Deletion in linear probing: the entries of the chain after i move up. */
static void last_forget(struct xb_history *h, size_t i)
{
	h->tab[i].used = false;
	h->used--;
	for (size_t j = (i + 1) & (h->cap - 1); h->tab[j].used; j = (j + 1) & (h->cap - 1)) {
		struct last e = h->tab[j];
		size_t k;

		h->tab[j].used = false;
		for (k = slot_of(h->cap, &e.pfx); h->tab[k].used; k = (k + 1) & (h->cap - 1))
			;
		h->tab[k] = e;
	}
}

static int last_put_row(struct xb_history *h, const struct last *l)
{
	sqlite3_stmt *s = stmt(h, ST_LAST_PUT);
	char text[XB_PREFIX_STRLEN];

	if (!s)
		return -EIO;
	fmt_prefix(&l->pfx, text);
	bind_text(s, 1, text);
	sqlite3_bind_int64(s, 2, l->added);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)l->packets);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)l->bytes);
	return run(h, s, "ban_last");
}

static int last_del_row(struct xb_history *h, const struct xb_prefix *p)
{
	sqlite3_stmt *s = stmt(h, ST_LAST_DEL);
	char text[XB_PREFIX_STRLEN];

	if (!s)
		return -EIO;
	fmt_prefix(p, text);
	bind_text(s, 1, text);
	return run(h, s, "ban_last");
}

static int last_load(struct xb_history *h)
{
	sqlite3_stmt *s = prepare(h, "SELECT prefix, added, packets, bytes FROM ban_last");
	int rc, err = 0;

	if (!s)
		return -EIO;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct xb_prefix p;
		struct last *l;

		if (xb_prefix_parse((const char *)sqlite3_column_text(s, 0), &p, NULL))
			continue;
		l = last_find(h, &p, true);
		if (!l) {
			err = -ENOMEM;
			break;
		}
		l->added = sqlite3_column_int64(s, 1);
		l->packets = (__u64)sqlite3_column_int64(s, 2);
		l->bytes = (__u64)sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	return err;
}

/* ---- opening ---- */

static int check_version(struct xb_history *h)
{
	sqlite3_stmt *s = prepare(h, "PRAGMA user_version");
	int v = 0;

	if (!s)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (v > XB_HISTORY_SCHEMA_VERSION) {
		xb_warn("history %s: written by a newer xdpban (schema %d, this one reads %d)",
			h->path, v, XB_HISTORY_SCHEMA_VERSION);
		return -EPROTO;
	}
	return 0;
}

static int load_state(struct xb_history *h)
{
	h->created = meta_get(h, "created", now_s());
	h->last_sample = meta_get(h, "last_sample", 0);
	h->have_base = meta_get(h, "base_set", 0) != 0;
	h->base_packets[0] = (__u64)meta_get(h, "base_v4_packets", 0);
	h->base_bytes[0] = (__u64)meta_get(h, "base_v4_bytes", 0);
	h->base_packets[1] = (__u64)meta_get(h, "base_v6_packets", 0);
	h->base_bytes[1] = (__u64)meta_get(h, "base_v6_bytes", 0);
	return h->mode == XB_HISTORY_WRITER ? last_load(h) : 0;
}

static int setup(struct xb_history *h)
{
	char pragmas[160];
	int err;

	if (h->mode == XB_HISTORY_READER)
		return check_version(h) ?: exec(h, "PRAGMA query_only = 1");
	if (h->mode == XB_HISTORY_WRITER) {
		snprintf(pragmas, sizeof(pragmas),
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			 " PRAGMA journal_size_limit = %d;",
			 WAL_LIMIT_BYTES);
		err = exec(h, pragmas);
		if (err)
			return err;
	}
	err = check_version(h);
	if (err)
		return err;
	err = exec(h, "BEGIN IMMEDIATE");
	if (err)
		return err;
	err = exec(h, schema_sql);
	if (!err)
		err = exec(h, "PRAGMA user_version = 1;"
			      " INSERT OR IGNORE INTO meta VALUES ('created', strftime('%s'))");
	if (err) {
		exec(h, "ROLLBACK");
		return err;
	}
	err = exec(h, "COMMIT");
	return err ?: load_state(h);
}

int xb_history_open(struct xb_history **out, const char *path, const struct xb_history_opts *opts)
{
	struct xb_history *h = calloc(1, sizeof(*h));
	int flags, rc, err;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->mode = opts ? opts->mode : XB_HISTORY_WRITER;
	h->retention_s =
		opts && opts->retention_s ? opts->retention_s : XB_HISTORY_RETENTION_DEFAULT_S;
	snprintf(h->path, sizeof(h->path), "%s", h->mode == XB_HISTORY_MEMORY ? ":memory:" : path);
	if (h->mode == XB_HISTORY_READER && access(h->path, F_OK)) {
		err = -errno;
		free(h);
		return err;
	}
	flags = h->mode == XB_HISTORY_READER ? SQLITE_OPEN_READONLY
					     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(h->path, &h->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err = fail(h, rc, "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(h->db, 1);
	sqlite3_busy_timeout(h->db, BUSY_TIMEOUT_MS);
	err = setup(h);
	if (err)
		goto fail;
	*out = h;
	return 0;
fail:
	xb_history_close(h);
	return err;
}

static int flush_logged(struct xb_history *h);

void xb_history_close(struct xb_history *h)
{
	if (!h)
		return;
	if (h->db && h->mode != XB_HISTORY_READER)
		flush_logged(h);
	for (int i = 0; i < __ST_MAX; i++)
		sqlite3_finalize(h->st[i]);
	sqlite3_close(h->db);
	free(h->tab);
	free(h);
}

/* ---- events ---- */

struct ev_row {
	__s64 t;
	const char *kind, *prefix, *origin, *source, *jail, *reason;
	__s64 duration; /* <= 0: NULL */
	bool has_score;
	double score, threshold;
	__s64 first_bad; /* 0: NULL */
};

static int insert_event(struct xb_history *h, const struct ev_row *r, sqlite3_int64 *id)
{
	sqlite3_stmt *s = stmt(h, ST_EVENT);
	int err;

	if (!s)
		return -EIO;
	/* Older than what pruning has passed: the next prune looks back to it. */
	if (r->t < h->pruned_to)
		h->pruned_to = r->t;
	sqlite3_bind_int64(s, 1, r->t);
	bind_text(s, 2, r->kind);
	bind_text(s, 3, r->prefix);
	bind_text(s, 4, r->origin);
	bind_text(s, 5, r->source);
	bind_text(s, 6, r->jail);
	bind_text(s, 7, r->reason);
	if (r->duration > 0)
		sqlite3_bind_int64(s, 8, r->duration);
	if (r->has_score) {
		sqlite3_bind_double(s, 9, r->score);
		sqlite3_bind_double(s, 10, r->threshold);
	}
	if (r->first_bad)
		sqlite3_bind_int64(s, 11, r->first_bad);
	err = run(h, s, "cannot record an event");
	if (!err && id)
		*id = sqlite3_last_insert_rowid(h->db);
	return err;
}

static int maybe_prune(struct xb_history *h, __s64 now)
{
	if (h->mode != XB_HISTORY_WRITER || now - h->last_prune < PRUNE_EVERY_S)
		return 0;
	return xb_history_prune(h, now);
}

static int ban_row(struct xb_history *h, const struct xb_history_ban *b, sqlite3_int64 *id)
{
	char text[XB_PREFIX_STRLEN];
	struct ev_row r = {
		.t = b->when ? b->when : now_s(),
		.kind = "ban",
		.prefix = text,
		.origin = origin_name(b->origin),
		.source = b->source ? b->source : origin_name(b->origin),
		.jail = b->jail,
		.reason = b->reason,
		.duration = (__s64)b->duration_s,
		.has_score = b->has_score,
		.score = b->score,
		.threshold = b->threshold,
		.first_bad = b->first_bad,
	};

	fmt_prefix(&b->pfx, text);
	return insert_event(h, &r, id);
}

int xb_history_ban(struct xb_history *h, const struct xb_history_ban *b)
{
	int err = ban_row(h, b, NULL);

	return err ?: maybe_prune(h, now_s());
}

int xb_history_unban(struct xb_history *h, __s64 when, const struct xb_prefix *pfx, const char *why)
{
	char text[XB_PREFIX_STRLEN];
	struct ev_row r = {
		.t = when ? when : now_s(), .kind = "unban", .prefix = text, .reason = why
	};
	struct last *l = last_find(h, pfx, false);
	int err;

	fmt_prefix(pfx, text);
	err = insert_event(h, &r, NULL);
	/* Gone: the next sample must not report it again. */
	if (!err && l) {
		last_forget(h, (size_t)(l - h->tab));
		err = last_del_row(h, pfx);
	}
	return err ?: maybe_prune(h, now_s());
}

int xb_history_first_bad(struct xb_history *h, const struct xb_prefix *pfx, __s64 first_fail,
			 __s64 ban_time)
{
	sqlite3_stmt *s = stmt(h, ST_FIRST_BAD);
	char text[XB_PREFIX_STRLEN];
	int err;

	if (!s)
		return -EIO;
	fmt_prefix(pfx, text);
	bind_text(s, 1, text);
	sqlite3_bind_int64(s, 2, first_fail);
	sqlite3_bind_int64(s, 3, ban_time);
	err = run(h, s, "cannot record the first bad line");
	if (!err && !sqlite3_changes(h->db))
		err = -ENOENT;
	return err;
}

int xb_history_spam(struct xb_history *h, __s64 when, const struct xb_prefix *pfx, double score,
		    double threshold)
{
	char text[XB_PREFIX_STRLEN];
	struct ev_row r = {
		.t = when ? when : now_s(),
		.kind = "spam",
		.prefix = text,
		.origin = "spamd",
		.source = "spamd",
		.has_score = true,
		.score = score,
		.threshold = threshold,
	};

	fmt_prefix(pfx, text);
	return insert_event(h, &r, NULL) ?: maybe_prune(h, now_s());
}

/* ---- drops ---- */

static int drops_add(struct xb_history *h, enum stmt_id id, __s64 minute, const char *key,
		     __s64 ikey, __u64 packets, __u64 bytes)
{
	sqlite3_stmt *s = stmt(h, id);

	if (!s)
		return -EIO;
	if (h->rolled_to && minute < h->rolled_to)
		h->rolled_to = minute;
	sqlite3_bind_int64(s, 1, minute - minute % 60);
	if (key)
		bind_text(s, 2, key);
	else
		sqlite3_bind_int64(s, 2, ikey);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)packets);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)bytes);
	return run(h, s, "cannot record drops");
}

static int flush_logged(struct xb_history *h)
{
	int err = 0;

	for (int c = 0; c < __XB_CLASS_MAX && !err; c++) {
		if (h->acc_packets[c])
			err = drops_add(h, ST_PROTO_DROPS, h->acc_minute, xb_report_class_names[c],
					0, h->acc_packets[c], h->acc_bytes[c]);
		h->acc_packets[c] = 0;
		h->acc_bytes[c] = 0;
	}
	return err;
}

int xb_history_flush(struct xb_history *h)
{
	return flush_logged(h);
}

int xb_history_drop_event(struct xb_history *h, const struct xb_event *ev)
{
	__s64 t = ev->ts_ns ? xb_boot_to_unix(ev->ts_ns) : now_s();
	__s64 minute = t - t % 60;
	int c = ev->class < __XB_CLASS_MAX ? ev->class : XB_CLASS_OTHER, err = 0;

	if (minute != h->acc_minute) {
		err = flush_logged(h);
		h->acc_minute = minute;
	}
	h->acc_packets[c]++;
	h->acc_bytes[c] += ev->frame_len;
	return err;
}

struct delta {
	struct xb_prefix pfx;
	__u64 packets, bytes;
};

static int cmp_delta(const void *a, const void *b)
{
	const struct delta *x = a, *y = b;

	return x->packets < y->packets ? 1 : x->packets > y->packets ? -1 : 0;
}

/* The busiest XB_HISTORY_TOP_PER_MINUTE bans one by one, the rest summed as "*". */
static int write_ban_drops(struct xb_history *h, struct delta *d, size_t n, __s64 minute)
{
	__u64 rest_p = 0, rest_b = 0;
	char text[XB_PREFIX_STRLEN];
	int err = 0;

	if (n)
		qsort(d, n, sizeof(*d), cmp_delta);
	for (size_t i = 0; i < n && !err; i++) {
		if (i >= XB_HISTORY_TOP_PER_MINUTE) {
			rest_p += d[i].packets;
			rest_b += d[i].bytes;
			continue;
		}
		fmt_prefix(&d[i].pfx, text);
		err = drops_add(h, ST_BAN_DROPS, minute, text, 0, d[i].packets, d[i].bytes);
	}
	if (!err && rest_p)
		err = drops_add(h, ST_BAN_DROPS, minute, XB_HISTORY_OTHER, 0, rest_p, rest_b);
	return err;
}

/* The counters' family drops since the last sample (all of them after a reset). */
static int write_family(struct xb_history *h, const struct xb_counters *c, __s64 minute)
{
	const struct xb_pkt_bytes *fam[2] = { &c->dropped_v4, &c->dropped_v6 };
	static const char *const keys[2][2] = { { "base_v4_packets", "base_v4_bytes" },
						{ "base_v6_packets", "base_v6_bytes" } };
	int err = 0;

	for (int f = 0; f < 2 && !err; f++) {
		__u64 p = fam[f]->packets, b = fam[f]->bytes;
		__u64 dp = p >= h->base_packets[f] ? p - h->base_packets[f] : p;
		__u64 db = b >= h->base_bytes[f] ? b - h->base_bytes[f] : b;

		if (h->have_base && dp)
			err = drops_add(h, ST_FAMILY_DROPS, minute, NULL, f ? 6 : 4, dp, db);
		h->base_packets[f] = p;
		h->base_bytes[f] = b;
		if (!err)
			err = meta_put(h, keys[f][0], (__s64)p);
		if (!err)
			err = meta_put(h, keys[f][1], (__s64)b);
	}
	h->have_base = true;
	return err ?: meta_put(h, "base_set", 1);
}

/* Where a sample's deltas go: the minute halfway since the previous sample. */
static __s64 sample_minute(const struct xb_history *h, __s64 now)
{
	__s64 mid = now;

	if (h->last_sample && now > h->last_sample && now - h->last_sample <= SAMPLE_GAP_MAX_S)
		mid = h->last_sample + (now - h->last_sample) / 2;
	return mid - mid % 60;
}

static bool from_source(__u8 origin)
{
	return origin == XB_ORIGIN_SPAMD || origin == XB_ORIGIN_FAIL2BAN ||
	       origin == XB_ORIGIN_REGEX;
}

/* The source and jail a ban's reason names ("f2b/sshd"), for bans seen in the maps. */
static void split_reason(const struct xb_ban *b, char *source, char *jail, size_t size)
{
	const char *slash = strchr(b->reason, '/');

	jail[0] = '\0';
	if (!from_source(b->origin) || !b->reason[0]) {
		snprintf(source, size, "%s", origin_name(b->origin));
		return;
	}
	if (!slash) {
		snprintf(source, size, "%.*s", XB_REASON_LEN, b->reason);
		return;
	}
	snprintf(source, size, "%.*s", (int)(slash - b->reason), b->reason);
	snprintf(jail, size, "%.*s", XB_REASON_LEN, slash + 1);
}

/* A ban found in the maps: an event unless one was recorded for it. */
static int note_ban(struct xb_history *h, const struct xb_ban_entry *e, __s64 added)
{
	sqlite3_stmt *s = stmt(h, ST_BAN_KNOWN);
	char text[XB_PREFIX_STRLEN], source[XB_REASON_LEN + 1], jail[XB_REASON_LEN + 1];
	char reason[XB_REASON_LEN + 1];
	struct xb_history_ban b = { .when = added, .pfx = e->pfx, .origin = e->ban.origin };
	int rc;

	if (!s)
		return -EIO;
	fmt_prefix(&e->pfx, text);
	/* Only the sources' bans are recorded when made (banctl's, restored ones are not). */
	if (from_source(e->ban.origin)) {
		bind_text(s, 1, text);
		sqlite3_bind_int64(s, 2, added);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_ROW)
			return 0;
		if (rc != SQLITE_DONE)
			return fail(h, rc, "cannot look up a ban");
	}
	split_reason(&e->ban, source, jail, sizeof(source));
	snprintf(reason, sizeof(reason), "%.*s", XB_REASON_LEN, e->ban.reason);
	b.source = source;
	b.jail = jail;
	b.reason = reason;
	if (e->ban.expires_ns > e->ban.added_ns)
		b.duration_s = (e->ban.expires_ns - e->ban.added_ns + 500000000ULL) / 1000000000ULL;
	return ban_row(h, &b, NULL);
}

/* CLOCK_BOOTTIME nanoseconds to unix seconds, as xb_boot_to_unix() with the clocks read once. */
static __s64 boot_offset_ns(void)
{
	struct timespec real;
	__s64 boot = (__s64)xb_now_boot_ns();

	clock_gettime(CLOCK_REALTIME, &real);
	return (__s64)real.tv_sec * 1000000000LL + real.tv_nsec - boot;
}

static __s64 boot_to_unix(__s64 offset_ns, __u64 boot_ns)
{
	return (offset_ns + (__s64)boot_ns + 500000000LL) / 1000000000LL;
}

/* One listed ban: its drops since the last sample into *d, its counters remembered. */
static int sample_one(struct xb_history *h, const struct xb_ban_entry *e, struct last *l, __s64 now,
		      __s64 offset_ns, struct delta *d)
{
	__s64 added = e->ban.added_ns ? boot_to_unix(offset_ns, e->ban.added_ns) : now;
	bool fresh = !l || llabs(l->added - added) > SAME_BAN_S, changed;
	int err = 0;

	d->pfx = e->pfx;
	d->packets = 0;
	d->bytes = 0;
	if (fresh) {
		/* Counts of a ban older than the history predate it. */
		if (added >= h->created - SAME_BAN_S) {
			d->packets = e->ban.packets;
			d->bytes = e->ban.bytes;
		}
		err = note_ban(h, e, added);
		l = err ? NULL : last_find(h, &e->pfx, true);
		if (!l)
			return err ?: -ENOMEM;
	} else if (e->ban.packets >= l->packets && e->ban.bytes >= l->bytes) {
		d->packets = e->ban.packets - l->packets;
		d->bytes = e->ban.bytes - l->bytes;
	}
	changed = fresh || l->packets != e->ban.packets || l->bytes != e->ban.bytes;
	l->added = fresh ? added : l->added;
	l->packets = e->ban.packets;
	l->bytes = e->ban.bytes;
	l->gen = h->gen;
	return changed ? last_put_row(h, l) : 0;
}

/* Bans remembered but no longer listed went without an unban we saw. */
static int sample_gone(struct xb_history *h, __s64 now)
{
	char text[XB_PREFIX_STRLEN];
	int err = 0;

	for (size_t i = 0; i < h->cap && !err; i++) {
		struct ev_row r = {
			.t = now, .kind = "unban", .prefix = text, .reason = "removed"
		};
		struct xb_prefix p;

		if (!h->tab[i].used || h->tab[i].gen == h->gen)
			continue;
		p = h->tab[i].pfx;
		fmt_prefix(&p, text);
		err = insert_event(h, &r, NULL) ?: last_del_row(h, &p);
		last_forget(h, i);
		i--; /* the chain moved into i */
	}
	return err;
}

/*
 * One sample, fed a ban at a time (from an array, or straight from the maps' walk): only
 * the bans that dropped since the last sample are kept, for the per-minute top list.
 */
struct sampler {
	struct xb_history *h;
	__s64 now, offset_ns;
	size_t fresh;
	struct delta *d;
	size_t nd, cap;
};

static int sampler_take(const struct xb_ban_entry *e, void *ctx)
{
	struct sampler *s = ctx;
	struct last *l = last_find(s->h, &e->pfx, false);
	struct delta d;
	int err;

	/* A million new bans at once are taken in over several samples. */
	if (!l && s->fresh++ >= XB_HISTORY_NEW_PER_SAMPLE)
		return 0;
	err = sample_one(s->h, e, l, s->now, s->offset_ns, &d);
	if (err || !d.packets)
		return err;
	if (s->nd == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct delta *p = realloc(s->d, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->d = p;
		s->cap = cap;
	}
	s->d[s->nd++] = d;
	return 0;
}

static int sampler_end(struct sampler *s, const struct xb_counters *total)
{
	struct xb_history *h = s->h;
	__s64 minute = sample_minute(h, s->now);
	int err;

	err = sample_gone(h, s->now);
	if (!err)
		err = write_ban_drops(h, s->d, s->nd, minute);
	if (!err && total)
		err = write_family(h, total, minute);
	if (!err)
		err = flush_logged(h);
	if (!err)
		err = meta_put(h, "last_sample", s->now);
	return err;
}

/* feed hands every ban to sampler_take; one transaction around the whole sample. */
static int sample_with(struct xb_history *h, __s64 now, const struct xb_counters *total,
		       int (*feed)(struct sampler *s, void *arg), void *arg)
{
	struct sampler s = { .h = h, .now = now, .offset_ns = boot_offset_ns() };
	int err;

	err = exec(h, "BEGIN IMMEDIATE");
	if (!err) {
		h->gen++;
		err = feed(&s, arg);
		err = err ?: sampler_end(&s, total);
		err = err ?: exec(h, "COMMIT");
		if (err) {
			exec(h, "ROLLBACK");
			/* Memory may be ahead of the database now: reload on the next open. */
		}
	}
	free(s.d);
	if (err)
		return err;
	h->last_sample = now;
	return maybe_prune(h, now);
}

struct ban_array {
	const struct xb_ban_entry *e;
	size_t n;
};

static int feed_array(struct sampler *s, void *arg)
{
	const struct ban_array *a = arg;
	int err = 0;

	for (size_t i = 0; i < a->n && !err; i++)
		err = sampler_take(&a->e[i], s);
	return err;
}

static int feed_maps(struct sampler *s, void *arg)
{
	return xb_bans_walk(arg, sampler_take, s);
}

int xb_history_sample_bans(struct xb_history *h, const struct xb_ban_entry *e, size_t n,
			   const struct xb_counters *total, __s64 now)
{
	struct ban_array a = { .e = e, .n = n };

	return sample_with(h, now, total, feed_array, &a);
}

int xb_history_sample(struct xb_history *h, struct xb_maps *maps)
{
	struct xb_counters total = {}, c;
	int err;

	for (__u32 slot = 0; slot < XB_MAX_IFACES; slot++) {
		err = xb_counters_read(maps, slot, &c);
		if (err)
			return err;
		xb_counters_add(&total, &c);
	}
	return sample_with(h, now_s(), &total, feed_maps, maps);
}

int xb_history_expired(struct xb_history *h, const struct xb_ban_entry *e, __s64 now)
{
	struct last *l = last_find(h, &e->pfx, false);
	__s64 added = e->ban.added_ns ? xb_boot_to_unix(e->ban.added_ns) : now;
	struct delta d = { .pfx = e->pfx, .packets = e->ban.packets, .bytes = e->ban.bytes };
	int err = 0;

	if (!now)
		now = now_s();
	if (l && llabs(l->added - added) <= SAME_BAN_S) {
		d.packets = e->ban.packets >= l->packets ? e->ban.packets - l->packets : 0;
		d.bytes = e->ban.bytes >= l->bytes ? e->ban.bytes - l->bytes : 0;
	} else if (added < h->created - SAME_BAN_S) {
		d.packets = 0;
	}
	if (d.packets)
		err = write_ban_drops(h, &d, 1, sample_minute(h, now));
	return err ?: xb_history_unban(h, now, &e->pfx, "expired");
}

/* ---- pruning ---- */

static int prune_range(struct xb_history *h, const char *sql, __s64 from, __s64 to)
{
	sqlite3_stmt *s = prepare(h, sql);
	int err;

	if (!s)
		return -EIO;
	bind_named(s, ":from", from);
	bind_named(s, ":to", to);
	bind_named(s, ":max", XB_HISTORY_EVENTS_MAX);
	err = run(h, s, "cannot prune");
	sqlite3_finalize(s);
	return err;
}

/* Events of bans still in force are kept past retention: they say the ban is on. */
static const char *const prune_sql[] = {
	"DELETE FROM events WHERE t >= :from AND t < :to AND NOT (kind = 'ban' AND EXISTS"
	" (SELECT 1 FROM ban_last l WHERE l.prefix = events.prefix) AND id = (SELECT max(id)"
	" FROM events e WHERE e.prefix = events.prefix AND e.kind = 'ban'))",
	"DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - :max",
	"DELETE FROM ban_drops WHERE minute < :to",
	"DELETE FROM proto_drops WHERE minute < :to",
	"DELETE FROM family_drops WHERE minute < :to",
};

/* Minutes older than a day summed into their hour, table by table: insert, then delete. */
static const char *const rollup_sql[] = {
	"INSERT INTO ban_drops SELECT minute - minute % 3600, prefix, sum(packets), sum(bytes)"
	" FROM ban_drops WHERE minute >= :from AND minute < :to AND minute % 3600 != 0 GROUP BY"
	" 1, 2 ON CONFLICT(minute, prefix) DO UPDATE SET packets = packets + excluded.packets,"
	" bytes = bytes + excluded.bytes",
	"DELETE FROM ban_drops WHERE minute >= :from AND minute < :to AND minute % 3600 != 0",
	"INSERT INTO proto_drops SELECT minute - minute % 3600, proto, sum(packets), sum(bytes)"
	" FROM proto_drops WHERE minute >= :from AND minute < :to AND minute % 3600 != 0 GROUP"
	" BY 1, 2 ON CONFLICT(minute, proto) DO UPDATE SET packets = packets +"
	" excluded.packets, bytes = bytes + excluded.bytes",
	"DELETE FROM proto_drops WHERE minute >= :from AND minute < :to AND minute % 3600 != 0",
	"INSERT INTO family_drops SELECT minute - minute % 3600, family, sum(packets),"
	" sum(bytes) FROM family_drops WHERE minute >= :from AND minute < :to AND minute % 3600"
	" != 0 GROUP BY 1, 2 ON CONFLICT(minute, family) DO UPDATE SET packets = packets +"
	" excluded.packets, bytes = bytes + excluded.bytes",
	"DELETE FROM family_drops WHERE minute >= :from AND minute < :to AND minute % 3600 != 0",
};

static int prune_all(struct xb_history *h, __s64 now)
{
	__s64 cut = now - (__s64)h->retention_s, roll = now - XB_HISTORY_MINUTES_KEPT_S;
	bool full = now - h->last_full_prune >= FULL_PRUNE_EVERY_S;
	__s64 from = full ? INT64_MIN : h->pruned_to;
	int err = 0;

	for (size_t i = 0; i < sizeof(prune_sql) / sizeof(prune_sql[0]) && !err; i++)
		err = prune_range(h, prune_sql[i], from, cut);
	for (size_t i = 0; i < sizeof(rollup_sql) / sizeof(rollup_sql[0]) && !err; i++)
		err = prune_range(h, rollup_sql[i], h->rolled_to ? h->rolled_to : INT64_MIN, roll);
	if (err)
		return err;
	h->pruned_to = cut;
	h->rolled_to = roll;
	if (full)
		h->last_full_prune = now;
	return 0;
}

int xb_history_prune(struct xb_history *h, __s64 now)
{
	int err;

	h->last_prune = now;
	if (h->mode == XB_HISTORY_MEMORY)
		return 0;
	err = exec(h, "BEGIN IMMEDIATE");
	if (err)
		return err;
	err = prune_all(h, now);
	if (err) {
		exec(h, "ROLLBACK");
		return err;
	}
	return exec(h, "COMMIT");
}

/* ---- reading existing logs ---- */

#define FOUND_CAP 65536
/* A Found line counts for a Ban of the same address at most this long after it. */
#define FOUND_MAX_S (7 * 86400)
/* fail2ban's Increase Ban and its Ban line are this close. */
#define INCREASE_S 5

/* Per address: the first fail2ban Found line since its last ban, its last ban. */
struct found {
	struct xb_prefix addr;
	bool used;
	char jail[XB_REPORT_NAME_LEN];
	__s64 first, last;
	__u64 increase_s;
	__s64 increase_t, ban_t;
	sqlite3_int64 ban_id;
};

struct xb_history_import {
	struct xb_history *h;
	struct xb_spamd *spamd;
	struct xb_history_import_stats st;
	struct found *tab; /* FOUND_CAP * 2 slots */
	size_t used;
	__s64 ref;
	int err;
};

int xb_history_import_new(struct xb_history *h, struct xb_history_import **out)
{
	struct xb_history_import *im = calloc(1, sizeof(*im));
	int err;

	*out = NULL;
	if (!im)
		return -ENOMEM;
	im->h = h;
	im->tab = calloc(FOUND_CAP * 2, sizeof(*im->tab));
	im->spamd = xb_spamd_new(65536, 3600);
	if (!im->tab || !im->spamd) {
		err = -ENOMEM;
		goto fail;
	}
	err = exec(h, "BEGIN");
	if (err)
		goto fail;
	*out = im;
	return 0;
fail:
	xb_spamd_free(im->spamd);
	free(im->tab);
	free(im);
	return err;
}

static struct found *found_get(struct xb_history_import *im, const struct xb_prefix *a, bool add)
{
	struct xb_prefix k = norm(a);
	size_t i;

	for (i = slot_of(FOUND_CAP * 2, &k); im->tab[i].used; i = (i + 1) & (FOUND_CAP * 2 - 1)) {
		if (!memcmp(&im->tab[i].addr, &k, sizeof(k)))
			return &im->tab[i];
	}
	if (!add)
		return NULL;
	if (im->used >= FOUND_CAP) {
		/* Crude but bounded: forget everything, lose a few first-bad times. */
		memset(im->tab, 0, FOUND_CAP * 2 * sizeof(*im->tab));
		im->used = 0;
		return found_get(im, a, add);
	}
	memset(&im->tab[i], 0, sizeof(im->tab[i]));
	im->tab[i].addr = k;
	im->tab[i].used = true;
	im->used++;
	return &im->tab[i];
}

/* ---- timestamps ---- */

struct cur {
	const char *p, *end;
};

static bool eat(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n))
		return false;
	c->p += n;
	return true;
}

static void eat_spaces(struct cur *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

static bool eat_int(struct cur *c, int digits, int *out)
{
	int v = 0;

	if (c->end - c->p < digits)
		return false;
	for (int i = 0; i < digits; i++) {
		if (!isdigit((unsigned char)c->p[i]))
			return false;
		v = v * 10 + (c->p[i] - '0');
	}
	c->p += digits;
	*out = v;
	return true;
}

static bool eat_hms(struct cur *c, struct tm *tm)
{
	return eat_int(c, 2, &tm->tm_hour) && eat(c, ":") && eat_int(c, 2, &tm->tm_min) &&
	       eat(c, ":") && eat_int(c, 2, &tm->tm_sec) && tm->tm_hour < 24 && tm->tm_min < 60 &&
	       tm->tm_sec < 61;
}

/* The latest year that does not put tm more than a day after ref (local time). */
static __s64 place_year(struct tm *tm, __s64 ref)
{
	time_t r = (time_t)(ref ? ref : now_s()), t;
	struct tm rt;

	localtime_r(&r, &rt);
	tm->tm_year = rt.tm_year;
	tm->tm_isdst = -1;
	t = mktime(tm);
	if (t > r + 86400) {
		tm->tm_year--;
		tm->tm_isdst = -1;
		t = mktime(tm);
	}
	return (__s64)t;
}

/* A syslog stamp without a year: "Nov 27 01:54:17" (day may be space-padded). */
static bool eat_bsd(struct cur *c, __s64 ref, __s64 *when)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = {};
	const char *m;

	if (c->end - c->p < 16 || c->p[3] != ' ')
		return false;
	for (m = months; *m && memcmp(m, c->p, 3); m += 3)
		;
	if (!*m)
		return false;
	tm.tm_mon = (int)(m - months) / 3;
	c->p += 4;
	if (*c->p == ' ')
		c->p++;
	if (!eat_int(c, isdigit((unsigned char)c->p[1]) ? 2 : 1, &tm.tm_mday) || !eat(c, " ") ||
	    !eat_hms(c, &tm))
		return false;
	*when = place_year(&tm, ref);
	return true;
}

/* "2024-03-10T01:54:17[.frac](Z|+hh:mm)" or fail2ban's "2024-03-10 01:54:17[,mmm]" (local). */
static bool eat_iso(struct cur *c, __s64 *when)
{
	struct tm tm = {};
	int oh = 0, om = 0, sign = 0;
	bool t_sep;

	if (!eat_int(c, 4, &tm.tm_year) || !eat(c, "-") || !eat_int(c, 2, &tm.tm_mon) ||
	    !eat(c, "-") || !eat_int(c, 2, &tm.tm_mday))
		return false;
	t_sep = eat(c, "T");
	if ((!t_sep && !eat(c, " ")) || !eat_hms(c, &tm))
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (eat(c, ".") || eat(c, ","))
		while (c->p < c->end && isdigit((unsigned char)*c->p))
			c->p++;
	if (eat(c, "Z"))
		sign = 1;
	else if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
		sign = *c->p++ == '+' ? 1 : -1;
	if (sign && c->p < c->end && isdigit((unsigned char)*c->p) &&
	    !(eat_int(c, 2, &oh) && eat(c, ":") && eat_int(c, 2, &om)))
		return false;
	if (!sign) {
		tm.tm_isdst = -1;
		*when = (__s64)mktime(&tm);
	} else {
		*when = (__s64)timegm(&tm) - sign * (oh * 3600 + om * 60);
	}
	return true;
}

static bool eat_stamp(struct cur *c, __s64 ref, __s64 *when)
{
	return isdigit((unsigned char)*c->p) ? eat_iso(c, when) : eat_bsd(c, ref, when);
}

/* "STAMP HOST PROG[PID]: " or "STAMP HOST PROG: "; prog into prog. */
static bool eat_syslog_head(struct cur *c, __s64 ref, __s64 *when, char *prog, size_t size)
{
	const char *start;
	size_t n;

	if (c->p >= c->end || !eat_stamp(c, ref, when) || !eat(c, " "))
		return false;
	while (c->p < c->end && *c->p != ' ')
		c->p++;
	if (!eat(c, " "))
		return false;
	for (start = c->p; c->p < c->end && *c->p != '[' && *c->p != ':' && *c->p != ' ';)
		c->p++;
	n = (size_t)(c->p - start);
	if (!n || n >= size)
		return false;
	memcpy(prog, start, n);
	prog[n] = '\0';
	if (eat(c, "["))
		while (c->p < c->end && *c->p != ']')
			c->p++;
	eat(c, "]");
	return eat(c, ": ");
}

/* The value of " KEY=" (first occurrence at or after c), up to the next space. */
static bool field(const struct cur *c, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = c->p; p + klen < c->end; p++) {
		const char *v, *e;

		if ((p != c->p && p[-1] != ' ') || memcmp(p, key, klen))
			continue;
		v = p + klen;
		for (e = v; e < c->end && *e != ' '; e++)
			;
		if ((size_t)(e - v) >= size)
			return false;
		memcpy(out, v, (size_t)(e - v));
		out[e - v] = '\0';
		return true;
	}
	return false;
}

static int proto_class(const char *proto)
{
	if (!strcmp(proto, "TCP"))
		return XB_CLASS_TCP;
	if (!strcmp(proto, "UDP") || !strcmp(proto, "UDPLITE"))
		return XB_CLASS_UDP;
	if (!strcmp(proto, "ICMP") || !strcmp(proto, "ICMPv6"))
		return XB_CLASS_ICMP;
	return XB_CLASS_OTHER;
}

static int record_drop(struct xb_history *h, __s64 when, const struct xb_prefix *src, int cls,
		       __u64 bytes)
{
	char text[XB_PREFIX_STRLEN];

	fmt_prefix(src, text);
	return drops_add(h, ST_FAMILY_DROPS, when, NULL, src->family, 1, bytes) ?:
		       drops_add(h, ST_PROTO_DROPS, when, xb_report_class_names[cls], 0, 1, bytes) ?:
		       drops_add(h, ST_BAN_DROPS, when, text, 0, 1, bytes);
}

/*
 * An iptables LOG line from the kernel, or xdpband's own: "STAMP HOST kernel: [uptime]
 * PREFIX IN=... SRC=... LEN=... PROTO=...". 1 when it was one.
 */
static int import_drop(struct xb_history_import *im, const char *line, size_t len, __s64 ref)
{
	struct cur c = { line, line + len };
	char prog[32], src[64], iplen[16], proto[16];
	struct xb_prefix a;
	__s64 when;

	if (!memmem(line, len, " SRC=", 5) || !eat_syslog_head(&c, ref, &when, prog, sizeof(prog)))
		return 0;
	if (strcmp(prog, "kernel") && strcmp(prog, "xdpband"))
		return 0;
	if (eat(&c, "[")) {
		while (c.p < c.end && *c.p != ']')
			c.p++;
		if (!eat(&c, "] "))
			return 0;
	}
	c.p = memmem(c.p, (size_t)(c.end - c.p), "IN=", 3);
	if (!c.p || !field(&c, "SRC=", src, sizeof(src)) || xb_prefix_parse(src, &a, NULL) ||
	    !xb_prefix_is_host(&a))
		return 0;
	if (!field(&c, "PROTO=", proto, sizeof(proto)))
		snprintf(proto, sizeof(proto), "?");
	if (!field(&c, "LEN=", iplen, sizeof(iplen)))
		iplen[0] = '\0';
	im->st.drops++;
	return record_drop(im->h, when, &a, proto_class(proto), strtoull(iplen, NULL, 10)) ?: 1;
}

/* fail2ban's "[JAIL] Ban ADDR" lines and the like. */
static int import_f2b_ban(struct xb_history_import *im, const struct xb_line_event *ev)
{
	struct found *f = found_get(im, &ev->addr, true);
	bool restore = ev->f2b == XB_F2B_RESTORE;
	struct xb_history_ban b = {
		.when = ev->when,
		.pfx = ev->addr,
		.origin = restore ? XB_ORIGIN_RESTORE : XB_ORIGIN_FAIL2BAN,
		.source = "fail2ban",
		.jail = ev->tag,
	};
	int err;

	if (!f)
		return -ENOMEM;
	if (f->first && !strcmp(f->jail, ev->tag) && f->first <= ev->when &&
	    ev->when - f->first <= FOUND_MAX_S && !restore)
		b.first_bad = f->first;
	if (f->increase_t && llabs(ev->when - f->increase_t) <= INCREASE_S)
		b.duration_s = f->increase_s;
	err = ban_row(im->h, &b, &f->ban_id);
	f->ban_t = ev->when;
	f->first = 0;
	f->increase_t = 0;
	im->st.bans++;
	return err;
}

/* Increase Ban: the new length of the ban before it or of the one that follows. */
static int import_f2b_increase(struct xb_history_import *im, const struct xb_line_event *ev)
{
	struct found *f = found_get(im, &ev->addr, true);
	sqlite3_stmt *s;

	if (!f)
		return -ENOMEM;
	if (!f->ban_id || llabs(ev->when - f->ban_t) > INCREASE_S || !ev->bantime_s) {
		f->increase_s = ev->bantime_s;
		f->increase_t = ev->when;
		return 0;
	}
	s = stmt(im->h, ST_DURATION);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, f->ban_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)ev->bantime_s);
	return run(im->h, s, "cannot record a ban's length");
}

/* "fail2ban.filter[ ][[PID]]: INFO [JAIL] Found ": the logger, its level and the jail. */
static bool eat_found_head(struct cur *c, char *jail, size_t size)
{
	const char *start;

	c->p = memmem(c->p, (size_t)(c->end - c->p), "fail2ban.filter", 15);
	if (!c->p)
		return false;
	c->p += 15;
	eat_spaces(c);
	if (eat(c, "[")) {
		while (c->p < c->end && isdigit((unsigned char)*c->p))
			c->p++;
		if (!eat(c, "]"))
			return false;
	}
	if (!eat(c, ":"))
		return false;
	eat_spaces(c);
	if (!eat(c, "INFO"))
		return false;
	eat_spaces(c);
	if (!eat(c, "["))
		return false;
	for (start = c->p; c->p < c->end && *c->p != ']' && *c->p != ' ';)
		c->p++;
	if ((size_t)(c->p - start) >= size || c->p == start)
		return false;
	snprintf(jail, size, "%.*s", (int)(c->p - start), start);
	return eat(c, "] Found ");
}

/*
 * "... fail2ban.filter [PID]: INFO [JAIL] Found ADDR - 2024-03-10 01:54:10": a bad line;
 * the time at the end is the bad line's own.
 */
static int import_found(struct xb_history_import *im, const char *line, size_t len, __s64 ref)
{
	struct cur c = { line, line + len };
	char jail[XB_REPORT_NAME_LEN], addr[64];
	const char *start;
	struct xb_prefix a;
	struct found *f;
	__s64 when;

	if (!eat_stamp(&c, ref, &when) || !eat_found_head(&c, jail, sizeof(jail)))
		return 0;
	for (start = c.p; c.p < c.end && *c.p != ' ';)
		c.p++;
	snprintf(addr, sizeof(addr), "%.*s", (int)(c.p - start), start);
	if ((size_t)(c.p - start) >= sizeof(addr) || xb_prefix_parse(addr, &a, NULL) ||
	    !xb_prefix_is_host(&a))
		return 0;
	if (eat(&c, " - ") && c.p < c.end && isdigit((unsigned char)*c.p))
		eat_iso(&c, &when);
	f = found_get(im, &a, true);
	if (!f)
		return -ENOMEM;
	if (!f->first || strcmp(f->jail, jail) || when - f->last > FOUND_MAX_S) {
		f->first = when;
		snprintf(f->jail, sizeof(f->jail), "%s", jail);
	}
	f->last = when;
	im->st.found++;
	return 1;
}

/* A yearless syslog stamp was placed by a parser against now: place it against ref. */
static __s64 replace_year(const char *line, __s64 when, __s64 ref)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (!isalpha((unsigned char)line[0]) || !when)
		return when;
	localtime_r(&t, &tm);
	return place_year(&tm, ref);
}

static int import_f2b(struct xb_history_import *im, const char *line, size_t len, __s64 ref)
{
	static const char *const all[] = { "*" };
	struct xb_line_event ev = {};
	enum xb_line_kind kind;

	if (!memmem(line, len, "fail2ban", 8))
		return 0;
	kind = xb_f2blog_parse(line, len, all, 1, &ev);
	if (kind != XB_LINE_BAN && kind != XB_LINE_UNBAN)
		return import_found(im, line, len, ref);
	ev.when = replace_year(line, ev.when, ref);
	if (kind == XB_LINE_UNBAN) {
		struct found *f = found_get(im, &ev.addr, false);

		if (f)
			f->first = 0;
		im->st.unbans++;
		return xb_history_unban(im->h, ev.when, &ev.addr, "fail2ban") ?: 1;
	}
	if (ev.f2b == XB_F2B_INCREASE)
		return import_f2b_increase(im, &ev) ?: 1;
	return import_f2b_ban(im, &ev) ?: 1;
}

static int import_spamd(struct xb_history_import *im, const char *line, size_t len, __s64 ref)
{
	struct xb_line_event ev = {};
	__s64 when;

	if (xb_spamd_line(im->spamd, line, len, 0, &ev) != XB_LINE_FAIL || !ev.has_score)
		return 0;
	when = replace_year(line, ev.when, ref);
	im->st.spam++;
	return xb_history_spam(im->h, when ? when : ref, &ev.addr, ev.score, ev.threshold) ?: 1;
}

int xb_history_import_line(struct xb_history_import *im, const char *line, size_t len,
			   __s64 ref_time)
{
	int ret;

	im->st.lines++;
	if (!len || len > XB_LINE_MAX) {
		im->st.unknown++;
		return 0;
	}
	ret = import_drop(im, line, len, ref_time);
	if (!ret)
		ret = import_f2b(im, line, len, ref_time);
	if (!ret)
		ret = import_spamd(im, line, len, ref_time);
	if (!ret)
		im->st.unknown++;
	if (ret < 0 && !im->err)
		im->err = ret;
	return ret < 0 ? ret : 0;
}

static void on_import_line(void *ctx, const char *line, size_t len)
{
	struct xb_history_import *im = ctx;

	xb_history_import_line(im, line, len, im->ref);
}

int xb_history_import_file(struct xb_history_import *im, const char *path)
{
	struct xb_follow_stats fst;
	struct stat sb;
	int err;

	if (stat(path, &sb)) {
		err = -errno;
		xb_warn("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	im->ref = (__s64)sb.st_mtime;
	err = xb_read_file_lines(path, on_import_line, im, &fst);
	if (err)
		xb_warn("cannot read %s: %s", path, strerror(-err));
	return err ?: im->err;
}

void xb_history_import_stats(const struct xb_history_import *im, struct xb_history_import_stats *st)
{
	*st = im->st;
}

int xb_history_import_end(struct xb_history_import *im)
{
	int err;

	if (!im)
		return 0;
	err = exec(im->h, im->err ? "ROLLBACK" : "COMMIT");
	if (im->err)
		err = im->err;
	xb_spamd_free(im->spamd);
	free(im->tab);
	free(im);
	return err;
}

/* ---- reports ---- */

static int span_of(struct xb_history *h, const char *sql, __s64 *lo, __s64 *hi)
{
	sqlite3_stmt *s = prepare(h, sql);

	if (!s)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		__s64 a = sqlite3_column_int64(s, 0), b = sqlite3_column_int64(s, 1);

		*lo = *lo && *lo < a ? *lo : a;
		*hi = *hi > b ? *hi : b;
	}
	sqlite3_finalize(s);
	return 0;
}

int xb_history_span(struct xb_history *h, __s64 *first, __s64 *last)
{
	__s64 lo = 0, hi = 0;
	int err;

	err = span_of(h, "SELECT min(t), max(t) FROM events", &lo, &hi) ?:
		      span_of(h, "SELECT min(minute), max(minute) + 59 FROM family_drops", &lo,
			      &hi) ?:
		      span_of(h, "SELECT min(minute), max(minute) + 59 FROM ban_drops", &lo, &hi);
	if (err)
		return err;
	if (!lo && !hi)
		return -ENODATA;
	*first = lo;
	*last = hi;
	return 0;
}

/* Prepared with the report's window and knobs bound by name. */
static sqlite3_stmt *rquery(struct xb_history *h, const struct xb_report *r, __u32 top,
			    const char *sql)
{
	sqlite3_stmt *s = prepare(h, sql);

	if (!s)
		return NULL;
	bind_named(s, ":since", r->since);
	bind_named(s, ":until", r->until);
	bind_named(s, ":quiet", (__s64)r->quiet_s);
	bind_named(s, ":step", r->step_s);
	bind_named(s, ":t0", r->since - r->since % r->step_s);
	bind_named(s, ":top", top);
	return s;
}

static __u64 col_u64(sqlite3_stmt *s, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(s, i);

	return v > 0 ? (__u64)v : 0;
}

static void col_str(sqlite3_stmt *s, int i, char *out, size_t size)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	snprintf(out, size, "%s", v ? (const char *)v : "");
}

/* Ends a query loop: 0 when it ran to its end. */
static int finish(struct xb_history *h, sqlite3_stmt *s, int rc)
{
	int err = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(h, rc, "report query");

	sqlite3_finalize(s);
	return err;
}

/*
 * The queries below see the window as :since and :until; a ban is kind 'ban' and not
 * origin 'restore' (fail2ban's Restore Ban puts back a ban made before, it makes none).
 */
static int report_totals(struct xb_history *h, struct xb_report *r)
{
	sqlite3_stmt *s;
	int rc;

	s = rquery(h, r, 0,
		   "SELECT coalesce(sum(packets), 0), coalesce(sum(bytes), 0) FROM family_drops"
		   " WHERE minute >= :since AND minute < :until");
	if (!s)
		return -EIO;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r->dropped_packets = col_u64(s, 0);
		r->dropped_bytes = col_u64(s, 1);
	}
	if (finish(h, s, rc))
		return -EIO;
	s = rquery(h, r, 0,
		   "SELECT coalesce(sum(kind = 'ban' AND origin != 'restore'), 0),"
		   " coalesce(sum(kind = 'unban'), 0), count(DISTINCT CASE WHEN kind = 'ban' AND"
		   " origin != 'restore' THEN prefix END), coalesce(sum(kind = 'spam'), 0)"
		   " FROM events WHERE t >= :since AND t < :until");
	if (!s)
		return -EIO;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r->bans = col_u64(s, 0);
		r->unbans = col_u64(s, 1);
		r->banned_addresses = col_u64(s, 2);
		r->spam = col_u64(s, 3);
	}
	return finish(h, s, rc);
}

static int report_logged(struct xb_history *h, struct xb_report *r)
{
	sqlite3_stmt *s = rquery(h, r, 0,
				 "SELECT proto, sum(packets), sum(bytes) FROM proto_drops WHERE"
				 " minute >= :since AND minute < :until GROUP BY proto");
	int rc;

	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(s, 0);

		for (int c = 0; c < __XB_CLASS_MAX; c++) {
			if (p && !strcmp(p, xb_report_class_names[c])) {
				r->logged[c] += col_u64(s, 1);
				r->logged_bytes[c] += col_u64(s, 2);
			}
		}
	}
	return finish(h, s, rc);
}

/* The smallest step that draws the window in at most 180 points. */
static __u32 pick_step(__s64 span)
{
	static const __u32 steps[] = {
		60,	  300,	     900,   1800,      3600,	   3 * 3600,
		6 * 3600, 12 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400,
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) - 1; i++) {
		if (span / steps[i] <= 180)
			break;
	}
	return steps[i];
}

static int series_fill(struct xb_history *h, struct xb_report *r, const char *sql, bool bans)
{
	sqlite3_stmt *s = rquery(h, r, 0, sql);
	int rc;

	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_int64 i = sqlite3_column_int64(s, 0);

		if (i < 0 || (size_t)i >= r->n_series)
			continue;
		if (bans) {
			r->series[i].bans += col_u64(s, 1);
		} else {
			r->series[i].packets += col_u64(s, 1);
			r->series[i].bytes += col_u64(s, 2);
		}
	}
	return finish(h, s, rc);
}

static int report_series(struct xb_history *h, struct xb_report *r)
{
	__s64 t0 = r->since - r->since % r->step_s;
	int err;

	r->n_series = (size_t)((r->until - t0 + r->step_s - 1) / r->step_s);
	r->series = calloc(r->n_series + 1, sizeof(*r->series));
	if (!r->series)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_series; i++)
		r->series[i].t = t0 + (__s64)i * r->step_s;
	err = series_fill(h, r,
			  "SELECT (minute - :t0) / :step, sum(packets), sum(bytes) FROM"
			  " family_drops WHERE minute >= :since AND minute < :until GROUP BY 1",
			  false);
	if (err)
		return err;
	return series_fill(h, r,
			   "SELECT (t - :t0) / :step, count(*) FROM events WHERE kind = 'ban' AND"
			   " origin != 'restore' AND t >= :since AND t < :until GROUP BY 1",
			   true);
}

/* Rows of (prefix, packets, bytes, bans, first, last, banned by, returns) into a list. */
static int offenders(struct xb_history *h, __u32 top, sqlite3_stmt *s,
		     struct xb_report_offender **out, size_t *n)
{
	int rc;

	*out = calloc(top + 1, sizeof(**out));
	*n = 0;
	if (!*out || !s) {
		sqlite3_finalize(s);
		return *out ? -EIO : -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < top) {
		struct xb_report_offender *o = &(*out)[(*n)++];

		col_str(s, 0, o->prefix, sizeof(o->prefix));
		o->packets = col_u64(s, 1);
		o->bytes = col_u64(s, 2);
		o->bans = col_u64(s, 3);
		o->first = sqlite3_column_int64(s, 4);
		o->last = sqlite3_column_int64(s, 5);
		col_str(s, 6, o->sources, sizeof(o->sources));
		o->returns = col_u64(s, 7);
	}
	return finish(h, s, rc);
}

/*
 * The top lists: the window's busiest prefixes first (an aggregate and a LIMIT), then, for
 * those few rows only, their bans or drops and who banned them ("source" or "source/jail").
 */
/* In a subquery on events, unqualified columns are its own. */
#define BANS_IN_WINDOW "kind = 'ban' AND origin != 'restore' AND t >= :since AND t < :until"

static const char top_drops_sql[] =
	"SELECT x.prefix, x.p, x.b, (SELECT count(*) FROM events e WHERE e.prefix = x.prefix AND"
	" " BANS_IN_WINDOW "), x.first, x.last, (SELECT group_concat(DISTINCT CASE WHEN jail ="
	" '' THEN source ELSE source || '/' || jail END) FROM events e WHERE e.prefix = x.prefix"
	" AND " BANS_IN_WINDOW "), 0 FROM (SELECT prefix, sum(packets) AS p, sum(bytes) AS b,"
	" min(minute) AS first, max(minute) AS last FROM ban_drops WHERE minute >= :since AND"
	" minute < :until AND prefix != '*' GROUP BY prefix ORDER BY p DESC, prefix LIMIT :top) x"
	" ORDER BY x.p DESC, x.prefix";

static const char top_bans_sql[] =
	"SELECT x.prefix, (SELECT coalesce(sum(packets), 0) FROM ban_drops d WHERE d.prefix ="
	" x.prefix AND d.minute >= :since AND d.minute < :until), (SELECT coalesce(sum(bytes), 0)"
	" FROM ban_drops d WHERE d.prefix = x.prefix AND d.minute >= :since AND d.minute <"
	" :until), x.n, x.first, x.last, x.who, 0 FROM (SELECT prefix, count(*) AS n, min(t) AS"
	" first, max(t) AS last, group_concat(DISTINCT CASE WHEN jail = '' THEN source ELSE"
	" source || '/' || jail END) AS who FROM events WHERE " BANS_IN_WINDOW " GROUP BY prefix"
	" ORDER BY n DESC, last DESC, prefix LIMIT :top) x ORDER BY x.n DESC, x.last DESC,"
	" x.prefix";

/*
 * Repeat offenders: bans in the window made after a ban of the same prefix had been lifted
 * (any unban before them). The last column is how many such prefixes there are in all.
 */
static const char repeat_sql[] =
	"WITH u AS (SELECT prefix, min(t) AS t FROM events WHERE kind = 'unban' AND t < :until"
	" GROUP BY prefix), ret AS (SELECT e.prefix, count(*) AS returns FROM events e JOIN u"
	" USING (prefix) WHERE e.kind = 'ban' AND e.origin != 'restore' AND e.t >= :since AND"
	" e.t < :until AND e.t > u.t GROUP BY e.prefix) SELECT"
	" x.prefix, (SELECT coalesce(sum(packets), 0) FROM ban_drops d WHERE d.prefix = x.prefix"
	" AND d.minute >= :since AND d.minute < :until), (SELECT coalesce(sum(bytes), 0) FROM"
	" ban_drops d WHERE d.prefix = x.prefix AND d.minute >= :since AND d.minute < :until),"
	" (SELECT count(*) FROM events e WHERE e.prefix = x.prefix AND " BANS_IN_WINDOW "),"
	" (SELECT min(t) FROM events e WHERE e.prefix = x.prefix AND " BANS_IN_WINDOW "),"
	" (SELECT max(t) FROM events e WHERE e.prefix = x.prefix AND " BANS_IN_WINDOW "),"
	" (SELECT group_concat(DISTINCT CASE WHEN jail = '' THEN source ELSE source || '/' ||"
	" jail END) FROM events e WHERE e.prefix = x.prefix AND " BANS_IN_WINDOW "),"
	" x.returns, x.total FROM (SELECT prefix, returns, count(*) OVER () AS total FROM ret"
	" ORDER BY returns DESC, prefix LIMIT :top) x ORDER BY x.returns DESC, x.prefix";

static int report_offenders(struct xb_history *h, struct xb_report *r, __u32 top)
{
	sqlite3_stmt *s;
	int err;

	err = offenders(h, top, rquery(h, r, top, top_drops_sql), &r->top_drops, &r->n_top_drops);
	if (err)
		return err;
	err = offenders(h, top, rquery(h, r, top, top_bans_sql), &r->top_bans, &r->n_top_bans);
	if (err)
		return err;
	s = rquery(h, r, top, repeat_sql);
	if (s && sqlite3_step(s) == SQLITE_ROW)
		r->repeat_total = col_u64(s, 8);
	if (s)
		sqlite3_reset(s);
	return offenders(h, top, s, &r->repeat, &r->n_repeat);
}

static int report_sources(struct xb_history *h, struct xb_report *r)
{
	sqlite3_stmt *s =
		rquery(h, r, 0,
		       "SELECT source, jail, count(*) AS n, count(DISTINCT prefix) FROM"
		       " events WHERE kind = 'ban' AND origin != 'restore' AND t >= :since"
		       " AND t < :until GROUP BY source, jail ORDER BY n DESC, source, jail"
		       " LIMIT 100");
	int rc;

	r->sources = calloc(101, sizeof(*r->sources));
	if (!r->sources || !s) {
		sqlite3_finalize(s);
		return r->sources ? -EIO : -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && r->n_sources < 100) {
		struct xb_report_source *o = &r->sources[r->n_sources++];

		col_str(s, 0, o->source, sizeof(o->source));
		col_str(s, 1, o->jail, sizeof(o->jail));
		o->bans = col_u64(s, 2);
		o->addresses = col_u64(s, 3);
	}
	return finish(h, s, rc);
}

static int count_active(struct xb_history *h, struct xb_report *r)
{
	sqlite3_stmt *s = rquery(
		h, r, 0,
		"WITH lb AS (SELECT prefix, max(t) AS t, duration FROM events WHERE kind = 'ban' "
		"AND"
		" t < :until GROUP BY prefix), lu AS (SELECT prefix, max(t) AS t FROM events WHERE"
		" kind = 'unban' AND t < :until GROUP BY prefix) SELECT count(*) FROM lb LEFT JOIN"
		" lu USING (prefix) WHERE (lu.t IS NULL OR lb.t > lu.t) AND (lb.duration IS NULL OR"
		" lb.t + lb.duration > :until)");
	int rc;

	if (!s)
		return -EIO;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		r->active = col_u64(s, 0);
	return finish(h, s, rc);
}

/*
 * Bans in force at :until: the last ban of their prefix is later than its last unban and
 * has not run out (SQLite gives the bare columns of a max() query from the max row). Of
 * those, the ones made at least :quiet ago without drops since :until - :quiet are
 * candidates to lift, quietest first; the packets since the ban only for the rows shown.
 */
static const char quiet_sql[] =
	"WITH lb AS (SELECT prefix, max(t) AS t, duration, source, jail FROM events WHERE kind ="
	" 'ban' AND t < :until GROUP BY prefix), lu AS (SELECT prefix, max(t) AS t FROM events"
	" WHERE kind = 'unban' AND t < :until GROUP BY prefix), act AS (SELECT lb.* FROM lb LEFT"
	" JOIN lu USING (prefix) WHERE (lu.t IS NULL OR lb.t > lu.t) AND (lb.duration IS NULL OR"
	" lb.t + lb.duration > :until)), ld AS (SELECT prefix, max(minute) AS m FROM ban_drops"
	" WHERE minute < :until GROUP BY prefix), q AS (SELECT act.*, ld.m FROM act LEFT JOIN ld"
	" USING (prefix) WHERE act.t <= :until - :quiet AND (ld.m IS NULL OR ld.m + 60 <= :until"
	" - :quiet)) SELECT x.prefix, x.t, coalesce(x.m, 0), (SELECT coalesce(sum(packets), 0)"
	" FROM ban_drops d WHERE d.prefix = x.prefix AND d.minute >= x.t - x.t % 60 AND d.minute"
	" < :until), CASE WHEN x.jail = '' THEN x.source ELSE x.source || '/' || x.jail END,"
	" x.total, (SELECT count(*) FROM act) FROM (SELECT *, count(*) OVER () AS total FROM q"
	" ORDER BY coalesce(m, 0), t, prefix LIMIT :top) x ORDER BY coalesce(x.m, 0), x.t,"
	" x.prefix";

static int report_quiet(struct xb_history *h, struct xb_report *r, __u32 top)
{
	sqlite3_stmt *s = rquery(h, r, top, quiet_sql);
	int rc;

	r->quiet = calloc(top + 1, sizeof(*r->quiet));
	if (!r->quiet || !s) {
		sqlite3_finalize(s);
		return r->quiet ? -EIO : -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && r->n_quiet < top) {
		struct xb_report_quiet *q = &r->quiet[r->n_quiet++];

		col_str(s, 0, q->prefix, sizeof(q->prefix));
		q->banned = sqlite3_column_int64(s, 1);
		q->last_drop = sqlite3_column_int64(s, 2);
		q->packets = col_u64(s, 3);
		col_str(s, 4, q->source, sizeof(q->source));
		r->quiet_total = col_u64(s, 5);
		r->active = col_u64(s, 6);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return finish(h, s, rc);
	sqlite3_finalize(s);
	/* No candidate row to carry the count: count the bans in force alone. */
	return r->n_quiet ? 0 : count_active(h, r);
}

/* Values of a one- or two-column query, sorted by the query; *n of them. */
static int load_values(struct xb_history *h, const struct xb_report *r, const char *sql, double **v,
		       double *sum2, size_t *n)
{
	sqlite3_stmt *s = rquery(h, r, 0, sql);
	size_t cap = 256;
	int rc;

	*n = 0;
	*sum2 = 0;
	*v = malloc(cap * sizeof(**v));
	if (!*v || !s) {
		sqlite3_finalize(s);
		return *v ? -EIO : -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			double *nv = realloc(*v, cap * 2 * sizeof(**v));

			if (!nv) {
				sqlite3_finalize(s);
				return -ENOMEM;
			}
			*v = nv;
			cap *= 2;
		}
		(*v)[(*n)++] = sqlite3_column_double(s, 0);
		if (sqlite3_column_count(s) > 1)
			*sum2 += sqlite3_column_double(s, 1);
	}
	return finish(h, s, rc);
}

static void dist_of(const double *v, size_t n, struct xb_report_dist *d)
{
	size_t p90 = (9 * n + 9) / 10; /* ceil(0.9 n) */

	memset(d, 0, sizeof(*d));
	d->n = n;
	if (!n)
		return;
	d->min = v[0];
	d->max = v[n - 1];
	d->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	d->p90 = v[p90 ? p90 - 1 : 0];
}

static int score_bucket(double score)
{
	int b = score < 5 ? 0 : (int)(score / 5);

	return b < XB_REPORT_SCORE_BUCKETS ? b : XB_REPORT_SCORE_BUCKETS - 1;
}

static int latency_bucket(double s)
{
	static const double limits[XB_REPORT_LATENCY_BUCKETS - 1] = { 1, 10, 60, 600, 3600, 86400 };
	int b = 0;

	while (b < XB_REPORT_LATENCY_BUCKETS - 1 && s > limits[b])
		b++;
	return b;
}

static int report_scores(struct xb_history *h, struct xb_report *r)
{
	double *v = NULL, sum2;
	size_t n;
	int err;

	/* Every spam message seen; without any (older histories), the scores of bans. */
	err = load_values(h, r,
			  "SELECT score, threshold FROM events WHERE kind = 'spam' AND score IS NOT"
			  " NULL AND t >= :since AND t < :until ORDER BY score",
			  &v, &sum2, &n);
	if (!err && !n) {
		free(v);
		err = load_values(
			h, r,
			"SELECT score, threshold FROM events WHERE kind = 'ban' AND origin !="
			" 'restore' AND score IS NOT NULL AND t >= :since AND t < :until"
			" ORDER BY score",
			&v, &sum2, &n);
	}
	if (!err) {
		dist_of(v, n, &r->score);
		r->threshold_avg = n ? sum2 / (double)n : 0;
		for (size_t i = 0; i < n; i++)
			r->score_hist[score_bucket(v[i])]++;
	}
	free(v);
	return err;
}

static int report_latency(struct xb_history *h, struct xb_report *r)
{
	double *v = NULL, unused;
	size_t n;
	int err;

	err = load_values(h, r,
			  "SELECT t - first_bad FROM events WHERE kind = 'ban' AND origin !="
			  " 'restore' AND first_bad IS NOT NULL AND first_bad <= t AND t >= :since"
			  " AND t < :until ORDER BY 1",
			  &v, &unused, &n);
	if (!err) {
		dist_of(v, n, &r->latency);
		for (size_t i = 0; i < n; i++)
			r->latency_hist[latency_bucket(v[i])]++;
	}
	free(v);
	return err;
}

int xb_history_report(struct xb_history *h, const struct xb_report_opts *opts,
		      struct xb_report **out)
{
	struct xb_report *r = calloc(1, sizeof(*r));
	__u32 top = opts->top ? opts->top : 10;
	__s64 last;
	int err;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->until = opts->until ? opts->until : now_s();
	r->since = opts->since;
	/* No start: from the first data (or a day back, when there is none). */
	if (!r->since && xb_history_span(h, &r->since, &last))
		r->since = r->until - 86400;
	if (r->since >= r->until)
		r->since = r->until - 1;
	r->quiet_s = opts->quiet_s ? opts->quiet_s : 86400;
	r->step_s = pick_step(r->until - r->since);
	err = report_totals(h, r) ?: report_logged(h, r) ?: report_series(h, r) ?:
		      report_offenders(h, r, top) ?: report_sources(h, r) ?:
		      report_quiet(h, r, top) ?: report_scores(h, r) ?: report_latency(h, r);
	if (err) {
		xb_report_free(r);
		return err;
	}
	*out = r;
	return 0;
}

void xb_report_free(struct xb_report *r)
{
	if (!r)
		return;
	free(r->series);
	free(r->top_drops);
	free(r->top_bans);
	free(r->repeat);
	free(r->sources);
	free(r->quiet);
	free(r);
}
