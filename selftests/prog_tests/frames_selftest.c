// SPDX-License-Identifier: GPL-2.0
/*
 * The frame builder checked byte by byte: offsets, lengths, checksums and type fields, so the
 * XDP verdict tests can trust the frames they feed to the program.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "test_progs.h"
#include "frames.h"

#define ETH_IP4 0x0800
#define ETH_IP6 0x86dd
#define ETH_ARP 0x0806
#define TPID_Q 0x8100
#define TPID_AD 0x88a8

#define SRC4 "192.0.2.1"
#define DST4 "198.51.100.2"
#define SRC6 "2001:db8::1"
#define DST6 "2001:db8:ffff::2"

/* 0 when the L4 checksum at l4 verifies with the pseudo-header of the IP header at ip. */
static uint16_t l4_csum_check(const struct frame *f, int ip, int l4, uint8_t proto)
{
	static uint8_t tmp[40 + FRAME_MAX];
	size_t len = f->len - (size_t)l4, n;

	memset(tmp, 0, 40);
	if (f->buf[ip] >> 4 == 4) {
		memcpy(tmp, f->buf + ip + 12, 8);
		tmp[9] = proto;
		tmp[10] = (uint8_t)(len >> 8);
		tmp[11] = (uint8_t)len;
		n = 12;
	} else {
		memcpy(tmp, f->buf + ip + 8, 32);
		tmp[34] = (uint8_t)(len >> 8);
		tmp[35] = (uint8_t)len;
		tmp[39] = proto;
		n = 40;
	}
	memcpy(tmp + n, f->buf + l4, len);
	return frame_csum(tmp, n + len);
}

static void check_addr(const struct frame *f, size_t off, int af, const char *text,
		       const char *name)
{
	uint8_t want[16];

	if (ASSERT_EQ(inet_pton(af, text, want), 1, "inet_pton"))
		ASSERT_MEMEQ(f->buf + off, want, af == AF_INET ? 4 : 16, name);
}

static void test_eth(void)
{
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };
	struct frame f = {};

	frame_eth(&f, ETH_ARP);
	ASSERT_EQ(f.len, FRAME_ETH_LEN, "length");
	ASSERT_MEMEQ(f.buf, dst, 6, "destination MAC");
	ASSERT_MEMEQ(f.buf + 6, src, 6, "source MAC");
	ASSERT_EQ(frame_get16(&f, 12), ETH_ARP, "ethertype");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_ETH, 0), 0, "eth offset");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_ETH, 1), -1, "no second eth");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_IPV4, 0), -1, "no ipv4");
	frame_payload(&f, 28);
	ASSERT_EQ(f.len, FRAME_ETH_LEN + 28, "length with payload");
	ASSERT_EQ(f.buf[FRAME_ETH_LEN + 27], 27, "payload pattern");
}

static void test_ipv4(void)
{
	const int ip = FRAME_ETH_LEN, udp = ip + FRAME_IPV4_LEN;
	struct frame f = {};

	frame_eth(&f, ETH_IP4);
	frame_ipv4(&f, SRC4, DST4, IPPROTO_UDP, 0, false, 0);
	frame_udp(&f, 1000, 53, 10);
	ASSERT_EQ(f.len, FRAME_ETH_LEN + 20 + 8 + 10, "frame length");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_IPV4, 0), ip, "ipv4 offset");
	ASSERT_EQ(f.buf[ip], 0x45, "version 4, IHL 5");
	ASSERT_EQ(frame_get16(&f, ip + 2), 20 + 8 + 10, "total length");
	ASSERT_EQ(frame_get16(&f, ip + 6), 0, "no fragment bits");
	ASSERT_EQ(f.buf[ip + 8], 64, "ttl");
	ASSERT_EQ(f.buf[ip + 9], IPPROTO_UDP, "protocol");
	ASSERT_NEQ(frame_get16(&f, ip + 10), 0, "checksum set");
	ASSERT_EQ(frame_csum(f.buf + ip, 20), 0, "header checksum verifies");
	check_addr(&f, ip + 12, AF_INET, SRC4, "source");
	check_addr(&f, ip + 16, AF_INET, DST4, "destination");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_UDP, 0), udp, "udp offset");
	ASSERT_EQ(frame_get16(&f, udp), 1000, "source port");
	ASSERT_EQ(frame_get16(&f, udp + 2), 53, "destination port");
	ASSERT_EQ(frame_get16(&f, udp + 4), 8 + 10, "udp length");
	ASSERT_EQ(l4_csum_check(&f, ip, udp, IPPROTO_UDP), 0, "udp checksum verifies");
}

