// SPDX-License-Identifier: GPL-2.0
/*
 * Ring-buffer events to iptables LOG lines. In syslog the message is the LOG line itself;
 * in the log file each line gets the traditional syslog header (as rsyslog writes
 * kern.log), so tools that read iptables logs from files read ours too.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "droplog.h"

int droplog_format(const struct xbd_config *cfg, const struct xb_event *ev, char *buf, size_t size)
{
	char ifname[IF_NAMESIZE] = "";
	const char *prefix =
		cfg->log_prefix[ev->class < __XB_CLASS_MAX ? ev->class : XB_CLASS_OTHER];

	if (!if_indextoname(ev->ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "if%u", ev->ifindex);
	return xb_log_format(ev, prefix, ifname, buf, size);
}

static int open_file(struct droplog *dl)
{
	if (!dl->cfg->log_file[0])
		return 0;
	dl->file = fopen(dl->cfg->log_file, "ae");
	if (!dl->file) {
		int err = -errno;

		fprintf(stderr, "xdpband: cannot open log_file %s: %s\n", dl->cfg->log_file,
			strerror(-err));
		return err;
	}
	setvbuf(dl->file, NULL, _IOLBF, 0);
	return 0;
}

int droplog_open(struct droplog *dl, const struct xbd_config *cfg)
{
	memset(dl, 0, sizeof(*dl));
	dl->cfg = cfg;
	if (gethostname(dl->hostname, sizeof(dl->hostname) - 1))
		snprintf(dl->hostname, sizeof(dl->hostname), "localhost");
	if (cfg->log_syslog)
		openlog("xdpband", LOG_NDELAY, cfg->syslog_facility);
	return open_file(dl);
}

void droplog_close(struct droplog *dl)
{
	if (dl->file)
		fclose(dl->file);
	dl->file = NULL;
	if (dl->cfg && dl->cfg->log_syslog)
		closelog();
}

int droplog_reopen(struct droplog *dl, const struct xbd_config *cfg)
{
	unsigned long long lines = dl->lines;
	int err;

	droplog_close(dl);
	err = droplog_open(dl, cfg);
	dl->lines = lines;
	return err;
}

int droplog_event(void *ctx, void *data, size_t size)
{
	struct droplog *dl = ctx;
	const struct xb_event *ev = data;
	char line[1024], stamp[32];

	if (size < sizeof(*ev))
		return 0;
	droplog_format(dl->cfg, ev, line, sizeof(line));
	if (dl->cfg->log_syslog)
		syslog(dl->cfg->syslog_level, "%s", line);
	if (dl->file) {
		time_t t = (time_t)xb_boot_to_unix(ev->ts_ns);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
		fprintf(dl->file, "%s %s xdpband: %s\n", stamp, dl->hostname, line);
	}
	dl->lines++;
	return 0;
}
