// SPDX-License-Identifier: GPL-2.0
/*
 * The history store of banctl report on a temporary database: events, samples of the hit
 * counters (deltas, bans appearing and going, refreshes), drop-log events, pruning and
 * roll-up, the log importer, and the numbers the report queries return.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "test_progs.h"
#include "xb_history.h"

struct tmpdb {
	char dir[64];
	char path[128];
};

static bool tmpdb_make(struct tmpdb *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/xb-history-XXXXXX");
	if (!mkdtemp(t->dir))
		return false;
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, XB_HISTORY_FILE);
	return true;
}

static void tmpdb_remove(struct tmpdb *t)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffix[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

static struct xb_prefix pfx(const char *text)
{
	struct xb_prefix p;

	xb_prefix_parse(text, &p, NULL);
	return p;
}

/* A CLOCK_BOOTTIME stamp that xb_boot_to_unix() turns into unix second t. */
static __u64 boot_ns_at(__s64 t)
{
	__s64 now = (__s64)time(NULL);

	return xb_now_boot_ns() - (__u64)(now - t) * 1000000000ULL;
}

static struct xb_ban_entry entry(const char *prefix, __s64 added, __u64 packets, __u8 origin,
				 const char *reason)
{
	struct xb_ban_entry e = { .pfx = pfx(prefix) };

	e.ban.added_ns = boot_ns_at(added);
	e.ban.packets = packets;
	e.ban.bytes = packets * 100;
	e.ban.origin = origin;
	snprintf(e.ban.reason, sizeof(e.ban.reason), "%s", reason);
	return e;
}

/* One integer from a query on the file, -1 on error. */
static long long query_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static const struct xb_report_offender *find_offender(const struct xb_report_offender *o, size_t n,
						      const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(o[i].prefix, prefix))
			return &o[i];
	}
	return NULL;
}

static void test_open(void)
{
	struct xb_history_opts w = { .mode = XB_HISTORY_WRITER }, r = { .mode = XB_HISTORY_READER };
	struct xb_history *h = NULL, *rd = NULL;
	struct xb_report_opts ro = {};
	struct xb_report *rep = NULL;
	struct tmpdb t;

	if (!ASSERT_TRUE(tmpdb_make(&t), "mkdtemp"))
		return;
	ASSERT_EQ(xb_history_open(&rd, t.path, &r), -ENOENT, "reader: no file");
	if (!ASSERT_OK(xb_history_open(&h, t.path, &w), "writer"))
		goto out;
	ASSERT_EQ(query_int(t.path, "PRAGMA user_version"), XB_HISTORY_SCHEMA_VERSION, "schema");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM pragma_journal_mode WHERE"
				    " journal_mode = 'wal'"),
		  1, "WAL mode");
	ASSERT_OK(access(t.path, F_OK), "file created");
	/* The reader runs while the writer holds the file open. */
	if (!ASSERT_OK(xb_history_open(&rd, t.path, &r), "reader"))
		goto out;
	ASSERT_OK(xb_history_report(rd, &ro, &rep), "report on an empty history");
	if (rep)
		ASSERT_EQ(rep->bans, 0, "no bans");
	xb_report_free(rep);
	/* A newer schema is refused, not misread. */
	xb_history_close(rd);
	rd = NULL;
	xb_history_close(h);
	h = NULL;
	{
		sqlite3 *db;

		sqlite3_open(t.path, &db);
		sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	ASSERT_EQ(xb_history_open(&rd, t.path, &r), -EPROTO, "newer schema");
out:
	xb_history_close(rd);
	xb_history_close(h);
	tmpdb_remove(&t);
}