static void test_ipv4_options(void)
{
	static const size_t opts[] = { 4, 8, 20, 40 };
	const int ip = FRAME_ETH_LEN;

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		size_t hlen = FRAME_IPV4_LEN + opts[i];
		struct frame f = {};

		frame_eth(&f, ETH_IP4);
		frame_ipv4(&f, SRC4, DST4, IPPROTO_TCP, opts[i], false, 0);
		frame_tcp(&f, 40000, 22, FRAME_TCP_SYN);
		ASSERT_EQ(f.buf[ip] & 0x0f, hlen / 4, "IHL counts the options");
		ASSERT_EQ(f.buf[ip] >> 4, 4, "version");
		ASSERT_EQ(frame_get16(&f, ip + 2), hlen + FRAME_TCP_LEN, "total length");
		ASSERT_EQ(frame_csum(f.buf + ip, hlen), 0, "checksum over the options verifies");
		ASSERT_EQ(f.buf[ip + FRAME_IPV4_LEN], 1, "first option NOP");
		ASSERT_EQ(f.buf[ip + hlen - 1], 0, "last option EOL");
		ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_TCP, 0), ip + hlen, "tcp after the options");
		ASSERT_EQ(f.len, ip + hlen + FRAME_TCP_LEN, "frame length");
	}
}

static void test_ipv4_fragments(void)
{
	const int ip = FRAME_ETH_LEN;
	struct frame f = {};

	frame_eth(&f, ETH_IP4);
	frame_ipv4(&f, SRC4, DST4, IPPROTO_UDP, 0, true, 185);
	frame_payload(&f, 64);
	ASSERT_EQ(frame_get16(&f, ip + 6), 0x2000 | 185, "MF and offset");
	ASSERT_EQ(frame_get16(&f, ip + 2), 20 + 64, "total length");
	ASSERT_EQ(frame_csum(f.buf + ip, 20), 0, "checksum verifies");

	frame_init(&f);
	frame_eth(&f, ETH_IP4);
	frame_ipv4(&f, SRC4, DST4, IPPROTO_UDP, 0, false, 370);
	frame_payload(&f, 24);
	ASSERT_EQ(frame_get16(&f, ip + 6), 370, "last fragment: offset, no MF");

	frame_init(&f);
	frame_eth(&f, ETH_IP4);
	frame_ipv4(&f, SRC4, DST4, IPPROTO_UDP, 0, true, 0);
	frame_udp(&f, 1, 2, 64);
	ASSERT_EQ(frame_get16(&f, ip + 6), 0x2000, "first fragment: MF, offset 0");
	ASSERT_EQ(frame_get16(&f, ip + 4), 0x1234, "identification");
}

/* Lengths and checksums follow every append, and frame_finish() changes nothing after. */
static void test_incremental(void)
{
	const int ip = FRAME_ETH_LEN, udp = ip + FRAME_IPV4_LEN;
	struct frame f = {};
	uint8_t copy[256];

	frame_eth(&f, ETH_IP4);
	frame_ipv4(&f, SRC4, DST4, IPPROTO_UDP, 0, false, 0);
	ASSERT_EQ(frame_get16(&f, ip + 2), 20, "total length, header only");
	frame_udp(&f, 7, 9, 0);
	ASSERT_EQ(frame_get16(&f, ip + 2), 28, "total length with udp");
	ASSERT_EQ(frame_get16(&f, udp + 4), 8, "udp length, empty");
	frame_payload(&f, 90);
	ASSERT_EQ(frame_get16(&f, ip + 2), 118, "total length with payload");
	ASSERT_EQ(frame_get16(&f, udp + 4), 98, "udp length with payload");
	ASSERT_EQ(frame_csum(f.buf + ip, 20), 0, "ip checksum still verifies");
	ASSERT_EQ(l4_csum_check(&f, ip, udp, IPPROTO_UDP), 0, "udp checksum still verifies");
	if (!ASSERT_LE(f.len, sizeof(copy), "fits the copy"))
		return;
	memcpy(copy, f.buf, f.len);
	ASSERT_EQ(frame_finish(&f), FRAME_ETH_LEN + 118, "frame_finish returns the length");
	ASSERT_MEMEQ(f.buf, copy, f.len, "frame_finish changes nothing");
}

