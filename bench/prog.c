// SPDX-License-Identifier: GPL-2.0
/*
 * Per-packet cost of the real xdpban program through BPF_PROG_TEST_RUN, next to two floors
 * measured in the same rounds: xb_noop (returns XDP_PASS) and xb_parse (parses the same
 * headers, then returns). Cases: miss, exact hit, prefix hit and allow hit, IPv4 and IPv6,
 * with N bans in each ban map (exact v4, exact v6, prefix v4, prefix v6) for every N asked.
 *
 * The maps are unpinned and filled through libxdpban (xb_bans_add, in large batches), as
 * the unit-test fixture does. Addresses are pseudo-random but the same every run: exact bans
 * anywhere in IPv4 unicast space but private, loopback and link-local ranges, or in 2000::/3;
 * prefix bans of random length (/20../31, /32../127) likewise; the allow list, 100 prefixes in
 * 172.16/12 and fc00::/8, is there at every N. Miss frames come from 10/8 and fd00::/8.
 *
 * BPF_PROG_TEST_RUN repeats one frame, so every lookup after the first finds its cache
 * lines warm: this is the cost of the code path, not of DRAM misses. The veth benchmark
 * spreads traffic over every banned address for that.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "frames.h"
#include "xb.h"
#include "xdpban.skel.h"
#include "floor.skel.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define PROTO_UDP 17
#define FILL_CHUNK 262144
#define ALLOW_N 100
#define MAX_SIZES 8
#define MAX_ROUNDS 31

enum kind { K_EXACT4, K_EXACT6, K_PFX4, K_PFX6, __K_MAX };
enum bcase { C_NOOP, C_PARSE, C_MISS, C_EXACT, C_PREFIX, C_ALLOW, __C_MAX };

static const char *const case_names[__C_MAX] = { "no-op",     "parse",	    "miss",
						 "exact hit", "prefix hit", "allow hit" };

struct v4set {
	__u64 *slots; /* (len << 32 | masked address) + 1; 0 = empty */
	size_t cap;
};

struct bench {
	struct xdpban_bpf *skel;
	struct floor_bpf *floor;
	struct xb_maps maps;
	int fd[__C_MAX]; /* program per case */
	__u64 rnd[__K_MAX]; /* generator state per ban kind */
	__u32 ctr4, ctrp4; /* v4 generators walk a permutation of 32 bits */
	struct v4set pfx4_seen;
	size_t loaded; /* bans per kind so far */
	struct xb_prefix first[__K_MAX]; /* ban 0 of each kind: what the hit frames use */
	struct frame frames[2][__C_MAX]; /* [v6][case] */
	/* options */
	__u64 sizes[MAX_SIZES];
	size_t n_sizes;
	__u32 repeat, rounds, call_ms;
	int only_case, only_v6; /* --only: one xdpban case (and the floors); -1 = all */
	bool exact_only; /* --exact-only: no prefix bans, no allow list: the tries are skipped */
	FILE *tsv;
};

/* ---- addresses ---- */

/* A bijection on 32 bits (lowbias32): distinct counters give distinct addresses. */
static __u32 perm32(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static bool v4_excluded(__u32 a)
{
	__u32 o = a >> 24;

	/* 0/8, 10/8, 127/8, 169.254/16, 172.16/12, 192.168/16 and multicast up */
	return o == 0 || o == 10 || o == 127 || o >= 224 || (a & 0xffff0000U) == 0xa9fe0000U ||
	       (a & 0xfff00000U) == 0xac100000U || (a & 0xffff0000U) == 0xc0a80000U;
}

static __u32 mask32(__u32 a, unsigned int len)
{
	return len ? a & ~0U << (32 - len) : 0;
}

static void set_v4(struct xb_prefix *p, __u32 host_order, __u8 len)
{
	__u32 be = htonl(host_order);

	memset(p, 0, sizeof(*p));
	p->family = 4;
	p->len = len;
	memcpy(p->addr, &be, 4);
}

static void rand_v6(__u64 *st, __u8 top, __u8 top_mask, __u8 addr[16])
{
	__u64 a = rnd_next(st), b = rnd_next(st);

	memcpy(addr, &a, 8);
	memcpy(addr + 8, &b, 8);
	addr[0] = (__u8)(top | (addr[0] & (__u8)~top_mask));
}

static void clear_host_bits(__u8 addr[16], unsigned int len)
{
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int bits = len > i * 8 ? len - i * 8 : 0;

		if (bits < 8)
			addr[i] &= (__u8)(0xff00 >> bits);
	}
}

