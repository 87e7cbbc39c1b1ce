// SPDX-License-Identifier: GPL-2.0
/*
 * The spamd source (user/lib/xb_spamd.c): the real lines captured from spamd 4.0.1 and
 * rsyslog on Debian 12 (the samples of the project's fixtures), a patched spamd's
 * "from [IP]", the XdpbanRelayIP plugin's "relayip=", the postfix join, and lines a sender
 * shapes through its Message-ID, a recipient (spamc's user name) or a subject.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "test_progs.h"
#include "xb_sources.h"

/* Headers of the three formats, as in the samples. */
#define FILE_HDR "Thu Nov 26 23:22:34 2026 [8944] info: "
#define RFC_HDR "2026-11-26T23:23:29+00:00 localhost spamd[9743]: "
#define TRAD_HDR "Nov 26 23:23:29 localhost spamd[9743]: "
#define SEED_HDR "Apr 22 21:20:23 hostname spamd[17844]: "

/* spamd 4.0.1's result line around its user= field, as spamd -s FILE wrote it. */
#define RESULT(yorn_score, user)                                                        \
	"spamd: result: " yorn_score " - GTUBE,RCVD_ILLEGAL_IP,RDNS_NONE scantime=0.1," \
	"size=482,user=" user ",uid=103,required_score=5.0,rhost=localhost,"            \
	"raddr=127.0.0.1,rport=56942,mid=<gtube-1@bot.example>,autolearn=no "           \
	"autolearn_force=no"
#define SPAM(user) RESULT("Y 1003", user)
#define PATCHED(user)                                                     \
	"spamd: identified spam (999.0/5.0) from [203.0.113.7] for " user \
	" in 0.2 seconds, 2152 bytes."

struct line_case {
	const char *name;
	const char *line;
	enum xb_line_kind kind;
	const char *addr; /* FAIL: as xb_prefix_format() writes it */
	bool has_score;
	double score, threshold;
};

#define MISS(name, line)                                    \
	{                                                   \
		name, line, XB_LINE_MISS, NULL, false, 0, 0 \
	}
#define FAIL(name, line, addr, score, thr)                       \
	{                                                        \
		name, line, XB_LINE_FAIL, addr, true, score, thr \
	}

static const struct line_case sample_cases[] = {
	/* spamd-file.log: stock spamd names no sender. */
	MISS("file_started", "Thu Nov 26 23:20:31 2026 [5991] info: spamd: server started on "
			     "IO::Socket::IP [127.0.0.1]:7830 (running version 4.0.1)"),
	MISS("file_connection", "Thu Nov 26 23:20:40 2026 [5995] info: spamd: connection from "
				"localhost [127.0.0.1]:33730 to port 7830, fd 5"),
	MISS("file_processing", "Thu Nov 26 23:20:40 2026 [5995] info: spamd: processing message "
				"<gtube-1@bot.example> for root:103"),
	MISS("file_identified", "Thu Nov 26 23:20:40 2026 [5995] info: spamd: identified spam "
				"(1003.7/5.0) for root:103 in 0.1 seconds, 482 bytes."),
	MISS("file_result_spam", FILE_HDR SPAM("root")),
	MISS("file_clean", "Thu Nov 26 23:20:40 2026 [5996] info: spamd: clean message (1.3/5.0) "
			   "for root:103 in 0.1 seconds, 532 bytes."),
	MISS("file_result_clean",
	     "Thu Nov 26 23:20:40 2026 [5996] info: spamd: result: .  1 - RCVD_ILLEGAL_IP "
	     "scantime=0.1,size=532,user=root,uid=103,required_score=5.0,rhost=localhost,"
	     "raddr=127.0.0.1,rport=33738,mid=<lunch-42@friend.example>,autolearn=no "
	     "autolearn_force=no"),
	MISS("file_killed", "Thu Nov 26 23:20:50 2026 [5991] info: spamd: server killed by "
			    "SIGTERM, shutting down"),
	/* spamd-file-relayip.log: the plugin names the last external relay. */
	FAIL("relayip_spam", FILE_HDR SPAM("root") ",relayip=203.0.113.7", "203.0.113.7/32", 1003,
	     5.0),
	MISS("relayip_clean",
	     "Thu Nov 26 23:22:34 2026 [8941] info: spamd: result: .  1 - RCVD_ILLEGAL_IP "
	     "scantime=0.1,size=532,user=root,uid=103,required_score=5.0,rhost=localhost,"
	     "raddr=127.0.0.1,rport=56950,mid=<lunch-42@friend.example>,autolearn=no "
	     "autolearn_force=no,relayip=198.51.100.20"),
	/* mail-syslog-*.log: through rsyslog. */
	MISS("rfc3339_identified", RFC_HDR "spamd: identified spam (1003.7/5.0) for root:103 in "
					   "0.1 seconds, 482 bytes."),
	MISS("rfc3339_result", RFC_HDR SPAM("root")),
	FAIL("rfc3339_relayip", RFC_HDR SPAM("root") ",relayip=203.0.113.7", "203.0.113.7/32", 1003,
	     5.0),
	MISS("traditional_identified", TRAD_HDR "spamd: identified spam (1003.7/5.0) for root:103 "
						"in 0.1 seconds, 482 bytes."),
	FAIL("traditional_relayip", TRAD_HDR SPAM("root") ",relayip=203.0.113.7", "203.0.113.7/32",
	     1003, 5.0),
	/* seed-patched-spamd.log */
	MISS("seed_stock", "Mar 16 01:19:51 hostname spamd[26879]: spamd: identified spam "
			   "(1000.0/5.0) for spamassassin:1003 in 0.3 seconds, 1491 bytes."),
	FAIL("seed_patched", SEED_HDR PATCHED("spamassassin:1003"), "203.0.113.7/32", 999.0, 5.0),
};

