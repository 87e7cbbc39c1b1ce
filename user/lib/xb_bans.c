// SPDX-License-Identifier: GPL-2.0
/*
 * Bans and allow entries in the pinned maps. Host addresses go to the exact hash maps (one
 * hash lookup per packet), everything shorter to the LPM tries. Every change is all or
 * nothing: a failure part way undoes what was done, so the maps are as they were.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <unistd.h>
#include "xb.h"
#include "xb_internal.h"

#define BATCH 8192

union xb_key {
	__u32 v4;
	struct xb_v6_addr v6;
	struct xb_lpm_v4_key lpm4;
	struct xb_lpm_v6_key lpm6;
};

static enum xb_map_id ban_map_of(const struct xb_prefix *p)
{
	bool host = xb_prefix_is_host(p);

	if (p->family == 4)
		return host ? XB_BAN_V4 : XB_PFX_V4;
	return host ? XB_BAN_V6 : XB_PFX_V6;
}

static size_t key_size(enum xb_map_id id)
{
	switch (id) {
	case XB_BAN_V4:
		return sizeof(__u32);
	case XB_BAN_V6:
		return sizeof(struct xb_v6_addr);
	case XB_PFX_V4:
	case XB_ALLOW_V4:
		return sizeof(struct xb_lpm_v4_key);
	default:
		return sizeof(struct xb_lpm_v6_key);
	}
}

static void make_key(enum xb_map_id id, const struct xb_prefix *p, union xb_key *k)
{
	memset(k, 0, sizeof(*k));
	switch (id) {
	case XB_BAN_V4:
		memcpy(&k->v4, p->addr, 4);
		break;
	case XB_BAN_V6:
		memcpy(k->v6.addr, p->addr, 16);
		break;
	case XB_PFX_V4:
	case XB_ALLOW_V4:
		k->lpm4.prefixlen = p->len;
		memcpy(k->lpm4.addr, p->addr, 4);
		break;
	default:
		k->lpm6.prefixlen = p->len;
		memcpy(k->lpm6.addr, p->addr, 16);
		break;
	}
}

static void key_to_prefix(enum xb_map_id id, const void *key, struct xb_prefix *p)
{
	const union xb_key *k = key;

	memset(p, 0, sizeof(*p));
	switch (id) {
	case XB_BAN_V4:
		p->family = 4;
		p->len = 32;
		memcpy(p->addr, &k->v4, 4);
		break;
	case XB_BAN_V6:
		p->family = 6;
		p->len = 128;
		memcpy(p->addr, k->v6.addr, 16);
		break;
	case XB_PFX_V4:
	case XB_ALLOW_V4:
		p->family = 4;
		p->len = (__u8)k->lpm4.prefixlen;
		memcpy(p->addr, k->lpm4.addr, 4);
		break;
	default:
		p->family = 6;
		p->len = (__u8)k->lpm6.prefixlen;
		memcpy(p->addr, k->lpm6.addr, 16);
		break;
	}
}

_Static_assert(XB_ALLOW_V6 - XB_BAN_V4 + 1 == __XB_TABLE_MAX, "enum xb_table follows xb_map_id");

/*
 * One more in the __u64 of xb_meta at offset, seen by every process (banctl status, the
 * metrics, xdpband's sweep). Two processes at once may lose a count, nothing else.
 */
static void count_in_meta(struct xb_maps *maps, size_t offset)
{
	struct xb_meta meta = {};
	__u64 *v = (__u64 *)((char *)&meta + offset);
	__u32 key = 0;

	if (maps->fd[XB_META] < 0 || bpf_map_lookup_elem(maps->fd[XB_META], &key, &meta))
		return;
	++*v;
	bpf_map_update_elem(maps->fd[XB_META], &key, &meta, BPF_ANY);
}

/* Before an insert into a trie, so that the program never skips one that holds entries. */
static int mark_trie(struct xb_maps *maps, enum xb_map_id id)
{
	__u32 one = 1;

	for (__u32 t = 0; t < __XB_TRIE_MAX; t++) {
		if (xb_trie_maps[t] == id)
			return bpf_map_update_elem(maps->fd[XB_HOLDS], &t, &one, BPF_ANY) ? -errno
											  : 0;
	}
	return 0;
}

/*
 * Lets the program skip tries found empty. Only xdpband's sweep may: it holds the pin-dir
 * lock, which every other writer takes, and its own writes come from its one thread; a
 * writer between this check and the clear would leave entries the program skips.
 */