static void test_vlan(void)
{
	struct frame f = {};

	frame_eth(&f, 0); /* frame_vlan() sets the TPID */
	frame_vlan(&f, TPID_Q, 100, ETH_IP4);
	frame_ipv4(&f, SRC4, DST4, IPPROTO_ICMP, 0, false, 0);
	frame_icmp(&f, 8, 0);
	ASSERT_EQ(frame_get16(&f, 12), TPID_Q, "TPID in the ethertype");
	ASSERT_EQ(frame_get16(&f, 14), 100, "TCI");
	ASSERT_EQ(frame_get16(&f, 16), ETH_IP4, "inner ethertype");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_VLAN, 0), 14, "vlan offset");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_IPV4, 0), 18, "ipv4 after the tag");
	ASSERT_EQ(f.buf[18], 0x45, "ipv4 header there");
	ASSERT_EQ(frame_get16(&f, 18 + 2), 20 + 8, "total length");
	ASSERT_EQ(f.len, 14 + 4 + 20 + 8, "frame length");
}

static void test_qinq(void)
{
	struct frame f = {};

	frame_eth(&f, TPID_AD);
	frame_vlan(&f, TPID_AD, 200, TPID_Q);
	frame_vlan(&f, TPID_Q, 4095, ETH_IP6);
	frame_ipv6(&f, SRC6, DST6, IPPROTO_UDP);
	frame_udp(&f, 1, 2, 4);
	ASSERT_EQ(frame_get16(&f, 12), TPID_AD, "outer TPID 802.1ad");
	ASSERT_EQ(frame_get16(&f, 14), 200, "outer TCI");
	ASSERT_EQ(frame_get16(&f, 16), TPID_Q, "inner TPID 802.1Q");
	ASSERT_EQ(frame_get16(&f, 18), 4095, "inner TCI");
	ASSERT_EQ(frame_get16(&f, 20), ETH_IP6, "ethertype after both tags");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_VLAN, 1), 18, "second tag offset");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_IPV6, 0), 22, "ipv6 after both tags");
	ASSERT_EQ(f.buf[22] >> 4, 6, "ipv6 header there");
	ASSERT_EQ(frame_get16(&f, 22 + 4), 8 + 4, "payload length");

	/* The other order, 802.1Q outside 802.1ad, as some switches send it. */
	frame_init(&f);
	frame_eth(&f, TPID_Q);
	frame_vlan(&f, TPID_Q, 1, TPID_AD);
	frame_vlan(&f, TPID_AD, 2, ETH_IP4);
	ASSERT_EQ(frame_get16(&f, 12), TPID_Q, "outer TPID 802.1Q");
	ASSERT_EQ(frame_get16(&f, 16), TPID_AD, "inner TPID 802.1ad");
	ASSERT_EQ(frame_get16(&f, 20), ETH_IP4, "ethertype");
}

static void test_ipv6(void)
{
	const int ip = FRAME_ETH_LEN, tcp = ip + FRAME_IPV6_LEN;
	struct frame f = {};

	frame_eth(&f, ETH_IP6);
	frame_ipv6(&f, SRC6, DST6, IPPROTO_TCP);
	frame_tcp(&f, 51234, 443, FRAME_TCP_SYN | FRAME_TCP_ACK);
	ASSERT_EQ(f.buf[ip] >> 4, 6, "version");
	ASSERT_EQ(frame_get32(&f, ip) & 0x0fffffff, 0, "traffic class and flow label");
	ASSERT_EQ(frame_get16(&f, ip + 4), FRAME_TCP_LEN, "payload length");
	ASSERT_EQ(f.buf[ip + 6], IPPROTO_TCP, "next header");
	ASSERT_EQ(f.buf[ip + 7], 64, "hop limit");
	check_addr(&f, ip + 8, AF_INET6, SRC6, "source");
	check_addr(&f, ip + 24, AF_INET6, DST6, "destination");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_TCP, 0), tcp, "tcp offset");
	ASSERT_EQ(frame_get16(&f, tcp), 51234, "source port");
	ASSERT_EQ(frame_get16(&f, tcp + 2), 443, "destination port");
	ASSERT_EQ(f.buf[tcp + 12], 0x50, "data offset 5");
	ASSERT_EQ(f.buf[tcp + 13], FRAME_TCP_SYN | FRAME_TCP_ACK, "flags");
	ASSERT_EQ(l4_csum_check(&f, ip, tcp, IPPROTO_TCP), 0, "tcp checksum verifies");
	ASSERT_EQ(f.len, FRAME_ETH_LEN + FRAME_IPV6_LEN + FRAME_TCP_LEN, "frame length");

	frame_init(&f);
	frame_eth(&f, ETH_IP6);
	frame_ipv6(&f, "::ffff:203.0.113.7", DST6, IPPROTO_UDP);
	check_addr(&f, ip + 8, AF_INET6, "::ffff:203.0.113.7", "v4-mapped source");
}

