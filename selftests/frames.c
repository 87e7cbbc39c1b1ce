// SPDX-License-Identifier: GPL-2.0
/* The frame builder: append a header, then rewrite every length and checksum around it. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "frames.h"

#define IP_MF 0x2000
#define IPV4_OPT_EOL 0
#define IPV4_OPT_NOP 1
#define IPV6_OPT_PAD1 0
#define IPV6_OPT_PADN 1
#define IPV6_RT_EXPERIMENT 253 /* RFC 4727 */
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58
#define EXT_HOP 0
#define EXT_ROUTING 43
#define EXT_FRAGMENT 44
#define EXT_AH 51
#define EXT_DSTOPTS 60

const uint8_t frame_smac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t frame_dmac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static void die(const char *func, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

static void die(const char *func, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "frames: %s: ", func);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (a bug in the test)\n");
	abort();
}

static void check_frame(const struct frame *f, const char *func)
{
	if (f->len > FRAME_MAX || f->hdr_cnt > FRAME_MAX_HDRS)
		die(func, "struct frame is not initialised; zero it or call frame_init()");
}

void frame_put16(struct frame *f, size_t off, uint16_t v)
{
	if (off + 2 > FRAME_MAX)
		die(__func__, "offset %zu out of the frame", off);
	f->buf[off] = (uint8_t)(v >> 8);
	f->buf[off + 1] = (uint8_t)v;
}

void frame_put32(struct frame *f, size_t off, uint32_t v)
{
	frame_put16(f, off, (uint16_t)(v >> 16));
	frame_put16(f, off + 2, (uint16_t)v);
}

uint16_t frame_get16(const struct frame *f, size_t off)
{
	if (off + 2 > FRAME_MAX)
		die(__func__, "offset %zu out of the frame", off);
	return (uint16_t)(f->buf[off] << 8 | f->buf[off + 1]);
}

uint32_t frame_get32(const struct frame *f, size_t off)
{
	return (uint32_t)frame_get16(f, off) << 16 | frame_get16(f, off + 2);
}

/* ---- checksums ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t frame_csum(const void *data, size_t len)
{
	return csum_fold(csum_add(0, data, len));
}

/* The nearest IPv4 or IPv6 header before header i, or NULL. */
static const struct frame_hdr *ip_before(const struct frame *f, unsigned int i)
{
	while (i--) {
		const struct frame_hdr *h = &f->hdrs[i];

		if (h->kind == FRAME_HDR_IPV4 || h->kind == FRAME_HDR_IPV6)
			return h;
	}
	return NULL;
}

/* Sum of the pseudo-header for len bytes of proto under ip. */
static uint32_t pseudo_sum(const struct frame *f, const struct frame_hdr *ip, uint8_t proto,
			   size_t len)
{
	const uint8_t *p = f->buf + ip->off;
	uint32_t sum;

	if (ip->kind == FRAME_HDR_IPV4)
		sum = csum_add(0, p + 12, 8) + (uint32_t)len;
	else
		sum = csum_add(0, p + 8, 32) + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	return sum + proto;
}

/* The L4 checksum of header i, at csum_off inside it; left 0 without an IP header. */
static void l4_csum(struct frame *f, unsigned int i, uint8_t proto, size_t csum_off)
{
	const struct frame_hdr *h = &f->hdrs[i], *ip = ip_before(f, i);
	size_t len = f->len - h->off;
	uint32_t sum = 0;
	uint16_t csum;

	frame_put16(f, h->off + csum_off, 0);
	if (h->kind != FRAME_HDR_ICMP) {
		if (!ip)
			return;
		sum = pseudo_sum(f, ip, proto, len);
	}
	csum = csum_fold(csum_add(sum, f->buf + h->off, len));
	if (proto == PROTO_UDP && !csum)
		csum = 0xffff; /* 0 means "no checksum" in UDP */
	frame_put16(f, h->off + csum_off, csum);
}

/* ---- rewriting after each append ---- */

