// SPDX-License-Identifier: GPL-2.0
/*
 * The veth and ban-loading benchmarks' helpers: create the pinned maps without attaching,
 * attach a bare XDP_DROP, and send frames with BPF_F_TEST_XDP_LIVE_FRAMES.
 */
#define _GNU_SOURCE /* sched_getcpu */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sched.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "frames.h"
#include "xb.h"
#include "floor.skel.h"

#define ETH_P_IP 0x0800
#define PROTO_UDP 17
#define TXGEN_MAX (1U << 24)
#define CALIBRATE_FRAMES 300000

/* xb_bench mkmaps DIR [N]: the maps of a fresh `banctl load`, capacities N (default 1M). */
int do_mkmaps(int argc, char **argv)
{
	struct xb_load_opts o = {};
	__u64 n = 0;
	int err;

	if (argc < 2 || argc > 3 || (argc == 3 && (parse_count(argv[2], &n) || n > UINT32_MAX))) {
		fprintf(stderr, "Usage: xb_bench mkmaps PIN_DIR [CAPACITY]\n");
		return -EUSAGE;
	}
	o.max_ban_v4 = o.max_ban_v6 = o.max_pfx_v4 = o.max_pfx_v6 = (__u32)n;
	err = xb_maps_create(argv[1], &o);
	if (err)
		fprintf(stderr, "xb_bench mkmaps: %s\n", strerror(-err));
	return err;
}

/* One IPv4 address per line (at most TXGEN_MAX), in network order. */
static int read_v4_list(const char *path, __be32 **out, __u32 *n)
{
	__be32 *a = calloc(TXGEN_MAX, sizeof(*a));
	FILE *f = fopen(path, "re");
	char line[128];
	int err = 0;

	*n = 0;
	if (!a || !f) {
		err = a ? -errno : -ENOMEM;
		goto out;
	}
	while (fgets(line, sizeof(line), f) && *n < TXGEN_MAX) {
		struct in_addr in;

		line[strcspn(line, " \t\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (inet_pton(AF_INET, line, &in) != 1) {
			fprintf(stderr, "xb_bench: %s: not an IPv4 address: %s\n", path, line);
			err = -EINVAL;
			goto out;
		}
		a[(*n)++] = in.s_addr;
	}
	if (!*n)
		err = -ENODATA;
out:
	if (f)
		fclose(f);
	if (err)
		free(a);
	else
		*out = a;
	return err;
}

/* Fills ref_bans with the addresses in path. */
static int fill_ref(struct floor_bpf *skel, const char *path)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__be32 *addrs = NULL;
	__u32 *vals = NULL, n = 0, cnt;
	int err;

	err = read_v4_list(path, &addrs, &n);
	if (!err && !(vals = calloc(n, sizeof(*vals))))
		err = -ENOMEM;
	for (__u32 i = 0; !err && i < n; i += cnt) {
		cnt = n - i < 65536 ? n - i : 65536;
		if (bpf_map_update_batch(bpf_map__fd(skel->maps.ref_bans), &addrs[i], &vals[i],
					 &cnt, &bo))
			err = -errno;
	}
	free(addrs);
	free(vals);
	return err;
}

/*
 * xb_bench xdpdrop IFNAME [off]: the bare XDP_DROP, native mode, left attached when this
 * process exits. xb_bench xdpdrop IFNAME --hash FILE: the straightforward hash filter
 * instead, its map (capacity 1M, as xdpban's) holding FILE's addresses.
 */
int do_xdpdrop(int argc, char **argv)
{
	struct floor_bpf *skel = NULL;
	unsigned int ifindex;
	bool hash = argc == 4 && !strcmp(argv[2], "--hash");
	int err;

	if (argc < 2 || argc > 4 || (argc == 3 && strcmp(argv[2], "off")) || (argc == 4 && !hash)) {
		fprintf(stderr, "Usage: xb_bench xdpdrop IFNAME [off | --hash FILE]\n");
		return -EUSAGE;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "xb_bench xdpdrop: no interface %s\n", argv[1]);
		return -ENODEV;
	}
	if (argc == 3) {
		err = bpf_xdp_detach((int)ifindex, XDP_FLAGS_DRV_MODE, NULL);
		goto out;
	}
	skel = floor_bpf__open();
	err = skel ? 0 : -errno;
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.ref_bans, XB_DEF_BAN_V4_MAX);
	if (!err)
		err = floor_bpf__load(skel);
	if (!err && hash)
		err = fill_ref(skel, argv[3]);
	if (!err)
		err = bpf_xdp_attach(
			(int)ifindex,
			bpf_program__fd(hash ? skel->progs.xb_hash : skel->progs.xb_drop),
			XDP_FLAGS_DRV_MODE, NULL);
