// SPDX-License-Identifier: GPL-2.0
/*
 * The drop log in the kernel: per-class token buckets with iptables `limit` semantics in
 * front of the ring buffer, and what an event says about the frame.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "test_progs.h"
#include "frames.h"
#include "xb_fixture.h"

#define BOT4 "203.0.113.7"
#define BOT6 "2001:db8:bad::7"
#define SRV4 "198.51.100.1"
#define SRV6 "2001:db8:1::1"

struct drained {
	size_t n;
	struct xb_event last;
	size_t per_class[__XB_CLASS_MAX];
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct drained *d = ctx;

	if (size < sizeof(struct xb_event))
		return 0;
	memcpy(&d->last, data, sizeof(d->last));
	if (d->last.class < __XB_CLASS_MAX)
		d->per_class[d->last.class]++;
	d->n++;
	return 0;
}

static struct drained drain(struct xb_fixture *fx)
{
	struct drained d = {};
	struct ring_buffer *rb = ring_buffer__new(fx->maps.fd[XB_EVENTS], on_event, &d, NULL);

	if (rb) {
		ring_buffer__consume(rb);
		ring_buffer__free(rb);
	}
	return d;
}

static void tcp_frame(struct frame *f)
{
	frame_init(f);
	frame_eth(f, 0x0800);
	frame_ipv4(f, BOT4, SRV4, 6, 0, false, 0);
	frame_tcp(f, 51234, 80, FRAME_TCP_SYN);
	frame_finish(f);
}

static void proto_frame(struct frame *f, uint8_t proto)
{
	frame_init(f);
	frame_eth(f, 0x0800);
	frame_ipv4(f, BOT4, SRV4, proto, 0, false, 0);
	if (proto == 6)
		frame_tcp(f, 1, 2, FRAME_TCP_SYN);
	else if (proto == 17)
		frame_udp(f, 1, 2, 4);
	else if (proto == 1)
		frame_icmp(f, 8, 0);
	else
		frame_payload(f, 16);
	frame_finish(f);
}

static void run_n(struct xb_fixture *fx, const struct frame *f, int n, int *drops)
{
	for (int i = 0; i < n; i++)
		*drops += xb_fixture_run(fx, f->buf, f->len) == XDP_DROP;
}

/* The seed's rule: --limit 5/min --limit-burst 5, 100 banned packets at once. */
static void test_default_limit(struct xb_fixture *fx)
{
	struct xb_counters c;
	struct frame f;
	struct drained d;
	int drops = 0;

	xb_fixture_reset(fx);
	drain(fx);
	ASSERT_OK(xb_log_limit_set(&fx->maps, XB_LOG_DEFAULT_INTERVAL_NS, XB_LOG_DEFAULT_BURST),
		  "5/min burst 5");
	ASSERT_OK(xb_fixture_ban(fx, BOT4, 0), "ban");
	tcp_frame(&f);
	run_n(fx, &f, 100, &drops);
	d = drain(fx);
	c = xb_fixture_counters(fx);
	ASSERT_EQ(drops, 100, "every packet dropped");
	ASSERT_EQ(d.n, 5, "events in the ring buffer");
	ASSERT_EQ(c.log_events, 5, "log_events");
	ASSERT_EQ(c.log_suppressed, 95, "log_suppressed");
	ASSERT_EQ(c.log_lost, 0, "log_lost");
}

/*
 * 100/s burst 2: two at once, then nothing until a token has grown back (10 ms), and
 * never more than the burst after a long quiet spell. Slow enough that a stall of the
 * machine between two frames cannot grow an extra token.
 */