static const struct line_case variant_cases[] = {
	FAIL("patched_v6",
	     SEED_HDR "spamd: identified spam (12.5/5.0) from [2001:db8::7] for a:1 in 0.2 "
		      "seconds, 2152 bytes.",
	     "2001:db8::7/128", 12.5, 5.0),
	FAIL("patched_v4_mapped",
	     SEED_HDR "spamd: identified spam (12.5/5.0) from [::ffff:203.0.113.7] for a:1 in 1 "
		      "seconds, 2 bytes.",
	     "203.0.113.7/32", 12.5, 5.0),
	FAIL("patched_negative_threshold",
	     SEED_HDR "spamd: identified spam (-0.5/-1.0) from [203.0.113.7] for a:1 in 1 seconds, "
		      "2 bytes.",
	     "203.0.113.7/32", -0.5, -1.0),
	FAIL("patched_spamd_file", FILE_HDR PATCHED("root:103"), "203.0.113.7/32", 999.0, 5.0),
	FAIL("relayip_v6", RFC_HDR SPAM("root") ",relayip=2001:db8:5::7", "2001:db8:5::7/128", 1003,
	     5.0),
	FAIL("relayip_after_other_plugin",
	     RFC_HDR SPAM("root") ",shortcircuit=no,relayip=203.0.113.7", "203.0.113.7/32", 1003,
	     5.0),
	FAIL("relayip_one_digit_score", RFC_HDR RESULT("Y  6", "root") ",relayip=203.0.113.7",
	     "203.0.113.7/32", 6, 5.0),
	FAIL("relayip_negative_score", RFC_HDR RESULT("Y -2", "root") ",relayip=203.0.113.7",
	     "203.0.113.7/32", -2, 5.0),
	FAIL("relayip_no_tests",
	     RFC_HDR
	     "spamd: result: Y 7 -  scantime=0.1,size=1,user=a,uid=1,required_score=5.0,"
	     "rhost=localhost,raddr=127.0.0.1,rport=1,mid=<x@y>,autolearn=no,relayip=203.0.113.7",
	     "203.0.113.7/32", 7, 5.0),
	/* Not what spamd writes; the score is then only informative. */
	{ "relayip_no_required_score",
	  RFC_HDR "spamd: result: Y 7 - GTUBE scantime=0.1,size=1,user=a,mid=<x@y>,autolearn=no,"
		  "relayip=203.0.113.7",
	  XB_LINE_FAIL, "203.0.113.7/32", false, 7, 0 },
	FAIL("syslog_no_pid", "Nov 26 23:23:29 localhost spamd: " PATCHED("a:1"), "203.0.113.7/32",
	     999.0, 5.0),
	FAIL("traditional_padded_day", "Nov  6 23:23:29 localhost spamd[1]: " PATCHED("a:1"),
	     "203.0.113.7/32", 999.0, 5.0),
	FAIL("rfc3339_fraction_z", "2026-11-26T23:23:29.123456Z h spamd[1]: " PATCHED("a:1"),
	     "203.0.113.7/32", 999.0, 5.0),
	MISS("other_program", "Nov 26 23:23:29 localhost amavis[1]: " PATCHED("a:1")),
	MISS("no_spamd_colon", TRAD_HDR "identified spam (999.0/5.0) from [203.0.113.7] for a:1 in "
					"0.2 seconds, 2152 bytes."),
	MISS("empty", ""),
	MISS("header_only", TRAD_HDR),
	MISS("bad_month", "2026-13-26T23:23:29+00:00 localhost spamd[1]: " PATCHED("a:1")),
	MISS("bad_hour", "Nov 26 24:23:29 localhost spamd[1]: " PATCHED("a:1")),
	MISS("bad_day", "Nov 32 23:23:29 localhost spamd[1]: " PATCHED("a:1")),
	MISS("bad_pid", "Nov 26 23:23:29 localhost spamd[x]: " PATCHED("a:1")),
};