out:
	if (err)
		fprintf(stderr, "xb_bench xdpdrop %s: %s\n", argv[1], strerror(-err));
	floor_bpf__destroy(skel);
	return err;
}

/* ---- txgen ---- */

struct txgen {
	const char *ifname, *addr_file, *dst;
	__u8 smac[6], dmac[6];
	double seconds;
	__u32 batch, calib;
	struct frame tmpl;
	struct floor_bpf *skel;
	__u32 n;
};

struct txgen_addr {
	__be32 saddr;
	__u16 check;
	__u16 pad;
};

static int parse_mac(const char *text, __u8 mac[6])
{
	unsigned int m[6];

	if (sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)m[i];
	return 0;
}

/* The addresses of the file, each with the template's IPv4 header checksum for it. */
static int load_addrs(struct txgen *t, struct txgen_addr **out)
{
	struct frame fr = t->tmpl;
	struct txgen_addr *a;
	__be32 *v4;
	int err;

	err = read_v4_list(t->addr_file, &v4, &t->n);
	if (err)
		return err;
	a = calloc(t->n, sizeof(*a));
	if (!a) {
		free(v4);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < t->n; i++) {
		memcpy(fr.buf + FRAME_ETH_LEN + 12, &v4[i], 4);
		frame_put16(&fr, FRAME_ETH_LEN + 10, 0);
		frame_put16(&fr, FRAME_ETH_LEN + 10, frame_csum(fr.buf + FRAME_ETH_LEN, 20));
		a[i].saddr = v4[i];
		memcpy(&a[i].check, fr.buf + FRAME_ETH_LEN + 10, 2);
	}
	free(v4);
	*out = a;
	return 0;
}

static void build_template(struct txgen *t)
{
	frame_init(&t->tmpl);
	frame_eth(&t->tmpl, ETH_P_IP);
	frame_ipv4(&t->tmpl, "192.0.2.1", t->dst, PROTO_UDP, 0, false, 0);
	frame_udp(&t->tmpl, 40000, 9, 18); /* 64-byte frame with the FCS the wire would add */
	frame_finish(&t->tmpl);
	frame_put16(&t->tmpl, FRAME_ETH_LEN + 20 + 6, 0); /* no UDP checksum: one per address */
	memcpy(t->tmpl.buf, t->dmac, 6);
	memcpy(t->tmpl.buf + 6, t->smac, 6);
}

static int txgen_load(struct txgen *t)
{
	struct txgen_addr *a = NULL;
	int err, fd;

	build_template(t);
	err = load_addrs(t, &a);
	if (err)
		return err;
	t->skel = floor_bpf__open();
	err = t->skel ? 0 : -errno;
	if (!err)
		err = bpf_map__set_max_entries(t->skel->maps.txgen_addrs, t->n);
	if (!err) {
		t->skel->rodata->txgen_n = t->n;
		err = floor_bpf__load(t->skel);
	}
	fd = err ? -1 : bpf_map__fd(t->skel->maps.txgen_addrs);
	for (__u32 i = 0; !err && i < t->n; i += 65536) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo);
		__u32 *keys = calloc(65536, sizeof(*keys)),
		      cnt = t->n - i < 65536 ? t->n - i : 65536;

		if (!keys) {
			err = -ENOMEM;
			break;
		}
		for (__u32 k = 0; k < cnt; k++)
			keys[k] = i + k;
		if (bpf_map_update_batch(fd, keys, &a[i], &cnt, &bo))
			err = -errno;
		free(keys);
	}
	free(a);
	return err;
}

/*
 * This CPU's system and softirq time from /proc/stat, in ns (tick-sampled, 10 ms units),
 * and this task's own time on the CPU from /proc/self/schedstat (exact; it includes the
 * softirqs that ran in its context).
 */
struct cpu_times {
	__u64 system_ns, softirq_ns, task_ns;
};

static int task_ns_read(__u64 *ns)
{
	unsigned long long v;
	FILE *f = fopen("/proc/thread-self/schedstat", "re");
	int err = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%llu", &v) == 1)
		*ns = v;
	else
		err = -EIO;
	fclose(f);
	return err;
}

static int cpu_times_read(int cpu, struct cpu_times *ct)
{
	unsigned long long v[7];
	char want[16], line[512];
	int err = -ENOENT;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "cpu%d ", cpu);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, strlen(want)))
			continue;
		if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6]) == 7) {
			ct->system_ns = v[2] * 1000000000ULL / (__u64)hz;
			ct->softirq_ns = v[6] * 1000000000ULL / (__u64)hz;
			err = 0;
		}
		break;
	}
	fclose(f);
	return err ? err : task_ns_read(&ct->task_ns);
}