static void fix_lengths(struct frame *f)
{
	for (unsigned int i = 0; i < f->hdr_cnt; i++) {
		const struct frame_hdr *h = &f->hdrs[i];
		size_t len = f->len - h->off;

		switch (h->kind) {
		case FRAME_HDR_IPV4:
			frame_put16(f, h->off + 2, (uint16_t)len);
			break;
		case FRAME_HDR_IPV6:
			frame_put16(f, h->off + 4, (uint16_t)(len - FRAME_IPV6_LEN));
			break;
		case FRAME_HDR_UDP:
			frame_put16(f, h->off + 4, (uint16_t)len);
			break;
		default:
			break;
		}
	}
}

/* Innermost first: an outer checksum covers the inner headers' checksums. */
static void fix_csums(struct frame *f)
{
	for (unsigned int i = f->hdr_cnt; i--;) {
		const struct frame_hdr *h = &f->hdrs[i];

		switch (h->kind) {
		case FRAME_HDR_IPV4:
			frame_put16(f, h->off + 10, 0);
			frame_put16(f, h->off + 10, frame_csum(f->buf + h->off, h->len));
			break;
		case FRAME_HDR_TCP:
			l4_csum(f, i, PROTO_TCP, 16);
			break;
		case FRAME_HDR_UDP:
			l4_csum(f, i, PROTO_UDP, 6);
			break;
		case FRAME_HDR_ICMP:
			l4_csum(f, i, 0, 2);
			break;
		case FRAME_HDR_ICMP6:
			l4_csum(f, i, PROTO_ICMPV6, 2);
			break;
		default:
			break;
		}
	}
}

size_t frame_finish(struct frame *f)
{
	check_frame(f, __func__);
	if (!f->truncated) {
		fix_lengths(f);
		fix_csums(f);
	}
	return f->len;
}

/* Room for len more bytes, zeroed; returns where they start. */
static uint8_t *grow(struct frame *f, size_t len, const char *func)
{
	uint8_t *p;

	check_frame(f, func);
	if (f->truncated)
		die(func, "frame already truncated");
	if (len > FRAME_MAX - f->len)
		die(func, "%zu more bytes overflow FRAME_MAX (%d) at %zu", len, FRAME_MAX, f->len);
	p = f->buf + f->len;
	memset(p, 0, len);
	f->len += len;
	return p;
}

/* A header of len bytes, recorded for the rewrites; returns its start. */
static uint8_t *push_hdr(struct frame *f, enum frame_hdr_kind kind, uint8_t type, size_t len,
			 const char *func)
{
	struct frame_hdr *h;
	size_t off = f->len;
	uint8_t *p;

	check_frame(f, func);
	if (f->hdr_cnt == FRAME_MAX_HDRS)
		die(func, "more than %d headers", FRAME_MAX_HDRS);
	p = grow(f, len, func);
	h = &f->hdrs[f->hdr_cnt++];
	h->kind = (uint8_t)kind;
	h->type = type;
	h->off = (uint16_t)off;
	h->len = (uint16_t)len;
	return p;
}

/* ---- builders ---- */

void frame_init(struct frame *f)
{
	memset(f, 0, sizeof(*f));
}

void frame_eth(struct frame *f, uint16_t ethertype)
{
	uint8_t *p = push_hdr(f, FRAME_HDR_ETH, 0, FRAME_ETH_LEN, __func__);

	memcpy(p, frame_dmac, 6);
	memcpy(p + 6, frame_smac, 6);
	frame_put16(f, (size_t)(p - f->buf) + 12, ethertype);
	frame_finish(f);
}

void frame_vlan(struct frame *f, uint16_t tpid, uint16_t vid, uint16_t inner_ethertype)
{
	const struct frame_hdr *prev;
	size_t off = f->len;

	check_frame(f, __func__);
	prev = f->hdr_cnt ? &f->hdrs[f->hdr_cnt - 1] : NULL;
	if (!prev || (prev->kind != FRAME_HDR_ETH && prev->kind != FRAME_HDR_VLAN) ||
	    prev->off + prev->len != off)
		die(__func__, "a VLAN tag must directly follow frame_eth() or frame_vlan()");
	if (vid > 0xfff)
		die(__func__, "VLAN ID %u is over 4095", vid);
	frame_put16(f, off - 2, tpid);
	push_hdr(f, FRAME_HDR_VLAN, 0, FRAME_VLAN_LEN, __func__);
	frame_put16(f, off, vid);
	frame_put16(f, off + 2, inner_ethertype);
	frame_finish(f);
}

