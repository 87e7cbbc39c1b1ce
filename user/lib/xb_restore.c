// SPDX-License-Identifier: GPL-2.0
/*
 * Rebuilding the maps from the ban journal after a reboot: the last record of each prefix
 * wins, expired bans are left out, the rest go back with their remaining time, age and hit
 * counters, in the kernel batches of xb_bans_add().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "xb.h"

enum rec_kind { REC_BAN, REC_UNBAN, REC_ALLOW, REC_UNALLOW };

struct rec {
	struct xb_prefix pfx;
	__u8 kind;
	size_t seq;
	struct xb_ban_req req;
	__s64 expires;
};

struct recs {
	struct rec *v;
	size_t n, cap;
	size_t bad;
};

/* One decimal field and the space after it; sscanf() costs a third of a restore. */
static int next_num(char **p, bool sign, long long *out)
{
	char *end;

	errno = 0;
	*out = sign ? strtoll(*p, &end, 10) : (long long)strtoull(*p, &end, 10);
	if (errno || end == *p || (*end != ' ' && *end != '\n' && *end))
		return -EINVAL;
	*p = *end == ' ' ? end + 1 : end;
	return 0;
}

static int parse_ban(char *rest, struct rec *r)
{
	long long expires, added, origin, packets, bytes;

	if (next_num(&rest, true, &expires) || next_num(&rest, true, &added) ||
	    next_num(&rest, false, &origin) || next_num(&rest, false, &packets) ||
	    next_num(&rest, false, &bytes) || origin < 0 || origin >= __XB_ORIGIN_MAX)
		return -EINVAL;
	r->expires = expires;
	r->req.added_unix = added;
	r->req.origin = (__u8)origin;
	r->req.packets = (__u64)packets;
	r->req.bytes = (__u64)bytes;
	rest[strcspn(rest, "\n")] = '\0';
	if (xb_reason_check(rest))
		return -EINVAL;
	snprintf(r->req.reason, sizeof(r->req.reason), "%s", rest);
	return 0;
}

/* One journal line; a damaged one (a torn last write) is counted and skipped. */
static int parse_rec(char *line, struct rec *r)
{
	static const char *const kinds[] = { "ban", "unban", "allow", "unallow" };
	char *sp = strchr(line, ' '), *pfx, *rest;

	if (!sp)
		return -EINVAL;
	*sp = '\0';
	pfx = sp + 1;
	rest = pfx + strcspn(pfx, " \n");
	if (*rest)
		*rest++ = '\0';
	memset(r, 0, sizeof(*r));
	for (r->kind = 0; r->kind < 4 && strcmp(line, kinds[r->kind]); r->kind++)
		;
	if (r->kind == 4 || xb_prefix_parse(pfx, &r->pfx, NULL))
		return -EINVAL;
	r->req.pfx = r->pfx;
	return r->kind == REC_BAN ? parse_ban(rest, r) : 0;
}

static int read_recs(const char *path, struct recs *rs)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t lsz = 0;
	struct stat st;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	/* Records are 40 bytes or more: room for all at once, no copying while growing. */
	if (!fstat(fileno(f), &st) && st.st_size > 0) {
		rs->cap = (size_t)st.st_size / 40 + 16;
		rs->v = malloc(rs->cap * sizeof(*rs->v));
		if (!rs->v)
			rs->cap = 0;
	}
	while (getline(&line, &lsz, f) > 0) {
		if (rs->n == rs->cap) {
			void *p = realloc(rs->v, (rs->cap = rs->cap ? rs->cap * 2 : 4096) *
							 sizeof(*rs->v));

			if (!p) {
				free(line);
				fclose(f);
				return -ENOMEM;
			}
			rs->v = p;
		}
		if (parse_rec(line, &rs->v[rs->n])) {
			rs->bad++;
			continue;
		}
		rs->v[rs->n].seq = rs->n;
		rs->n++;
	}
	free(line);
	fclose(f);
	return 0;
}

/*
 * The last record of each key wins; bans and allow entries are separate name spaces. A
 * hash of key -> latest record, O(n): a sort of a million records costs more than the
 * kernel's inserts.
 */
static size_t key_hash(const struct rec *r)
{
	const unsigned char *k = (const unsigned char *)&r->pfx;
	__u64 h = 1469598103934665603ULL ^ (r->kind >= REC_ALLOW);

	for (size_t i = 0; i < sizeof(r->pfx); i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	return (size_t)h;
}

static bool same_key(const struct rec *a, const struct rec *b)
{
	return (a->kind >= REC_ALLOW) == (b->kind >= REC_ALLOW) &&
	       !memcmp(&a->pfx, &b->pfx, sizeof(a->pfx));
}

/* Marks in *last which records are the last of their key. */
static int find_last(const struct recs *rs, unsigned char *last)
{
	size_t cap = 16, *slot;

	while (cap < 2 * rs->n)
		cap <<= 1;
	slot = calloc(cap, sizeof(*slot)); /* record index + 1; 0 = empty */
	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n; i++) {
		size_t h = key_hash(&rs->v[i]) & (cap - 1);

		while (slot[h] && !same_key(&rs->v[slot[h] - 1], &rs->v[i]))
			h = (h + 1) & (cap - 1);
		if (slot[h])
			last[slot[h] - 1] = 0;
		slot[h] = i + 1;
		last[i] = 1;
	}
	free(slot);
	return 0;
}

static int apply(struct xb_maps *maps, struct recs *rs, size_t *restored)
{
	struct xb_ban_req *bans = calloc(rs->n + 1, sizeof(*bans));
	struct xb_prefix *allows = calloc(rs->n + 1, sizeof(*allows));
	unsigned char *last = malloc(rs->n + 1);
	size_t nb = 0, na = 0;
	__s64 now = time(NULL);
	int err = -ENOMEM;

	if (!bans || !allows || !last || find_last(rs, last))
		goto out;
	for (size_t i = 0; i < rs->n; i++) {
		struct rec *r = &rs->v[i];

		if (!last[i])
			continue;
		if (r->kind == REC_ALLOW)
			allows[na++] = r->pfx;
		if (r->kind != REC_BAN || (r->expires && r->expires <= now))
			continue;
		bans[nb] = r->req;
		bans[nb++].timeout_s = r->expires ? (__u64)(r->expires - now) : 0;
	}
	err = nb ? xb_bans_add(maps, bans, nb, NULL) : 0;
	if (!err && na)
		err = xb_allow_add(maps, allows, na, NULL);
	*restored = nb;
out:
	free(bans);
	free(allows);
	free(last);
	return err;
}

int xb_journal_restore(struct xb_maps *maps, const char *state_dir)
{
	struct xb_journal *keep = maps->journal;
	struct recs rs = {};
	char path[PATH_MAX];
	size_t restored = 0;
	int err;

	if (snprintf(path, sizeof(path), "%s/bans.journal", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	err = read_recs(path, &rs);
	if (!err) {
		/* What is restored is in the journal already: write nothing twice. */
		maps->journal = NULL;
		err = apply(maps, &rs, &restored);
		maps->journal = keep;
	}
	if (rs.bad)
		xb_warn("ban journal %s: %zu damaged lines skipped", path, rs.bad);
	free(rs.v);
	/* No compaction here: the journal is right as it is, and restore is on the clock. */
	return err ? err : (int)restored;
}
