// SPDX-License-Identifier: GPL-2.0
/*
 * Loading the program and attaching it: one program instance per interface (each with its
 * own counter slot), all sharing the pinned maps, each held by a pinned bpf_link so that
 * enforcement outlives every process.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xb.h"
#include "xb_internal.h"
#include "xdpban.skel.h"

const char *xb_mode_name(enum xb_xdp_mode mode)
{
	switch (mode) {
	case XB_MODE_NATIVE:
		return "native";
	case XB_MODE_GENERIC:
		return "generic";
	default:
		return "none";
	}
}

__u32 xb_wanted_max(const struct xb_load_opts *o, enum xb_map_id id)
{
	switch (id) {
	case XB_BAN_V4:
		return o->max_ban_v4;
	case XB_BAN_V6:
		return o->max_ban_v6;
	case XB_PFX_V4:
		return o->max_pfx_v4;
	case XB_PFX_V6:
		return o->max_pfx_v6;
	case XB_ALLOW_V4:
	case XB_ALLOW_V6:
		return o->max_allow;
	default:
		return 0;
	}
}

static struct bpf_map *skel_map(struct xdpban_bpf *skel, enum xb_map_id id)
{
	return bpf_object__find_map_by_name(skel->obj, xb_map_names[id]);
}

/*
 * A pinned map with another definition would make libbpf refuse to load with a terse
 * message; say what differs instead, and adopt the pinned capacity unless told otherwise.
 */
static int check_pinned_map(struct bpf_map *map, enum xb_map_id id, const char *pin_dir,
			    const struct xb_load_opts *o)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), want = xb_wanted_max(o, id);
	char path[PATH_MAX];
	int fd, err = 0;

	xb_pin_path(path, sizeof(path), pin_dir, xb_map_names[id]);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.map_flags != bpf_map__map_flags(map)) {
		xb_warn("pinned map %s differs from this build (type %u/%u, key %u/%u, value "
			"%u/%u, "
			"flags %#x/%#x as pinned/built); unload --all first (drops all bans)",
			path, info.type, bpf_map__type(map), info.key_size, bpf_map__key_size(map),
			info.value_size, bpf_map__value_size(map), info.map_flags,
			bpf_map__map_flags(map));
		err = -EEXIST;
		goto out;
	}
	if (want && want != info.max_entries) {
		xb_warn("pinned map %s holds up to %u entries, not the %u asked for; unload --all "
			"and load again to resize (drops all bans)",
			path, info.max_entries, want);
		err = -EEXIST;
		goto out;
	}
	err = bpf_map__set_max_entries(map, info.max_entries);
out:
	close(fd);
	return err;
}

static int prepare_maps(struct xdpban_bpf *skel, const char *pin_dir, const struct xb_load_opts *o)
{
	char path[PATH_MAX];
	int fd, err;

	xb_pin_path(path, sizeof(path), pin_dir, XB_MAP_META);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = xb_meta_check(fd, pin_dir);
		close(fd);
		if (err)
			return err;
	}
	for (int id = 0; id < __XB_MAP_MAX; id++) {
		struct bpf_map *map = skel_map(skel, id);
		__u32 want = xb_wanted_max(o, id);

		if (!map)
			return -ENOENT;
		if (want) {
			err = bpf_map__set_max_entries(map, want);
			if (err)
				return err;
		}
		err = check_pinned_map(map, id, pin_dir, o);
		if (err)
			return err;
	}
	return 0;
}

