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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, __XB_TRIE_MAX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xb_holds SEC(".maps");

struct hdr_cursor {
	void *pos;
	void *end;
};

/* What the parse found: the family decides the maps, the address is the source. */
struct pkt_src {
	__u32 family; /* 4 or 6; 0 = not IP */
	__u8 addr[16]; /* v4 in the first 4 bytes */
	bool mapped; /* v6 frame whose source is ::ffff:a.b.c.d, judged as v4 */
	__u8 vlan_depth;
	__u16 vlan_id[XB_VLAN_DEPTH];
	void *l3; /* the IP header */
	void *l4; /* just past the IPv4 header with options, or the IPv6 fixed header */
};

/* Ethernet plus up to two 802.1Q/802.1ad tags, in any order. Returns -1 when truncated. */
static __always_inline int parse_eth(struct hdr_cursor *c, __be16 *proto, struct pkt_src *src)
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
		src->vlan_id[i] = bpf_ntohs(vh->h_vlan_TCI) & 0x0fff;
		src->vlan_depth = i + 1;
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
	src->l3 = iph;
	c->pos += hdrlen;
	src->l4 = c->pos;
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
	src->l3 = ip6;
	src->l4 = c->pos;
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
	/* One lookup, then at most XB_LPM_RETRIES retries, as the contract says. */
	for (int i = 0; i <= XB_LPM_RETRIES; i++) {
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

/* Exact or prefix is which map matched: an IPv6 /32 is a prefix, not a host. */
static __always_inline void count_ban(struct xb_ban *ban, __u64 len, bool exact,
				      struct xb_counters *cnt)
{
	__sync_fetch_and_add(&ban->packets, 1);
	__sync_fetch_and_add(&ban->bytes, len);
	if (exact)
		cnt->dropped_exact++;
	else
		cnt->dropped_prefix++;
}

enum verdict { V_PASS, V_ALLOW, V_DROP };

/* Whether the trie may hold entries (see enum xb_trie); an array lookup, inlined. */
static __always_inline bool holds(__u32 trie)
{
	__u32 *v = bpf_map_lookup_elem(&xb_holds, &trie);

	return !v || *v;
}

static __always_inline enum verdict judge_v4(const struct pkt_src *src, __u64 len,
					     struct xb_counters *cnt, struct xb_ban **hit)
{
	struct xb_lpm_v4_key key = { .prefixlen = 32 };
	struct xb_allow *allow;
	struct xb_ban *ban;
	__u64 now = 0;
	bool exact;
	__u32 addr;

	__builtin_memcpy(key.addr, src->addr, 4);
	__builtin_memcpy(&addr, src->addr, 4);

	allow = holds(XB_TRIE_ALLOW_V4) ? bpf_map_lookup_elem(&xb_allow_v4, &key) : NULL;
	if (allow) {
		count_allow(allow, len);
		return V_ALLOW;
	}
	ban = lookup_exact(&xb_ban_v4, &addr, &now, cnt);
	exact = ban;
	if (!ban && holds(XB_TRIE_PFX_V4))
		ban = lookup_prefix(&xb_pfx_v4, &key, &key.prefixlen, &now, cnt);
	if (!ban)
		return V_PASS;
	count_ban(ban, len, exact, cnt);
	*hit = ban;
	return V_DROP;
}

static __always_inline enum verdict judge_v6(const struct pkt_src *src, __u64 len,
					     struct xb_counters *cnt, struct xb_ban **hit)
{
	struct xb_lpm_v6_key key = { .prefixlen = 128 };
	struct xb_allow *allow;
	struct xb_v6_addr addr;
	struct xb_ban *ban;
	__u64 now = 0;
	bool exact;

	__builtin_memcpy(key.addr, src->addr, 16);
	__builtin_memcpy(addr.addr, src->addr, 16);

	allow = holds(XB_TRIE_ALLOW_V6) ? bpf_map_lookup_elem(&xb_allow_v6, &key) : NULL;
	if (allow) {
		count_allow(allow, len);
		return V_ALLOW;
	}
	ban = lookup_exact(&xb_ban_v6, &addr, &now, cnt);
	exact = ban;
	if (!ban && holds(XB_TRIE_PFX_V6))
		ban = lookup_prefix(&xb_pfx_v6, &key, &key.prefixlen, &now, cnt);
	if (!ban)
		return V_PASS;
	count_ban(ban, len, exact, cnt);
	*hit = ban;
	return V_DROP;
}

/* ---- the drop log: token bucket, then ring buffer ---- */

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_ 51
#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_DSTOPTS_ 60
#define XB_IPV6_EXT_MAX 8

enum log_result { LOG_EVENT, LOG_SUPPRESSED, LOG_LOST, LOG_OFF };

/*
 * The iptables `limit` match, in nanoseconds of the coarse clock (jiffies, as the match
 * itself counts them; no rdtsc on the drop path): credit grows with time up to cap, an event
 * costs `cost`. The lock makes refill and spend one step across CPUs.
 */
static __always_inline enum log_result bucket_grant(__u32 class, __u64 now)
{
	struct xb_bucket *b = bpf_map_lookup_elem(&xb_buckets, &class);
	enum log_result r = LOG_SUPPRESSED;
	__u64 credit;

	/* A class whose log is off (cost 0) neither logs nor counts as suppressed. */
	if (!b || !b->cost)
		return LOG_OFF;
	bpf_spin_lock(&b->lock);
	if (b->cost) {
		credit = now > b->prev_ns ? b->credit + (now - b->prev_ns) : b->credit;
		if (credit > b->cap)
			credit = b->cap;
		b->prev_ns = now;
		if (credit >= b->cost) {
			credit -= b->cost;
			r = LOG_EVENT;
		}
		b->credit = credit;
	}
	bpf_spin_unlock(&b->lock);
	return r;
}

/*
 * Skips IPv6 extension headers (bounded) to the L4 protocol. A fragment header records
 * the offset; a later fragment carries no L4 header.
 */
static __always_inline void *ipv6_skip_ext(void *pos, void *end, __u8 *nexthdr, struct xb_event *ev)
{
	for (int i = 0; i < XB_IPV6_EXT_MAX; i++) {
		__u8 *h = pos;

		if (*nexthdr != IPPROTO_HOPOPTS_ && *nexthdr != IPPROTO_ROUTING_ &&
		    *nexthdr != IPPROTO_DSTOPTS_ && *nexthdr != IPPROTO_FRAGMENT_ &&
		    *nexthdr != IPPROTO_AH_)
			return pos;
		if ((void *)(h + 8) > end)
			return NULL;
		if (*nexthdr == IPPROTO_FRAGMENT_) {
			struct frag_hdr *fh = pos;

			ev->flags |= XB_EV_FRAG;
			ev->frag_off = bpf_ntohs(fh->frag_off);
			ev->frag_id = bpf_ntohl(fh->identification);
			*nexthdr = fh->nexthdr;
			pos += 8;
			if (ev->frag_off & 0xfff8)
				return NULL;
			continue;
		}
		*nexthdr = h[0];
		pos += *nexthdr == IPPROTO_AH_ ? (h[1] + 2) * 4 : (h[1] + 1) * 8;
	}
	return NULL;
}

static __always_inline void fill_l4(struct xb_event *ev, void *l4, void *end)
{
	if (ev->l4proto == IPPROTO_TCP_) {
		struct tcphdr *th = l4;
		__u8 *raw = l4;

		if ((void *)(th + 1) > end)
			goto cut;
		ev->sport = bpf_ntohs(th->source);
		ev->dport = bpf_ntohs(th->dest);
		ev->tcp_flags = raw[13];
		ev->tcp_res = raw[12] & 0x0f;
		ev->tcp_window = bpf_ntohs(th->window);
		ev->tcp_urgp = bpf_ntohs(th->urg_ptr);
	} else if (ev->l4proto == IPPROTO_UDP_) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end)
			goto cut;
		ev->sport = bpf_ntohs(uh->source);
		ev->dport = bpf_ntohs(uh->dest);
		ev->udp_len = bpf_ntohs(uh->len);
	} else if (ev->l4proto == IPPROTO_ICMP_ || ev->l4proto == IPPROTO_ICMPV6_) {
		__u8 *ih = l4;

		if ((void *)(ih + 8) > end)
			goto cut;
		ev->icmp_type = ih[0];
		ev->icmp_code = ih[1];
		__builtin_memcpy(&ev->icmp_rest, ih + 4, 4);
	} else {
		return;
	}
	ev->flags |= XB_EV_L4;
	return;
