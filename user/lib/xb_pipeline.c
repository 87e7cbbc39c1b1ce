// SPDX-License-Identifier: GPL-2.0
/*
 * The ban pipeline (see xb_pipeline.h). Failures are tracked in a bounded open-addressing
 * table keyed by address: a ring of the last maxretry failure times, and how often the
 * address was banned already, for bantime.increment. A full table makes room by forgetting
 * the least recently seen address, never by refusing a new one: a flood of addresses must
 * not shut the next attacker out of being counted.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "xb_pipeline.h"

#define DEFAULT_TRACKED 65536
#define MAX_RETRY_TRACKED 64
/* Slots sampled for the least recently seen entry when the table is full. */
#define EVICT_SAMPLES 16
/* fail2ban's formula caps the doubling at 2^20. */
#define INCREMENT_MAX_SHIFT 20

struct tracked {
	struct xb_prefix addr;
	bool used;
	__u8 n; /* failure times held in ring */
	__u8 head;
	__u32 bans; /* bans of this address by this source so far */
	__s64 last;
	__s64 *ring; /* maxretry failure times, allocated with the entry */
};

struct xb_pipeline {
	struct xb_pipeline_opts o;
	struct xb_prefix *ignore;
	struct tracked *tab;
	size_t cap, used;
	struct xb_pipeline_stats st;
	bool dirty;
	__s64 swept_at; /* when the full table was last swept, wall clock */
	__s64 swept_when; /* and in the log's own time */
	__s64 minute; /* the minute bans_this_minute counts */
	__u32 bans_this_minute;
	__u64 rng; /* xorshift state for eviction sampling; fixed seed, reproducible */
};

const char *xb_decision_name(enum xb_decision d)
{
	static const char *const names[] = {
		[XB_DEC_NONE] = "none",	      [XB_DEC_COUNTED] = "counted",
		[XB_DEC_BANNED] = "banned",   [XB_DEC_UNBANNED] = "unbanned",
		[XB_DEC_IGNORED] = "ignored", [XB_DEC_DRYRUN] = "dryrun",
		[XB_DEC_ERROR] = "error",     [XB_DEC_CAPPED] = "capped",
	};

	return d <= XB_DEC_CAPPED ? names[d] : "unknown";
}

struct xb_pipeline *xb_pipeline_new(const struct xb_pipeline_opts *opts)
{
	struct xb_pipeline *p = calloc(1, sizeof(*p));
	size_t want = opts->max_tracked ? opts->max_tracked : DEFAULT_TRACKED;

	if (!p)
		return NULL;
	p->o = *opts;
	if (!p->o.maxretry)
		p->o.maxretry = 1;
	if (p->o.maxretry > MAX_RETRY_TRACKED)
		p->o.maxretry = MAX_RETRY_TRACKED;
	/* Twice the entries as slots keeps probe chains short. */
	for (p->cap = 16; p->cap < 2 * want; p->cap <<= 1)
		;
	p->tab = calloc(p->cap, sizeof(*p->tab));
	if (opts->n_ignore)
		p->ignore = calloc(opts->n_ignore, sizeof(*p->ignore));
	if (!p->tab || (opts->n_ignore && !p->ignore)) {
		xb_pipeline_free(p);
		return NULL;
	}
	if (opts->n_ignore)
		memcpy(p->ignore, opts->ignore, opts->n_ignore * sizeof(*p->ignore));
	p->o.ignore = p->ignore;
	p->o.max_tracked = want;
	p->rng = 0x9E3779B97F4A7C15ULL;
	return p;
}

void xb_pipeline_free(struct xb_pipeline *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->tab && i < p->cap; i++)
		free(p->tab[i].ring);
	free(p->tab);
	free(p->ignore);
	free(p);
}

void xb_pipeline_stats(const struct xb_pipeline *p, struct xb_pipeline_stats *st)
{
	*st = p->st;
}