static void test_events(void)
{
	struct xb_history_opts mo = { .mode = XB_HISTORY_MEMORY };
	struct xb_history *h = NULL;
	struct xb_report *r = NULL;
	__s64 t0 = 1700000000;
	struct xb_report_opts ro = { .since = t0 - 3600, .until = t0 + 3600, .quiet_s = 600 };
	struct xb_history_ban b = { .origin = XB_ORIGIN_REGEX, .source = "wp-login" };

	if (!ASSERT_OK(xb_history_open(&h, NULL, &mo), "open"))
		return;
	b.when = t0;
	b.pfx = pfx("203.0.113.7");
	b.first_bad = t0 - 30;
	ASSERT_OK(xb_history_ban(h, &b), "ban 1");
	ASSERT_OK(xb_history_unban(h, t0 + 600, &b.pfx, "expired"), "unban 1");
	b.when = t0 + 900;
	b.first_bad = 0;
	ASSERT_OK(xb_history_ban(h, &b), "ban 2 of the same address");
	ASSERT_OK(xb_history_first_bad(h, &b.pfx, t0 + 898, t0 + 901), "first bad line, later");
	ASSERT_EQ(xb_history_first_bad(h, &b.pfx, t0, t0 + 3000), -ENOENT, "no ban then");
	b.pfx = pfx("2001:db8::7");
	b.origin = XB_ORIGIN_SPAMD;
	b.source = "spam";
	b.when = t0 + 60;
	b.has_score = true;
	b.score = 12.5;
	b.threshold = 5;
	b.first_bad = t0 + 60 - 7200;
	ASSERT_OK(xb_history_ban(h, &b), "spamd ban");
	ASSERT_OK(xb_history_spam(h, t0 + 60, &b.pfx, 12.5, 5), "spam 1");
	ASSERT_OK(xb_history_spam(h, t0 + 61, &b.pfx, 31, 5), "spam 2");
	ASSERT_OK(xb_history_spam(h, t0 + 62, &b.pfx, 7, 5), "spam 3");
	if (!ASSERT_OK(xb_history_report(h, &ro, &r), "report"))
		goto out;
	ASSERT_EQ(r->bans, 3, "bans");
	ASSERT_EQ(r->unbans, 1, "unbans");
	ASSERT_EQ(r->banned_addresses, 2, "addresses");
	ASSERT_EQ(r->spam, 3, "spam messages");
	ASSERT_EQ(r->score.n, 3, "scores");
	ASSERT_EQ(r->score_hist[1], 1, "5-10");
	ASSERT_EQ(r->score_hist[2], 1, "10-15");
	ASSERT_EQ(r->score_hist[6], 1, "30+");
	ASSERT_TRUE(r->score.median == 12.5, "median score");
	ASSERT_EQ(r->latency.n, 3, "bans with a first bad line");
	ASSERT_TRUE(r->latency.min == 2 && r->latency.median == 30 && r->latency.max == 7200,
		    "latency min/median/max");
	ASSERT_EQ(r->latency_hist[1], 1, "2 s: <=10s");
	ASSERT_EQ(r->latency_hist[2], 1, "30 s: <=1m");
	ASSERT_EQ(r->latency_hist[5], 1, "2 h: <=1d");
	ASSERT_EQ(r->repeat_total, 1, "one address came back");
	if (ASSERT_EQ(r->n_repeat, 1, "repeat rows")) {
		ASSERT_STREQ(r->repeat[0].prefix, "203.0.113.7/32", "repeat offender");
		ASSERT_EQ(r->repeat[0].bans, 2, "its bans");
		ASSERT_EQ(r->repeat[0].returns, 1, "its returns");
	}
	ASSERT_EQ(r->active, 2, "both banned at the end");
	ASSERT_EQ(r->quiet_total, 2, "neither dropped anything");
	if (ASSERT_GE(r->n_sources, 2, "sources")) {
		ASSERT_STREQ(r->sources[0].source, "wp-login", "busiest source");
		ASSERT_EQ(r->sources[0].bans, 2, "its bans");
		ASSERT_EQ(r->sources[0].addresses, 1, "its addresses");
	}
	if (ASSERT_GE(r->n_top_bans, 1, "top by bans"))
		ASSERT_STREQ(r->top_bans[0].prefix, "203.0.113.7/32", "most banned");
out:
	xb_report_free(r);
	xb_history_close(h);
}

