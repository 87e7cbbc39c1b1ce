// SPDX-License-Identifier: GPL-2.0
/*
 * The regex source: fail2ban's tags, the strict address group, ignoreregex, compile errors,
 * and log injection against realistic failregexes (what anchoring buys, and what it does not
 * when left out).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "test_progs.h"
#include "xb_sources.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Compiles one failregex (and an ignoreregex if given), matches line, returns the kind. */
static enum xb_line_kind match_one(const char *re, const char *ignore, const char *line,
				   char addr[XB_PREFIX_STRLEN])
{
	struct xb_line_event ev;
	struct xb_regex *rx = NULL;
	enum xb_line_kind kind;
	char err[256];

	addr[0] = '\0';
	if (!ASSERT_OK(xb_regex_compile(&rx, &re, 1, &ignore, ignore ? 1 : 0, err, sizeof(err)),
		       re))
		return (enum xb_line_kind) - 1;
	kind = xb_regex_match(rx, line, strlen(line), &ev);
	if (kind != XB_LINE_MISS)
		xb_prefix_format(&ev.addr, addr, XB_PREFIX_STRLEN);
	xb_regex_free(rx);
	return kind;
}

struct host_case {
	const char *re;
	const char *line;
	const char *addr; /* NULL: no match */
};

static const struct host_case host_cases[] = {
	{ "from <HOST>", "Failed from 203.0.113.7", "203.0.113.7/32" },
	{ "from <HOST>", "from 203.0.113.7:22", "203.0.113.7/32" },
	{ "from <HOST>", "from 203.0.113.7.", "203.0.113.7/32" },
	{ "from <HOST>", "from [203.0.113.7]:22", "203.0.113.7/32" },
	{ "from <HOST>", "from 0.0.0.0", "0.0.0.0/32" },
	{ "from <HOST>", "from 255.255.255.255", "255.255.255.255/32" },
	/* never a piece of a longer number, word or address */
	{ "<HOST>", "x 11.2.3.456 y", NULL },
	{ "<HOST>", "x1.2.3.4", NULL },
	{ "<HOST>", "1.2.3.4x", NULL },
	{ "<HOST>", "1.2.3.4.5", NULL },
	{ "<HOST>", "v1.2.3.4.5", NULL },
	{ "<HOST>", "_1.2.3.4", NULL },
	{ "from <HOST>", "from 256.1.2.3", NULL },
	{ "from <HOST>", "from 1.2.3.256", NULL },
	{ "from <HOST>", "from 01.2.3.4", NULL },
	{ "from <HOST>", "from 1.2.3", NULL },
	{ "from <HOST>", "from 1.2.3.", NULL },
	{ "from <HOST>", "from [1.2.3.4", NULL },
	/* what is no address is not taken for one: the search goes on */
	{ "<HOST>", "256.1.2.3 or 1.2.3.4", "1.2.3.4/32" },
	{ "<HOST>", "01.2.3.4 or 1.2.3.5", "1.2.3.5/32" },
	{ "<HOST>", "1:2:3:4:5:6:7:8:9 or 2001:db8::9", "2001:db8::9/128" },
	/* IPv6, all its spellings */
	{ "from <HOST>", "from 2001:db8::1 port 22", "2001:db8::1/128" },
	{ "from <HOST>", "from 2001:DB8:0:0:0:0:0:1", "2001:db8::1/128" },
	{ "from <HOST>", "from 1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128" },
	{ "from <HOST>", "from ::1", "::1/128" },
	{ "from <HOST>", "from 2001:db8::", "2001:db8::/128" },
	{ "from <HOST>", "from fe80::1%eth0", "fe80::1/128" },
	{ "from <HOST>", "from [2001:db8::1]:22", "2001:db8::1/128" },
	{ "from <HOST>", "from ::ffff:192.0.2.1", "192.0.2.1/32" },
	{ "from <HOST>", "from [::ffff:192.0.2.1]", "192.0.2.1/32" },
	{ "from <HOST>", "from 64:ff9b::192.0.2.1", "64:ff9b::c000:201/128" },
	{ "from <HOST>", "from 1:2:3:4:5:6:192.0.2.1", "1:2:3:4:5:6:c000:201/128" },
	{ "from <HOST>", "from 1:2:3:4:5:6:7:8:9", NULL },
	{ "from <HOST>", "from 1::2::3", NULL },
	{ "from <HOST>", "from 12345::1", NULL },
	{ "from <HOST>", "from 2001:db8::g", NULL },
	{ "from <HOST>", "from 2001:db8::1:", "2001:db8::1/128" },
	{ "<HOST>", "x2001:db8::1", NULL },
	{ "<HOST>", "x:2001:db8::1", NULL },
	/* after ":" an IPv4 address is an IPv6 address's tail (64:ff9b::), never one alone */
	{ ".*<HOST>", "from 64:ff9b::192.0.2.1", "64:ff9b::c000:201/128" },
	{ "ip:<HOST>", "ip:192.0.2.1", NULL },
	{ "<HOST>", "a:2001:db8::1", "a:2001:db8::1/128" }, /* one address, "a" is hex */
	{ "from <HOST>", "from ::ffff:300.0.2.1", NULL },
	/* fail2ban's "<HOST>:\d": a port after an IPv6 address needs its brackets */
	{ "^<HOST>:\\d+$", "192.0.2.1:22", "192.0.2.1/32" },
	{ "^<HOST>:\\d+$", "[2001:db8::1]:22", "2001:db8::1/128" },
	{ "^<HOST>:\\d+$", "2001:db8::1:22", NULL },
	/* <ADDR> is <HOST>; names are never matched (usedns = no) */
	{ "from <ADDR> port", "from 198.51.100.2 port", "198.51.100.2/32" },
	{ "from <HOST>", "from example.com", NULL },
	/* one family only */
	{ "from <IP4>$", "from 198.51.100.2", "198.51.100.2/32" },
	{ "from <IP4>$", "from ::ffff:198.51.100.2", "198.51.100.2/32" },
	{ "from <IP4>$", "from 2001:db8::2", NULL },
	{ "from <IP6>$", "from 2001:db8::2", "2001:db8::2/128" },
	{ "from <IP6>$", "from 198.51.100.2", NULL },
	{ "from <F-IP4/>$", "from 198.51.100.3", "198.51.100.3/32" },
	{ "from <F-IP6/>$", "from 2001:db8::3", "2001:db8::3/128" },
	{ "from <F-ADDR/>$", "from 2001:db8::4", "2001:db8::4/128" },
};