/* What a sender, a recipient or a subject can put in a line must not name an address. */
static const struct line_case injection_cases[] = {
	MISS("stock_user_fake_from",
	     TRAD_HDR "spamd: identified spam (999.0/5.0) for x from [1.2.3.4] in 0.1 seconds, 1 "
		      "bytes."),
	MISS("stock_user_whole_tail",
	     TRAD_HDR "spamd: identified spam (999.0/5.0) for a:1 in 1 seconds, 1 bytes. from "
		      "[1.2.3.4] for a:1 in 1 seconds, 1 bytes."),
	MISS("patched_user_with_space", SEED_HDR PATCHED("a from [1.2.3.4]:1")),
	MISS("patched_trailing", SEED_HDR PATCHED("a:1") " "),
	MISS("patched_no_period",
	     SEED_HDR "spamd: identified spam (999.0/5.0) from [203.0.113.7] for a:1 in 0.2 "
		      "seconds, 2152 bytes"),
	MISS("subject_in_postfix_warning",
	     "Nov 26 23:23:29 mx postfix/cleanup[7]: 4F1E52A0B1: warning: header Subject: "
	     "spamd: identified spam (999.0/5.0) from [1.2.3.4] for a:1 in 0.1 seconds, 1 bytes."),
	MISS("text_before_spamd", TRAD_HDR "x " PATCHED("a:1")),
	MISS("processing_message",
	     TRAD_HDR "spamd: processing message <spamd:_identified_spam_(9/5)_from_[1.2.3.4]> for "
		      "a:1"),
	MISS("user_relayip_no_plugin", RFC_HDR SPAM("x,relayip=1.2.3.4")),
	MISS("user_autolearn_relayip_no_plugin", RFC_HDR SPAM("x,autolearn=no,relayip=1.2.3.4")),
	FAIL("user_relayip_with_plugin", RFC_HDR SPAM("x,relayip=1.2.3.4") ",relayip=203.0.113.7",
	     "203.0.113.7/32", 1003, 5.0),
	FAIL("user_required_score", RFC_HDR SPAM("x,required_score=1000.0") ",relayip=203.0.113.7",
	     "203.0.113.7/32", 1003, 5.0),
	MISS("mid_relayip",
	     RFC_HDR "spamd: result: Y 1003 - GTUBE scantime=0.1,size=1,user=a,uid=1,"
		     "required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=1,"
		     "mid=<relayip=1.2.3.4>,autolearn=no autolearn_force=no"),
	MISS("two_relayips", RFC_HDR SPAM("root") ",relayip=203.0.113.7,relayip=1.2.3.4"),
	MISS("relayip_prefix", RFC_HDR SPAM("root") ",relayip=203.0.113.0/24"),
	MISS("relayip_name", RFC_HDR SPAM("root") ",relayip=bot.example"),
	MISS("relayip_empty", RFC_HDR SPAM("root") ",relayip="),
	MISS("relayip_space", RFC_HDR SPAM("root") ",relayip=203.0.113.7 "),
	MISS("relayip_key_suffix", RFC_HDR SPAM("root") ",xrelayip=203.0.113.7"),
	MISS("relayip_key_case", RFC_HDR SPAM("root") ",RelayIP=203.0.113.7"),
	MISS("plugin_item_no_key", RFC_HDR SPAM("root") ",=x,relayip=203.0.113.7"),
	MISS("relayip_clean_result", RFC_HDR
	     "spamd: result: . 1 - GTUBE scantime=0.1,size=1,user=a,uid=1,required_score=5.0,"
	     "rhost=localhost,raddr=127.0.0.1,rport=1,mid=<x@y>,autolearn=no,"
	     "relayip=203.0.113.7"),
	MISS("relayip_no_autolearn", RFC_HDR
	     "spamd: result: Y 1003 - GTUBE scantime=0.1,size=1,user=a,relayip=203.0.113.7"),
};