static void test_sample(void)
{
	struct xb_history_opts w = { .mode = XB_HISTORY_WRITER };
	struct xb_history *h = NULL;
	struct xb_report *r = NULL;
	__s64 now = (__s64)time(NULL);
	struct xb_counters c = {};
	struct xb_ban_entry e[3];
	struct xb_report_opts ro = { .since = now - 7200, .until = now + 600, .quiet_s = 60 };
	const struct xb_report_offender *o;
	struct tmpdb t;

	if (!ASSERT_TRUE(tmpdb_make(&t), "mkdtemp"))
		return;
	if (!ASSERT_OK(xb_history_open(&h, t.path, &w), "open"))
		goto out;
	/* A manual ban and a source's ban whose event the daemon recorded already. */
	e[0] = entry("198.51.100.0/24", now - 2, 5, XB_ORIGIN_MANUAL, "scanners");
	e[1] = entry("203.0.113.7", now - 2, 0, XB_ORIGIN_FAIL2BAN, "f2b/sshd");
	{
		struct xb_history_ban b = { .when = now - 1,
					    .pfx = e[1].pfx,
					    .origin = XB_ORIGIN_FAIL2BAN,
					    .source = "f2b",
					    .jail = "sshd" };

		ASSERT_OK(xb_history_ban(h, &b), "source ban");
	}
	c.dropped_v4.packets = 1000;
	ASSERT_OK(xb_history_sample_bans(h, e, 2, &c, now), "sample 1");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM events WHERE kind = 'ban'"), 2,
		  "the manual ban got an event, the source's kept its own");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM events WHERE source = 'manual'"), 1,
		  "manual ban's source");
	ASSERT_EQ(query_int(t.path, "SELECT sum(packets) FROM ban_drops"), 5, "first deltas");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM family_drops"), 0,
		  "no family delta on the first sample");
	/* A minute later: counters grew; a refresh keeps added and counters. */
	e[0].ban.packets = 25;
	e[0].ban.bytes = 2500;
	e[1].ban.packets = 7;
	e[1].ban.bytes = 700;
	c.dropped_v4.packets = 1032;
	ASSERT_OK(xb_history_sample_bans(h, e, 2, &c, now + 60), "sample 2");
	ASSERT_EQ(query_int(t.path, "SELECT sum(packets) FROM ban_drops"), 32, "deltas");
	ASSERT_EQ(query_int(t.path, "SELECT sum(packets) FROM family_drops WHERE family = 4"), 32,
		  "family delta");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM events WHERE kind = 'ban'"), 2,
		  "no new ban events");
	/* The /24 goes (banctl del), the host is banned again (new added time, new counters). */
	e[1] = entry("203.0.113.7", now + 100, 3, XB_ORIGIN_FAIL2BAN, "f2b/sshd");
	ASSERT_OK(xb_history_sample_bans(h, &e[1], 1, &c, now + 120), "sample 3");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM events WHERE kind = 'unban' AND"
				    " reason = 'removed'"),
		  1, "the /24's unban");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM events WHERE kind = 'ban'"), 3,
		  "the host's new ban");
	ASSERT_EQ(query_int(t.path, "SELECT sum(packets) FROM ban_drops WHERE prefix ="
				    " '203.0.113.7/32'"),
		  10, "the new ban's counters count whole");
	/* Expiry with its final counters. */
	e[1].ban.packets = 4;
	e[1].ban.bytes = 400;
	ASSERT_OK(xb_history_expired(h, &e[1], now + 150), "expired");
	ASSERT_EQ(query_int(t.path, "SELECT sum(packets) FROM ban_drops"), 36, "final delta");
	ASSERT_OK(xb_history_sample_bans(h, NULL, 0, &c, now + 180), "sample 4");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM events WHERE kind = 'unban'"), 2,
		  "an expiry is not reported again as removed");
	if (!ASSERT_OK(xb_history_report(h, &ro, &r), "report"))
		goto out;
	ASSERT_EQ(r->dropped_packets, 32, "dropped (interface counters)");
	o = find_offender(r->top_drops, r->n_top_drops, "198.51.100.0/24");
	if (ASSERT_OK_PTR(o, "the /24 in top drops")) {
		ASSERT_EQ(o->packets, 25, "its packets");
		ASSERT_EQ(o->bans, 1, "its bans");
	}
	if (ASSERT_GE(r->n_top_drops, 2, "two offenders"))
		ASSERT_STREQ(r->top_drops[0].prefix, "198.51.100.0/24", "ordered by packets");
	ASSERT_EQ(r->active, 0, "nothing in force at the end");
out:
	xb_report_free(r);
	xb_history_close(h);
	tmpdb_remove(&t);
}