cut:
	ev->flags |= XB_EV_L4_CUT;
}

static __always_inline __u32 class_of(__u8 l4proto)
{
	switch (l4proto) {
	case IPPROTO_TCP_:
		return XB_CLASS_TCP;
	case IPPROTO_UDP_:
		return XB_CLASS_UDP;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		return XB_CLASS_ICMP;
	default:
		return XB_CLASS_OTHER;
	}
}

/* The L3 fields, and where L4 starts (NULL: a later fragment, or no room). */
static __always_inline void *fill_l3(struct xb_event *ev, const struct pkt_src *src, __be16 proto,
				     void *end)
{
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = src->l3;

		if ((void *)(iph + 1) > end)
			return NULL;
		ev->family = 4;
		__builtin_memcpy(ev->saddr, &iph->saddr, 4);
		__builtin_memcpy(ev->daddr, &iph->daddr, 4);
		ev->ip_len = bpf_ntohs(iph->tot_len);
		ev->tos = iph->tos;
		ev->ttl = iph->ttl;
		ev->ip_id = bpf_ntohs(iph->id);
		ev->frag_off = bpf_ntohs(iph->frag_off);
		ev->l4proto = iph->protocol;
		return ev->frag_off & 0x1fff ? NULL : src->l4;
	} else {
		struct ipv6hdr *ip6 = src->l3;
		__u8 nexthdr;

		if ((void *)(ip6 + 1) > end)
			return NULL;
		ev->family = 6;
		__builtin_memcpy(ev->saddr, &ip6->saddr, 16);
		__builtin_memcpy(ev->daddr, &ip6->daddr, 16);
		ev->ip_len = bpf_ntohs(ip6->payload_len) + 40;
		ev->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
		ev->flowlabel = ((ip6->flow_lbl[0] & 0x0f) << 16) | (ip6->flow_lbl[1] << 8) |
				ip6->flow_lbl[2];
		ev->ttl = ip6->hop_limit;
		nexthdr = ip6->nexthdr;
		ev->l4proto = nexthdr;
		if (!src->l4)
			return NULL;
		{
			void *l4 = ipv6_skip_ext(src->l4, end, &nexthdr, ev);

			ev->l4proto = nexthdr;
			return l4;
		}
	}
}