static const struct line_case malformed_cases[] = {
	MISS("score_letter",
	     SEED_HDR "spamd: identified spam (99x.0/5.0) from [203.0.113.7] for a:1 "
		      "in 0.2 seconds, 2 bytes."),
	MISS("score_exponent",
	     SEED_HDR "spamd: identified spam (1e3/5.0) from [203.0.113.7] for a:1 "
		      "in 0.2 seconds, 2 bytes."),
	MISS("score_empty",
	     SEED_HDR "spamd: identified spam (/5.0) from [203.0.113.7] for a:1 in 0.2 "
		      "seconds, 2 bytes."),
	MISS("threshold_empty",
	     SEED_HDR "spamd: identified spam (9.0/) from [203.0.113.7] for a:1 in "
		      "0.2 seconds, 2 bytes."),
	MISS("score_dot_only",
	     SEED_HDR "spamd: identified spam (9./5.0) from [203.0.113.7] for a:1 "
		      "in 0.2 seconds, 2 bytes."),
	MISS("score_huge",
	     SEED_HDR "spamd: identified spam (12345678901.0/5.0) from [203.0.113.7] for "
		      "a:1 in 0.2 seconds, 2 bytes."),
	MISS("score_plus",
	     SEED_HDR "spamd: identified spam (+9.0/5.0) from [203.0.113.7] for a:1 in "
		      "0.2 seconds, 2 bytes."),
	MISS("seconds_bad",
	     SEED_HDR "spamd: identified spam (9.0/5.0) from [203.0.113.7] for a:1 in "
		      "0.x seconds, 2 bytes."),
	MISS("bytes_bad", SEED_HDR "spamd: identified spam (9.0/5.0) from [203.0.113.7] for a:1 in "
				   "0.2 seconds, -2 bytes."),
	MISS("ip_bad",
	     SEED_HDR "spamd: identified spam (9.0/5.0) from [203.0.113.300] for a:1 in 0.2 "
		      "seconds, 2 bytes."),
	MISS("ip_empty",
	     SEED_HDR "spamd: identified spam (9.0/5.0) from [] for a:1 in 0.2 seconds, 2 "
		      "bytes."),
	MISS("ip_zone",
	     SEED_HDR "spamd: identified spam (9.0/5.0) from [fe80::1%eth0] for a:1 in 0.2 "
		      "seconds, 2 bytes."),
	MISS("result_score_letter", RFC_HDR RESULT("Y abc", "root") ",relayip=203.0.113.7"),
	MISS("result_score_float", RFC_HDR RESULT("Y 10.5", "root") ",relayip=203.0.113.7"),
	MISS("result_score_three_spaces", RFC_HDR RESULT("Y   6", "root") ",relayip=203.0.113.7"),
	MISS("result_not_y", RFC_HDR RESULT("y 1003", "root") ",relayip=203.0.113.7"),
	MISS("required_score_bad",
	     RFC_HDR "spamd: result: Y 7 - GTUBE scantime=0.1,size=1,user=a,uid=1,"
		     "required_score=5.0.1,rhost=h,mid=<x@y>,autolearn=no,relayip=203.0.113.7"),
	MISS("required_score_empty",
	     RFC_HDR "spamd: result: Y 7 - GTUBE scantime=0.1,size=1,user=a,uid=1,"
		     "required_score=,rhost=h,mid=<x@y>,autolearn=no,relayip=203.0.113.7"),
	MISS("no_scantime", RFC_HDR "spamd: result: Y 7 - GTUBE size=1,user=a,uid=1,"
				    "required_score=5.0,autolearn=no,relayip=203.0.113.7"),
	MISS("tests_bad_char", RFC_HDR "spamd: result: Y 7 - GT;UBE scantime=0.1,size=1,user=a,"
				       "required_score=5.0,autolearn=no,relayip=203.0.113.7"),
};

/* The line in a buffer of its own length, unterminated, so ASan sees any read past it. */
static enum xb_line_kind feed(struct xb_spamd *s, const char *line, __u64 now,
			      struct xb_line_event *ev)
{
	size_t len = strlen(line);
	char *copy = malloc(len ? len : 1);
	enum xb_line_kind kind;

	if (!copy)
		return (enum xb_line_kind) - 1;
	memcpy(copy, line, len);
	kind = xb_spamd_line(s, copy, len, now, ev);
	free(copy);
	return kind;
}

static bool check_event(const struct xb_line_event *ev, enum xb_line_kind kind,
			enum xb_line_kind want, const char *addr, const char *name)
{
	char got[XB_PREFIX_STRLEN];

	if (!ASSERT_EQ(kind, want, name) || !ASSERT_EQ(ev->kind, want, name))
		return false;
	if (want != XB_LINE_FAIL)
		return true;
	xb_prefix_format(&ev->addr, got, sizeof(got));
	return ASSERT_STREQ(got, addr, name);
}

