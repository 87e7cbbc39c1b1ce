// SPDX-License-Identifier: GPL-2.0
/*
 * The reference classifier of model.h: the specification of the XDP program's verdict, in
 * plain C over a byte array and linear scans of the ban and allow sets.
 */
#include <string.h>
#include "model.h"

#define M_ETH_HLEN 14
#define M_VLAN_HLEN 4
#define M_IPV4_HLEN 20
#define M_IPV6_HLEN 40
#define M_MAX_TAGS 2
#define M_ETH_P_IP 0x0800
#define M_ETH_P_IPV6 0x86DD
#define M_ETH_P_8021Q 0x8100
#define M_ETH_P_8021AD 0x88A8

static const char *const path_names[__MODEL_PATH_MAX] = {
	[MODEL_NOT_IP] = "not IP",
	[MODEL_THIRD_TAG] = "third VLAN tag",
	[MODEL_MALFORMED] = "malformed",
	[MODEL_ALLOWED] = "allowed",
	[MODEL_DROP_EXACT] = "dropped by an exact ban",
	[MODEL_DROP_PREFIX] = "dropped by a prefix ban",
	[MODEL_PASSED] = "passed, no live ban",
};

const char *model_path_name(enum model_path path)
{
	return path < __MODEL_PATH_MAX ? path_names[path] : "?";
}

bool model_covers(const __u8 *pfx, unsigned int len, const __u8 *addr)
{
	unsigned int whole = len / 8, bits = len % 8;
	__u8 mask;

	if (memcmp(pfx, addr, whole))
		return false;
	if (!bits)
		return true;
	mask = (__u8)(0xff << (8 - bits));
	return !((pfx[whole] ^ addr[whole]) & mask);
}

static void count(struct xb_pkt_bytes *pb, size_t len)
{
	pb->packets++;
	pb->bytes += len;
}

