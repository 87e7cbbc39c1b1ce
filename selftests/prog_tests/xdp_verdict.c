// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP program's verdicts on crafted frames, through BPF_PROG_TEST_RUN: one table row per
 * case, each with its map setup, the frame, the expected verdict and counter deltas.
 */
#include <stdio.h>
#include <string.h>
#include "test_progs.h"
#include "frames.h"
#include "xb_fixture.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_ARP 0x0806
#define TPID_8021Q 0x8100
#define TPID_8021AD 0x88A8
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58

#define BOT4 "203.0.113.7"
#define BOT6 "2001:db8:bad::7"
#define SRV4 "198.51.100.1"
#define SRV6 "2001:db8:1::1"

/* E_OTHER: passed as not IP; E_MALFORMED: the same, and counted malformed. */
enum expect { E_PASS, E_DROP, E_ALLOW, E_OTHER, E_MALFORMED };

struct verdict_case {
	const char *name;
	const char *ban[3]; /* prefixes banned before the frame */
	const char *allow; /* on the allow list */
	const char *expired; /* a ban already past its expiry */
	void (*build)(struct frame *f);
	enum expect expect;
	const char *hit; /* the ban whose own counters must show the drop */
};

/* ---- frames ---- */

static void v4_tcp(struct frame *f)
{
	frame_eth(f, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_TCP_, 0, false, 0);
	frame_tcp(f, 51234, 80, 0x02);
	frame_finish(f);
}

static void v4_udp_from(struct frame *f, const char *src)
{
	frame_eth(f, ETH_P_IP);
	frame_ipv4(f, src, SRV4, IPPROTO_UDP_, 0, false, 0);
	frame_udp(f, 5353, 53, 12);
	frame_finish(f);
}

static void v4_other_src(struct frame *f)
{
	v4_udp_from(f, "203.0.113.8");
}

static void v4_in_slash24(struct frame *f)
{
	v4_udp_from(f, "203.0.113.200");
}

static void v4_in_slash8(struct frame *f)
{
	v4_udp_from(f, "203.1.2.3");
}

static void v4_options(struct frame *f)
{
	frame_eth(f, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_TCP_, 40, false, 0);
	frame_tcp(f, 51234, 80, 0x02);
	frame_finish(f);
}

static void v4_first_frag(struct frame *f)
{
	frame_eth(f, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_UDP_, 0, true, 0);
	frame_udp(f, 5353, 53, 64);
	frame_finish(f);
}

static void v4_middle_frag(struct frame *f)
{
	frame_eth(f, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_UDP_, 0, true, 185);
	frame_payload(f, 64);
	frame_finish(f);
}

static void v4_last_frag(struct frame *f)
{
	frame_eth(f, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_UDP_, 0, false, 370);
	frame_payload(f, 24);
	frame_finish(f);
}

static void v4_vlan(struct frame *f)
{
	frame_eth(f, TPID_8021Q);
	frame_vlan(f, TPID_8021Q, 100, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_ICMP_, 0, false, 0);
	frame_icmp(f, 8, 0);
	frame_finish(f);
}

static void v4_qinq_ad(struct frame *f)
{
	frame_eth(f, TPID_8021AD);
	frame_vlan(f, TPID_8021AD, 200, TPID_8021Q);
	frame_vlan(f, TPID_8021Q, 100, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_TCP_, 0, false, 0);
	frame_tcp(f, 1, 2, 0x02);
	frame_finish(f);
}

static void v4_qinq_q(struct frame *f)
{
	frame_eth(f, TPID_8021Q);
	frame_vlan(f, TPID_8021Q, 200, TPID_8021AD);
	frame_vlan(f, TPID_8021AD, 100, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_TCP_, 0, false, 0);
	frame_tcp(f, 1, 2, 0x02);
	frame_finish(f);
}

static void v4_three_tags(struct frame *f)
{
	frame_eth(f, TPID_8021Q);
	frame_vlan(f, TPID_8021Q, 1, TPID_8021Q);
	frame_vlan(f, TPID_8021Q, 2, TPID_8021Q);
	frame_vlan(f, TPID_8021Q, 3, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_TCP_, 0, false, 0);
	frame_tcp(f, 1, 2, 0x02);
	frame_finish(f);
}

static void v4_bad_version(struct frame *f)
{
	v4_tcp(f);
	f->buf[14] = (f->buf[14] & 0x0f) | 0x60;
}

