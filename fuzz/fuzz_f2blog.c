// SPDX-License-Identifier: GPL-2.0
/*
 * xb_f2blog_parse(), one fail2ban.log line (the whole input, not NUL terminated, in a heap
 * block of its exact size), with a few jail glob lists: some names, "*", and none. What it
 * returns is consistent across them (a line some list selects, "*" selects the same way;
 * no list selects nothing), an event is all zero on a MISS, and a BAN/UNBAN carries a host
 * address, a jail name that "[name] " shows in the line, the matching action, and a ban time
 * within XB_DURATION_MAX that only Increase Ban sets.
 */
#define _GNU_SOURCE /* memmem */
#include "fuzz.h"
#include "xb_sources.h"

static const char *const named[] = { "sshd", "spamd-*", "recidive", "postfix[-_]*", "ssh?" };
static const char *const all[] = { "*" };

static bool is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static bool jail_char(char ch)
{
	return ch > ' ' && ch < 0x7f && ch != '[' && ch != ']';
}

static void check_event(enum xb_line_kind kind, const struct xb_line_event *ev, const char *line,
			size_t len)
{
	char needle[XB_REASON_LEN + 2];
	size_t tag_len;

	FUZZ_CHECK(kind == XB_LINE_MISS || kind == XB_LINE_BAN || kind == XB_LINE_UNBAN);
	if (kind == XB_LINE_MISS) {
		FUZZ_CHECK(is_zero(ev, sizeof(*ev)));
		return;
	}
	FUZZ_CHECK(ev->kind == kind);
	FUZZ_CHECK(fuzz_host_valid(&ev->addr));
	tag_len = strnlen(ev->tag, sizeof(ev->tag));
	FUZZ_CHECK(tag_len > 0 && tag_len < sizeof(ev->tag));
	for (size_t i = 0; i < tag_len; i++)
		FUZZ_CHECK(jail_char(ev->tag[i]));
	/* The tag is the jail's name or its start: "[tag" is in the line. */
	snprintf(needle, sizeof(needle), "[%s", ev->tag);
	FUZZ_CHECK(memmem(line, len, needle, strlen(needle)) != NULL);
	if (kind == XB_LINE_BAN)
		FUZZ_CHECK(ev->f2b == XB_F2B_BAN || ev->f2b == XB_F2B_RESTORE ||
			   ev->f2b == XB_F2B_INCREASE);
	else
		FUZZ_CHECK(ev->f2b == XB_F2B_UNBAN);
	FUZZ_CHECK(ev->bantime_s <= XB_DURATION_MAX);
	FUZZ_CHECK(!ev->bantime_s || ev->f2b == XB_F2B_INCREASE);
	FUZZ_CHECK(!ev->has_score && !ev->score && !ev->threshold);
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
	struct xb_line_event ev_named, ev_all, ev_none;
	enum xb_line_kind k_named, k_all, k_none;
	char *line = malloc(size ? size : 1);

	FUZZ_CHECK(line != NULL);
	memcpy(line, data, size);
	k_named = xb_f2blog_parse(line, size, named, sizeof(named) / sizeof(named[0]), &ev_named);
	k_all = xb_f2blog_parse(line, size, all, 1, &ev_all);
	k_none = xb_f2blog_parse(line, size, NULL, 0, &ev_none);
	check_event(k_named, &ev_named, line, size);
	check_event(k_all, &ev_all, line, size);
	check_event(k_none, &ev_none, line, size);
	FUZZ_CHECK(k_none == XB_LINE_MISS);
	if (k_named != XB_LINE_MISS) {
		FUZZ_CHECK(k_all == k_named);
		FUZZ_CHECK(!memcmp(&ev_all, &ev_named, sizeof(ev_all)));
	}
	free(line);
	return 0;
}
