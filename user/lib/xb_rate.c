// SPDX-License-Identifier: GPL-2.0
/*
 * Drop-log rates in the syntax of iptables' `-m limit --limit` (parse_rate() in
 * extensions/libxt_limit.c): "N/unit", the unit any prefix of second, minute, hour or day
 * in any case, per second without one. Where libxt_limit is lax (atoi() takes "5abc", " 5"
 * and "+5") we refuse; what it accepts we read to the same rate.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "xb.h"

#define NSEC_PER_SEC 1000000000ULL
/* iptables' XT_LIMIT_SCALE: no rate faster than this many events per second. */
#define XB_LIMIT_SCALE 10000ULL

struct rate_unit {
	const char *name;
	__u64 seconds;
};

/* Shortest first: xb_rate_format() takes the first that fits. */
static const struct rate_unit rate_units[] = {
	{ "second", 1 },
	{ "minute", 60 },
	{ "hour", 3600 },
	{ "day", 86400 },
};

#define N_RATE_UNITS (sizeof(rate_units) / sizeof(rate_units[0]))
/* The largest count any unit allows: 10000/s over a day. */
#define XB_RATE_COUNT_MAX (XB_LIMIT_SCALE * 86400)

/* "s", "Min", "hour": a non-empty prefix of a unit's name, as libxt_limit's strncasecmp(). */
static const struct rate_unit *rate_unit_find(const char *text)
{
	size_t len = strlen(text);

	for (size_t i = 0; len && i < N_RATE_UNITS; i++) {
		if (len <= strlen(rate_units[i].name) &&
		    !strncasecmp(text, rate_units[i].name, len))
			return &rate_units[i];
	}
	return NULL;
}

int xb_rate_parse(const char *text, __u64 *interval_ns)
{
	const struct rate_unit *unit = &rate_units[0];
	const char *p = text;
	__u64 n = 0;

	if (!text || !isdigit((unsigned char)*p))
		return -EINVAL;
	/* Saturate instead of wrapping: anything above the cap is -ERANGE anyway. */
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (__u64)(*p - '0');
		if (n > XB_RATE_COUNT_MAX)
			n = XB_RATE_COUNT_MAX + 1;
	}
	if (*p == '/') {
		unit = rate_unit_find(p + 1);
		if (!unit)
			return -EINVAL;
	} else if (*p) {
		return -EINVAL;
	}
	if (!n || n > XB_LIMIT_SCALE * unit->seconds)
		return -ERANGE;
	*interval_ns = unit->seconds * NSEC_PER_SEC / n;
	return 0;
}

static __u64 abs_diff(__u64 a, __u64 b)
{
	return a > b ? a - b : b - a;
}

/*
 * The first unit, shortest first, with a count N that xb_rate_parse() reads back to
 * exactly interval_ns: 12e9 is "5/minute", not "300/hour". Only a unit's largest such N,
 * floor(unit / interval), can work, so that is the one tried. An interval no "N/unit"
 * gives exactly is written as the nearest one, N = unit / interval rounded (at least 1),
 * in the unit that comes closest: it may be slower than 1/day ("1/day"), or faster than
 * 10000/s ("20000/second"), which xb_rate_parse() refuses. 0, the log switched off, is
 * "0/second".
 */
void xb_rate_format(__u64 interval_ns, char *buf, size_t size)
{
	const struct rate_unit *best = &rate_units[0];
	__u64 best_n = 0, best_diff = ~0ULL;

	for (size_t i = 0; interval_ns && i < N_RATE_UNITS; i++) {
		__u64 unit_ns = rate_units[i].seconds * NSEC_PER_SEC;
		__u64 n = unit_ns / interval_ns;

		if (n && n <= XB_LIMIT_SCALE * rate_units[i].seconds &&
		    unit_ns / n == interval_ns) {
			best = &rate_units[i];
			best_n = n;
			break;
		}
		/* Cannot wrap: unit_ns < 2^47 and interval_ns / 2 < 2^63. */
		n = (unit_ns + interval_ns / 2) / interval_ns;
		if (!n)
			n = 1;
		if (abs_diff(unit_ns / n, interval_ns) < best_diff) {
			best = &rate_units[i];
			best_n = n;
			best_diff = abs_diff(unit_ns / n, interval_ns);
		}
	}
	snprintf(buf, size, "%llu/%s", (unsigned long long)best_n, best->name);
}