static void parse_addr(int af, const char *text, void *out, const char *func)
{
	if (!text || inet_pton(af, text, out) != 1)
		die(func, "'%s' is not an %s address literal", text ? text : "(null)",
		    af == AF_INET ? "IPv4" : "IPv6");
}

void frame_ipv4(struct frame *f, const char *src, const char *dst, uint8_t proto,
		size_t options_len, bool more_frags, uint16_t frag_off)
{
	size_t hlen = FRAME_IPV4_LEN + options_len;
	uint8_t saddr[4], daddr[4], *p;

	if (options_len % 4 || options_len > 40)
		die(__func__, "options_len %zu is not a multiple of 4 up to 40", options_len);
	if (frag_off > 0x1fff)
		die(__func__, "fragment offset %u is over 8191", frag_off);
	parse_addr(AF_INET, src, saddr, __func__);
	parse_addr(AF_INET, dst, daddr, __func__);
	p = push_hdr(f, FRAME_HDR_IPV4, 0, hlen, __func__);
	p[0] = (uint8_t)(0x40 | hlen / 4);
	p[4] = 0x12;
	p[5] = 0x34;
	p[6] = (uint8_t)(((more_frags ? IP_MF : 0) | frag_off) >> 8);
	p[7] = (uint8_t)frag_off;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, saddr, 4);
	memcpy(p + 16, daddr, 4);
	memset(p + FRAME_IPV4_LEN, IPV4_OPT_NOP, options_len);
	if (options_len)
		p[hlen - 1] = IPV4_OPT_EOL;
	frame_finish(f);
}

void frame_ipv6(struct frame *f, const char *src, const char *dst, uint8_t next_header)
{
	uint8_t saddr[16], daddr[16], *p;

	parse_addr(AF_INET6, src, saddr, __func__);
	parse_addr(AF_INET6, dst, daddr, __func__);
	p = push_hdr(f, FRAME_HDR_IPV6, 0, FRAME_IPV6_LEN, __func__);
	p[0] = 0x60;
	p[6] = next_header;
	p[7] = 64;
	memcpy(p + 8, saddr, 16);
	memcpy(p + 24, daddr, 16);
	frame_finish(f);
}

/* Fills n bytes of an options header with Pad1 (n == 1) or PadN options. */
static void pad_options(uint8_t *p, size_t n)
{
	while (n) {
		size_t chunk = n > 257 ? 257 : n;

		if (chunk == 1) {
			*p = IPV6_OPT_PAD1;
		} else {
			p[0] = IPV6_OPT_PADN;
			p[1] = (uint8_t)(chunk - 2);
			memset(p + 2, 0, chunk - 2);
		}
		p += chunk;
		n -= chunk;
	}
}

void frame_ipv6_ext(struct frame *f, uint8_t type, uint8_t next_header, size_t len)
{
	uint8_t *p;

	if (type == EXT_FRAGMENT) {
		if (len != FRAME_IPV6_FRAG_LEN)
			die(__func__, "a fragment header is 8 bytes, not %zu", len);
		frame_ipv6_frag(f, next_header, 0, false);
		return;
	}
	if (len < 8 || len % 8 || len > 2048 || (type == EXT_AH && len < 16))
		die(__func__, "length %zu of header %u is not a multiple of 8 in [%d, 2048]", len,
		    type, type == EXT_AH ? 16 : 8);
	p = push_hdr(f, FRAME_HDR_IPV6_EXT, type, len, __func__);
	p[0] = next_header;
	p[1] = (uint8_t)(len / 8 - 1);
	switch (type) {
	case EXT_HOP:
	case EXT_DSTOPTS:
		pad_options(p + 2, len - 2);
		break;
	case EXT_ROUTING:
		p[2] = IPV6_RT_EXPERIMENT;
		break;
	case EXT_AH:
		p[1] = (uint8_t)(len / 4 - 2); /* AH counts 4-byte units */
		frame_put32(f, (size_t)(p - f->buf) + 4, 256);
		frame_put32(f, (size_t)(p - f->buf) + 8, 1);
		break;
	default:
		break;
	}
	frame_finish(f);
}