static void v4_bad_ihl(struct frame *f)
{
	v4_tcp(f);
	f->buf[14] = (f->buf[14] & 0xf0) | 4;
}

static void v4_ihl_past_end(struct frame *f)
{
	frame_eth(f, ETH_P_IP);
	frame_ipv4(f, BOT4, SRV4, IPPROTO_TCP_, 0, false, 0);
	frame_finish(f);
	f->buf[14] = (f->buf[14] & 0xf0) | 15; /* claims 60 bytes, has 20 */
}

static void v6_tcp_from(struct frame *f, const char *src)
{
	frame_eth(f, ETH_P_IPV6);
	frame_ipv6(f, src, SRV6, IPPROTO_TCP_);
	frame_tcp(f, 51234, 443, 0x02);
	frame_finish(f);
}

static void v6_tcp(struct frame *f)
{
	v6_tcp_from(f, BOT6);
}

static void v6_other_src(struct frame *f)
{
	v6_tcp_from(f, "2001:db8:bad::8");
}

static void v6_in_slash48(struct frame *f)
{
	v6_tcp_from(f, "2001:db8:bad:ffff::1");
}

static void v6_mapped(struct frame *f)
{
	v6_tcp_from(f, "::ffff:" BOT4);
}

static void v6_ext_chain(struct frame *f)
{
	frame_eth(f, ETH_P_IPV6);
	frame_ipv6(f, BOT6, SRV6, 0);
	frame_ipv6_ext(f, 0, 43, 8);
	frame_ipv6_ext(f, 43, 60, 24);
	frame_ipv6_ext(f, 60, 44, 16);
	frame_ipv6_frag(f, IPPROTO_UDP_, 0, true);
	frame_udp(f, 1, 2, 32);
	frame_finish(f);
}

static void v6_frag_later(struct frame *f)
{
	frame_eth(f, ETH_P_IPV6);
	frame_ipv6(f, BOT6, SRV6, 44);
	frame_ipv6_frag(f, IPPROTO_UDP_, 100, false);
	frame_payload(f, 40);
	frame_finish(f);
}

static void v6_icmp_vlan(struct frame *f)
{
	frame_eth(f, TPID_8021Q);
	frame_vlan(f, TPID_8021Q, 7, ETH_P_IPV6);
	frame_ipv6(f, BOT6, SRV6, IPPROTO_ICMPV6_);
	frame_icmp6(f, 128, 0);
	frame_finish(f);
}

static void v6_bad_version(struct frame *f)
{
	v6_tcp(f);
	f->buf[14] = (f->buf[14] & 0x0f) | 0x40;
}

static void arp(struct frame *f)
{
	frame_eth(f, ETH_P_ARP);
	frame_payload(f, 28);
	frame_finish(f);
}

