// SPDX-License-Identifier: GPL-2.0
/*
 * Drop events as iptables LOG lines, so logwatch, psad, fail2ban filters and Lire read
 * xdpband's log as they read the kernel's. The reference is net/netfilter/nf_log_syslog.c
 * (nf_log_ip_packet, nf_log_ip6_packet and the dump_* helpers they call) for a frame that
 * came in on an Ethernet device, with the LOG target's default flags: no --log-tcp-sequence,
 * --log-tcp-options, --log-ip-options, --log-uid or --log-macdecode. Every field ends in a
 * space, the last one too; the kernel prints the buffer with "%s\n", so its line ends in
 * a space before the newline, and so does ours (without the newline).
 *
 * The event is a summary, not the packet, so a few things are approximated; each place
 * says how:
 *  - "INCOMPLETE [n bytes]": the kernel prints skb->len - (L4 offset); skb->len is the IP
 *    total length (ip_rcv and ipv6_rcv trim the frame to it). The event has no IHL and no
 *    extension-header length, so the L4 offset is taken as 20 for IPv4 and 40 (+8 with a
 *    fragment header) for IPv6. The IP length is capped by what the frame holds.
 *    XB_EV_L4_CUT, or fewer bytes than the header needs by that count, prints it.
 *  - ICMP errors: the kernel dumps the quoted packet inside "[...] "; the event does not
 *    carry it, so we print the brackets empty, "[] ", where the kernel would show it, and
 *    everything the kernel prints around them (GATEWAY= before, MTU= after). Where the
 *    kernel's own answer needs only lengths we give it: "INCOMPLETE [n bytes] " for an
 *    ICMPv4 message under its required length, "[TRUNCATED] " for an ICMPv6 quote shorter
 *    than an IPv6 header.
 *  - AH and ESP: the event has no SPI, so "SPI=0x..." is left out.
 *  - L4 neither parsed (XB_EV_L4) nor cut: nothing after "PROTO=...", since nothing in
 *    the event backs up ports or an INCOMPLETE.
 * The kernel's 1020-byte nf_log_buf limit is not applied: the caller's size is.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include "xb.h"

#define ETH_HDR_LEN 14
#define VLAN_HDR_LEN 4
#define IPV4_HDR_LEN 20 /* no options: the event does not say how long the header was */
#define IPV6_HDR_LEN 40
#define IPV6_FRAG_HDR_LEN 8

/* What the kernel's skb_header_pointer() needs before it prints a header's fields. */
#define TCP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define ICMP_HDR_LEN 8
#define AH_HDR_LEN 12
#define ESP_HDR_LEN 8
#define IPV6_OPT_HDR_LEN 2

/* The kernel's names for two of <netinet/ip.h>'s frag_off bits (include/net/ip.h). */
#define IP_CE IP_RF
#define IP_OFFSET IP_OFFMASK

/* The line so far: written while it fits, counted always, as snprintf() does. */
struct line {
	char *buf;
	size_t size;
	size_t len;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (l->len < l->size)
		n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
}

/*
 * Bytes of the IP packet past its first l3_len bytes: the kernel's skb->len - offset. The
 * IP length is capped by the frame (ip_rcv would have dropped a shorter frame, so the
 * kernel has no answer there; the bytes really present are the honest one).
 */
static __u32 l4_avail(const struct xb_event *ev, __u32 l3_len)
{
	__u32 l2_len = ETH_HDR_LEN + VLAN_HDR_LEN * (__u32)ev->vlan_depth;
	__u32 pkt = ev->ip_len;

	if (ev->frame_len < l2_len)
		pkt = 0;
	else if (ev->frame_len - l2_len < pkt)
		pkt = ev->frame_len - l2_len;
	return pkt > l3_len ? pkt - l3_len : 0;
}

/* The IPv4 header length the program measured, if it is one an IHL can give. */
static __u32 l3_len_v4(const struct xb_event *ev)
{
	return ev->l3_len >= IPV4_HDR_LEN && ev->l3_len <= 60 ? ev->l3_len : IPV4_HDR_LEN;
}

/* Whether the kernel would find fewer than need bytes of this L4 header. */
static bool l4_short(const struct xb_event *ev, __u32 avail, __u32 need)
{
	return (ev->flags & XB_EV_L4_CUT) || avail < need;
}

static void add_incomplete(struct line *l, __u32 avail)
{
	add(l, "INCOMPLETE [%u bytes] ", avail);
}

/* Byte i of ICMP bytes 4..7 (icmp_rest is in network order, i.e. wire order in memory). */
static unsigned int rest_byte(const struct xb_event *ev, unsigned int i)
{
	return ((const __u8 *)&ev->icmp_rest)[i];
}

