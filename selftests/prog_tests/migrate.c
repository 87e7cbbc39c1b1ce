// SPDX-License-Identifier: GPL-2.0
/*
 * Layout migration and resizing: maps pinned by layout 1 (selftests/progs/xb_layout1.bpf.c)
 * carried into this build's, every entry kept and converted; capacities changed with the
 * bans kept; what cannot be migrated refused with nothing changed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "test_progs.h"
#include "frames.h"
#include "layout1.h"
#include "xdpban.skel.h"

struct pin_fx {
	char dir[32];
	bool mounted;
};

static bool pin_fx_open(struct pin_fx *p)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/xb-migrate.XXXXXX");
	if (!ASSERT_OK_PTR(mkdtemp(p->dir), "mkdtemp"))
		return false;
	p->mounted = !mount("bpf", p->dir, "bpf", 0, "mode=0700");
	return ASSERT_TRUE(p->mounted, "mount a private bpffs");
}

static void pin_fx_close(struct pin_fx *p)
{
	if (p->mounted)
		umount2(p->dir, MNT_DETACH);
	rmdir(p->dir);
}

static int pinned_info(const char *dir, const char *name, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	char path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		err = -errno;
	close(fd);
	return err;
}

static const struct xb_ban_entry *find_ban(const struct xb_ban_entry *e, size_t n, const char *text)
{
	char buf[XB_PREFIX_STRLEN];

	for (size_t i = 0; i < n; i++) {
		xb_prefix_format(&e[i].pfx, buf, sizeof(buf));
		if (!strcmp(buf, text))
			return &e[i];
	}
	return NULL;
}

/* The verdict of the current program, loaded over the maps pinned in dir, on one frame. */
static int verdict(const char *dir, const char *src)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = dir);
	static unsigned char out[2048];
	struct xdpban_bpf *skel = xdpban_bpf__open_opts(&oo);
	struct frame f;
	int rc;

	if (!skel)
		return -errno;
	rc = xdpban_bpf__load(skel);
	if (!rc) {
		LIBBPF_OPTS(bpf_test_run_opts, to, .data_out = out, .data_size_out = sizeof(out),
			    .repeat = 1);

		to.data_size_in = (__u32)frame_udp_from(&f, src);
		to.data_in = f.buf;
		rc = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdpban), &to)
			     ? -errno
			     : (int)to.retval;
	}
	xdpban_bpf__destroy(skel);
	return rc;
}

static void set_counter(const char *dir, __u64 dropped)
{
	int ncpus = libbpf_num_possible_cpus(), fd;
	struct xb_counters *c = calloc((size_t)ncpus, sizeof(*c));
	char path[PATH_MAX];
	__u32 slot = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, XB_MAP_COUNTERS);
	fd = bpf_obj_get(path);
	if (c && fd >= 0) {
		c[0].dropped_v4.packets = dropped;
		bpf_map_update_elem(fd, &slot, c, BPF_ANY);
	}
	if (fd >= 0)
		close(fd);
	free(c);
}