static bool v4set_insert(struct v4set *s, __u64 key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (s->cap - 1);

	for (;; i = (i + 1) & (s->cap - 1)) {
		if (s->slots[i] == key + 1)
			return false;
		if (!s->slots[i]) {
			s->slots[i] = key + 1;
			return true;
		}
	}
}

/* The next ban of a kind; every call gives a new prefix. */
static void next_ban(struct bench *b, enum kind k, struct xb_prefix *p)
{
	__u32 a, len;

	switch (k) {
	case K_EXACT4:
		do
			a = perm32(b->ctr4++);
		while (v4_excluded(a));
		set_v4(p, a, 32);
		break;
	case K_PFX4:
		do {
			len = 20 + (__u32)(rnd_next(&b->rnd[k]) % 12);
			a = mask32(perm32(b->ctrp4++ ^ 0x5bd1e995U), len);
		} while (v4_excluded(a) || !v4set_insert(&b->pfx4_seen, (__u64)len << 32 | a));
		set_v4(p, a, (__u8)len);
		break;
	case K_EXACT6:
	case K_PFX6:
		memset(p, 0, sizeof(*p));
		p->family = 6;
		p->len = k == K_EXACT6 ? 128 : (__u8)(32 + rnd_next(&b->rnd[k]) % 96);
		rand_v6(&b->rnd[k], 0x20, 0xe0, p->addr); /* 2000::/3 */
		clear_host_bits(p->addr, p->len);
		break;
	default:
		break;
	}
}

/* ---- loading ---- */

static int open_progs(struct bench *b, __u32 max_entries)
{
	struct bpf_map *map;
	int err;

	b->skel = xdpban_bpf__open();
	if (!b->skel)
		return -errno;
	bpf_object__for_each_map(map, b->skel->obj) bpf_map__set_pin_path(map, NULL);
	/* As `banctl load --max-pfx-v4 N --max-pfx-v6 N` would: room for N of each kind. */
	if (max_entries > XB_DEF_PFX_V4_MAX) {
		bpf_map__set_max_entries(b->skel->maps.xb_pfx_v4, max_entries);
		bpf_map__set_max_entries(b->skel->maps.xb_pfx_v6, max_entries);
	}
	if (max_entries > XB_DEF_BAN_V4_MAX) {
		bpf_map__set_max_entries(b->skel->maps.xb_ban_v4, max_entries);
		bpf_map__set_max_entries(b->skel->maps.xb_ban_v6, max_entries);
	}
	err = xdpban_bpf__load(b->skel);
	if (err)
		return err;
	err = xb_log_limit_set_fd(bpf_map__fd(b->skel->maps.xb_buckets), XB_LOG_DEFAULT_INTERVAL_NS,
				  XB_LOG_DEFAULT_BURST);
	if (err)
		return err;
	b->maps.lock_fd = -1;
	for (int id = 0; id < __XB_MAP_MAX; id++)
		b->maps.fd[id] =
			bpf_map__fd(bpf_object__find_map_by_name(b->skel->obj, xb_map_names[id]));
	b->floor = floor_bpf__open_and_load();
	if (!b->floor)
		return -errno;
	b->fd[C_NOOP] = bpf_program__fd(b->floor->progs.xb_noop);
	b->fd[C_PARSE] = bpf_program__fd(b->floor->progs.xb_parse);
	for (int c = C_MISS; c < __C_MAX; c++)
		b->fd[c] = bpf_program__fd(b->skel->progs.xdpban);
	return 0;
}

/* With --only, only the maps the case reads are filled. */
static bool kind_needed(const struct bench *b, enum kind k)
{
	bool v6 = k == K_EXACT6 || k == K_PFX6;

	if (b->exact_only && (k == K_PFX4 || k == K_PFX6))
		return false;
	switch (b->only_case) {
	case -1:
		return true;
	case C_EXACT:
		return v6 == b->only_v6 && (k == K_EXACT4 || k == K_EXACT6);
	case C_PREFIX:
		return v6 == b->only_v6 && (k == K_PFX4 || k == K_PFX6);
	case C_MISS:
		return v6 == b->only_v6;
	default:
		return false;
	}
}

