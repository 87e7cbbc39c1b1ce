// SPDX-License-Identifier: GPL-2.0
/*
 * The fail2ban source: Ban / Restore Ban / Increase Ban / Unban lines of fail2ban 0.8 to 1.1,
 * written to a file or through syslog and the journal, jail globs, timestamps, and lines that
 * must not ban. Lines follow the format strings of fail2ban's server/actions.py,
 * server/observer.py and its log formatters (see user/lib/xb_f2blog.c); the first groups are
 * real fail2ban 1.0.2 output: /work/shared/samples/fail2ban-1.0.log, and a private
 * fail2ban-server running this project's action.d/xdpban.conf (file and SYSLOG targets).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "test_progs.h"
#include "xb_sources.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const all_jails[] = { "*" };

struct f2b_case {
	const char *line;
	enum xb_line_kind kind;
	enum xb_f2b_action f2b;
	const char *addr;
	const char *jail;
	__u64 bantime;
};

#define F10 "2026-11-26 23:24:50,321 fail2ban.actions        [10615]: NOTICE  "
#define OBS "2026-11-26 23:24:50,321 fail2ban.observer       [10615]: NOTICE  "

static const struct f2b_case ok_cases[] = {
	/* fail2ban 1.0.2, captured */
	{ "2026-11-26 23:24:50,321 fail2ban.actions        [10615]: NOTICE  [spamd-relay] Ban "
	  "203.0.113.11",
	  XB_LINE_BAN, XB_F2B_BAN, "203.0.113.11/32", "spamd-relay", 0 },
	{ "2026-11-26 23:24:54,331 fail2ban.actions        [10615]: NOTICE  [spamd-relay] Unban "
	  "203.0.113.11",
	  XB_LINE_UNBAN, XB_F2B_UNBAN, "203.0.113.11/32", "spamd-relay", 0 },
	/* fail2ban 1.0.2 running contrib/fail2ban/action.d/xdpban.conf, captured */
	{ "2026-11-27 02:12:35,594 fail2ban.actions        [6074]: NOTICE  [xbperm] Ban "
	  "2001:db8::5",
	  XB_LINE_BAN, XB_F2B_BAN, "2001:db8::5/128", "xbperm", 0 },
	{ "2026-11-27 02:12:48,664 fail2ban.observer       [6074]: NOTICE  [xbtest] Increase Ban "
	  "203.0.113.11 (2 # 6s -> 2026-11-27 02:12:54)",
	  XB_LINE_BAN, XB_F2B_INCREASE, "203.0.113.11/32", "xbtest", 6 },
	{ "2026-11-27 02:13:04,760 fail2ban.actions        [6867]: NOTICE  [xbperm] Restore Ban "
	  "2001:db8::5",
	  XB_LINE_BAN, XB_F2B_RESTORE, "2001:db8::5/128", "xbperm", 0 },
	/* ... and with logtarget = SYSLOG, what reached the socket ("<29>" cut by syslogd) */
	{ "Nov 27 02:20:01 gw fail2ban.actions[10676]: NOTICE [xbtest] Ban 192.0.2.1", XB_LINE_BAN,
	  XB_F2B_BAN, "192.0.2.1/32", "xbtest", 0 },
	/* 0.8.0: "%(asctime)s %(name)-16s: %(levelname)-6s %(message)s", logSys.warn */
	{ "2013-06-01 12:00:00,123 fail2ban.actions: WARNING [ssh] Ban 192.0.2.1", XB_LINE_BAN,
	  XB_F2B_BAN, "192.0.2.1/32", "ssh", 0 },
	{ "2013-06-01 12:00:00,123 fail2ban.actions: WARNING [ssh] Unban 192.0.2.1", XB_LINE_UNBAN,
	  XB_F2B_UNBAN, "192.0.2.1/32", "ssh", 0 },
	/* 0.8.x, 0.9.0: "%(name)-16s[%(process)d]: %(levelname)-7s" */
	{ "2013-06-01 12:00:00,123 fail2ban.actions[1234]: WARNING [ssh-iptables] Ban 192.0.2.1",
	  XB_LINE_BAN, XB_F2B_BAN, "192.0.2.1/32", "ssh-iptables", 0 },
	{ "2015-01-01 00:00:00,000 fail2ban.actions[1234]: NOTICE  [sshd] Ban 192.0.2.1",
	  XB_LINE_BAN, XB_F2B_BAN, "192.0.2.1/32", "sshd", 0 },
	/* 0.9.7 to 1.1: "%(name)-24s[%(process)d]: %(levelname)-7s", 0.10's Restore */
	{ F10 "[sshd] Ban 2001:db8::1", XB_LINE_BAN, XB_F2B_BAN, "2001:db8::1/128", "sshd", 0 },
	{ F10 "[sshd] Restore Ban 192.0.2.1", XB_LINE_BAN, XB_F2B_RESTORE, "192.0.2.1/32", "sshd",
	  0 },
	{ F10 "[sshd] Ban ::ffff:192.0.2.1", XB_LINE_BAN, XB_F2B_BAN, "192.0.2.1/32", "sshd", 0 },
	{ F10 "[sshd] Unban 2001:db8::1", XB_LINE_UNBAN, XB_F2B_UNBAN, "2001:db8::1/128", "sshd",
	  0 },
	/* 1.1.1: stopping */
	{ F10 "[sshd] Repeal Ban 192.0.2.1", XB_LINE_UNBAN, XB_F2B_UNBAN, "192.0.2.1/32", "sshd",
	  0 },
	/* 0.11: str(timedelta); 1.0: MyTime.seconds2str */
	{ OBS "[sshd] Increase Ban 192.0.2.1 (2 # 2:00:00 -> 2020-01-01 02:00:00)", XB_LINE_BAN,
	  XB_F2B_INCREASE, "192.0.2.1/32", "sshd", 7200 },
	{ OBS "[sshd] Increase Ban 192.0.2.1 (5 # 3 days, 8:00:00 -> 2020-01-04 08:00:00)",
	  XB_LINE_BAN, XB_F2B_INCREASE, "192.0.2.1/32", "sshd", 3 * 86400 + 8 * 3600 },
	{ OBS "[sshd] Increase Ban 192.0.2.1 (3 # 1 day, 0:00:01 -> 2020-01-02 00:00:01)",
	  XB_LINE_BAN, XB_F2B_INCREASE, "192.0.2.1/32", "sshd", 86401 },
	{ OBS "[sshd] Increase Ban 192.0.2.1 (2 # 2h -> 2026-11-27 01:24:50)", XB_LINE_BAN,
	  XB_F2B_INCREASE, "192.0.2.1/32", "sshd", 7200 },
	{ OBS "[sshd] Increase Ban 2001:db8::1 (3 # 2d 7h 15m -> 2026-11-29 06:39:50)", XB_LINE_BAN,
	  XB_F2B_INCREASE, "2001:db8::1/128", "sshd", 2 * 86400 + 7 * 3600 + 900 },
	{ OBS "[sshd] Increase Ban 192.0.2.1 (9 # 1y 3w 4d -> 2027-12-22 23:24:50)", XB_LINE_BAN,
	  XB_F2B_INCREASE, "192.0.2.1/32", "sshd", 365 * 86400 + 25 * 86400 },
	{ OBS "[sshd] Increase Ban 192.0.2.1 (4 # 59m 50s -> 2026-11-27 00:24:40)", XB_LINE_BAN,
	  XB_F2B_INCREASE, "192.0.2.1/32", "sshd", 3590 },
	{ OBS "[sshd] Increase Ban 192.0.2.1 (7 # permanent -> infinite)", XB_LINE_BAN,
	  XB_F2B_INCREASE, "192.0.2.1/32", "sshd", XB_DURATION_MAX },
	{ OBS "[sshd] Increase Ban 192.0.2.1 (2 # soon -> 2026-11-27 00:24:40)", XB_LINE_BAN,
	  XB_F2B_INCREASE, "192.0.2.1/32", "sshd", 0 },
	/* SYSLOG target: no padding; rsyslog's traditional and RFC 3339 stamps */
	{ "Nov 26 23:24:50 gw fail2ban.actions[10615]: NOTICE [sshd] Ban 192.0.2.1", XB_LINE_BAN,
	  XB_F2B_BAN, "192.0.2.1/32", "sshd", 0 },
	{ "Nov  6 23:24:50 gw fail2ban.actions: WARNING [ssh] Ban 192.0.2.1", XB_LINE_BAN,
	  XB_F2B_BAN, "192.0.2.1/32", "ssh", 0 },
	{ "2026-11-26T23:24:50.123456+01:00 gw fail2ban.actions[10615]: NOTICE [sshd] Unban "
	  "192.0.2.1",
	  XB_LINE_UNBAN, XB_F2B_UNBAN, "192.0.2.1/32", "sshd", 0 },
	{ "2026-11-26T23:24:50Z gw fail2ban.observer[10615]: NOTICE [sshd] Increase Ban 192.0.2.1 "
	  "(2 # 20m -> 2026-11-26 23:44:50)",
	  XB_LINE_BAN, XB_F2B_INCREASE, "192.0.2.1/32", "sshd", 1200 },
	/* 0.8.0 through syslog: its file format inside */
	{ "Jun  1 12:00:00 gw 2013-06-01 12:00:00,123 fail2ban.actions: WARNING [ssh] Ban "
	  "192.0.2.1",
	  XB_LINE_BAN, XB_F2B_BAN, "192.0.2.1/32", "ssh", 0 },
	/* SYSTEMD-JOURNAL (identifier fail2ban, the message alone), as journalctl shows it */
	{ "Nov 26 23:24:50 gw fail2ban[10615]: [sshd] Ban 192.0.2.1", XB_LINE_BAN, XB_F2B_BAN,
	  "192.0.2.1/32", "sshd", 0 },
	{ "2026-11-26T23:24:50+0000 gw fail2ban[10615]: [sshd] Restore Ban 192.0.2.1", XB_LINE_BAN,
	  XB_F2B_RESTORE, "192.0.2.1/32", "sshd", 0 },
	/* SYSOUT / STDOUT caught by systemd */
	{ "Nov 26 23:24:50 gw fail2ban-server[10615]: fail2ban.actions        [10615]: NOTICE  "
	  "[sshd] Ban 192.0.2.1",
	  XB_LINE_BAN, XB_F2B_BAN, "192.0.2.1/32", "sshd", 0 },
	{ "Nov 26 23:24:50 gw fail2ban-server[10615]: 2026-11-26 23:24:50,321 fail2ban.actions    "
	  "    [10615]: NOTICE  [sshd] Unban 192.0.2.1",
	  XB_LINE_UNBAN, XB_F2B_UNBAN, "192.0.2.1/32", "sshd", 0 },
	{ "fail2ban.actions        [10615]: NOTICE  [sshd] Ban 192.0.2.1", XB_LINE_BAN, XB_F2B_BAN,
	  "192.0.2.1/32", "sshd", 0 },
	/* jail names: any printable run; the tag keeps 23 bytes */
	{ F10 "[nginx-http-auth.v2_x] Ban 192.0.2.1", XB_LINE_BAN, XB_F2B_BAN, "192.0.2.1/32",
	  "nginx-http-auth.v2_x", 0 },
	{ F10 "[a-very-long-jail-name-over-23] Ban 192.0.2.1", XB_LINE_BAN, XB_F2B_BAN,
	  "192.0.2.1/32", "a-very-long-jail-name-o", 0 },
	{ F10 "[manual] Ban 192.0.2.1", XB_LINE_BAN, XB_F2B_BAN, "192.0.2.1/32", "manual", 0 },
	{ F10 "[sshd] Ban 192.0.2.1  \r", XB_LINE_BAN, XB_F2B_BAN, "192.0.2.1/32", "sshd", 0 },
};