/* The options in an options header cover it exactly. */
static bool options_cover(const uint8_t *hdr, size_t len)
{
	size_t pos = 2;

	while (pos < len)
		pos += hdr[pos] == 0 ? 1 : 2 + (size_t)hdr[pos + 1];
	return pos == len;
}

static void test_ipv6_ext_chain(void)
{
	static const uint8_t want_types[] = { 0, 43, 60, 44 };
	static const size_t want_lens[] = { 8, 24, 16, 8 };
	const int ip = FRAME_ETH_LEN;
	struct frame f = {};
	size_t off = ip + FRAME_IPV6_LEN;
	uint8_t nh;

	frame_eth(&f, ETH_IP6);
	frame_ipv6(&f, SRC6, DST6, 0);
	frame_ipv6_ext(&f, 0, 43, 8);
	frame_ipv6_ext(&f, 43, 60, 24);
	frame_ipv6_ext(&f, 60, 44, 16);
	frame_ipv6_frag(&f, IPPROTO_UDP, 100, true);
	frame_udp(&f, 1, 2, 32);
	ASSERT_EQ(frame_get16(&f, ip + 4), 8 + 24 + 16 + 8 + 8 + 32, "payload length");
	ASSERT_EQ(frame_get16(&f, ip + 4), f.len - ip - FRAME_IPV6_LEN, "payload reaches the end");
	nh = f.buf[ip + 6];
	for (unsigned int i = 0; i < sizeof(want_types); i++) {
		size_t len = nh == 44 ? 8 : ((size_t)f.buf[off + 1] + 1) * 8;

		ASSERT_EQ(nh, want_types[i], "next header chain");
		ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_IPV6_EXT, i), off, "extension offset");
		ASSERT_EQ(len, want_lens[i], "extension length");
		if (nh == 0 || nh == 60)
			ASSERT_TRUE(options_cover(f.buf + off, len), "padding fills the options");
		if (nh == 43) {
			ASSERT_EQ(f.buf[off + 2], 253, "routing type");
			ASSERT_EQ(f.buf[off + 3], 0, "segments left");
		}
		nh = f.buf[off];
		off += len;
	}
	ASSERT_EQ(nh, IPPROTO_UDP, "chain ends in udp");
	ASSERT_EQ(frame_hdr_off(&f, FRAME_HDR_UDP, 0), off, "udp where the chain ends");
	ASSERT_EQ(frame_get16(&f, off + 4), 8 + 32, "udp length");
	ASSERT_EQ(l4_csum_check(&f, ip, (int)off, IPPROTO_UDP), 0, "udp checksum verifies");
}

static void test_ipv6_frag(void)
{
	const int ip = FRAME_ETH_LEN, frag = ip + FRAME_IPV6_LEN;
	struct frame f = {};

	frame_eth(&f, ETH_IP6);
	frame_ipv6(&f, SRC6, DST6, 44);
	frame_ipv6_frag(&f, IPPROTO_UDP, 100, true);
	frame_payload(&f, 40);
	ASSERT_EQ(f.buf[frag], IPPROTO_UDP, "next header");
	ASSERT_EQ(f.buf[frag + 1], 0, "reserved");
	ASSERT_EQ(frame_get16(&f, frag + 2), 100 << 3 | 1, "offset and M");
	ASSERT_EQ(frame_get16(&f, frag + 2) >> 3, 100, "offset");
	ASSERT_EQ(frame_get32(&f, frag + 4), 0x12345678, "identification");
	ASSERT_EQ(frame_get16(&f, ip + 4), 8 + 40, "payload length");

	frame_init(&f);
	frame_eth(&f, ETH_IP6);
	frame_ipv6(&f, SRC6, DST6, 44);
	frame_ipv6_ext(&f, 44, IPPROTO_TCP, 8);
	ASSERT_EQ(frame_get16(&f, frag + 2), 0, "atomic fragment: offset 0, no M");
	ASSERT_EQ(f.buf[frag], IPPROTO_TCP, "next header via frame_ipv6_ext");
	ASSERT_EQ(f.len, frag + FRAME_IPV6_FRAG_LEN, "8 bytes");
}

