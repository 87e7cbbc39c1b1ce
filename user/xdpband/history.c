// SPDX-License-Identifier: GPL-2.0
/*
 * xdpband's history glue (see history.h). The first bad line of a ban is followed here:
 * per source and address, the time of the first failure the pipeline counted since the
 * address's failures last ran out of findtime, handed over when the ban comes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "history.h"

/* Addresses with counted failures followed at once; past it, first-bad times are lost. */
#define PENDING_CAP 16384

struct pending {
	struct xb_prefix addr;
	const struct xbd_source *src;
	bool used;
	__s64 first, last;
};

struct xbd_history {
	struct xb_history *h;
	__s64 minute; /* of the last sample */
	struct pending *tab; /* PENDING_CAP * 2 slots */
	size_t used;
};

/* on_decision has no context argument: the one history of the process. */
static struct xbd_history *active;

struct xbd_history *xbd_history_open(const struct xbd_config *cfg, __u64 retention_s)
{
	struct xb_history_opts o = { .mode = XB_HISTORY_WRITER, .retention_s = retention_s };
	struct xbd_history *xh = calloc(1, sizeof(*xh));
	char path[PATH_MAX + 32];
	int err = -ENOMEM;

	if (xh)
		xh->tab = calloc(PENDING_CAP * 2, sizeof(*xh->tab));
	if (!xh || !xh->tab)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, XB_HISTORY_FILE);
	err = xb_history_open(&xh->h, path, &o);
	if (err)
		goto fail;
	return xh;
fail:
	fprintf(stderr, "xdpband: no history for banctl report: cannot open %s/%s: %s\n",
		cfg->state_dir, XB_HISTORY_FILE, strerror(-err));
	if (xh)
		free(xh->tab);
	free(xh);
	return NULL;
}

void xbd_history_attach(struct xbd_history *h, struct xbd_source *src, size_t n)
{
	active = h;
	if (!h)
		return;
	/* The old sources are gone: their pending failures with them. */
	if (h->used)
		memset(h->tab, 0, PENDING_CAP * 2 * sizeof(*h->tab));
	h->used = 0;
	for (size_t i = 0; i < n; i++)
		src[i].on_decision = xbd_history_ban;
}

static size_t slot_of(const struct xb_prefix *a, const struct xbd_source *src)
{
	const unsigned char *k = (const unsigned char *)a;
	__u64 hash = 1469598103934665603ULL ^ (__u64)(unsigned long)src;

	for (size_t i = 0; i < sizeof(*a); i++)
		hash = (hash ^ k[i]) * 1099511628211ULL;
	return (size_t)hash & (PENDING_CAP * 2 - 1);
}

static struct pending *pending_find(struct xbd_history *h, const struct xbd_source *src,
				    const struct xb_prefix *a, bool add)
{
	size_t i;

	for (i = slot_of(a, src); h->tab[i].used; i = (i + 1) & (PENDING_CAP * 2 - 1)) {
		if (h->tab[i].src == src && !memcmp(&h->tab[i].addr, a, sizeof(*a)))
			return &h->tab[i];
	}
	if (!add)
		return NULL;
	if (h->used >= PENDING_CAP) {
		/* Bounded, crudely: start over, losing some first-bad times. */
		memset(h->tab, 0, PENDING_CAP * 2 * sizeof(*h->tab));
		h->used = 0;
		return pending_find(h, src, a, add);
	}
	h->tab[i] = (struct pending){ .addr = *a, .src = src, .used = true };
	h->used++;
	return &h->tab[i];
}

/* Deletion in linear probing: the entries of the chain after p move up. */
static void pending_forget(struct xbd_history *h, struct pending *p)
{
	size_t i = (size_t)(p - h->tab), mask = PENDING_CAP * 2 - 1;

	h->tab[i].used = false;
	h->used--;
	for (size_t j = (i + 1) & mask; h->tab[j].used; j = (j + 1) & mask) {
		struct pending e = h->tab[j];
		size_t k;

		h->tab[j].used = false;
		for (k = slot_of(&e.addr, e.src); h->tab[k].used; k = (k + 1) & mask)
			;
		h->tab[k] = e;
	}
}

static void counted(struct xbd_history *h, const struct xbd_source *src,
		    const struct xb_line_event *ev, __s64 when)
{
	struct pending *p = pending_find(h, src, &ev->addr, true);

	if (!p)
		return;
	if (!p->first || when - p->last > (__s64)src->popts.findtime_s)
		p->first = when;
	p->last = when;
}

static void banned(struct xbd_history *h, const struct xbd_source *src,
		   const struct xb_line_event *ev, const struct xb_ban_req *req, __s64 when)
{
	struct pending *p = pending_find(h, src, &ev->addr, false);
	struct xb_history_ban b = {
		.pfx = req->pfx,
		.origin = ev->f2b == XB_F2B_RESTORE ? XB_ORIGIN_RESTORE : req->origin,
		.source = src->name,
		.jail = ev->tag,
		.reason = req->reason,
		.duration_s = req->timeout_s,
		.has_score = ev->has_score,
		.score = ev->score,
		.threshold = ev->threshold,
		/* A failure that bans at once (maxretry 1) is its own first bad line. */
		.first_bad = ev->kind == XB_LINE_FAIL ? when : 0,
	};

	if (p && p->first && when - p->last <= (__s64)src->popts.findtime_s)
		b.first_bad = p->first;
	if (p)
		pending_forget(h, p);
	xb_history_ban(h->h, &b);
}

void xbd_history_ban(struct xbd_source *src, enum xb_decision d, const struct xb_line_event *ev,
		     const struct xb_ban_req *req)
{
	struct xbd_history *h = active;
	__s64 when = ev->when ? ev->when : (__s64)time(NULL);

	if (!h)
		return;
	if (ev->kind == XB_LINE_FAIL && ev->has_score)
		xb_history_spam(h->h, when, &ev->addr, ev->score, ev->threshold);
	switch (d) {
	case XB_DEC_COUNTED:
		counted(h, src, ev, when);
		break;
	case XB_DEC_BANNED:
		/* fail2ban logs a Ban line with its Increase Ban: that one counts. */
		if (ev->f2b != XB_F2B_INCREASE)
			banned(h, src, ev, req, when);
		break;
	case XB_DEC_UNBANNED:
		xb_history_unban(h->h, 0, &ev->addr, src->name);
		break;
	default:
		break;
	}
}

void xbd_history_event(struct xbd_history *h, const void *data, size_t size)
{
	if (h && size >= sizeof(struct xb_event))
		xb_history_drop_event(h->h, data);
}

void xbd_history_expired(struct xbd_history *h, const struct xb_ban_entry *e)
{
	if (h)
		xb_history_expired(h->h, e, 0);
}

void xbd_history_tick(struct xbd_history *h, struct xb_maps *maps)
{
	__s64 minute = (__s64)time(NULL) / 60;

	if (!h || minute == h->minute)
		return;
	h->minute = minute;
	xb_history_sample(h->h, maps);
}

void xbd_history_close(struct xbd_history *h, struct xb_maps *maps)
{
	if (!h)
		return;
	if (maps)
		xb_history_sample(h->h, maps);
	if (active == h)
		active = NULL;
	xb_history_close(h->h);
	free(h->tab);
	free(h);
}