/*
 * Describe a drop in the ring buffer, at most at the configured rate per class. Space is
 * reserved only after the bucket grants a token; a full ring buffer loses the description,
 * never the drop. A global function, so the verifier checks it once, apart from the hot
 * path: it parses the frame again, which costs only on drops.
 */
__noinline int xb_log_drop(struct xdp_md *ctx, __u32 ban_prefixlen)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = { .pos = data, .end = end };
	struct pkt_src src = {};
	__u64 now = bpf_ktime_get_coarse_ns();
	struct xb_event tmp = {}, *ev;
	enum log_result granted;
	__be16 proto;
	__u32 class;
	void *l4;
	int err;

	if (!ctx)
		return LOG_OFF;
	err = parse_eth(&c, &proto, &src);
	if (!err && proto == bpf_htons(ETH_P_IP))
		err = parse_ipv4(&c, &src);
	else if (!err && proto == bpf_htons(ETH_P_IPV6))
		err = parse_ipv6(&c, &src);
	else
		err = -1;
	if (err)
		return LOG_OFF;

	/* Built on the stack: the class must be known, and a token granted, before reserving. */
	l4 = fill_l3(&tmp, &src, proto, end);
	class = class_of(tmp.l4proto);
	granted = bucket_grant(class, now);
	if (granted != LOG_EVENT)
		return granted;
	ev = bpf_ringbuf_reserve(&xb_events, sizeof(*ev), 0);
	if (!ev)
		return LOG_LOST;
	tmp.class = class;
	if (l4) {
		tmp.l3_len = l4 - src.l3;
		fill_l4(&tmp, l4, end);
	}
	tmp.ts_ns = bpf_ktime_get_boot_ns();
	tmp.ifindex = ctx->ingress_ifindex;
	tmp.frame_len = end - data;
	if (data + 14 <= end)
		__builtin_memcpy(tmp.mac, data, 14);
	tmp.vlan_depth = src.vlan_depth;
	tmp.vlan_id[0] = src.vlan_id[0];
	tmp.vlan_id[1] = src.vlan_id[1];
	tmp.ban_prefixlen = ban_prefixlen;
	tmp.ban_family = src.family;
	__builtin_memcpy(tmp.ban_addr, src.addr, 16);
	__builtin_memcpy(ev, &tmp, sizeof(tmp));
	bpf_ringbuf_submit(ev, 0);
	return LOG_EVENT;
}

