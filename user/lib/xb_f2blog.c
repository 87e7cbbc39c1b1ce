// SPDX-License-Identifier: GPL-2.0
/*
 * The fail2ban source: ban decisions read back from fail2ban's own log.
 *
 * The messages come from fail2ban's server/actions.py ("[%s] Ban %s", "[%s] %sBan %s" with
 * "Restore ", "[%s] Unban %s", and "[%s] Repeal Ban %s" on stop since 1.1.1) and
 * server/observer.py ("[%s] Increase Ban %s (%d # %s -> %s)", 0.11 on). A manual
 * "fail2ban-client set JAIL banip IP" logs the same "[JAIL] Ban IP". The line around them:
 *
 *   file, 0.8.0:      "%(asctime)s %(name)-16s: %(levelname)-6s %(message)s"
 *   file, 0.8.x-0.9:  "%(asctime)s %(name)-16s[%(process)d]: %(levelname)-7s %(message)s"
 *   file, 0.9.7-1.1:  "%(asctime)s %(name)-24s[%(process)d]: %(levelname)-7s %(message)s"
 *   SYSLOG:           "%(name)s[%(process)d]: %(levelname)s %(message)s" after the syslog
 *                     daemon's "Nov 26 23:24:50 host " or "2026-11-26T23:24:50+01:00 host "
 *   SYSOUT/STDOUT under systemd: "... host fail2ban-server[PID]: " then a file-style line
 *   SYSTEMD-JOURNAL:  "... host fail2ban[PID]: %(message)s" (no logger name, no level)
 *
 * The line is parsed from its start, field by field; only fail2ban.actions and
 * fail2ban.observer at NOTICE (WARNING in 0.8) count, the message must follow the level
 * directly and the address must end the line (or precede Increase Ban's "(...)"). So text
 * an attacker got into a "Found" line, an error message or another program's syslog line
 * never reads as a ban. What a line cannot show is who wrote it: a local user can send
 * "fail2ban.actions[1]: NOTICE [sshd] Ban 192.0.2.1" to syslog; prefer logtarget = a file.
 *
 * Jail names are printable ASCII without spaces or brackets, at most XB_F2B_JAIL_MAX bytes,
 * matched in full against the globs; ev->tag holds their first XB_REASON_LEN - 1 bytes.
 * Addresses are hosts (a subnet or a failure-id that is no address is a MISS).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "xb_sources.h"

#define XB_F2B_JAIL_MAX 255

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

static size_t eat_spaces(struct cur *c)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p == ' ')
		c->p++;
	return (size_t)(c->p - start);
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Exactly n digits (n <= 9), at most max. */
static bool eat_num(struct cur *c, int n, int max, int *out)
{
	int v = 0;

	if (c->end - c->p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!is_digit(c->p[i]))
			return false;
		v = v * 10 + (c->p[i] - '0');
	}
	if (v > max)
		return false;
	c->p += n;
	*out = v;
	return true;
}

/* A run of 1..18 digits. */
static bool eat_u64(struct cur *c, __u64 *out)
{
	const char *start = c->p;
	__u64 v = 0;

	while (c->p < c->end && is_digit(*c->p) && c->p - start < 18)
		v = v * 10 + (__u64)(*c->p++ - '0');
	*out = v;
	return c->p > start && (c->p == c->end || !is_digit(*c->p));
}

/* ---- timestamps ---- */

/* "YYYY-MM-DD", then sep, then "HH:MM:SS" into tm. */
static bool eat_date_time(struct cur *c, char sep, struct tm *tm)
{
	char s[2] = { sep, '\0' };

	memset(tm, 0, sizeof(*tm));
	if (!eat_num(c, 4, 9999, &tm->tm_year) || !eat(c, "-") || !eat_num(c, 2, 12, &tm->tm_mon) ||
	    !eat(c, "-") || !eat_num(c, 2, 31, &tm->tm_mday) || !eat(c, s) ||
	    !eat_num(c, 2, 23, &tm->tm_hour) || !eat(c, ":") || !eat_num(c, 2, 59, &tm->tm_min) ||
	    !eat(c, ":") || !eat_num(c, 2, 60, &tm->tm_sec))
		return false;
	if (tm->tm_year < 1970 || !tm->tm_mon || !tm->tm_mday)
		return false;
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	tm->tm_isdst = -1;
	return true;
}