static const struct verdict_case cases[] = {
	{ "v4_miss", { NULL }, NULL, NULL, v4_tcp, E_PASS, NULL },
	{ "v4_exact_hit", { BOT4 }, NULL, NULL, v4_tcp, E_DROP, BOT4 },
	{ "v4_exact_other_src", { BOT4 }, NULL, NULL, v4_other_src, E_PASS, NULL },
	{ "v4_prefix_24",
	  { "203.0.113.0/24" },
	  NULL,
	  NULL,
	  v4_in_slash24,
	  E_DROP,
	  "203.0.113.0/24" },
	{ "v4_prefix_8", { "203.0.0.0/8" }, NULL, NULL, v4_in_slash8, E_DROP, "203.0.0.0/8" },
	{ "v4_prefix_31", { "203.0.113.6/31" }, NULL, NULL, v4_tcp, E_DROP, "203.0.113.6/31" },
	{ "v4_prefix_0", { "0.0.0.0/0" }, NULL, NULL, v4_tcp, E_DROP, "0.0.0.0/0" },
	{ "v4_prefix_miss", { "203.0.112.0/24" }, NULL, NULL, v4_in_slash24, E_PASS, NULL },
	{ "v4_longest_of_two",
	  { "203.0.0.0/8", "203.0.113.0/24" },
	  NULL,
	  NULL,
	  v4_in_slash24,
	  E_DROP,
	  "203.0.113.0/24" },
	{ "v4_allow_beats_exact", { BOT4 }, BOT4, NULL, v4_tcp, E_ALLOW, NULL },
	{ "v4_allow_prefix_beats_ban", { BOT4 }, "203.0.113.0/24", NULL, v4_tcp, E_ALLOW, NULL },
	{ "v4_allow_elsewhere", { BOT4 }, "192.0.2.0/24", NULL, v4_tcp, E_DROP, BOT4 },
	{ "v4_expired_exact", { NULL }, NULL, BOT4, v4_tcp, E_PASS, NULL },
	{ "v4_expired_exact_live_prefix",
	  { "203.0.113.0/24" },
	  NULL,
	  BOT4,
	  v4_tcp,
	  E_DROP,
	  "203.0.113.0/24" },
	{ "v4_expired_prefix_live_shorter",
	  { "203.0.0.0/16" },
	  NULL,
	  "203.0.113.0/24",
	  v4_tcp,
	  E_DROP,
	  "203.0.0.0/16" },
	{ "v4_permanent", { BOT4 }, NULL, NULL, v4_tcp, E_DROP, BOT4 },
	{ "v4_options", { BOT4 }, NULL, NULL, v4_options, E_DROP, BOT4 },
	{ "v4_first_fragment", { BOT4 }, NULL, NULL, v4_first_frag, E_DROP, BOT4 },
	{ "v4_middle_fragment", { BOT4 }, NULL, NULL, v4_middle_frag, E_DROP, BOT4 },
	{ "v4_last_fragment", { BOT4 }, NULL, NULL, v4_last_frag, E_DROP, BOT4 },
	{ "v4_vlan", { BOT4 }, NULL, NULL, v4_vlan, E_DROP, BOT4 },
	{ "v4_qinq_8021ad_outer", { BOT4 }, NULL, NULL, v4_qinq_ad, E_DROP, BOT4 },
	{ "v4_qinq_8021q_outer", { BOT4 }, NULL, NULL, v4_qinq_q, E_DROP, BOT4 },
	{ "v4_three_tags_not_ip", { BOT4 }, NULL, NULL, v4_three_tags, E_OTHER, NULL },
	{ "v4_bad_version", { BOT4 }, NULL, NULL, v4_bad_version, E_MALFORMED, NULL },
	{ "v4_ihl_below_5", { BOT4 }, NULL, NULL, v4_bad_ihl, E_MALFORMED, NULL },
	{ "v4_ihl_past_end", { BOT4 }, NULL, NULL, v4_ihl_past_end, E_MALFORMED, NULL },
	{ "v6_miss", { NULL }, NULL, NULL, v6_tcp, E_PASS, NULL },
	{ "v6_exact_hit", { BOT6 }, NULL, NULL, v6_tcp, E_DROP, BOT6 },
	{ "v6_exact_other_src", { BOT6 }, NULL, NULL, v6_other_src, E_PASS, NULL },
	{ "v6_prefix_48",
	  { "2001:db8:bad::/48" },
	  NULL,
	  NULL,
	  v6_in_slash48,
	  E_DROP,
	  "2001:db8:bad::/48" },
	{ "v6_prefix_64",
	  { "2001:db8:bad::/64" },
	  NULL,
	  NULL,
	  v6_tcp,
	  E_DROP,
	  "2001:db8:bad::/64" },
	{ "v6_prefix_127",
	  { "2001:db8:bad::6/127" },
	  NULL,
	  NULL,
	  v6_tcp,
	  E_DROP,
	  "2001:db8:bad::6/127" },
	{ "v6_prefix_miss", { "2001:db8:bad::/64" }, NULL, NULL, v6_in_slash48, E_PASS, NULL },
	{ "v6_allow_beats_ban", { "2001:db8::/32" }, BOT6, NULL, v6_tcp, E_ALLOW, NULL },
	{ "v6_expired_exact", { NULL }, NULL, BOT6, v6_tcp, E_PASS, NULL },
	{ "v6_mapped_v4_source", { BOT4 }, NULL, NULL, v6_mapped, E_DROP, BOT4 },
	{ "v6_ext_headers", { BOT6 }, NULL, NULL, v6_ext_chain, E_DROP, BOT6 },
	{ "v6_later_fragment", { BOT6 }, NULL, NULL, v6_frag_later, E_DROP, BOT6 },
	{ "v6_vlan_icmp", { BOT6 }, NULL, NULL, v6_icmp_vlan, E_DROP, BOT6 },
	{ "v6_bad_version", { BOT6 }, NULL, NULL, v6_bad_version, E_MALFORMED, NULL },
	{ "non_ip_arp", { "0.0.0.0/0", "::/0" }, NULL, NULL, arp, E_OTHER, NULL },
};

