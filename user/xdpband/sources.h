/* SPDX-License-Identifier: GPL-2.0 */
/*
 * [source:NAME] sections made real: a file follower, a line parser (spamd, fail2ban or
 * regex) and a ban pipeline per source. xdpband runs them; banctl test-source runs one
 * over a file in dry-run.
 */
#ifndef XBD_SOURCES_H
#define XBD_SOURCES_H

#include <time.h>
#include "config.h"
#include "xb_pipeline.h"
#include "xb_sources.h"

enum xbd_source_type {
	XBD_SRC_SPAMD,
	XBD_SRC_FAIL2BAN,
	XBD_SRC_REGEX,
};

#define XBD_JAILS_MAX 32

struct xbd_source {
	char name[XBD_SOURCE_NAME_LEN];
	enum xbd_source_type type;
	char logpath[PATH_MAX];
	bool from_start; /* no saved position: read from the start, not the end */
	bool backfill; /* first start: read logpath.N[.gz] rotations, oldest first */
	struct xb_pipeline_opts popts;
	struct xb_prefix ignore[XBD_IGNORE_MAX * 2];
	char *jails[XBD_JAILS_MAX];
	size_t n_jails;
	/* runtime */
	struct xb_regex *rx;
	struct xb_spamd *spamd;
	struct xb_pipeline *pipe;
	struct xb_follow *follow;
	struct xb_maps *maps; /* NULL in dry-run */
	char fails_file[PATH_MAX + 96];
	time_t saved_at;
	__u64 lines, matched, missed, ignored_lines;
	/* test-source: called for each decision that changed or would change a map */
	void (*on_decision)(struct xbd_source *src, enum xb_decision d,
			    const struct xb_line_event *ev, const struct xb_ban_req *req);
};

/*
 * Builds every source of cfg (parsing keys, compiling regexes); nothing is opened yet.
 * -EINVAL with err = "FILE:LINE: [source:NAME] KEY: what is wrong".
 */
int xbd_sources_build(const struct xbd_config *cfg, struct xbd_source **out, size_t *n, bool dryrun,
		      char *err, size_t err_size);
void xbd_sources_free(struct xbd_source *src, size_t n);

/* Starts following each source's log (state in state_dir); -errno with a message. */
int xbd_sources_open(struct xbd_source *src, size_t n, const char *state_dir, struct xb_maps *maps);
/* Reads what is new in every source; saves positions (at once with save_now). */
void xbd_sources_poll(struct xbd_source *src, size_t n, bool save_now);

/* One line through one source's parser and pipeline. */
void xbd_source_line(struct xbd_source *src, const char *line, size_t len);

#endif /* XBD_SOURCES_H */
