// SPDX-License-Identifier: GPL-2.0
/*
 * xdpban: drop every frame whose IPv4/IPv6 source lies in a banned prefix, at the earliest
 * point the kernel offers. The allow list always wins. Bans carry their own expiry, checked
 * here, so an expired ban stops dropping even if nothing in user space cleans it up.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpban_maps.h"

/* BTF carries no macros. */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define XB_VLAN_DEPTH 2

char LICENSE[] SEC("license") = "GPL";

/*
 * Set by user space between open and load: one program instance per interface, each
 * counting into its own slot, so per-interface counters cost no lookup per packet.
 */
const volatile __u32 xb_if_slot = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xb_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XB_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct xb_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XB_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct xb_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XB_DEF_BAN_V4_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct xb_ban);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_ban_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XB_DEF_BAN_V6_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xb_v6_addr);
	__type(value, struct xb_ban);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_ban_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XB_DEF_PFX_V4_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xb_lpm_v4_key);
	__type(value, struct xb_ban);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_pfx_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XB_DEF_PFX_V6_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xb_lpm_v6_key);
	__type(value, struct xb_ban);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_pfx_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XB_DEF_ALLOW_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xb_lpm_v4_key);
	__type(value, struct xb_allow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_allow_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XB_DEF_ALLOW_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xb_lpm_v6_key);
	__type(value, struct xb_allow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_allow_v6 SEC(".maps");

struct hdr_cursor {
	void *pos;
	void *end;
};

/* What the parse found: the family decides the maps, the address is the source. */
struct pkt_src {
	__u32 family; /* 4 or 6; 0 = not IP */
	__u8 addr[16]; /* v4 in the first 4 bytes */
	bool mapped; /* v6 frame whose source is ::ffff:a.b.c.d, judged as v4 */
};

/* Ethernet plus up to two 802.1Q/802.1ad tags, in any order. Returns -1 when truncated. */
static __always_inline int parse_eth(struct hdr_cursor *c, __be16 *proto)
{
	struct ethhdr *eth = c->pos;
	__be16 p;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	p = eth->h_proto;

#pragma unroll
	for (int i = 0; i < XB_VLAN_DEPTH; i++) {
		struct vlan_hdr *vh = c->pos;

		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > c->end)
			return -1;
		p = vh->h_vlan_encapsulated_proto;
		c->pos = vh + 1;
	}
	*proto = p;
	return 0;
}

/* Every fragment carries the source, so fragments are judged like any datagram. */
static __always_inline int parse_ipv4(struct hdr_cursor *c, struct pkt_src *src)
{
	struct iphdr *iph = c->pos;
	__u32 hdrlen;

	if ((void *)(iph + 1) > c->end)
		return -1;
	if (iph->version != 4 || iph->ihl < 5)
		return -1;
	hdrlen = iph->ihl * 4;
	if (c->pos + hdrlen > c->end)
		return -1;
	c->pos += hdrlen;
	src->family = 4;
	__builtin_memcpy(src->addr, &iph->saddr, 4);
	return 0;
}

static __always_inline bool ipv6_is_v4_mapped(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[0] == 0 && a->in6_u.u6_addr32[1] == 0 &&
	       a->in6_u.u6_addr32[2] == bpf_htonl(0x0000ffff);
}

/*
 * The source sits in the fixed header, so extension headers need no walk to decide; a frame
 * from ::ffff:a.b.c.d is judged by the IPv4 lists, where banctl files such addresses.
 */
static __always_inline int parse_ipv6(struct hdr_cursor *c, struct pkt_src *src)
{
	struct ipv6hdr *ip6 = c->pos;

	if ((void *)(ip6 + 1) > c->end)
		return -1;
	if (ip6->version != 6)
		return -1;
	c->pos = ip6 + 1;
	if (ipv6_is_v4_mapped(&ip6->saddr)) {
		src->family = 4;
		src->mapped = true;
		__builtin_memcpy(src->addr, &ip6->saddr.in6_u.u6_addr8[12], 4);
	} else {
		src->family = 6;
		__builtin_memcpy(src->addr, &ip6->saddr, 16);
	}
	return 0;
}

static __always_inline bool ban_live(const struct xb_ban *ban, __u64 *now)
{
	if (!ban->expires_ns)
		return true;
	if (!*now)
		*now = bpf_ktime_get_boot_ns();
	return *now < ban->expires_ns;
}

/*
 * Longest live prefix covering the key. An expired longest match must not hide a shorter
 * live ban, so retry one bit shorter than the expired entry, a bounded number of times.
 */
static __always_inline struct xb_ban *lookup_prefix(void *map, void *key, __u32 *prefixlen,
						    __u64 *now, struct xb_counters *cnt)
{
	for (int i = 0; i < XB_LPM_RETRIES; i++) {
		struct xb_ban *ban = bpf_map_lookup_elem(map, key);

		if (!ban)
			return NULL;
		if (ban_live(ban, now))
			return ban;
		cnt->expired_hits++;
		if (ban->prefixlen == 0)
			return NULL;
		*prefixlen = ban->prefixlen - 1;
	}
	return NULL;
}