static void check_case(const struct f2b_case *c)
{
	struct xb_line_event ev;
	char addr[XB_PREFIX_STRLEN];

	if (!ASSERT_EQ(xb_f2blog_parse(c->line, strlen(c->line), all_jails, 1, &ev), c->kind,
		       c->line))
		return;
	ASSERT_EQ(ev.kind, c->kind, "ev.kind");
	ASSERT_EQ(ev.f2b, c->f2b, "ev.f2b");
	xb_prefix_format(&ev.addr, addr, sizeof(addr));
	ASSERT_STREQ(addr, c->addr, "ev.addr");
	ASSERT_STREQ(ev.tag, c->jail, "ev.tag");
	ASSERT_EQ(ev.bantime_s, c->bantime, "ev.bantime_s");
	ASSERT_FALSE(ev.has_score, "no score");
}

static void test_versions(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(ok_cases); i++)
		check_case(&ok_cases[i]);
}

static const char *const miss_lines[] = {
	/* other messages of the captured runs */
	"2026-11-27 02:12:48,212 fail2ban.actions        [6074]: NOTICE  [xbperm] 203.0.113.11 "
	"already banned",
	"2026-11-26 23:24:49,723 fail2ban.filter         [10615]: INFO    [spamd-relay] Found "
	"203.0.113.11 - 2026-11-26 23:24:49",
	"2026-11-26 23:24:49,100 fail2ban.server         [10615]: INFO    Starting Fail2ban v1.0.2",
	"2026-11-26 23:24:49,200 fail2ban.jail           [10615]: INFO    Jail 'sshd' started",
	F10 "[sshd] 192.0.2.1 already banned",
	"2026-11-26 23:24:50,321 fail2ban.actions        [10615]: WARNING [sshd] 192.0.2.1 already "
	"banned",
	"2026-11-26 23:24:50,321 fail2ban.filter         [10615]: INFO    [sshd] Ignore 192.0.2.1 "
	"by ip",
	F10 "[sshd] Flush ticket(s) with iptables-multiport",
	"2026-11-26 23:24:50,321 fail2ban.actions        [10615]: ERROR   Failed to execute ban "
	"jail 'sshd' action 'x' info 'y': [sshd] Ban 192.0.2.1",
	"2026-11-26 23:24:50,321 fail2ban.actions        [10615]: INFO    [sshd] Ban 192.0.2.1",
	"2026-11-26 23:24:50,321 fail2ban.filter         [10615]: NOTICE  [sshd] Ban 192.0.2.1",
	"2026-11-26 23:24:50,321 fail2ban.actionsx       [10615]: NOTICE  [sshd] Ban 192.0.2.1",
	/* what is banned must be one host address, alone */
	F10 "[sshd] Ban 192.0.2.0/24",
	F10 "[sshd] Ban some-user",
	F10 "[sshd] Ban 192.0.2.300",
	F10 "[sshd] Ban 2001:db8::1::2",
	F10 "[sshd] Ban ",
	F10 "[sshd] Ban",
	F10 "[sshd] Ban  192.0.2.1",
	F10 "[sshd] ban 192.0.2.1",
	F10 "[sshd] Ban 192.0.2.1 extra",
	F10 "[sshd] Ban 192.0.2.1x",
	F10 "[sshd] Unban 192.0.2.1 (2 # 2h -> 2026-11-27 01:24:50)",
	OBS "[sshd] Increase Ban 192.0.2.1",
	OBS "[sshd] Increase Ban 192.0.2.1 (2 # 2h -> tomorrow)",
	OBS "[sshd] Increase Ban 192.0.2.1 (2 # 2h -> 2026-11-27 01:24:50) and more",
	OBS "[sshd] Increase Ban 192.0.2.1 (x # 2h -> 2026-11-27 01:24:50)",
	/* jails: printable, no spaces or brackets, not empty */
	F10 "[] Ban 192.0.2.1",
	F10 "[ssh d] Ban 192.0.2.1",
	F10 "[ss[h] Ban 192.0.2.1",
	F10 "[ssh\xc3\xa9] Ban 192.0.2.1",
	F10 "sshd Ban 192.0.2.1",
	/* broken heads */
	"2026-11-26 23:24:50 fail2ban.actions        [10615]: NOTICE  [sshd] Ban 192.0.2.1",
	"2026-13-26 23:24:50,321 fail2ban.actions        [10615]: NOTICE  [sshd] Ban 192.0.2.1",
	"2026-11-26 23:24:50,321 fail2ban.actions        [10615] NOTICE  [sshd] Ban 192.0.2.1",
	"2026-11-26 23:24:50,321 fail2ban.actions        [1x]: NOTICE  [sshd] Ban 192.0.2.1",
	"2026-11-26 23:24:50,321 fail2ban.actions        [10615]:NOTICE [sshd] Ban 192.0.2.1",
	"Nox 26 23:24:50 gw fail2ban.actions[1]: NOTICE [sshd] Ban 192.0.2.1",
	"Nov 26 23:24:50 fail2ban.actions[1]: NOTICE [sshd] Ban 192.0.2.1",
	"Nov 26 23:24:50 gw fail2ban.actions[1]: [sshd] Ban 192.0.2.1",
	"Nov 26 23:24:50 gw fail2ban[1]: NOTICE [sshd] Ban 192.0.2.1",
	"[sshd] Ban 192.0.2.1",
	"",
	" ",
	"\n",
};

