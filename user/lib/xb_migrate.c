// SPDX-License-Identifier: GPL-2.0
/*
 * Layout migration and resizing. When the pinned maps come from an older layout, or hold
 * other capacities than a load asks for, a complete new set is built beside them (in
 * PIN/xb_migrating), every entry is copied across, converted where the layout changed, every
 * pinned link is switched to a program over the new set with bpf_link_update (there is no
 * moment without a program), and the new pins are renamed over the old ones, xb_meta last.
 * The caller holds the pin-dir lock, so nothing writes bans meanwhile.
 *
 * Interrupted before the switch, the old set is pinned and untouched (it is only read).
 * Interrupted later, the pins are a mix under an old xb_meta, which the next load migrates
 * again: each map is converted by what it is (type, key and value size), not by the
 * number xb_meta gives.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xb.h"
#include "xb_internal.h"
#include "xdpban.skel.h"

/* bpffs refuses names with a dot. */
#define STAGING "xb_migrating"
#define BATCH 8192

struct old_map {
	int fd;
	struct bpf_map_info info;
};

/* One pinned link to switch, and the program instance (its counter slot) it gets. */
struct link_switch {
	int link_fd;
	int old_prog_fd;
	__u32 slot;
	struct xdpban_bpf *skel;
	char name[XB_IFNAME_LEN];
};

struct migration {
	const char *pin_dir;
	char staging[PATH_MAX];
	struct old_map old[__XB_MAP_MAX];
	__u32 old_layout;
	__u32 cap[__XB_MAP_MAX]; /* the new set's max_entries */
	struct xdpban_bpf *skel; /* holds the new maps while they are filled */
	struct link_switch links[XB_MAX_IFACES];
	int n_links;
	__u32 copied[__XB_MAP_MAX];
};

/*
 * The conversions layout changes need, beyond equal sizes: each appends zeroed bytes to a
 * key or a value, so a copy of the old bytes followed by zeroes converts it.
 */
static bool convertible(enum xb_map_id id, const struct bpf_map_info *from, __u32 key_size,
			__u32 value_size)
{
	bool key_ok = from->key_size == key_size, value_ok = from->value_size == value_size;

	/* Layout 1's first builds: an LPM v4 key of 4 data bytes (now padded to 8). */
	if ((id == XB_PFX_V4 || id == XB_ALLOW_V4) && from->key_size == 8 && key_size == 12)
		key_ok = true;
	/* Layout 1: xb_meta had only the version and created_at. */
	if (id == XB_META && from->value_size == 16 && value_size > 16)
		value_ok = true;
	return key_ok && value_ok;
}

/* The layout that added a map: older sets lack it, and the migration creates it. */
static __u32 introduced_in(enum xb_map_id id)
{
	return id == XB_HOLDS ? 2 : 1;
}

static void close_old(struct migration *m)
{
	for (int i = 0; i < __XB_MAP_MAX; i++) {
		if (m->old[i].fd >= 0)
			close(m->old[i].fd);
		m->old[i].fd = -1;
	}
}

static void free_links(struct migration *m)
{
	for (int i = 0; i < m->n_links; i++) {
		close(m->links[i].link_fd);
		if (m->links[i].old_prog_fd >= 0)
			close(m->links[i].old_prog_fd);
		xdpban_bpf__destroy(m->links[i].skel);
	}
	m->n_links = 0;
}

/* Removes what a (failed or earlier) migration left in the staging dir. */
static void clear_staging(const char *staging)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(staging);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", staging, de->d_name) < (int)sizeof(path))
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(staging);
}

/*
 * Fills m from the pinned maps: 0 when they can be used as they are (or there are none),
 * 1 when a migration is needed, or -errno with a message when none can be done.
 */
