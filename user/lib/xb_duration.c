// SPDX-License-Identifier: GPL-2.0
/* fail2ban-style durations, and the two clocks bans are kept in. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "xb.h"

struct unit {
	const char *name;
	__u64 seconds;
};

/* Longest names first so "min" is not read as "m" followed by garbage. */
static const struct unit units[] = {
	{ "seconds", 1 },    { "second", 1 },	 { "secs", 1 },	    { "sec", 1 },
	{ "s", 1 },	     { "minutes", 60 },	 { "minute", 60 },  { "mins", 60 },
	{ "min", 60 },	     { "m", 60 },	 { "hours", 3600 }, { "hour", 3600 },
	{ "h", 3600 },	     { "days", 86400 },	 { "day", 86400 },  { "d", 86400 },
	{ "weeks", 604800 }, { "week", 604800 }, { "w", 604800 },
};

static int match_unit(const char **p, __u64 *mult)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);

		if (!strncasecmp(*p, units[i].name, n) && !isalpha((unsigned char)(*p)[n])) {
			*p += n;
			*mult = units[i].seconds;
			return 0;
		}
	}
	return -EINVAL;
}

int xb_duration_parse(const char *text, __u64 *seconds)
{
	const char *p = text;
	bool any = false;
	__u64 total = 0;

	if (!text)
		return -EINVAL;
	while (*p) {
		__u64 num = 0, mult = 1;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			num = num * 10 + (__u64)(*p - '0');
			if (num > XB_DURATION_MAX)
				return -ERANGE;
		}
		while (*p == ' ')
			p++;
		if (isalpha((unsigned char)*p) && match_unit(&p, &mult))
			return -EINVAL;
		if (num > XB_DURATION_MAX / mult || total + num * mult > XB_DURATION_MAX)
			return -ERANGE;
		total += num * mult;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*seconds = total;
	return 0;
}

void xb_duration_format(__u64 s, char *buf, size_t size)
{
	static const struct unit steps[] = {
		{ "w", 604800 }, { "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 },
	};
	size_t off = 0;

	if (!size)
		return;
	if (!s) {
		snprintf(buf, size, "0s");
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < 5 && off < size; i++) {
		__u64 n = s / steps[i].seconds;

		if (!n)
			continue;
		s -= n * steps[i].seconds;
		off += (size_t)snprintf(buf + off, size - off, "%llu%s", (unsigned long long)n,
					steps[i].name);
	}
}

__u64 xb_now_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/*
 * In nanoseconds throughout, so that one stamp converts to the same second on every call:
 * the offset between the clocks moves only by the microseconds between the two reads.
 */
__s64 xb_boot_to_unix(__u64 boot_ns)
{
	struct timespec real;
	__s64 now_boot = (__s64)xb_now_boot_ns(), real_ns;

	clock_gettime(CLOCK_REALTIME, &real);
	real_ns = (__s64)real.tv_sec * 1000000000LL + real.tv_nsec;
	return (real_ns - now_boot + (__s64)boot_ns + 500000000LL) / 1000000000LL;
}

/*
 * mktime() for log stamps: glibc's re-reads the time zone (a stat of /etc/localtime) on every
 * call, which costs more than parsing the line. Zone offsets change on hour boundaries, so
 * the start of the last hour seen is kept and minutes and seconds added to it.
 */
__s64 xb_local_mktime(const struct tm *in)
{
	static struct {
		int year, mon, mday, hour;
		__s64 base;
		bool valid;
	} last;
	struct tm tm = *in;
	time_t t;

	if (last.valid && last.year == in->tm_year && last.mon == in->tm_mon &&
	    last.mday == in->tm_mday && last.hour == in->tm_hour)
		return last.base + in->tm_min * 60 + in->tm_sec;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	last.year = in->tm_year;
	last.mon = in->tm_mon;
	last.mday = in->tm_mday;
	last.hour = in->tm_hour;
	last.base = (__s64)t;
	last.valid = true;
	return (__s64)t + in->tm_min * 60 + in->tm_sec;
}