/*
 * Text an attacker controls (a user name in a "Found" line, a URL in an error, another
 * program's syslog line, a jail-like string) never bans: only the real structure does.
 */
static const char *const injection_lines[] = {
	"2026-11-26 23:24:49,723 fail2ban.filter         [10615]: INFO    [sshd] Found "
	"198.51.100.66 - [sshd] Ban 192.0.2.1",
	"2026-11-26 23:24:49,723 fail2ban.filter         [10615]: INFO    [sshd] Found "
	"198.51.100.66 - 2026-11-26 23:24:49 fail2ban.actions        [1]: NOTICE  [sshd] Ban "
	"192.0.2.1",
	F10 "[sshd] Ban 198.51.100.66 [sshd] Ban 192.0.2.1",
	F10 "[sshd] Unban 198.51.100.66 Ban 192.0.2.1",
	F10 "[x] Ban 192.0.2.1] Ban 198.51.100.66",
	F10 "[Ban 192.0.2.1] Ban 198.51.100.66",
	F10 "[sshd] Found 198.51.100.66 user=x] Ban 192.0.2.1",
	"Nov 26 23:24:50 gw sshd[4242]: Invalid user fail2ban.actions[1]: NOTICE [sshd] Ban "
	"192.0.2.1",
	"Nov 26 23:24:50 gw sshd[4242]: fail2ban.actions[1]: NOTICE [sshd] Ban 192.0.2.1",
	"Nov 26 23:24:50 gw sshd[4242]: fail2ban[1]: [sshd] Ban 192.0.2.1",
	"Nov 26 23:24:50 gw sshd[4242]: Failed password for [sshd] Ban 192.0.2.1",
	"Nov 26 23:24:50 gw postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[198.51.100.66]: "
	"fail2ban.actions [1]: NOTICE  [sshd] Ban 192.0.2.1",
};

