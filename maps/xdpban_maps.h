/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel/user contract of xdpban: every map name, key, value and limit that both
 * bpf/xdpban.bpf.c and user space see. Nothing else defines them.
 *
 * Only __u8..__u64 types, explicit padding, no includes: the BPF side gets the types from
 * vmlinux.h, user space from <linux/types.h>, included before this header.
 */
#ifndef XDPBAN_MAPS_H
#define XDPBAN_MAPS_H

/*
 * Bumped whenever a struct below or a map definition changes, so a new build never reads
 * maps pinned by an older one as if they had its layout. A load over older maps migrates
 * them (user/lib/xb_migrate.c); every change below needs its conversion there.
 *   1  first release. Its first builds had a 4-byte-data xb_lpm_v4_key, later ones the
 *      padded one: told apart by the pinned map's key size, not by this number.
 *   2  xb_meta records migrations, counts ban changes and adds refused by a full map;
 *      xb_holds lets the program skip empty tries.
 */
#define XB_LAYOUT_VERSION 2

#define XB_PIN_DIR_DEFAULT "/sys/fs/bpf/xdpban"
#define XB_PIN_DIR_ENV "XDPBAN_PIN_DIR"
/* Links live in a subdirectory of the pin dir, one pinned bpf_link per interface name. */
#define XB_LINK_SUBDIR "links"

/* Map names, as the kernel and bpffs show them (at most 15 characters). */
#define XB_MAP_META "xb_meta"
#define XB_MAP_IFACES "xb_ifaces"
#define XB_MAP_COUNTERS "xb_counters"
#define XB_MAP_BAN_V4 "xb_ban_v4"
#define XB_MAP_BAN_V6 "xb_ban_v6"
#define XB_MAP_PFX_V4 "xb_pfx_v4"
#define XB_MAP_PFX_V6 "xb_pfx_v6"
#define XB_MAP_ALLOW_V4 "xb_allow_v4"
#define XB_MAP_ALLOW_V6 "xb_allow_v6"
#define XB_MAP_BUCKETS "xb_buckets"
#define XB_MAP_EVENTS "xb_events"
#define XB_MAP_HOLDS "xb_holds"

/* Default capacities; `banctl load --max-*` sets others before the maps are created. */
#define XB_DEF_BAN_V4_MAX (1U << 20)
#define XB_DEF_BAN_V6_MAX (1U << 20)
#define XB_DEF_PFX_V4_MAX (1U << 18)
#define XB_DEF_PFX_V6_MAX (1U << 18)
#define XB_DEF_ALLOW_MAX (1U << 16)

/* One counter slot per attached interface; the program learns its slot from rodata. */
#define XB_MAX_IFACES 64

/*
 * An expired longest match may hide a shorter live prefix: the program retries the LPM
 * lookup one bit shorter at most this many times before it gives up and passes.
 */
#define XB_LPM_RETRIES 8

/* Drop-log ring buffer size (bytes, a power of two of pages). */
#define XB_EVENTS_SIZE (256 * 1024)

/* The drop log's default rate, as iptables' -m limit --limit 5/min --limit-burst 5. */
#define XB_LOG_DEFAULT_INTERVAL_NS (60ULL * 1000000000ULL / 5)
#define XB_LOG_DEFAULT_BURST 5

#define XB_REASON_LEN 24
#define XB_IFNAME_LEN 16

/* Who created a ban; user space shows it, the kernel only stores it. */
enum xb_origin {
	XB_ORIGIN_MANUAL = 0,
	XB_ORIGIN_SPAMD,
	XB_ORIGIN_FAIL2BAN,
	XB_ORIGIN_REGEX,
	XB_ORIGIN_RESTORE,
	XB_ORIGIN_FLEET,
	__XB_ORIGIN_MAX,
};

enum xb_xdp_mode {
	XB_MODE_NONE = 0,
	XB_MODE_NATIVE,
	XB_MODE_GENERIC,
	__XB_MODE_MAX,
};

