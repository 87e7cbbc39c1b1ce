// SPDX-License-Identifier: GPL-2.0
/*
 * xb_log_format(): drop events as the iptables LOG target prints them. Every expected line
 * is written out from net/netfilter/nf_log_syslog.c (nf_log_dump_packet_common, the MAC=
 * fallback of dump_mac_header, dump_ipv4_packet, dump_ipv6_packet, nf_log_dump_tcp_header,
 * nf_log_dump_udp_header) with LOG's default flags, for an inbound Ethernet frame. Each
 * field there ends in a space, so every line does. The lines marked "ours" are where the
 * event lacks what the kernel would print (see user/lib/xb_logfmt.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "test_progs.h"
#include "xb.h"

#define MAC_V4 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00
#define MAC_V6 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x86, 0xdd
/* A tagged frame: its first 14 bytes end in the TPID, and that is what MAC= shows. */
#define MAC_VLAN 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x81, 0x00
#define MAC_ARP 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x06

#define ATTACKER4 203, 0, 113, 7
#define HOST4 192, 0, 2, 10
/* 2001:db8::7 and 2001:db8:1::a */
#define ATTACKER6 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07
#define HOST6 0x20, 0x01, 0x0d, 0xb8, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a

#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define TCP_PSH 0x08

struct logfmt_case {
	const char *name;
	const char *prefix;
	const char *ifname;
	__u8 icmp_rest[4]; /* ICMP bytes 4..7 as on the wire; copied into ev.icmp_rest */
	struct xb_event ev;
	const char *line;
};

/* An event from ATTACKER to HOST, on an untagged or a tagged frame. */
#define V4(...)                                                                             \
	{                                                                                   \
		.family = 4, .mac = { MAC_V4 }, .saddr = { ATTACKER4 }, .daddr = { HOST4 }, \
		__VA_ARGS__                                                                 \
	}
#define V4_VLAN(...)                                                                          \
	{                                                                                     \
		.family = 4, .mac = { MAC_VLAN }, .saddr = { ATTACKER4 }, .daddr = { HOST4 }, \
		__VA_ARGS__                                                                   \
	}
#define V6(...)                                                                             \
	{                                                                                   \
		.family = 6, .mac = { MAC_V6 }, .saddr = { ATTACKER6 }, .daddr = { HOST6 }, \
		__VA_ARGS__                                                                 \
	}

