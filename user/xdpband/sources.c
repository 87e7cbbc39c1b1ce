// SPDX-License-Identifier: GPL-2.0
/* [source:NAME] sections: keys read, parsers built, lines fed through the pipeline. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "sources.h"

#define SPAMD_PENDING_MAX 65536
#define SPAMD_AGE_S 3600
#define DEFAULT_FINDTIME_S 600
#define DEFAULT_BANTIME_S 600
#define DEFAULT_MAXRETRY 5
#define REGEX_MAX 64
#define DEFAULT_MAX_BANS_PER_MIN 600

struct build_ctx {
	const struct xbd_config *cfg;
	const struct xbd_source_raw *raw;
	const struct xbd_source_kv *kv;
	char *err;
	size_t err_size;
	const char *fail[REGEX_MAX], *ignore[REGEX_MAX];
	size_t n_fail, n_ignore;
	bool has_maxretry;
};

static int bad(struct build_ctx *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct build_ctx *b, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(b->err, b->err_size, "%s:%d: [source:%s] %s%s%s", b->cfg->path,
		 b->kv ? b->kv->line : b->raw->line, b->raw->name, b->kv ? b->kv->key : "",
		 b->kv ? ": " : "", msg);
	return -EINVAL;
}

static int parse_bool(struct build_ctx *b, const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no",
										       "false",
										       "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	return bad(b, "'%s' is not yes or no", v);
}

/* fail2ban's bantime: a duration, or -1 for ever (0 here). */
static int parse_time(struct build_ctx *b, const char *v, __u64 *out, bool allow_forever)
{
	int err;

	if (allow_forever && !strcmp(v, "-1")) {
		*out = 0;
		return 0;
	}
	err = xb_duration_parse(v, out);
	if (err || (!*out && !allow_forever))
		return bad(b, "'%s' is not a duration (600, 10m, 1h, 1d, 1w%s)", v,
			   allow_forever ? ", -1 for ever" : "");
	return 0;
}

static int parse_uint(struct build_ctx *b, const char *v, __u32 min, __u32 max, __u32 *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || *v == '-' || n < min || n > max)
		return bad(b, "'%s' is not a number from %u to %u", v, min, max);
	*out = (__u32)n;
	return 0;
}

static int parse_double(struct build_ctx *b, const char *v, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(*out) || *out < 0)
		return bad(b, "'%s' is not a positive number", v);
	return 0;
}

static int parse_type(struct build_ctx *b, const char *v, struct xbd_source *s)
{
	if (!strcmp(v, "spamd"))
		s->type = XBD_SRC_SPAMD;
	else if (!strcmp(v, "fail2ban"))
		s->type = XBD_SRC_FAIL2BAN;
	else if (!strcmp(v, "regex"))
		s->type = XBD_SRC_REGEX;
	else
		return bad(b, "unknown type '%s'; use spamd, fail2ban or regex", v);
	return 0;
}

static int parse_jails(struct build_ctx *b, const char *v, struct xbd_source *s)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
		if (s->n_jails >= XBD_JAILS_MAX)
			return bad(b, "at most %d jail patterns", XBD_JAILS_MAX);
		s->jails[s->n_jails] = strdup(t);
		if (!s->jails[s->n_jails++])
			return -ENOMEM;
	}
	return 0;
}

static int parse_ignoreip(struct build_ctx *b, const char *v, struct xbd_source *s)
{
	size_t n = 0;
	char item[64] = "";
	int err = xbd_parse_prefix_list(v, s->ignore + s->popts.n_ignore, XBD_IGNORE_MAX, &n, item,
					sizeof(item));

	if (err == -E2BIG)
		return bad(b, "at most %d addresses or prefixes", XBD_IGNORE_MAX);
	if (err)
		return bad(b, "'%s' is not an address or prefix", item);
	s->popts.n_ignore += n;
	return 0;
}

static int add_regex(struct build_ctx *b, const char *v, const char **list, size_t *n)
{
	if (*n >= REGEX_MAX)
		return bad(b, "at most %d patterns", REGEX_MAX);
	list[(*n)++] = v;
	return 0;
}