/* Every kind of entry of layout 1 arrives in layout 2, and the program judges by it. */
static void test_layout1(void)
{
	struct xb_load_opts lo = {};
	struct xb_ban_entry *bans = NULL;
	struct xb_allow_entry *allows = NULL;
	const struct xb_ban_entry *b;
	struct bpf_map_info info;
	struct xb_counters cnt;
	struct xb_maps maps;
	struct pin_fx p;
	__u64 interval = 0;
	__u32 burst = 0, from = 0;
	size_t n = 0, na = 0;

	if (!pin_fx_open(&p))
		return;
	if (!ASSERT_OK(layout1_create(p.dir, NULL), "layout-1 maps"))
		goto out;
	ASSERT_OK(layout1_add(p.dir, "203.0.113.1", 3600, "exact", false), "exact v4");
	ASSERT_OK(layout1_add(p.dir, "198.51.100.0/24", 0, "net", false), "prefix v4");
	ASSERT_OK(layout1_add(p.dir, "2001:db8::1", 0, "exact6", false), "exact v6");
	ASSERT_OK(layout1_add(p.dir, "2001:db8:1::/48", 0, "net6", false), "prefix v6");
	ASSERT_OK(layout1_add(p.dir, "10.0.0.0/8", 0, "wide", false), "wide prefix");
	ASSERT_OK(layout1_add(p.dir, "10.1.0.0/16", 0, NULL, true), "allow v4");
	ASSERT_OK(layout1_add(p.dir, "2001:db8:1:2::/64", 0, NULL, true), "allow v6");
	set_counter(p.dir, 42);
	{
		char path[PATH_MAX];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", p.dir, XB_MAP_BUCKETS);
		fd = bpf_obj_get(path);
		ASSERT_OK(xb_log_limit_set_fd(fd, 1000000000ULL, 3), "layout-1 log rate");
		close(fd);
	}
	ASSERT_EQ(xb_maps_open(&maps, p.dir, false), -EPROTO, "layout 1 refused unmigrated");

	ASSERT_EQ(xb_migrate_needed(p.dir, &lo, &from), 1, "migration needed");
	ASSERT_EQ(from, 1, "from layout 1");
	if (!ASSERT_OK(xb_maps_create(p.dir, &lo), "load migrates"))
		goto out;
	ASSERT_EQ(xb_migrate_needed(p.dir, &lo, NULL), 0, "nothing left to migrate");
	if (ASSERT_OK(pinned_info(p.dir, XB_MAP_PFX_V4, &info), "pfx_v4 pinned"))
		ASSERT_EQ(info.key_size, sizeof(struct xb_lpm_v4_key), "pfx_v4 key of layout 2");
	if (ASSERT_OK(pinned_info(p.dir, XB_MAP_META, &info), "meta pinned"))
		ASSERT_EQ(info.value_size, sizeof(struct xb_meta), "meta of layout 2");
	ASSERT_ERR(access(strcat(strcpy((char[64]){ 0 }, p.dir), "/xb_migrating"), F_OK),
		   "staging dir gone");

	if (!ASSERT_OK(xb_maps_open(&maps, p.dir, false), "migrated maps open"))
		goto out;
	if (ASSERT_OK(xb_bans_list(&maps, &bans, &n), "list")) {
		ASSERT_EQ(n, 5, "every ban kept");
		b = find_ban(bans, n, "203.0.113.1/32");
		if (ASSERT_OK_PTR(b, "exact v4 kept")) {
			ASSERT_STREQ(b->ban.reason, "exact", "its reason");
			ASSERT_GT(b->ban.expires_ns, xb_now_boot_ns() + 3500ULL * 1000000000ULL,
				  "its remaining time");
		}
		b = find_ban(bans, n, "198.51.100.0/24");
		if (ASSERT_OK_PTR(b, "prefix v4 kept"))
			ASSERT_EQ(b->ban.prefixlen, 24, "its prefix length");
		ASSERT_OK_PTR(find_ban(bans, n, "2001:db8::1/128"), "exact v6 kept");
		ASSERT_OK_PTR(find_ban(bans, n, "2001:db8:1::/48"), "prefix v6 kept");
		ASSERT_OK_PTR(find_ban(bans, n, "10.0.0.0/8"), "wide prefix kept");
	}
	if (ASSERT_OK(xb_allow_list(&maps, &allows, &na), "allow list"))
		ASSERT_EQ(na, 2, "allow entries kept");
	if (ASSERT_OK(xb_counters_read(&maps, 0, &cnt), "counters"))
		ASSERT_EQ(cnt.dropped_v4.packets, 42, "counters kept");
	if (ASSERT_OK(xb_log_limit_get(&maps, &interval, &burst), "log rate")) {
		ASSERT_EQ(interval, 1000000000ULL, "log interval kept");
		ASSERT_EQ(burst, 3, "log burst kept");
	}
	{
		struct xb_meta meta = {};
		__u32 key = 0;

		ASSERT_OK(bpf_map_lookup_elem(maps.fd[XB_META], &key, &meta), "meta");
		ASSERT_EQ(meta.layout_version, XB_LAYOUT_VERSION, "stamped layout");
		ASSERT_EQ(meta.migrated_from, 1, "migrated from 1");
		ASSERT_GT(meta.migrated_at, 0, "migration time");
		ASSERT_GT(meta.created_at, 0, "creation time kept");
	}
	xb_maps_close(&maps);

	ASSERT_EQ(verdict(p.dir, "198.51.100.9"), XDP_DROP, "prefix ban drops (padded key)");
	ASSERT_EQ(verdict(p.dir, "203.0.113.1"), XDP_DROP, "exact ban drops");
	ASSERT_EQ(verdict(p.dir, "10.2.3.4"), XDP_DROP, "wide prefix drops");
	ASSERT_EQ(verdict(p.dir, "10.1.3.4"), XDP_PASS, "allow list wins (padded key)");
	ASSERT_EQ(verdict(p.dir, "2001:db8:1:5::9"), XDP_DROP, "prefix v6 drops");
	ASSERT_EQ(verdict(p.dir, "2001:db8:1:2::9"), XDP_PASS, "allow v6 wins");
	ASSERT_EQ(verdict(p.dir, "192.0.2.77"), XDP_PASS, "unbanned passes");
out:
	free(bans);
	free(allows);
	xb_unload_all(p.dir);
	pin_fx_close(&p);
}

static int add_hosts(struct xb_maps *maps, int count)
{
	struct xb_ban_req *r = calloc((size_t)count, sizeof(*r));
	char text[32];
	int err;

	if (!r)
		return -ENOMEM;
	for (int i = 0; i < count; i++) {
		snprintf(text, sizeof(text), "10.9.%d.%d", i / 250, i % 250 + 1);
		xb_prefix_parse(text, &r[i].pfx, NULL);
		snprintf(r[i].reason, sizeof(r[i].reason), "host %d", i);
	}
	err = xb_bans_add(maps, r, (size_t)count, NULL);
	free(r);
	return err;
}

