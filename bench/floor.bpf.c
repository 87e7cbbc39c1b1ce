// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmarks' reference programs, next to which xdpban is measured:
 *
 *   xb_noop   returns XDP_PASS: the floor of BPF_PROG_TEST_RUN itself;
 *   xb_parse  parses what xdpban parses (Ethernet, two VLAN tags, IPv4 with its IHL or
 *             IPv6 with the ::ffff:0:0/96 check) and returns: the floor of any filter;
 *   xb_drop   drops everything: the floor of the veth benchmark's receivers;
 *   xb_hash   the straightforward XDP filter the issue compares with: Ethernet + IPv4, one
 *             lookup of the source in a hash map (preallocated, u32 -> u32), drop on a hit;
 *   xb_txgen  the veth benchmark's sender, run by BPF_F_TEST_XDP_LIVE_FRAMES: writes the
 *             next source address (and its precomputed IPv4 checksum) into the frame and
 *             sends it back out with XDP_TX.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define VLAN_DEPTH 2

char LICENSE[] SEC("license") = "GPL";

/* Never equal to a real source: keeps the parse from being optimised away. */
const volatile __u32 parse_sink = 0xffffffff;

/* xb_txgen: how many addresses txgen_addrs holds, and where the next frame starts. */
const volatile __u32 txgen_n = 1;
__u32 txgen_idx = 0;

struct txgen_addr {
	__be32 saddr;
	__u16 check; /* the IPv4 header checksum with this source */
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized by user space before load */
	__type(key, __u32);
	__type(value, struct txgen_addr);
} txgen_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* resized by user space before load */
	__type(key, __be32);
	__type(value, __u32);
} ref_bans SEC(".maps");

struct cursor {
	void *pos;
	void *end;
};

static __always_inline int parse_eth(struct cursor *c, __be16 *proto)
{
	struct ethhdr *eth = c->pos;
	__be16 p;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	p = eth->h_proto;
#pragma unroll
	for (int i = 0; i < VLAN_DEPTH; i++) {
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

/* The source address folded to 32 bits, or -1 when the frame is not sound IP. */
static __always_inline int parse_src(struct cursor *c, __be16 proto, __u32 *src)
{
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = c->pos;

		if ((void *)(iph + 1) > c->end || iph->version != 4 || iph->ihl < 5)
			return -1;
		if (c->pos + iph->ihl * 4 > c->end)
			return -1;
		*src = iph->saddr;
		return 0;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = c->pos;
		__u32 *a;

		if ((void *)(ip6 + 1) > c->end || ip6->version != 6)
			return -1;
		a = ip6->saddr.in6_u.u6_addr32;
		if (a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0x0000ffff))
			*src = a[3];
		else
			*src = a[0] ^ a[1] ^ a[2] ^ a[3];
		return 0;
	}
	return -1;
}

SEC("xdp")
int xb_noop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("xdp")
int xb_parse(struct xdp_md *ctx)
{
	struct cursor c = { .pos = (void *)(long)ctx->data, .end = (void *)(long)ctx->data_end };
	__be16 proto;
	__u32 src = 0;

	if (parse_eth(&c, &proto) || parse_src(&c, proto, &src))
		return XDP_PASS;
	return src == parse_sink ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xb_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

SEC("xdp")
int xb_hash(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	return bpf_map_lookup_elem(&ref_bans, &iph->saddr) ? XDP_DROP : XDP_PASS;
}

/* Ethernet + IPv4 at fixed offsets: the sender builds the template itself. */
SEC("xdp")
int xb_txgen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct txgen_addr *a;
	__u32 i = txgen_idx;

	if ((void *)(iph + 1) > end)
		return XDP_ABORTED;
	a = bpf_map_lookup_elem(&txgen_addrs, &i);
	if (!a)
		return XDP_ABORTED;
	iph->saddr = a->saddr;
	iph->check = a->check;
	txgen_idx = i + 1 < txgen_n ? i + 1 : 0;
	return XDP_TX;
}