void frame_ipv6_frag(struct frame *f, uint8_t next_header, uint16_t frag_off, bool more)
{
	uint8_t *p;
	size_t off;

	if (frag_off > 0x1fff)
		die(__func__, "fragment offset %u is over 8191", frag_off);
	p = push_hdr(f, FRAME_HDR_IPV6_EXT, EXT_FRAGMENT, FRAME_IPV6_FRAG_LEN, __func__);
	off = (size_t)(p - f->buf);
	p[0] = next_header;
	frame_put16(f, off + 2, (uint16_t)(frag_off << 3 | (more ? 1 : 0)));
	frame_put32(f, off + 4, 0x12345678);
	frame_finish(f);
}

void frame_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t *p = push_hdr(f, FRAME_HDR_TCP, 0, FRAME_TCP_LEN, __func__);
	size_t off = (size_t)(p - f->buf);

	frame_put16(f, off, sport);
	frame_put16(f, off + 2, dport);
	frame_put32(f, off + 4, 1);
	frame_put32(f, off + 8, flags & FRAME_TCP_ACK ? 1 : 0);
	p[12] = (FRAME_TCP_LEN / 4) << 4;
	p[13] = flags;
	frame_put16(f, off + 14, 0xffff);
	frame_finish(f);
}

void frame_udp(struct frame *f, uint16_t sport, uint16_t dport, size_t payload_len)
{
	uint8_t *p = push_hdr(f, FRAME_HDR_UDP, 0, FRAME_UDP_LEN, __func__);
	size_t off = (size_t)(p - f->buf);

	frame_put16(f, off, sport);
	frame_put16(f, off + 2, dport);
	frame_payload(f, payload_len);
}

static void icmp_common(struct frame *f, enum frame_hdr_kind kind, uint8_t type, uint8_t code,
			bool echo, const char *func)
{
	uint8_t *p = push_hdr(f, kind, 0, FRAME_ICMP_LEN, func);

	p[0] = type;
	p[1] = code;
	if (echo) {
		p[5] = 1; /* identifier */
		p[7] = 1; /* sequence */
	}
	frame_finish(f);
}

void frame_icmp(struct frame *f, uint8_t type, uint8_t code)
{
	icmp_common(f, FRAME_HDR_ICMP, type, code, type == 0 || type == 8, __func__);
}

void frame_icmp6(struct frame *f, uint8_t type, uint8_t code)
{
	icmp_common(f, FRAME_HDR_ICMP6, type, code, type == 128 || type == 129, __func__);
}

void frame_payload(struct frame *f, size_t n)
{
	uint8_t *p = grow(f, n, __func__);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)i;
	frame_finish(f);
}

void frame_truncate(struct frame *f, size_t len)
{
	check_frame(f, __func__);
	if (len > f->len)
		die(__func__, "cannot cut a %zu-byte frame to %zu bytes", f->len, len);
	frame_finish(f);
	f->len = len;
	f->truncated = true;
}

int frame_hdr_off(const struct frame *f, enum frame_hdr_kind kind, unsigned int nth)
{
	check_frame(f, __func__);
	for (unsigned int i = 0; i < f->hdr_cnt; i++)
		if (f->hdrs[i].kind == kind && !nth--)
			return f->hdrs[i].off;
	return -1;
}

size_t frame_udp_from(struct frame *f, const char *src)
{
	frame_init(f);
	if (strchr(src, ':')) {
		frame_eth(f, 0x86DD);
		frame_ipv6(f, src, "2001:db8:aaaa::1", 17);
	} else {
		frame_eth(f, 0x0800);
		frame_ipv4(f, src, "192.0.2.200", 17, 0, false, 0);
	}
	frame_udp(f, 1000, 53, 8);
	return frame_finish(f);
}