static int txgen_run(struct txgen *t, __u32 frames, __u64 *elapsed_ns)
{
	/* The kernel wants data_end to be the frame's length. */
	struct xdp_md ctx = { .data_end = (__u32)t->tmpl.len,
			      .ingress_ifindex = if_nametoindex(t->ifname) };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = t->tmpl.buf,
		    .data_size_in = (__u32)t->tmpl.len, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = frames, .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = t->batch);
	__u64 t0 = now_ns();

	if (!ctx.ingress_ifindex)
		return -ENODEV;
	if (bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.xb_txgen), &o))
		return -errno;
	*elapsed_ns = now_ns() - t0;
	return 0;
}

static int txgen_opts(struct txgen *t, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "addrs", required_argument, NULL, 'a' },
		{ "dst", required_argument, NULL, 'd' },
		{ "smac", required_argument, NULL, 's' },
		{ "dmac", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "calib", required_argument, NULL, 'c' },
		{ 0 },
	};
	int opt, bad = 0;

	t->seconds = 3;
	t->batch = 64;
	t->calib = CALIBRATE_FRAMES;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'i')
			t->ifname = optarg;
		else if (opt == 'a')
			t->addr_file = optarg;
		else if (opt == 'd')
			t->dst = optarg;
		else if (opt == 's')
			bad |= parse_mac(optarg, t->smac);
		else if (opt == 'm')
			bad |= parse_mac(optarg, t->dmac);
		else if (opt == 't')
			t->seconds = atof(optarg);
		else if (opt == 'b')
			t->batch = (__u32)atoi(optarg);
		else if (opt == 'c')
			t->calib = (__u32)atoi(optarg);
		else
			bad = 1;
	}
	if (bad || optind != argc || !t->ifname || !t->addr_file || !t->dst || t->seconds <= 0 ||
	    t->batch < 1 || t->batch > 256 || t->calib < 1000) {
		fprintf(stderr,
			"Usage: xb_bench txgen --ifname IF --addrs FILE --dst IPV4 --smac MAC"
			" --dmac MAC [--seconds S] [--batch N] [--calib FRAMES]\n");
		return -EUSAGE;
	}
	return 0;
}

/*
 * Sends frames out of ifname (to its veth peer) for about --seconds, from each source in
 * the file in turn, as one long call after a calibration call. Prints one line of key=value:
 * frames and ns of the long call, calib_frames sent before it, the system and softirq time
 * of this CPU and this task's own CPU time during the long call.
 */
int do_txgen(int argc, char **argv)
{
	struct txgen t = {};
	struct cpu_times c0 = {}, c1 = {};
	__u64 ns = 0, cal_ns = 0, frames;
	int err, cpu;

	err = txgen_opts(&t, argc, argv);
	if (err)
		return err;
	err = txgen_load(&t);
	if (!err)
		err = txgen_run(&t, t.calib, &cal_ns);
	if (err)
		goto out;
	frames = (__u64)(t.seconds * t.calib * 1e9 / (double)(cal_ns ? cal_ns : 1));
	frames = frames < t.calib ? t.calib : frames;
	/* Every address at least once, so the traffic spreads over all of them. */
	frames = frames < t.n ? t.n : frames;
	frames = frames > UINT32_MAX ? UINT32_MAX : frames;
	/* Pinned by the caller (taskset), so the receive softirq runs on this CPU too. */
	cpu = sched_getcpu();
	err = cpu_times_read(cpu, &c0);
	if (!err)
		err = txgen_run(&t, (__u32)frames, &ns);
	if (!err && sched_getcpu() != cpu)
		err = -EAGAIN; /* migrated: the CPU times would be someone else's */
	if (!err)
		err = cpu_times_read(cpu, &c1);
	if (!err)
		printf("frames=%llu ns=%llu calib_frames=%u cpu=%d system_ns=%llu softirq_ns=%llu "
		       "task_ns=%llu addrs=%u\n",
		       (unsigned long long)frames, (unsigned long long)ns, t.calib, cpu,
		       (unsigned long long)(c1.system_ns - c0.system_ns),
		       (unsigned long long)(c1.softirq_ns - c0.softirq_ns),
		       (unsigned long long)(c1.task_ns - c0.task_ns), t.n);
out:
	if (err)
		fprintf(stderr, "xb_bench txgen: %s\n", strerror(-err));
	floor_bpf__destroy(t.skel);
	return err;
}
