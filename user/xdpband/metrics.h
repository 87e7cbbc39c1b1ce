/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdpband's metrics: what the maps know plus the daemon's own counters (per-source log
 * lines and bans, expiry removals, start time), in the Prometheus text format, written
 * atomically to a node_exporter textfile-collector file every interval and, when asked,
 * served on GET /metrics by libmicrohttpd (bound to loopback unless an address is given).
 * Everything runs from the daemon's loop except the HTTP server's own thread, which reads
 * the maps itself and the daemon's counters from a copy the loop refreshes every tick.
 */
#ifndef XBD_METRICS_H
#define XBD_METRICS_H

#include <sys/socket.h>
#include "sources.h"

#define XBD_METRICS_INTERVAL_DEFAULT_S 15
/* Port-only metrics_listen values bind here. */
#define XBD_METRICS_LISTEN_DEFAULT_ADDR "127.0.0.1"

struct xbd_metrics_opts {
	const char *textfile; /* NULL or "": no file; written as PATH.tmp, renamed to PATH */
	__u64 interval_s; /* between two writes; 0 = XBD_METRICS_INTERVAL_DEFAULT_S */
	const char *listen; /* NULL or "": no HTTP endpoint; else see xbd_metrics_parse_listen */
};

struct xbd_metrics;

/*
 * "PORT" (binds 127.0.0.1), "IPV4:PORT", "[IPV6]:PORT" or "localhost:PORT"; numeric
 * addresses only, port 1-65535. -EINVAL on anything else. For config validation too.
 */
int xbd_metrics_parse_listen(const char *text, struct sockaddr_storage *addr, socklen_t *len);

/*
 * With *m NULL: creates the metrics state (start time = now) and applies opts. With *m set
 * (a reload): applies the new opts, keeping every counter; the next tick writes the file.
 * Checks that the textfile's directory is writable and starts the HTTP server. Returns 0 or
 * -errno with a message; after a failed reload *m stays usable with the HTTP server off.
 */
int xbd_metrics_start(struct xbd_metrics **m, const struct xbd_metrics_opts *opts,
		      struct xb_maps *maps);

/*
 * Called by the daemon's loop (every wake-up is fine: it acts at most once a second):
 * refreshes the copy of the daemon's counters the HTTP server serves, and writes the
 * textfile when the interval has passed. NULL m: nothing.
 */
void xbd_metrics_tick(struct xbd_metrics *m, const struct xbd_source *src, size_t n_src);

/*
 * Before sources are freed on a reload: their counts so far are kept by name, so the
 * counters of a source that the new configuration still has go on from there.
 */
void xbd_metrics_retire(struct xbd_metrics *m, const struct xbd_source *src, size_t n_src);

/* A ban the daemon removed past its expiry (from xb_bans_expire()'s callback). */
void xbd_metrics_expired(struct xbd_metrics *m, const struct xb_ban_entry *e);

/*
 * Stops the HTTP server, writes the textfile a last time (the file stays: node_exporter's
 * node_textfile_mtime_seconds shows how old it is) and frees m. NULL m: nothing.
 */
void xbd_metrics_stop(struct xbd_metrics *m, const struct xbd_source *src, size_t n_src);

#endif /* XBD_METRICS_H */