static void run_cases(const struct line_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct line_case *c = &cases[i];
		struct xb_spamd *s = xb_spamd_new(16, 600);
		struct xb_line_event ev;
		enum xb_line_kind kind;

		if (!ASSERT_OK_PTR(s, "xb_spamd_new"))
			return;
		kind = feed(s, c->line, 1000, &ev);
		if (check_event(&ev, kind, c->kind, c->addr, c->name) && kind == XB_LINE_FAIL) {
			ASSERT_EQ(ev.has_score, c->has_score, c->name);
			ASSERT_TRUE(ev.score == c->score, c->name);
			ASSERT_TRUE(ev.threshold == c->threshold, c->name);
			ASSERT_NEQ(ev.when, 0, c->name);
			ASSERT_STREQ(ev.tag, "", c->name);
		}
		xb_spamd_free(s);
	}
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Every cut of a FAIL line short of its end is no FAIL, and never reads past the cut. */
static void test_truncated(void)
{
	static const char *const lines[] = {
		SEED_HDR PATCHED("spamassassin:1003"),
		FILE_HDR SPAM("root") ",relayip=203.0.113.7",
	};
	struct xb_line_event ev;

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		size_t len = strlen(lines[i]);

		for (size_t cut = 0; cut < len; cut++) {
			char *copy = malloc(cut ? cut : 1);

			if (!ASSERT_OK_PTR(copy, "malloc"))
				return;
			memcpy(copy, lines[i], cut);
			if (!ASSERT_EQ(xb_spamd_line(NULL, copy, cut, 0, &ev), XB_LINE_MISS, "cut"))
				fprintf(stderr, "line %zu cut at %zu\n", i, cut);
			free(copy);
		}
	}
}

/* Bytes no log holds: NULs, high bytes, a line over XB_LINE_MAX. */
static void test_garbage(void)
{
	static const char nul_line[] = SEED_HDR "spamd: identified spam (999.0/5.0) from "
						"[203.0.113.7]\0 for a:1 in 0.2 seconds, 2 bytes.";
	struct xb_spamd *s = xb_spamd_new(4, 60);
	struct xb_line_event ev;
	char *big;

	if (!ASSERT_OK_PTR(s, "xb_spamd_new"))
		return;
	ASSERT_EQ(xb_spamd_line(s, nul_line, sizeof(nul_line) - 1, 0, &ev), XB_LINE_MISS, "nul");
	ASSERT_EQ(feed(s,
		       TRAD_HDR "spamd: identified spam (9.0/5.0) from [203.0.113.7] for \xff\xfe "
				"in 1 seconds, 2 bytes.",
		       0, &ev),
		  XB_LINE_MISS, "high bytes in user");
	ASSERT_EQ(xb_spamd_line(s, NULL, 0, 0, &ev), XB_LINE_MISS, "NULL line");
	big = malloc(XB_LINE_MAX + 2);
	if (ASSERT_OK_PTR(big, "malloc")) {
		memset(big, 'a', XB_LINE_MAX + 2);
		memcpy(big, TRAD_HDR, strlen(TRAD_HDR));
		ASSERT_EQ(xb_spamd_line(s, big, XB_LINE_MAX + 1, 0, &ev), XB_LINE_MISS, "too long");
		ASSERT_EQ(xb_spamd_line(s, big, XB_LINE_MAX, 0, &ev), XB_LINE_MISS, "long");
		free(big);
	}
	xb_spamd_free(s);
}

static __s64 local_stamp(int year, int mon, int mday, int h, int m, int sec)
{
	struct tm tm = { .tm_year = year - 1900,
			 .tm_mon = mon,
			 .tm_mday = mday,
			 .tm_hour = h,
			 .tm_min = m,
			 .tm_sec = sec,
			 .tm_isdst = -1 };

	return (__s64)mktime(&tm);
}

static __s64 when_of(const char *line)
{
	struct xb_line_event ev;

	if (xb_spamd_line(NULL, line, strlen(line), 0, &ev) != XB_LINE_FAIL)
		return -1;
	return ev.when;
}

/* A traditional stamp days away from today, with the year the parser should guess. */
static void trad_line(char *buf, size_t size, int days, __s64 *want)
{
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = time(NULL) + days * 86400;
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, size, "%s %2d 12:00:00 mx spamd[1]: %s", mon[tm.tm_mon], tm.tm_mday,
		 PATCHED("a:1"));
	/* More than a day ahead reads as last year's. */
	*want = local_stamp(tm.tm_year + 1900 - (days > 1), tm.tm_mon, tm.tm_mday, 12, 0, 0);
}

static void test_timestamps(void)
{
	char line[512];
	__s64 want;

	/* 2026-11-26T23:23:29Z is 1795735409. */
	ASSERT_EQ(when_of(RFC_HDR PATCHED("a:1")), 1795735409, "rfc3339");
	ASSERT_EQ(when_of("2026-11-26T23:23:29.5+01:30 h spamd[1]: " PATCHED("a:1")),
		  1795735409 - 5400, "rfc3339 offset");
	ASSERT_EQ(when_of("2026-11-26T23:23:29-05:00 h spamd[1]: " PATCHED("a:1")),
		  1795735409 + 5 * 3600, "rfc3339 negative offset");
	ASSERT_EQ(when_of(FILE_HDR PATCHED("a:1")), local_stamp(2026, 10, 26, 23, 22, 34),
		  "spamd file");
	ASSERT_EQ(when_of("Fri Nov  6 01:02:03 2026 [1] info: " PATCHED("a:1")),
		  local_stamp(2026, 10, 6, 1, 2, 3), "spamd file padded day");
	trad_line(line, sizeof(line), -1, &want);
	ASSERT_EQ(when_of(line), want, "traditional yesterday");
	trad_line(line, sizeof(line), 0, &want);
	ASSERT_EQ(when_of(line), want, "traditional today");
	trad_line(line, sizeof(line), 3, &want);
	ASSERT_EQ(when_of(line), want, "traditional in 3 days is last year");
}