/* Python logging's asctime, "2026-11-26 23:24:50,321 ", in local time. */
static bool eat_asctime(struct cur *c, __s64 *when)
{
	struct cur t = *c;
	struct tm tm;
	int ms;

	if (!eat_date_time(&t, ' ', &tm) || !eat(&t, ",") || !eat_num(&t, 3, 999, &ms) ||
	    !eat(&t, " "))
		return false;
	*when = xb_local_mktime(&tm);
	*c = t;
	return true;
}

/* RFC 3339 as rsyslog and journalctl -o short-iso write it: ".frac" optional, Z or +HH[:]MM. */
static bool eat_rfc3339(struct cur *c, __s64 *when)
{
	struct cur t = *c;
	int oh = 0, om = 0, sign = 0;
	struct tm tm;

	if (!eat_date_time(&t, 'T', &tm))
		return false;
	if (eat(&t, "."))
		while (t.p < t.end && is_digit(*t.p))
			t.p++;
	if (!eat(&t, "Z")) {
		sign = eat(&t, "+") ? 1 : eat(&t, "-") ? -1 : 0;
		if (!sign || !eat_num(&t, 2, 23, &oh))
			return false;
		eat(&t, ":");
		if (!eat_num(&t, 2, 59, &om))
			return false;
	}
	*when = (__s64)timegm(&tm) - sign * (oh * 3600 + om * 60);
	*c = t;
	return true;
}

/* The year a "Mmm dd" stamp most likely has: this one, unless that is over a day ahead. */
static __s64 bsd_when(struct tm *tm)
{
	time_t now = time(NULL);
	struct tm lt;
	__s64 t;

	localtime_r(&now, &lt);
	tm->tm_year = lt.tm_year;
	t = xb_local_mktime(tm);
	if (t > (__s64)now + 86400) {
		tm->tm_year--;
		tm->tm_isdst = -1;
		t = xb_local_mktime(tm);
	}
	return t;
}

/* Traditional syslog, "Nov 26 23:24:50" or "Nov  6 23:24:50", local time. */
static bool eat_bsd(struct cur *c, __s64 *when)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct cur t = *c;
	struct tm tm = { .tm_isdst = -1 };
	const char *m;

	if (t.end - t.p < 4 || t.p[3] != ' ')
		return false;
	for (m = months; *m; m += 3)
		if (!memcmp(t.p, m, 3))
			break;
	if (!*m)
		return false;
	tm.tm_mon = (int)(m - months) / 3;
	t.p += 4;
	/* the day: "26", or " 6" padded */
	if (!eat_num(&t, 2, 31, &tm.tm_mday) && !(eat(&t, " ") && eat_num(&t, 1, 9, &tm.tm_mday)))
		return false;
	if (!tm.tm_mday || !eat(&t, " ") || !eat_num(&t, 2, 23, &tm.tm_hour) || !eat(&t, ":") ||
	    !eat_num(&t, 2, 59, &tm.tm_min) || !eat(&t, ":") || !eat_num(&t, 2, 60, &tm.tm_sec))
		return false;
	*when = bsd_when(&tm);
	*c = t;
	return true;
}

/* " host " after a syslog stamp: one token, no spaces. */
static bool eat_host(struct cur *c)
{
	const char *start;

	if (!eat(c, " "))
		return false;
	for (start = c->p; c->p < c->end && *c->p != ' '; c->p++)
		;
	return c->p > start && eat(c, " ");
}

/* ---- the line's head ---- */

/* "[PID]" if there; then ":" and at least one space. */
static bool eat_pid_colon(struct cur *c)
{
	if (eat(c, "[")) {
		while (c->p < c->end && is_digit(*c->p))
			c->p++;
		if (!eat(c, "]"))
			return false;
	}
	return eat(c, ":") && eat_spaces(c);
}

