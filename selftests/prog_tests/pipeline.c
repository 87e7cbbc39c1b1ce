// SPDX-License-Identifier: GPL-2.0
/* The ban pipeline: maxretry within findtime, increments, never-ban rules, real maps. */
#include <math.h>
#include <string.h>
#include "test_progs.h"
#include "xb_fixture.h"
#include "xb_pipeline.h"

static struct xb_line_event fail_from(const char *addr, __s64 when)
{
	struct xb_line_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = XB_LINE_FAIL;
	ev.when = when;
	xb_prefix_parse(addr, &ev.addr, NULL);
	return ev;
}

static struct xb_pipeline_opts base_opts(void)
{
	struct xb_pipeline_opts o = {
		.name = "test",
		.origin = XB_ORIGIN_REGEX,
		.maxretry = 3,
		.findtime_s = 600,
		.bantime_s = 3600,
		.factor = 1.0,
		.dryrun = true,
		.ignoreself = true,
	};

	return o;
}

static void test_maxretry(void)
{
	struct xb_pipeline_opts o = base_opts();
	struct xb_pipeline *p = xb_pipeline_new(&o);
	struct xb_line_event ev = fail_from("203.0.113.7", 1000);
	struct xb_ban_req req;

	if (!ASSERT_OK_PTR(p, "new"))
		return;
	ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, &req), XB_DEC_COUNTED, "1st");
	ev.when = 1100;
	ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, &req), XB_DEC_COUNTED, "2nd");
	ev.when = 1200;
	ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, &req), XB_DEC_DRYRUN, "3rd bans");
	ASSERT_EQ(req.timeout_s, 3600, "bantime");
	ASSERT_STREQ(req.reason, "test", "reason is the source");
	ASSERT_EQ(req.origin, XB_ORIGIN_REGEX, "origin");
	/* Spread wider than findtime: never three within 600 s. */
	ev = fail_from("203.0.113.8", 10000);
	for (int i = 0; i < 6; i++) {
		ev.when = 10000 + i * 400;
		ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, &req), XB_DEC_COUNTED, "slow failures");
	}
	xb_pipeline_free(p);
}

static void test_increment(void)
{
	struct xb_pipeline_opts o = base_opts();
	struct xb_ban_req req;
	struct xb_pipeline *p;
	struct xb_line_event ev;
	__u64 want[] = { 3600, 7200, 14400, 20000, 20000 };

	o.maxretry = 1;
	o.increment = true;
	o.maxtime_s = 20000;
	p = xb_pipeline_new(&o);
	if (!ASSERT_OK_PTR(p, "new"))
		return;
	ev = fail_from("198.51.100.9", 0);
	for (int i = 0; i < 5; i++) {
		ev.when = 1000 + i;
		ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, &req), XB_DEC_DRYRUN, "ban");
		ASSERT_EQ(req.timeout_s, want[i], "doubling, capped at maxtime");
	}
	xb_pipeline_free(p);
}

static void test_never_ban(void)
{
	struct xb_prefix ign;
	struct xb_pipeline_opts o = base_opts();
	struct xb_pipeline *p;
	struct xb_line_event ev;
	const char *never[] = { "127.0.0.1", "::1", "169.254.1.1", "fe80::1", "192.0.2.77" };

	o.maxretry = 1;
	xb_prefix_parse("192.0.2.0/24", &ign, NULL);
	o.ignore = &ign;
	o.n_ignore = 1;
	p = xb_pipeline_new(&o);
	if (!ASSERT_OK_PTR(p, "new"))
		return;
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		ev = fail_from(never[i], 1000);
		ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, NULL), XB_DEC_IGNORED, never[i]);
	}
	ev = fail_from("203.0.113.1", 1000);
	ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, NULL), XB_DEC_DRYRUN, "others are banned");
	xb_pipeline_free(p);
}

static void test_minscore(void)
{
	struct xb_pipeline_opts o = base_opts();
	struct xb_pipeline *p;
	struct xb_line_event ev = fail_from("203.0.113.9", 1000);

	o.maxretry = 1;
	o.has_minscore = true;
	o.minscore = 10;
	p = xb_pipeline_new(&o);
	if (!ASSERT_OK_PTR(p, "new"))
		return;
	ev.has_score = true;
	ev.score = 6.5;
	ev.threshold = 5;
	ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, NULL), XB_DEC_IGNORED, "below minscore");
	ev.score = 12;
	ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, NULL), XB_DEC_DRYRUN, "above minscore");
	xb_pipeline_free(p);
}

/*
 * More addresses than tracked: memory stays bounded, and the oldest are forgotten, never a
 * new one refused: an attacker failing among a flood of other addresses is still banned.
 */
static void test_bounded(void)
{
	struct xb_pipeline_opts o = base_opts();
	struct xb_pipeline_stats st;
	struct xb_pipeline *p;
	int attacker_banned_at = -1;
	char addr[32];

	o.max_tracked = 100;
	p = xb_pipeline_new(&o);
	if (!ASSERT_OK_PTR(p, "new"))
		return;
	for (int i = 0; i < 1000; i++) {
		struct xb_line_event ev;

		snprintf(addr, sizeof(addr), "10.9.%d.%d", i / 250, i % 250 + 1);
		ev = fail_from(addr, 1000 + i);
		ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, NULL), XB_DEC_COUNTED, "flood counted");
		if (i >= 900 && i % 20 == 0) {
			ev = fail_from("203.0.113.66", 1000 + i);
			if (xb_pipeline_feed(p, NULL, &ev, 0, NULL) == XB_DEC_DRYRUN &&
			    attacker_banned_at < 0)
				attacker_banned_at = i;
		}
	}
	xb_pipeline_stats(p, &st);
	ASSERT_EQ(st.untracked, 0, "no failure left uncounted");
	ASSERT_GE(st.evicted, 900, "the oldest forgotten to make room");
	ASSERT_EQ(attacker_banned_at, 940, "the attacker banned at its third failure");
	xb_pipeline_free(p);
}