/* Adds bans of every kind until each map holds target of them. */
static int fill_to(struct bench *b, size_t target)
{
	struct xb_ban_req *reqs = calloc(FILL_CHUNK, sizeof(*reqs));
	size_t bad = 0;
	int err = 0;

	if (!reqs)
		return -ENOMEM;
	while (!err && b->loaded < target) {
		size_t n = target - b->loaded < FILL_CHUNK ? target - b->loaded : FILL_CHUNK;

		for (int k = 0; k < __K_MAX && !err; k++) {
			if (!kind_needed(b, (enum kind)k))
				continue;
			for (size_t i = 0; i < n; i++) {
				memset(&reqs[i], 0, sizeof(reqs[i]));
				next_ban(b, (enum kind)k, &reqs[i].pfx);
			}
			if (!b->loaded)
				b->first[k] = reqs[0].pfx;
			err = xb_bans_add(&b->maps, reqs, n, &bad);
		}
		b->loaded += n;
	}
	free(reqs);
	return err;
}

static int fill_allow(struct bench *b, struct xb_prefix *first4, struct xb_prefix *first6)
{
	struct xb_prefix p[2 * ALLOW_N];
	__u64 st = 0xa110a110;

	for (int i = 0; i < ALLOW_N; i++) {
		__u8 len = (__u8)(24 + rnd_next(&st) % 9);
		__u32 a = 0xac100000U | (__u32)(rnd_next(&st) & 0x000fffffU);

		set_v4(&p[i], mask32(a, len), len);
		memset(&p[ALLOW_N + i], 0, sizeof(p[0]));
		p[ALLOW_N + i].family = 6;
		p[ALLOW_N + i].len = (__u8)(48 + rnd_next(&st) % 81);
		rand_v6(&st, 0xfc, 0xff, p[ALLOW_N + i].addr); /* fc00::/8 */
		clear_host_bits(p[ALLOW_N + i].addr, p[ALLOW_N + i].len);
	}
	*first4 = p[0];
	*first6 = p[ALLOW_N];
	return xb_allow_add(&b->maps, p, 2 * ALLOW_N, NULL);
}

/* ---- frames ---- */

/* A host inside p other than its network address (p itself when it is a host). */
static void host_in(const struct xb_prefix *p, __u64 *st, char *text, size_t size)
{
	struct xb_prefix h = *p;
	unsigned int bits = (p->family == 4 ? 32 : 128) - p->len;

	for (unsigned int i = 0; i < bits && i < 16; i++) {
		unsigned int bit = (p->family == 4 ? 32 : 128) - 1 - i;

		if (i == 0 || rnd_next(st) & 1)
			h.addr[bit / 8] |= (__u8)(0x80 >> (bit % 8));
	}
	h.len = p->family == 4 ? 32 : 128;
	xb_prefix_format(&h, text, size);
	text[strcspn(text, "/")] = '\0';
}

static void build(struct frame *f, bool v6, const char *src)
{
	frame_init(f);
	frame_eth(f, v6 ? ETH_P_IPV6 : ETH_P_IP);
	if (v6)
		frame_ipv6(f, src, "2001:db8:1::1", PROTO_UDP);
	else
		frame_ipv4(f, src, "198.51.100.1", PROTO_UDP, 0, false, 0);
	frame_udp(f, 5353, 53, 12);
	frame_finish(f);
}

static void build_frames(struct bench *b, const struct xb_prefix *allow4,
			 const struct xb_prefix *allow6)
{
	const struct xb_prefix *hit[2][__C_MAX] = {
		{ [C_EXACT] = &b->first[K_EXACT4],
		  [C_PREFIX] = &b->first[K_PFX4],
		  [C_ALLOW] = allow4 },
		{ [C_EXACT] = &b->first[K_EXACT6],
		  [C_PREFIX] = &b->first[K_PFX6],
		  [C_ALLOW] = allow6 },
	};
	__u64 st = 0xf4a3e5;
	char text[XB_PREFIX_STRLEN];

	for (int v6 = 0; v6 < 2; v6++) {
		for (int c = 0; c < __C_MAX; c++) {
			/* family 0: a kind left empty (no bans yet, or not needed by --only) */
			if (hit[v6][c] && hit[v6][c]->family)
				host_in(hit[v6][c], &st, text, sizeof(text));
			else
				snprintf(text, sizeof(text), v6 ? "fd00:1234::%x" : "10.%u.0.1",
					 (unsigned int)(rnd_next(&st) & 0xff));
			build(&b->frames[v6][c], v6, text);
		}
	}
}