static __u32 count_bans(const char *dir)
{
	struct xb_ban_entry *e = NULL;
	struct xb_maps maps;
	size_t n = 0;

	if (xb_maps_open(&maps, dir, false))
		return 0;
	xb_bans_list(&maps, &e, &n);
	xb_maps_close(&maps);
	free(e);
	return (__u32)n;
}

/* A load asking for other capacities resizes the maps and keeps the bans; too small fails. */
static void test_resize(void)
{
	struct xb_load_opts lo = { .max_ban_v4 = 1024 };
	struct bpf_map_info info;
	struct xb_maps maps;
	struct pin_fx p;

	if (!pin_fx_open(&p))
		return;
	if (!ASSERT_OK(xb_maps_create(p.dir, &lo), "create at 1024"))
		goto out;
	if (!ASSERT_OK(xb_maps_open(&maps, p.dir, true), "open"))
		goto out;
	ASSERT_OK(add_hosts(&maps, 1000), "1000 bans");
	xb_maps_close(&maps);

	lo.max_ban_v4 = 0;
	ASSERT_EQ(xb_migrate_needed(p.dir, &lo, NULL), 0, "no capacity asked: nothing to do");
	lo.max_ban_v4 = 4096;
	ASSERT_EQ(xb_migrate_needed(p.dir, &lo, NULL), 1, "other capacity: resize");
	ASSERT_OK(xb_maps_create(p.dir, &lo), "resize to 4096");
	if (ASSERT_OK(pinned_info(p.dir, XB_MAP_BAN_V4, &info), "ban_v4"))
		ASSERT_EQ(info.max_entries, 4096, "new capacity");
	ASSERT_EQ(count_bans(p.dir), 1000, "bans kept");

	lo.max_ban_v4 = 500;
	ASSERT_EQ(xb_maps_create(p.dir, &lo), -ENOSPC, "smaller than the bans: refused");
	if (ASSERT_OK(pinned_info(p.dir, XB_MAP_BAN_V4, &info), "ban_v4"))
		ASSERT_EQ(info.max_entries, 4096, "capacity unchanged");
	ASSERT_EQ(count_bans(p.dir), 1000, "bans unchanged");
out:
	xb_unload_all(p.dir);
	pin_fx_close(&p);
}

/* Maps from a newer layout are left alone; a staging dir left by a crash is cleared. */
static void test_refused_and_leftovers(void)
{
	struct xb_load_opts lo = {};
	struct xb_meta meta = {};
	struct xb_maps maps;
	char path[PATH_MAX];
	struct pin_fx p;
	__u32 key = 0;
	int fd;

	if (!pin_fx_open(&p))
		return;
	if (!ASSERT_OK(xb_maps_create(p.dir, &lo), "create"))
		goto out;
	snprintf(path, sizeof(path), "%s/%s", p.dir, XB_MAP_META);
	fd = bpf_obj_get(path);
	bpf_map_lookup_elem(fd, &key, &meta);
	meta.layout_version = XB_LAYOUT_VERSION + 1;
	bpf_map_update_elem(fd, &key, &meta, BPF_ANY);
	ASSERT_EQ(xb_maps_create(p.dir, &lo), -EPROTO, "newer layout refused");
	ASSERT_EQ(xb_maps_open(&maps, p.dir, false), -EPROTO, "and not opened");
	meta.layout_version = 1;
	bpf_map_update_elem(fd, &key, &meta, BPF_ANY);
	close(fd);

	/* A crash left a half-built set in the staging dir: cleared, then migrated anew. */
	snprintf(path, sizeof(path), "%s/xb_migrating", p.dir);
	ASSERT_OK(mkdir(path, 0700), "staging dir");
	snprintf(path, sizeof(path), "%s/xb_migrating/xb_ban_v4", p.dir);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "junk", 4, 4, 4, NULL);
	ASSERT_OK(bpf_obj_pin(fd, path), "junk pin");
	close(fd);
	ASSERT_OK(xb_maps_create(p.dir, &lo), "migrates despite leftovers");
	ASSERT_ERR(access(path, F_OK), "leftovers gone");
	if (ASSERT_OK(xb_maps_open(&maps, p.dir, false), "opens"))
		xb_maps_close(&maps);
out:
	xb_unload_all(p.dir);
	pin_fx_close(&p);
}

void test_migrate(void)
{
	if (!test__require_root())
		return;
	if (test__start_subtest("layout1"))
		test_layout1();
	if (test__start_subtest("resize"))
		test_resize();
	if (test__start_subtest("refused_and_leftovers"))
		test_refused_and_leftovers();
}
