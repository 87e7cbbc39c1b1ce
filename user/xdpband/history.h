/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdpband's history (state_dir/history.sqlite, read by `banctl report`): the daemon's side
 * of xb_history. The sources report their decisions through on_decision (bans, unbans,
 * spam scores, and when the first bad line of a ban was read), the ring buffer its drop
 * events, the expiry sweep what it removed; once a minute the tick samples every ban's hit
 * counters. Nothing here can stop the daemon: without a usable database it runs on, saying
 * once why there is no history.
 */
#ifndef XBD_HISTORY_H
#define XBD_HISTORY_H

#include <stddef.h>
#include "config.h"
#include "sources.h"
#include "xb_history.h"

struct xbd_history;

/*
 * Opens (creating) cfg->state_dir/history.sqlite, keeping retention_s of it (0 = 30 days).
 * NULL, after one message, when it cannot: every function below accepts a NULL history.
 */
struct xbd_history *xbd_history_open(const struct xbd_config *cfg, __u64 retention_s);

/*
 * Makes the sources report their decisions to h (their on_decision); again after every
 * reload, for the new sources. One history per process.
 */
void xbd_history_attach(struct xbd_history *h, struct xbd_source *src, size_t n);

/* The on_decision callback xbd_history_attach() installs. */
void xbd_history_ban(struct xbd_source *src, enum xb_decision d, const struct xb_line_event *ev,
		     const struct xb_ban_req *req);

/* One drop-log ring-buffer record (struct xb_event), as ring_buffer__new() hands it. */
void xbd_history_event(struct xbd_history *h, const void *data, size_t size);

/* A ban xb_bans_expire() removed, with its final hit counters. */
void xbd_history_expired(struct xbd_history *h, const struct xb_ban_entry *e);

/* From the daemon's loop, about every second: samples the bans when the minute changes. */
void xbd_history_tick(struct xbd_history *h, struct xb_maps *maps);

/* A last sample (maps may be NULL: none), then closes. NULL-safe. */
void xbd_history_close(struct xbd_history *h, struct xb_maps *maps);

#endif /* XBD_HISTORY_H */