static void test_refill(struct xb_fixture *fx)
{
	struct timespec token = { 0, 15000000 }, quiet = { 0, 100000000 };
	struct frame f;
	int drops = 0;

	xb_fixture_reset(fx);
	drain(fx);
	ASSERT_OK(xb_log_limit_set(&fx->maps, 10000000ULL, 2), "100/s burst 2");
	ASSERT_OK(xb_fixture_ban(fx, BOT4, 0), "ban");
	tcp_frame(&f);
	run_n(fx, &f, 10, &drops);
	ASSERT_EQ(drain(fx).n, 2, "the burst");
	nanosleep(&token, NULL);
	run_n(fx, &f, 1, &drops);
	ASSERT_EQ(drain(fx).n, 1, "one token back after 15 ms");
	nanosleep(&quiet, NULL);
	run_n(fx, &f, 10, &drops);
	ASSERT_EQ(drain(fx).n, 2, "credit capped at the burst after 100 ms");
	ASSERT_EQ(drops, 21, "every packet dropped");
}

/* TCP, UDP, ICMP and the rest each have their own bucket, like the seed's three rules. */
static void test_classes(struct xb_fixture *fx)
{
	static const struct {
		uint8_t proto;
		enum xb_log_class class;
	} kinds[] = { { 6, XB_CLASS_TCP },
		      { 17, XB_CLASS_UDP },
		      { 1, XB_CLASS_ICMP },
		      { 47, XB_CLASS_OTHER } };
	struct frame f;
	struct drained d;
	int drops = 0;

	xb_fixture_reset(fx);
	drain(fx);
	ASSERT_OK(xb_log_limit_set(&fx->maps, XB_LOG_DEFAULT_INTERVAL_NS, 3), "5/min burst 3");
	ASSERT_OK(xb_fixture_ban(fx, BOT4, 0), "ban");
	for (size_t k = 0; k < 4; k++) {
		proto_frame(&f, kinds[k].proto);
		run_n(fx, &f, 10, &drops);
	}
	d = drain(fx);
	for (size_t k = 0; k < 4; k++)
		ASSERT_EQ(d.per_class[kinds[k].class], 3, "each class its own burst");
	ASSERT_EQ(xb_fixture_counters(fx).log_suppressed, 28, "the rest suppressed");
	ASSERT_EQ(drops, 40, "every packet dropped");
}

/* A full ring buffer loses descriptions, never drops. */
static void test_ring_full(struct xb_fixture *fx)
{
	int n = XB_EVENTS_SIZE / (int)sizeof(struct xb_event) + 500, drops = 0;
	struct xb_counters c;
	struct frame f;
	struct drained d;

	xb_fixture_reset(fx);
	drain(fx);
	ASSERT_OK(xb_log_limit_set(&fx->maps, 100000ULL, 1000000), "10000/s, huge burst");
	ASSERT_OK(xb_fixture_ban(fx, BOT4, 0), "ban");
	tcp_frame(&f);
	run_n(fx, &f, n, &drops);
	c = xb_fixture_counters(fx);
	d = drain(fx);
	ASSERT_EQ(drops, n, "every packet dropped");
	ASSERT_GT(c.log_lost, 0, "log_lost counted");
	ASSERT_EQ(c.log_events + c.log_lost + c.log_suppressed, (__u64)n, "every drop accounted");
	ASSERT_EQ(d.n, c.log_events, "what was logged is in the ring");
	ASSERT_OK(xb_log_limit_set(&fx->maps, XB_LOG_DEFAULT_INTERVAL_NS, XB_LOG_DEFAULT_BURST),
		  "back to default");
}

static void test_off(struct xb_fixture *fx)
{
	struct frame f;
	int drops = 0;

	xb_fixture_reset(fx);
	drain(fx);
	ASSERT_OK(xb_log_limit_set(&fx->maps, 0, 0), "log off");
	ASSERT_OK(xb_fixture_ban(fx, BOT4, 0), "ban");
	tcp_frame(&f);
	run_n(fx, &f, 5, &drops);
	ASSERT_EQ(drain(fx).n, 0, "no events");
	ASSERT_EQ(drops, 5, "still dropped");
	ASSERT_EQ(xb_fixture_counters(fx).log_suppressed, 0, "off is not suppressed");
	ASSERT_OK(xb_log_limit_set(&fx->maps, XB_LOG_DEFAULT_INTERVAL_NS, XB_LOG_DEFAULT_BURST),
		  "back on");
}