static void test_host(void)
{
	char addr[XB_PREFIX_STRLEN];

	for (size_t i = 0; i < ARRAY_SIZE(host_cases); i++) {
		const struct host_case *c = &host_cases[i];
		enum xb_line_kind kind = match_one(c->re, NULL, c->line, addr);

		if (!ASSERT_EQ(kind, c->addr ? XB_LINE_FAIL : XB_LINE_MISS, c->line))
			continue;
		if (c->addr)
			ASSERT_STREQ(addr, c->addr, c->line);
	}
}

struct tag_case {
	const char *re;
	const char *line;
	enum xb_line_kind kind;
};

static const struct tag_case tag_cases[] = {
	{ "^user <F-USER>\\S+</F-USER> from <HOST>$", "user bob from 192.0.2.5", XB_LINE_FAIL },
	{ "^user <F-USER>\\S+</F-USER>? from <HOST>$", "user bo from 192.0.2.5", XB_LINE_FAIL },
	{ "^<F-ID/> from <HOST>$", "sess-42 from 192.0.2.5", XB_LINE_FAIL },
	{ "^port <F-PORT/> from <HOST>$", "port ssh from 192.0.2.5", XB_LINE_FAIL },
	{ "^<F-ALT_USER1>\\w+</F-ALT_USER1> <F-CONTENT>.+</F-CONTENT> <HOST>$", "u x y 192.0.2.5",
	  XB_LINE_FAIL },
	/* a closing tag never opened is literal text, as in fail2ban */
	{ "^a</F-USER> <HOST>$", "a</F-USER> 192.0.2.5", XB_LINE_FAIL },
	/* unknown tags and Python's named groups stay as written */
	{ "^<foo> <HOST>$", "<foo> 192.0.2.5", XB_LINE_FAIL },
	{ "^(?P<user>\\w+) (?P=user) <HOST>$", "ann ann 192.0.2.5", XB_LINE_FAIL },
	{ "^(?P<user>\\w+) (?P=user) <HOST>$", "ann bob 192.0.2.5", XB_LINE_MISS },
	{ "^(?i)FROM <HOST>$", "from 192.0.2.5", XB_LINE_FAIL },
	/* the address tag in a part that did not take part in the match: no address */
	{ "^(?:from <HOST> )?done$", "done", XB_LINE_MISS },
};

static void test_tags(void)
{
	char addr[XB_PREFIX_STRLEN];

	for (size_t i = 0; i < ARRAY_SIZE(tag_cases); i++) {
		const struct tag_case *c = &tag_cases[i];

		if (ASSERT_EQ(match_one(c->re, NULL, c->line, addr), c->kind, c->re) &&
		    c->kind == XB_LINE_FAIL)
			ASSERT_STREQ(addr, "192.0.2.5/32", c->re);
	}
}

