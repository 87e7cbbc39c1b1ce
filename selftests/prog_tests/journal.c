// SPDX-License-Identifier: GPL-2.0
/* The ban journal: what the library writes, and a restore from it after a "reboot". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "test_progs.h"
#include "xb_fixture.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Last record wins, unban removes, expired and damaged records are left out. */
static void test_restore(const char *dir)
{
	char path[256], text[2048];
	struct xb_fixture fx;
	struct xb_ban ban;
	long long now = time(NULL);
	int n;

	if (!ASSERT_OK(xb_fixture_open(&fx), "fixture"))
		return;
	snprintf(path, sizeof(path), "%s/bans.journal", dir);
	snprintf(text, sizeof(text),
		 "ban 203.0.113.1/32 %lld %lld 1 10 1000 first\n"
		 "ban 203.0.113.1/32 %lld %lld 2 11 1100 second\n"
		 "ban 203.0.113.2/32 0 %lld 0 0 0 gone\n"
		 "unban 203.0.113.2/32\n"
		 "ban 203.0.113.3/32 %lld %lld 0 0 0 expired\n"
		 "ban 198.51.100.0/24 0 %lld 3 5 500 net with spaces\n"
		 "ban 2001:db8::/32 %lld %lld 0 0 0 v6\n"
		 "allow 192.0.2.9/32\n"
		 "allow 192.0.2.10/32\n"
		 "unallow 192.0.2.10/32\n"
		 "garbage line\n"
		 "ban 203.0.113.4/32 notanumber\n"
		 "ban 203.0.113.5/32 0 0 1 0 0 torn",
		 now + 3600, now - 60, now + 7200, now - 30, now - 10, now - 5, now - 100, now - 20,
		 now + 600, now - 1);
	write_file(path, text);
	n = xb_journal_restore(&fx.maps, dir);
	ASSERT_EQ(n, 4, "bans restored");
	if (ASSERT_OK(xb_fixture_ban_get(&fx, "203.0.113.1", &ban), "last record wins")) {
		ASSERT_STREQ(ban.reason, "second", "reason of the last record");
		ASSERT_EQ(ban.origin, 2, "origin");
		ASSERT_EQ(ban.packets, 11, "hit counters");
		ASSERT_GT(ban.expires_ns, xb_now_boot_ns() + 7000ULL * 1000000000ULL,
			  "remaining time");
	}
	ASSERT_ERR(xb_fixture_ban_get(&fx, "203.0.113.2", &ban), "unbanned stays gone");
	ASSERT_ERR(xb_fixture_ban_get(&fx, "203.0.113.3", &ban), "expired not restored");
	if (ASSERT_OK(xb_fixture_ban_get(&fx, "198.51.100.0/24", &ban), "prefix")) {
		ASSERT_EQ(ban.expires_ns, 0, "permanent");
		ASSERT_STREQ(ban.reason, "net with spaces", "reason with spaces");
	}
	ASSERT_OK(xb_fixture_ban_get(&fx, "2001:db8::/32", &ban), "v6 prefix");
	ASSERT_OK(xb_fixture_ban_get(&fx, "203.0.113.5", &ban), "a last line without newline");
	{
		struct xb_allow_entry *e = NULL;
		size_t na = 0;

		ASSERT_OK(xb_allow_list(&fx.maps, &e, &na), "allow list");
		ASSERT_EQ(na, 1, "allow entries restored");
		free(e);
	}
	xb_fixture_close(&fx);
}

/* What add/del/allow write is what restore reads back. */
static void test_round_trip(const char *dir)
{
	struct xb_ban_req req = { .timeout_s = 600, .reason = "rt" };
	struct xb_fixture fx, fx2;
	struct xb_prefix p;
	struct xb_ban ban;

	if (!ASSERT_OK(xb_fixture_open(&fx), "fixture"))
		return;
	if (!ASSERT_OK(xb_journal_open(&fx.maps, dir), "open journal"))
		goto out;
	xb_prefix_parse("192.0.2.1", &req.pfx, NULL);
	ASSERT_OK(xb_bans_add(&fx.maps, &req, 1, NULL), "add");
	xb_prefix_parse("192.0.2.2", &req.pfx, NULL);
	ASSERT_OK(xb_bans_add(&fx.maps, &req, 1, NULL), "add 2");
	xb_prefix_parse("192.0.2.2", &p, NULL);
	ASSERT_OK(xb_bans_del(&fx.maps, &p, 1, NULL), "del 2");
	xb_prefix_parse("192.0.2.77", &p, NULL);
	ASSERT_OK(xb_allow_add(&fx.maps, &p, 1, NULL), "allow");
	xb_journal_close(&fx.maps);
	if (!ASSERT_OK(xb_fixture_open(&fx2), "fresh maps"))
		goto out;
	ASSERT_EQ(xb_journal_restore(&fx2.maps, dir), 1, "one ban back");
	if (ASSERT_OK(xb_fixture_ban_get(&fx2, "192.0.2.1", &ban), "restored"))
		ASSERT_STREQ(ban.reason, "rt", "reason");
	ASSERT_ERR(xb_fixture_ban_get(&fx2, "192.0.2.2", &ban), "deleted stays deleted");
	xb_fixture_close(&fx2);
out:
	xb_fixture_close(&fx);
}

void test_journal(void)
{
	char dir[] = "/tmp/xb-journal.XXXXXX", cmd[64];

	if (!test__require_root() || !ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	if (test__start_subtest("restore"))
		test_restore(dir);
	snprintf(cmd, sizeof(cmd), "%s/bans.journal", dir);
	unlink(cmd);
	if (test__start_subtest("round_trip"))
		test_round_trip(dir);
	unlink(cmd);
	rmdir(dir);
}
