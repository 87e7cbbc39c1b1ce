// SPDX-License-Identifier: GPL-2.0
/*
 * xb_rate_parse() and xb_rate_format(): iptables `-m limit --limit` rates as libxt_limit's
 * parse_rate() reads them (unit = any prefix of second/minute/hour/day, any case, per
 * second by default, at most XT_LIMIT_SCALE = 10000 per second), in nanoseconds per event.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "test_progs.h"
#include "xb.h"

#define NS 1000000000ULL

struct rate_case {
	const char *in;
	__u64 interval_ns;
};

static const struct rate_case accepted[] = {
	{ "5/min", 12 * NS },
	{ "5/m", 12 * NS },
	{ "5/mi", 12 * NS },
	{ "5/minute", 12 * NS },
	{ "5/MIN", 12 * NS },
	{ "5/Minute", 12 * NS },
	{ "05/min", 12 * NS },
	{ "10/s", NS / 10 },
	{ "10/sec", NS / 10 },
	{ "10/second", NS / 10 },
	{ "10/SECOND", NS / 10 },
	{ "10", NS / 10 },
	{ "1", NS },
	{ "3/h", 1200 * NS },
	{ "3/hour", 1200 * NS },
	{ "3/HoUr", 1200 * NS },
	{ "1/d", 86400 * NS },
	{ "1/da", 86400 * NS },
	{ "1/day", 86400 * NS },
	{ "1/D", 86400 * NS },
	/* Not exact: the interval is rounded down, as iptables' integer division does. */
	{ "3/s", 333333333 },
	{ "7/m", 8571428571ULL },
	/* The fastest rate, in every unit. */
	{ "10000/s", 100000 },
	{ "10000", 100000 },
	{ "600000/minute", 100000 },
	{ "36000000/hour", 100000 },
	{ "864000000/day", 100000 },
};

struct rate_reject {
	const char *in;
	int err;
};

static const struct rate_reject rejected[] = {
	{ "", -EINVAL },
	{ "/min", -EINVAL },
	{ "-5/min", -EINVAL },
	{ "+5/min", -EINVAL },
	{ " 5/min", -EINVAL },
	{ "5 /min", -EINVAL },
	{ "5/ min", -EINVAL },
	{ "5/min ", -EINVAL },
	{ "5/", -EINVAL },
	{ "5//min", -EINVAL },
	{ "5/min/", -EINVAL },
	{ "5/minutes", -EINVAL },
	{ "5/mins", -EINVAL },
	{ "5/hours", -EINVAL },
	{ "5/mn", -EINVAL },
	{ "5/x", -EINVAL },
	{ "5/week", -EINVAL },
	{ "5x", -EINVAL },
	{ "5.5/s", -EINVAL },
	{ "0x10/s", -EINVAL },
	{ "five/min", -EINVAL },
	{ "0/foo", -EINVAL },
	{ "0", -ERANGE },
	{ "0/min", -ERANGE },
	{ "000/day", -ERANGE },
	{ "10001", -ERANGE },
	{ "10001/s", -ERANGE },
	{ "600001/m", -ERANGE },
	{ "36000001/h", -ERANGE },
	{ "864000001/d", -ERANGE },
	{ "18446744073709551616/s", -ERANGE },
	{ "99999999999999999999999999999999/day", -ERANGE },
};

static void test_accepted(void)
{
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		__u64 ns = 0;

		if (ASSERT_OK(xb_rate_parse(accepted[i].in, &ns), accepted[i].in))
			ASSERT_EQ(ns, accepted[i].interval_ns, accepted[i].in);
	}
}

static void test_rejected(void)
{
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		__u64 ns = 42;

		ASSERT_EQ(xb_rate_parse(rejected[i].in, &ns), rejected[i].err, rejected[i].in);
		ASSERT_EQ(ns, 42, "left alone on error");
	}
	ASSERT_EQ(xb_rate_parse(NULL, &(__u64){ 0 }), -EINVAL, "NULL");
}

struct format_case {
	__u64 interval_ns;
	const char *out;
};

/* The first of second, minute, hour, day whose N reads back to the same interval. */
static const struct format_case exact[] = {
	{ 12 * NS, "5/minute" },    { XB_LOG_DEFAULT_INTERVAL_NS, "5/minute" },
	{ NS / 10, "10/second" },   { NS, "1/second" },
	{ 60 * NS, "1/minute" },    { 3600 * NS, "1/hour" },
	{ 1200 * NS, "3/hour" },    { 86400 * NS, "1/day" },
	{ 9 * NS, "400/hour" },	    { 864 * NS, "100/day" },
	{ 333333333, "3/second" },  { 8571428571ULL, "7/minute" },
	{ 100000, "10000/second" },
};

/* No "N/unit" gives these exactly: the nearest one, parseable or not. */
static const struct format_case nearest[] = {
	{ 0, "0/second" },	  { 1, "1000000000/second" }, { 50000, "20000/second" },
	{ 200000 * NS, "1/day" }, { ~0ULL, "1/day" },	      { 7 * NS + 1, "12343/day" },
};

static void test_format(void)
{
	char buf[32], name[64];
	__u64 ns;

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		snprintf(name, sizeof(name), "exact %llu",
			 (unsigned long long)exact[i].interval_ns);
		xb_rate_format(exact[i].interval_ns, buf, sizeof(buf));
		ASSERT_STREQ(buf, exact[i].out, name);
		if (ASSERT_OK(xb_rate_parse(buf, &ns), name))
			ASSERT_EQ(ns, exact[i].interval_ns, name);
	}
	for (size_t i = 0; i < sizeof(nearest) / sizeof(nearest[0]); i++) {
		snprintf(name, sizeof(name), "nearest %llu",
			 (unsigned long long)nearest[i].interval_ns);
		xb_rate_format(nearest[i].interval_ns, buf, sizeof(buf));
		ASSERT_STREQ(buf, nearest[i].out, name);
	}
	xb_rate_format(12 * NS, buf, 4);
	ASSERT_STREQ(buf, "5/m", "truncated to the buffer");
	xb_rate_format(12 * NS, NULL, 0);
}

/* Whatever a rate parses to, formatting it gives a rate that parses to the same. */
static void test_round_trip(void)
{
	static const char *const units[] = { "second", "minute", "hour", "day" };
	static const __u64 max[] = { 10000, 600000, 36000000, 864000000 };

	for (size_t u = 0; u < 4; u++) {
		for (__u64 n = 1; n <= max[u]; n = n < 2000 ? n + 1 : n * 3 + 1) {
			char in[48], out[48];
			__u64 a, b;

			snprintf(in, sizeof(in), "%llu/%s", (unsigned long long)n, units[u]);
			if (!ASSERT_OK(xb_rate_parse(in, &a), in))
				return;
			xb_rate_format(a, out, sizeof(out));
			if (!ASSERT_OK(xb_rate_parse(out, &b), out) || !ASSERT_EQ(b, a, in))
				return;
		}
	}
}

void test_rate(void)
{
	if (test__start_subtest("accepted"))
		test_accepted();
	if (test__start_subtest("rejected"))
		test_rejected();
	if (test__start_subtest("format"))
		test_format();
	if (test__start_subtest("round_trip"))
		test_round_trip();
}
