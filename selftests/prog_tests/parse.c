// SPDX-License-Identifier: GPL-2.0
/* Prefix, duration and ban-line parsing of libxdpban: what banctl accepts and refuses. */
#include <errno.h>
#include <string.h>
#include "test_progs.h"
#include "xb.h"

struct prefix_case {
	const char *in;
	int err;
	const char *out; /* formatted back */
	bool host_bits;
};

static const struct prefix_case prefix_cases[] = {
	{ "203.0.113.7", 0, "203.0.113.7/32", false },
	{ "203.0.113.0/24", 0, "203.0.113.0/24", false },
	{ "203.0.113.5/24", 0, "203.0.113.0/24", true },
	{ "0.0.0.0/0", 0, "0.0.0.0/0", false },
	{ "10.0.0.1/0", 0, "0.0.0.0/0", true },
	{ "2001:db8::1", 0, "2001:db8::1/128", false },
	{ "2001:db8::/32", 0, "2001:db8::/32", false },
	{ "2001:db8::1/64", 0, "2001:db8::/64", true },
	{ "::/0", 0, "::/0", false },
	{ "::ffff:198.51.100.9", 0, "198.51.100.9/32", false },
	{ "::ffff:198.51.100.0/120", 0, "198.51.100.0/24", false },
	{ "::ffff:0:0/96", 0, "0.0.0.0/0", false },
	{ "::ffff:0:0/95", 0, "::fffe:0:0/95", true },
	{ "10.1.2.300", -EINVAL, NULL, false },
	{ "10.1.2", -EINVAL, NULL, false },
	{ "10.0.0.0/33", -EINVAL, NULL, false },
	{ "10.0.0.0/-1", -EINVAL, NULL, false },
	{ "10.0.0.0/", -EINVAL, NULL, false },
	{ "10.0.0.0/08", -EINVAL, NULL, false },
	{ "10.0.0.0/8/8", -EINVAL, NULL, false },
	{ "10.0.0.0 /8", -EINVAL, NULL, false },
	{ "fd00::/129", -EINVAL, NULL, false },
	{ "fd00::/1000", -EINVAL, NULL, false },
	{ "fd00:::1", -EINVAL, NULL, false },
	{ "", -EINVAL, NULL, false },
	{ "/24", -EINVAL, NULL, false },
	{ "example.com", -EINVAL, NULL, false },
};

static void test_prefixes(void)
{
	for (size_t i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		const struct prefix_case *c = &prefix_cases[i];
		char out[XB_PREFIX_STRLEN];
		struct xb_prefix p;
		bool host = false;
		int err = xb_prefix_parse(c->in, &p, &host);

		if (!ASSERT_EQ(err, c->err, c->in) || err)
			continue;
		xb_prefix_format(&p, out, sizeof(out));
		ASSERT_STREQ(out, c->out, c->in);
		ASSERT_EQ(host, c->host_bits, c->in);
	}
}

static void test_covers(void)
{
	struct xb_prefix a, b, c;

	xb_prefix_parse("10.0.0.0/8", &a, NULL);
	xb_prefix_parse("10.1.2.3", &b, NULL);
	xb_prefix_parse("11.0.0.1", &c, NULL);
	ASSERT_TRUE(xb_prefix_covers(&a, &b), "10/8 covers 10.1.2.3");
	ASSERT_FALSE(xb_prefix_covers(&a, &c), "10/8 does not cover 11.0.0.1");
	ASSERT_FALSE(xb_prefix_covers(&b, &a), "a host does not cover its network");
}

struct dur_case {
	const char *in;
	int err;
	__u64 secs;
};

static const struct dur_case dur_cases[] = {
	{ "600", 0, 600 },
	{ "10m", 0, 600 },
	{ "1h", 0, 3600 },
	{ "1d", 0, 86400 },
	{ "1w", 0, 604800 },
	{ "1h30m", 0, 5400 },
	{ "1 day", 0, 86400 },
	{ "2 hours 5 min", 0, 7500 },
	{ "90s", 0, 90 },
	{ "0", 0, 0 },
	{ "10x", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "m", -EINVAL, 0 },
	{ "-5", -EINVAL, 0 },
	{ "1.5h", -EINVAL, 0 },
	{ "10mx", -EINVAL, 0 },
	{ "99999999999999999999w", -ERANGE, 0 },
	{ "5300w", -ERANGE, 0 },
	{ "5200w", 0, 5200ULL * 604800 },
};

static void test_durations(void)
{
	char buf[64];
	__u64 s = 0;

	for (size_t i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++) {
		const struct dur_case *c = &dur_cases[i];
		int err = xb_duration_parse(c->in, &s);

		if (ASSERT_EQ(err, c->err, c->in) && !err)
			ASSERT_EQ(s, c->secs, c->in);
	}
	xb_duration_format(5400, buf, sizeof(buf));
	ASSERT_STREQ(buf, "1h30m", "format 5400");
	xb_duration_format(694861, buf, sizeof(buf));
	ASSERT_STREQ(buf, "1w1d1h1m1s", "format mixed");
}

static void test_ban_lines(void)
{
	struct xb_ban_req r;
	char line[256], err[128], text[XB_PREFIX_STRLEN];

	memset(&r, 0, sizeof(r));
	strcpy(line, "203.0.113.7 timeout 1h reason wp-login brute force\n");
	if (ASSERT_OK(xb_ban_line_parse(line, &r, err, sizeof(err)), "full line")) {
		xb_prefix_format(&r.pfx, text, sizeof(text));
		ASSERT_STREQ(text, "203.0.113.7/32", "prefix");
		ASSERT_EQ(r.timeout_s, 3600, "timeout");
		ASSERT_STREQ(r.reason, "wp-login brute force", "reason keeps spaces");
	}
	strcpy(line, "   # a comment\n");
	ASSERT_EQ(xb_ban_line_parse(line, &r, err, sizeof(err)), 1, "comment");
	strcpy(line, "\r\n");
	ASSERT_EQ(xb_ban_line_parse(line, &r, err, sizeof(err)), 1, "blank");
	strcpy(line, "10.0.0.300\n");
	ASSERT_EQ(xb_ban_line_parse(line, &r, err, sizeof(err)), -EINVAL, "bad address");
	ASSERT_HAS_SUBSTR(err, "10.0.0.300", "error names the address");
	strcpy(line, "10.0.0.1 timeout soon\n");
	ASSERT_EQ(xb_ban_line_parse(line, &r, err, sizeof(err)), -EINVAL, "bad timeout");
	strcpy(line, "10.0.0.1 forever\n");
	ASSERT_EQ(xb_ban_line_parse(line, &r, err, sizeof(err)), -EINVAL, "unknown word");
	strcpy(line, "10.0.0.1 reason this reason is far too long to fit\n");
	ASSERT_EQ(xb_ban_line_parse(line, &r, err, sizeof(err)), -EINVAL, "long reason");
	strcpy(line, "10.0.0.1 reason bell\a\n");
	ASSERT_EQ(xb_ban_line_parse(line, &r, err, sizeof(err)), -EINVAL, "control char");
}

void test_parse(void)
{
	if (test__start_subtest("prefixes"))
		test_prefixes();
	if (test__start_subtest("covers"))
		test_covers();
	if (test__start_subtest("durations"))
		test_durations();
	if (test__start_subtest("ban_lines"))
		test_ban_lines();
}
