// SPDX-License-Identifier: GPL-2.0
/*
 * The packet differential test: random and mutated frames through the real program
 * (BPF_PROG_TEST_RUN) against random ban and allow sets, and every verdict, counter change
 * and per-ban hit compared with the reference model of selftests/model.h.
 *
 *	XB_MODEL_SEED=N    the PRNG seed (decimal or 0x hex; default MODEL_DEFAULT_SEED)
 *	XB_MODEL_ITERS=N   how many frames (default MODEL_DEFAULT_ITERS, a few seconds)
 *	XB_MODEL_SET=N     the set to start from (default 0)
 *
 * The maps get a new random ban and allow set every FRAMES_PER_SET frames, emptied and
 * refilled through libxdpban. Each set and its frames come from the seed and the set's
 * number alone (expiries are set relative to the clock, but far from it), so the
 * "reproduce:" line of a failure brings back its set and frames in a moment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "test_progs.h"
#include "frames.h"
#include "model.h"
#include "xb_fixture.h"

#define MODEL_DEFAULT_SEED 0x78646270616eULL
#define MODEL_DEFAULT_ITERS 50000UL
#define FRAMES_PER_SET 256
#define MAX_BANS 96
#define MAX_ALLOWS 8
#define N_BASES 3
#define MAX_REPORTS 5 /* failing frames shown in full; the test stops after them */
#define HEX_MAX 256 /* bytes of a failing frame shown */

#define TPID_8021Q 0x8100
#define TPID_8021AD 0x88A8
#define TPID_9100 0x9100 /* pre-802.1ad QinQ: not a tag the program knows */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

struct rng {
	__u64 s;
};

struct model_test {
	struct xb_fixture fx;
	struct rng rng;
	__u64 seed;
	unsigned long frame_no, set_no; /* frame_no counts from set 0's first frame */
	unsigned long iters, first_set, frames_run;
	size_t max_len; /* the longest frame the program sees whole */
	__u8 base4[N_BASES][4];
	__u8 base6[N_BASES][16];
	struct model_ban bans[MAX_BANS];
	struct model_allow allows[MAX_ALLOWS];
	struct model_set set;
	struct frame f;
	size_t len; /* of the frame to run: f.len, or cut or padded */
	struct xb_counters before;
	int reports;
	/* coverage, shown under -v */
	unsigned long paths[__MODEL_PATH_MAX], mapped, gave_up, expired_hits;
};

/* ---- randomness: splitmix64 ---- */