/* The slot this interface already has, else the first free one. */
static int find_slot(const char *pin_dir, __u32 ifindex, struct xb_iface *cur)
{
	char path[PATH_MAX];
	int fd, free_slot = -1;

	memset(cur, 0, sizeof(*cur));
	xb_pin_path(path, sizeof(path), pin_dir, XB_MAP_IFACES);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	for (__u32 i = 0; i < XB_MAX_IFACES; i++) {
		struct xb_iface ifc;

		if (bpf_map_lookup_elem(fd, &i, &ifc))
			continue;
		if (ifc.ifindex == ifindex) {
			*cur = ifc;
			close(fd);
			return (int)i;
		}
		if (!ifc.ifindex && free_slot < 0)
			free_slot = (int)i;
	}
	close(fd);
	if (free_slot < 0) {
		xb_warn("all %d interface slots are in use; unload one first", XB_MAX_IFACES);
		return -ENOSPC;
	}
	return free_slot;
}

/* Maps just created get their layout stamp and the default drop-log rate. */
static int init_maps(struct xdpban_bpf *skel, const struct xb_load_opts *o)
{
	int fd = bpf_map__fd(skel->maps.xb_meta), err;
	struct xb_meta meta = {};
	__u32 key = 0;

	if (bpf_map_lookup_elem(fd, &key, &meta))
		return -errno;
	if (!meta.layout_version) {
		err = xb_log_limit_set_fd(bpf_map__fd(skel->maps.xb_buckets),
					  XB_LOG_DEFAULT_INTERVAL_NS, XB_LOG_DEFAULT_BURST);
		if (err)
			return err;
		meta.layout_version = XB_LAYOUT_VERSION;
		meta.created_at = (__u64)time(NULL);
		if (bpf_map_update_elem(fd, &key, &meta, BPF_ANY))
			return -errno;
	}
	if (o->log_interval_ns)
		return xb_log_limit_set_fd(bpf_map__fd(skel->maps.xb_buckets), o->log_interval_ns,
					   o->log_burst ? o->log_burst : XB_LOG_DEFAULT_BURST);
	return 0;
}

static int create_link(int prog_fd, const char *ifname, __u32 ifindex, enum xb_xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	bool try_generic = *mode != XB_MODE_NATIVE;
	int fd = -1;

	if (*mode != XB_MODE_GENERIC) {
		lo.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(prog_fd, (int)ifindex, BPF_XDP, &lo);
		if (fd >= 0) {
			*mode = XB_MODE_NATIVE;
			return fd;
		}
		if (errno == EBUSY || errno == EEXIST || !try_generic)
			goto fail;
		xb_info("%s: native XDP refused (%s), falling back to generic mode", ifname,
			strerror(errno));
	}
	lo.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, (int)ifindex, BPF_XDP, &lo);
	if (fd >= 0) {
		*mode = XB_MODE_GENERIC;
		return fd;
	}
fail:
	fd = -errno;
	if (fd == -EBUSY || fd == -EEXIST)
		xb_warn("%s already has an XDP program not managed by xdpban; remove it with "
			"'ip link set dev %s xdp off' first",
			ifname, ifname);
	else if (fd == -ERANGE)
		xb_warn("native XDP on %s refused its MTU (too large for XDP without "
			"multi-buffer); "
			"lower the MTU or load with --mode generic",
			ifname);
	else
		xb_warn("cannot attach XDP to %s in %s mode: %s", ifname,
			lo.flags == XDP_FLAGS_DRV_MODE ? "native" : "generic", strerror(-fd));
	return fd;
}

/* Replace the program under an existing link; -ENOLINK if the link is stale. */
static int update_link(const char *path, int prog_fd, __u32 ifindex)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.xdp.ifindex != ifindex) {
		/* Interface gone (or renamed and reused): the pin is stale. */
		close(fd);
		unlink(path);
		return -ENOLINK;
	}
	if (bpf_link_update(fd, prog_fd, NULL))
		err = -errno;
	close(fd);
	return err ? err : 0;
}

static int link_ids(const char *path, __u32 *link_id, __u32 *prog_id)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return -errno;
	}
	*link_id = info.id;
	*prog_id = info.prog_id;
	close(fd);
	return 0;
}