static int plan(struct migration *m, const char *pin_dir, const struct xb_load_opts *o)
{
	struct xdpban_bpf *skel;
	struct xb_meta meta = {};
	char path[PATH_MAX];
	__u32 key = 0;
	int need = 0, err = 0;

	memset(m, 0, sizeof(*m));
	m->pin_dir = pin_dir;
	for (int i = 0; i < __XB_MAP_MAX; i++)
		m->old[i].fd = -1;
	snprintf(m->staging, sizeof(m->staging), "%s/%s", pin_dir, STAGING);
	xb_pin_path(path, sizeof(path), pin_dir, XB_MAP_META);
	m->old[XB_META].fd = bpf_obj_get(path);
	if (m->old[XB_META].fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_map_lookup_elem(m->old[XB_META].fd, &key, &meta))
		return -errno;
	m->old_layout = meta.layout_version;
	if (meta.layout_version > XB_LAYOUT_VERSION) {
		xb_warn("maps pinned in %s have layout %u, made by a newer xdpban than this one "
			"(layout %u); use that build, or 'banctl unload --all' (drops all bans)",
			pin_dir, meta.layout_version, XB_LAYOUT_VERSION);
		return -EPROTO;
	}
	need = meta.layout_version != XB_LAYOUT_VERSION;

	skel = xdpban_bpf__open();
	if (!skel)
		return -errno;
	for (int id = 0; id < __XB_MAP_MAX && !err; id++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, xb_map_names[id]);
		struct old_map *om = &m->old[id];
		__u32 len = sizeof(om->info), want = xb_wanted_max(o, id), entries = 0, max;

		xb_pin_path(path, sizeof(path), pin_dir, xb_map_names[id]);
		if (om->fd < 0)
			om->fd = bpf_obj_get(path);
		if (om->fd < 0 && errno == ENOENT && m->old_layout < introduced_in(id)) {
			m->cap[id] = bpf_map__max_entries(map);
			need = 1;
			continue;
		}
		if (om->fd < 0 || bpf_obj_get_info_by_fd(om->fd, &om->info, &len)) {
			err = -errno;
			xb_warn("map %s is missing from a pinned set; 'banctl unload --all' and "
				"load again (drops all bans): %s",
				path, strerror(-err));
			break;
		}
		m->cap[id] = want ? want : om->info.max_entries;
		if (om->info.type != bpf_map__type(map) ||
		    om->info.map_flags != bpf_map__map_flags(map) ||
		    !convertible(id, &om->info, bpf_map__key_size(map), bpf_map__value_size(map))) {
			xb_warn("pinned map %s (type %u, key %u, value %u, flags %#x) cannot be "
				"migrated to this build's (type %u, key %u, value %u, flags %#x); "
				"'banctl unload --all' and load again (drops all bans)",
				path, om->info.type, om->info.key_size, om->info.value_size,
				om->info.map_flags, bpf_map__type(map), bpf_map__key_size(map),
				bpf_map__value_size(map), bpf_map__map_flags(map));
			err = -EPROTO;
			break;
		}
		if (om->info.key_size != bpf_map__key_size(map) ||
		    om->info.value_size != bpf_map__value_size(map) ||
		    m->cap[id] != om->info.max_entries)
			need = 1;
		if (id < XB_BAN_V4 || id > XB_ALLOW_V6 || m->cap[id] >= om->info.max_entries)
			continue;
		err = xb_map_count(om->fd, &entries, &max);
		if (!err && entries > m->cap[id]) {
			xb_warn("map %s holds %u entries, more than the %u asked for; ask for at "
				"least %u",
				path, entries, m->cap[id], entries);
			err = -ENOSPC;
		}
	}
	xdpban_bpf__destroy(skel);
	return err ? err : need;
}

static int set_caps(struct xdpban_bpf *skel, const struct migration *m)
{
	for (int id = 0; id < __XB_MAP_MAX; id++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, xb_map_names[id]);
		int err = map ? bpf_map__set_max_entries(map, m->cap[id]) : -ENOENT;

		if (err)
			return err;
	}
	return 0;
}