struct err_case {
	const char *re;
	const char *msg; /* in the error text */
};

static const struct err_case err_cases[] = {
	{ "Failed password for \\S+", "no address tag" },
	{ "from <host>", "no address tag" },
	{ "from <HOST> to <HOST>", "more than one address tag" },
	{ "from <IP4> or <IP6>", "more than one address tag" },
	{ "^<SKIPLINES>from <HOST>$", "unsupported tag <SKIPLINES> at offset 1" },
	{ "^from <DNS>$", "unsupported tag <DNS>" },
	{ "^from <SUBNET>$", "unsupported tag <SUBNET>" },
	{ "^from <ADDR>/<CIDR>$", "unsupported tag <CIDR>" },
	{ "^<F-NOFAIL>x</F-NOFAIL> <HOST>$", "unsupported tag <F-NOFAIL>" },
	{ "^<F-MLFID>\\d+</F-MLFID> <HOST>$", "unsupported tag <F-MLFID>" },
	{ "^<F-IP4>\\S+</F-IP4>$", "unsupported tag <F-IP4>" },
	{ "", "empty regex" },
	{ "   ", "empty regex" },
	/* PCRE2's own errors point into the pattern as written, not as expanded */
	{ "^from <HOST> (port", "at offset 18 in '^from <HOST> (port'" },
	{ "^from <HOST> [x", "at offset 15" },
	{ "^a[b <HOST>", "(in what the tag here stands for) at offset 5" },
	{ "^(?<xb_host>x) <HOST>", "failregex 1: two named subpatterns" },
};

static void test_errors(void)
{
	const char *two[] = { "^ok <HOST>$", "^bad <HOST>(" };
	const char *ign[] = { "(" };
	struct xb_regex *rx = NULL;
	char err[512];

	for (size_t i = 0; i < ARRAY_SIZE(err_cases); i++) {
		const struct err_case *c = &err_cases[i];

		if (ASSERT_EQ(xb_regex_compile(&rx, &c->re, 1, NULL, 0, err, sizeof(err)), -EINVAL,
			      c->re))
			ASSERT_HAS_SUBSTR(err, c->msg, c->re);
		ASSERT_NULL(rx, "nothing on failure");
	}
	ASSERT_EQ(xb_regex_compile(&rx, two, 2, NULL, 0, err, sizeof(err)), -EINVAL, "second");
	ASSERT_HAS_SUBSTR(err, "failregex 2", "names the second pattern");
	ASSERT_EQ(xb_regex_compile(&rx, two, 1, ign, 1, err, sizeof(err)), -EINVAL, "ignore");
	ASSERT_HAS_SUBSTR(err, "ignoreregex 1", "names the ignoreregex");
	ASSERT_EQ(xb_regex_compile(&rx, two, 0, NULL, 0, err, sizeof(err)), -EINVAL, "none");
	ASSERT_EQ(xb_regex_compile(&rx, two, 1, NULL, 0, err, 8), 0, "tiny err buffer, ok");
	xb_regex_free(rx);
	rx = NULL;
	ASSERT_EQ(xb_regex_compile(&rx, &two[1], 1, NULL, 0, err, 8), -EINVAL, "tiny err buffer");
	ASSERT_EQ(strlen(err), 7, "error truncated, terminated");
	xb_regex_free(NULL);
}