/* "fail2ban.actions        [PID]: NOTICE  " and its older and syslog forms. */
static bool eat_logger(struct cur *c)
{
	if (!eat(c, "fail2ban.actions") && !eat(c, "fail2ban.observer"))
		return false;
	eat_spaces(c);
	if (!eat_pid_colon(c))
		return false;
	return (eat(c, "NOTICE") || eat(c, "WARNING")) && eat_spaces(c);
}

/*
 * Everything before "[jail]": an optional syslog head, then fail2ban's own. *when is the
 * stamp fail2ban wrote if any (it has the year), else the syslog daemon's.
 */
static bool eat_head(struct cur *c, __s64 *when)
{
	struct cur t;

	if (eat_rfc3339(c, when) || eat_bsd(c, when)) {
		if (!eat_host(c))
			return false;
		if (eat(c, "fail2ban-server") && !eat_pid_colon(c))
			return false;
		/* SYSTEMD-JOURNAL: "fail2ban[PID]: " and the message alone */
		t = *c;
		if (eat(&t, "fail2ban") && t.p < t.end && (*t.p == '[' || *t.p == ':')) {
			*c = t;
			return eat_pid_colon(c);
		}
	}
	eat_asctime(c, when);
	return eat_logger(c);
}

/* ---- the message ---- */

struct verb {
	const char *text; /* with the space after it */
	enum xb_line_kind kind;
	enum xb_f2b_action f2b;
};

static const struct verb verbs[] = {
	{ "Ban ", XB_LINE_BAN, XB_F2B_BAN },
	{ "Restore Ban ", XB_LINE_BAN, XB_F2B_RESTORE },
	{ "Increase Ban ", XB_LINE_BAN, XB_F2B_INCREASE },
	{ "Unban ", XB_LINE_UNBAN, XB_F2B_UNBAN },
	/* 1.1.1 on: the unban done when fail2ban or the jail stops (Unban before) */
	{ "Repeal Ban ", XB_LINE_UNBAN, XB_F2B_UNBAN },
};

static bool jail_char(char ch)
{
	return ch > ' ' && ch < 0x7f && ch != '[' && ch != ']';
}

/* "[jail] " into jail (NUL-terminated). */
static bool eat_jail(struct cur *c, char jail[XB_F2B_JAIL_MAX + 1])
{
	const char *start;
	size_t n;

	if (!eat(c, "["))
		return false;
	for (start = c->p; c->p < c->end && jail_char(*c->p); c->p++)
		;
	n = (size_t)(c->p - start);
	if (!n || n > XB_F2B_JAIL_MAX || !eat(c, "] "))
		return false;
	memcpy(jail, start, n);
	jail[n] = '\0';
	return true;
}

static const struct verb *eat_verb(struct cur *c)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (eat(c, verbs[i].text))
			return &verbs[i];
	}
	return NULL;
}

/* An address up to the next space or the end: a host, as xb_prefix_parse() reads it. */
static bool eat_addr(struct cur *c, struct xb_prefix *addr)
{
	const char *start = c->p;
	char text[48];
	size_t n;

	while (c->p < c->end && (is_digit(*c->p) || (*c->p >= 'a' && *c->p <= 'f') ||
				 (*c->p >= 'A' && *c->p <= 'F') || *c->p == ':' || *c->p == '.'))
		c->p++;
	n = (size_t)(c->p - start);
	if (!n || n >= sizeof(text) || (c->p < c->end && *c->p != ' '))
		return false;
	memcpy(text, start, n);
	text[n] = '\0';
	return !xb_prefix_parse(text, addr, NULL) && xb_prefix_is_host(addr);
}

/* Nothing but trailing white space. */
static bool at_end(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
	return c->p == c->end;
}

static bool jail_selected(const char *jail, const char *const *jails, size_t n_jails)
{
	for (size_t i = 0; jails && i < n_jails; i++) {
		if (jails[i] && !fnmatch(jails[i], jail, 0))
			return true;
	}
	return false;
}

/* ---- Increase Ban's "(2 # 2h -> 2026-11-27 01:24:50)" ---- */