/* ---- running ---- */

static int run_once(int fd, const struct frame *f, __u32 repeat, __u32 *ns, __u32 *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->buf, .data_size_in = (__u32)f->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*ns = o.duration;
	*ret = o.retval;
	return 0;
}

static size_t counter_off(int v6, enum bcase c)
{
	switch (c) {
	case C_MISS:
		return v6 ? offsetof(struct xb_counters, passed_v6.packets)
			  : offsetof(struct xb_counters, passed_v4.packets);
	case C_EXACT:
		return offsetof(struct xb_counters, dropped_exact);
	case C_PREFIX:
		return offsetof(struct xb_counters, dropped_prefix);
	default:
		return v6 ? offsetof(struct xb_counters, allowed_v6.packets)
			  : offsetof(struct xb_counters, allowed_v4.packets);
	}
}

static bool skipped(struct bench *b, int v6, int c)
{
	if (!b->loaded && (c == C_EXACT || c == C_PREFIX))
		return true;
	if (b->exact_only && (c == C_PREFIX || c == C_ALLOW))
		return true;
	if (b->only_case < 0)
		return false;
	return c != b->only_case || v6 != b->only_v6;
}

/* Each xdpban case once: the verdict and the counter that says why must be right. */
static int check_cases(struct bench *b)
{
	for (int v6 = 0; v6 < 2; v6++) {
		for (int c = C_MISS; c < __C_MAX; c++) {
			struct xb_counters before = {}, after = {};
			__u32 ns, ret, want = c == C_EXACT || c == C_PREFIX ? XDP_DROP : XDP_PASS;
			size_t off = counter_off(v6, c);
			int err;

			if (skipped(b, v6, c))
				continue;
			xb_counters_read(&b->maps, 0, &before);
			err = run_once(b->fd[c], &b->frames[v6][c], 1, &ns, &ret);
			xb_counters_read(&b->maps, 0, &after);
			if (err)
				return err;
			if (ret != want || *(__u64 *)((char *)&after + off) !=
						   *(__u64 *)((char *)&before + off) + 1) {
				fprintf(stderr, "xb_bench prog: IPv%d %s: verdict %u, want %u\n",
					v6 ? 6 : 4, case_names[c], ret, want);
				return -EPROTO;
			}
		}
	}
	return 0;
}

/*
 * Calls of about call_ms each: a case ten times slower than another gets a tenth of its
 * repeats, so slow cases do not stretch the run and fast ones still average over millions.
 */
static __u32 repeat_for(struct bench *b, int fd, const struct frame *f)
{
	__u32 ns = 0, ret, r;

	if (run_once(fd, f, 10000, &ns, &ret) || !ns)
		return b->repeat;
	r = (__u32)(b->call_ms * 1000000ULL / ns);
	return r < 10000 ? 10000 : r > b->repeat ? b->repeat : r;
}

/* Median ns/packet of every case over the rounds, cases interleaved within each round. */
static int measure(struct bench *b, __u32 med[2][__C_MAX])
{
	static __u64 ns[2][__C_MAX][MAX_ROUNDS];
	__u32 rep[2][__C_MAX];

	for (__u32 r = 0; r < b->rounds; r++) {
		for (int v6 = 0; v6 < 2; v6++) {
			for (int c = 0; c < __C_MAX; c++) {
				const struct frame *f = &b->frames[v6][c < C_MISS ? C_MISS : c];
				__u32 d = 0, ret;
				int err;

				if (skipped(b, v6, c))
					continue;
				if (!r)
					rep[v6][c] = repeat_for(b, b->fd[c], f);
				err = run_once(b->fd[c], f, rep[v6][c], &d, &ret);
				if (err)
					return err;
				ns[v6][c][r] = d;
			}
		}
	}
	for (int v6 = 0; v6 < 2; v6++)
		for (int c = 0; c < __C_MAX; c++)
			med[v6][c] =
				skipped(b, v6, c) ? 0 : (__u32)median_u64(ns[v6][c], b->rounds);
	return 0;
}

/* ---- output ---- */

static void print_header(void)
{
	printf("| family | bans/map | no-op | parse | miss | exact hit | prefix hit | allow hit "
	       "|\n");
	printf("|---|--:|--:|--:|--:|--:|--:|--:|\n");
}