/* One token bucket per class, like the seed's one LOG rule per protocol. */
enum xb_log_class {
	XB_CLASS_TCP = 0,
	XB_CLASS_UDP,
	XB_CLASS_ICMP, /* ICMP and ICMPv6 */
	XB_CLASS_OTHER,
	__XB_CLASS_MAX,
};

/*
 * Keys of xb_holds (BPF_MAP_TYPE_ARRAY of __u32): non-zero while that trie may hold
 * entries. User space sets it before an insert into the trie; only xdpband's expiry sweep
 * clears it, after finding the trie empty, under the pin-dir lock that every other writer
 * takes (and xdpband's own writes come from the same thread: one xdpband per pin dir). A
 * zero lets the program skip the trie: a frame from an address nobody banned then costs
 * one hash lookup, not three.
 */
enum xb_trie {
	XB_TRIE_ALLOW_V4 = 0,
	XB_TRIE_ALLOW_V6,
	XB_TRIE_PFX_V4,
	XB_TRIE_PFX_V6,
	__XB_TRIE_MAX,
};

/* Keys of xb_pfx_v4 / xb_pfx_v6 and xb_allow_v4 / xb_allow_v6 (BPF_MAP_TYPE_LPM_TRIE). */
struct xb_lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
	/*
	 * Never matched (prefixlen <= 32), always zero: the trie stores the value right after
	 * the key's data, and 4 bytes of data would leave the value's __u64 hit counters
	 * misaligned, their atomic adds split across cache lines (a bus lock, ~1.4 us a drop).
	 */
	__u8 pad[4];
};

struct xb_lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Key of xb_ban_v6 (exact /128 bans); xb_ban_v4 is keyed by the raw __u32 address. */
struct xb_v6_addr {
	__u8 addr[16];
};

/*
 * Value of every ban map. Times are CLOCK_BOOTTIME nanoseconds, what bpf_ktime_get_boot_ns()
 * returns, so expiry keeps counting through suspend. 64 bytes: one cache line per ban.
 */
struct xb_ban {
	__u64 expires_ns; /* 0 = permanent */
	__u64 added_ns;
	__u64 packets; /* dropped because of this ban */
	__u64 bytes;
	__u8 prefixlen; /* of the ban itself, so a hit tells which prefix matched */
	__u8 origin; /* enum xb_origin */
	__u8 pad[6];
	char reason[XB_REASON_LEN];
};

/* Value of the allow maps. */
struct xb_allow {
	__u64 added_ns;
	__u64 packets;
	__u64 bytes;
	__u8 prefixlen;
	__u8 pad[7];
};

struct xb_pkt_bytes {
	__u64 packets;
	__u64 bytes;
};

/*
 * Per-CPU, one slot per interface (xb_counters, BPF_MAP_TYPE_PERCPU_ARRAY). Every packet
 * lands in exactly one of passed / allowed / dropped; the other fields explain why.
 */
struct xb_counters {
	struct xb_pkt_bytes rx;
	struct xb_pkt_bytes passed_v4;
	struct xb_pkt_bytes passed_v6;
	struct xb_pkt_bytes passed_other; /* not IP, or malformed */
	struct xb_pkt_bytes allowed_v4;
	struct xb_pkt_bytes allowed_v6;
	struct xb_pkt_bytes dropped_v4;
	struct xb_pkt_bytes dropped_v6;
	__u64 dropped_exact; /* of the drops, how many by an exact /32 or /128 ban */
	__u64 dropped_prefix;
	__u64 malformed; /* too short for a header it claims, or bad IP version/IHL */
	__u64 expired_hits; /* a ban matched but had expired, so it did not drop */
	__u64 log_events; /* drops described in the ring buffer */
	__u64 log_suppressed; /* drops the rate limit kept out of it */
	__u64 log_lost; /* drops granted a token but the ring buffer was full */
};

/*
 * Value of xb_buckets, one per enum xb_log_class: the iptables `limit` match in
 * nanoseconds. Credit refills at one ns per ns up to cap; an event costs `cost`. Starts
 * full, so the first `burst` drops are logged at once. cost 0 disables the class's log.
 */