static unsigned int rest_be16(const struct xb_event *ev, unsigned int i)
{
	return rest_byte(ev, i) << 8 | rest_byte(ev, i + 1);
}

static unsigned int rest_be32(const struct xb_event *ev)
{
	return rest_be16(ev, 0) << 16 | rest_be16(ev, 2);
}

/* nf_log_dump_packet_common() and dump_mac_header()'s "MAC=" fallback for Ethernet. */
static void dump_common(struct line *l, const struct xb_event *ev, const char *prefix,
			const char *ifname)
{
	add(l, "%sIN=%s OUT= ", prefix ? prefix : "", ifname ? ifname : "");
	/* dev->hard_header_len is ETH_HLEN: the frame's first 14 bytes, tag or not. */
	add(l, "MAC=");
	for (size_t i = 0; i < sizeof(ev->mac); i++)
		add(l, "%s%02x", i ? ":" : "", ev->mac[i]);
	add(l, " ");
}

/* nf_log_dump_tcp_header(), default flags: no SEQ/ACK, no OPT. */
static void dump_tcp(struct line *l, const struct xb_event *ev, bool fragment, __u32 avail)
{
	/* tcp_flags bit 7..0, as the kernel tests them (after AE, which is in tcp_res). */
	static const char *const names[] = { "CWR ", "ECE ", "URG ", "ACK ",
					     "PSH ", "RST ", "SYN ", "FIN " };

	add(l, "PROTO=TCP ");
	if (fragment)
		return;
	if (l4_short(ev, avail, TCP_HDR_LEN)) {
		add_incomplete(l, avail);
		return;
	}
	if (!(ev->flags & XB_EV_L4))
		return;
	add(l, "SPT=%u DPT=%u ", ev->sport, ev->dport);
	add(l, "WINDOW=%u ", ev->tcp_window);
	/*
	 * tcp_res is the header's 4 reserved bits; the kernel's TCP_RESERVED_BITS are the top
	 * three of them (0x0E000000 >> 22, so RES= is 0x00..0x38) and the lowest is AE.
	 */
	add(l, "RES=0x%02x ", (unsigned int)(ev->tcp_res & 0x0e) << 2);
	if (ev->tcp_res & 0x01)
		add(l, "AE ");
	for (unsigned int i = 0; i < 8; i++) {
		if (ev->tcp_flags & (0x80 >> i))
			add(l, "%s", names[i]);
	}
	add(l, "URGP=%u ", ev->tcp_urgp);
}

/* nf_log_dump_udp_header() */
static void dump_udp(struct line *l, const struct xb_event *ev, bool fragment, __u32 avail)
{
	add(l, ev->l4proto == IPPROTO_UDP ? "PROTO=UDP " : "PROTO=UDPLITE ");
	if (fragment)
		return;
	if (l4_short(ev, avail, UDP_HDR_LEN)) {
		add_incomplete(l, avail);
		return;
	}
	if (ev->flags & XB_EV_L4)
		add(l, "SPT=%u DPT=%u LEN=%u ", ev->sport, ev->dport, ev->udp_len);
}

/*
 * Where the kernel recurses into the quoted packet of an ICMP error. We do not have it:
 * "[] " keeps the brackets (and whatever follows them) where log parsers expect them.
 * For ICMPv6 the kernel prints "[TRUNCATED] " when the quote is shorter than an IPv6
 * header, and that we can tell.
 */
static void dump_quote(struct line *l, __u32 quote_len, __u32 hdr_len)
{
	add(l, quote_len < hdr_len ? "[TRUNCATED] " : "[] ");
}

/* Minimum ICMP lengths below which the kernel prints INCOMPLETE after TYPE/CODE. */
static const __u8 icmp_required_len[NR_ICMP_TYPES + 1] = {
	[ICMP_ECHOREPLY] = 4,
	[ICMP_DEST_UNREACH] = 8 + IPV4_HDR_LEN,
	[ICMP_SOURCE_QUENCH] = 8 + IPV4_HDR_LEN,
	[ICMP_REDIRECT] = 8 + IPV4_HDR_LEN,
	[ICMP_ECHO] = 4,
	[ICMP_TIME_EXCEEDED] = 8 + IPV4_HDR_LEN,
	[ICMP_PARAMETERPROB] = 8 + IPV4_HDR_LEN,
	[ICMP_TIMESTAMP] = 20,
	[ICMP_TIMESTAMPREPLY] = 20,
	[ICMP_ADDRESS] = 12,
	[ICMP_ADDRESSREPLY] = 12,
};