static void unmark_empty_tries(struct xb_maps *maps)
{
	__u32 zero = 0;

	for (__u32 t = 0; t < __XB_TRIE_MAX; t++) {
		union xb_key k;
		__u32 v = 0;

		if (bpf_map_lookup_elem(maps->fd[XB_HOLDS], &t, &v) || !v)
			continue;
		if (!bpf_map_get_next_key(maps->fd[xb_trie_maps[t]], NULL, &k) || errno != ENOENT)
			continue;
		bpf_map_update_elem(maps->fd[XB_HOLDS], &t, &zero, BPF_ANY);
	}
}

__u64 xb_bans_changes(struct xb_maps *maps)
{
	struct xb_meta meta = {};
	__u32 key = 0;

	bpf_map_lookup_elem(maps->fd[XB_META], &key, &meta);
	return meta.ban_changes;
}

static void warn_full(struct xb_maps *maps, enum xb_map_id id, int err)
{
	static const char *const opt[__XB_MAP_MAX][2] = {
		[XB_BAN_V4] = { "--max-ban-v4", "max_ban_v4" },
		[XB_BAN_V6] = { "--max-ban-v6", "max_ban_v6" },
		[XB_PFX_V4] = { "--max-pfx-v4", "max_pfx_v4" },
		[XB_PFX_V6] = { "--max-pfx-v6", "max_pfx_v6" },
		[XB_ALLOW_V4] = { "--max-allow", "max_allow" },
		[XB_ALLOW_V6] = { "--max-allow", "max_allow" },
	};

	if ((err == -E2BIG || err == -ENOSPC || err == -ENOMEM) && opt[id][0]) {
		count_in_meta(maps, offsetof(struct xb_meta, full_refusals) +
					    (size_t)(id - XB_BAN_V4) * sizeof(__u64));
		xb_warn("map %s is full; nothing was changed; raise its capacity with 'banctl "
			"load %s N IFACE...' or %s in xdpban.conf (a resize keeps every ban)",
			xb_map_names[id], opt[id][0], opt[id][1]);
	} else {
		xb_warn("cannot update map %s: %s", xb_map_names[id], strerror(-err));
	}
}

/*
 * Calls fn for every entry of a map: kernel batches where the map type has them (hash
 * maps: about 20x faster at 1M entries), else a key walk.
 */
static int dump_map(int fd, enum xb_map_id id, size_t vsize,
		    int (*fn)(enum xb_map_id, const void *key, const void *val, void *ctx),
		    void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	size_t ks = key_size(id);
	char *keys = malloc(BATCH * ks), *vals = malloc(BATCH * vsize);
	union xb_key k, next;
	__u64 in = 0, out = 0;
	bool first = true;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	if (id == XB_BAN_V4 || id == XB_BAN_V6) {
		for (;;) {
			__u32 count = BATCH;
			int rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals,
						      &count, &bo);

			err = rc ? -errno : 0;
			for (__u32 i = 0; i < count && (!err || err == -ENOENT); i++) {
				int e = fn(id, keys + i * ks, vals + i * vsize, ctx);

				if (e) {
					err = e;
					goto out;
				}
			}
			if (err == -ENOENT) {
				err = 0;
				goto out;
			}
			if (err)
				goto out;
			in = out;
			first = false;
		}
	}
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue; /* deleted meanwhile */
		err = fn(id, &k, vals, ctx);
		if (err)
			goto out;
	}
out:
	free(keys);
	free(vals);
	return err;
}

/* ---- adding bans ---- */

/* What an add changed, so that a failure can put it back. */
struct ban_undo {
	unsigned char *is_new; /* per request: inserted (delete on undo) */
	struct {
		size_t req;
		struct xb_ban old;
	} * old;
	size_t n_old, cap_old;
};

static void fill_ban(const struct xb_ban_req *r, __u64 now, __s64 now_unix, struct xb_ban *b)
{
	memset(b, 0, sizeof(*b));
	b->added_ns = now;
	if (r->added_unix) {
		/* Restored: as old as it was, though never older than this boot. */
		__s64 age_ns = (now_unix - r->added_unix) * 1000000000LL;

		b->added_ns = age_ns > 0 && (__u64)age_ns < now ? now - (__u64)age_ns : 1;
	}
	b->packets = r->packets;
	b->bytes = r->bytes;
	b->expires_ns = r->timeout_s ? now + r->timeout_s * 1000000000ULL : 0;
	b->prefixlen = r->pfx.len;
	b->origin = r->origin;
	memcpy(b->reason, r->reason, sizeof(b->reason));
	b->reason[sizeof(b->reason) - 1] = '\0';
}

