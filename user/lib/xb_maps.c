// SPDX-License-Identifier: GPL-2.0
/* The pin dir, its bpffs, its lock, and opening the pinned maps. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include "xb.h"
#include "xb_internal.h"

const char *const xb_map_names[__XB_MAP_MAX] = {
	[XB_META] = XB_MAP_META,	 [XB_IFACES] = XB_MAP_IFACES,
	[XB_COUNTERS] = XB_MAP_COUNTERS, [XB_BAN_V4] = XB_MAP_BAN_V4,
	[XB_BAN_V6] = XB_MAP_BAN_V6,	 [XB_PFX_V4] = XB_MAP_PFX_V4,
	[XB_PFX_V6] = XB_MAP_PFX_V6,	 [XB_ALLOW_V4] = XB_MAP_ALLOW_V4,
	[XB_ALLOW_V6] = XB_MAP_ALLOW_V6, [XB_BUCKETS] = XB_MAP_BUCKETS,
	[XB_EVENTS] = XB_MAP_EVENTS,	 [XB_HOLDS] = XB_MAP_HOLDS,
};

const enum xb_map_id xb_trie_maps[__XB_TRIE_MAX] = {
	[XB_TRIE_ALLOW_V4] = XB_ALLOW_V4,
	[XB_TRIE_ALLOW_V6] = XB_ALLOW_V6,
	[XB_TRIE_PFX_V4] = XB_PFX_V4,
	[XB_TRIE_PFX_V6] = XB_PFX_V6,
};

const char *xb_pin_dir(const char *from_option)
{
	const char *env = getenv(XB_PIN_DIR_ENV);

	if (from_option && *from_option)
		return from_option;
	if (env && *env)
		return env;
	return XB_PIN_DIR_DEFAULT;
}

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Makes pin_dir usable: on a bpffs, with its links/ subdirectory. When no bpffs is there,
 * mount one — at /sys/fs/bpf for paths below it, else at pin_dir itself — and say so.
 */
int xb_pin_dir_prepare(const char *pin_dir)
{
	char links[PATH_MAX];
	const char *mnt = pin_dir;
	int err;

	err = mkdir_p(pin_dir);
	if (err) {
		xb_warn("cannot create pin dir %s: %s", pin_dir, strerror(-err));
		return err;
	}
	if (!on_bpffs(pin_dir)) {
		if (!strncmp(pin_dir, "/sys/fs/bpf/", 12))
			mnt = "/sys/fs/bpf";
		if (mount("bpf", mnt, "bpf", 0, "mode=0700")) {
			err = -errno;
			xb_warn("%s is not on a bpffs and mounting one failed: %s; mount it with "
				"'mount -t bpf bpf %s'",
				pin_dir, strerror(-err), mnt);
			return err;
		}
		xb_notice("mounted a bpffs at %s", mnt);
		err = mkdir_p(pin_dir);
		if (err)
			return err;
	}
	snprintf(links, sizeof(links), "%s/%s", pin_dir, XB_LINK_SUBDIR);
	if (mkdir(links, 0700) && errno != EEXIST) {
		err = -errno;
		xb_warn("cannot create %s: %s", links, strerror(-err));
		return err;
	}
	return 0;
}