/* The type-specific part of dump_ipv4_packet()'s ICMP case, after TYPE= CODE=. */
static void dump_icmp_body(struct line *l, const struct xb_event *ev, __u32 avail)
{
	switch (ev->icmp_type) {
	case ICMP_ECHOREPLY:
	case ICMP_ECHO:
		add(l, "ID=%u SEQ=%u ", rest_be16(ev, 0), rest_be16(ev, 2));
		break;
	case ICMP_PARAMETERPROB:
		add(l, "PARAMETER=%u ", rest_byte(ev, 0));
		break;
	case ICMP_REDIRECT:
		add(l, "GATEWAY=%u.%u.%u.%u ", rest_byte(ev, 0), rest_byte(ev, 1), rest_byte(ev, 2),
		    rest_byte(ev, 3));
		/* fallthrough */
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_TIME_EXCEEDED:
		dump_quote(l, avail - ICMP_HDR_LEN, IPV4_HDR_LEN);
		if (ev->icmp_type == ICMP_DEST_UNREACH && ev->icmp_code == ICMP_FRAG_NEEDED)
			add(l, "MTU=%u ", rest_be16(ev, 2));
		break;
	}
}

static void dump_icmp(struct line *l, const struct xb_event *ev, bool fragment, __u32 avail)
{
	add(l, "PROTO=ICMP ");
	if (fragment)
		return;
	if (l4_short(ev, avail, ICMP_HDR_LEN)) {
		add_incomplete(l, avail);
		return;
	}
	if (!(ev->flags & XB_EV_L4))
		return;
	add(l, "TYPE=%u CODE=%u ", ev->icmp_type, ev->icmp_code);
	if (ev->icmp_type <= NR_ICMP_TYPES && icmp_required_len[ev->icmp_type] &&
	    avail < icmp_required_len[ev->icmp_type]) {
		add_incomplete(l, avail);
		return;
	}
	dump_icmp_body(l, ev, avail);
}

/* dump_ipv4_packet()'s cases for AH and ESP; the SPI is not in the event. */
static void dump_ipsec(struct line *l, const struct xb_event *ev, bool fragment, __u32 avail)
{
	bool ah = ev->l4proto == IPPROTO_AH;

	/* The kernel tests for a fragment before it prints PROTO=AH, after PROTO=ESP. */
	if (ah && fragment)
		return;
	add(l, ah ? "PROTO=AH " : "PROTO=ESP ");
	if (fragment)
		return;
	if (l4_short(ev, avail, ah ? AH_HDR_LEN : ESP_HDR_LEN))
		add_incomplete(l, avail);
}

/* dump_ipv4_packet(), default flags: no OPT (...), no UID; skb->mark is 0 in XDP. */
static void dump_ipv4(struct line *l, const struct xb_event *ev)
{
	const __u8 *s = ev->saddr, *d = ev->daddr;
	bool fragment = ev->frag_off & IP_OFFSET;
	__u32 avail = l4_avail(ev, l3_len_v4(ev));

	add(l, "SRC=%u.%u.%u.%u DST=%u.%u.%u.%u ", s[0], s[1], s[2], s[3], d[0], d[1], d[2], d[3]);
	add(l, "LEN=%u TOS=0x%02X PREC=0x%02X TTL=%u ID=%u ", ev->ip_len, ev->tos & IPTOS_TOS_MASK,
	    ev->tos & IPTOS_PREC_MASK, ev->ttl, ev->ip_id);
	if (ev->frag_off & IP_CE)
		add(l, "CE ");
	if (ev->frag_off & IP_DF)
		add(l, "DF ");
	if (ev->frag_off & IP_MF)
		add(l, "MF ");
	if (fragment)
		add(l, "FRAG:%u ", ev->frag_off & IP_OFFSET);

	switch (ev->l4proto) {
	case IPPROTO_TCP:
		dump_tcp(l, ev, fragment, avail);
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		dump_udp(l, ev, fragment, avail);
		break;
	case IPPROTO_ICMP:
		dump_icmp(l, ev, fragment, avail);
		break;
	case IPPROTO_AH:
	case IPPROTO_ESP:
		dump_ipsec(l, ev, fragment, avail);
		break;
	default:
		add(l, "PROTO=%u ", ev->l4proto);
	}
}