/*
 * The bans a large add may refresh, read in one kernel batch walk: a lookup syscall per
 * requested key costs about 1 us, a walk of the whole map far less per entry.
 */
#define SNAPSHOT_MIN 65536

struct snapshot {
	size_t cap, ks;
	unsigned char *used;
	union xb_key *keys;
	struct xb_ban *vals;
};

static int map_capacity(int fd, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*max = info.max_entries;
	return 0;
}

static size_t snap_slot(const struct snapshot *sn, const void *key)
{
	const unsigned char *k = key;
	__u64 h = 1469598103934665603ULL;

	for (size_t i = 0; i < sn->ks; i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	for (size_t i = h & (sn->cap - 1);; i = (i + 1) & (sn->cap - 1)) {
		if (!sn->used[i] || !memcmp(&sn->keys[i], key, sn->ks))
			return i;
	}
}

static int snap_add(enum xb_map_id id, const void *key, const void *val, void *ctx)
{
	struct snapshot *sn = ctx;
	size_t i;

	(void)id;
	if (!sn->used) {
		sn->used = calloc(sn->cap, 1);
		sn->keys = calloc(sn->cap, sizeof(*sn->keys));
		sn->vals = calloc(sn->cap, sizeof(*sn->vals));
		if (!sn->used || !sn->keys || !sn->vals)
			return -ENOMEM;
	}
	i = snap_slot(sn, key);
	sn->used[i] = 1;
	memcpy(&sn->keys[i], key, sn->ks);
	memcpy(&sn->vals[i], val, sizeof(struct xb_ban));
	return 0;
}

static void snap_free(struct snapshot *sn)
{
	free(sn->used);
	free(sn->keys);
	free(sn->vals);
}

/* Old value of key, from the snapshot when there is one, else from the kernel. */
static bool find_existing(int fd, const struct snapshot *sn, const union xb_key *key,
			  struct xb_ban *old)
{
	size_t i;

	if (!sn->cap)
		return !bpf_map_lookup_elem(fd, key, old);
	if (!sn->used)
		return false;
	i = snap_slot(sn, key);
	if (!sn->used[i])
		return false;
	*old = sn->vals[i];
	return true;
}

/*
 * Remember what a ban replaces, and keep its hit counters and age: a refresh changes
 * expiry and reason only. Looked up before any write, so duplicates in one call undo right.
 */
static int note_existing(int fd, const struct snapshot *sn, size_t req, const union xb_key *key,
			 struct xb_ban *val, struct ban_undo *u)
{
	struct xb_ban old;

	if (!find_existing(fd, sn, key, &old)) {
		u->is_new[req] = 1;
		return 0;
	}
	if (u->n_old == u->cap_old) {
		size_t cap = u->cap_old ? u->cap_old * 2 : 64;
		void *p = realloc(u->old, cap * sizeof(*u->old));

		if (!p)
			return -ENOMEM;
		u->old = p;
		u->cap_old = cap;
	}
	val->added_ns = old.added_ns;
	val->packets = old.packets;
	val->bytes = old.bytes;
	u->old[u->n_old].req = req;
	u->old[u->n_old].old = old;
	u->n_old++;
	return 0;
}

/*
 * Writes keys[0..n) in kernel batches where the map has them (hash maps; batches take no
 * BPF_NOEXIST, hence the lookups first), else one by one. *at is the failing position.
 */
static int apply_bans(int fd, enum xb_map_id id, const size_t *idx, union xb_key *keys,
		      struct xb_ban *vals, size_t n, struct ban_undo *u, size_t *at)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	bool batch = id == XB_BAN_V4 || id == XB_BAN_V6;
	size_t ks = key_size(id), i = 0;
	struct snapshot sn = { .ks = ks };
	char *packed = NULL;
	__u32 max = 0;
	int err = 0;

	if (batch && n >= SNAPSHOT_MIN && !map_capacity(fd, &max)) {
		for (sn.cap = 1; sn.cap < 2 * (size_t)max; sn.cap <<= 1)
			;
		err = dump_map(fd, id, sizeof(struct xb_ban), snap_add, &sn);
	}
	for (size_t j = 0; j < n && !err; j++)
		err = note_existing(fd, &sn, idx[j], &keys[j], &vals[j], u);
	snap_free(&sn);
	if (!err && batch) {
		packed = malloc(n * ks + 1);
		if (!packed)
			err = -ENOMEM;
		for (size_t j = 0; packed && j < n; j++)
			memcpy(packed + j * ks, &keys[j], ks);
	}
	while (!err && i < n) {
		__u32 count = (__u32)(n - i < BATCH ? n - i : BATCH);

		if (batch) {
			if (bpf_map_update_batch(fd, packed + i * ks, &vals[i], &count, &bo))
				err = -errno;
		} else if (bpf_map_update_elem(fd, &keys[i], &vals[i], BPF_ANY)) {
			err = -errno;
			count = 0;
		} else {
			count = 1;
		}
		i += count;
	}
	free(packed);
	*at = i;
	return err;
}