static void expect_miss(const char *line)
{
	struct xb_line_event ev;
	static const struct xb_line_event zero;

	memset(&ev, 0xa5, sizeof(ev));
	ASSERT_EQ(xb_f2blog_parse(line, strlen(line), all_jails, 1, &ev), XB_LINE_MISS, line);
	ASSERT_MEMEQ(&ev, &zero, sizeof(ev), "a miss leaves a zeroed event");
}

static void test_misses(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(miss_lines); i++)
		expect_miss(miss_lines[i]);
}

static void test_injection(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(injection_lines); i++)
		expect_miss(injection_lines[i]);
}

static enum xb_line_kind parse_jail(const char *jail, const char *const *globs, size_t n)
{
	struct xb_line_event ev;
	char line[256];

	snprintf(line, sizeof(line), F10 "[%s] Ban 192.0.2.1", jail);
	return xb_f2blog_parse(line, strlen(line), globs, n, &ev);
}

static void test_jails(void)
{
	static const char *const some[] = { "ssh*", "recidive" };
	static const char *const not_p[] = { "[!p]*" };

	ASSERT_EQ(parse_jail("sshd", some, 2), XB_LINE_BAN, "ssh* sshd");
	ASSERT_EQ(parse_jail("sshd-ddos", some, 2), XB_LINE_BAN, "ssh* sshd-ddos");
	ASSERT_EQ(parse_jail("recidive", some, 2), XB_LINE_BAN, "recidive");
	ASSERT_EQ(parse_jail("recidive2", some, 2), XB_LINE_MISS, "globs match whole names");
	ASSERT_EQ(parse_jail("postfix", some, 2), XB_LINE_MISS, "postfix not selected");
	ASSERT_EQ(parse_jail("postfix", all_jails, 1), XB_LINE_BAN, "* selects all");
	ASSERT_EQ(parse_jail("postfix", not_p, 1), XB_LINE_MISS, "[!p]*");
	ASSERT_EQ(parse_jail("dovecot", not_p, 1), XB_LINE_BAN, "[!p]* dovecot");
	ASSERT_EQ(parse_jail("sshd", some, 0), XB_LINE_MISS, "no globs select nothing");
	ASSERT_EQ(parse_jail("sshd", NULL, 0), XB_LINE_MISS, "NULL globs");
	/* the full name is matched, not the 23 bytes kept in the tag */
	ASSERT_EQ(parse_jail("a-very-long-jail-name-over-23", (const char *const[]){ "*-23" }, 1),
		  XB_LINE_BAN, "long name glob");
}