static int attach_prog(struct xdpban_bpf *skel, const char *pin_dir, const char *ifname,
		       struct xb_iface *ifc, enum xb_xdp_mode want)
{
	int prog_fd = bpf_program__fd(skel->progs.xdpban);
	enum xb_xdp_mode mode = want;
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s/%s", pin_dir, XB_LINK_SUBDIR, ifname);
	if (!access(path, F_OK)) {
		if (want != XB_MODE_NONE && ifc->mode && want != ifc->mode) {
			xb_warn("%s is attached in %s mode; 'banctl unload %s' first to change "
				"mode",
				ifname, xb_mode_name(ifc->mode), ifname);
			return -EBUSY;
		}
		err = update_link(path, prog_fd, ifc->ifindex);
		if (!err) {
			ifc->mode = ifc->mode ? ifc->mode : XB_MODE_NATIVE;
			return link_ids(path, &ifc->link_id, &ifc->prog_id);
		}
		if (err != -ENOLINK) {
			xb_warn("cannot replace the program on %s: %s", ifname, strerror(-err));
			return err;
		}
	}
	fd = create_link(prog_fd, ifname, ifc->ifindex, &mode);
	if (fd < 0)
		return fd;
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		xb_warn("cannot pin the link of %s at %s: %s", ifname, path, strerror(-err));
		close(fd); /* detaches: nothing holds it */
		return err;
	}
	close(fd);
	ifc->mode = mode;
	return link_ids(path, &ifc->link_id, &ifc->prog_id);
}

/* Opens and loads the program over the pinned maps (creating what is missing). */
static struct xdpban_bpf *load_skel(const char *pin_dir, const struct xb_load_opts *opts,
				    __u32 slot, int *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_dir);
	struct xdpban_bpf *skel = xdpban_bpf__open_opts(&oo);

	if (!skel) {
		*err = -errno;
		xb_warn("cannot open the BPF object: %s", strerror(-*err));
		return NULL;
	}
	/* Older maps, or other capacities asked for: a new set, every entry carried over. */
	*err = xb_migrate(pin_dir, opts);
	if (*err < 0)
		goto fail;
	*err = prepare_maps(skel, pin_dir, opts);
	if (*err)
		goto fail;
	skel->rodata->xb_if_slot = slot;
	*err = xdpban_bpf__load(skel);
	if (*err) {
		xb_warn("cannot load the XDP program: %s (run with -d for the verifier log)",
			strerror(-*err));
		goto fail;
	}
	*err = init_maps(skel, opts);
	if (*err)
		goto fail;
	return skel;
fail:
	xdpban_bpf__destroy(skel);
	return NULL;
}

int xb_maps_create(const char *pin_dir, const struct xb_load_opts *opts)
{
	struct xdpban_bpf *skel;
	int lock_fd, err;

	err = xb_pin_dir_prepare(pin_dir);
	if (err)
		return err;
	lock_fd = xb_lock(pin_dir, true);
	if (lock_fd < 0)
		return lock_fd;
	skel = load_skel(pin_dir, opts, 0, &err);
	xdpban_bpf__destroy(skel);
	close(lock_fd);
	return err;
}

int xb_attach(const char *pin_dir, const char *ifname, const struct xb_load_opts *opts,
	      struct xb_iface *iface)
{
	struct xdpban_bpf *skel = NULL;
	struct xb_iface ifc;
	__u32 ifindex;
	int lock_fd = -1, slot, err;

	ifindex = if_nametoindex(ifname);
	if (!ifindex || strlen(ifname) >= XB_IFNAME_LEN) {
		xb_warn("no interface named '%s' here; 'ip link' lists them", ifname);
		return -ENODEV;
	}
	err = xb_pin_dir_prepare(pin_dir);
	if (err)
		return err;
	lock_fd = xb_lock(pin_dir, true);
	if (lock_fd < 0)
		return lock_fd;