/* maxretry 1 without bantime.increment bans at once and keeps no table entry at all. */
static void test_maxretry1_untracked(void)
{
	struct xb_pipeline_opts o = base_opts();
	struct xb_pipeline_stats st;
	struct xb_pipeline *p;
	char addr[32];

	o.maxretry = 1;
	o.max_tracked = 10;
	p = xb_pipeline_new(&o);
	if (!ASSERT_OK_PTR(p, "new"))
		return;
	for (int i = 0; i < 500; i++) {
		struct xb_line_event ev;

		snprintf(addr, sizeof(addr), "10.8.%d.%d", i / 250, i % 250 + 1);
		ev = fail_from(addr, 1000);
		ASSERT_EQ(xb_pipeline_feed(p, NULL, &ev, 0, NULL), XB_DEC_DRYRUN, "banned at once");
	}
	xb_pipeline_stats(p, &st);
	ASSERT_EQ(st.dryrun, 500, "every address banned");
	ASSERT_EQ(st.evicted, 0, "nothing tracked, nothing evicted");
	ASSERT_FALSE(xb_pipeline_dirty(p), "nothing to save");
	xb_pipeline_free(p);
}

/* Through the real maps: a ban lands with its reason, Unban lifts it, allow list wins. */
static void test_maps(void)
{
	struct xb_pipeline_opts o = base_opts();
	struct xb_fixture fx;
	struct xb_pipeline *p;
	struct xb_line_event ev;
	struct xb_ban ban;

	if (!test__require_root() || !ASSERT_OK(xb_fixture_open(&fx), "fixture"))
		return;
	o.dryrun = false;
	o.maxretry = 1;
	o.origin = XB_ORIGIN_FAIL2BAN;
	p = xb_pipeline_new(&o);
	if (!ASSERT_OK_PTR(p, "new"))
		goto out;
	ev = fail_from("203.0.113.50", 0);
	ev.kind = XB_LINE_BAN;
	snprintf(ev.tag, sizeof(ev.tag), "sshd");
	ASSERT_EQ(xb_pipeline_feed(p, &fx.maps, &ev, 100, NULL), XB_DEC_BANNED, "ban");
	if (ASSERT_OK(xb_fixture_ban_get(&fx, "203.0.113.50", &ban), "in the map")) {
		ASSERT_STREQ(ban.reason, "test/sshd", "reason source/jail");
		ASSERT_EQ(ban.origin, XB_ORIGIN_FAIL2BAN, "origin");
		ASSERT_NEQ(ban.expires_ns, 0, "bantime applied");
	}
	ev.kind = XB_LINE_UNBAN;
	ASSERT_EQ(xb_pipeline_feed(p, &fx.maps, &ev, 100, NULL), XB_DEC_UNBANNED, "unban");
	ASSERT_ERR(xb_fixture_ban_get(&fx, "203.0.113.50", &ban), "gone");
	ASSERT_EQ(xb_pipeline_feed(p, &fx.maps, &ev, 100, NULL), XB_DEC_UNBANNED,
		  "unban of the unbanned is fine");
	ASSERT_OK(xb_fixture_allow(&fx, "203.0.113.0/24"), "allow");
	ev.kind = XB_LINE_FAIL;
	ASSERT_EQ(xb_pipeline_feed(p, &fx.maps, &ev, 100, NULL), XB_DEC_IGNORED, "allow list");
	xb_pipeline_free(p);
out:
	xb_fixture_close(&fx);
}

/* A broken regex must not ban the internet: at most max_bans_per_min a minute. */
static void test_rate_cap(void)
{
	struct xb_pipeline_opts o = base_opts();
	struct xb_pipeline_stats st;
	struct xb_pipeline *p;
	char addr[32];
	int banned = 0;

	o.maxretry = 1;
	o.max_bans_per_min = 10;
	p = xb_pipeline_new(&o);
	if (!ASSERT_OK_PTR(p, "new"))
		return;
	for (int i = 0; i < 50; i++) {
		struct xb_line_event ev;

		snprintf(addr, sizeof(addr), "10.8.0.%d", i + 1);
		ev = fail_from(addr, 1000);
		banned += xb_pipeline_feed(p, NULL, &ev, 0, NULL) == XB_DEC_DRYRUN;
	}
	xb_pipeline_stats(p, &st);
	/* A minute boundary inside the loop could allow one more batch of 10. */
	ASSERT_TRUE(banned == 10 || banned == 20, "at most the cap per minute");
	ASSERT_EQ(st.capped, 50 - banned, "the rest counted as capped");
	xb_pipeline_free(p);
}

void test_pipeline(void)
{
	if (test__start_subtest("rate_cap"))
		test_rate_cap();
	if (test__start_subtest("maxretry_findtime"))
		test_maxretry();
	if (test__start_subtest("increment"))
		test_increment();
	if (test__start_subtest("never_ban"))
		test_never_ban();
	if (test__start_subtest("minscore"))
		test_minscore();
	if (test__start_subtest("bounded"))
		test_bounded();
	if (test__start_subtest("maxretry1_untracked"))
		test_maxretry1_untracked();
	if (test__start_subtest("maps"))
		test_maps();
}