/* ---- the postfix join ---- */

#define SMTPD(qid, client) "Nov 26 23:23:28 mx postfix/smtpd[9740]: " qid ": client=" client
#define CLEANUP(qid, mid) "Nov 26 23:23:28 mx postfix/cleanup[9741]: " qid ": message-id=" mid
#define RESULT_MID(yorn, mid)                                                                 \
	RFC_HDR "spamd: result: " yorn " 1003 - GTUBE,RCVD_ILLEGAL_IP scantime=0.1,size=482," \
		"user=root,uid=103,required_score=5.0,rhost=localhost,raddr=127.0.0.1,"       \
		"rport=41002,mid=" mid ",autolearn=no autolearn_force=no"
#define SPAM_MID(mid) RESULT_MID("Y", mid)

#define QID "4F1E52A0B1"
#define QID2 "5A2B3C4D5E"
#define LONG_QID "4dQ5Yc1bMHz9sxm"
#define MID "<gtube-1@bot.example>"
#define BOT "bot.example[203.0.113.7]"

struct step {
	const char *line;
	__u64 now;
	enum xb_line_kind kind;
	const char *addr;
};

struct join_case {
	const char *name;
	size_t max_pending;
	__u64 max_age_s;
	struct step steps[8]; /* up to the first NULL line */
};

#define M(line, now)                          \
	{                                     \
		line, now, XB_LINE_MISS, NULL \
	}
#define F(line, now, addr)                    \
	{                                     \
		line, now, XB_LINE_FAIL, addr \
	}

