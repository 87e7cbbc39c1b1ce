/* SPDX-License-Identifier: GPL-2.0 */
/* The drop log: ring-buffer events become iptables LOG lines in a file and/or syslog. */
#ifndef XBD_DROPLOG_H
#define XBD_DROPLOG_H

#include <stdio.h>
#include "config.h"

struct droplog {
	const struct xbd_config *cfg;
	FILE *file; /* NULL: no log file */
	char hostname[64];
	unsigned long long lines;
};

/* Opens the outputs cfg names; -errno with a message on failure. */
int droplog_open(struct droplog *dl, const struct xbd_config *cfg);
void droplog_close(struct droplog *dl);
/* Reopens the log file (after logrotate moved it) and re-reads cfg. */
int droplog_reopen(struct droplog *dl, const struct xbd_config *cfg);
/* ring_buffer__new() callback: one event, one line. */
int droplog_event(void *ctx, void *data, size_t size);
/* The line without syslog header, into buf; the prefix is cfg's for the event's class. */
int droplog_format(const struct xbd_config *cfg, const struct xb_event *ev, char *buf, size_t size);

#endif /* XBD_DROPLOG_H */