/* Which counter pair a row must move, given the frame's own family. */
static __u64 moved(const struct xb_counters *c, enum expect e, bool v6)
{
	switch (e) {
	case E_DROP:
		return v6 ? c->dropped_v6.packets : c->dropped_v4.packets;
	case E_ALLOW:
		return v6 ? c->allowed_v6.packets : c->allowed_v4.packets;
	case E_PASS:
		return v6 ? c->passed_v6.packets : c->passed_v4.packets;
	default:
		return c->passed_other.packets;
	}
}

static bool frame_is_v6(const struct frame *f)
{
	size_t off = 12;

	while (off + 2 <= f->len && f->buf[off] == 0x81 && f->buf[off + 1] == 0x00)
		off += 4;
	while (off + 2 <= f->len && f->buf[off] == 0x88 && f->buf[off + 1] == 0xa8)
		off += 4;
	return off + 2 <= f->len && f->buf[off] == 0x86 && f->buf[off + 1] == 0xdd;
}

static void run_case(struct xb_fixture *fx, const struct verdict_case *c)
{
	int want = c->expect == E_DROP ? XDP_DROP : XDP_PASS;
	struct xb_counters cnt;
	struct frame f = {};
	int verdict;

	xb_fixture_reset(fx);
	for (int i = 0; i < 3 && c->ban[i]; i++)
		if (!ASSERT_OK(xb_fixture_ban(fx, c->ban[i], 0), c->ban[i]))
			return;
	if (c->allow && !ASSERT_OK(xb_fixture_allow(fx, c->allow), "allow"))
		return;
	if (c->expired && !ASSERT_OK(xb_fixture_ban_expired(fx, c->expired), "expired ban"))
		return;
	c->build(&f);
	verdict = xb_fixture_run(fx, f.buf, f.len);
	ASSERT_STREQ(xdp_verdict_name(verdict), xdp_verdict_name(want), "verdict");

	cnt = xb_fixture_counters(fx);
	ASSERT_EQ(cnt.rx.packets, 1, "rx_packets");
	ASSERT_EQ(cnt.rx.bytes, f.len, "rx_bytes");
	ASSERT_EQ(moved(&cnt, c->expect, frame_is_v6(&f)), 1, "the expected counter moved");
	ASSERT_EQ(cnt.dropped_v4.packets + cnt.dropped_v6.packets + cnt.allowed_v4.packets +
			  cnt.allowed_v6.packets + cnt.passed_v4.packets + cnt.passed_v6.packets +
			  cnt.passed_other.packets,
		  1, "exactly one action counted");
	ASSERT_EQ(cnt.expired_hits, c->expired ? 1 : 0, "expired_hits");
	ASSERT_EQ(cnt.malformed, c->expect == E_MALFORMED, "malformed");
	if (c->hit) {
		struct xb_ban ban = {};

		if (ASSERT_OK(xb_fixture_ban_get(fx, c->hit, &ban), "ban entry")) {
			ASSERT_EQ(ban.packets, 1, "ban packets");
			ASSERT_EQ(ban.bytes, f.len, "ban bytes");
		}
		ASSERT_EQ(cnt.dropped_exact + cnt.dropped_prefix, 1, "dropped by kind");
	}
}

/* Hit counters add up across frames, per ban and per counter. */
static void test_counters_accumulate(struct xb_fixture *fx)
{
	struct frame f = {};
	struct xb_counters cnt;
	struct xb_ban ban = {};

	xb_fixture_reset(fx);
	ASSERT_OK(xb_fixture_ban(fx, BOT4, 0), "ban");
	v4_tcp(&f);
	for (int i = 0; i < 10; i++)
		xb_fixture_run(fx, f.buf, f.len);
	cnt = xb_fixture_counters(fx);
	ASSERT_EQ(cnt.dropped_v4.packets, 10, "dropped_v4_packets");
	ASSERT_EQ(cnt.dropped_v4.bytes, 10 * f.len, "dropped_v4_bytes");
	ASSERT_EQ(cnt.dropped_exact, 10, "dropped_exact");
	ASSERT_OK(xb_fixture_ban_get(fx, BOT4, &ban), "ban entry");
	ASSERT_EQ(ban.packets, 10, "per-ban packets");
	ASSERT_EQ(ban.bytes, 10 * f.len, "per-ban bytes");
}