static int set_key(struct build_ctx *b, const char *k, const char *v, struct xbd_source *s)
{
	struct xb_pipeline_opts *o = &s->popts;

	if (!strcmp(k, "type"))
		return parse_type(b, v, s);
	if (!strcmp(k, "logpath")) {
		if (v[0] != '/' || strlen(v) >= sizeof(s->logpath))
			return bad(b, "'%s' is not an absolute path", v);
		snprintf(s->logpath, sizeof(s->logpath), "%s", v);
		return 0;
	}
	if (!strcmp(k, "maxretry")) {
		b->has_maxretry = true;
		return parse_uint(b, v, 1, 64, &o->maxretry);
	}
	if (!strcmp(k, "findtime"))
		return parse_time(b, v, &o->findtime_s, false);
	if (!strcmp(k, "bantime"))
		return parse_time(b, v, &o->bantime_s, true);
	if (!strcmp(k, "bantime.increment"))
		return parse_bool(b, v, &o->increment);
	if (!strcmp(k, "bantime.factor"))
		return parse_double(b, v, &o->factor);
	if (!strcmp(k, "bantime.maxtime"))
		return parse_time(b, v, &o->maxtime_s, false);
	if (!strcmp(k, "ignoreip"))
		return parse_ignoreip(b, v, s);
	if (!strcmp(k, "ignoreself"))
		return parse_bool(b, v, &o->ignoreself);
	if (!strcmp(k, "dryrun"))
		return parse_bool(b, v, &o->dryrun);
	if (!strcmp(k, "minscore")) {
		o->has_minscore = true;
		return parse_double(b, v, &o->minscore);
	}
	if (!strcmp(k, "jails"))
		return parse_jails(b, v, s);
	if (!strcmp(k, "failregex"))
		return add_regex(b, v, b->fail, &b->n_fail);
	if (!strcmp(k, "ignoreregex"))
		return add_regex(b, v, b->ignore, &b->n_ignore);
	if (!strcmp(k, "max_bans_per_minute"))
		return parse_uint(b, v, 0, 1000000, &o->max_bans_per_min);
	if (!strcmp(k, "from_start"))
		return parse_bool(b, v, &s->from_start);
	if (!strcmp(k, "backfill"))
		return parse_bool(b, v, &s->backfill);
	return bad(b, "unknown key; see xdpban.conf(5)");
}

static void set_defaults(struct xbd_source *s, const struct xbd_source_raw *raw)
{
	snprintf(s->name, sizeof(s->name), "%s", raw->name);
	s->type = (enum xbd_source_type) - 1;
	s->popts.name = s->name;
	s->popts.maxretry = DEFAULT_MAXRETRY;
	s->popts.findtime_s = DEFAULT_FINDTIME_S;
	s->popts.bantime_s = DEFAULT_BANTIME_S;
	s->popts.factor = 1.0;
	s->popts.ignoreself = true;
	s->popts.max_bans_per_min = DEFAULT_MAX_BANS_PER_MIN;
	s->popts.ignore = s->ignore;
}

/* What a type needs and implies, once every key is read. */
static int finish(struct build_ctx *b, struct xbd_source *s, bool bantime_set, char *rxerr,
		  size_t rxerr_size)
{
	static const enum xb_origin origins[] = { XB_ORIGIN_SPAMD, XB_ORIGIN_FAIL2BAN,
						  XB_ORIGIN_REGEX };

	b->kv = NULL;
	if ((int)s->type < 0)
		return bad(b, "needs 'type = spamd|fail2ban|regex'");
	if (!s->logpath[0])
		return bad(b, "needs 'logpath = /path/to/log'");
	s->popts.origin = origins[s->type];
	if (s->type == XBD_SRC_SPAMD && !b->has_maxretry)
		s->popts.maxretry = 1;
	if (s->type == XBD_SRC_FAIL2BAN) {
		/* fail2ban decides; without a bantime here a ban lasts until its Unban line. */
		if (!bantime_set)
			s->popts.bantime_s = 0;
		if (!s->n_jails && parse_jails(b, "*", s))
			return -ENOMEM;
	}
	if (s->type == XBD_SRC_REGEX && !b->n_fail)
		return bad(b, "type regex needs at least one 'failregex'");
	if (s->type != XBD_SRC_REGEX && (b->n_fail || b->n_ignore))
		return bad(b, "failregex/ignoreregex are for type regex only");
	for (size_t i = 0; i < b->cfg->n_ignoreip && s->popts.n_ignore < XBD_IGNORE_MAX * 2; i++)
		s->ignore[s->popts.n_ignore++] = b->cfg->ignoreip[i];
	if (s->type == XBD_SRC_REGEX &&
	    xb_regex_compile(&s->rx, b->fail, b->n_fail, b->ignore, b->n_ignore, rxerr, rxerr_size))
		return bad(b, "%s", rxerr);
	if (s->type == XBD_SRC_SPAMD && !(s->spamd = xb_spamd_new(SPAMD_PENDING_MAX, SPAMD_AGE_S)))
		return -ENOMEM;
	s->pipe = xb_pipeline_new(&s->popts);
	return s->pipe ? 0 : -ENOMEM;
}