static __u64 rng_next(struct rng *r)
{
	__u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* In [0, n). */
static unsigned int below(struct model_test *t, unsigned int n)
{
	return n ? (unsigned int)(rng_next(&t->rng) % n) : 0;
}

/* In [lo, hi]. */
static unsigned int between(struct model_test *t, unsigned int lo, unsigned int hi)
{
	return lo + below(t, hi - lo + 1);
}

static bool chance(struct model_test *t, unsigned int percent)
{
	return below(t, 100) < percent;
}

static void random_bytes(struct model_test *t, __u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (__u8)rng_next(&t->rng);
}

/* ---- addresses ---- */

static const __u8 mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static unsigned int full_len(__u8 family)
{
	return family == 4 ? 32 : 128;
}

static void flip_bit(__u8 *addr, unsigned int bit)
{
	addr[bit / 8] ^= (__u8)(0x80 >> (bit % 8));
}

static void clear_host_bits(__u8 *addr, unsigned int len, unsigned int full)
{
	for (unsigned int bit = len; bit < full; bit++)
		addr[bit / 8] &= (__u8) ~(0x80 >> (bit % 8));
}

static void random_host_bits(struct model_test *t, __u8 *addr, unsigned int len, unsigned int full)
{
	for (unsigned int bit = len; bit < full; bit++)
		if (chance(t, 50))
			flip_bit(addr, bit);
}

/* A base address with a few bits flipped, mostly low ones; now and then anything at all. */
static void near_base(struct model_test *t, __u8 family, __u8 *addr)
{
	unsigned int full = full_len(family), flips = below(t, 4);

	memset(addr, 0, 16);
	if (chance(t, 5)) {
		random_bytes(t, addr, full / 8);
		return;
	}
	memcpy(addr, family == 4 ? t->base4[below(t, N_BASES)] : t->base6[below(t, N_BASES)],
	       full / 8);
	while (flips--)
		flip_bit(addr, chance(t, 60) ? full - 1 - below(t, 16) : below(t, full));
}

static bool is_mapped(const __u8 *addr6)
{
	return !memcmp(addr6, mapped_prefix, sizeof(mapped_prefix));
}

static void new_bases(struct model_test *t)
{
	for (int i = 0; i < N_BASES; i++) {
		random_bytes(t, t->base4[i], 4);
		random_bytes(t, t->base6[i], 16);
	}
	/* Short IPv6 bans over the mapped range must not catch mapped sources. */
	if (chance(t, 40)) {
		memcpy(t->base6[N_BASES - 1], mapped_prefix, sizeof(mapped_prefix));
		memcpy(t->base6[N_BASES - 1] + 12, t->base4[0], 4);
	}
}

/*
 * A prefix length for family: a host a third of the time, else near a host or anything.
 * An IPv6 prefix inside ::ffff:0:0/96 is an IPv4 one to the library, so the model never
 * holds one: those are kept at /95 or shorter.
 */
static unsigned int random_len(struct model_test *t, __u8 family, const __u8 *addr)
{
	unsigned int full = full_len(family), len;

	if (chance(t, 33))
		len = full;
	else if (chance(t, 40))
		len = full - between(t, 1, 8);
	else
		len = below(t, full);
	if (family == 6 && is_mapped(addr) && len > 95)
		len = below(t, 96);
	return len;
}

/* ---- ban and allow sets ---- */

static __u64 random_expiry(struct model_test *t, __u64 now)
{
	const __u64 sec = 1000000000ULL;
	unsigned int r = below(t, 100);

	if (r < 35)
		return 0;
	if (r < 68)
		return r == 67 ? ~0ULL : now + 3600 * sec + rng_next(&t->rng) % (365 * 86400 * sec);
	if (chance(t, 50))
		return now - sec - rng_next(&t->rng) % (3600 * sec);
	return 1 + rng_next(&t->rng) % (now - sec);
}

static bool add_ban(struct model_test *t, __u8 family, unsigned int len, const __u8 *addr,
		    __u64 expires_ns)
{
	struct model_ban *b;

	if (t->set.n_bans == MAX_BANS)
		return false;
	b = &t->bans[t->set.n_bans];
	memset(b, 0, sizeof(*b));
	b->family = family;
	b->len = (__u8)len;
	memcpy(b->addr, addr, full_len(family) / 8);
	clear_host_bits(b->addr, len, full_len(family));
	b->expires_ns = expires_ns;
	for (size_t i = 0; i < t->set.n_bans; i++)
		if (t->bans[i].family == family && t->bans[i].len == len &&
		    !memcmp(t->bans[i].addr, b->addr, 16))
			return false;
	t->set.n_bans++;
	return true;
}

/*
 * Nested expired prefixes over one address, longest first, lengths one to three bits
 * apart, maybe with a live one under them: the retry bound of XB_LPM_RETRIES at work.
 */
static void add_expired_chain(struct model_test *t, __u64 now)
{
	__u8 family = chance(t, 50) ? 4 : 6, addr[16];
	unsigned int len, links = between(t, 4, XB_LPM_RETRIES + 5);

	near_base(t, family, addr);
	len = family == 4 ? between(t, 16, 32) : between(t, 40, 128);
	if (family == 6 && is_mapped(addr))
		len = between(t, 40, 95);
	for (unsigned int i = 0; i < links && len > 0; i++) {
		add_ban(t, family, len, addr, now - 1000000000ULL * between(t, 1, 1000));
		len -= len > 3 && chance(t, 30) ? between(t, 2, 3) : 1;
	}
	if (chance(t, 60))
		add_ban(t, family, len, addr, chance(t, 50) ? 0 : now + 3600000000000ULL);
}

static void add_allow(struct model_test *t)
{
	struct model_allow *a = &t->allows[t->set.n_allows];
	unsigned int len;

	memset(a, 0, sizeof(*a));
	if (t->set.n_bans && chance(t, 50)) {
		const struct model_ban *b = &t->bans[below(t, (unsigned int)t->set.n_bans)];

		a->family = b->family;
		memcpy(a->addr, b->addr, 16);
		len = b->len + between(t, 0, 8);
		len = len < 4 ? 0 : len - 4;
	} else {
		a->family = chance(t, 50) ? 4 : 6;
		near_base(t, a->family, a->addr);
		len = chance(t, 5) ? 0 : random_len(t, a->family, a->addr);
	}
	if (len > full_len(a->family))
		len = full_len(a->family);
	if (a->family == 6 && is_mapped(a->addr) && len > 95)
		len = 95;
	a->len = (__u8)len;
	clear_host_bits(a->addr, len, full_len(a->family));
	for (size_t i = 0; i < t->set.n_allows; i++)
		if (!memcmp(&t->allows[i], a, sizeof(*a)))
			return;
	t->set.n_allows++;
}

static void new_set(struct model_test *t, __u64 now)
{
	unsigned int n_bans = chance(t, 10) ? below(t, 4) : between(t, 4, MAX_BANS - 24);
	unsigned int n_allows = chance(t, 40) ? 0 : between(t, 1, MAX_ALLOWS);

	t->set.n_bans = 0;
	t->set.n_allows = 0;
	new_bases(t);
	if (chance(t, 40))
		add_expired_chain(t, now);
	for (unsigned int i = 0; i < n_bans; i++) {
		__u8 family = chance(t, 50) ? 4 : 6, addr[16];
		unsigned int len;

		near_base(t, family, addr);
		len = random_len(t, family, addr);
		add_ban(t, family, len, addr, random_expiry(t, now));
	}
	for (unsigned int i = 0; i < n_allows; i++)
		add_allow(t);
}

static struct xb_prefix to_prefix(__u8 family, __u8 len, const __u8 *addr)
{
	struct xb_prefix p = { .family = family, .len = len };

	memcpy(p.addr, addr, 16);
	return p;
}

/* The map and key of a ban, as maps/xdpban_maps.h lays them out. */
static int ban_key(struct model_test *t, const struct model_ban *b, __u8 key[20])
{
	bool host = b->len == full_len(b->family);
	__u32 len = b->len;

	memset(key, 0, 20);
	if (host) {
		memcpy(key, b->addr, full_len(b->family) / 8);
		return t->fx.maps.fd[b->family == 4 ? XB_BAN_V4 : XB_BAN_V6];
	}
	memcpy(key, &len, 4);
	memcpy(key + 4, b->addr, full_len(b->family) / 8);
	return t->fx.maps.fd[b->family == 4 ? XB_PFX_V4 : XB_PFX_V6];
}

/* Expiries go into the map values directly, as xb_fixture_ban_expired() does. */
static int set_expiry(struct model_test *t, const struct model_ban *b)
{
	struct xb_ban val;
	__u8 key[20];
	int fd = ban_key(t, b, key);

	if (bpf_map_lookup_elem(fd, key, &val))
		return -errno;
	val.expires_ns = b->expires_ns;
	return bpf_map_update_elem(fd, key, &val, BPF_EXIST) ? -errno : 0;
}

/* Empties the maps and fills them with the set through libxdpban. */
static int install_set(struct model_test *t)
{
	struct xb_ban_req reqs[MAX_BANS];
	struct xb_prefix allows[MAX_ALLOWS];
	int err = 0;

	xb_fixture_reset(&t->fx);
	memset(reqs, 0, sizeof(reqs));
	for (size_t i = 0; i < t->set.n_bans; i++) {
		const struct model_ban *b = &t->bans[i];

		reqs[i].pfx = to_prefix(b->family, b->len, b->addr);
		reqs[i].timeout_s = b->expires_ns ? 3600 : 0;
	}
	for (size_t i = 0; i < t->set.n_allows; i++)
		allows[i] = to_prefix(t->allows[i].family, t->allows[i].len, t->allows[i].addr);
	if (t->set.n_bans)
		err = xb_bans_add(&t->fx.maps, reqs, t->set.n_bans, NULL);
	for (size_t i = 0; !err && i < t->set.n_bans; i++)
		if (t->bans[i].expires_ns)
			err = set_expiry(t, &t->bans[i]);
	if (!err && t->set.n_allows)
		err = xb_allow_add(&t->fx.maps, allows, t->set.n_allows, NULL);
	t->before = xb_fixture_counters(&t->fx);
	return err;
}

/* ---- frames ---- */

/* A source for a frame: inside a ban or allow entry, near a base, or anything. */
static void pick_src(struct model_test *t, __u8 family, __u8 *addr)
{
	unsigned int r = below(t, 100), full = full_len(family);
	unsigned int n = r < 50 ? (unsigned int)t->set.n_bans : (unsigned int)t->set.n_allows;
	unsigned int start = below(t, n);

	for (unsigned int i = 0; r < 65 && i < n; i++) {
		unsigned int k = (start + i) % n;
		const __u8 *pfx = r < 50 ? t->bans[k].addr : t->allows[k].addr;
		unsigned int len = r < 50 ? t->bans[k].len : t->allows[k].len;

		if ((r < 50 ? t->bans[k].family : t->allows[k].family) != family)
			continue;
		memset(addr, 0, 16);
		memcpy(addr, pfx, full / 8);
		if (chance(t, 70))
			random_host_bits(t, addr, len, full);
		return;
	}
	near_base(t, family, addr);
}

/* An IPv6 source: mostly its own, a quarter IPv4-mapped, a few just not mapped. */
static void pick_src6(struct model_test *t, __u8 *addr)
{
	unsigned int r = below(t, 100);
	__u8 v4[16];

	if (r >= 30) {
		pick_src(t, 6, addr);
		return;
	}
	pick_src(t, 4, v4);
	memcpy(addr, mapped_prefix, sizeof(mapped_prefix));
	memcpy(addr + 12, v4, 4);
	if (r < 3)
		addr[11] = 0xfe; /* ::fffe:a.b.c.d */
	else if (r < 5)
		addr[10] = addr[11] = 0; /* ::a.b.c.d, IPv4-compatible */
	else if (r < 6)
		addr[9] = 1;
}

/* Room left for payload before the longest frame the program can be given. */
static size_t room(const struct model_test *t, size_t reserve)
{
	size_t max = t->max_len < FRAME_MAX ? t->max_len : FRAME_MAX;

	return t->f.len + reserve < max ? max - t->f.len - reserve : 0;
}

static size_t payload_len(struct model_test *t)
{
	unsigned int r = below(t, 100);
	size_t max = room(t, 64);

	if (r < 70)
		return below(t, 64 < max ? 64 : (unsigned int)max);
	if (r < 95)
		return below(t, 1500 < max ? 1500 : (unsigned int)max);
	return below(t, (unsigned int)max);
}

/*
 * The L4 header (of a first fragment) and payload. One random draw per statement: the
 * order C evaluates arguments in is unspecified, and seeds must mean the same frames
 * whatever the compiler.
 */
static void build_l4(struct model_test *t, __u8 proto, bool first_fragment)
{
	struct frame *f = &t->f;
	uint16_t port = (uint16_t)below(t, 65536);
	uint8_t type = (uint8_t)(chance(t, 50) ? (proto == 1 ? 8 : 128) : below(t, 256));
	uint8_t code = (uint8_t)below(t, 4);

	if (!first_fragment) {
		frame_payload(f, payload_len(t));
		return;
	}
	switch (proto) {
	case 6:
		frame_tcp(f, port, 80, type);
		frame_payload(f, payload_len(t));
		break;
	case 17:
		frame_udp(f, port, 53, payload_len(t));
		break;
	case 1:
		frame_icmp(f, type, code);
		break;
	case 58:
		frame_icmp6(f, type, code);
		break;
	default:
		frame_payload(f, payload_len(t));
		break;
	}
}

static __u8 random_proto(struct model_test *t, bool v6)
{
	static const __u8 v4[] = { 6, 17, 1 }, v6p[] = { 6, 17, 58, 59 };

	if (chance(t, 15))
		return (__u8)below(t, 256);
	return v6 ? v6p[below(t, sizeof(v6p))] : v4[below(t, sizeof(v4))];
}

static void build_ipv4(struct model_test *t)
{
	size_t options = chance(t, 30) ? 4 * below(t, 11) : 0;
	bool frag = chance(t, 25), more = frag && chance(t, 60);
	uint16_t frag_off = frag && chance(t, 70) ? (uint16_t)between(t, 1, 8191) : 0;
	__u8 proto = random_proto(t, false), src[16];
	int ip;

	frame_ipv4(&t->f, "0.0.0.0", "198.51.100.1", proto, options, more, frag_off);
	ip = frame_hdr_off(&t->f, FRAME_HDR_IPV4, 0);
	pick_src(t, 4, src);
	memcpy(t->f.buf + ip + 12, src, 4);
	build_l4(t, proto, !frag_off);
}

static const __u8 ext_types[] = { 0, 43, 60, 44, 51, 135, 139, 140, 253 };

static void build_ipv6_ext(struct model_test *t, __u8 type, __u8 next, bool *first)
{
	size_t len = 8 * between(t, 1, 4);

	if (type == 44) {
		uint16_t off = chance(t, 50) ? 0 : (uint16_t)between(t, 1, 8191);

		frame_ipv6_frag(&t->f, next, off, chance(t, 50));
		*first = *first && !off;
		return;
	}
	if (type == 51 && len < 16)
		len = 16;
	frame_ipv6_ext(&t->f, type, next, len);
}

static void build_ipv6(struct model_test *t)
{
	unsigned int n = chance(t, 50) ? 0 : between(t, 1, chance(t, 80) ? 4 : 10);
	__u8 types[10], proto = random_proto(t, true), src[16];
	bool first = true;
	int ip;

	for (unsigned int i = 0; i < n; i++)
		types[i] = ext_types[below(t, sizeof(ext_types))];
	frame_ipv6(&t->f, "::", "2001:db8:1::1", n ? types[0] : proto);
	ip = frame_hdr_off(&t->f, FRAME_HDR_IPV6, 0);
	pick_src6(t, src);
	memcpy(t->f.buf + ip + 8, src, 16);
	for (unsigned int i = 0; i < n; i++)
		build_ipv6_ext(t, types[i], i + 1 < n ? types[i + 1] : proto, &first);
	build_l4(t, proto, first);
}

static uint16_t random_tpid(struct model_test *t)
{
	unsigned int r = below(t, 20);

	return r < 9 ? TPID_8021Q : r < 18 ? TPID_8021AD : TPID_9100;
}

/* Ethernet and 0 to 3 VLAN tags, the last carrying type. */
static void build_l2(struct model_test *t, uint16_t type)
{
	unsigned int r = below(t, 100), tags = r < 50 ? 0 : r < 70 ? 1 : r < 90 ? 2 : 3;
	uint16_t tpid[3];

	for (unsigned int i = 0; i < tags; i++)
		tpid[i] = random_tpid(t);
	frame_eth(&t->f, tags ? tpid[0] : type);
	for (unsigned int i = 0; i < tags; i++)
		frame_vlan(&t->f, tpid[i], (uint16_t)below(t, 4096),
			   i + 1 < tags ? tpid[i + 1] : type);
}

static void build_frame(struct model_test *t)
{
	static const uint16_t other[] = { 0x0806, 0x88cc, 0x8847, 0x8864, 0x0842, 0x22f0 };
	unsigned int r = below(t, 100);

	frame_init(&t->f);
	if (r < 45) {
		build_l2(t, ETH_P_IP);
		build_ipv4(t);
	} else if (r < 90) {
		build_l2(t, ETH_P_IPV6);
		build_ipv6(t);
	} else {
		build_l2(t, chance(t, 70) ? other[below(t, sizeof(other) / sizeof(other[0]))]
					  : (uint16_t)below(t, 65536));
		frame_payload(&t->f, below(t, 100));
	}
	frame_finish(&t->f);
	t->len = t->f.len;
}

/* Random bytes, steered now and then to an IP or VLAN type and a plausible version. */
static void random_frame(struct model_test *t)
{
	static const uint16_t types[] = { ETH_P_IP, ETH_P_IPV6, TPID_8021Q, TPID_8021AD };
	size_t max = t->max_len < 512 ? t->max_len : 512, off = 12;
	__u8 *p = t->f.buf;

	frame_init(&t->f);
	t->len = between(t, 14, chance(t, 80) ? 80 : (unsigned int)max);
	random_bytes(t, p, t->len);
	t->f.len = t->len;
	while (off + 2 <= t->len && chance(t, 70)) {
		uint16_t type = types[below(t, 4)];

		frame_put16(&t->f, off, type);
		if (type != TPID_8021Q && type != TPID_8021AD) {
			if (off + 2 < t->len && chance(t, 70))
				p[off + 2] = (__u8)((type == ETH_P_IP ? 0x40 : 0x60) |
						    (p[off + 2] & 15));
			break;
		}
		off += 4;
	}
}

/* ---- mutations ---- */

/* Where the builders put a header's start or end, or an IPv4 header's fixed part ends. */
static size_t random_boundary(struct model_test *t)
{
	const struct frame *f = &t->f;
	unsigned int i = below(t, f->hdr_cnt + 1);
	size_t at;

	if (i == f->hdr_cnt)
		return 14 + 4 * below(t, 4);
	at = f->hdrs[i].off;
	if (chance(t, 50))
		at += f->hdrs[i].kind == FRAME_HDR_IPV4 && chance(t, 50) ? 20 : f->hdrs[i].len;
	return at;
}

static void cut(struct model_test *t, size_t at)
{
	if (at < 14)
		at = 14;
	if (at < t->len)
		t->len = at;
}

/* The IP header's offset, or -1. */
static int ip_off(const struct model_test *t)
{
	int off = frame_hdr_off(&t->f, FRAME_HDR_IPV4, 0);

	return off >= 0 ? off : frame_hdr_off(&t->f, FRAME_HDR_IPV6, 0);
}

static void mutate(struct model_test *t)
{
	__u8 *p = t->f.buf;
	int ip = ip_off(t);

	if (chance(t, 25)) {
		size_t at = random_boundary(t) + between(t, 0, 6);

		cut(t, at < 3 ? 0 : at - 3);
	}
	if (chance(t, 5))
		cut(t, between(t, 14, (unsigned int)t->len));
	if (ip >= 0 && (size_t)ip < t->len && chance(t, 6))
		p[ip] = (__u8)((p[ip] & 0xf0) | below(t, 16)); /* IHL, or IPv6 traffic class */
	if (ip >= 0 && (size_t)ip < t->len && chance(t, 4))
		p[ip] = (__u8)((p[ip] & 0x0f) | below(t, 16) << 4);
	if (chance(t, 3)) {
		size_t at = 12 + 4 * below(t, 3);

		frame_put16(&t->f, at, (uint16_t)below(t, 65536));
	}
	for (unsigned int n = chance(t, 8) ? between(t, 1, 4) : 0; n; n--) {
		size_t at = below(t, t->len < 80 ? (unsigned int)t->len : 80);

		p[at] = (__u8)rng_next(&t->rng);
	}
	if (chance(t, 5)) {
		size_t pad = below(t, 64);

		if (pad <= room(t, 0) && t->len == t->f.len) {
			random_bytes(t, p + t->len, pad);
			t->len += pad;
		}
	}
}

/* ---- running and comparing ---- */

static bool is_log_counter(const char *name)
{
	return !strncmp(name, "log_", 4);
}

static __u64 field(const struct xb_counters *c, size_t i)
{
	return xb_counter_get(c, &xb_counter_fields[i]);
}

static bool counters_agree(const struct xb_counters *before, const struct xb_counters *after,
			   const struct xb_counters *delta)
{
	for (size_t i = 0; i < xb_counter_nfields; i++) {
		if (is_log_counter(xb_counter_fields[i].name))
			continue;
		if (field(after, i) - field(before, i) != field(delta, i))
			return false;
	}
	return true;
}

static void print_ban(struct model_test *t, size_t i, __u64 now)
{
	const struct model_ban *b = &t->bans[i];
	struct xb_prefix p = to_prefix(b->family, b->len, b->addr);
	char text[XB_PREFIX_STRLEN], when[48];

	xb_prefix_format(&p, text, sizeof(text));
	if (!b->expires_ns)
		snprintf(when, sizeof(when), "permanent");
	else if (b->expires_ns > now)
		snprintf(when, sizeof(when), "live, %llus left",
			 (unsigned long long)((b->expires_ns - now) / 1000000000ULL));
	else
		snprintf(when, sizeof(when), "expired %llus ago",
			 (unsigned long long)((now - b->expires_ns) / 1000000000ULL));
	printf("    ban #%zu %s (%s) model hits %llu/%lluB\n", i, text, when,
	       (unsigned long long)b->hits.packets, (unsigned long long)b->hits.bytes);
}

static void print_sets(struct model_test *t, __u64 now)
{
	char text[XB_PREFIX_STRLEN];

	printf("  bans (%zu):\n", t->set.n_bans);
	for (size_t i = 0; i < t->set.n_bans; i++)
		print_ban(t, i, now);
	printf("  allows (%zu):\n", t->set.n_allows);
	for (size_t i = 0; i < t->set.n_allows; i++) {
		const struct model_allow *a = &t->allows[i];
		struct xb_prefix p = to_prefix(a->family, a->len, a->addr);

		xb_prefix_format(&p, text, sizeof(text));
		printf("    allow #%zu %s model hits %llu/%lluB\n", i, text,
		       (unsigned long long)a->hits.packets, (unsigned long long)a->hits.bytes);
	}
}

static void print_frame(const struct model_test *t)
{
	size_t n = t->len < HEX_MAX ? t->len : HEX_MAX;

	printf("  frame (%zu bytes", t->len);
	if (n < t->len)
		printf(", the first %zu shown", n);
	printf("):");
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", i % 16 ? " " : "\n    ", t->f.buf[i]);
	printf("\n");
}

static void report(struct model_test *t, int verdict, const struct model_result *res,
		   const struct xb_counters *after, const struct xb_pkt_bytes *hit, __u64 now)
{
	char src[XB_PREFIX_STRLEN] = "-";

	if (res->judged) {
		struct xb_prefix p = to_prefix(res->judged, res->judged == 4 ? 32 : 128, res->src);

		xb_prefix_format(&p, src, sizeof(src));
	}
	printf("xdp_model: seed 0x%llx frame #%lu (set #%lu): program %s, model %s (%s; source "
	       "%s; ban #%d; allow #%d; %u expired)\n",
	       (unsigned long long)t->seed, t->frame_no, t->set_no, xdp_verdict_name(verdict),
	       xdp_verdict_name(res->verdict), model_path_name(res->path), src, res->ban,
	       res->allow, res->expired);
	for (size_t i = 0; i < xb_counter_nfields; i++) {
		__u64 got = field(after, i) - field(&t->before, i), want = field(&res->delta, i);

		if (!is_log_counter(xb_counter_fields[i].name) && got != want)
			printf("  %s: program +%llu, model +%llu\n", xb_counter_fields[i].name,
			       (unsigned long long)got, (unsigned long long)want);
	}
	if (hit)
		printf("  %s #%d in the map: %llu packets %llu bytes\n",
		       res->ban >= 0 ? "ban" : "allow", res->ban >= 0 ? res->ban : res->allow,
		       (unsigned long long)hit->packets, (unsigned long long)hit->bytes);
	print_frame(t);
	print_sets(t, now);
	printf("  reproduce: XB_MODEL_SEED=0x%llx XB_MODEL_SET=%lu XB_MODEL_ITERS=%lu "
	       "build/test_progs -t xdp_model\n",
	       (unsigned long long)t->seed, t->set_no, t->frame_no % FRAMES_PER_SET + 1);
	test__fail();
	t->reports++;
}

static int allow_key(struct model_test *t, const struct model_allow *a, __u8 key[20])
{
	__u32 len = a->len;

	memset(key, 0, 20);
	memcpy(key, &len, 4);
	memcpy(key + 4, a->addr, full_len(a->family) / 8);
	return t->fx.maps.fd[a->family == 4 ? XB_ALLOW_V4 : XB_ALLOW_V6];
}

/*
 * Adds the frame to the model's ban or allow entry that decided it and reads that entry's
 * counters from the map into *hit; false when they differ, and then the model takes the
 * map's numbers, so that one disagreement is reported once and not at every later hit.
 */
static bool entry_agrees(struct model_test *t, const struct model_result *res,
			 struct xb_pkt_bytes *hit)
{
	struct xb_pkt_bytes *want;
	__u8 key[20];
	int fd;

	if (res->ban >= 0) {
		struct model_ban *b = &t->bans[res->ban];
		struct xb_ban val = {};

		fd = ban_key(t, b, key);
		want = &b->hits;
		if (bpf_map_lookup_elem(fd, key, &val))
			return false;
		*hit = (struct xb_pkt_bytes){ val.packets, val.bytes };
	} else {
		struct model_allow *a = &t->allows[res->allow];
		struct xb_allow val = {};

		fd = allow_key(t, a, key);
		want = &a->hits;
		if (bpf_map_lookup_elem(fd, key, &val))
			return false;
		*hit = (struct xb_pkt_bytes){ val.packets, val.bytes };
	}
	want->packets++;
	want->bytes += t->len;
	if (hit->packets == want->packets && hit->bytes == want->bytes)
		return true;
	*want = *hit;
	return false;
}

/* Runs the frame through the program and the model; false when they disagree. */
static bool run_frame(struct model_test *t)
{
	struct model_result res;
	struct xb_counters after;
	struct xb_pkt_bytes hit = {};
	__u64 now = xb_now_boot_ns();
	int verdict = xb_fixture_run(&t->fx, t->f.buf, t->len);
	bool ok, entry = false;

	after = xb_fixture_counters(&t->fx);
	model_classify(&t->set, t->f.buf, t->len, now, &res);
	ok = verdict == res.verdict && counters_agree(&t->before, &after, &res.delta);
	if (res.ban >= 0 || res.allow >= 0) {
		entry = true;
		ok = entry_agrees(t, &res, &hit) && ok;
	}
	t->paths[res.path]++;
	t->mapped += res.family == 6 && res.judged == 4;
	t->gave_up += res.gave_up;
	t->expired_hits += res.expired;
	if (!ok)
		report(t, verdict, &res, &after, entry ? &hit : NULL, now);
	t->before = after;
	return ok;
}

/* Where a listed prefix is in the model: its packets and bytes, or NULL. */
static struct xb_pkt_bytes *model_hits(struct model_test *t, const struct xb_prefix *p, bool ban)
{
	size_t n = ban ? t->set.n_bans : t->set.n_allows;

	for (size_t i = 0; i < n; i++) {
		__u8 family = ban ? t->bans[i].family : t->allows[i].family;
		__u8 len = ban ? t->bans[i].len : t->allows[i].len;
		const __u8 *addr = ban ? t->bans[i].addr : t->allows[i].addr;

		if (family == p->family && len == p->len && !memcmp(addr, p->addr, 16))
			return ban ? &t->bans[i].hits : &t->allows[i].hits;
	}
	return NULL;
}

static bool hits_agree(struct model_test *t, const struct xb_prefix *p, bool ban, __u64 packets,
		       __u64 bytes)
{
	const struct xb_pkt_bytes *want = model_hits(t, p, ban);
	char text[XB_PREFIX_STRLEN];

	if (want && want->packets == packets && want->bytes == bytes)
		return true;
	xb_prefix_format(p, text, sizeof(text));
	printf("xdp_model: seed 0x%llx set #%lu: %s %s has %llu packets %llu bytes, model %llu "
	       "%llu\n",
	       (unsigned long long)t->seed, t->set_no, ban ? "ban" : "allow", text,
	       (unsigned long long)packets, (unsigned long long)bytes,
	       want ? (unsigned long long)want->packets : 0ULL,
	       want ? (unsigned long long)want->bytes : 0ULL);
	test__fail();
	t->reports++;
	return false;
}

/*
 * At the end of a set, every ban's and allow entry's hit counters: a hit charged to an entry
 * the model did not pick shows here.
 */
static void check_hits(struct model_test *t)
{
	struct xb_ban_entry *b = NULL;
	struct xb_allow_entry *a = NULL;
	size_t nb = 0, na = 0;
	bool ok = true;

	if (!ASSERT_OK(xb_bans_list(&t->fx.maps, &b, &nb), "list the bans") ||
	    !ASSERT_OK(xb_allow_list(&t->fx.maps, &a, &na), "list the allow entries") ||
	    !ASSERT_EQ(nb, t->set.n_bans, "bans in the maps") ||
	    !ASSERT_EQ(na, t->set.n_allows, "allow entries in the maps")) {
		t->reports = MAX_REPORTS;
		goto out;
	}
	for (size_t i = 0; i < nb; i++)
		ok = hits_agree(t, &b[i].pfx, true, b[i].ban.packets, b[i].ban.bytes) && ok;
	for (size_t i = 0; i < na; i++)
		ok = hits_agree(t, &a[i].pfx, false, a[i].allow.packets, a[i].allow.bytes) && ok;
	if (!ok)
		print_sets(t, xb_now_boot_ns());
out:
	free(b);
	free(a);
}

/*
 * The longest frame the program sees whole. BPF_PROG_TEST_RUN takes frames up to FRAME_MAX
 * but puts what does not fit a page (less XDP headroom and shared info, 3520 bytes on
 * x86_64) into fragments, which an "xdp" (not "xdp.frags") program never gets from a driver
 * and cannot see: it counts only the linear part. So the frames stay linear; the length is
 * what the program counts of a FRAME_MAX frame.
 */
static size_t linear_max(struct model_test *t)
{
	struct xb_counters before = xb_fixture_counters(&t->fx), after;

	frame_init(&t->f);
	if (xb_fixture_run(&t->fx, t->f.buf, FRAME_MAX) < 0)
		return 1514;
	after = xb_fixture_counters(&t->fx);
	return (size_t)(after.rx.bytes - before.rx.bytes);
}

static unsigned long long env_number(const char *name, unsigned long long def)
{
	const char *text = getenv(name);
	char *end;
	unsigned long long v;

	if (!text || !*text)
		return def;
	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || *end) {
		printf("xdp_model: ignoring %s=%s, not a number\n", name, text);
		return def;
	}
	return v;
}