	slot = find_slot(pin_dir, ifindex, &ifc);
	if (slot < 0) {
		err = slot;
		goto cleanup;
	}
	skel = load_skel(pin_dir, opts, (__u32)slot, &err);
	if (!skel)
		goto cleanup;
	ifc.ifindex = ifindex;
	err = attach_prog(skel, pin_dir, ifname, &ifc, opts->mode);
	if (err)
		goto cleanup;
	ifc.attached_at = (__u64)time(NULL);
	snprintf(ifc.name, sizeof(ifc.name), "%s", ifname);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xb_ifaces), &slot, &ifc, BPF_ANY)) {
		err = -errno;
		goto cleanup;
	}
	if (iface)
		*iface = ifc;
cleanup:
	xdpban_bpf__destroy(skel);
	close(lock_fd);
	return err;
}

/* Forget a slot: its interface entry and its counters, so a reuse starts from zero. */
static void clear_slot(const char *pin_dir, const char *ifname)
{
	struct xb_counters *zero = NULL;
	char path[PATH_MAX];
	int ifaces_fd, cnt_fd;
	int ncpus = libbpf_num_possible_cpus();

	xb_pin_path(path, sizeof(path), pin_dir, XB_MAP_IFACES);
	ifaces_fd = bpf_obj_get(path);
	xb_pin_path(path, sizeof(path), pin_dir, XB_MAP_COUNTERS);
	cnt_fd = bpf_obj_get(path);
	if (ifaces_fd < 0 || cnt_fd < 0 || ncpus <= 0)
		goto out;
	zero = calloc((size_t)ncpus, sizeof(*zero));
	for (__u32 i = 0; zero && i < XB_MAX_IFACES; i++) {
		struct xb_iface ifc = {};

		if (bpf_map_lookup_elem(ifaces_fd, &i, &ifc) || strcmp(ifc.name, ifname))
			continue;
		memset(&ifc, 0, sizeof(ifc));
		bpf_map_update_elem(ifaces_fd, &i, &ifc, BPF_ANY);
		bpf_map_update_elem(cnt_fd, &i, zero, BPF_ANY);
	}
out:
	free(zero);
	if (ifaces_fd >= 0)
		close(ifaces_fd);
	if (cnt_fd >= 0)
		close(cnt_fd);
}

static int detach_locked(const char *pin_dir, const char *ifname)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s/%s", pin_dir, XB_LINK_SUBDIR, ifname) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		xb_warn("%s is not attached by xdpban (no link pinned at %s)", ifname, path);
		return -ENOENT;
	}
	/* Detach explicitly: another process may still hold the link open. */
	bpf_link_detach(fd);
	close(fd);
	unlink(path);
	clear_slot(pin_dir, ifname);
	return 0;
}

int xb_detach(const char *pin_dir, const char *ifname)
{
	int lock_fd, err;

	lock_fd = xb_lock(pin_dir, true);
	if (lock_fd < 0) {
		xb_warn("nothing is loaded in %s", pin_dir);
		return -ENOENT;
	}
	err = detach_locked(pin_dir, ifname);
	close(lock_fd);
	return err;
}

int xb_unload_all(const char *pin_dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int lock_fd, err = 0;
	DIR *d;

	lock_fd = xb_lock(pin_dir, true);
	if (lock_fd < 0) {
		xb_warn("nothing is loaded in %s", pin_dir);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/%s", pin_dir, XB_LINK_SUBDIR);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] != '.')
			detach_locked(pin_dir, de->d_name);
	}
	if (d)
		closedir(d);
	rmdir(path);
	for (int i = 0; i < __XB_MAP_MAX; i++) {
		xb_pin_path(path, sizeof(path), pin_dir, xb_map_names[i]);
		if (unlink(path) && errno != ENOENT && !err)
			err = -errno;
	}
	close(lock_fd);
	/* Fails harmlessly when pin_dir is a mount point or holds pins of others. */
	rmdir(pin_dir);
	if (err)
		xb_warn("cannot remove the pinned maps in %s: %s", pin_dir, strerror(-err));
	return err;
}
