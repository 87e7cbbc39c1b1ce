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

static int parse_ban(char *rest, struct rec *r)
{
	long long expires, added;
	unsigned long long packets, bytes;
	unsigned int origin;
	int used = 0;

	if (sscanf(rest, "%lld %lld %u %llu %llu %n", &expires, &added, &origin, &packets, &bytes,
		   &used) != 5 ||
	    origin >= __XB_ORIGIN_MAX)
		return -EINVAL;
	r->expires = expires;
	r->req.added_unix = added;
	r->req.origin = (__u8)origin;
	r->req.packets = packets;
	r->req.bytes = bytes;
	rest += used;
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

	if (!f)
		return errno == ENOENT ? 0 : -errno;
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

/* Bans and allow entries are separate name spaces; within one, the last record wins. */
static int cmp_rec(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;
	int ca = a->kind >= REC_ALLOW, cb = b->kind >= REC_ALLOW, c;

	if (ca != cb)
		return ca - cb;
	c = memcmp(&a->pfx, &b->pfx, sizeof(a->pfx));
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool last_of_key(const struct recs *rs, size_t i)
{
	return i + 1 == rs->n ||
	       (rs->v[i].kind >= REC_ALLOW) != (rs->v[i + 1].kind >= REC_ALLOW) ||
	       memcmp(&rs->v[i].pfx, &rs->v[i + 1].pfx, sizeof(rs->v[i].pfx));
}

static int apply(struct xb_maps *maps, struct recs *rs, size_t *restored)
{
	struct xb_ban_req *bans = calloc(rs->n + 1, sizeof(*bans));
	struct xb_prefix *allows = calloc(rs->n + 1, sizeof(*allows));
	size_t nb = 0, na = 0;
	__s64 now = time(NULL);
	int err = -ENOMEM;

	if (!bans || !allows)
		goto out;
	for (size_t i = 0; i < rs->n; i++) {
		struct rec *r = &rs->v[i];

		if (!last_of_key(rs, i))
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
		qsort(rs.v, rs.n, sizeof(*rs.v), cmp_rec);
		/* What is restored is in the journal already: write nothing twice. */
		maps->journal = NULL;
		err = apply(maps, &rs, &restored);
		maps->journal = keep;
	}
	if (rs.bad)
		xb_warn("ban journal %s: %zu damaged lines skipped", path, rs.bad);
	free(rs.v);
	if (!err)
		err = xb_journal_compact(maps, state_dir);
	return err ? err : (int)restored;
}