/* dump_ipv6_packet()'s ICMPv6 case, recurse = 1. */
static void dump_icmp6(struct line *l, const struct xb_event *ev, bool fragment, __u32 avail)
{
	add(l, "PROTO=ICMPv6 ");
	if (fragment)
		return;
	if (l4_short(ev, avail, ICMP_HDR_LEN)) {
		add_incomplete(l, avail);
		return;
	}
	if (!(ev->flags & XB_EV_L4))
		return;
	add(l, "TYPE=%u CODE=%u ", ev->icmp_type, ev->icmp_code);
	switch (ev->icmp_type) {
	case ICMP6_ECHO_REQUEST:
	case ICMP6_ECHO_REPLY:
		add(l, "ID=%u SEQ=%u ", rest_be16(ev, 0), rest_be16(ev, 2));
		break;
	case ICMP6_PARAM_PROB:
		add(l, "POINTER=%08x ", rest_be32(ev));
		/* fallthrough */
	case ICMP6_DST_UNREACH:
	case ICMP6_PACKET_TOO_BIG:
	case ICMP6_TIME_EXCEEDED:
		dump_quote(l, avail - ICMP_HDR_LEN, IPV6_HDR_LEN);
		if (ev->icmp_type == ICMP6_PACKET_TOO_BIG)
			add(l, "MTU=%u ", rest_be32(ev));
		break;
	}
}

/*
 * The fragment header as dump_ipv6_packet()'s extension-header walk prints it without
 * --log-ip-options: offset in bytes (the word & 0xFFF8), INCOMPLETE when M is set, the ID.
 * Returns false when the kernel would stop at "TRUNCATED ".
 */
static bool dump_frag6(struct line *l, const struct xb_event *ev)
{
	add(l, "FRAG:");
	if (l4_avail(ev, IPV6_HDR_LEN) < IPV6_FRAG_HDR_LEN) {
		add(l, "TRUNCATED ");
		return false;
	}
	add(l, "%u ", ev->frag_off & 0xfff8);
	if (ev->frag_off & 0x0001)
		add(l, "INCOMPLETE ");
	add(l, "ID:%08x ", ev->frag_id);
	return true;
}

/*
 * What the walk does when l4proto is itself an extension header: ESP ends the line, as
 * do hop-by-hop, routing and destination options behind a non-first fragment. Returns
 * false when the line goes on to "PROTO=".
 */
static bool dump_ext6_end(struct line *l, __u8 proto, bool fragment, __u32 avail)
{
	bool ends = proto == IPPROTO_ESP ||
		    (fragment && (proto == IPPROTO_HOPOPTS || proto == IPPROTO_ROUTING ||
				  proto == IPPROTO_DSTOPTS));

	if (ends && avail < IPV6_OPT_HDR_LEN)
		add(l, "TRUNCATED");
	return ends;
}

/* %pI6: eight groups of four lowercase hex digits, nothing compressed. */
static void format_ipv6(char out[40], const __u8 *p)
{
	snprintf(out, 40, "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x",
		 p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12],
		 p[13], p[14], p[15]);
}

/* dump_ipv6_packet(), recurse = 1, default flags. */
static void dump_ipv6(struct line *l, const struct xb_event *ev)
{
	__u32 l3_len = IPV6_HDR_LEN, avail;
	char src[40], dst[40];
	bool fragment = false;

	format_ipv6(src, ev->saddr);
	format_ipv6(dst, ev->daddr);
	add(l, "SRC=%s DST=%s ", src, dst);
	add(l, "LEN=%u TC=%u HOPLIMIT=%u FLOWLBL=%u ", ev->ip_len, ev->tos, ev->ttl,
	    ev->flowlabel & 0xfffff);
	if (ev->flags & XB_EV_FRAG) {
		if (!dump_frag6(l, ev))
			return;
		fragment = ev->frag_off & 0xfff8;
		l3_len += IPV6_FRAG_HDR_LEN;
	}
	/* The program measured the extension headers when it could (at most 8 of 2 KiB). */
	if (ev->l3_len >= IPV6_HDR_LEN && ev->l3_len <= IPV6_HDR_LEN + 8 * 2048)
		l3_len = ev->l3_len;
	avail = l4_avail(ev, l3_len);
	if (dump_ext6_end(l, ev->l4proto, fragment, avail))
		return;

	switch (ev->l4proto) {
	case IPPROTO_TCP:
		dump_tcp(l, ev, fragment, avail);
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		dump_udp(l, ev, fragment, avail);
		break;
	case IPPROTO_ICMPV6:
		dump_icmp6(l, ev, fragment, avail);
		break;
	default:
		add(l, "PROTO=%u ", ev->l4proto);
	}
}

int xb_log_format(const struct xb_event *ev, const char *prefix, const char *ifname, char *buf,
		  size_t size)
{
	struct line l = { .buf = buf, .size = buf ? size : 0 };

	if (buf && size)
		buf[0] = '\0';
	if (!ev)
		return -EINVAL;
	dump_common(&l, ev, prefix, ifname);
	/* Anything else is what nf_log_unknown_packet() prints: the common part and MAC=. */
	if (ev->family == 4)
		dump_ipv4(&l, ev);
	else if (ev->family == 6)
		dump_ipv6(&l, ev);
	return l.len > INT_MAX ? -EOVERFLOW : (int)l.len;
}
