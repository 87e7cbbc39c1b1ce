// SPDX-License-Identifier: GPL-2.0
/*
 * xb_rate_parse() and xb_rate_format(): the input as text, and its first 8 bytes as an
 * interval. A parsed rate is between 10000/second and 1/day; xb_rate_format() always
 * writes "N/unit" with a full unit name; where some "N/unit" reads back to the interval
 * exactly (always so for a parsed one) it writes the one in the smallest such unit, and
 * that text parses back to the same interval.
 */
#include <ctype.h>
#include "fuzz.h"

#define NSEC_PER_SEC 1000000000ULL
#define LIMIT_SCALE 10000ULL

static const struct {
	const char *name;
	__u64 seconds;
} units[] = { { "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 } };

#define N_UNITS (sizeof(units) / sizeof(units[0]))

/* The exact "N/unit" for interval in the smallest unit, worked out independently. */
static bool exact_text(__u64 interval, char *buf, size_t size)
{
	for (size_t i = 0; interval && i < N_UNITS; i++) {
		__u64 unit_ns = units[i].seconds * NSEC_PER_SEC, n = unit_ns / interval;

		if (n && n <= LIMIT_SCALE * units[i].seconds && unit_ns / n == interval) {
			snprintf(buf, size, "%llu/%s", (unsigned long long)n, units[i].name);
			return true;
		}
	}
	return false;
}

/* "digits/unit", nothing else. */
static bool well_formed(const char *text)
{
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != '/')
		return false;
	for (size_t i = 0; i < N_UNITS; i++) {
		if (!strcmp(p, units[i].name))
			return true;
	}
	return false;
}

static void check_format(__u64 interval, bool must_be_exact)
{
	char text[64], want[64], *copy;
	__u64 back = 0;
	bool exact;

	memset(text, 0x5a, sizeof(text));
	xb_rate_format(interval, text, sizeof(text));
	FUZZ_CHECK(memchr(text, '\0', sizeof(text)) != NULL);
	FUZZ_CHECK(well_formed(text));
	if (!interval)
		FUZZ_CHECK(!strcmp(text, "0/second"));
	exact = exact_text(interval, want, sizeof(want));
	FUZZ_CHECK(exact || !must_be_exact);
	if (!exact)
		return;
	FUZZ_CHECK(!strcmp(text, want));
	copy = fuzz_strndup((const uint8_t *)text, strlen(text));
	FUZZ_CHECK(xb_rate_parse(copy, &back) == 0);
	FUZZ_CHECK(back == interval);
	free(copy);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_silence();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	__u64 interval = 0, raw;
	int err;

	err = xb_rate_parse(text, &interval);
	FUZZ_CHECK(err == 0 || err == -EINVAL || err == -ERANGE);
	if (!err) {
		FUZZ_CHECK(interval >= NSEC_PER_SEC / LIMIT_SCALE);
		FUZZ_CHECK(interval <= 86400 * NSEC_PER_SEC);
		check_format(interval, true);
	}
	free(text);

	if (size >= sizeof(raw)) {
		memcpy(&raw, data, sizeof(raw));
		check_format(raw, false);
		/* Intervals in the range a rate can give, where exactness is most interesting. */
		check_format(raw % (86400 * NSEC_PER_SEC + 1), false);
	}
	return 0;
}