static const struct join_case join_cases[] = {
	{ "in_order",
	  16,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, MID), 101),
	    F(SPAM_MID(MID), 102, "203.0.113.7/32") } },
	{ "cleanup_first",
	  16,
	  600,
	  { M(CLEANUP(QID, MID), 100), M(SMTPD(QID, BOT), 101),
	    F(SPAM_MID(MID), 102, "203.0.113.7/32") } },
	{ "result_before_cleanup",
	  16,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(SPAM_MID(MID), 101),
	    F(CLEANUP(QID, MID), 102, "203.0.113.7/32") } },
	{ "result_first",
	  16,
	  600,
	  { M(SPAM_MID(MID), 100), M(CLEANUP(QID, MID), 101),
	    F(SMTPD(QID, BOT), 102, "203.0.113.7/32") } },
	{ "each_result_counts",
	  16,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, MID), 101),
	    F(SPAM_MID(MID), 102, "203.0.113.7/32"), F(SPAM_MID(MID), 103, "203.0.113.7/32") } },
	{ "deferred_result_counts_once",
	  16,
	  600,
	  { M(SPAM_MID(MID), 100), M(SMTPD(QID, BOT), 101),
	    F(CLEANUP(QID, MID), 102, "203.0.113.7/32"), M(SMTPD(QID, BOT), 103),
	    M(CLEANUP(QID, MID), 104) } },
	{ "unknown_v6",
	  16,
	  600,
	  { M(SMTPD(QID, "unknown[2001:db8::25]"), 100), M(CLEANUP(QID, MID), 101),
	    F(SPAM_MID(MID), 102, "2001:db8::25/128") } },
	{ "long_queue_id_sasl",
	  16,
	  600,
	  { M(SMTPD(LONG_QID, BOT ", sasl_method=PLAIN, sasl_username=u@example.org"), 100),
	    M(CLEANUP(LONG_QID, MID), 101), F(SPAM_MID(MID), 102, "203.0.113.7/32") } },
	{ "client_port",
	  16,
	  600,
	  { M(SMTPD(QID, BOT ":25025"), 100), M(CLEANUP(QID, MID), 101),
	    F(SPAM_MID(MID), 102, "203.0.113.7/32") } },
	{ "submission_service",
	  16,
	  600,
	  { M("Nov 26 23:23:28 mx postfix/submission/smtpd[1]: " QID ": client=" BOT, 100),
	    M("2026-11-26T23:23:28+00:00 mx postfix-out/cleanup[2]: " QID ": message-id=" MID, 101),
	    F(SPAM_MID(MID), 102, "203.0.113.7/32") } },
	{ "latest_queue_id_wins",
	  16,
	  600,
	  { M(SMTPD(QID, "friend.example[198.51.100.20]"), 100), M(CLEANUP(QID, MID), 101),
	    M(SMTPD(QID2, BOT), 102), M(CLEANUP(QID2, MID), 103),
	    F(SPAM_MID(MID), 104, "203.0.113.7/32") } },
	{ "clean_result",
	  16,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, MID), 101), M(RESULT_MID(".", MID), 102),
	    M(SMTPD(QID, BOT), 103) } },
	{ "clean_result_first",
	  16,
	  600,
	  { M(RESULT_MID(".", MID), 100), M(SMTPD(QID, BOT), 101), M(CLEANUP(QID, MID), 102) } },
	{ "other_message",
	  16,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, "<other@bot.example>"), 101),
	    M(SPAM_MID(MID), 102) } },
	{ "mid_comma_and_comment",
	  16,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, "<a,b@bot.example> (added by mx)"), 101),
	    F(SPAM_MID("<a_b@bot.example>"), 102, "203.0.113.7/32") } },
	{ "mid_unbracketed",
	  16,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, "abc@bot.example"), 101),
	    F(SPAM_MID("<abc@bot.example>"), 102, "203.0.113.7/32") } },
	{ "mid_unknown",
	  16,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, ""), 101), M(CLEANUP(QID, "<>"), 101),
	    M(SPAM_MID("(unknown)"), 102) } },
	{ "user_fake_mid",
	  16,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, MID), 101),
	    M(RFC_HDR "spamd: result: Y 1003 - GTUBE scantime=0.1,size=482,user=x,mid=" MID
		      ",uid=103,required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=1,"
		      "mid=<mine@x>,autolearn=no autolearn_force=no",
	      102) } },
	{ "noqueue",
	  16,
	  600,
	  { M(SMTPD("NOQUEUE", BOT), 100), M(CLEANUP("NOQUEUE", MID), 101),
	    M(SPAM_MID(MID), 102) } },
	{ "not_postfix",
	  16,
	  600,
	  { M("Nov 26 23:23:28 mx smtpd[1]: " QID ": client=" BOT, 100),
	    M("Nov 26 23:23:28 mx cleanup[1]: " QID ": message-id=" MID, 101),
	    M(SPAM_MID(MID), 102) } },
	{ "client_malformed",
	  16,
	  600,
	  { M(SMTPD(QID, "bot.example[203.0.113.7"), 100),
	    M(SMTPD(QID, "bot.example[203.0.113.7]x"), 100),
	    M(SMTPD(QID, "bot example[203.0.113.7]"), 100), M(SMTPD("4F1E", BOT), 100),
	    M(CLEANUP(QID, MID), 101), M(SPAM_MID(MID), 102) } },
	{ "evicted",
	  2,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, MID), 101),
	    M(SMTPD("AAAAA1", "a.example[192.0.2.1]"), 102),
	    M(SMTPD("AAAAA2", "b.example[192.0.2.2]"), 103), M(SPAM_MID(MID), 104) } },
	{ "newest_kept",
	  2,
	  600,
	  { M(SMTPD("AAAAA1", "a.example[192.0.2.1]"), 100),
	    M(SMTPD("AAAAA2", "b.example[192.0.2.2]"), 101), M(SMTPD(QID, BOT), 102),
	    M(CLEANUP(QID, MID), 103), F(SPAM_MID(MID), 104, "203.0.113.7/32") } },
	{ "at_max_age",
	  16,
	  60,
	  { M(SMTPD(QID, BOT), 1000), M(CLEANUP(QID, MID), 1000),
	    F(SPAM_MID(MID), 1060, "203.0.113.7/32") } },
	{ "past_max_age",
	  16,
	  60,
	  { M(SMTPD(QID, BOT), 1000), M(CLEANUP(QID, MID), 1000), M(SPAM_MID(MID), 1061) } },
	{ "waiting_result_aged",
	  16,
	  60,
	  { M(SPAM_MID(MID), 1000), M(SMTPD(QID, BOT), 1100), M(CLEANUP(QID, MID), 1100) } },
	{ "clock_back",
	  16,
	  60,
	  { M(SMTPD(QID, BOT), 1000), M(CLEANUP(QID, MID), 1000),
	    F(SPAM_MID(MID), 900, "203.0.113.7/32") } },
	{ "no_join_state",
	  0,
	  600,
	  { M(SMTPD(QID, BOT), 100), M(CLEANUP(QID, MID), 101), M(SPAM_MID(MID), 102),
	    F(RFC_HDR SPAM("root") ",relayip=203.0.113.7", 103, "203.0.113.7/32") } },
};

static void run_join(const struct join_case *jc)
{
	struct xb_spamd *s = xb_spamd_new(jc->max_pending, jc->max_age_s);

	if (!ASSERT_OK_PTR(s, jc->name))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(jc->steps) && jc->steps[i].line; i++) {
		const struct step *st = &jc->steps[i];
		struct xb_line_event ev;
		enum xb_line_kind kind = feed(s, st->line, st->now, &ev);

		if (!check_event(&ev, kind, st->kind, st->addr, jc->name)) {
			fprintf(stderr, "%s: step %zu\n", jc->name, i);
			break;
		}
	}
	xb_spamd_free(s);
}