/* Bans in force without traffic are candidates to lift; busy ones are not. */
static void test_quiet(void)
{
	struct xb_history_opts w = { .mode = XB_HISTORY_WRITER };
	struct xb_history *h = NULL;
	struct xb_report *r = NULL;
	__s64 now = (__s64)time(NULL);
	struct xb_ban_entry e[3];
	struct xb_report_opts ro = { .since = now - 86400, .until = now + 3600, .quiet_s = 1800 };
	struct tmpdb t;

	if (!ASSERT_TRUE(tmpdb_make(&t), "mkdtemp"))
		return;
	if (!ASSERT_OK(xb_history_open(&h, t.path, &w), "open"))
		goto out;
	e[0] = entry("192.0.2.1", now, 0, XB_ORIGIN_MANUAL, "");
	e[1] = entry("192.0.2.2", now, 0, XB_ORIGIN_MANUAL, "");
	e[2] = entry("192.0.2.3", now, 0, XB_ORIGIN_MANUAL, "");
	ASSERT_OK(xb_history_sample_bans(h, e, 3, NULL, now + 1), "sample");
	e[1].ban.packets = 9;
	ASSERT_OK(xb_history_sample_bans(h, e, 3, NULL, now + 61), "traffic early");
	ASSERT_OK(xb_history_sample_bans(h, e, 3, NULL, now + 3000), "no traffic");
	e[2].ban.packets = 9;
	ASSERT_OK(xb_history_sample_bans(h, e, 3, NULL, now + 3500), "traffic late");
	if (!ASSERT_OK(xb_history_report(h, &ro, &r), "report"))
		goto out;
	ASSERT_EQ(r->active, 3, "three in force");
	ASSERT_EQ(r->quiet_total, 2, "two without traffic for 30 min");
	if (ASSERT_EQ(r->n_quiet, 2, "rows")) {
		ASSERT_STREQ(r->quiet[0].prefix, "192.0.2.1/32", "never hit first");
		ASSERT_EQ(r->quiet[0].last_drop, 0, "no drop");
		ASSERT_STREQ(r->quiet[1].prefix, "192.0.2.2/32", "then the one hit early");
		ASSERT_EQ(r->quiet[1].packets, 9, "its packets");
	}
out:
	xb_report_free(r);
	xb_history_close(h);
	tmpdb_remove(&t);
}

static void test_drop_events(void)
{
	struct xb_history_opts mo = { .mode = XB_HISTORY_MEMORY };
	struct xb_history *h = NULL;
	struct xb_report *r = NULL;
	struct xb_event ev = { .ts_ns = xb_now_boot_ns(), .frame_len = 60 };
	struct xb_report_opts ro = { .since = (__s64)time(NULL) - 600,
				     .until = (__s64)time(NULL) + 600 };

	if (!ASSERT_OK(xb_history_open(&h, NULL, &mo), "open"))
		return;
	for (int i = 0; i < 5; i++) {
		ev.class = i < 3 ? XB_CLASS_TCP : XB_CLASS_ICMP;
		ASSERT_OK(xb_history_drop_event(h, &ev), "event");
	}
	ev.class = 200; /* not a class: other */
	ASSERT_OK(xb_history_drop_event(h, &ev), "bad class");
	ASSERT_OK(xb_history_flush(h), "flush");
	if (ASSERT_OK(xb_history_report(h, &ro, &r), "report")) {
		ASSERT_EQ(r->logged[XB_CLASS_TCP], 3, "tcp");
		ASSERT_EQ(r->logged[XB_CLASS_ICMP], 2, "icmp");
		ASSERT_EQ(r->logged[XB_CLASS_OTHER], 1, "other");
		ASSERT_EQ(r->logged_bytes[XB_CLASS_TCP], 180, "tcp bytes");
	}
	xb_report_free(r);
	xb_history_close(h);
}