static void print_row(struct bench *b, int v6, __u32 med[__C_MAX])
{
	printf("| IPv%d | %zu | %u | %u", v6 ? 6 : 4, b->loaded, med[C_NOOP], med[C_PARSE]);
	for (int c = C_MISS; c < __C_MAX; c++) {
		if (skipped(b, v6, c))
			printf(" | n/a");
		else
			printf(" | %u (+%d)", med[c], (int)med[c] - (int)med[C_NOOP]);
	}
	printf(" |\n");
	if (!b->tsv)
		return;
	for (int c = 0; c < __C_MAX; c++) {
		if (skipped(b, v6, c))
			continue;
		fprintf(b->tsv, "%s\t%d\t%zu\t%s\t%u\t%u\t%u\n", b->exact_only ? "progx" : "prog",
			v6 ? 6 : 4, b->loaded, case_names[c], med[c], med[C_NOOP], med[C_PARSE]);
	}
}

static void print_memory(struct bench *b)
{
	static const struct {
		enum xb_map_id id;
		const char *what;
	} m[] = {
		{ XB_BAN_V4, "exact IPv4 (hash)" },
		{ XB_BAN_V6, "exact IPv6 (hash)" },
		{ XB_PFX_V4, "prefix IPv4 (LPM trie)" },
		{ XB_PFX_V6, "prefix IPv6 (LPM trie)" },
	};

	printf("\n| map | entries | memlock (fdinfo) | bytes/entry |\n");
	printf("|---|--:|--:|--:|\n");
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		__u64 bytes = 0;

		fd_memlock(b->maps.fd[m[i].id], &bytes);
		printf("| %s `%s` | %zu | %.1f MiB | %.0f |\n", m[i].what, xb_map_names[m[i].id],
		       b->loaded, bytes / 1048576.0,
		       b->loaded ? (double)bytes / (double)b->loaded : 0);
		if (b->tsv)
			fprintf(b->tsv, "mem\t%s\t%zu\t%llu\n", xb_map_names[m[i].id], b->loaded,
				(unsigned long long)bytes);
	}
}

/* xb_bench addrs N [SEED]: N distinct IPv4 hosts, as the exact-ban generator makes them. */
int do_addrs(int argc, char **argv)
{
	struct bench b = {};
	__u64 n, seed = 0;
	struct xb_prefix p;
	char text[XB_PREFIX_STRLEN];

	if (argc < 2 || argc > 3 || parse_count(argv[1], &n) || n > 100000000 ||
	    (argc == 3 && parse_count(argv[2], &seed))) {
		fprintf(stderr, "Usage: xb_bench addrs N [SEED]\n");
		return -EUSAGE;
	}
	b.ctr4 = (__u32)(seed * 0x10000000ULL);
	for (__u64 i = 0; i < n; i++) {
		next_ban(&b, K_EXACT4, &p);
		xb_prefix_format(&p, text, sizeof(text));
		text[strcspn(text, "/")] = '\0';
		if (puts(text) == EOF)
			return -EIO;
	}
	return 0;
}

/* ---- the command ---- */