/* A program instance over the maps pinned in the staging dir (creating them at first). */
static struct xdpban_bpf *load_staged(const struct migration *m, __u32 slot, int *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = m->staging);
	struct xdpban_bpf *skel = xdpban_bpf__open_opts(&oo);

	if (!skel) {
		*err = -errno;
		return NULL;
	}
	*err = set_caps(skel, m);
	if (!*err) {
		skel->rodata->xb_if_slot = slot;
		*err = xdpban_bpf__load(skel);
	}
	if (*err) {
		xb_warn("cannot load the program over the new maps: %s", strerror(-*err));
		xdpban_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* Every interface with a pinned link gets a program instance over the new maps. */
static int prepare_links(struct migration *m)
{
	char path[PATH_MAX];
	int err = 0;

	for (__u32 slot = 0; slot < XB_MAX_IFACES && !err; slot++) {
		struct bpf_link_info li = {};
		struct xb_iface ifc = {};
		struct link_switch *ls;
		__u32 len = sizeof(li);
		int fd;

		if (bpf_map_lookup_elem(m->old[XB_IFACES].fd, &slot, &ifc) || !ifc.ifindex)
			continue;
		ifc.name[XB_IFNAME_LEN - 1] = '\0';
		snprintf(path, sizeof(path), "%s/%s/%s", m->pin_dir, XB_LINK_SUBDIR, ifc.name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue; /* unloaded, or never attached: its slot is copied as is */
		if (bpf_obj_get_info_by_fd(fd, &li, &len) || li.xdp.ifindex != ifc.ifindex) {
			close(fd); /* stale: the interface is gone; a later load re-attaches */
			continue;
		}
		ls = &m->links[m->n_links];
		ls->link_fd = fd;
		ls->slot = slot;
		ls->old_prog_fd = bpf_prog_get_fd_by_id(li.prog_id);
		snprintf(ls->name, sizeof(ls->name), "%s", ifc.name);
		ls->skel = load_staged(m, slot, &err);
		if (!ls->skel) {
			close(fd);
			if (ls->old_prog_fd >= 0)
				close(ls->old_prog_fd);
			break;
		}
		m->n_links++;
	}
	return err;
}

/* Copies a hash map whose key and value did not change, a kernel batch at a time. */
static int copy_batched(int from, int to, const struct bpf_map_info *info, __u32 *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	char *keys = malloc((size_t)BATCH * info->key_size);
	char *vals = malloc((size_t)BATCH * info->value_size);
	__u64 in = 0, out = 0;
	bool first = true;
	int err = 0;

	while (keys && vals) {
		__u32 count = BATCH;
		int rc = bpf_map_lookup_batch(from, first ? NULL : &in, &out, keys, vals, &count,
					      &bo);

		if (rc && errno != ENOENT) {
			err = -errno;
			break;
		}
		if (count && bpf_map_update_batch(to, keys, vals, &count, &bo)) {
			err = -errno;
			break;
		}
		*n += count;
		if (rc)
			break; /* ENOENT: that was the last batch */
		in = out;
		first = false;
	}
	if (!keys || !vals)
		err = -ENOMEM;
	free(keys);
	free(vals);
	return err;
}

/* Copies any map key by key, each key and value extended with zeroes to the new sizes. */
static int copy_walk(int from, int to, const struct bpf_map_info *fi, __u32 ks, __u32 to_vs,
		     __u32 *n)
{
	__u8 key[64], next[64], nkey[64], val[256];
	void *prev = NULL;

	if (fi->key_size > sizeof(key) || ks > sizeof(nkey) || fi->value_size > sizeof(val) ||
	    to_vs > sizeof(val))
		return -E2BIG;
	while (!bpf_map_get_next_key(from, prev, next)) {
		memcpy(key, next, fi->key_size);
		prev = key;
		memset(val, 0, sizeof(val));
		if (bpf_map_lookup_elem(from, key, val))
			continue; /* deleted meanwhile */
		memset(nkey, 0, sizeof(nkey));
		memcpy(nkey, key, fi->key_size < ks ? fi->key_size : ks);
		if (bpf_map_update_elem(to, nkey, val, BPF_ANY))
			return -errno;
		(*n)++;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int copy_table(struct migration *m, enum xb_map_id id, struct bpf_map *to)
{
	const struct bpf_map_info *fi = &m->old[id].info;
	int to_fd = bpf_map__fd(to);

	if (fi->type == BPF_MAP_TYPE_HASH && fi->key_size == bpf_map__key_size(to) &&
	    fi->value_size == bpf_map__value_size(to))
		return copy_batched(m->old[id].fd, to_fd, fi, &m->copied[id]);
	return copy_walk(m->old[id].fd, to_fd, fi, bpf_map__key_size(to), bpf_map__value_size(to),
			 &m->copied[id]);
}

/* xb_meta carries its history and counters over; the version is this build's. */
static int copy_meta(struct migration *m, int to)
{
	struct xb_meta meta = {};
	__u32 key = 0;

	if (bpf_map_lookup_elem(m->old[XB_META].fd, &key, &meta))
		return -errno;
	meta.migrated_from = meta.layout_version;
	meta.layout_version = XB_LAYOUT_VERSION;
	meta.migrated_at = (__u64)time(NULL);
	if (!meta.created_at)
		meta.created_at = meta.migrated_at;
	return bpf_map_update_elem(to, &key, &meta, BPF_ANY) ? -errno : 0;
}

/* The drop-log buckets hold a spin lock: read and write them under it. */
static int copy_buckets(struct migration *m, int to)
{
	for (__u32 k = 0; k < __XB_CLASS_MAX; k++) {
		struct xb_bucket b = {};

		if (bpf_map_lookup_elem_flags(m->old[XB_BUCKETS].fd, &k, &b, BPF_F_LOCK) ||
		    bpf_map_update_elem(to, &k, &b, BPF_F_LOCK))
			return -errno;
	}
	return 0;
}

/* xb_holds is not copied but derived: a trie that received entries may hold some. */
static int mark_tries(struct migration *m, int holds_fd)
{
	for (__u32 t = 0; t < __XB_TRIE_MAX; t++) {
		__u32 v = m->copied[xb_trie_maps[t]] > 0;

		if (bpf_map_update_elem(holds_fd, &t, &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int copy_all(struct migration *m)
{
	struct xdpban_bpf *s = m->skel;
	int err;

	err = copy_meta(m, bpf_map__fd(s->maps.xb_meta));
	if (!err)
		err = copy_buckets(m, bpf_map__fd(s->maps.xb_buckets));
	if (!err)
		err = copy_table(m, XB_IFACES, s->maps.xb_ifaces);
	for (int id = XB_BAN_V4; id <= XB_ALLOW_V6 && !err; id++)
		err = copy_table(m, id, bpf_object__find_map_by_name(s->obj, xb_map_names[id]));
	if (!err)
		err = mark_tries(m, bpf_map__fd(s->maps.xb_holds));
	if (err)
		xb_warn("cannot copy the pinned maps into new ones: %s", strerror(-err));
	return err;
}

/*
 * Per-CPU interface counters, added after the switch so that what the old program
 * counted until its last packet is kept: new += old, slot by slot, CPU by CPU.
 */
static void add_counters(struct migration *m)
{
	int ncpus = libbpf_num_possible_cpus(), to = bpf_map__fd(m->skel->maps.xb_counters);
	size_t words = sizeof(struct xb_counters) / sizeof(__u64);
	struct xb_counters *a, *b;

	if (ncpus <= 0 || m->old[XB_COUNTERS].info.value_size != sizeof(struct xb_counters))
		return;
	a = calloc((size_t)ncpus, sizeof(*a));
	b = calloc((size_t)ncpus, sizeof(*b));
	for (__u32 slot = 0; a && b && slot < XB_MAX_IFACES; slot++) {
		if (bpf_map_lookup_elem(m->old[XB_COUNTERS].fd, &slot, a) ||
		    bpf_map_lookup_elem(to, &slot, b))
			continue;
		for (int c = 0; c < ncpus; c++) {
			__u64 *x = (__u64 *)&a[c], *y = (__u64 *)&b[c];

			for (size_t w = 0; w < words; w++)
				y[w] += x[w];
		}
		bpf_map_update_elem(to, &slot, b, BPF_ANY);
	}
	free(a);
	free(b);
}

/* Points every link at its new program; on a failure, the ones switched go back. */
static int switch_links(struct migration *m)
{
	int ifaces = bpf_map__fd(m->skel->maps.xb_ifaces), i, err = 0;

	for (i = 0; i < m->n_links; i++) {
		int prog_fd = bpf_program__fd(m->links[i].skel->progs.xdpban);
		struct bpf_prog_info pi = {};
		__u32 len = sizeof(pi);
		struct xb_iface ifc;

		if (bpf_link_update(m->links[i].link_fd, prog_fd, NULL)) {
			err = -errno;
			xb_warn("cannot switch %s to the migrated maps: %s", m->links[i].name,
				strerror(-err));
			break;
		}
		if (!bpf_map_lookup_elem(ifaces, &m->links[i].slot, &ifc) &&
		    !bpf_obj_get_info_by_fd(prog_fd, &pi, &len)) {
			ifc.prog_id = pi.id;
			bpf_map_update_elem(ifaces, &m->links[i].slot, &ifc, BPF_ANY);
		}
	}
	if (!err)
		return 0;
	while (i-- > 0) {
		if (m->links[i].old_prog_fd >= 0)
			bpf_link_update(m->links[i].link_fd, m->links[i].old_prog_fd, NULL);
	}
	return err;
}

/* The new pins replace the old ones; xb_meta last, so a set is new once its meta is. */
static int swap_pins(struct migration *m)
{
	char from[PATH_MAX], to[PATH_MAX];

	for (int k = 1; k <= __XB_MAP_MAX; k++) {
		int id = k % __XB_MAP_MAX; /* XB_META (0) comes last */

		xb_pin_path(from, sizeof(from), m->staging, xb_map_names[id]);
		xb_pin_path(to, sizeof(to), m->pin_dir, xb_map_names[id]);
		if (rename(from, to)) {
			int err = -errno;

			xb_warn("cannot move %s over %s: %s; load again to finish the migration",
				from, to, strerror(-err));
			return err;
		}
	}
	rmdir(m->staging);
	return 0;
}

static int migrate(struct migration *m)
{
	int err;

	clear_staging(m->staging);
	if (mkdir(m->staging, 0700)) {
		err = -errno;
		xb_warn("cannot create %s: %s", m->staging, strerror(-err));
		return err;
	}
	err = prepare_links(m);
	if (err)
		goto fail;
	if (m->n_links) {
		m->skel = m->links[0].skel;
	} else {
		m->skel = load_staged(m, 0, &err);
		if (!m->skel)
			goto fail;
	}
	err = copy_all(m);
	if (err)
		goto fail;
	err = switch_links(m);
	if (err)
		goto fail;
	add_counters(m);
	err = swap_pins(m);
	if (!err)
		return 0;
	return err; /* the links run over the new maps already: not undone */
fail:
	if (!m->n_links)
		xdpban_bpf__destroy(m->skel);
	m->skel = NULL;
	clear_staging(m->staging);
	return err;
}

int xb_migrate_needed(const char *pin_dir, const struct xb_load_opts *opts, __u32 *from_layout)
{
	struct migration m;
	int rc = plan(&m, pin_dir, opts);

	if (from_layout)
		*from_layout = m.old_layout;
	close_old(&m);
	return rc;
}

int xb_migrate(const char *pin_dir, const struct xb_load_opts *opts)
{
	struct migration m;
	struct timespec t0, t1;
	int rc;

	rc = plan(&m, pin_dir, opts);
	if (rc <= 0) {
		close_old(&m);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = migrate(&m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!rc) {
		char what[64];

		if (m.old_layout == XB_LAYOUT_VERSION)
			snprintf(what, sizeof(what), "resized");
		else
			snprintf(what, sizeof(what), "migrated from layout %u to %u", m.old_layout,
				 (unsigned int)XB_LAYOUT_VERSION);
		xb_notice("maps in %s %s in %.3f s: %u+%u bans, %u+%u prefixes, %u+%u allow "
			  "entries, %d interface(s) switched",
			  pin_dir, what,
			  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			  m.copied[XB_BAN_V4], m.copied[XB_BAN_V6], m.copied[XB_PFX_V4],
			  m.copied[XB_PFX_V6], m.copied[XB_ALLOW_V4], m.copied[XB_ALLOW_V6],
			  m.n_links);
	}
	if (m.n_links)
		m.skel = NULL; /* one of the links' skeletons */
	xdpban_bpf__destroy(m.skel);
	free_links(&m);
	close_old(&m);
	return rc ? rc : 1;
}