static void test_ignore_and_order(void)
{
	const char *fail[] = {
		"^auth failure for (\\S+) from <HOST>$",
		"^denied <HOST> \\S+$",
	};
	const char *ign[] = { "for (admin|backup) ", "^denied 192\\.0\\.2\\.\\d+ " };
	struct xb_line_event ev;
	struct xb_regex *rx = NULL;
	char err[256], addr[XB_PREFIX_STRLEN];
	const char *l;

	if (!ASSERT_OK(xb_regex_compile(&rx, fail, 2, ign, 2, err, sizeof(err)), "compile"))
		return;
	l = "auth failure for bob from 198.51.100.9";
	ASSERT_EQ(xb_regex_match(rx, l, strlen(l), &ev), XB_LINE_FAIL, "first regex");
	xb_prefix_format(&ev.addr, addr, sizeof(addr));
	ASSERT_STREQ(addr, "198.51.100.9/32", "first regex addr");
	ASSERT_STREQ(ev.tag, "", "no tag");
	ASSERT_EQ(ev.when, 0, "no time");
	l = "auth failure for admin from 198.51.100.9";
	ASSERT_EQ(xb_regex_match(rx, l, strlen(l), &ev), XB_LINE_IGNORED, "ignored");
	xb_prefix_format(&ev.addr, addr, sizeof(addr));
	ASSERT_STREQ(addr, "198.51.100.9/32", "ignored keeps addr");
	l = "denied 2001:db8::7 x";
	ASSERT_EQ(xb_regex_match(rx, l, strlen(l), &ev), XB_LINE_FAIL, "second regex");
	l = "denied 192.0.2.7 x";
	ASSERT_EQ(xb_regex_match(rx, l, strlen(l), &ev), XB_LINE_IGNORED, "second ignored");
	/* an ignoreregex alone never makes a line anything but a miss */
	l = "for admin nothing else";
	ASSERT_EQ(xb_regex_match(rx, l, strlen(l), &ev), XB_LINE_MISS, "ignore only");
	/* (ptr, len): bytes past len are not part of the line */
	l = "denied 198.51.100.9 xyz";
	ASSERT_EQ(xb_regex_match(rx, l, 20, &ev), XB_LINE_MISS, "len honoured");
	ASSERT_EQ(xb_regex_match(rx, l, 21, &ev), XB_LINE_FAIL, "len honoured, match");
	ASSERT_EQ(xb_regex_match(rx, NULL, 0, &ev), XB_LINE_MISS, "NULL line");
	ASSERT_EQ(xb_regex_match(NULL, l, strlen(l), &ev), XB_LINE_MISS, "NULL regex");
	xb_regex_free(rx);
}

/*
 * Log injection. The attacker chooses a user name (CVE-2006-6301, DenyHosts; CVE-2007-4321,
 * fail2ban 0.8, via the SSH version string) or a URL that lands after the real client
 * field (CVE-2013-2178, fail2ban's apache filters), and puts an address of their choosing
 * in it. The address group is strict, but which "from" it follows is up to the regex:
 * unanchored regexes are fooled here exactly as fail2ban's were; anchored ones are not.
 * What users must do: anchor failregexes at both ends and match attacker text with
 * patterns that cannot swallow the fixed tail of the line (fail2ban's "port \d+ ssh2$").
 */
struct inj_case {
	const char *name;
	const char *re;
	const char *line;
	const char *addr; /* what gets banned; NULL = nothing */
};

#define SSHD_HEAD "^\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ sshd\\[\\d+\\]: "
#define SSHD_LINE "Nov 26 23:24:50 gw sshd[4242]: "
#define APACHE_HEAD "^\\[[^]]+\\] \\[error\\] \\[client <HOST>\\] "
#define APACHE_LINE "[Sat Jun 01 11:23:08 2013] [error] [client 198.51.100.66] "

static const struct inj_case inj_cases[] = {
	/* user name "root from 192.0.2.1" (sshd logs user names with their spaces) */
	{ "user, unanchored (fooled)", "Failed password for (invalid user )?\\S+ from <HOST>",
	  SSHD_LINE "Failed password for invalid user root from 192.0.2.1 from 198.51.100.66 "
		    "port 52144 ssh2",
	  "192.0.2.1/32" },
	{ "user, anchored \\S+",
	  SSHD_HEAD "Failed password for (invalid user )?\\S+ from <HOST> "
		    "port \\d+ ssh2$",
	  SSHD_LINE "Failed password for invalid user root from 192.0.2.1 from 198.51.100.66 "
		    "port 52144 ssh2",
	  NULL },
	{ "user, anchored F-USER",
	  SSHD_HEAD "Failed password for (?:invalid user )?<F-USER>.+?"
		    "</F-USER> from <HOST> port \\d+ ssh2$",
	  SSHD_LINE "Failed password for invalid user root from 192.0.2.1 from 198.51.100.66 "
		    "port 52144 ssh2",
	  "198.51.100.66/32" },
	{ "user with the tail, F-USER",
	  SSHD_HEAD "Failed password for (?:invalid user )?<F-USER>"
		    ".+?</F-USER> from <HOST> port \\d+ ssh2$",
	  SSHD_LINE "Failed password for invalid user x from 192.0.2.1 port 22 ssh2 from "
		    "198.51.100.66 port 52144 ssh2",
	  "198.51.100.66/32" },
	{ "user, genuine line",
	  SSHD_HEAD "Failed password for (invalid user )?\\S+ from <HOST> "
		    "port \\d+ ssh2$",
	  SSHD_LINE "Failed password for root from 198.51.100.66 port 52144 ssh2",
	  "198.51.100.66/32" },
	{ "user next to the host", SSHD_HEAD "Invalid user \\S+ from <HOST> port \\d+$",
	  SSHD_LINE "Invalid user 192.0.2.1 from 198.51.100.66 port 52144", "198.51.100.66/32" },
	{ "user glued to the host", SSHD_HEAD "Invalid user .*? from <HOST>",
	  SSHD_LINE "Invalid user x from 192.0.2.1x from 198.51.100.66 port 52144",
	  "198.51.100.66/32" },
	/* CVE-2007-4321: the client's version string */
	{ "version, unanchored lazy (fooled)",
	  "Bad protocol version identification '.*?' from <HOST>",
	  SSHD_LINE "Bad protocol version identification 'SSH-2.0-x' from 192.0.2.1' from "
		    "198.51.100.66 port 40000",
	  "192.0.2.1/32" },
	{ "version, anchored",
	  SSHD_HEAD "Bad protocol version identification '.*' from <HOST> port \\d+$",
	  SSHD_LINE "Bad protocol version identification 'SSH-2.0-x' from 192.0.2.1' from "
		    "198.51.100.66 port 40000",
	  "198.51.100.66/32" },
	/* CVE-2013-2178: the URL after the real client field holds a fake one */
	{ "url, unanchored (fooled)", "\\[client <HOST>\\] user \\S+: authentication failure",
	  APACHE_LINE "File does not exist: /var/www/[client 192.0.2.1] user x: authentication "
		      "failure",
	  "192.0.2.1/32" },
	{ "url, anchored", APACHE_HEAD "user \\S+: authentication failure",
	  APACHE_LINE "File does not exist: /var/www/[client 192.0.2.1] user x: authentication "
		      "failure",
	  NULL },
	{ "url, anchored, genuine", APACHE_HEAD "user \\S+: authentication failure",
	  APACHE_LINE "user x: authentication failure for \"/[client 192.0.2.1]\": Password "
		      "Mismatch",
	  "198.51.100.66/32" },
};