/* A ban with a real timeout drops now; the same entry with its expiry moved past stops. */
static void test_timeout_in_kernel(struct xb_fixture *fx)
{
	struct frame f = {};

	xb_fixture_reset(fx);
	ASSERT_OK(xb_fixture_ban(fx, BOT4, 600), "ban for 10m");
	v4_tcp(&f);
	ASSERT_EQ(xb_fixture_run(fx, f.buf, f.len), XDP_DROP, "inside its time");
	xb_fixture_reset(fx);
	ASSERT_OK(xb_fixture_ban_expired(fx, BOT4), "expired");
	ASSERT_EQ(xb_fixture_run(fx, f.buf, f.len), XDP_PASS, "past its time");
	ASSERT_EQ(xb_fixture_counters(fx).expired_hits, 1, "expired_hits");
}

struct trunc_case {
	const char *name;
	void (*build)(struct frame *f);
	const char *ban;
	size_t decide_at; /* bytes the program must see to judge the source */
};

static const struct trunc_case trunc_cases[] = {
	{ "truncate_v4", v4_tcp, BOT4, 14 + 20 },
	{ "truncate_v4_options", v4_options, BOT4, 14 + 60 },
	{ "truncate_v4_vlan", v4_vlan, BOT4, 14 + 4 + 20 },
	{ "truncate_v4_qinq", v4_qinq_ad, BOT4, 14 + 8 + 20 },
	{ "truncate_v4_fragment", v4_middle_frag, BOT4, 14 + 20 },
	{ "truncate_v6", v6_tcp, BOT6, 14 + 40 },
	{ "truncate_v6_vlan", v6_icmp_vlan, BOT6, 14 + 4 + 40 },
	{ "truncate_v6_ext_headers", v6_ext_chain, BOT6, 14 + 40 },
};

/*
 * Every length of a frame from a banned source: short of the headers that carry the source,
 * it passes untouched and counts as malformed; from there on (a cut L4 or extension header
 * included) the source is known and the ban drops it. BPF_PROG_TEST_RUN refuses frames
 * under 14 bytes, so the cuts start after the Ethernet addresses and type.
 */
static void run_truncation(struct xb_fixture *fx, const struct trunc_case *c)
{
	struct frame f = {};
	char name[64];

	xb_fixture_reset(fx);
	if (!ASSERT_OK(xb_fixture_ban(fx, c->ban, 0), "ban"))
		return;
	c->build(&f);
	if (!ASSERT_GE(f.len, c->decide_at, "frame longer than its headers"))
		return;
	for (size_t len = 14; len <= f.len; len++) {
		struct xb_counters before = xb_fixture_counters(fx), after;
		bool cut = len < c->decide_at;
		int verdict = xb_fixture_run(fx, f.buf, len);

		after = xb_fixture_counters(fx);
		snprintf(name, sizeof(name), "%s at %zu bytes", cut ? "cut" : "whole", len);
		if (!ASSERT_STREQ(xdp_verdict_name(verdict), cut ? "XDP_PASS" : "XDP_DROP", name))
			return;
		ASSERT_EQ(after.malformed - before.malformed, cut ? 1 : 0, name);
		ASSERT_EQ(after.passed_other.packets - before.passed_other.packets, cut ? 1 : 0,
			  name);
	}
}

void test_xdp_verdict(void)
{
	struct xb_fixture fx;

	if (!test__require_root())
		return;
	if (!ASSERT_OK(xb_fixture_open(&fx), "load the XDP program"))
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (test__start_subtest(cases[i].name))
			run_case(&fx, &cases[i]);
	}
	if (test__start_subtest("counters_accumulate"))
		test_counters_accumulate(&fx);
	if (test__start_subtest("timeout_in_kernel"))
		test_timeout_in_kernel(&fx);
	for (size_t i = 0; i < sizeof(trunc_cases) / sizeof(trunc_cases[0]); i++) {
		if (test__start_subtest(trunc_cases[i].name))
			run_truncation(&fx, &trunc_cases[i]);
	}
	xb_fixture_close(&fx);
}
