// SPDX-License-Identifier: GPL-2.0
/* Layout-1 maps and program for the migration tests; see layout1.h. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "layout1.h"
#include "xb_layout1.skel.h"

struct lpm_v4_key_l1 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct meta_l1 {
	__u32 layout_version;
	__u32 pad;
	__u64 created_at;
};

static int pinned_fd(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int attach(struct xb_layout1_bpf *skel, const char *pin_dir, const char *ifname)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	struct xb_iface ifc = { .ifindex = if_nametoindex(ifname), .mode = XB_MODE_NATIVE };
	struct bpf_link_info li = {};
	__u32 len = sizeof(li), slot = 0;
	char path[PATH_MAX];
	int fd, err = 0;

	if (!ifc.ifindex)
		return -ENODEV;
	fd = bpf_link_create(bpf_program__fd(skel->progs.xb_layout1), (int)ifc.ifindex, BPF_XDP,
			     &lo);
	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", pin_dir, XB_LINK_SUBDIR);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/%s", pin_dir, XB_LINK_SUBDIR, ifname);
	if (bpf_obj_pin(fd, path) || bpf_obj_get_info_by_fd(fd, &li, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	ifc.link_id = li.id;
	ifc.prog_id = li.prog_id;
	ifc.attached_at = (__u64)time(NULL);
	snprintf(ifc.name, sizeof(ifc.name), "%s", ifname);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xb_ifaces), &slot, &ifc, BPF_ANY))
		return -errno;
	return 0;
}

int layout1_create(const char *pin_dir, const char *ifname)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_dir);
	struct meta_l1 meta = { .layout_version = 1, .created_at = (__u64)time(NULL) };
	struct xb_layout1_bpf *skel = xb_layout1_bpf__open_opts(&oo);
	__u32 key = 0;
	int err;

	if (!skel)
		return -errno;
	err = xb_layout1_bpf__load(skel);
	if (!err && bpf_map_update_elem(bpf_map__fd(skel->maps.xb_meta), &key, &meta, BPF_ANY))
		err = -errno;
	if (!err)
		err = xb_log_limit_set_fd(bpf_map__fd(skel->maps.xb_buckets),
					  XB_LOG_DEFAULT_INTERVAL_NS, XB_LOG_DEFAULT_BURST);
	if (!err && ifname)
		err = attach(skel, pin_dir, ifname);
	xb_layout1_bpf__destroy(skel);
	return err;
}

int layout1_add(const char *pin_dir, const char *text, __u64 timeout_s, const char *reason,
		bool allow)
{
	struct xb_ban ban = { .origin = XB_ORIGIN_MANUAL };
	struct xb_allow al = {};
	struct xb_prefix p;
	const char *map;
	union {
		__u32 v4;
		struct xb_v6_addr v6;
		struct lpm_v4_key_l1 lpm4;
		struct xb_lpm_v6_key lpm6;
	} key = {};
	const void *val = allow ? (const void *)&al : (const void *)&ban;
	int fd, err = 0;

	if (xb_prefix_parse(text, &p, NULL))
		return -EINVAL;
	ban.added_ns = al.added_ns = xb_now_boot_ns();
	ban.expires_ns = timeout_s ? ban.added_ns + timeout_s * 1000000000ULL : 0;
	ban.prefixlen = al.prefixlen = p.len;
	snprintf(ban.reason, sizeof(ban.reason), "%s", reason ? reason : "");
	if (!allow && xb_prefix_is_host(&p)) {
		map = p.family == 4 ? XB_MAP_BAN_V4 : XB_MAP_BAN_V6;
		memcpy(&key, p.addr, p.family == 4 ? 4 : 16);
	} else if (p.family == 4) {
		map = allow ? XB_MAP_ALLOW_V4 : XB_MAP_PFX_V4;
		key.lpm4.prefixlen = p.len;
		memcpy(key.lpm4.addr, p.addr, 4);
	} else {
		map = allow ? XB_MAP_ALLOW_V6 : XB_MAP_PFX_V6;
		key.lpm6.prefixlen = p.len;
		memcpy(key.lpm6.addr, p.addr, 16);
	}
	fd = pinned_fd(pin_dir, map);
	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &key, val, BPF_ANY))
		err = -errno;
	close(fd);
	return err;
}