static int parse_sizes(struct bench *b, char *text)
{
	char *save = NULL;

	b->n_sizes = 0;
	for (char *t = strtok_r(text, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (b->n_sizes == MAX_SIZES || parse_count(t, &b->sizes[b->n_sizes]))
			return -EUSAGE;
		if (b->n_sizes && b->sizes[b->n_sizes] < b->sizes[b->n_sizes - 1])
			return -EUSAGE;
		b->n_sizes++;
	}
	return b->n_sizes ? 0 : -EUSAGE;
}

static int parse_only(struct bench *b, const char *text)
{
	static const char *const names[__C_MAX] = {
		[C_MISS] = "miss", [C_EXACT] = "exact", [C_PREFIX] = "prefix", [C_ALLOW] = "allow"
	};

	if ((text[0] != '4' && text[0] != '6') || text[1] != ':')
		return -EUSAGE;
	for (int c = C_MISS; c < __C_MAX; c++) {
		if (!strcmp(text + 2, names[c])) {
			b->only_case = c;
			b->only_v6 = text[0] == '6';
			return 0;
		}
	}
	return -EUSAGE;
}

static int prog_usage(void)
{
	fprintf(stderr,
		"Usage: xb_bench prog [--sizes N,N,...] [--repeat N] [--call-ms MS] [--rounds N]\n"
		"                     [--only 4|6:CASE] [--exact-only] [--tsv FILE]\n"
		"Per-packet ns through BPF_PROG_TEST_RUN; sizes ascending, k/M suffixes allowed\n"
		"(default 0,1k,10k,100k,1M); each call repeats the frame for about MS ms\n"
		"(default 30) but at most N times (default 2M); rounds (default 5, median\n"
		"reported). --only runs one xdpban case (miss, exact, prefix, allow) and\n"
		"nothing else, for profiling. --exact-only loads exact bans only and no allow\n"
		"list (the program skips the empty tries). Markdown on stdout, raw numbers in\n"
		"the TSV file.\n");
	return -EUSAGE;
}

static int parse_opts(struct bench *b, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "tsv", required_argument, NULL, 't' },
		{ "call-ms", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "exact-only", no_argument, NULL, 'x' },
		{ 0 },
	};
	char def[] = "0,1k,10k,100k,1M";
	__u64 v;
	int opt;

	if (parse_sizes(b, def))
		return -EUSAGE;
	b->repeat = 2000000;
	b->rounds = 5;
	b->call_ms = 30;
	b->only_case = -1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((opt == 's' && !parse_sizes(b, optarg)) ||
		    (opt == 'o' && !parse_only(b, optarg)))
			continue;
		if (opt == 'x') {
			b->exact_only = true;
			continue;
		}
		if (opt == 'c' && !parse_count(optarg, &v) && v && v <= 10000)
			b->call_ms = (__u32)v;
		else if (opt == 'r' && !parse_count(optarg, &v) && v && v <= 100000000)
			b->repeat = (__u32)v;
		else if (opt == 'n' && !parse_count(optarg, &v) && v && v <= MAX_ROUNDS)
			b->rounds = (__u32)v;
		else if (opt == 't' && (b->tsv = fopen(optarg, "we")))
			continue;
		else
			return prog_usage();
	}
	return optind == argc ? 0 : prog_usage();
}

static int run_sizes(struct bench *b)
{
	struct xb_prefix allow4, allow6;
	__u32 med[2][__C_MAX];
	int err;

	memset(&allow4, 0, sizeof(allow4));
	memset(&allow6, 0, sizeof(allow6));
	err = b->exact_only ? 0 : fill_allow(b, &allow4, &allow6);
	for (size_t i = 0; !err && i < b->n_sizes; i++) {
		err = fill_to(b, b->sizes[i]);
		if (err)
			break;
		if (i == 0 || b->sizes[i - 1] == 0)
			build_frames(b, &allow4, &allow6);
		err = check_cases(b);
		if (!err) {
			/* bench/run.sh starts its profiler on this line. */
			fprintf(stderr, "xb_bench prog: measuring %zu bans/map\n", b->loaded);
			err = measure(b, med);
		}
		if (err)
			break;
		if (i == 0)
			print_header();
		print_row(b, 0, med[0]);
		print_row(b, 1, med[1]);
		fflush(stdout);
	}
	if (!err && b->only_case < 0 && !b->exact_only)
		print_memory(b);
	return err;
}

int do_prog(int argc, char **argv)
{
	struct bench b = { .rnd = { 1, 2, 3, 4 } };
	int err;

	err = parse_opts(&b, argc, argv);
	if (err)
		goto cleanup;
	b.pfx4_seen.cap = 1;
	while (b.pfx4_seen.cap < 2 * b.sizes[b.n_sizes - 1] + 2)
		b.pfx4_seen.cap <<= 1;
	b.pfx4_seen.slots = calloc(b.pfx4_seen.cap, sizeof(__u64));
	err = b.pfx4_seen.slots ? open_progs(&b, (__u32)b.sizes[b.n_sizes - 1]) : -ENOMEM;
	if (err) {
		fprintf(stderr, "xb_bench prog: cannot load the programs: %s\n", strerror(-err));
		goto cleanup;
	}
	err = run_sizes(&b);
	if (err)
		fprintf(stderr, "xb_bench prog: %s\n", strerror(-err));
cleanup:
	if (b.tsv)
		fclose(b.tsv);
	free(b.pfx4_seen.slots);
	floor_bpf__destroy(b.floor);
	xdpban_bpf__destroy(b.skel);
	return err;
}