static __always_inline struct xb_ban *lookup_exact(void *map, void *key, __u64 *now,
						   struct xb_counters *cnt)
{
	struct xb_ban *ban = bpf_map_lookup_elem(map, key);

	if (!ban)
		return NULL;
	if (ban_live(ban, now))
		return ban;
	cnt->expired_hits++;
	return NULL;
}

static __always_inline void count(struct xb_pkt_bytes *pb, __u64 len)
{
	pb->packets++;
	pb->bytes += len;
}

static __always_inline void count_allow(struct xb_allow *allow, __u64 len)
{
	__sync_fetch_and_add(&allow->packets, 1);
	__sync_fetch_and_add(&allow->bytes, len);
}

static __always_inline void count_ban(struct xb_ban *ban, __u64 len, struct xb_counters *cnt)
{
	__sync_fetch_and_add(&ban->packets, 1);
	__sync_fetch_and_add(&ban->bytes, len);
	if (ban->prefixlen == 32 || ban->prefixlen == 128)
		cnt->dropped_exact++;
	else
		cnt->dropped_prefix++;
}

enum verdict { V_PASS, V_ALLOW, V_DROP };

static __always_inline enum verdict judge_v4(const struct pkt_src *src, __u64 len,
					     struct xb_counters *cnt)
{
	struct xb_lpm_v4_key key = { .prefixlen = 32 };
	struct xb_allow *allow;
	struct xb_ban *ban;
	__u64 now = 0;
	__u32 addr;

	__builtin_memcpy(key.addr, src->addr, 4);
	__builtin_memcpy(&addr, src->addr, 4);

	allow = bpf_map_lookup_elem(&xb_allow_v4, &key);
	if (allow) {
		count_allow(allow, len);
		return V_ALLOW;
	}
	ban = lookup_exact(&xb_ban_v4, &addr, &now, cnt);
	if (!ban)
		ban = lookup_prefix(&xb_pfx_v4, &key, &key.prefixlen, &now, cnt);
	if (!ban)
		return V_PASS;
	count_ban(ban, len, cnt);
	return V_DROP;
}

static __always_inline enum verdict judge_v6(const struct pkt_src *src, __u64 len,
					     struct xb_counters *cnt)
{
	struct xb_lpm_v6_key key = { .prefixlen = 128 };
	struct xb_allow *allow;
	struct xb_v6_addr addr;
	struct xb_ban *ban;
	__u64 now = 0;

	__builtin_memcpy(key.addr, src->addr, 16);
	__builtin_memcpy(addr.addr, src->addr, 16);

	allow = bpf_map_lookup_elem(&xb_allow_v6, &key);
	if (allow) {
		count_allow(allow, len);
		return V_ALLOW;
	}
	ban = lookup_exact(&xb_ban_v6, &addr, &now, cnt);
	if (!ban)
		ban = lookup_prefix(&xb_pfx_v6, &key, &key.prefixlen, &now, cnt);
	if (!ban)
		return V_PASS;
	count_ban(ban, len, cnt);
	return V_DROP;
}

SEC("xdp")
int xdpban(struct xdp_md *ctx)
{
	struct hdr_cursor c = { .pos = (void *)(long)ctx->data,
				.end = (void *)(long)ctx->data_end };
	__u64 len = c.end - c.pos;
	struct pkt_src src = {};
	struct xb_counters *cnt;
	__u32 slot = xb_if_slot;
	enum verdict v;
	__be16 proto;
	int err;

	cnt = bpf_map_lookup_elem(&xb_counters, &slot);
	if (!cnt)
		return XDP_PASS;
	count(&cnt->rx, len);

	err = parse_eth(&c, &proto);
	if (!err && proto == bpf_htons(ETH_P_IP))
		err = parse_ipv4(&c, &src);
	else if (!err && proto == bpf_htons(ETH_P_IPV6))
		err = parse_ipv6(&c, &src);
	if (err) {
		/* The stack drops these too; passing keeps XDP from deciding on a guess. */
		cnt->malformed++;
		count(&cnt->passed_other, len);
		return XDP_PASS;
	}
	if (!src.family) {
		count(&cnt->passed_other, len);
		return XDP_PASS;
	}

	/* Counted by the frame's own family, judged by the source's (mapped v4 in v6). */
	v = src.family == 4 ? judge_v4(&src, len, cnt) : judge_v6(&src, len, cnt);
	if (v == V_DROP) {
		count(proto == bpf_htons(ETH_P_IP) ? &cnt->dropped_v4 : &cnt->dropped_v6, len);
		return XDP_DROP;
	}
	if (v == V_ALLOW)
		count(proto == bpf_htons(ETH_P_IP) ? &cnt->allowed_v4 : &cnt->allowed_v6, len);
	else
		count(proto == bpf_htons(ETH_P_IP) ? &cnt->passed_v4 : &cnt->passed_v6, len);
	return XDP_PASS;
}
