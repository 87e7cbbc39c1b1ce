// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for the program of layout 1, the first release, for the migration tests:
 * the same maps, pinned under the same names with that layout's definitions (an IPv4 LPM
 * key of 4 data bytes, a 16-byte xb_meta), and enough of its logic to drop an IPv4 source
 * banned exactly or by prefix (allow list first) and count it. A migration must carry
 * everything from these maps into the current ones without a dropped frame getting through.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpban_maps.h"

#define ETH_P_IP 0x0800

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 xb_if_slot = 0;

/* Layout 1's definitions of the two structs layout 2 changed. */
struct xb_lpm_v4_key_l1 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct xb_meta_l1 {
	__u32 layout_version;
	__u32 pad;
	__u64 created_at;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xb_meta_l1);
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
	__type(key, struct xb_lpm_v4_key_l1);
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
	__type(key, struct xb_lpm_v4_key_l1);
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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, __XB_CLASS_MAX);
	__type(key, __u32);
	__type(value, struct xb_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XB_EVENTS_SIZE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_events SEC(".maps");

static __always_inline int drop(struct xb_ban *ban, struct xb_counters *cnt, __u64 len)
{
	__sync_fetch_and_add(&ban->packets, 1);
	__sync_fetch_and_add(&ban->bytes, len);
	if (cnt) {
		cnt->dropped_v4.packets++;
		cnt->dropped_v4.bytes += len;
	}
	return XDP_DROP;
}

SEC("xdp")
int xb_layout1(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct xb_lpm_v4_key_l1 key = { .prefixlen = 32 };
	__u32 slot = xb_if_slot, saddr;
	struct xb_counters *cnt;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u64 len = end - data;
	struct xb_ban *ban;

	cnt = bpf_map_lookup_elem(&xb_counters, &slot);
	if (cnt) {
		cnt->rx.packets++;
		cnt->rx.bytes += len;
	}
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	saddr = ip->saddr;
	__builtin_memcpy(key.addr, &saddr, 4);
	if (bpf_map_lookup_elem(&xb_allow_v4, &key))
		return XDP_PASS;
	ban = bpf_map_lookup_elem(&xb_ban_v4, &saddr);
	if (ban)
		return drop(ban, cnt, len);
	ban = bpf_map_lookup_elem(&xb_pfx_v4, &key);
	if (ban)
		return drop(ban, cnt, len);
	if (cnt) {
		cnt->passed_v4.packets++;
		cnt->passed_v4.bytes += len;
	}
	return XDP_PASS;
}