static unsigned int get16(const __u8 *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static bool ban_live(const struct model_ban *b, __u64 now)
{
	return !b->expires_ns || b->expires_ns > now;
}

/* The longest allow entry covering addr, or -1. */
static int allow_match(const struct model_set *set, __u8 family, const __u8 *addr)
{
	int best = -1;

	for (size_t i = 0; i < set->n_allows; i++) {
		const struct model_allow *a = &set->allows[i];

		if (a->family != family || !model_covers(a->addr, a->len, addr))
			continue;
		if (best < 0 || a->len > set->allows[best].len)
			best = (int)i;
	}
	return best;
}

/* The exact (/32, /128) ban of addr, or -1. */
static int exact_ban(const struct model_set *set, __u8 family, const __u8 *addr)
{
	unsigned int full = family == 4 ? 32 : 128;

	for (size_t i = 0; i < set->n_bans; i++) {
		const struct model_ban *b = &set->bans[i];

		if (b->family == family && b->len == full && !memcmp(b->addr, addr, full / 8))
			return (int)i;
	}
	return -1;
}

/* The longest prefix ban (shorter than a host) of at most max bits covering addr, or -1. */
static int lpm_ban(const struct model_set *set, __u8 family, const __u8 *addr, unsigned int max)
{
	unsigned int full = family == 4 ? 32 : 128;
	int best = -1;

	for (size_t i = 0; i < set->n_bans; i++) {
		const struct model_ban *b = &set->bans[i];

		if (b->family != family || b->len >= full || b->len > max)
			continue;
		if (!model_covers(b->addr, b->len, addr))
			continue;
		if (best < 0 || b->len > set->bans[best].len)
			best = (int)i;
	}
	return best;
}

/*
 * The live prefix ban that drops addr, or -1: the first lookup and at most XB_LPM_RETRIES
 * more, each one bit shorter than the expired match before it.
 */
static int prefix_ban(const struct model_set *set, __u8 family, const __u8 *addr, __u64 now,
		      struct model_result *res)
{
	unsigned int max = family == 4 ? 32 : 128;

	for (int lookup = 0; lookup <= XB_LPM_RETRIES; lookup++) {
		int i = lpm_ban(set, family, addr, max);

		if (i < 0)
			return -1;
		if (ban_live(&set->bans[i], now))
			return i;
		res->expired++;
		if (!set->bans[i].len)
			return -1;
		max = set->bans[i].len - 1U;
	}
	res->gave_up = true;
	return -1;
}

/* The verdict on an IP source; res->family, judged and src are set. */
static void judge(const struct model_set *set, size_t len, __u64 now, struct model_result *res)
{
	bool v6 = res->family == 6;
	int i;

	res->allow = allow_match(set, res->judged, res->src);
	if (res->allow >= 0) {
		res->path = MODEL_ALLOWED;
		count(v6 ? &res->delta.allowed_v6 : &res->delta.allowed_v4, len);
		return;
	}
	i = exact_ban(set, res->judged, res->src);
	if (i >= 0 && !ban_live(&set->bans[i], now)) {
		res->expired++;
		i = -1;
	}
	res->path = MODEL_DROP_EXACT;
	if (i < 0) {
		i = prefix_ban(set, res->judged, res->src, now, res);
		res->path = MODEL_DROP_PREFIX;
	}
	res->delta.expired_hits = res->expired;
	if (i < 0) {
		res->path = MODEL_PASSED;
		count(v6 ? &res->delta.passed_v6 : &res->delta.passed_v4, len);
		return;
	}
	res->ban = i;
	res->verdict = XDP_DROP;
	count(v6 ? &res->delta.dropped_v6 : &res->delta.dropped_v4, len);
	if (res->path == MODEL_DROP_EXACT)
		res->delta.dropped_exact++;
	else
		res->delta.dropped_prefix++;
}

/* The IPv4 header at l3: whether it is whole and sane; its source into res. */
static bool parse_ipv4(const __u8 *p, size_t len, size_t l3, struct model_result *res)
{
	unsigned int ihl;

	if (len < l3 + M_IPV4_HLEN || p[l3] >> 4 != 4)
		return false;
	ihl = p[l3] & 0x0f;
	if (ihl < 5 || len < l3 + ihl * 4)
		return false;
	res->family = 4;
	res->judged = 4;
	memcpy(res->src, p + l3 + 12, 4);
	return true;
}

static bool parse_ipv6(const __u8 *p, size_t len, size_t l3, struct model_result *res)
{
	static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const __u8 *src = p + l3 + 8;

	if (len < l3 + M_IPV6_HLEN || p[l3] >> 4 != 6)
		return false;
	res->family = 6;
	if (!memcmp(src, mapped, sizeof(mapped))) {
		res->judged = 4;
		memcpy(res->src, src + 12, 4);
	} else {
		res->judged = 6;
		memcpy(res->src, src, 16);
	}
	return true;
}

/*
 * The ethertype after the VLAN tags, with *l3 where its header starts; 0 with res->path
 * set when the tags end the story (a tag cut short, or a third tag).
 */
static unsigned int skip_tags(const __u8 *p, size_t len, size_t *l3, struct model_result *res)
{
	unsigned int type = get16(p + 12);
	size_t off = M_ETH_HLEN;

	for (int tags = 0; type == M_ETH_P_8021Q || type == M_ETH_P_8021AD; tags++) {
		if (tags == M_MAX_TAGS) {
			res->path = MODEL_THIRD_TAG;
			return 0;
		}
		if (len < off + M_VLAN_HLEN) {
			res->path = MODEL_MALFORMED;
			return 0;
		}
		type = get16(p + off + 2);
		off += M_VLAN_HLEN;
	}
	*l3 = off;
	return type;
}

void model_classify(const struct model_set *set, const void *frame, size_t len, __u64 now,
		    struct model_result *res)
{
	const __u8 *p = frame;
	unsigned int type;
	size_t l3 = 0;
	bool ok;

	memset(res, 0, sizeof(*res));
	res->verdict = XDP_PASS;
	res->ban = -1;
	res->allow = -1;
	res->path = MODEL_NOT_IP;
	count(&res->delta.rx, len);
	if (len < M_ETH_HLEN)
		res->path = MODEL_MALFORMED;
	type = len < M_ETH_HLEN ? 0 : skip_tags(p, len, &l3, res);
	if (type == M_ETH_P_IP || type == M_ETH_P_IPV6) {
		ok = type == M_ETH_P_IP ? parse_ipv4(p, len, l3, res) : parse_ipv6(p, len, l3, res);
		if (ok) {
			judge(set, len, now, res);
			return;
		}
		res->path = MODEL_MALFORMED;
	}
	count(&res->delta.passed_other, len);
	if (res->path == MODEL_MALFORMED)
		res->delta.malformed++;
}