static __s64 local_time(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900,
			 .tm_mon = mo - 1,
			 .tm_mday = d,
			 .tm_hour = h,
			 .tm_min = mi,
			 .tm_sec = s,
			 .tm_isdst = -1 };

	return (__s64)mktime(&tm);
}

static __s64 when_of(const char *line)
{
	struct xb_line_event ev;

	if (xb_f2blog_parse(line, strlen(line), all_jails, 1, &ev) == XB_LINE_MISS)
		return -1;
	return ev.when;
}

static void test_when(void)
{
	struct xb_line_event ev;
	struct tm tm;
	time_t t;
	int year;
	const char *l;

	ASSERT_EQ(when_of(F10 "[sshd] Ban 192.0.2.1"), local_time(2026, 11, 26, 23, 24, 50),
		  "file, local");
	ASSERT_EQ(when_of("2013-06-01 12:00:00,123 fail2ban.actions: WARNING [ssh] Ban 192.0.2.1"),
		  local_time(2013, 6, 1, 12, 0, 0), "0.8 file");
	ASSERT_EQ(when_of("2026-11-26T23:24:50.123456+01:00 gw fail2ban.actions[1]: NOTICE [sshd] "
			  "Ban 192.0.2.1"),
		  1795735490 - 3600, "RFC 3339 with offset");
	ASSERT_EQ(when_of("2026-11-26T23:24:50Z gw fail2ban[1]: [sshd] Ban 192.0.2.1"), 1795735490,
		  "RFC 3339 Z");
	ASSERT_EQ(when_of("2026-11-26T23:24:50-0230 gw fail2ban[1]: [sshd] Ban 192.0.2.1"),
		  1795735490 + 9000, "journalctl short-iso");
	/* fail2ban's own stamp (it has the year) wins over the syslog daemon's */
	ASSERT_EQ(when_of("Jun  1 12:00:05 gw 2013-06-01 12:00:00,123 fail2ban.actions: WARNING "
			  "[ssh] Ban 192.0.2.1"),
		  local_time(2013, 6, 1, 12, 0, 0), "asctime inside syslog");
	ASSERT_EQ(when_of("fail2ban.actions        [10615]: NOTICE  [sshd] Ban 192.0.2.1"), 0,
		  "no stamp");
	/* "Mmm dd": this year, or last year when that would be over a day ahead */
	l = "Jan  2 03:04:05 gw fail2ban.actions[1]: NOTICE [sshd] Ban 192.0.2.1";
	if (!ASSERT_EQ(xb_f2blog_parse(l, strlen(l), all_jails, 1, &ev), XB_LINE_BAN, "bsd"))
		return;
	t = (time_t)ev.when;
	localtime_r(&t, &tm);
	ASSERT_EQ(tm.tm_mon, 0, "bsd month");
	ASSERT_EQ(tm.tm_mday, 2, "bsd day");
	ASSERT_EQ(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec, 3 * 3600 + 4 * 60 + 5,
		  "bsd time");
	t = time(NULL);
	localtime_r(&t, &tm);
	year = tm.tm_year;
	localtime_r(&(time_t){ (time_t)ev.when }, &tm);
	ASSERT_TRUE(tm.tm_year == year || tm.tm_year == year - 1, "bsd year");
	ASSERT_LE(ev.when, (__s64)t + 86400, "bsd never far ahead");
}