static void undo_bans(struct xb_maps *maps, const struct xb_ban_req *reqs, size_t n,
		      struct ban_undo *u)
{
	union xb_key key;

	for (size_t k = u->n_old; k-- > 0;) {
		const struct xb_prefix *p = &reqs[u->old[k].req].pfx;
		enum xb_map_id id = ban_map_of(p);

		make_key(id, p, &key);
		bpf_map_update_elem(maps->fd[id], &key, &u->old[k].old, BPF_ANY);
	}
	for (size_t i = 0; i < n; i++) {
		enum xb_map_id id;

		if (!u->is_new[i])
			continue;
		id = ban_map_of(&reqs[i].pfx);
		make_key(id, &reqs[i].pfx, &key);
		bpf_map_delete_elem(maps->fd[id], &key);
	}
}

int xb_bans_add(struct xb_maps *maps, const struct xb_ban_req *reqs, size_t n, size_t *bad)
{
	struct ban_undo u = {};
	union xb_key *keys = NULL;
	struct xb_ban *vals = NULL;
	size_t *idx = NULL;
	__u64 now = xb_now_boot_ns();
	__s64 now_unix = xb_boot_to_unix(now);
	int err = 0;

	u.is_new = calloc(n + 1, 1);
	keys = calloc(n + 1, sizeof(*keys));
	vals = calloc(n + 1, sizeof(*vals));
	idx = calloc(n + 1, sizeof(*idx));
	if (!u.is_new || !keys || !vals || !idx) {
		err = -ENOMEM;
		goto out;
	}
	for (int id = XB_BAN_V4; id <= XB_PFX_V6; id++) {
		size_t m = 0, at = 0;

		for (size_t i = 0; i < n; i++) {
			if (ban_map_of(&reqs[i].pfx) != (enum xb_map_id)id)
				continue;
			make_key(id, &reqs[i].pfx, &keys[m]);
			fill_ban(&reqs[i], now, now_unix, &vals[m]);
			idx[m++] = i;
		}
		if (!m)
			continue;
		err = mark_trie(maps, id);
		if (!err)
			err = apply_bans(maps->fd[id], id, idx, keys, vals, m, &u, &at);
		if (err) {
			warn_full(maps, id, err);
			if (bad)
				*bad = idx[at < m ? at : m - 1];
			undo_bans(maps, reqs, n, &u);
			xb_journal_abort(maps->journal);
			break;
		}
		for (size_t j = 0; j < m; j++)
			xb_journal_ban(maps->journal, &reqs[idx[j]].pfx, &vals[j]);
	}
	if (!err) {
		xb_journal_commit(maps->journal);
		/* Tells xdpband the bans changed, so that it sweeps for expiries again. */
		count_in_meta(maps, offsetof(struct xb_meta, ban_changes));
	}
out:
	free(u.is_new);
	free(u.old);
	free(keys);
	free(vals);
	free(idx);
	return err;
}

/* ---- removing ---- */