/* What one event says: addresses, ports, flags, the ban, the MAC bytes. */
static void test_event_fields(struct xb_fixture *fx)
{
	struct frame f;
	struct drained d;
	int drops = 0;

	xb_fixture_reset(fx);
	drain(fx);
	ASSERT_OK(xb_fixture_ban(fx, "203.0.113.0/24", 0), "ban /24");
	tcp_frame(&f);
	run_n(fx, &f, 1, &drops);
	d = drain(fx);
	if (!ASSERT_EQ(d.n, 1, "one event"))
		return;
	ASSERT_EQ(d.last.family, 4, "family");
	ASSERT_EQ(d.last.l4proto, 6, "l4proto");
	ASSERT_EQ(memcmp(d.last.saddr, f.buf + 26, 4), 0, "saddr");
	ASSERT_EQ(memcmp(d.last.daddr, f.buf + 30, 4), 0, "daddr");
	ASSERT_EQ(d.last.sport, 51234, "sport");
	ASSERT_EQ(d.last.dport, 80, "dport");
	ASSERT_EQ(d.last.tcp_flags, FRAME_TCP_SYN, "SYN");
	ASSERT_EQ(d.last.ttl, f.buf[22], "ttl");
	ASSERT_EQ(d.last.ip_len, f.len - 14, "ip_len");
	ASSERT_EQ(d.last.frame_len, f.len, "frame_len");
	ASSERT_EQ(d.last.ban_prefixlen, 24, "the /24 matched");
	ASSERT_EQ(d.last.flags & XB_EV_L4, XB_EV_L4, "L4 read");
	ASSERT_EQ(memcmp(d.last.mac, f.buf, 14), 0, "mac bytes");

	/* IPv6 behind a VLAN tag, through a fragment header, ICMPv6 echo. */
	xb_fixture_reset(fx);
	ASSERT_OK(xb_fixture_ban(fx, BOT6, 0), "ban v6");
	frame_init(&f);
	frame_eth(&f, 0x8100);
	frame_vlan(&f, 0x8100, 42, 0x86DD);
	frame_ipv6(&f, BOT6, SRV6, 0);
	frame_ipv6_ext(&f, 0, 44, 8);
	frame_ipv6_frag(&f, 58, 0, true);
	frame_icmp6(&f, 128, 0);
	frame_finish(&f);
	run_n(fx, &f, 1, &drops);
	d = drain(fx);
	if (!ASSERT_EQ(d.n, 1, "one v6 event"))
		return;
	ASSERT_EQ(d.last.family, 6, "v6 family");
	ASSERT_EQ(d.last.l4proto, 58, "ICMPv6 after the extension headers");
	ASSERT_EQ(d.last.class, XB_CLASS_ICMP, "ICMP class");
	ASSERT_EQ(d.last.icmp_type, 128, "echo request");
	ASSERT_EQ(d.last.flags & XB_EV_FRAG, XB_EV_FRAG, "fragment header seen");
	ASSERT_EQ(d.last.vlan_depth, 1, "one tag");
	ASSERT_EQ(d.last.vlan_id[0], 42, "vid");
	ASSERT_EQ(d.last.ban_prefixlen, 128, "exact v6 ban");
	ASSERT_EQ(drops, 2, "both dropped");
}

void test_drop_log(void)
{
	struct xb_fixture fx;

	if (!test__require_root())
		return;
	if (!ASSERT_OK(xb_fixture_open(&fx), "load the XDP program"))
		return;
	if (test__start_subtest("default_limit"))
		test_default_limit(&fx);
	if (test__start_subtest("refill"))
		test_refill(&fx);
	if (test__start_subtest("classes"))
		test_classes(&fx);
	if (test__start_subtest("ring_full"))
		test_ring_full(&fx);
	if (test__start_subtest("off"))
		test_off(&fx);
	if (test__start_subtest("event_fields"))
		test_event_fields(&fx);
	xb_fixture_close(&fx);
}