static void one_frame(struct model_test *t)
{
	if (chance(t, 10)) {
		random_frame(t);
	} else {
		build_frame(t);
		if (chance(t, 50))
			mutate(t);
	}
	run_frame(t);
}

/* A set and its frames draw from a generator seeded by the seed and the set's number. */
static void start_set(struct model_test *t)
{
	struct rng r = { t->seed + t->set_no * 0xd1b54a32d192ed03ULL };

	t->rng.s = rng_next(&r);
	new_set(t, xb_now_boot_ns());
}

static void run_sets(struct model_test *t)
{
	t->frame_no = t->first_set * FRAMES_PER_SET;
	for (; t->frames_run < t->iters && t->reports < MAX_REPORTS; t->frames_run++) {
		if (t->frame_no % FRAMES_PER_SET == 0) {
			if (t->frames_run)
				check_hits(t);
			t->set_no = t->frame_no / FRAMES_PER_SET;
			start_set(t);
			if (!ASSERT_OK(install_set(t), "fill the maps"))
				return;
		}
		one_frame(t);
		t->frame_no++;
	}
	if (t->reports < MAX_REPORTS)
		check_hits(t);
}

static void print_coverage(const struct model_test *t, double secs)
{
	printf("xdp_model: seed 0x%llx: %lu frames, sets %lu to %lu, frames up to %zu bytes, "
	       "%.1f s (%.0f frames/s)\n",
	       (unsigned long long)t->seed, t->frames_run, t->first_set, t->set_no, t->max_len,
	       secs, secs > 0 ? (double)t->frames_run / secs : 0.0);
	for (int p = 0; p < __MODEL_PATH_MAX; p++)
		printf("  %-24s %lu\n", model_path_name(p), t->paths[p]);
	printf("  %-24s %lu\n", "IPv4-mapped sources", t->mapped);
	printf("  %-24s %lu\n", "expired hits", t->expired_hits);
	printf("  %-24s %lu\n", "retries exhausted", t->gave_up);
}

void test_xdp_model(void)
{
	struct model_test *t;
	struct timespec t0, t1;

	if (!test__require_root())
		return;
	t = calloc(1, sizeof(*t));
	if (!ASSERT_OK_PTR(t, "calloc"))
		return;
	t->seed = env_number("XB_MODEL_SEED", MODEL_DEFAULT_SEED);
	t->iters = env_number("XB_MODEL_ITERS", MODEL_DEFAULT_ITERS);
	t->first_set = env_number("XB_MODEL_SET", 0);
	t->set.bans = t->bans;
	t->set.allows = t->allows;
	printf("xdp_model: seed 0x%llx, %lu frames from set %lu\n", (unsigned long long)t->seed,
	       t->iters, t->first_set);
	if (!ASSERT_OK(xb_fixture_open(&t->fx), "load the XDP program")) {
		free(t);
		return;
	}
	t->max_len = linear_max(t);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_sets(t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_coverage(t, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	xb_fixture_close(&t->fx);
	free(t);
}