/* Deletes n entries of any kind, all or nothing; value_size bytes each are kept for undo. */
static int del_entries(struct xb_maps *maps, const struct xb_prefix *pfx, size_t n, size_t *bad,
		       enum xb_map_id (*map_of)(const struct xb_prefix *), size_t value_size,
		       const char *what)
{
	char *old = calloc(n + 1, value_size);
	union xb_key key;
	size_t done = 0;
	int err = 0;

	if (!old)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		enum xb_map_id id = map_of(&pfx[i]);

		make_key(id, &pfx[i], &key);
		if (bpf_map_lookup_elem(maps->fd[id], &key, old + i * value_size)) {
			char text[XB_PREFIX_STRLEN];

			xb_prefix_format(&pfx[i], text, sizeof(text));
			err = -errno;
			if (err == -ENOENT)
				xb_warn("%s is not %s; nothing was removed", text, what);
			if (bad)
				*bad = i;
			goto out;
		}
	}
	for (; done < n; done++) {
		enum xb_map_id id = map_of(&pfx[done]);

		make_key(id, &pfx[done], &key);
		/* The same prefix twice in one call: the second delete finds it gone. */
		if (bpf_map_delete_elem(maps->fd[id], &key) && errno != ENOENT) {
			err = -errno;
			if (bad)
				*bad = done;
			break;
		}
	}
	while (err && done-- > 0) {
		enum xb_map_id id = map_of(&pfx[done]);

		make_key(id, &pfx[done], &key);
		bpf_map_update_elem(maps->fd[id], &key, old + done * value_size, BPF_ANY);
	}
	for (size_t i = 0; !err && maps->journal && i < n; i++) {
		if (value_size == sizeof(struct xb_ban))
			xb_journal_unban(maps->journal, &pfx[i]);
		else
			xb_journal_allow(maps->journal, &pfx[i], false);
	}
	if (!err) {
		xb_journal_commit(maps->journal);
		/* Tells xdpband the bans changed, so that it sweeps for expiries again. */
		count_in_meta(maps, offsetof(struct xb_meta, ban_changes));
	}
out:
	free(old);
	return err;
}

int xb_bans_del(struct xb_maps *maps, const struct xb_prefix *pfx, size_t n, size_t *bad)
{
	return del_entries(maps, pfx, n, bad, ban_map_of, sizeof(struct xb_ban), "banned");
}

/* ---- listing ---- */

struct collect {
	char *items;
	size_t n, cap, item_size;
};

static void *collect_slot(struct collect *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		char *p = realloc(c->items, cap * c->item_size);

		if (!p)
			return NULL;
		c->items = p;
		c->cap = cap;
	}
	return c->items + c->n++ * c->item_size;
}

static int collect_ban(enum xb_map_id id, const void *key, const void *val, void *ctx)
{
	struct xb_ban_entry *e = collect_slot(ctx);

	if (!e)
		return -ENOMEM;
	key_to_prefix(id, key, &e->pfx);
	memcpy(&e->ban, val, sizeof(e->ban));
	return 0;
}

struct walk {
	xb_ban_walk_fn fn;
	void *ctx;
};

static int walk_one(enum xb_map_id id, const void *key, const void *val, void *ctx)
{
	struct walk *w = ctx;
	struct xb_ban_entry e;

	key_to_prefix(id, key, &e.pfx);
	memcpy(&e.ban, val, sizeof(e.ban));
	return w->fn(&e, w->ctx);
}

int xb_bans_walk(struct xb_maps *maps, xb_ban_walk_fn fn, void *ctx)
{
	struct walk w = { .fn = fn, .ctx = ctx };
	int err = 0;

	for (int id = XB_BAN_V4; id <= XB_PFX_V6 && !err; id++)
		err = dump_map(maps->fd[id], id, sizeof(struct xb_ban), walk_one, &w);
	return err;
}

int xb_bans_list(struct xb_maps *maps, struct xb_ban_entry **out, size_t *n)
{
	struct collect c = { .item_size = sizeof(struct xb_ban_entry) };
	int err = 0;

	for (int id = XB_BAN_V4; id <= XB_PFX_V6 && !err; id++)
		err = dump_map(maps->fd[id], id, sizeof(struct xb_ban), collect_ban, &c);
	if (err) {
		free(c.items);
		return err;
	}
	*out = (struct xb_ban_entry *)c.items;
	*n = c.n;
	return 0;
}

/* The walk keeps only what expired (memory by expiries, not by bans) and the next expiry. */
struct expiry_walk {
	struct collect c;
	__u64 now, next;
};

static int collect_expired(enum xb_map_id id, const void *key, const void *val, void *ctx)
{
	const struct xb_ban *b = val;
	struct expiry_walk *w = ctx;

	if (!b->expires_ns)
		return 0;
	if (b->expires_ns > w->now) {
		if (b->expires_ns < w->next)
			w->next = b->expires_ns;
		return 0;
	}
	return collect_ban(id, key, val, &w->c);
}