static int build_one(const struct xbd_config *cfg, const struct xbd_source_raw *raw,
		     struct xbd_source *s, bool dryrun, char *err, size_t err_size)
{
	struct build_ctx b = { .cfg = cfg, .raw = raw, .err = err, .err_size = err_size };
	bool bantime_set = false, enabled = true;
	char rxerr[256];
	int ret;

	set_defaults(s, raw);
	for (size_t i = 0; i < raw->n; i++) {
		b.kv = &raw->kv[i];
		if (!strcmp(b.kv->key, "enabled")) {
			ret = parse_bool(&b, b.kv->value, &enabled);
		} else {
			bantime_set |= !strcmp(b.kv->key, "bantime");
			ret = set_key(&b, b.kv->key, b.kv->value, s);
		}
		if (ret)
			return ret;
	}
	if (dryrun)
		s->popts.dryrun = true;
	ret = finish(&b, s, bantime_set, rxerr, sizeof(rxerr));
	return ret ? ret : (enabled ? 0 : 1);
}

static void free_one(struct xbd_source *s)
{
	xb_regex_free(s->rx);
	xb_spamd_free(s->spamd);
	xb_pipeline_free(s->pipe);
	xb_follow_close(s->follow);
	for (size_t j = 0; j < s->n_jails; j++)
		free(s->jails[j]);
	memset(s, 0, sizeof(*s));
}

int xbd_sources_build(const struct xbd_config *cfg, struct xbd_source **out, size_t *n, bool dryrun,
		      char *err, size_t err_size)
{
	struct xbd_source *v = calloc(cfg->n_sources + 1, sizeof(*v));
	size_t used = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_sources; i++) {
		int ret = build_one(cfg, &cfg->sources[i], &v[used], dryrun, err, err_size);

		if (ret < 0) {
			xbd_sources_free(v, used + 1);
			return ret;
		}
		if (ret == 0)
			used++;
		else
			free_one(&v[used]); /* enabled = no */
	}
	*out = v;
	*n = used;
	return 0;
}

void xbd_sources_free(struct xbd_source *src, size_t n)
{
	for (size_t i = 0; src && i < n; i++)
		free_one(&src[i]);
	free(src);
}

static enum xb_line_kind parse_line(struct xbd_source *s, const char *line, size_t len,
				    struct xb_line_event *ev)
{
	switch (s->type) {
	case XBD_SRC_SPAMD:
		return xb_spamd_line(s->spamd, line, len, (__u64)time(NULL), ev);
	case XBD_SRC_FAIL2BAN:
		return xb_f2blog_parse(line, len, (const char *const *)s->jails, s->n_jails, ev);
	default:
		return xb_regex_match(s->rx, line, len, ev);
	}
}

void xbd_source_line(struct xbd_source *s, const char *line, size_t len)
{
	struct xb_line_event ev;
	struct xb_ban_req req;
	enum xb_decision d;
	char text[XB_PREFIX_STRLEN];

	memset(&ev, 0, sizeof(ev));
	s->lines++;
	switch (parse_line(s, line, len, &ev)) {
	case XB_LINE_MISS:
		s->missed++;
		return;
	case XB_LINE_IGNORED:
		s->ignored_lines++;
		return;
	default:
		s->matched++;
		break;
	}
	d = xb_pipeline_feed(s->pipe, s->maps, &ev, (__s64)time(NULL), &req);
	if (s->on_decision)
		s->on_decision(s, d, &ev, &req);
	if (d != XB_DEC_BANNED && d != XB_DEC_DRYRUN && d != XB_DEC_UNBANNED)
		return;
	xb_prefix_format(d == XB_DEC_UNBANNED ? &ev.addr : &req.pfx, text, sizeof(text));
	if (d == XB_DEC_UNBANNED)
		xb_info("source %s: unbanned %s", s->name, text);
	else
		xb_info("source %s: %s %s for %llus (%s)", s->name,
			d == XB_DEC_DRYRUN ? "would ban" : "banned", text,
			(unsigned long long)req.timeout_s, req.reason);
}