int xb_lock(const char *pin_dir, bool exclusive)
{
	int fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, exclusive ? LOCK_EX : LOCK_SH)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int xb_pin_path(char *buf, size_t size, const char *pin_dir, const char *name)
{
	if (snprintf(buf, size, "%s/%s", pin_dir, name) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int xb_meta_check(int meta_fd, const char *pin_dir)
{
	struct xb_meta meta = {};
	__u32 key = 0;

	if (bpf_map_lookup_elem(meta_fd, &key, &meta))
		return -errno;
	if (meta.layout_version < XB_LAYOUT_VERSION) {
		xb_warn("maps pinned in %s have layout %u, this build uses layout %u; "
			"'banctl --pin-dir %s load IFACE...' (or restarting xdpband) migrates "
			"them, bans kept",
			pin_dir, meta.layout_version, XB_LAYOUT_VERSION, pin_dir);
		return -EPROTO;
	}
	if (meta.layout_version > XB_LAYOUT_VERSION) {
		xb_warn("maps pinned in %s have layout %u, made by a newer xdpban than this one "
			"(layout %u); use that build",
			pin_dir, meta.layout_version, XB_LAYOUT_VERSION);
		return -EPROTO;
	}
	return 0;
}

int xb_maps_open(struct xb_maps *maps, const char *pin_dir, bool writer)
{
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < __XB_MAP_MAX; i++)
		maps->fd[i] = -1;
	maps->lock_fd = -1;
	maps->journal = NULL;
	snprintf(maps->pin_dir, sizeof(maps->pin_dir), "%s", pin_dir);

	maps->lock_fd = xb_lock(pin_dir, writer);
	if (maps->lock_fd < 0) {
		err = maps->lock_fd;
		goto not_loaded;
	}
	/* xb_meta first: maps of another layout may lack (or name differently) the rest. */
	for (int i = 0; i < __XB_MAP_MAX; i++) {
		err = xb_pin_path(path, sizeof(path), pin_dir, xb_map_names[i]);
		if (err)
			goto cleanup;
		maps->fd[i] = bpf_obj_get(path);
		if (maps->fd[i] < 0) {
			err = -errno;
			goto not_loaded;
		}
		if (i == XB_META) {
			err = xb_meta_check(maps->fd[XB_META], pin_dir);
			if (err)
				goto cleanup;
		}
	}
	return 0;

not_loaded:
	if (err == -ENOENT)
		xb_warn("no xdpban maps pinned in %s; run 'banctl load IFACE' first (or pass the "
			"--pin-dir it was loaded with)",
			pin_dir);
	else
		xb_warn("cannot open the maps pinned in %s: %s", pin_dir, strerror(-err));
cleanup:
	xb_maps_close(maps);
	return err;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

int xb_maps_reopen_if_replaced(struct xb_maps *maps)
{
	int fd[__XB_MAP_MAX], lock_fd, err = 0;
	char path[PATH_MAX];
	__u32 pinned;

	xb_pin_path(path, sizeof(path), maps->pin_dir, XB_MAP_META);
	fd[XB_META] = bpf_obj_get(path);
	if (fd[XB_META] < 0)
		return -errno;
	pinned = map_id(fd[XB_META]);
	close(fd[XB_META]);
	if (!pinned || pinned == map_id(maps->fd[XB_META]))
		return 0;
	/* Shared: a migration holds it exclusively until the whole set is in place. */
	lock_fd = maps->lock_fd >= 0 ? -1 : xb_lock(maps->pin_dir, false);
	for (int i = 0; i < __XB_MAP_MAX; i++) {
		xb_pin_path(path, sizeof(path), maps->pin_dir, xb_map_names[i]);
		fd[i] = err ? -1 : bpf_obj_get(path);
		if (fd[i] < 0 && !err)
			err = -errno;
	}
	if (!err)
		err = xb_meta_check(fd[XB_META], maps->pin_dir);
	if (lock_fd >= 0)
		close(lock_fd);
	for (int i = 0; i < __XB_MAP_MAX; i++) {
		int drop = err ? fd[i] : maps->fd[i];

		if (drop >= 0)
			close(drop);
		if (!err)
			maps->fd[i] = fd[i];
	}
	if (err)
		xb_warn("the maps in %s were replaced and cannot be reopened: %s", maps->pin_dir,
			strerror(-err));
	return err ? err : 1;
}

void xb_maps_unlock(struct xb_maps *maps)
{
	if (maps->lock_fd >= 0)
		close(maps->lock_fd);
	maps->lock_fd = -1;
}

void xb_maps_close(struct xb_maps *maps)
{
	xb_journal_close(maps);
	for (int i = 0; i < __XB_MAP_MAX; i++) {
		if (maps->fd[i] >= 0)
			close(maps->fd[i]);
		maps->fd[i] = -1;
	}
	if (maps->lock_fd >= 0)
		close(maps->lock_fd);
	maps->lock_fd = -1;
}

int xb_map_count(int fd, __u32 *entries, __u32 *max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), n = 0;
	__u8 key[64], next[64];
	void *prev = NULL;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*max_entries = info.max_entries;
	if (info.type == BPF_MAP_TYPE_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	    info.key_size > sizeof(key)) {
		*entries = info.max_entries;
		return 0;
	}
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, info.key_size);
		prev = key;
		n++;
	}
	*entries = n;
	return 0;
}
