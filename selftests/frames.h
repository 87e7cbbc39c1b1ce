/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test frames, built by appending headers: Ethernet, VLAN tags, IPv4 (options, fragments),
 * IPv6 and its extension headers, TCP/UDP/ICMP/ICMPv6 and payload. After every append the
 * builders rewrite each enclosing length (IPv4 total length, IPv6 payload length, UDP
 * length) and every checksum (IPv4 header; TCP, UDP and ICMPv6 with their pseudo-header;
 * ICMP), so a frame is consistent whatever order the builders run in. Type fields are the
 * caller's (ethertype, protocol, next header), so a test can build mismatches on purpose;
 * frame_vlan() alone also sets the type field before its tag.
 *
 *	struct frame f = {};
 *
 *	frame_eth(&f, 0x0800);
 *	frame_ipv4(&f, "203.0.113.7", "198.51.100.1", 17, 0, false, 0);
 *	frame_udp(&f, 5353, 53, 12);
 *	run(f.buf, f.len);
 *
 * Start from a zeroed struct frame (or frame_init()). A test bug (bad address literal,
 * overflowing FRAME_MAX, invalid header length) prints "frames: ..." and aborts. To corrupt a
 * frame on purpose, edit f->buf after the last builder call: a later builder or
 * frame_finish() rewrites lengths and checksums. Multi-byte fields are big-endian in buf and
 * not aligned, so read them with frame_get16()/frame_get32(), never through a struct cast.
 */
#ifndef FRAMES_H
#define FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 9216 /* a jumbo frame */
#define FRAME_MAX_HDRS 24

#define FRAME_ETH_LEN 14
#define FRAME_VLAN_LEN 4
#define FRAME_IPV4_LEN 20 /* without options */
#define FRAME_IPV6_LEN 40
#define FRAME_IPV6_FRAG_LEN 8
#define FRAME_TCP_LEN 20
#define FRAME_UDP_LEN 8
#define FRAME_ICMP_LEN 8 /* ICMP and ICMPv6 */

/* TCP flags for frame_tcp() */
#define FRAME_TCP_FIN 0x01
#define FRAME_TCP_SYN 0x02
#define FRAME_TCP_RST 0x04
#define FRAME_TCP_PSH 0x08
#define FRAME_TCP_ACK 0x10

enum frame_hdr_kind {
	FRAME_HDR_ETH,
	FRAME_HDR_VLAN,
	FRAME_HDR_IPV4,
	FRAME_HDR_IPV6,
	FRAME_HDR_IPV6_EXT, /* any extension header, the fragment header included */
	FRAME_HDR_TCP,
	FRAME_HDR_UDP,
	FRAME_HDR_ICMP,
	FRAME_HDR_ICMP6,
};

/* Where a builder put its header; kept for the length and checksum rewrites. */
struct frame_hdr {
	uint8_t kind; /* enum frame_hdr_kind */
	uint8_t type; /* extension header type */
	uint16_t off;
	uint16_t len;
};

struct frame {
	uint8_t buf[FRAME_MAX];
	size_t len;
	/* The builders' own; all zero in an empty frame. */
	unsigned int hdr_cnt;
	struct frame_hdr hdrs[FRAME_MAX_HDRS];
	bool truncated;
};

/* The source and destination MACs of every frame_eth(). */
extern const uint8_t frame_smac[6]; /* 02:00:00:00:00:01 */
extern const uint8_t frame_dmac[6]; /* 02:00:00:00:00:02 */

/* Empties f (same as zeroing it). */
void frame_init(struct frame *f);

/* dst frame_dmac, src frame_smac, then ethertype. */
void frame_eth(struct frame *f, uint16_t ethertype);
/*
 * A VLAN tag right after frame_eth() or another frame_vlan(): writes tpid (0x8100 or
 * 0x88a8) into the type field before it, then TCI = vid (PCP and DEI 0), then
 * inner_ethertype. Call it twice for QinQ.
 */
void frame_vlan(struct frame *f, uint16_t tpid, uint16_t vid, uint16_t inner_ethertype);

/*
 * IPv4, TTL 64, ID 0x1234; options_len (a multiple of 4, at most 40) bytes of NOP options
 * ending in EOL raise the IHL. more_frags sets MF; frag_off is in 8-byte units (< 8192).
 */
void frame_ipv4(struct frame *f, const char *src, const char *dst, uint8_t proto,
		size_t options_len, bool more_frags, uint16_t frag_off);
/* IPv6, hop limit 64, no traffic class or flow label. */
void frame_ipv6(struct frame *f, const char *src, const char *dst, uint8_t next_header);
/*
 * An IPv6 extension header of type with its next header and total length len (a multiple of
 * 8): hop-by-hop (0) and destination options (60) are filled with Pad1/PadN options; routing
 * (43) has type 253 (experimental) and 0 segments left; fragment (44) must be 8 bytes and is
 * an atomic fragment (see frame_ipv6_frag()); AH (51) has SPI 256 and sequence 1; any other
 * type gets the generic next-header/length layout and zeros.
 */
void frame_ipv6_ext(struct frame *f, uint8_t type, uint8_t next_header, size_t len);
/* The 8-byte fragment header: frag_off in 8-byte units (< 8192), M flag, ID 0x12345678. */
void frame_ipv6_frag(struct frame *f, uint8_t next_header, uint16_t frag_off, bool more);

/* seq 1, ack 1 if FRAME_TCP_ACK (else 0), no options, window 65535. */
void frame_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags);
/* The UDP header and payload_len bytes of frame_payload(). */
void frame_udp(struct frame *f, uint16_t sport, uint16_t dport, size_t payload_len);
/* 8 bytes; echo request/reply get ID 1, sequence 1, others zeros. */
void frame_icmp(struct frame *f, uint8_t type, uint8_t code);
void frame_icmp6(struct frame *f, uint8_t type, uint8_t code);
/* n bytes 0x00, 0x01, ... 0xff, 0x00, ... */
void frame_payload(struct frame *f, size_t n);

/*
 * Rewrites every length and checksum (the builders already do) and returns f->len. Does
 * nothing to a truncated frame.
 */
size_t frame_finish(struct frame *f);
/* A whole UDP frame from src (IPv6 if it has a ':', else IPv4) to a fixed host; its length. */
size_t frame_udp_from(struct frame *f, const char *src);
/*
 * Cuts the frame to len bytes (at most f->len), keeping the lengths and checksums of the
 * whole frame, as a frame cut short on the wire. No builder may follow.
 */
void frame_truncate(struct frame *f, size_t len);

/* The offset of the nth (from 0) header of kind, or -1. */
int frame_hdr_off(const struct frame *f, enum frame_hdr_kind kind, unsigned int nth);
/* Big-endian fields at off (anywhere in buf, not only below len). */
uint16_t frame_get16(const struct frame *f, size_t off);
uint32_t frame_get32(const struct frame *f, size_t off);
void frame_put16(struct frame *f, size_t off, uint16_t v);
void frame_put32(struct frame *f, size_t off, uint32_t v);
/* The Internet checksum of len bytes: 0 when they include a correct checksum field. */
uint16_t frame_csum(const void *data, size_t len);

#endif /* FRAMES_H */