/* 1.0 on (MyTime.seconds2str): "1y 3w 4d", "2d 7h 15m", "59m 50s", "0"; a year is 365 days. */
static bool dur_units(const char *s, size_t n, __u64 *out)
{
	static const char units[] = "ywdhms";
	static const __u64 mult[] = { 31536000, 604800, 86400, 3600, 60, 1 };
	struct cur c = { s, s + n };
	__u64 total = 0, v, m;
	const char *u;

	if (n == 1 && s[0] == '0') {
		*out = 0;
		return true;
	}
	do {
		if (!eat_u64(&c, &v) || c.p == c.end || !*c.p || !(u = strchr(units, *c.p)))
			return false;
		c.p++;
		m = mult[u - units];
		total = v > XB_DURATION_MAX / m ? XB_DURATION_MAX : total + v * m;
		if (total > XB_DURATION_MAX)
			total = XB_DURATION_MAX;
	} while (eat(&c, " "));
	*out = total;
	return c.p == c.end;
}

/* 0.11 (str of a datetime.timedelta): "2:00:00", "1 day, 0:00:00", "3 days, 8:00:00". */
static bool dur_timedelta(const char *s, size_t n, __u64 *out)
{
	struct cur c = { s, s + n };
	__u64 days = 0, h;
	int m, sec;

	if (memchr(s, ',', n)) {
		if (!eat_u64(&c, &days) || !(eat(&c, " days, ") || eat(&c, " day, ")))
			return false;
	}
	if (!eat_u64(&c, &h) || h > 23 || !eat(&c, ":") || !eat_num(&c, 2, 59, &m) ||
	    !eat(&c, ":") || !eat_num(&c, 2, 59, &sec) || c.p != c.end)
		return false;
	if (days > XB_DURATION_MAX / 86400)
		days = XB_DURATION_MAX / 86400;
	*out = days * 86400 + h * 3600 + (__u64)m * 60 + (__u64)sec;
	if (*out > XB_DURATION_MAX)
		*out = XB_DURATION_MAX;
	return true;
}

/* The new ban time; "permanent" as the longest xdpban has; 0 when unreadable. */
static __u64 parse_bantime(const char *s, size_t n)
{
	__u64 v = 0;

	if (n == 9 && !memcmp(s, "permanent", 9))
		return XB_DURATION_MAX;
	if (dur_units(s, n, &v) || dur_timedelta(s, n, &v))
		return v;
	return 0;
}

static const char *find(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	for (; (size_t)(end - p) >= n; p++)
		if (!memcmp(p, lit, n))
			return p;
	return NULL;
}

static bool eat_increase(struct cur *c, __u64 *bantime)
{
	const char *arrow;
	struct tm tm;
	__u64 count;

	if (!eat(c, " (") || !eat_u64(c, &count) || !eat(c, " # "))
		return false;
	arrow = find(c->p, c->end, " -> ");
	if (!arrow)
		return false;
	*bantime = parse_bantime(c->p, (size_t)(arrow - c->p));
	c->p = arrow + 4;
	if (!eat(c, "infinite") && !eat_date_time(c, ' ', &tm))
		return false;
	return eat(c, ")") && at_end(c);
}

enum xb_line_kind xb_f2blog_parse(const char *line, size_t len, const char *const *jails,
				  size_t n_jails, struct xb_line_event *ev)
{
	char jail[XB_F2B_JAIL_MAX + 1];
	const struct verb *v;
	struct cur c;
	__s64 when = 0;
	__u64 bantime = 0;

	memset(ev, 0, sizeof(*ev));
	if (!line)
		goto miss;
	c = (struct cur){ line, line + len };
	if (!eat_head(&c, &when) || !eat_jail(&c, jail) || !(v = eat_verb(&c)) ||
	    !eat_addr(&c, &ev->addr))
		goto miss;
	if (v->f2b == XB_F2B_INCREASE ? !eat_increase(&c, &bantime) : !at_end(&c))
		goto miss;
	if (!jail_selected(jail, jails, n_jails))
		goto miss;
	ev->kind = v->kind;
	ev->f2b = v->f2b;
	ev->bantime_s = bantime;
	ev->when = when;
	memcpy(ev->tag, jail, strnlen(jail, sizeof(ev->tag) - 1));
	return ev->kind;
miss:
	memset(ev, 0, sizeof(*ev));
	return XB_LINE_MISS;
}