static void on_line(void *ctx, const char *line, size_t len)
{
	xbd_source_line(ctx, line, len);
}

/* logpath.1, logpath.2.gz ...: the number of a rotation, 0 if name is not one. */
static int rotation_number(const char *base, const char *name)
{
	size_t len = strlen(base);
	char *end;
	long n;

	if (strncmp(name, base, len) || name[len] != '.')
		return 0;
	n = strtol(name + len + 1, &end, 10);
	if (n <= 0 || n > 1000 || (*end && strcmp(end, ".gz")))
		return 0;
	return (int)n;
}

/*
 * First start of a source with backfill: its rotated logs, oldest first, then the current
 * file from its start, so the failures of the last days count.
 */
static void backfill(struct xbd_source *s)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	const char *slash = strrchr(s->logpath, '/'), *base = slash + 1;
	struct xb_follow_stats st;
	struct dirent *de;
	int oldest = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - s->logpath), s->logpath);
	d = opendir(dir[0] ? dir : "/");
	while (d && (de = readdir(d))) {
		int n = rotation_number(base, de->d_name);

		oldest = n > oldest ? n : oldest;
	}
	for (int n = oldest; d && n > 0; n--) {
		snprintf(path, sizeof(path), "%s.%d", s->logpath, n);
		if (access(path, R_OK))
			snprintf(path, sizeof(path), "%s.%d.gz", s->logpath, n);
		if (!access(path, R_OK) && !xb_read_file_lines(path, on_line, s, &st))
			xb_info("source %s: back-filled %llu lines from %s", s->name,
				(unsigned long long)st.lines, path);
	}
	if (d)
		closedir(d);
}

int xbd_sources_open(struct xbd_source *src, size_t n, const char *state_dir, struct xb_maps *maps)
{
	for (size_t i = 0; i < n; i++) {
		char state[PATH_MAX + 96];
		struct xb_follow_opts fo = { .path = src[i].logpath,
					     .state_file = state,
					     .from_start = src[i].from_start };
		int err;

		snprintf(src[i].fails_file, sizeof(src[i].fails_file), "%s/source-%s.fails",
			 state_dir, src[i].name);
		xb_pipeline_load(src[i].pipe, src[i].fails_file);
		snprintf(state, sizeof(state), "%s/source-%s.pos", state_dir, src[i].name);
		src[i].maps = maps;
		if (src[i].backfill && access(state, F_OK)) {
			backfill(&src[i]);
			fo.from_start = true;
		}
		err = xb_follow_open(&src[i].follow, &fo);
		/* Where a first start begins is where a crash must resume: record it now. */
		if (!err)
			err = xb_follow_save(src[i].follow);
		if (err) {
			xb_warn("source %s: cannot follow %s: %s", src[i].name, src[i].logpath,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * The counted failures and the read position are saved together, failures first, at most
 * once a second (and always when told): after a SIGKILL the lines since are read again
 * and counted once, and the bans they made are in the maps (and the journal) already.
 */
static void save_state(struct xbd_source *s, bool now)
{
	time_t t = time(NULL);

	if (!now && t == s->saved_at)
		return;
	if (xb_pipeline_dirty(s->pipe) && xb_pipeline_save(s->pipe, s->fails_file))
		return;
	xb_follow_save(s->follow);
	s->saved_at = t;
}

void xbd_sources_poll(struct xbd_source *src, size_t n, bool save_now)
{
	for (size_t i = 0; i < n; i++) {
		if (!src[i].follow)
			continue;
		xb_follow_read(src[i].follow, on_line, &src[i]);
		save_state(&src[i], save_now);
	}
}