static size_t slot_of(const struct xb_pipeline *p, const struct xb_prefix *a)
{
	const unsigned char *k = (const unsigned char *)a;
	__u64 h = 1469598103934665603ULL;

	for (size_t i = 0; i < sizeof(*a); i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	return (size_t)h & (p->cap - 1);
}

/* Deletion in linear probing: re-place the entries of the chain that follows. */
static void forget(struct xb_pipeline *p, size_t i)
{
	free(p->tab[i].ring);
	p->tab[i].ring = NULL;
	p->tab[i].used = false;
	p->used--;
	for (size_t j = (i + 1) & (p->cap - 1); p->tab[j].used; j = (j + 1) & (p->cap - 1)) {
		struct tracked t = p->tab[j];

		/* Moved, not freed: the slot left behind must not own the ring too. */
		p->tab[j].used = false;
		p->tab[j].ring = NULL;
		p->used--;
		for (i = slot_of(p, &t.addr); p->tab[i].used; i = (i + 1) & (p->cap - 1))
			;
		p->tab[i] = t;
		p->used++;
	}
}

/*
 * Drops addresses whose failures all lie outside findtime, unless bantime.increment needs
 * the count of their bans.
 */
static void sweep(struct xb_pipeline *p, __s64 now)
{
	for (size_t i = 0; i < p->cap; i++) {
		if (p->tab[i].used && (!p->tab[i].bans || !p->o.increment) &&
		    p->tab[i].last + (__s64)p->o.findtime_s < now) {
			forget(p, i);
			i--; /* the chain moved into i */
		}
	}
}

/* Forgets the least recently seen of a few sampled entries (an approximate LRU). */
static void evict_one(struct xb_pipeline *p)
{
	size_t best = SIZE_MAX;

	for (int k = 0; k < EVICT_SAMPLES || best == SIZE_MAX; k++) {
		size_t i;

		p->rng ^= p->rng << 13;
		p->rng ^= p->rng >> 7;
		p->rng ^= p->rng << 17;
		i = (size_t)p->rng & (p->cap - 1);
		if (p->tab[i].used && (best == SIZE_MAX || p->tab[i].last < p->tab[best].last))
			best = i;
	}
	forget(p, best);
	p->st.evicted++;
}

static struct tracked *track(struct xb_pipeline *p, const struct xb_prefix *a, __s64 now)
{
	size_t i = slot_of(p, a);

	for (; p->tab[i].used; i = (i + 1) & (p->cap - 1)) {
		if (!memcmp(&p->tab[i].addr, a, sizeof(*a)))
			return &p->tab[i];
	}
	if (p->used >= p->o.max_tracked) {
		/* A sweep walks the whole table: at most once a wall-clock second, or once
		 * the log's own time moved a findtime on (a backlog's stamps run much faster),
		 * or a flood of new addresses into a full table would walk it every line. */
		__s64 wall = time(NULL);

		if (wall != p->swept_at || now - p->swept_when >= (__s64)p->o.findtime_s) {
			p->swept_at = wall;
			p->swept_when = now;
			sweep(p, now);
		}
		if (p->used >= p->o.max_tracked)
			evict_one(p);
		return track(p, a, now);
	}
	memset(&p->tab[i], 0, sizeof(p->tab[i]));
	/* Per entry, sized by maxretry: 8 bytes an address for the common maxretry = 1. */
	p->tab[i].ring = calloc(p->o.maxretry, sizeof(*p->tab[i].ring));
	if (!p->tab[i].ring)
		return NULL;
	p->tab[i].addr = *a;
	p->tab[i].used = true;
	p->used++;
	return &p->tab[i];
}

/* Failures within findtime, after adding the one at t. */
static unsigned int add_failure(struct tracked *t, __u32 maxretry, __u64 findtime, __s64 when)
{
	unsigned int live = 0;

	t->ring[t->head] = when;
	t->head = (__u8)((t->head + 1) % maxretry);
	if (t->n < maxretry)
		t->n++;
	for (unsigned int i = 0; i < t->n; i++)
		live += t->ring[i] + (__s64)findtime >= when;
	t->last = when;
	return live;
}

/* fail2ban's default bantime.formula: bantime * 2^min(bans, 20) * factor, capped. */
static __u64 ban_length(const struct xb_pipeline_opts *o, __u32 prior_bans)
{
	double len = (double)o->bantime_s;

	if (!o->bantime_s || !o->increment)
		return o->bantime_s;
	len *= (double)(1ULL << (prior_bans < INCREMENT_MAX_SHIFT ? prior_bans
								  : INCREMENT_MAX_SHIFT));
	len *= o->factor > 0 ? o->factor : 1.0;
	if (o->maxtime_s && len > (double)o->maxtime_s)
		len = (double)o->maxtime_s;
	if (len > (double)XB_DURATION_MAX)
		len = (double)XB_DURATION_MAX;
	return len < 1 ? 1 : (__u64)len;
}

static bool ignored(struct xb_pipeline *p, struct xb_maps *maps, const struct xb_prefix *a)
{
	const char *why;

	for (size_t i = 0; i < p->o.n_ignore; i++) {
		if (xb_prefix_covers(&p->o.ignore[i], a))
			return true;
	}
	return p->o.ignoreself && xb_never_ban(maps, a, &why, NULL);
}

/* Bans per wall-clock minute; the first refusal of a minute is logged. */
static bool over_cap(struct xb_pipeline *p)
{
	__s64 minute = time(NULL) / 60;

	if (!p->o.max_bans_per_min)
		return false;
	if (minute != p->minute) {
		p->minute = minute;
		p->bans_this_minute = 0;
	}
	if (p->bans_this_minute < p->o.max_bans_per_min) {
		p->bans_this_minute++;
		return false;
	}
	if (!p->st.capped++ || p->bans_this_minute == p->o.max_bans_per_min) {
		xb_warn("source %s: more than %u bans this minute; refusing the rest (check its "
			"regex, or raise max_bans_per_minute)",
			p->o.name, p->o.max_bans_per_min);
		p->bans_this_minute++;
	}
	return true;
}

static enum xb_decision ban(struct xb_pipeline *p, struct xb_maps *maps, struct xb_ban_req *r)
{
	char text[XB_PREFIX_STRLEN];
	int err;

	if (over_cap(p))
		return XB_DEC_CAPPED;
	if (p->o.dryrun || !maps) {
		p->st.dryrun++;
		return XB_DEC_DRYRUN;
	}
	err = xb_bans_add(maps, r, 1, NULL);
	if (err) {
		xb_prefix_format(&r->pfx, text, sizeof(text));
		xb_warn("source %s: cannot ban %s: %s", p->o.name, text, strerror(-err));
		p->st.errors++;
		return XB_DEC_ERROR;
	}
	p->st.bans++;
	return XB_DEC_BANNED;
}

static enum xb_decision unban(struct xb_pipeline *p, struct xb_maps *maps,
			      const struct xb_prefix *a)
{
	size_t bad;
	int err;

	if (p->o.dryrun || !maps) {
		p->st.dryrun++;
		return XB_DEC_DRYRUN;
	}
	err = xb_bans_del(maps, a, 1, &bad);
	if (err && err != -ENOENT) {
		p->st.errors++;
		return XB_DEC_ERROR;
	}
	p->st.unbans++;
	return XB_DEC_UNBANNED;
}

static void fill_req(const struct xb_pipeline *p, const struct xb_line_event *ev, __u64 len,
		     struct xb_ban_req *r)
{
	memset(r, 0, sizeof(*r));
	r->pfx = ev->addr;
	r->timeout_s = len;
	r->origin = (__u8)p->o.origin;
	if (ev->tag[0])
		snprintf(r->reason, sizeof(r->reason), "%.11s/%.11s", p->o.name, ev->tag);
	else
		snprintf(r->reason, sizeof(r->reason), "%s", p->o.name);
}

/* A failure: counted, and at maxretry within findtime, a ban. */
static enum xb_decision on_fail(struct xb_pipeline *p, struct xb_maps *maps,
				const struct xb_line_event *ev, __s64 when, struct xb_ban_req *r)
{
	struct tracked *t;
	enum xb_decision d;

	if (ev->has_score && p->o.has_minscore && ev->score < p->o.minscore) {
		p->st.ignored++;
		return XB_DEC_IGNORED;
	}
	if (p->o.maxretry == 1 && !p->o.increment) {
		/* Nothing to count and no ban history to keep: no table entry. */
		fill_req(p, ev, ban_length(&p->o, 0), r);
		return ban(p, maps, r);
	}
	t = track(p, &ev->addr, when);
	p->dirty = true;
	if (!t) {
		p->st.untracked++;
		return XB_DEC_NONE;
	}
	if (add_failure(t, p->o.maxretry, p->o.findtime_s, when) < p->o.maxretry) {
		p->st.counted++;
		return XB_DEC_COUNTED;
	}
	fill_req(p, ev, ban_length(&p->o, t->bans), r);
	d = ban(p, maps, r);
	if (d == XB_DEC_BANNED || d == XB_DEC_DRYRUN) {
		t->bans++;
		t->n = 0;
		t->head = 0;
	}
	return d;
}

enum xb_decision xb_pipeline_feed(struct xb_pipeline *p, struct xb_maps *maps,
				  const struct xb_line_event *ev, __s64 now, struct xb_ban_req *req)
{
	struct xb_ban_req local = { .timeout_s = 0 };
	struct xb_ban_req *r = req ? req : &local;
	__s64 when = ev->when ? ev->when : now;

	if (ev->kind != XB_LINE_FAIL && ev->kind != XB_LINE_BAN && ev->kind != XB_LINE_UNBAN)
		return XB_DEC_NONE;
	p->st.events++;
	if (ev->kind == XB_LINE_UNBAN)
		return unban(p, maps, &ev->addr);
	if (ignored(p, maps, &ev->addr)) {
		p->st.ignored++;
		return XB_DEC_IGNORED;
	}
	if (ev->kind == XB_LINE_FAIL)
		return on_fail(p, maps, ev, when, r);
	/* fail2ban decided already; its Increase Ban line may carry the new length. */
	fill_req(p, ev, ev->bantime_s ? ev->bantime_s : p->o.bantime_s, r);
	return ban(p, maps, r);
}

bool xb_pipeline_dirty(const struct xb_pipeline *p)
{
	return p->dirty;
}

static void save_one(FILE *f, const struct tracked *t)
{
	char text[XB_PREFIX_STRLEN];

	xb_prefix_format(&t->addr, text, sizeof(text));
	fprintf(f, "%s %u %u", text, t->bans, t->n);
	for (unsigned int i = 0; i < t->n; i++)
		fprintf(f, " %lld", (long long)t->ring[i]);
	fputc('\n', f);
}

int xb_pipeline_save(struct xb_pipeline *p, const char *path)
{
	char tmp[4096];
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	for (size_t i = 0; i < p->cap; i++) {
		if (p->tab[i].used)
			save_one(f, &p->tab[i]);
	}
	if (fflush(f) || fdatasync(fileno(f)))
		err = -errno;
	fclose(f);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	else
		p->dirty = false;
	return err;
}

/* "ADDR BANS N T1..TN"; the ring is rebuilt oldest first. */
static int load_one(struct xb_pipeline *p, char *line)
{
	char *save = NULL, *tok = strtok_r(line, " \n", &save);
	struct xb_prefix a;
	struct tracked *t;
	unsigned int n;

	if (!tok || xb_prefix_parse(tok, &a, NULL))
		return -EINVAL;
	t = track(p, &a, 0);
	tok = strtok_r(NULL, " \n", &save);
	if (!t || !tok)
		return -EINVAL;
	t->bans = (__u32)strtoul(tok, NULL, 10);
	tok = strtok_r(NULL, " \n", &save);
	n = tok ? (unsigned int)strtoul(tok, NULL, 10) : 0;
	for (unsigned int i = 0; i < n && i < p->o.maxretry; i++) {
		tok = strtok_r(NULL, " \n", &save);
		if (!tok)
			break;
		add_failure(t, p->o.maxretry, p->o.findtime_s, strtoll(tok, NULL, 10));
	}
	return 0;
}

int xb_pipeline_load(struct xb_pipeline *p, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t lsz = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &lsz, f) > 0)
		load_one(p, line);
	free(line);
	fclose(f);
	p->dirty = false;
	return 0;
}