/* Any bytes, every cut of a real line, every one-byte change: no crash, sane events. */
static void test_garbage(void)
{
	const char *real = OBS "[sshd] Increase Ban 192.0.2.1 (2 # 2h -> 2026-11-27 01:24:50)";
	size_t n = strlen(real), addr_at = strstr(real, "192.0.2.1") - real;
	unsigned int seed = 4242;
	struct xb_line_event ev;
	char buf[512];

	for (size_t len = 0; len < n; len++) {
		enum xb_line_kind k = xb_f2blog_parse(real, len, all_jails, 1, &ev);

		if (len < addr_at + 9 && !ASSERT_EQ(k, XB_LINE_MISS, "a cut line is a miss"))
			break;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(buf, real, n);
		buf[i] = (char)(rand_r(&seed) & 0xff);
		if (xb_f2blog_parse(buf, n, all_jails, 1, &ev) != XB_LINE_MISS &&
		    !ASSERT_EQ(ev.addr.len, ev.addr.family == 4 ? 32 : 128, "hosts only"))
			break;
	}
	for (int round = 0; round < 5000; round++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));

		memcpy(buf, real, n < len ? n : len);
		for (size_t i = rand_r(&seed) % (len + 1); i < len; i++)
			buf[i] = (char)(rand_r(&seed) & 0xff);
		xb_f2blog_parse(buf, len, all_jails, 1, &ev);
	}
	ASSERT_EQ(xb_f2blog_parse(NULL, 0, all_jails, 1, &ev), XB_LINE_MISS, "NULL line");
}

void test_f2blog(void)
{
	if (test__start_subtest("versions"))
		test_versions();
	if (test__start_subtest("misses"))
		test_misses();
	if (test__start_subtest("injection"))
		test_injection();
	if (test__start_subtest("jails"))
		test_jails();
	if (test__start_subtest("when"))
		test_when();
	if (test__start_subtest("garbage"))
		test_garbage();
}