static void test_prune(void)
{
	struct xb_history_opts w = { .mode = XB_HISTORY_WRITER, .retention_s = 7 * 86400 };
	struct xb_history *h = NULL;
	__s64 now = (__s64)time(NULL), hour = now - 2 * 86400;
	struct xb_history_ban b = { .origin = XB_ORIGIN_MANUAL };
	struct xb_ban_entry e[2];
	struct tmpdb t;

	if (!ASSERT_TRUE(tmpdb_make(&t), "mkdtemp"))
		return;
	if (!ASSERT_OK(xb_history_open(&h, t.path, &w), "open"))
		goto out;
	hour -= hour % 3600;
	/* Two days ago, three samples in one hour: two minute rows, one hourly after. */
	e[0] = entry("192.0.2.9", hour - 60, 0, XB_ORIGIN_MANUAL, "");
	/* In force since before the retention: its ban event stays. */
	e[1] = entry("192.0.2.11", now - 10 * 86400, 0, XB_ORIGIN_MANUAL, "");
	ASSERT_OK(xb_history_sample_bans(h, e, 2, NULL, hour), "old sample 1");
	e[0].ban.packets = 4;
	ASSERT_OK(xb_history_sample_bans(h, e, 2, NULL, hour + 120), "old sample 2");
	e[0].ban.packets = 10;
	ASSERT_OK(xb_history_sample_bans(h, e, 2, NULL, hour + 240), "old sample 3");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM ban_drops"), 2, "minute rows");
	/* Ten days ago, and over: past retention. */
	b.when = now - 10 * 86400;
	b.pfx = pfx("192.0.2.10");
	ASSERT_OK(xb_history_ban(h, &b), "old ban");
	ASSERT_OK(xb_history_unban(h, b.when + 60, &b.pfx, "expired"), "old unban");
	ASSERT_OK(xb_history_prune(h, now), "prune");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM ban_drops"), 1, "one hourly row");
	ASSERT_EQ(query_int(t.path, "SELECT sum(packets) FROM ban_drops"), 10, "same total");
	ASSERT_EQ(query_int(t.path, "SELECT minute % 3600 FROM ban_drops"), 0, "on the hour");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM events WHERE prefix = '192.0.2.10/32'"),
		  0, "events past retention pruned");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM events WHERE prefix = '192.0.2.11/32'"),
		  1, "the event of a ban in force is kept");
	ASSERT_EQ(query_int(t.path, "SELECT count(*) FROM events WHERE prefix = '192.0.2.9/32'"), 1,
		  "recent events kept");
out:
	xb_history_close(h);
	tmpdb_remove(&t);
}

/* Lines of the fixtures' kinds, as --from-log reads them. */
static const char *const import_lines[] = {
	"2024-03-10 01:54:00,100 fail2ban.filter         [812]: INFO    [sshd] Found 203.0.113.7 "
	"- 2024-03-10 01:54:00",
	"2024-03-10 01:54:20,100 fail2ban.filter         [812]: INFO    [sshd] Found 203.0.113.7 "
	"- 2024-03-10 01:54:20",
	"2024-03-10 01:54:41,321 fail2ban.actions        [812]: NOTICE  [sshd] Ban 203.0.113.7",
	"2024-03-10T01:55:02+00:00 edge1 kernel: [12345.678901] Denied TCP: IN=eth0 OUT= "
	"MAC=4e:1a:fb:56:7e:3d:e2:c7:64:f6:2f:62:08:00 SRC=203.0.113.7 DST=198.51.100.1 LEN=60 "
	"TOS=0x00 PREC=0x00 TTL=52 ID=54321 DF PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 "
	"SYN URGP=0 ",
	"2024-03-10T01:55:03+00:00 edge1 kernel: Denied ICMP: IN=eth0 OUT= MAC=4e:1a "
	"SRC=203.0.113.7 "
	"DST=198.51.100.1 LEN=84 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=ICMP TYPE=8 CODE=0 ID=1 "
	"SEQ=1 ",
	/* Another program's syslog line carrying the same text: not a drop. */
	"2024-03-10T01:55:04+00:00 edge1 logger: Denied: IN=eth0 OUT= SRC=192.0.2.66 DST=1.2.3.4 "
	"LEN=1 PROTO=TCP ",
	"2024-03-10 02:54:41,400 fail2ban.actions        [812]: NOTICE  [sshd] Unban 203.0.113.7",
	"2024-03-10 03:00:00,000 fail2ban.actions        [812]: NOTICE  [sshd] Ban 203.0.113.7",
	"2024-03-10T01:56:00+00:00 mail spamd[99]: spamd: identified spam (14.2/5.0) from "
	"[198.51.100.23] for nobody:65534 in 0.5 seconds, 4000 bytes.",
	"a line that is none of these",
};