static const struct logfmt_case v4_cases[] = {
	{ "ipv4_tcp_syn_df",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 74, .l4proto = 6, .ip_len = 60, .ttl = 52, .ip_id = 54321,
	     .frag_off = 0x4000, .sport = 40000, .dport = 22, .tcp_flags = TCP_SYN,
	     .tcp_window = 64240, .flags = XB_EV_L4),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=54321 DF "
	  "PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 " },
	/*
	 * TOS 0xb8: TOS=0xb8&0x1e, PREC=0xb8&0xe0, uppercase. frag_off 0xc000: CE DF. All four
	 * reserved bits: RES= takes the top three (0x0E000000 >> 22 = 0x38), the lowest is AE,
	 * printed before CWR ... FIN.
	 */
	{ "ipv4_tcp_all_flags",
	  "",
	  "ens3",
	  {},
	  V4(.frame_len = 60, .l4proto = 6, .ip_len = 40, .tos = 0xb8, .ttl = 64, .ip_id = 1,
	     .frag_off = 0xc000, .sport = 1234, .dport = 80, .tcp_flags = 0xff, .tcp_res = 0x0f,
	     .tcp_window = 1024, .tcp_urgp = 1, .flags = XB_EV_L4),
	  "IN=ens3 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=40 TOS=0x18 PREC=0xA0 TTL=64 ID=1 CE DF "
	  "PROTO=TCP SPT=1234 DPT=80 WINDOW=1024 RES=0x38 AE CWR ECE URG ACK PSH RST SYN FIN "
	  "URGP=1 " },
	/* One reserved bit (0x4 of the nibble): RES=0x10, lowercase hex. */
	{ "ipv4_tcp_res_ack_psh",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 66, .l4proto = 6, .ip_len = 52, .tos = 0x10, .ttl = 255, .ip_id = 65535,
	     .sport = 443, .dport = 51515, .tcp_flags = TCP_ACK | TCP_PSH, .tcp_res = 0x04,
	     .tcp_window = 501, .flags = XB_EV_L4),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=52 TOS=0x10 PREC=0x00 TTL=255 ID=65535 "
	  "PROTO=TCP SPT=443 DPT=51515 WINDOW=501 RES=0x10 ACK PSH URGP=0 " },
	{ "ipv4_udp",
	  "Denied UDP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 90, .l4proto = 17, .ip_len = 76, .ttl = 117, .frag_off = 0x4000,
	     .sport = 53124, .dport = 123, .udp_len = 56, .flags = XB_EV_L4),
	  "Denied UDP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=76 TOS=0x00 PREC=0x00 TTL=117 ID=0 DF "
	  "PROTO=UDP SPT=53124 DPT=123 LEN=56 " },
	{ "ipv4_udplite",
	  "",
	  "eth0",
	  {},
	  V4(.frame_len = 60, .l4proto = 136, .ip_len = 40, .ttl = 64, .ip_id = 9, .sport = 5000,
	     .dport = 5001, .udp_len = 8, .flags = XB_EV_L4),
	  "IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=9 "
	  "PROTO=UDPLITE SPT=5000 DPT=5001 LEN=8 " },
	{ "ipv4_icmp_echo",
	  "Denied ICMP: ",
	  "eth0",
	  { 0x12, 0x34, 0x00, 0x05 },
	  V4(.frame_len = 98, .l4proto = 1, .ip_len = 84, .ttl = 64, .frag_off = 0x4000,
	     .icmp_type = 8, .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF "
	  "PROTO=ICMP TYPE=8 CODE=0 ID=4660 SEQ=5 " },
	/* Ours: "[" and "] " with the quoted packet left out; MTU= after them as the kernel. */
	{ "ipv4_icmp_frag_needed",
	  "Denied ICMP: ",
	  "eth0",
	  { 0, 0, 0x05, 0x78 },
	  V4(.frame_len = 70, .l4proto = 1, .ip_len = 56, .tos = 0xc0, .ttl = 254, .ip_id = 12345,
	     .icmp_type = 3, .icmp_code = 4, .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=56 TOS=0x00 PREC=0xC0 TTL=254 ID=12345 "
	  "PROTO=ICMP TYPE=3 CODE=4 [] MTU=1400 " },
	/* 20 ICMP bytes, under required_len[3] = 28: INCOMPLETE after TYPE/CODE. */
	{ "ipv4_icmp_unreach_short",
	  "Denied ICMP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 60, .l4proto = 1, .ip_len = 40, .ttl = 250, .ip_id = 3, .icmp_type = 3,
	     .icmp_code = 1, .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=40 TOS=0x00 PREC=0x00 TTL=250 ID=3 "
	  "PROTO=ICMP TYPE=3 CODE=1 INCOMPLETE [20 bytes] " },
	{ "ipv4_icmp_redirect",
	  "Denied ICMP: ",
	  "eth0",
	  { 192, 0, 2, 1 },
	  V4(.frame_len = 70, .l4proto = 1, .ip_len = 56, .ttl = 64, .ip_id = 77, .icmp_type = 5,
	     .icmp_code = 1, .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=77 "
	  "PROTO=ICMP TYPE=5 CODE=1 GATEWAY=192.0.2.1 [] " },
	/* Parameter problem: the pointer byte, and no quoted packet in brackets. */
	{ "ipv4_icmp_param_problem",
	  "Denied ICMP: ",
	  "eth0",
	  { 20, 0, 0, 0 },
	  V4(.frame_len = 70, .l4proto = 1, .ip_len = 56, .ttl = 64, .ip_id = 78, .icmp_type = 12,
	     .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=78 "
	  "PROTO=ICMP TYPE=12 CODE=0 PARAMETER=20 " },
	{ "ipv4_icmp_time_exceeded",
	  "Denied ICMP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 70, .l4proto = 1, .ip_len = 56, .ttl = 64, .ip_id = 79, .icmp_type = 11,
	     .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=79 "
	  "PROTO=ICMP TYPE=11 CODE=0 [] " },
	/* Timestamp with 8 ICMP bytes, under required_len[13] = 20. */
	{ "ipv4_icmp_timestamp_short",
	  "Denied ICMP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 60, .l4proto = 1, .ip_len = 28, .ttl = 64, .ip_id = 80, .icmp_type = 13,
	     .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=80 "
	  "PROTO=ICMP TYPE=13 CODE=0 INCOMPLETE [8 bytes] " },
	/* FRAG: is the raw 13-bit offset (8-byte units); a fragment stops after PROTO=. */
	{ "ipv4_middle_fragment",
	  "Denied UDP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 1514, .l4proto = 17, .ip_len = 1500, .ttl = 63, .ip_id = 4242,
	     .frag_off = 0x2000 | 185),
	  "Denied UDP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=1500 TOS=0x00 PREC=0x00 TTL=63 ID=4242 MF FRAG:185 "
	  "PROTO=UDP " },
	/* Even if L4 fields were (wrongly) marked valid, a non-first fragment shows none. */
	{ "ipv4_last_fragment_tcp",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 534, .l4proto = 6, .ip_len = 520, .ttl = 63, .ip_id = 4243,
	     .frag_off = 370, .sport = 1, .dport = 2, .flags = XB_EV_L4),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=520 TOS=0x00 PREC=0x00 TTL=63 ID=4243 FRAG:370 "
	  "PROTO=TCP " },
	{ "ipv4_fragment_icmp",
	  "Denied ICMP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 1514, .l4proto = 1, .ip_len = 1500, .ttl = 63, .ip_id = 4244,
	     .frag_off = 0x2000 | 185),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=1500 TOS=0x00 PREC=0x00 TTL=63 ID=4244 MF FRAG:185 "
	  "PROTO=ICMP " },
	/* The kernel's AH case breaks on a fragment before it prints PROTO=AH. */
	{ "ipv4_fragment_ah",
	  "",
	  "eth0",
	  {},
	  V4(.frame_len = 1514, .l4proto = 51, .ip_len = 1500, .ttl = 63, .ip_id = 7,
	     .frag_off = 185),
	  "IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=1500 TOS=0x00 PREC=0x00 TTL=63 ID=7 FRAG:185 " },
	{ "ipv4_first_fragment",
	  "Denied UDP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 1514, .l4proto = 17, .ip_len = 1500, .ttl = 63, .ip_id = 4245,
	     .frag_off = 0x2000, .sport = 5353, .dport = 5353, .udp_len = 3008, .flags = XB_EV_L4),
	  "Denied UDP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=1500 TOS=0x00 PREC=0x00 TTL=63 ID=4245 MF "
	  "PROTO=UDP SPT=5353 DPT=5353 LEN=3008 " },
	/* IP length 28: skb->len - offset = 28 - 20; the frame's Ethernet padding is not. */
	{ "ipv4_tcp_truncated",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 60, .l4proto = 6, .ip_len = 28, .ttl = 50, .ip_id = 100,
	     .flags = XB_EV_L4_CUT),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=28 TOS=0x00 PREC=0x00 TTL=50 ID=100 "
	  "PROTO=TCP INCOMPLETE [8 bytes] " },
	{ "ipv4_udp_truncated",
	  "Denied UDP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 60, .l4proto = 17, .ip_len = 24, .ttl = 50, .ip_id = 101,
	     .flags = XB_EV_L4_CUT),
	  "Denied UDP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=24 TOS=0x00 PREC=0x00 TTL=50 ID=101 "
	  "PROTO=UDP INCOMPLETE [4 bytes] " },
	{ "ipv4_icmp_truncated",
	  "Denied ICMP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 60, .l4proto = 1, .ip_len = 24, .ttl = 50, .ip_id = 102,
	     .flags = XB_EV_L4_CUT),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=24 TOS=0x00 PREC=0x00 TTL=50 ID=102 "
	  "PROTO=ICMP INCOMPLETE [4 bytes] " },
	/* Ours: the frame ends before the IP length does; count the bytes really there. */
	{ "ipv4_tcp_frame_cut",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 44, .l4proto = 6, .ip_len = 60, .ttl = 50, .ip_id = 103,
	     .flags = XB_EV_L4_CUT),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=103 "
	  "PROTO=TCP INCOMPLETE [10 bytes] " },
	/*
	 * A 24-byte header (IHL 6) leaves 16 bytes of TCP, too few, so the program set
	 * L4_CUT; it also measured the header (l3_len), so the count is the kernel's 16.
	 */
	{ "ipv4_options_tcp_cut",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 60, .l4proto = 6, .ip_len = 40, .ttl = 50, .ip_id = 105,
	     .flags = XB_EV_L4_CUT, .l3_len = 24),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=105 "
	  "PROTO=TCP INCOMPLETE [16 bytes] " },
	/* Ours: neither parsed nor cut: nothing the event could back up after PROTO=. */
	{ "ipv4_tcp_unparsed",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V4(.frame_len = 74, .l4proto = 6, .ip_len = 60, .ttl = 50, .ip_id = 104),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=104 "
	  "PROTO=TCP " },
	{ "ipv4_gre",
	  "Denied: ",
	  "eth0",
	  {},
	  V4(.frame_len = 114, .l4proto = 47, .ip_len = 100, .ttl = 64, .ip_id = 200),
	  "Denied: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=100 TOS=0x00 PREC=0x00 TTL=64 ID=200 "
	  "PROTO=47 " },
	/* Ours: the kernel adds "SPI=0x..." from the ESP header, which the event lacks. */
	{ "ipv4_esp",
	  "Denied: ",
	  "eth0",
	  {},
	  V4(.frame_len = 114, .l4proto = 50, .ip_len = 100, .ttl = 64, .ip_id = 201),
	  "Denied: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=100 TOS=0x00 PREC=0x00 TTL=64 ID=201 "
	  "PROTO=ESP " },
	/* MAC= is the first 14 bytes: for a tagged frame, the TPID where the type would be. */
	{ "vlan_udp",
	  "Denied UDP: ",
	  "eth0",
	  {},
	  V4_VLAN(.frame_len = 79, .l4proto = 17, .ip_len = 61, .ttl = 60, .ip_id = 300,
		  .sport = 33333, .dport = 53, .udp_len = 41, .flags = XB_EV_L4, .vlan_depth = 1,
		  .vlan_id = { 100 }),
	  "Denied UDP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:81:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=61 TOS=0x00 PREC=0x00 TTL=60 ID=300 "
	  "PROTO=UDP SPT=33333 DPT=53 LEN=41 " },
	/* Ours, as ipv4_tcp_frame_cut: 48 - 18 (tagged) - 20 bytes are left. */
	{ "vlan_tcp_frame_cut",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V4_VLAN(.frame_len = 48, .l4proto = 6, .ip_len = 40, .ttl = 60, .ip_id = 301,
		  .flags = XB_EV_L4_CUT, .vlan_depth = 1, .vlan_id = { 100 }),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:81:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=40 TOS=0x00 PREC=0x00 TTL=60 ID=301 "
	  "PROTO=TCP INCOMPLETE [10 bytes] " },
	/* nf_log_unknown_packet(): the common part and MAC=, nothing else. */
	{ "not_ip",
	  "Denied: ",
	  "eth0",
	  {},
	  { .family = 0, .mac = { MAC_ARP }, .frame_len = 60 },
	  "Denied: IN=eth0 OUT= MAC=ff:ff:ff:ff:ff:ff:02:00:00:00:00:01:08:06 " },
	{ "null_prefix_and_ifname",
	  NULL,
	  NULL,
	  {},
	  V4(.frame_len = 114, .l4proto = 47, .ip_len = 100, .ttl = 64, .ip_id = 202),
	  "IN= OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 "
	  "SRC=203.0.113.7 DST=192.0.2.10 LEN=100 TOS=0x00 PREC=0x00 TTL=64 ID=202 "
	  "PROTO=47 " },
};