static void test_injection(void)
{
	char addr[XB_PREFIX_STRLEN];

	for (size_t i = 0; i < ARRAY_SIZE(inj_cases); i++) {
		const struct inj_case *c = &inj_cases[i];
		enum xb_line_kind kind = match_one(c->re, NULL, c->line, addr);

		if (!ASSERT_EQ(kind, c->addr ? XB_LINE_FAIL : XB_LINE_MISS, c->name))
			continue;
		if (c->addr)
			ASSERT_STREQ(addr, c->addr, c->name);
	}
}

/* Deterministic noise: any bytes, NULs included, must neither crash nor hang. */
static void test_garbage(void)
{
	/* the last one backtracks exponentially: PCRE2's match limit ends it, as a miss */
	const char *fail[] = { "<HOST>", "^x (?:\\S+ )*from <HOST> port \\d+$",
			       "^(?:\\w+\\s?)*from <HOST>$" };
	struct timespec t0, t1;
	struct xb_line_event ev;
	struct xb_regex *rx = NULL;
	unsigned int seed = 12345;
	char err[256], *big;
	size_t n = XB_LINE_MAX;

	if (!ASSERT_OK(xb_regex_compile(&rx, fail, 3, NULL, 0, err, sizeof(err)), "compile"))
		return;
	big = malloc(n);
	if (!ASSERT_OK_PTR(big, "malloc"))
		goto out;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand_r(&seed) % 200);

		for (size_t i = 0; i < len; i++)
			big[i] = "0123456789abcdef:.[] \0x\xff"[rand_r(&seed) % 24];
		xb_regex_match(rx, big, len, &ev);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the worst the address group meets: every position starts an almost-address */
	for (size_t i = 0; i < n; i++)
		big[i] = i % 2 ? ':' : '1';
	ASSERT_EQ(xb_regex_match(rx, big, n, &ev), XB_LINE_MISS, "1:1:1:1:...");
	for (size_t i = 0; i < n; i++)
		big[i] = i % 2 ? '.' : '1';
	ASSERT_EQ(xb_regex_match(rx, big, n, &ev), XB_LINE_MISS, "1.1.1.1.1...");
	memset(big, 'a', 64);
	ASSERT_EQ(xb_regex_match(rx, big, 65, &ev), XB_LINE_MISS, "catastrophic user regex");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_LT(t1.tv_sec - t0.tv_sec, 10, "bounded time");
	free(big);
out:
	xb_regex_free(rx);
}

void test_regex(void)
{
	if (test__start_subtest("host"))
		test_host();
	if (test__start_subtest("tags"))
		test_tags();
	if (test__start_subtest("errors"))
		test_errors();
	if (test__start_subtest("ignore_and_order"))
		test_ignore_and_order();
	if (test__start_subtest("injection"))
		test_injection();
	if (test__start_subtest("garbage"))
		test_garbage();
}