static void test_import(void)
{
	struct xb_history_opts mo = { .mode = XB_HISTORY_MEMORY };
	struct xb_history_import_stats st;
	struct xb_history_import *im = NULL;
	struct xb_history *h = NULL;
	struct xb_report *r = NULL;
	struct xb_report_opts ro = {};
	__s64 first = 0, last = 0;

	setenv("TZ", "UTC", 1);
	tzset();
	if (!ASSERT_OK(xb_history_open(&h, NULL, &mo), "open"))
		return;
	if (!ASSERT_OK(xb_history_import_new(h, &im), "import"))
		goto out;
	for (size_t i = 0; i < sizeof(import_lines) / sizeof(import_lines[0]); i++)
		ASSERT_OK(xb_history_import_line(im, import_lines[i], strlen(import_lines[i]), 0),
			  import_lines[i]);
	xb_history_import_stats(im, &st);
	ASSERT_OK(xb_history_import_end(im), "end");
	ASSERT_EQ(st.found, 2, "found");
	ASSERT_EQ(st.bans, 2, "bans");
	ASSERT_EQ(st.unbans, 1, "unbans");
	ASSERT_EQ(st.drops, 2, "drops");
	ASSERT_EQ(st.spam, 1, "spam");
	ASSERT_EQ(st.unknown, 2, "the logger line and the junk");
	if (!ASSERT_OK(xb_history_span(h, &first, &last), "span"))
		goto out;
	ASSERT_EQ(first, 1710035681, "the first Ban: 2024-03-10 01:54:41 UTC");
	ro.since = first;
	ro.until = last + 1;
	ro.quiet_s = 600;
	if (!ASSERT_OK(xb_history_report(h, &ro, &r), "report"))
		goto out;
	ASSERT_EQ(r->dropped_packets, 2, "logged drops");
	ASSERT_EQ(r->dropped_bytes, 144, "their IP bytes");
	ASSERT_EQ(r->logged[XB_CLASS_TCP], 1, "tcp");
	ASSERT_EQ(r->logged[XB_CLASS_ICMP], 1, "icmp");
	ASSERT_EQ(r->bans, 2, "bans");
	ASSERT_EQ(r->latency.n, 1, "one ban had Found lines");
	ASSERT_TRUE(r->latency.max == 41, "41 s from the first Found to the Ban");
	ASSERT_EQ(r->score.n, 1, "one spam score");
	ASSERT_EQ(r->score_hist[2], 1, "14.2: 10-15");
	ASSERT_EQ(r->repeat_total, 1, "banned again after its unban");
	if (ASSERT_GE(r->n_top_drops, 1, "top drops")) {
		ASSERT_STREQ(r->top_drops[0].prefix, "203.0.113.7/32", "top offender");
		ASSERT_EQ(r->top_drops[0].bans, 2, "its bans");
		ASSERT_STREQ(r->top_drops[0].sources, "fail2ban/sshd", "its source and jail");
	}
	if (ASSERT_GE(r->n_sources, 1, "sources")) {
		ASSERT_STREQ(r->sources[0].source, "fail2ban", "source");
		ASSERT_STREQ(r->sources[0].jail, "sshd", "jail");
	}
out:
	xb_report_free(r);
	xb_history_close(h);
}

/* Yearless syslog stamps take their year from the file's time, not today's. */
static void test_import_year(void)
{
	static const char line[] =
		"Nov 27 01:54:17 edge1 xdpband: Denied TCP: IN=eth0 OUT= MAC=4e SRC=203.0.113.7 "
		"DST=198.51.100.1 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=1 DPT=80 "
		"WINDOW=1 RES=0x00 SYN URGP=0 ";
	struct xb_history_opts mo = { .mode = XB_HISTORY_MEMORY };
	struct xb_history_import *im = NULL;
	struct xb_history *h = NULL;
	__s64 first = 0, last = 0;

	setenv("TZ", "UTC", 1);
	tzset();
	if (!ASSERT_OK(xb_history_open(&h, NULL, &mo), "open"))
		return;
	if (ASSERT_OK(xb_history_import_new(h, &im), "import")) {
		/* the file was last written on 2023-01-05: November is 2022's */
		ASSERT_OK(xb_history_import_line(im, line, strlen(line), 1672876800), "line");
		ASSERT_OK(xb_history_import_end(im), "end");
	}
	if (ASSERT_OK(xb_history_span(h, &first, &last), "span"))
		ASSERT_EQ(first, 1669514040, "2022-11-27 01:54 UTC (its minute)");
	xb_history_close(h);
}

void test_history(void)
{
	if (test__start_subtest("open"))
		test_open();
	if (test__start_subtest("events"))
		test_events();
	if (test__start_subtest("sample"))
		test_sample();
	if (test__start_subtest("quiet"))
		test_quiet();
	if (test__start_subtest("drop_events"))
		test_drop_events();
	if (test__start_subtest("prune"))
		test_prune();
	if (test__start_subtest("import"))
		test_import();
	if (test__start_subtest("import_year"))
		test_import_year();
}