/*
 * %pI6 is the full form, eight groups of four lowercase hex digits. LEN is the payload
 * length + 40, TC and FLOWLBL decimal.
 */
static const struct logfmt_case v6_cases[] = {
	{ "ipv6_tcp_syn",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V6(.frame_len = 94, .l4proto = 6, .ip_len = 80, .ttl = 57, .flowlabel = 0x12345,
	     .sport = 51000, .dport = 443, .tcp_flags = TCP_SYN, .tcp_window = 64800,
	     .flags = XB_EV_L4),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=74565 "
	  "PROTO=TCP SPT=51000 DPT=443 WINDOW=64800 RES=0x00 SYN URGP=0 " },
	/* Traffic class 0x28, hop limit 1. */
	{ "ipv6_udp",
	  "Denied UDP: ",
	  "eth0",
	  {},
	  V6(.frame_len = 102, .l4proto = 17, .ip_len = 88, .tos = 0x28, .ttl = 1, .sport = 546,
	     .dport = 547, .udp_len = 48, .flags = XB_EV_L4),
	  "Denied UDP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=88 TC=40 HOPLIMIT=1 FLOWLBL=0 "
	  "PROTO=UDP SPT=546 DPT=547 LEN=48 " },
	{ "ipv6_icmpv6_echo",
	  "Denied ICMP: ",
	  "eth0",
	  { 0x00, 0x2a, 0x00, 0x01 },
	  V6(.frame_len = 118, .l4proto = 58, .ip_len = 104, .ttl = 64, .flowlabel = 0xabcde,
	     .icmp_type = 128, .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=703710 "
	  "PROTO=ICMPv6 TYPE=128 CODE=0 ID=42 SEQ=1 " },
	/* Ours: "[] " for the quoted packet; MTU= is the whole 32-bit word. */
	{ "ipv6_icmpv6_too_big",
	  "Denied ICMP: ",
	  "eth0",
	  { 0, 0, 0x05, 0x00 },
	  V6(.frame_len = 1294, .l4proto = 58, .ip_len = 1280, .ttl = 60, .icmp_type = 2,
	     .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=1280 TC=0 HOPLIMIT=60 FLOWLBL=0 "
	  "PROTO=ICMPv6 TYPE=2 CODE=0 [] MTU=1280 " },
	/* A 20-byte quote: the kernel's recursive dump cannot read an IPv6 header. */
	{ "ipv6_icmpv6_too_big_short",
	  "Denied ICMP: ",
	  "eth0",
	  { 0, 0, 0x05, 0x00 },
	  V6(.frame_len = 82, .l4proto = 58, .ip_len = 68, .ttl = 60, .icmp_type = 2,
	     .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=68 TC=0 HOPLIMIT=60 FLOWLBL=0 "
	  "PROTO=ICMPv6 TYPE=2 CODE=0 [TRUNCATED] MTU=1280 " },
	{ "ipv6_icmpv6_param_problem",
	  "Denied ICMP: ",
	  "eth0",
	  { 0, 0, 0, 0x28 },
	  V6(.frame_len = 110, .l4proto = 58, .ip_len = 96, .ttl = 60, .icmp_type = 4,
	     .icmp_code = 1, .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=96 TC=0 HOPLIMIT=60 FLOWLBL=0 "
	  "PROTO=ICMPv6 TYPE=4 CODE=1 POINTER=00000028 [] " },
	/* MLD query: TYPE/CODE only. */
	{ "ipv6_icmpv6_mld",
	  "Denied ICMP: ",
	  "eth0",
	  {},
	  V6(.frame_len = 90, .l4proto = 58, .ip_len = 76, .ttl = 1, .icmp_type = 130,
	     .flags = XB_EV_L4),
	  "Denied ICMP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=76 TC=0 HOPLIMIT=1 FLOWLBL=0 "
	  "PROTO=ICMPv6 TYPE=130 CODE=0 " },
	/*
	 * The fragment header with default flags: "FRAG:" offset in bytes (word & 0xFFF8),
	 * "INCOMPLETE " when M is set, "ID:%08x". Offset 0 is not a fragment for L4.
	 */
	{ "ipv6_frag_first",
	  "Denied UDP: ",
	  "eth0",
	  {},
	  V6(.frame_len = 1294, .l4proto = 17, .ip_len = 1280, .ttl = 64, .frag_off = 0x0001,
	     .frag_id = 0xdeadbeef, .sport = 4500, .dport = 4500, .udp_len = 2000,
	     .flags = XB_EV_L4 | XB_EV_FRAG),
	  "Denied UDP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=1280 TC=0 HOPLIMIT=64 FLOWLBL=0 "
	  "FRAG:0 INCOMPLETE ID:deadbeef "
	  "PROTO=UDP SPT=4500 DPT=4500 LEN=2000 " },
	{ "ipv6_frag_middle",
	  "Denied UDP: ",
	  "eth0",
	  {},
	  V6(.frame_len = 1294, .l4proto = 17, .ip_len = 1280, .ttl = 64, .frag_off = 1448 | 0x0001,
	     .frag_id = 0xabcd, .flags = XB_EV_FRAG),
	  "Denied UDP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=1280 TC=0 HOPLIMIT=64 FLOWLBL=0 "
	  "FRAG:1448 INCOMPLETE ID:0000abcd "
	  "PROTO=UDP " },
	{ "ipv6_frag_last_tcp",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V6(.frame_len = 214, .l4proto = 6, .ip_len = 200, .ttl = 64, .frag_off = 2904,
	     .frag_id = 0xabcd, .sport = 1, .dport = 2, .flags = XB_EV_L4 | XB_EV_FRAG),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=200 TC=0 HOPLIMIT=64 FLOWLBL=0 "
	  "FRAG:2904 ID:0000abcd "
	  "PROTO=TCP " },
	/* The L4 offset is 48 behind a fragment header: 60 - 48 bytes of TCP. */
	{ "ipv6_frag_tcp_truncated",
	  "Denied TCP: ",
	  "eth0",
	  {},
	  V6(.frame_len = 74, .l4proto = 6, .ip_len = 60, .ttl = 64, .frag_off = 0x0001,
	     .frag_id = 1, .flags = XB_EV_L4_CUT | XB_EV_FRAG),
	  "Denied TCP: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=60 TC=0 HOPLIMIT=64 FLOWLBL=0 FRAG:0 "
	  "INCOMPLETE ID:00000001 "
	  "PROTO=TCP INCOMPLETE [12 bytes] " },
	/* ESP ends the kernel's extension-header walk without a word (no --log-ip-options). */
	{ "ipv6_esp",
	  "Denied: ",
	  "eth0",
	  {},
	  V6(.frame_len = 214, .l4proto = 50, .ip_len = 200, .ttl = 64),
	  "Denied: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=200 TC=0 HOPLIMIT=64 FLOWLBL=0 " },
	/* No next header (59) is not walked: the default case prints its number. */
	{ "ipv6_no_next_header",
	  "Denied: ",
	  "eth0",
	  {},
	  V6(.frame_len = 54, .l4proto = 59, .ip_len = 40, .ttl = 64),
	  "Denied: IN=eth0 OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:86:dd "
	  "SRC=2001:0db8:0000:0000:0000:0000:0000:0007 "
	  "DST=2001:0db8:0001:0000:0000:0000:0000:000a LEN=40 TC=0 HOPLIMIT=64 FLOWLBL=0 "
	  "PROTO=59 " },
};

static struct xb_event case_event(const struct logfmt_case *c)
{
	struct xb_event ev = c->ev;

	memcpy(&ev.icmp_rest, c->icmp_rest, sizeof(ev.icmp_rest));
	return ev;
}

static void check_line(const struct logfmt_case *c)
{
	struct xb_event ev = case_event(c);
	char buf[512];
	int n;

	n = xb_log_format(&ev, c->prefix, c->ifname, buf, sizeof(buf));
	ASSERT_STREQ(buf, c->line, c->name);
	ASSERT_EQ(n, (int)strlen(c->line), c->name);
}

/*
 * Every size from 0 to the full length + 1, into a heap buffer with a guard zone behind
 * it: nothing past size, always NUL-terminated, the same return value throughout.
 */
static void check_truncation(const struct logfmt_case *c)
{
	struct xb_event ev = case_event(c);
	size_t len = strlen(c->line), guard = 16;
	char *buf = calloc(1, len + 1 + guard);

	if (!ASSERT_OK_PTR(buf, "calloc"))
		return;
	for (size_t size = 0; size <= len + 1; size++) {
		size_t shown = size ? (size - 1 < len ? size - 1 : len) : 0;
		bool ok = true;

		memset(buf, 0x5a, len + 1 + guard);
		ok &= ASSERT_EQ(xb_log_format(&ev, c->prefix, c->ifname, buf, size), (int)len,
				c->name);
		for (size_t i = size; i < len + 1 + guard; i++)
			ok &= buf[i] == 0x5a;
		ok &= ASSERT_TRUE(ok, "nothing written past size");
		if (size) {
			ok &= ASSERT_EQ(strlen(buf), shown, "NUL at min(size - 1, len)");
			ok &= ASSERT_TRUE(!memcmp(buf, c->line, shown), "a prefix of the line");
		}
		if (!ok)
			break;
	}
	free(buf);
	ASSERT_EQ(xb_log_format(&ev, c->prefix, c->ifname, NULL, 0), (int)len, "NULL, 0");
}

static void run_cases(const struct logfmt_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (test__start_subtest(cases[i].name))
			check_line(&cases[i]);
	}
}

static void test_truncation(void)
{
	for (size_t i = 0; i < sizeof(v4_cases) / sizeof(v4_cases[0]); i++)
		check_truncation(&v4_cases[i]);
	for (size_t i = 0; i < sizeof(v6_cases) / sizeof(v6_cases[0]); i++)
		check_truncation(&v6_cases[i]);
}

/* Values no real frame has must still make a bounded line: the widest of every field. */
static void test_extremes(void)
{
	struct xb_event ev;
	char buf[1024];
	int n;

	memset(&ev, 0xff, sizeof(ev));
	ev.family = 6;
	ev.flags = XB_EV_L4 | XB_EV_FRAG;
	ev.frag_off = 0x0001;
	ev.l4proto = 6;
	n = xb_log_format(&ev, "", "eth0", buf, sizeof(buf));
	ASSERT_EQ(n, (int)strlen(buf), "v6 all ones: fits");
	ASSERT_HAS_SUBSTR(buf, "FLOWLBL=1048575 ", "flow label masked to 20 bits");
	ASSERT_HAS_SUBSTR(buf, "RES=0x38 AE CWR ECE URG ACK PSH RST SYN FIN URGP=65535 ",
			  "tcp_res masked to 4 bits");
	ev.family = 4;
	ev.frag_off = 0xffff;
	ev.l4proto = 1;
	ev.icmp_type = 255;
	n = xb_log_format(&ev, "", "eth0", buf, sizeof(buf));
	ASSERT_EQ(n, (int)strlen(buf), "v4 all ones: fits");
	ASSERT_HAS_SUBSTR(buf, "CE DF MF FRAG:8191 PROTO=ICMP ", "v4 flags");
	ASSERT_EQ(xb_log_format(NULL, "", "eth0", buf, sizeof(buf)), -EINVAL, "no event");
	ASSERT_STREQ(buf, "", "no event: empty string");
}

void test_logfmt(void)
{
	run_cases(v4_cases, sizeof(v4_cases) / sizeof(v4_cases[0]));
	run_cases(v6_cases, sizeof(v6_cases) / sizeof(v6_cases[0]));
	if (test__start_subtest("truncation"))
		test_truncation();
	if (test__start_subtest("extremes"))
		test_extremes();
}