/* The class a dropped frame logs under, when the fixed headers tell; -1 = ask xb_log_drop. */
static __always_inline int quick_class(const struct pkt_src *src, __be16 proto)
{
	__u8 l4;

	if (proto == bpf_htons(ETH_P_IP)) {
		l4 = ((struct iphdr *)src->l3)->protocol;
	} else {
		l4 = ((struct ipv6hdr *)src->l3)->nexthdr;
		if (l4 != IPPROTO_TCP_ && l4 != IPPROTO_UDP_ && l4 != IPPROTO_ICMPV6_)
			return -1;
	}
	return class_of(l4);
}

/*
 * A flood's drops nearly all find their bucket empty. Say so from a racy read, without the
 * lock, the re-parse or the ring buffer; a stale read only sends a drop down the locked path.
 */
static __always_inline enum log_result bucket_peek(__u32 class)
{
	struct xb_bucket *b = bpf_map_lookup_elem(&xb_buckets, &class);
	__u64 now, prev, credit;

	if (!b || !b->cost)
		return LOG_OFF;
	now = bpf_ktime_get_coarse_ns();
	prev = b->prev_ns;
	credit = b->credit + (now > prev ? now - prev : 0);
	return credit >= b->cost ? LOG_EVENT : LOG_SUPPRESSED;
}

static __always_inline void log_drop(struct xdp_md *ctx, const struct pkt_src *src, __be16 proto,
				     const struct xb_ban *ban, struct xb_counters *cnt)
{
	int class = quick_class(src, proto);
	enum log_result r = class >= 0 ? bucket_peek((__u32) class) : LOG_EVENT;

	if (r == LOG_EVENT)
		r = xb_log_drop(ctx, ban->prefixlen);
	switch (r) {
	case LOG_EVENT:
		cnt->log_events++;
		break;
	case LOG_SUPPRESSED:
		cnt->log_suppressed++;
		break;
	case LOG_LOST:
		cnt->log_lost++;
		break;
	default:
		break;
	}
}

SEC("xdp")
int xdpban(struct xdp_md *ctx)
{
	struct hdr_cursor c = { .pos = (void *)(long)ctx->data,
				.end = (void *)(long)ctx->data_end };
	__u64 len = c.end - c.pos;
	struct pkt_src src = {};
	struct xb_counters *cnt;
	struct xb_ban *hit = NULL;
	__u32 slot = xb_if_slot;
	enum verdict v;
	__be16 proto;
	int err;

	cnt = bpf_map_lookup_elem(&xb_counters, &slot);
	if (!cnt)
		return XDP_PASS;
	count(&cnt->rx, len);

	err = parse_eth(&c, &proto, &src);
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
	v = src.family == 4 ? judge_v4(&src, len, cnt, &hit) : judge_v6(&src, len, cnt, &hit);
	if (v == V_DROP) {
		log_drop(ctx, &src, proto, hit, cnt);
		count(proto == bpf_htons(ETH_P_IP) ? &cnt->dropped_v4 : &cnt->dropped_v6, len);
		return XDP_DROP;
	}
	if (v == V_ALLOW)
		count(proto == bpf_htons(ETH_P_IP) ? &cnt->allowed_v4 : &cnt->allowed_v6, len);
	else
		count(proto == bpf_htons(ETH_P_IP) ? &cnt->passed_v4 : &cnt->passed_v6, len);
	return XDP_PASS;
}