int xb_bans_expire(struct xb_maps *maps, xb_expire_fn fn, void *ctx, __u64 *next_ns)
{
	struct expiry_walk w = { .c.item_size = sizeof(struct xb_ban_entry), .next = UINT64_MAX };
	int lock_fd = -1, removed = 0, err = 0;
	struct xb_ban_entry *e;
	__u64 now;

	if (maps->lock_fd < 0) {
		lock_fd = xb_lock(maps->pin_dir, true);
		if (lock_fd < 0)
			return lock_fd;
	}
	w.now = xb_now_boot_ns();
	for (int id = XB_BAN_V4; id <= XB_PFX_V6 && !err; id++)
		err = dump_map(maps->fd[id], id, sizeof(struct xb_ban), collect_expired, &w);
	e = (struct xb_ban_entry *)w.c.items;
	now = xb_now_boot_ns();
	for (size_t i = 0; !err && i < w.c.n; i++) {
		enum xb_map_id id = ban_map_of(&e[i].pfx);
		union xb_key key;

		make_key(id, &e[i].pfx, &key);
		/* Refreshed since the walk? Then it is not expired any more. */
		if (bpf_map_lookup_elem(maps->fd[id], &key, &e[i].ban) ||
		    e[i].ban.expires_ns > now || !e[i].ban.expires_ns)
			continue;
		if (bpf_map_delete_elem(maps->fd[id], &key))
			continue;
		removed++;
		xb_journal_unban(maps->journal, &e[i].pfx);
		if (fn)
			fn(&e[i], ctx);
	}
	xb_journal_commit(maps->journal);
	free(e);
	if (!err)
		unmark_empty_tries(maps);
	if (lock_fd >= 0)
		close(lock_fd);
	if (next_ns)
		*next_ns = w.next;
	return err ? err : removed;
}

/* ---- allow list ---- */

static enum xb_map_id allow_map_of(const struct xb_prefix *p)
{
	return p->family == 4 ? XB_ALLOW_V4 : XB_ALLOW_V6;
}

int xb_allow_add(struct xb_maps *maps, const struct xb_prefix *pfx, size_t n, size_t *bad)
{
	unsigned char *is_new = calloc(n + 1, 1);
	__u64 now = xb_now_boot_ns();
	union xb_key key;
	int err = 0;

	if (!is_new)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		enum xb_map_id id = allow_map_of(&pfx[i]);
		struct xb_allow val = { .added_ns = now, .prefixlen = pfx[i].len };

		make_key(id, &pfx[i], &key);
		err = mark_trie(maps, id);
		if (err) {
			xb_warn("cannot update map %s: %s", xb_map_names[XB_HOLDS], strerror(-err));
			if (bad)
				*bad = i;
			break;
		}
		if (!bpf_map_update_elem(maps->fd[id], &key, &val, BPF_NOEXIST)) {
			is_new[i] = 1;
		} else if (errno != EEXIST) {
			err = -errno;
			warn_full(maps, id, err);
			if (bad)
				*bad = i;
			break;
		}
	}
	for (size_t i = 0; err && i < n; i++) {
		if (!is_new[i])
			continue;
		make_key(allow_map_of(&pfx[i]), &pfx[i], &key);
		bpf_map_delete_elem(maps->fd[allow_map_of(&pfx[i])], &key);
	}
	for (size_t i = 0; !err && i < n; i++)
		xb_journal_allow(maps->journal, &pfx[i], true);
	if (!err)
		xb_journal_commit(maps->journal);
	free(is_new);
	return err;
}

int xb_allow_del(struct xb_maps *maps, const struct xb_prefix *pfx, size_t n, size_t *bad)
{
	return del_entries(maps, pfx, n, bad, allow_map_of, sizeof(struct xb_allow),
			   "on the allow list");
}

static int collect_allow(enum xb_map_id id, const void *key, const void *val, void *ctx)
{
	struct xb_allow_entry *e = collect_slot(ctx);

	if (!e)
		return -ENOMEM;
	key_to_prefix(id, key, &e->pfx);
	memcpy(&e->allow, val, sizeof(e->allow));
	return 0;
}

int xb_allow_list(struct xb_maps *maps, struct xb_allow_entry **out, size_t *n)
{
	struct collect c = { .item_size = sizeof(struct xb_allow_entry) };
	int err = 0;

	for (int id = XB_ALLOW_V4; id <= XB_ALLOW_V6 && !err; id++)
		err = dump_map(maps->fd[id], id, sizeof(struct xb_allow), collect_allow, &c);
	if (err) {
		free(c.items);
		return err;
	}
	*out = (struct xb_allow_entry *)c.items;
	*n = c.n;
	return 0;
}