static void test_join(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(join_cases); i++)
		run_join(&join_cases[i]);
}

/* A joined FAIL carries the spamd line's score, threshold and time, not postfix's. */
static void test_join_event(void)
{
	struct xb_spamd *s = xb_spamd_new(16, 600);
	struct xb_line_event ev;

	if (!ASSERT_OK_PTR(s, "xb_spamd_new"))
		return;
	feed(s, SPAM_MID(MID), 100, &ev);
	feed(s, SMTPD(QID, BOT), 101, &ev);
	if (ASSERT_EQ(feed(s, CLEANUP(QID, MID), 102, &ev), XB_LINE_FAIL, "joined")) {
		ASSERT_TRUE(ev.has_score, "has_score");
		ASSERT_TRUE(ev.score == 1003, "score");
		ASSERT_TRUE(ev.threshold == 5.0, "threshold");
		ASSERT_EQ(ev.when, 1795735409, "when of the result line");
	}
	xb_spamd_free(s);
}

/* Many messages through a small table: lookups stay right while entries come and go. */
static void test_join_churn(void)
{
	struct xb_spamd *s = xb_spamd_new(8, 600);
	struct xb_line_event ev;
	int fails = 0;

	if (!ASSERT_OK_PTR(s, "xb_spamd_new"))
		return;
	for (int i = 0; i < 1000; i++) {
		char smtpd[128], cleanup[128], result[512];

		snprintf(smtpd, sizeof(smtpd), SMTPD("%05X", "h[192.0.2.%d]"), 0x10000 + i,
			 i % 250 + 1);
		snprintf(cleanup, sizeof(cleanup), CLEANUP("%05X", "<m%d@x>"), 0x10000 + i, i);
		snprintf(result, sizeof(result), SPAM_MID("<m%d@x>"), i - 3);
		feed(s, smtpd, (__u64)i, &ev);
		feed(s, cleanup, (__u64)i, &ev);
		if (i >= 3 && feed(s, result, (__u64)i, &ev) == XB_LINE_FAIL &&
		    ev.addr.addr[3] == (i - 3) % 250 + 1)
			fails++;
	}
	ASSERT_EQ(fails, 997, "each message joined with its own client");
	xb_spamd_free(s);
}

/* A patched spamd's message counts once, though its result line names the sender too. */
static void test_patched_once(void)
{
	struct xb_spamd *s = xb_spamd_new(16, 600);
	struct xb_line_event ev;

	if (!ASSERT_OK_PTR(s, "xb_spamd_new"))
		return;
	ASSERT_EQ(feed(s, SEED_HDR PATCHED("a:1"), 100, &ev), XB_LINE_FAIL, "patched line");
	ASSERT_EQ(
		feed(s, "Nov 26 23:23:29 mx spamd[2]: " SPAM("a") ",relayip=203.0.113.7", 100, &ev),
		XB_LINE_FAIL, "another child's result");
	ASSERT_EQ(feed(s, SEED_HDR SPAM("a") ",relayip=203.0.113.7", 100, &ev), XB_LINE_MISS,
		  "its own result");
	ASSERT_EQ(feed(s, SEED_HDR SPAM("a") ",relayip=203.0.113.7", 100, &ev), XB_LINE_FAIL,
		  "its next result");
	xb_spamd_free(s);
}

static void test_new(void)
{
	struct xb_spamd *s;

	errno = 0;
	ASSERT_NULL(xb_spamd_new((size_t)1 << 30, 60), "huge max_pending");
	ASSERT_EQ(errno, EINVAL, "errno");
	s = xb_spamd_new(1, 0);
	ASSERT_OK_PTR(s, "one entry");
	xb_spamd_free(s);
	xb_spamd_free(NULL);
}

void test_spamd(void)
{
	if (test__start_subtest("samples"))
		run_cases(sample_cases, ARRAY_SIZE(sample_cases));
	if (test__start_subtest("variants"))
		run_cases(variant_cases, ARRAY_SIZE(variant_cases));
	if (test__start_subtest("injection"))
		run_cases(injection_cases, ARRAY_SIZE(injection_cases));
	if (test__start_subtest("malformed"))
		run_cases(malformed_cases, ARRAY_SIZE(malformed_cases));
	if (test__start_subtest("truncated"))
		test_truncated();
	if (test__start_subtest("garbage"))
		test_garbage();
	if (test__start_subtest("timestamps"))
		test_timestamps();
	if (test__start_subtest("join"))
		test_join();
	if (test__start_subtest("join_event"))
		test_join_event();
	if (test__start_subtest("join_churn"))
		test_join_churn();
	if (test__start_subtest("patched_once"))
		test_patched_once();
	if (test__start_subtest("new"))
		test_new();
}