struct xb_bucket {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 credit;
	__u64 prev_ns; /* CLOCK_MONOTONIC_COARSE of the last refill */
	__u64 cost; /* ns per event: 12e9 for 5/min */
	__u64 cap; /* cost * burst */
};

/* Which parts of a struct xb_event were read from the frame. */
#define XB_EV_L4 (1U << 0) /* ports, ICMP type/code or TCP fields are valid */
#define XB_EV_L4_CUT (1U << 1) /* the L4 header was cut short: LOG's INCOMPLETE */
#define XB_EV_FRAG (1U << 2) /* IPv6: a fragment header was seen (frag_off, frag_id) */

/*
 * One dropped frame, as xdpband turns it into an iptables LOG line. Multi-byte fields are
 * in host order unless named *_be; addresses in network order.
 */
struct xb_event {
	__u64 ts_ns; /* CLOCK_BOOTTIME */
	__u32 ifindex;
	__u32 frame_len;
	__u8 mac[14]; /* the frame's first 14 bytes, as LOG's MAC= shows them */
	__u8 family; /* of the IP header: 4 or 6 */
	__u8 l4proto; /* IPPROTO_*, after any IPv6 extension headers */
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 ip_len; /* IPv4 total length; IPv6 payload length + 40 */
	__u8 tos; /* IPv4 TOS byte; IPv6 traffic class */
	__u8 ttl; /* TTL or hop limit */
	__u16 ip_id; /* IPv4 */
	__u16 frag_off; /* IPv4 flags+offset word; IPv6 fragment offset word (offset<<3 | M) */
	__u32 flowlabel; /* IPv6 */
	__u32 frag_id; /* IPv6 fragment identification */
	__u16 sport; /* TCP/UDP */
	__u16 dport;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 tcp_flags; /* FIN 0x01 .. CWR 0x80 */
	__u8 tcp_res; /* the 4 reserved bits, as LOG's RES= */
	__u16 tcp_window;
	__u16 tcp_urgp;
	__u16 udp_len;
	__u8 flags; /* XB_EV_* */
	__u8 class; /* enum xb_log_class */
	__u32 icmp_rest; /* ICMP bytes 4..7 (echo id+seq, gateway, mtu, pointer), network order */
	__u8 vlan_depth;
	__u8 ban_family;
	__u8 ban_prefixlen;
	__u8 pad;
	__u16 vlan_id[2]; /* outer first */
	__u8 ban_addr[16];
	__u16 l3_len; /* IP header with options or extension headers; 0 = not known */
	__u8 pad2[6];
};

/* Value of xb_ifaces, indexed by counter slot; written by user space only. */
struct xb_iface {
	__u32 ifindex; /* 0 = slot free */
	__u32 mode; /* enum xb_xdp_mode */
	__u32 prog_id;
	__u32 link_id;
	__u64 attached_at; /* CLOCK_REALTIME seconds */
	char name[XB_IFNAME_LEN];
};

/* The maps an add can find full, as counted in xb_meta.full_refusals. */
enum xb_table {
	XB_TABLE_BAN_V4 = 0,
	XB_TABLE_BAN_V6,
	XB_TABLE_PFX_V4,
	XB_TABLE_PFX_V6,
	XB_TABLE_ALLOW_V4,
	XB_TABLE_ALLOW_V6,
	__XB_TABLE_MAX,
};

/*
 * The one entry of xb_meta: which layout the pinned maps have, and what happened to them.
 * Written by user space only, under the pin-dir lock.
 */
struct xb_meta {
	__u32 layout_version;
	__u32 migrated_from; /* layout of the maps the last migration read; 0 = none */
	__u64 created_at; /* CLOCK_REALTIME seconds, kept across migrations */
	__u64 migrated_at; /* CLOCK_REALTIME seconds of the last migration or resize */
	__u64 ban_changes; /* bumped by every add and delete of bans: xdpband sweeps on it */
	__u64 full_refusals[__XB_TABLE_MAX]; /* adds refused because the map was full */
};

#endif /* XDPBAN_MAPS_H */
