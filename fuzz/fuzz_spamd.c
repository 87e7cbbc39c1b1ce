// SPDX-License-Identifier: GPL-2.0
/*
 * xb_spamd_line(): the input as one line, then split at '\n' into lines, each in a heap
 * block of its exact size (not NUL terminated). Two join states see them: one made once
 * and kept across all inputs (small, so that ageing and eviction happen all the time), and
 * a fresh one per input (so a crash reproduces from its input alone). A line is a MISS
 * with an all-zero event or a FAIL with a host address and finite scores; with the fresh
 * state, a FAIL's address is spelled out somewhere in the input.
 */
#include <math.h>
#include "fuzz.h"
#include "xb_sources.h"

#define KEPT_PENDING 16
#define FRESH_PENDING 4
#define MAX_AGE_S 60
#define IP_TEXT_MAX 45

static struct xb_spamd *kept, *nojoin;
static __u64 now = 1764199000; /* 2025-11-26, in unix seconds */

static bool is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static bool is_ipchar(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
	       ch == ':' || ch == '.';
}

/* Whether some maximal run of address characters in the input is addr. */
static bool spelled_out(const uint8_t *data, size_t size, const struct xb_prefix *addr)
{
	char text[IP_TEXT_MAX + 1];
	struct xb_prefix p;

	for (size_t i = 0, j; i < size; i = j + 1) {
		for (j = i; j < size && is_ipchar((char)data[j]);)
			j++;
		if (j - i < 2 || j - i > IP_TEXT_MAX)
			continue;
		memcpy(text, data + i, j - i);
		text[j - i] = '\0';
		if (!xb_prefix_parse(text, &p, NULL) && !memcmp(&p, addr, sizeof(p)))
			return true;
	}
	return false;
}

static void check_event(enum xb_line_kind kind, const struct xb_line_event *ev)
{
	FUZZ_CHECK(kind == XB_LINE_MISS || kind == XB_LINE_FAIL);
	FUZZ_CHECK(ev->kind == kind);
	if (kind == XB_LINE_MISS) {
		FUZZ_CHECK(is_zero(ev, sizeof(*ev)));
		return;
	}
	FUZZ_CHECK(fuzz_host_valid(&ev->addr));
	FUZZ_CHECK(!ev->tag[0] && ev->f2b == XB_F2B_NONE && !ev->bantime_s);
	FUZZ_CHECK(isfinite(ev->score) && isfinite(ev->threshold));
}

/* One line through every state. */
static void feed(struct xb_spamd *fresh, const uint8_t *data, size_t size, const uint8_t *line,
		 size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct xb_line_event ev;
	enum xb_line_kind kind;

	FUZZ_CHECK(copy != NULL);
	memcpy(copy, line, len);
	/* Time moves on by 0 to 3 s a line, now and then by more than MAX_AGE_S. */
	now += len ? (line[0] & 3) + (line[0] == '~' ? 2 * MAX_AGE_S : 0) : 0;

	kind = xb_spamd_line(kept, copy, len, now, &ev);
	check_event(kind, &ev);
	kind = xb_spamd_line(nojoin, copy, len, now, &ev);
	check_event(kind, &ev);
	kind = xb_spamd_line(fresh, copy, len, now, &ev);
	check_event(kind, &ev);
	if (kind == XB_LINE_FAIL)
		FUZZ_CHECK(spelled_out(data, size, &ev.addr));
	free(copy);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_silence();
	kept = xb_spamd_new(KEPT_PENDING, MAX_AGE_S);
	nojoin = xb_spamd_new(0, MAX_AGE_S);
	FUZZ_CHECK(kept && nojoin);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xb_spamd *fresh = xb_spamd_new(FRESH_PENDING, MAX_AGE_S);
	const uint8_t *p = data, *end = data + size, *nl;

	FUZZ_CHECK(fresh != NULL);
	feed(fresh, data, size, data, size);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		feed(fresh, data, size, p, (size_t)((nl ? nl : end) - p));
		p = nl ? nl + 1 : end;
	}
	xb_spamd_free(fresh);
	return 0;
}