static void test_icmp(void)
{
	const int ip = FRAME_ETH_LEN, icmp4 = ip + FRAME_IPV4_LEN, icmp6 = ip + FRAME_IPV6_LEN;
	struct frame f = {};

	frame_eth(&f, ETH_IP4);
	frame_ipv4(&f, SRC4, DST4, IPPROTO_ICMP, 0, false, 0);
	frame_icmp(&f, 8, 0);
	ASSERT_EQ(f.buf[icmp4], 8, "type");
	ASSERT_EQ(f.buf[icmp4 + 1], 0, "code");
	ASSERT_EQ(frame_get32(&f, icmp4 + 4), 0x00010001, "echo id and sequence");
	ASSERT_EQ(frame_csum(f.buf + icmp4, FRAME_ICMP_LEN), 0, "icmp checksum verifies");
	ASSERT_EQ(frame_get16(&f, ip + 2), 28, "total length");

	frame_init(&f);
	frame_eth(&f, ETH_IP6);
	frame_ipv6(&f, SRC6, DST6, IPPROTO_ICMPV6);
	frame_icmp6(&f, 1, 4);
	frame_payload(&f, 48);
	ASSERT_EQ(f.buf[icmp6], 1, "icmp6 type");
	ASSERT_EQ(f.buf[icmp6 + 1], 4, "icmp6 code");
	ASSERT_EQ(frame_get32(&f, icmp6 + 4), 0, "unused field");
	ASSERT_EQ(frame_get16(&f, ip + 4), 8 + 48, "payload length");
	ASSERT_EQ(l4_csum_check(&f, ip, icmp6, IPPROTO_ICMPV6), 0, "icmp6 checksum verifies");
}

static void test_truncate(void)
{
	const int ip = FRAME_ETH_LEN;
	struct frame f = {};
	uint8_t copy[64];

	frame_eth(&f, ETH_IP4);
	frame_ipv4(&f, SRC4, DST4, IPPROTO_UDP, 0, false, 0);
	frame_udp(&f, 1, 2, 10);
	memcpy(copy, f.buf, f.len);
	frame_truncate(&f, 30);
	ASSERT_EQ(f.len, 30, "cut length");
	ASSERT_EQ(frame_get16(&f, ip + 2), 38, "total length still claims the whole packet");
	ASSERT_MEMEQ(f.buf, copy, 30, "bytes kept");
	ASSERT_EQ(frame_finish(&f), 30, "frame_finish leaves a cut frame alone");
	ASSERT_EQ(frame_get16(&f, ip + 2), 38, "total length after frame_finish");
	frame_truncate(&f, FRAME_ETH_LEN);
	ASSERT_EQ(f.len, FRAME_ETH_LEN, "cut again, shorter");
}

void test_frames(void)
{
	if (test__start_subtest("eth"))
		test_eth();
	if (test__start_subtest("ipv4"))
		test_ipv4();
	if (test__start_subtest("ipv4_options"))
		test_ipv4_options();
	if (test__start_subtest("ipv4_fragments"))
		test_ipv4_fragments();
	if (test__start_subtest("incremental"))
		test_incremental();
	if (test__start_subtest("vlan"))
		test_vlan();
	if (test__start_subtest("qinq"))
		test_qinq();
	if (test__start_subtest("ipv6"))
		test_ipv6();
	if (test__start_subtest("ipv6_ext_chain"))
		test_ipv6_ext_chain();
	if (test__start_subtest("ipv6_frag"))
		test_ipv6_frag();
	if (test__start_subtest("icmp"))
		test_icmp();
	if (test__start_subtest("truncate"))
		test_truncate();
}
