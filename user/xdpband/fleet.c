// SPDX-License-Identifier: GPL-2.0
/*
 * The fleet client (see fleet.h): messages, the two Redis connections on an epoll set of
 * their own, the publish queue, and the consume path into the maps.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "fleet.h"

#define MSG_VERSION "1"
#define CANON_TAG "xdpban-fleet-v1\n"
#define READ_COUNT 512
#define READ_BLOCK_MS 5000
#define APPLY_CHUNK 1024
#define INFLIGHT_MAX 256
#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 30
#define CONNECT_TIMEOUT_S 5
#define SYNC_TIMEOUT_S 120
#define REPLY_TIMEOUT_S 10
#define HOUSEKEEP_S 60
#define LOG_EVERY_S 10
#define DRAIN_MS 1000
#define BACKPRESSURE_US 1000000
#define LINE_MAX_LEN 1024

const char *const xbd_fleet_field_names[__XBD_FF_MAX] = {
	[XBD_FF_V] = "v",	    [XBD_FF_NODE] = "node",
	[XBD_FF_PREFIX] = "prefix", [XBD_FF_EXPIRES] = "expires",
	[XBD_FF_REASON] = "reason", [XBD_FF_SOURCE] = "source",
	[XBD_FF_TS] = "ts",	    [XBD_FF_SIG] = "sig",
};

/*
 * Publishes one ban. KEYS: stream, current-set hash, expiry zset. ARGV: MINID, now (unix
 * s), prefix, expires, the line form, then the stream entry's field/value pairs. A shorter
 * ban never replaces a longer one in the current set; up to 100 expired bans leave it.
 */
static const char publish_lua[] =
	"local s, h, z = KEYS[1], KEYS[2], KEYS[3]\n"
	"local id = redis.call('XADD', s, 'MINID', ARGV[1], '*', unpack(ARGV, 6))\n"
	"local cur = redis.call('ZSCORE', z, ARGV[3])\n"
	"local exp = tonumber(ARGV[4])\n"
	"if not cur or (cur ~= 'inf' and (exp == 0 or exp >= tonumber(cur))) then\n"
	"  redis.call('HSET', h, ARGV[3], ARGV[5])\n"
	"  redis.call('ZADD', z, exp == 0 and 'inf' or ARGV[4], ARGV[3])\n"
	"end\n"
	"local old = redis.call('ZRANGEBYSCORE', z, '-inf', '(' .. ARGV[2], 'LIMIT', 0, 100)\n"
	"if #old > 0 then\n"
	"  redis.call('ZREM', z, unpack(old))\n"
	"  redis.call('HDEL', h, unpack(old))\n"
	"end\n"
	"return id\n";

/* Housekeeping: expired bans leave the current set. KEYS: hash, zset. ARGV: now. */
static const char expire_lua[] =
	"local h, z = KEYS[1], KEYS[2]\n"
	"local old = redis.call('ZRANGEBYSCORE', z, '-inf', '(' .. ARGV[1], 'LIMIT', 0, 1000)\n"
	"if #old > 0 then\n"
	"  redis.call('ZREM', z, unpack(old))\n"
	"  redis.call('HDEL', h, unpack(old))\n"
	"end\n"
	"return #old\n";

/* ---- small helpers ---- */

static __u64 now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000ULL + (__u64)ts.tv_nsec / 1000;
}

static time_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static bool name_ok(const char *s, size_t len, bool empty_ok)
{
	if (!len)
		return empty_ok;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && (!s[i] || !strchr("-_.", s[i])))
			return false;
	return true;
}

/* Decimal digits only, at most 19 (so no overflow). */
static int parse_u64(const char *s, size_t len, __u64 *out)
{
	__u64 v = 0;

	if (!len || len > 19)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (__u64)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* ---- messages ---- */

int xbd_fleet_msg_init(struct xbd_fleet_msg *m, const char *node, const char *source,
		       const struct xb_ban_req *req)
{
	__u64 now = now_us();

	memset(m, 0, sizeof(*m));
	if (strlen(node) >= sizeof(m->node) || strlen(source) >= sizeof(m->source) ||
	    strnlen(req->reason, sizeof(req->reason)) >= sizeof(m->reason))
		return -E2BIG;
	strcpy(m->node, node);
	strcpy(m->source, source);
	memcpy(m->reason, req->reason, sizeof(m->reason));
	m->pfx = req->pfx;
	xb_prefix_format(&req->pfx, m->prefix, sizeof(m->prefix));
	m->expires = req->timeout_s ? now / 1000000 + req->timeout_s : 0;
	m->ts_us = now;
	return 0;
}

/* v in decimal into out (24 bytes); returns its length. No printf: this runs per message. */
static size_t u64_dec(__u64 v, char *out)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

/* "LEN:VALUE\n" at buf + *at. */
static int canon_add(char *buf, size_t size, size_t *at, const char *v, size_t len)
{
	char num[24];
	size_t nlen = u64_dec(len, num);

	if (*at + nlen + len + 2 >= size)
		return -E2BIG;
	memcpy(buf + *at, num, nlen);
	buf[*at + nlen] = ':';
	memcpy(buf + *at + nlen + 1, v, len);
	buf[*at + nlen + 1 + len] = '\n';
	*at += nlen + len + 2;
	buf[*at] = '\0';
	return 0;
}

int xbd_fleet_canon(const struct xbd_fleet_msg *m, const char *stream, char *buf, size_t size)
{
	char expires[24], ts[24];
	const char *v[] = { stream, m->node, m->prefix, expires, m->reason, m->source, ts };
	size_t at = strlen(CANON_TAG);

	if (size <= at)
		return -E2BIG;
	memcpy(buf, CANON_TAG, at + 1);
	u64_dec(m->expires, expires);
	u64_dec(m->ts_us, ts);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (canon_add(buf, size, &at, v[i], strlen(v[i])))
			return -E2BIG;
	return (int)at;
}

static int hmac_hex(const struct xbd_fleet_msg *m, const char *stream, const void *key,
		    size_t key_len, char out[XBD_FLEET_SIG_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char text[LINE_MAX_LEN];
	int len = xbd_fleet_canon(m, stream, text, sizeof(text));

	if (len < 0)
		return len;
	if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)text, (size_t)len, md,
		  &md_len) ||
	    md_len * 2 != XBD_FLEET_SIG_HEX)
		return -EIO;
	for (unsigned int i = 0; i < md_len; i++) {
		out[2 * i] = "0123456789abcdef"[md[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	out[2 * md_len] = '\0';
	return 0;
}

int xbd_fleet_sign(struct xbd_fleet_msg *m, const char *stream, const void *key, size_t key_len)
{
	return hmac_hex(m, stream, key, key_len, m->sig);
}

bool xbd_fleet_verify(const struct xbd_fleet_msg *m, const char *stream, const void *key,
		      size_t key_len)
{
	char want[XBD_FLEET_SIG_HEX + 1];

	if (strlen(m->sig) != XBD_FLEET_SIG_HEX || hmac_hex(m, stream, key, key_len, want))
		return false;
	return !CRYPTO_memcmp(want, m->sig, XBD_FLEET_SIG_HEX);
}

static int copy_value(char *dst, size_t size, const char *v, size_t len)
{
	if (len >= size)
		return -EINVAL;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

static int set_prefix(struct xbd_fleet_msg *m, const char *v, size_t len)
{
	bool host_bits = false;

	if (copy_value(m->prefix, sizeof(m->prefix), v, len) ||
	    xb_prefix_parse(m->prefix, &m->pfx, &host_bits) || host_bits)
		return -EINVAL;
	return 0;
}

static int set_sig(struct xbd_fleet_msg *m, const char *v, size_t len)
{
	if (len != XBD_FLEET_SIG_HEX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)v[i]) && (v[i] < 'a' || v[i] > 'f'))
			return -EINVAL;
	return copy_value(m->sig, sizeof(m->sig), v, len);
}

/* One value, checked: -EINVAL when malformed, -EPROTO for another version. */
static int set_field(struct xbd_fleet_msg *m, enum xbd_fleet_field f, const char *v, size_t len)
{
	if (len > XBD_FLEET_VALUE_MAX || memchr(v, '\0', len))
		return -EINVAL;
	switch (f) {
	case XBD_FF_V:
		return len == 1 && v[0] == MSG_VERSION[0] ? 0 : -EPROTO;
	case XBD_FF_NODE:
		if (!name_ok(v, len, false))
			return -EINVAL;
		return copy_value(m->node, sizeof(m->node), v, len);
	case XBD_FF_PREFIX:
		return set_prefix(m, v, len);
	case XBD_FF_EXPIRES:
		return parse_u64(v, len, &m->expires);
	case XBD_FF_REASON:
		if (copy_value(m->reason, sizeof(m->reason), v, len) || xb_reason_check(m->reason))
			return -EINVAL;
		return 0;
	case XBD_FF_SOURCE:
		if (!name_ok(v, len, true))
			return -EINVAL;
		return copy_value(m->source, sizeof(m->source), v, len);
	case XBD_FF_TS:
		return parse_u64(v, len, &m->ts_us);
	case XBD_FF_SIG:
		return set_sig(m, v, len);
	case __XBD_FF_MAX:
		break;
	}
	return -EINVAL;
}

static const char *const field_why[__XBD_FF_MAX] = {
	[XBD_FF_V] = "unknown version", [XBD_FF_NODE] = "bad node name",
	[XBD_FF_PREFIX] = "bad prefix", [XBD_FF_EXPIRES] = "bad expiry",
	[XBD_FF_REASON] = "bad reason", [XBD_FF_SOURCE] = "bad source name",
	[XBD_FF_TS] = "bad timestamp",	[XBD_FF_SIG] = "bad signature format",
};

int xbd_fleet_decode(struct xbd_fleet_msg *m, const struct xbd_fleet_kv *kv, size_t n,
		     const char **why)
{
	unsigned int seen = 0;
	int err;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < n; i++) {
		int f;

		for (f = 0; f < __XBD_FF_MAX; f++)
			if (kv[i].name_len == strlen(xbd_fleet_field_names[f]) &&
			    !memcmp(kv[i].name, xbd_fleet_field_names[f], kv[i].name_len))
				break;
		if (f == __XBD_FF_MAX) {
			*why = "unknown field";
			return -EINVAL;
		}
		if (seen & (1U << f)) {
			*why = "repeated field";
			return -EINVAL;
		}
		seen |= 1U << f;
		err = set_field(m, (enum xbd_fleet_field)f, kv[i].val, kv[i].val_len);
		if (err) {
			*why = field_why[f];
			return err;
		}
	}
	if (seen != (1U << __XBD_FF_MAX) - 1) {
		*why = "missing field";
		return -EINVAL;
	}
	return 0;
}

int xbd_fleet_to_line(const struct xbd_fleet_msg *m, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s\t%s\t%s\t%llu\t%s\t%s\t%llu\t%s", MSG_VERSION, m->node,
			 m->prefix, (unsigned long long)m->expires, m->reason, m->source,
			 (unsigned long long)m->ts_us, m->sig);

	return n < 0 || (size_t)n >= size ? -E2BIG : n;
}

int xbd_fleet_from_line(struct xbd_fleet_msg *m, const char *line, size_t len, const char **why)
{
	struct xbd_fleet_kv kv[__XBD_FF_MAX];
	const char *p = line, *end = line + len;
	size_t n = 0;

	while (n < __XBD_FF_MAX) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));

		kv[n].name = xbd_fleet_field_names[n];
		kv[n].name_len = strlen(kv[n].name);
		kv[n].val = p;
		kv[n].val_len = (size_t)((tab ? tab : end) - p);
		n++;
		if (!tab)
			break;
		p = tab + 1;
	}
	if (n != __XBD_FF_MAX || p + kv[n - 1].val_len != end) {
		*why = n < __XBD_FF_MAX ? "missing field" : "extra field";
		memset(m, 0, sizeof(*m));
		return -EINVAL;
	}
	return xbd_fleet_decode(m, kv, n, why);
}

int xbd_fleet_key_load(const char *path, unsigned char *out, size_t *len)
{
	struct stat sb;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		xb_warn("fleet: cannot open key_file %s: %s", path, strerror(-err));
		return err;
	}
	if (!fstat(fd, &sb) && (sb.st_mode & 0077))
		xb_warn("fleet: key_file %s is readable by others; chmod 600 it", path);
	n = read(fd, out, XBD_FLEET_KEY_MAX + 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err) {
		xb_warn("fleet: cannot read key_file %s: %s", path, strerror(-err));
		return err;
	}
	while (n > 0 && isspace(out[n - 1]))
		n--;
	if (n < XBD_FLEET_KEY_MIN || n > XBD_FLEET_KEY_MAX) {
		xb_warn("fleet: key_file %s must hold %d to %d bytes (e.g. openssl rand -hex 32)",
			path, XBD_FLEET_KEY_MIN, XBD_FLEET_KEY_MAX);
		return -EINVAL;
	}
	*len = (size_t)n;
	return 0;
}

/* ---- the client's state ---- */

enum fleet_state {
	FL_DOWN, /* waiting to reconnect */
	FL_CONNECTING, /* connections opened, not both up and synced */
	FL_SYNCING, /* reading XINFO, maybe the current set */
	FL_FOLLOWING, /* XREAD after XREAD */
};

static const char *const state_names[] = {
	[FL_DOWN] = "down",
	[FL_CONNECTING] = "connecting",
	[FL_SYNCING] = "syncing",
	[FL_FOLLOWING] = "following",
};

/* One Redis connection, and its place in the fleet's epoll set. */
struct link {
	struct xbd_fleet *f;
	redisAsyncContext *ac;
	int fd;
	__u32 events;
	bool in_epoll;
	bool up;
};

struct xbd_fleet {
	struct xbd_fleet_config cfg;
	struct xb_prefix ignore[XBD_IGNORE_MAX];
	size_t n_ignore;
	struct xb_maps *maps;
	char state_dir[PATH_MAX];
	char node[XBD_FLEET_NODE_LEN];
	char set_key[XBD_FLEET_STREAM_LEN + 8], exp_key[XBD_FLEET_STREAM_LEN + 8];
	unsigned char key[XBD_FLEET_KEY_MAX + 1];
	size_t key_len;
	int epfd;
	struct link sub, pub;
	enum fleet_state state;
	bool want_reset, resetting, stopping, pub_failed, was_up;
	char reset_why[160];
	time_t attempt_at, sync_at, next_attempt, down_since, down_logged, next_housekeep;
	unsigned int backoff_s, attempts;
	/* the stream: where we are */
	char cursor[XBD_FLEET_ID_LEN];
	bool have_cursor;
	bool read_pending;
	time_t read_sent;
	/* local bans to publish: q[q_head .. q_head + q_len), the first inflight sent */
	struct xbd_fleet_msg *q;
	size_t q_head, q_len, q_cap, inflight;
	time_t inflight_since;
	int qfd;
	bool q_dirty;
	/* the cap on applied bans per minute */
	time_t cap_window;
	__u32 cap_count;
	/* rejections are logged at most every LOG_EVERY_S */
	time_t reject_logged;
	__u64 reject_quiet;
	struct xbd_fleet_stats st;
	bool st_dirty;
	time_t saved_at;
	/* buffers of the consume path, APPLY_CHUNK and READ_COUNT long */
	struct xb_ban_req *reqs;
	struct xbd_fleet_msg *msgs;
};

typedef void decision_fn(struct xbd_source *src, enum xb_decision d, const struct xb_line_event *ev,
			 const struct xb_ban_req *req);

/*
 * on_decision has no context argument: the sources it is set on, the hook each had before
 * (called first: the history's, say), and the fleet whose xbd_fleet_publish() it calls.
 */
static struct {
	struct xbd_fleet *f;
	struct xbd_source *src;
	size_t n;
	decision_fn **prev;
} hook;

/* ---- state files ---- */

static int write_atomic(const char *dir, const char *name, const char *text, size_t len)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static bool id_ok(const char *s, size_t len)
{
	const char *dash = memchr(s, '-', len);
	__u64 v;

	return dash && !parse_u64(s, (size_t)(dash - s), &v) &&
	       !parse_u64(dash + 1, len - (size_t)(dash - s) - 1, &v);
}

/* "ms-seq" into two numbers; a bad ID compares as 0-0. */
static void id_split(const char *id, __u64 *ms, __u64 *seq)
{
	const char *dash = strchr(id, '-');

	*ms = *seq = 0;
	if (!dash || !id_ok(id, strlen(id)))
		return;
	parse_u64(id, (size_t)(dash - id), ms);
	parse_u64(dash + 1, strlen(dash + 1), seq);
}

static int id_cmp(const char *a, const char *b)
{
	__u64 am, as, bm, bs;

	id_split(a, &am, &as);
	id_split(b, &bm, &bs);
	if (am != bm)
		return am < bm ? -1 : 1;
	return as < bs ? -1 : as > bs;
}

/* state_dir/fleet.id: "STREAM ID"; another stream's ID is no ID. */
static void cursor_load(struct xbd_fleet *f)
{
	char path[PATH_MAX + 16], line[XBD_FLEET_STREAM_LEN + XBD_FLEET_ID_LEN + 8];
	char *sp;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/fleet.id", f->state_dir);
	fp = fopen(path, "re");
	if (!fp)
		return;
	if (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		sp = strrchr(line, ' ');
		if (sp && (size_t)(sp - line) == strlen(f->cfg.stream) &&
		    !strncmp(line, f->cfg.stream, (size_t)(sp - line)) &&
		    strlen(sp + 1) < sizeof(f->cursor) && id_ok(sp + 1, strlen(sp + 1))) {
			strcpy(f->cursor, sp + 1);
			f->have_cursor = true;
		}
	}
	fclose(fp);
}

static void cursor_save(struct xbd_fleet *f)
{
	char line[XBD_FLEET_STREAM_LEN + XBD_FLEET_ID_LEN + 8];
	int n, err;

	if (!f->have_cursor)
		return;
	n = snprintf(line, sizeof(line), "%s %s\n", f->cfg.stream, f->cursor);
	err = write_atomic(f->state_dir, "fleet.id", line, (size_t)n);
	if (err)
		xb_warn("fleet: cannot save %s/fleet.id: %s", f->state_dir, strerror(-err));
}

static void stats_save(struct xbd_fleet *f)
{
	const struct xbd_fleet_stats *s = &f->st;
	char text[2048 + XBD_FLEET_LAG_BUCKETS * 48];
	int n;

	n = snprintf(text, sizeof(text),
		     "state %s\nnode %s\ncursor %s\nconnected %llu\nconnects %llu\n"
		     "disconnects %llu\nconnect_failures %llu\npublished %llu\n"
		     "publish_errors %llu\nqueued %llu\nqueue_dropped %llu\nreceived %llu\n"
		     "applied %llu\nown %llu\nexpired %llu\nkept %llu\nrefused %llu\ncapped %llu\n"
		     "not_applied %llu\napply_errors %llu\nbad_signature %llu\nmalformed %llu\n"
		     "snapshots %llu\nsnapshot_bans %llu\nlast_lag_us %llu\nmax_lag_us %llu\n"
		     "last_applied_us %llu\n",
		     state_names[f->state], f->node, f->have_cursor ? f->cursor : "-",
		     (unsigned long long)s->connected, (unsigned long long)s->connects,
		     (unsigned long long)s->disconnects, (unsigned long long)s->connect_failures,
		     (unsigned long long)s->published, (unsigned long long)s->publish_errors,
		     (unsigned long long)s->queued, (unsigned long long)s->queue_dropped,
		     (unsigned long long)s->received, (unsigned long long)s->applied,
		     (unsigned long long)s->own, (unsigned long long)s->expired,
		     (unsigned long long)s->kept, (unsigned long long)s->refused,
		     (unsigned long long)s->capped, (unsigned long long)s->not_applied,
		     (unsigned long long)s->apply_errors, (unsigned long long)s->bad_signature,
		     (unsigned long long)s->malformed, (unsigned long long)s->snapshots,
		     (unsigned long long)s->snapshot_bans, (unsigned long long)s->last_lag_us,
		     (unsigned long long)s->max_lag_us, (unsigned long long)s->last_applied_us);
	for (unsigned int i = 0; i < XBD_FLEET_LAG_BUCKETS && n > 0 && (size_t)n < sizeof(text);
	     i++)
		if (s->lag_hist[i])
			n += snprintf(text + n, sizeof(text) - (size_t)n, "lag_hist %llu %llu\n",
				      (unsigned long long)xbd_fleet_lag_bucket_us(i),
				      (unsigned long long)s->lag_hist[i]);
	if (n > 0 && (size_t)n < sizeof(text))
		write_atomic(f->state_dir, "fleet.stats", text, (size_t)n);
	f->st_dirty = false;
}

/* ---- the publish queue (state_dir/fleet.queue, one line form per ban) ---- */

static int queue_open(struct xbd_fleet *f, bool truncate)
{
	char path[PATH_MAX + 16];

	if (f->qfd >= 0)
		close(f->qfd);
	snprintf(path, sizeof(path), "%s/fleet.queue", f->state_dir);
	f->qfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0),
		      0600);
	return f->qfd < 0 ? -errno : 0;
}

static void queue_append_file(struct xbd_fleet *f, const struct xbd_fleet_msg *m)
{
	char line[LINE_MAX_LEN];
	int n = xbd_fleet_to_line(m, line, sizeof(line) - 1);

	if (n < 0 || f->qfd < 0)
		return;
	line[n++] = '\n';
	if (write(f->qfd, line, (size_t)n) != n)
		xb_warn("fleet: cannot write %s/fleet.queue: %s", f->state_dir, strerror(errno));
}

/* The file as the queue is now: emptied, or rewritten (tmp + rename). */
static void queue_save(struct xbd_fleet *f)
{
	char *text, line[LINE_MAX_LEN];
	size_t at = 0;
	int err;

	f->q_dirty = false;
	if (!f->q_len) {
		if (f->qfd >= 0 && ftruncate(f->qfd, 0))
			xb_warn("fleet: cannot empty %s/fleet.queue: %s", f->state_dir,
				strerror(errno));
		return;
	}
	text = malloc(f->q_len * LINE_MAX_LEN);
	if (!text)
		return;
	for (size_t i = 0; i < f->q_len; i++) {
		int n = xbd_fleet_to_line(&f->q[f->q_head + i], line, sizeof(line));

		if (n > 0) {
			memcpy(text + at, line, (size_t)n);
			at += (size_t)n;
			text[at++] = '\n';
		}
	}
	err = write_atomic(f->state_dir, "fleet.queue", text, at);
	free(text);
	if (err)
		xb_warn("fleet: cannot save %s/fleet.queue: %s", f->state_dir, strerror(-err));
	queue_open(f, false);
}

/* Room for one more at the tail: compacts, grows, or drops the oldest unsent ban. */
static int queue_room(struct xbd_fleet *f)
{
	struct xbd_fleet_msg *q;
	size_t cap;

	if (f->q_len >= f->cfg.queue_max && f->q_len > f->inflight) {
		size_t at = f->q_head + f->inflight;

		memmove(&f->q[at], &f->q[at + 1], (f->q_len - f->inflight - 1) * sizeof(*f->q));
		f->q_len--;
		f->st.queue_dropped++;
		f->q_dirty = true;
		if (f->st.queue_dropped == 1 || !(f->st.queue_dropped % 1000))
			xb_warn("fleet: %u bans wait for Redis (queue_max); dropped the oldest, "
				"%llu so far",
				f->cfg.queue_max, (unsigned long long)f->st.queue_dropped);
	}
	if (f->q_head && f->q_head + f->q_len == f->q_cap) {
		memmove(f->q, &f->q[f->q_head], f->q_len * sizeof(*f->q));
		f->q_head = 0;
	}
	if (f->q_head + f->q_len < f->q_cap)
		return 0;
	cap = f->q_cap ? f->q_cap * 2 : 64;
	q = realloc(f->q, cap * sizeof(*q));
	if (!q)
		return -ENOMEM;
	f->q = q;
	f->q_cap = cap;
	return 0;
}

static int queue_push(struct xbd_fleet *f, const struct xbd_fleet_msg *m)
{
	if (queue_room(f))
		return -ENOMEM;
	f->q[f->q_head + f->q_len++] = *m;
	f->st.queued = f->q_len;
	f->st_dirty = true;
	return 0;
}

static void queue_pop(struct xbd_fleet *f)
{
	f->q_head++;
	f->q_len--;
	if (!f->q_len)
		f->q_head = 0;
	f->st.queued = f->q_len;
	f->st_dirty = true;
	f->q_dirty = true;
}

/* What a previous run could not publish; expired bans are dropped. */
static void queue_load(struct xbd_fleet *f)
{
	char path[PATH_MAX + 16], *line = NULL;
	__u64 now = now_us() / 1000000;
	size_t cap = 0, bad = 0, n = 0;
	struct xbd_fleet_msg m;
	const char *why;
	ssize_t len;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/fleet.queue", f->state_dir);
	fp = fopen(path, "re");
	if (!fp)
		return;
	while ((len = getline(&line, &cap, fp)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		if (xbd_fleet_from_line(&m, line, (size_t)len, &why)) {
			bad++;
			continue;
		}
		if ((m.expires && m.expires <= now) || queue_push(f, &m))
			continue;
		n++;
	}
	free(line);
	fclose(fp);
	if (bad)
		xb_warn("fleet: %s: skipped %zu unreadable lines", path, bad);
	if (n)
		xb_warn("fleet: %zu bans from the last run wait to be published", n);
	f->q_dirty = true;
}

/* ---- the consume path ---- */

/* The ban the maps hold for exactly this prefix (an LPM lookup may return a shorter one). */
static bool ban_lookup(struct xb_maps *maps, const struct xb_prefix *p, struct xb_ban *out)
{
	union {
		__u32 v4;
		struct xb_v6_addr v6;
		struct xb_lpm_v4_key l4;
		struct xb_lpm_v6_key l6;
	} k;
	bool host = xb_prefix_is_host(p);
	enum xb_map_id id;

	memset(&k, 0, sizeof(k));
	if (p->family == 4 && host) {
		id = XB_BAN_V4;
		memcpy(&k.v4, p->addr, 4);
	} else if (host) {
		id = XB_BAN_V6;
		memcpy(k.v6.addr, p->addr, 16);
	} else if (p->family == 4) {
		id = XB_PFX_V4;
		k.l4.prefixlen = p->len;
		memcpy(k.l4.addr, p->addr, 4);
	} else {
		id = XB_PFX_V6;
		k.l6.prefixlen = p->len;
		memcpy(k.l6.addr, p->addr, 16);
	}
	if (maps->fd[id] < 0 || bpf_map_lookup_elem(maps->fd[id], &k, out))
		return false;
	return out->prefixlen == p->len;
}

/* Whether the maps already hold this ban for at least as long. */
static bool ban_in_place(struct xbd_fleet *f, const struct xbd_fleet_msg *m)
{
	struct xb_ban b;
	__s64 until;

	if (!ban_lookup(f->maps, &m->pfx, &b))
		return false;
	if (!b.expires_ns)
		return true;
	if (!m->expires)
		return false;
	until = xb_boot_to_unix(b.expires_ns);
	return until + 1 >= (__s64)m->expires;
}

static bool ignored(const struct xbd_fleet *f, const struct xb_prefix *p)
{
	for (size_t i = 0; i < f->n_ignore; i++)
		if (xb_prefix_covers(&f->ignore[i], p) || xb_prefix_covers(p, &f->ignore[i]))
			return true;
	return false;
}

static void log_reject(struct xbd_fleet *f, const char *what, const char *detail)
{
	time_t now = mono_s();

	if (f->reject_logged && now - f->reject_logged < LOG_EVERY_S) {
		f->reject_quiet++;
		return;
	}
	if (f->reject_quiet)
		xb_warn("fleet: rejected %s: %s (and %llu more not logged)", what, detail,
			(unsigned long long)f->reject_quiet);
	else
		xb_warn("fleet: rejected %s: %s", what, detail);
	f->reject_logged = now;
	f->reject_quiet = 0;
}

static bool capped(struct xbd_fleet *f)
{
	time_t window = mono_s() / 60;

	if (!f->cfg.max_bans_per_min)
		return false;
	if (window != f->cap_window) {
		f->cap_window = window;
		f->cap_count = 0;
	}
	if (f->cap_count < f->cfg.max_bans_per_min) {
		f->cap_count++;
		return false;
	}
	if (f->cap_count++ == f->cfg.max_bans_per_min)
		xb_warn("fleet: over max_bans_per_minute (%u): the fleet's bans are not applied "
			"until the minute is over",
			f->cfg.max_bans_per_min);
	return true;
}

/* The rules a local ban goes through; true when m is to be applied. */
static bool admit(struct xbd_fleet *f, const struct xbd_fleet_msg *m, bool snapshot, __u64 now)
{
	const char *why = NULL;
	char detail[160];

	if (!xbd_fleet_verify(m, f->cfg.stream, f->key, f->key_len)) {
		f->st.bad_signature++;
		snprintf(detail, sizeof(detail), "bad signature (says node %s)", m->node);
		log_reject(f, m->prefix, detail);
		return false;
	}
	if (!strcmp(m->node, f->node)) {
		f->st.own++;
		return false;
	}
	if (m->expires && m->expires <= now) {
		f->st.expired++;
		return false;
	}
	if (!f->cfg.apply) {
		f->st.not_applied++;
		return false;
	}
	if (ignored(f, &m->pfx) || xb_never_ban(f->maps, &m->pfx, &why, NULL)) {
		f->st.refused++;
		snprintf(detail, sizeof(detail), "from node %s: %s", m->node,
			 why ? why : "ignoreip");
		log_reject(f, m->prefix, detail);
		return false;
	}
	if (ban_in_place(f, m)) {
		f->st.kept++;
		return false;
	}
	if (!snapshot && capped(f)) {
		f->st.capped++;
		return false;
	}
	return true;
}

static void to_req(const struct xbd_fleet_msg *m, __u64 now, struct xb_ban_req *r)
{
	memset(r, 0, sizeof(*r));
	r->pfx = m->pfx;
	r->timeout_s = m->expires ? m->expires - now : 0;
	r->origin = XB_ORIGIN_FLEET;
	memcpy(r->reason, m->reason, sizeof(r->reason));
	r->added_unix = (__s64)(m->ts_us / 1000000);
}

static unsigned int lag_bucket(__u64 us)
{
	unsigned int e;

	if (us < 8)
		return (unsigned int)us;
	e = 63 - (unsigned int)__builtin_clzll(us);
	if (e > 36)
		return XBD_FLEET_LAG_BUCKETS - 1;
	return 8 * (e - 2) + (unsigned int)((us >> (e - 3)) & 7);
}

__u64 xbd_fleet_lag_bucket_us(unsigned int i)
{
	unsigned int e = i / 8 + 2;

	if (i < 8)
		return i + 1;
	return (__u64)(9 + i % 8) << (e - 3);
}

static void note_lag(struct xbd_fleet *f, __u64 now, __u64 lag)
{
	unsigned int b = lag_bucket(lag);

	f->st.last_lag_us = lag;
	f->st.last_applied_us = now;
	if (lag > f->st.max_lag_us)
		f->st.max_lag_us = lag;
	f->st.lag_hist[b < XBD_FLEET_LAG_BUCKETS ? b : XBD_FLEET_LAG_BUCKETS - 1]++;
}

static void log_applied(struct xbd_fleet *f, const struct xbd_fleet_msg *m, bool snapshot)
{
	__u64 now = now_us(), lag = now > m->ts_us ? now - m->ts_us : 0;

	if (snapshot) {
		xb_debug("fleet: banned %s from node %s's %s (current set)", m->prefix, m->node,
			 m->source);
		return;
	}
	note_lag(f, now, lag);
	if (m->expires)
		xb_info("fleet: banned %s for %llds from node %s's %s, %.3f ms after it was "
			"published",
			m->prefix, (long long)m->expires - (long long)(now / 1000000), m->node,
			m->source, (double)lag / 1000.0);
	else
		xb_info("fleet: banned %s permanently from node %s's %s, %.3f ms after it was "
			"published",
			m->prefix, m->node, m->source, (double)lag / 1000.0);
}

/* Applies n admitted messages, all at once, else one by one to find the bad ones. */
static void apply_chunk(struct xbd_fleet *f, const struct xbd_fleet_msg *const *ms,
			struct xb_ban_req *reqs, size_t n, bool snapshot)
{
	bool all = n && !xb_bans_add(f->maps, reqs, n, NULL);

	for (size_t i = 0; i < n; i++) {
		if (all || !xb_bans_add(f->maps, &reqs[i], 1, NULL)) {
			f->st.applied++;
			log_applied(f, ms[i], snapshot);
		} else {
			f->st.apply_errors++;
			log_reject(f, ms[i]->prefix, "the maps refused it (full?)");
		}
	}
}

/* A later message of the same prefix in the same batch wins. */
static bool superseded(const struct xbd_fleet_msg *m, size_t i, size_t n)
{
	for (size_t j = i + 1; j < n; j++)
		if (!memcmp(&m[j].pfx, &m[i].pfx, sizeof(m[i].pfx)))
			return true;
	return false;
}

void xbd_fleet_consume(struct xbd_fleet *f, const struct xbd_fleet_msg *m, size_t n, bool snapshot)
{
	const struct xbd_fleet_msg *ms[APPLY_CHUNK];
	struct xb_ban_req *reqs = f->reqs;
	__u64 now = now_us() / 1000000;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		f->st.received++;
		if (!snapshot && n <= READ_COUNT && superseded(m, i, n)) {
			f->st.kept++;
			continue;
		}
		if (!admit(f, &m[i], snapshot, now))
			continue;
		ms[k] = &m[i];
		to_req(&m[i], now, &reqs[k++]);
		if (k == APPLY_CHUNK) {
			apply_chunk(f, ms, reqs, k, snapshot);
			k = 0;
		}
	}
	apply_chunk(f, ms, reqs, k, snapshot);
	f->st_dirty = true;
}

/* ---- reading Redis replies ---- */

static bool is_str(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* A stream entry [ID, [field, value, ...]] into m; false (counted) when malformed. */
static bool entry_decode(struct xbd_fleet *f, const redisReply *e, struct xbd_fleet_msg *m)
{
	struct xbd_fleet_kv kv[__XBD_FF_MAX + 1];
	const redisReply *fv;
	const char *why = "not an entry";
	size_t n;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !is_str(e->element[0]))
		goto bad;
	fv = e->element[1];
	if (!fv || fv->type != REDIS_REPLY_ARRAY || fv->elements % 2)
		goto bad;
	why = "too many fields";
	n = fv->elements / 2;
	if (n > __XBD_FF_MAX + 1)
		goto bad;
	why = "not a string";
	for (size_t i = 0; i < n; i++) {
		if (!is_str(fv->element[2 * i]) || !is_str(fv->element[2 * i + 1]))
			goto bad;
		kv[i] = (struct xbd_fleet_kv){ fv->element[2 * i]->str, fv->element[2 * i]->len,
					       fv->element[2 * i + 1]->str,
					       fv->element[2 * i + 1]->len };
	}
	if (!xbd_fleet_decode(m, kv, n, &why))
		return true;
bad:
	f->st.received++;
	f->st.malformed++;
	log_reject(f,
		   e->type == REDIS_REPLY_ARRAY && e->elements && is_str(e->element[0])
			   ? e->element[0]->str
			   : "an entry",
		   why);
	return false;
}

/* What XINFO STREAM (a flat array of names and values) says that matters here. */
struct stream_info {
	bool exists;
	char last[XBD_FLEET_ID_LEN]; /* last-generated-id */
};

static void info_id(const redisReply *v, char *out)
{
	if (is_str(v) && v->len < XBD_FLEET_ID_LEN && id_ok(v->str, v->len))
		memcpy(out, v->str, v->len + 1);
}

static void info_parse(const redisReply *r, struct stream_info *si)
{
	memset(si, 0, sizeof(*si));
	strcpy(si->last, "0-0");
	if (!r || r->type != REDIS_REPLY_ARRAY)
		return;
	si->exists = true;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];

		if (!is_str(k))
			continue;
		if (!strcmp(k->str, "last-generated-id"))
			info_id(v, si->last);
	}
}

/*
 * Whether following from the saved ID could miss a ban, so that the current set is loaded
 * first. Trimming takes the oldest entries first: while the entry of the saved ID is still
 * there, so is everything after it. When it is gone, so may be newer ones (or Redis lost
 * its data and started a new stream), unless nothing was added after it.
 */
static bool need_snapshot(const struct xbd_fleet *f, const struct stream_info *si,
			  bool cursor_there)
{
	if (!f->have_cursor || !si->exists)
		return true;
	if (cursor_there)
		return false;
	return id_cmp(si->last, f->cursor) != 0;
}

/* ---- connections ---- */

static void link_events(struct link *l)
{
	struct epoll_event ev = { .events = l->events, .data.ptr = l };

	if (l->fd < 0)
		return;
	if (!l->events) {
		if (l->in_epoll)
			epoll_ctl(l->f->epfd, EPOLL_CTL_DEL, l->fd, NULL);
		l->in_epoll = false;
		return;
	}
	if (!epoll_ctl(l->f->epfd, l->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, l->fd, &ev))
		l->in_epoll = true;
}

static void ev_add_read(void *p)
{
	((struct link *)p)->events |= EPOLLIN;
	link_events(p);
}

static void ev_del_read(void *p)
{
	((struct link *)p)->events &= ~(__u32)EPOLLIN;
	link_events(p);
}

static void ev_add_write(void *p)
{
	((struct link *)p)->events |= EPOLLOUT;
	link_events(p);
}

static void ev_del_write(void *p)
{
	((struct link *)p)->events &= ~(__u32)EPOLLOUT;
	link_events(p);
}

/* hiredis frees the context: forget it. */
static void ev_cleanup(void *p)
{
	struct link *l = p;

	l->events = 0;
	link_events(l);
	l->fd = -1;
	l->ac = NULL;
	l->up = false;
}

/* Asks for a reset after the current dispatch (never inside a hiredis callback). */
static void fail_link(struct xbd_fleet *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail_link(struct xbd_fleet *f, const char *fmt, ...)
{
	va_list ap;

	if (f->resetting || f->stopping || f->want_reset)
		return;
	f->want_reset = true;
	va_start(ap, fmt);
	vsnprintf(f->reset_why, sizeof(f->reset_why), fmt, ap);
	va_end(ap);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct link *l = ac->data;

	l->up = false;
	l->ac = NULL;
	fail_link(l->f, "connection lost: %s",
		  status == REDIS_OK ? "closed"
		  : ac->errstr	     ? ac->errstr
				     : "error");
}

static void send_read(struct xbd_fleet *f);
static void flush_queue(struct xbd_fleet *f);
static void start_sync(struct xbd_fleet *f);

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct link *l = ac->data;
	struct xbd_fleet *f = l->f;

	if (status != REDIS_OK) {
		fail_link(f, "cannot connect: %s", ac->errstr ? ac->errstr : "error");
		return;
	}
	l->up = true;
	if (l == &f->sub)
		start_sync(f);
	else
		flush_queue(f);
}

static void on_auth(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *r = reply;
	struct link *l = ac->data;

	(void)priv;
	if (r && r->type == REDIS_REPLY_ERROR)
		fail_link(l->f, "AUTH refused: %s", r->str);
}

static int link_open(struct xbd_fleet *f, struct link *l)
{
	redisAsyncContext *ac;

	if (f->cfg.redis_unix[0])
		ac = redisAsyncConnectUnix(f->cfg.redis_unix);
	else
		ac = redisAsyncConnect(f->cfg.redis_host, f->cfg.redis_port);
	if (!ac)
		return -ENOMEM;
	if (ac->err) {
		snprintf(f->reset_why, sizeof(f->reset_why), "cannot connect: %s", ac->errstr);
		redisAsyncFree(ac);
		return -ECONNREFUSED;
	}
	*l = (struct link){ .f = f, .ac = ac, .fd = ac->c.fd };
	ac->data = l;
	ac->ev.data = l;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	if (!f->cfg.redis_unix[0])
		redisEnableKeepAlive(&ac->c);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	if (f->cfg.password[0])
		redisAsyncCommand(ac, on_auth, NULL, "AUTH %s", f->cfg.password);
	return 0;
}

static void log_down(struct xbd_fleet *f, time_t now)
{
	if (f->was_up) {
		xb_warn("fleet: lost redis %s (%s); local bans go on and queue (%zu waiting); "
			"reconnecting in %us",
			f->cfg.redis, f->reset_why, f->q_len, f->backoff_s);
	} else if (!f->down_logged || now - f->down_logged >= 60) {
		xb_warn("fleet: redis %s unreachable (%s), %u attempts; local bans go on and queue "
			"(%zu waiting); retrying in %us",
			f->cfg.redis, f->reset_why, f->attempts, f->q_len, f->backoff_s);
	} else {
		return;
	}
	f->down_logged = now;
}

/* Closes both connections; the next attempt comes after the backoff. */
static void reset_links(struct xbd_fleet *f)
{
	time_t now = mono_s();

	f->resetting = true;
	if (f->sub.ac)
		redisAsyncFree(f->sub.ac);
	if (f->pub.ac)
		redisAsyncFree(f->pub.ac);
	f->resetting = false;
	f->want_reset = false;
	f->inflight = 0;
	f->pub_failed = false;
	f->read_pending = false;
	if (f->state == FL_FOLLOWING) {
		f->st.disconnects++;
		f->was_up = true;
	} else {
		f->st.connect_failures++;
	}
	f->st.connected = 0;
	f->st_dirty = true;
	f->state = FL_DOWN;
	f->backoff_s = f->backoff_s ? f->backoff_s * 2 : BACKOFF_MIN_S;
	if (f->backoff_s > BACKOFF_MAX_S)
		f->backoff_s = BACKOFF_MAX_S;
	f->next_attempt = now + f->backoff_s;
	if (!f->down_since)
		f->down_since = now;
	log_down(f, now);
	f->was_up = false;
}

static void connect_all(struct xbd_fleet *f)
{
	f->attempts++;
	f->attempt_at = mono_s();
	f->state = FL_CONNECTING;
	f->sub = (struct link){ .f = f, .fd = -1 };
	f->pub = (struct link){ .f = f, .fd = -1 };
	if (link_open(f, &f->sub) || link_open(f, &f->pub))
		f->want_reset = true;
}

/* ---- following the stream ---- */

static void on_read(redisAsyncContext *ac, void *reply, void *priv);

static void send_read(struct xbd_fleet *f)
{
	if (!f->sub.ac)
		return;
	if (redisAsyncCommand(f->sub.ac, on_read, NULL, "XREAD COUNT %d BLOCK %d STREAMS %s %s",
			      READ_COUNT, READ_BLOCK_MS, f->cfg.stream, f->cursor) != REDIS_OK) {
		fail_link(f, "cannot send XREAD");
		return;
	}
	f->read_pending = true;
	f->read_sent = mono_s();
}

static void follow(struct xbd_fleet *f)
{
	if (f->state != FL_FOLLOWING) {
		f->state = FL_FOLLOWING;
		f->st.connected = 1;
		f->st.connects++;
		f->st_dirty = true;
		f->backoff_s = 0;
		f->attempts = 0;
		if (f->down_since)
			xb_warn("fleet: redis %s is back after %llds", f->cfg.redis,
				(long long)(mono_s() - f->down_since));
		xb_warn("fleet: connected to redis %s as node %s; following %s after %s; %zu local "
			"bans to publish",
			f->cfg.redis, f->node, f->cfg.stream, f->cursor, f->q_len);
		f->down_since = 0;
		f->down_logged = 0;
		f->next_housekeep = mono_s() + HOUSEKEEP_S;
	}
	send_read(f);
}

/* The entries of one XREAD reply: [[stream, [[id, [f, v, ...]], ...]]]. */
static void read_entries(struct xbd_fleet *f, const redisReply *r)
{
	struct xbd_fleet_msg *m = f->msgs;
	const redisReply *entries;
	size_t n = 0;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2 ||
	    r->element[0]->element[1]->type != REDIS_REPLY_ARRAY) {
		fail_link(f, "unexpected XREAD reply");
		return;
	}
	entries = r->element[0]->element[1];
	for (size_t i = 0; i < entries->elements && i < READ_COUNT; i++) {
		const redisReply *e = entries->element[i];

		if (e->type == REDIS_REPLY_ARRAY && e->elements >= 1 && is_str(e->element[0]) &&
		    e->element[0]->len < sizeof(f->cursor) &&
		    id_ok(e->element[0]->str, e->element[0]->len))
			memcpy(f->cursor, e->element[0]->str, e->element[0]->len + 1);
		if (entry_decode(f, e, &m[n]))
			n++;
	}
	xbd_fleet_consume(f, m, n, false);
	f->have_cursor = true;
	cursor_save(f);
}

static void on_read(redisAsyncContext *ac, void *reply, void *priv)
{
	struct xbd_fleet *f = ((struct link *)ac->data)->f;
	const redisReply *r = reply;

	(void)priv;
	if (!r)
		return;
	f->read_pending = false;
	if (r->type == REDIS_REPLY_ERROR) {
		fail_link(f, "XREAD failed: %s", r->str);
		return;
	}
	if (r->type != REDIS_REPLY_NIL)
		read_entries(f, r);
	if (!f->want_reset)
		send_read(f);
}

/* ---- loading the current set ---- */

/* HGETALL of STREAM:set: field = prefix, value = line form. */
/* One field and value of the current set; false (counted) when malformed. */
static bool set_entry_decode(struct xbd_fleet *f, const redisReply *k, const redisReply *v,
			     struct xbd_fleet_msg *m)
{
	const char *why = "not a string";

	if (is_str(k) && is_str(v)) {
		why = NULL;
		if (!xbd_fleet_from_line(m, v->str, v->len, &why)) {
			if (k->len == strlen(m->prefix) && !memcmp(k->str, m->prefix, k->len))
				return true;
			why = "prefix differs from its field";
		}
	}
	f->st.received++;
	f->st.malformed++;
	log_reject(f, is_str(k) ? k->str : "a current-set entry", why ? why : "malformed");
	return false;
}

/* HGETALL of STREAM:set (field = prefix, value = line form), READ_COUNT at a time. */
static void snapshot_apply(struct xbd_fleet *f, const redisReply *h)
{
	struct xbd_fleet_msg *m = f->msgs;
	size_t n = 0;

	f->st.snapshots++;
	for (size_t i = 0; i + 1 < h->elements; i += 2) {
		if (!set_entry_decode(f, h->element[i], h->element[i + 1], &m[n]) ||
		    ++n < READ_COUNT)
			continue;
		f->st.snapshot_bans += n;
		xbd_fleet_consume(f, m, n, true);
		n = 0;
	}
	f->st.snapshot_bans += n;
	xbd_fleet_consume(f, m, n, true);
}

static void on_exec(redisAsyncContext *ac, void *reply, void *priv)
{
	struct xbd_fleet *f = ((struct link *)ac->data)->f;
	const redisReply *r = reply;
	__u64 applied = f->st.applied;
	struct stream_info si;

	(void)priv;
	if (!r)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		fail_link(f, "loading the current set failed: %s",
			  r->type == REDIS_REPLY_ERROR ? r->str
			  : r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
					  r->element[1]->type == REDIS_REPLY_ERROR
				  ? r->element[1]->str
				  : "unexpected reply");
		return;
	}
	info_parse(r->element[0], &si);
	snapshot_apply(f, r->element[1]);
	strcpy(f->cursor, si.last);
	f->have_cursor = true;
	cursor_save(f);
	xb_warn("fleet: loaded the current set of %s: %zu bans, %llu applied here", f->cfg.stream,
		r->element[1]->elements / 2, (unsigned long long)(f->st.applied - applied));
	follow(f);
}

/* An error inside EXEC's reply for a stream that does not exist is no error. */
static bool exec_error(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR && !strstr(r->str, "no such key");
}

/* EXEC of [XINFO STREAM, XRANGE STREAM ID ID]: follow from ID, or load the set first. */
static void on_probe(redisAsyncContext *ac, void *reply, void *priv)
{
	struct xbd_fleet *f = ((struct link *)ac->data)->f;
	const redisReply *r = reply;
	struct stream_info si;

	(void)priv;
	if (!r)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || exec_error(r->element[0]) ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		fail_link(f, "probing %s failed: %s", f->cfg.stream,
			  r->type == REDIS_REPLY_ERROR ? r->str
			  : r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
					  exec_error(r->element[0])
				  ? r->element[0]->str
				  : "unexpected reply");
		return;
	}
	info_parse(r->element[0], &si);
	if (!need_snapshot(f, &si, r->element[1]->elements > 0)) {
		follow(f);
		return;
	}
	redisAsyncCommand(ac, NULL, NULL, "MULTI");
	redisAsyncCommand(ac, NULL, NULL, "XINFO STREAM %s", f->cfg.stream);
	redisAsyncCommand(ac, NULL, NULL, "HGETALL %s", f->set_key);
	redisAsyncCommand(ac, on_exec, NULL, "EXEC");
}

static void start_sync(struct xbd_fleet *f)
{
	redisAsyncContext *ac = f->sub.ac;

	f->state = FL_SYNCING;
	f->sync_at = mono_s();
	redisAsyncCommand(ac, NULL, NULL, "MULTI");
	redisAsyncCommand(ac, NULL, NULL, "XINFO STREAM %s", f->cfg.stream);
	redisAsyncCommand(ac, NULL, NULL, "XRANGE %s %s %s", f->cfg.stream, f->cursor, f->cursor);
	redisAsyncCommand(ac, on_probe, NULL, "EXEC");
}

/* ---- publishing ---- */

/* Errors that pass (a failover, a full or loading Redis): keep the ban and reconnect. */
static bool transient(const char *err)
{
	static const char *const prefixes[] = { "OOM",	    "BUSY",	   "LOADING",	 "READONLY",
						"TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "NOAUTH" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(err, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static void on_published(redisAsyncContext *ac, void *reply, void *priv)
{
	struct xbd_fleet *f = ((struct link *)ac->data)->f;
	const redisReply *r = reply;

	(void)priv;
	if (!r || f->pub_failed || !f->inflight)
		return;
	if (r->type == REDIS_REPLY_ERROR && transient(r->str)) {
		f->pub_failed = true;
		fail_link(f, "publishing failed: %s", r->str);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		f->st.publish_errors++;
		log_reject(f, f->q[f->q_head].prefix, r->str);
	} else {
		f->st.published++;
		xb_debug("fleet: published %s", f->q[f->q_head].prefix);
	}
	queue_pop(f);
	f->inflight--;
	f->inflight_since = mono_s();
	if (!f->q_len)
		queue_save(f);
	flush_queue(f);
}

static int send_publish(struct xbd_fleet *f, struct xbd_fleet_msg *m)
{
	char minid[24], now[24], expires[24], ts[24], line[LINE_MAX_LEN];
	const char *argv[11 + 2 * __XBD_FF_MAX];
	size_t lens[11 + 2 * __XBD_FF_MAX];
	const char *vals[__XBD_FF_MAX] = { MSG_VERSION, m->node,   m->prefix, expires,
					   m->reason,	m->source, ts,	      m->sig };
	__u64 t = now_us();
	int argc = 0, len;

	if (xbd_fleet_sign(m, f->cfg.stream, f->key, f->key_len))
		return -EIO;
	len = xbd_fleet_to_line(m, line, sizeof(line));
	if (len < 0)
		return len;
	snprintf(minid, sizeof(minid), "%llu",
		 (unsigned long long)(t / 1000 - f->cfg.maxage_s * 1000));
	snprintf(now, sizeof(now), "%llu", (unsigned long long)(t / 1000000));
	snprintf(expires, sizeof(expires), "%llu", (unsigned long long)m->expires);
	snprintf(ts, sizeof(ts), "%llu", (unsigned long long)m->ts_us);
	{
		const char *head[] = { "EVAL",	   publish_lua, "3",   f->cfg.stream,
				       f->set_key, f->exp_key,	minid, now,
				       m->prefix,  expires,	line };

		for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
			argv[argc++] = head[i];
	}
	for (int i = 0; i < __XBD_FF_MAX; i++) {
		argv[argc++] = xbd_fleet_field_names[i];
		argv[argc++] = vals[i];
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return redisAsyncCommandArgv(f->pub.ac, on_published, NULL, argc, argv, lens) == REDIS_OK
		       ? 0
		       : -EIO;
}

/* Sends what waits, up to INFLIGHT_MAX at a time, oldest first. */
static void flush_queue(struct xbd_fleet *f)
{
	while (f->pub.up && f->pub.ac && !f->pub_failed && f->inflight < f->q_len &&
	       f->inflight < INFLIGHT_MAX) {
		if (send_publish(f, &f->q[f->q_head + f->inflight])) {
			fail_link(f, "cannot send a publish");
			return;
		}
		if (!f->inflight++)
			f->inflight_since = mono_s();
	}
}

static void housekeep(struct xbd_fleet *f)
{
	char now[24];

	if (!f->pub.ac || !f->pub.up)
		return;
	snprintf(now, sizeof(now), "%llu", (unsigned long long)(now_us() / 1000000));
	redisAsyncCommand(f->pub.ac, NULL, NULL, "EVAL %s 2 %s %s %s", expire_lua, f->set_key,
			  f->exp_key, now);
}

static int dispatch(struct xbd_fleet *f, int timeout_ms);

/*
 * A burst of local bans while Redis is there: wait for its replies (at most a second)
 * rather than drop the oldest of a full queue.
 */
static void backpressure(struct xbd_fleet *f)
{
	__u64 t0 = now_us();

	while (f->state == FL_FOLLOWING && !f->want_reset && f->q_len >= f->cfg.queue_max &&
	       now_us() - t0 < BACKPRESSURE_US)
		dispatch(f, 50);
}

void xbd_fleet_publish(struct xbd_fleet *f, const char *source, const struct xb_ban_req *req)
{
	struct xbd_fleet_msg m;
	bool listed = false;

	if (!f)
		return;
	for (size_t i = 0; i < f->cfg.n_publish; i++)
		listed |= !strcmp(f->cfg.publish[i], source);
	if (!f->cfg.publish_all && !listed)
		return;
	backpressure(f);
	if (xbd_fleet_msg_init(&m, f->node, source, req) ||
	    xbd_fleet_sign(&m, f->cfg.stream, f->key, f->key_len) || queue_push(f, &m)) {
		xb_warn("fleet: cannot queue the ban of %s for publishing", m.prefix);
		return;
	}
	queue_append_file(f, &m);
	flush_queue(f);
	/* Out now rather than at the next wake-up. */
	if (f->pub.ac && f->pub.up)
		redisAsyncHandleWrite(f->pub.ac);
}

static void on_decision(struct xbd_source *src, enum xb_decision d, const struct xb_line_event *ev,
			const struct xb_ban_req *req)
{
	if (hook.prev && src >= hook.src && src < hook.src + hook.n && hook.prev[src - hook.src])
		hook.prev[src - hook.src](src, d, ev, req);
	if (d == XB_DEC_BANNED && hook.f)
		xbd_fleet_publish(hook.f, src->name, req);
}

void xbd_fleet_attach_sources(struct xbd_fleet *f, struct xbd_source *src, size_t n)
{
	/* The same sources again, or no fleet now: their own hooks back first. */
	for (size_t i = 0; hook.prev && src == hook.src && i < n && i < hook.n; i++)
		src[i].on_decision = hook.prev[i];
	free(hook.prev);
	memset(&hook, 0, sizeof(hook));
	if (!f)
		return;
	hook.prev = calloc(n + 1, sizeof(*hook.prev));
	if (!hook.prev) {
		xb_warn("fleet: out of memory; local bans are not published");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		hook.prev[i] = src[i].on_decision;
		src[i].on_decision = on_decision;
	}
	hook.f = f;
	hook.src = src;
	hook.n = n;
}

/* ---- the loop ---- */

static int dispatch(struct xbd_fleet *f, int timeout_ms)
{
	struct epoll_event evs[4];
	int n = epoll_wait(f->epfd, evs, 4, timeout_ms);

	for (int i = 0; i < n; i++) {
		struct link *l = evs[i].data.ptr;

		if (l->ac && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
			redisAsyncHandleRead(l->ac);
		if (l->ac && (evs[i].events & (EPOLLOUT | EPOLLERR)))
			redisAsyncHandleWrite(l->ac);
	}
	return n;
}

/* Timeouts of a connect, a sync, an XREAD or a publish: the link is taken as dead. */
static void watchdog(struct xbd_fleet *f, time_t now)
{
	if ((!f->sub.up || !f->pub.up) && now - f->attempt_at > CONNECT_TIMEOUT_S)
		fail_link(f, "no connection within %ds", CONNECT_TIMEOUT_S);
	else if (f->state == FL_SYNCING && now - f->sync_at > SYNC_TIMEOUT_S)
		fail_link(f, "loading the current set took over %ds", SYNC_TIMEOUT_S);
	else if (f->read_pending && now - f->read_sent > READ_BLOCK_MS / 1000 + REPLY_TIMEOUT_S)
		fail_link(f, "XREAD got no reply for %ds", READ_BLOCK_MS / 1000 + REPLY_TIMEOUT_S);
	else if (f->inflight && now - f->inflight_since > REPLY_TIMEOUT_S)
		fail_link(f, "publishing got no reply for %ds", REPLY_TIMEOUT_S);
}

void xbd_fleet_poll(struct xbd_fleet *f)
{
	time_t now;

	if (!f)
		return;
	/* A large reply (the current set) comes in many reads; take what is there. */
	for (int i = 0; i < 64 && !f->want_reset; i++)
		if (dispatch(f, 0) <= 0)
			break;
	if (f->want_reset)
		reset_links(f);
	now = mono_s();
	if (f->state == FL_DOWN && now >= f->next_attempt)
		connect_all(f);
	else
		watchdog(f, now);
	if (f->want_reset)
		reset_links(f);
	if (f->state == FL_FOLLOWING && now >= f->next_housekeep) {
		housekeep(f);
		f->next_housekeep = now + HOUSEKEEP_S;
	}
	if (now != f->saved_at) {
		if (f->q_dirty)
			queue_save(f);
		if (f->st_dirty)
			stats_save(f);
		f->saved_at = now;
	}
}

int xbd_fleet_fd(const struct xbd_fleet *f)
{
	return f ? f->epfd : -1;
}

void xbd_fleet_get_stats(const struct xbd_fleet *f, struct xbd_fleet_stats *st)
{
	if (f)
		*st = f->st;
	else
		memset(st, 0, sizeof(*st));
}

/* ---- start and stop ---- */

static int node_name(struct xbd_fleet *f)
{
	char host[256];

	if (f->cfg.node[0]) {
		strcpy(f->node, f->cfg.node);
		return 0;
	}
	if (gethostname(host, sizeof(host)))
		return -errno;
	host[sizeof(host) - 1] = '\0';
	if (strlen(host) >= sizeof(f->node) || !name_ok(host, strlen(host), false)) {
		xb_warn("fleet: host name '%s' cannot be a node name; set node = in [fleet]", host);
		return -EINVAL;
	}
	strcpy(f->node, host);
	return 0;
}

static int fleet_init(struct xbd_fleet *f, const struct xbd_config *cfg, struct xb_maps *maps)
{
	int err;

	f->cfg = cfg->fleet;
	f->maps = maps;
	f->qfd = -1;
	f->sub.fd = f->pub.fd = -1;
	f->n_ignore = cfg->n_ignoreip;
	memcpy(f->ignore, cfg->ignoreip, cfg->n_ignoreip * sizeof(f->ignore[0]));
	snprintf(f->state_dir, sizeof(f->state_dir), "%s", cfg->state_dir);
	snprintf(f->set_key, sizeof(f->set_key), "%s:set", f->cfg.stream);
	snprintf(f->exp_key, sizeof(f->exp_key), "%s:exp", f->cfg.stream);
	strcpy(f->cursor, "0-0");
	f->reqs = calloc(APPLY_CHUNK, sizeof(*f->reqs));
	f->msgs = calloc(READ_COUNT, sizeof(*f->msgs));
	if (!f->reqs || !f->msgs)
		return -ENOMEM;
	err = xbd_fleet_key_load(f->cfg.key_file, f->key, &f->key_len);
	if (err)
		return err;
	err = node_name(f);
	if (err)
		return err;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (f->epfd < 0)
		return -errno;
	cursor_load(f);
	queue_load(f);
	err = queue_open(f, false);
	if (err)
		xb_warn("fleet: cannot open %s/fleet.queue: %s; queued bans will not survive a "
			"restart",
			f->state_dir, strerror(-err));
	return 0;
}

int xbd_fleet_start(struct xbd_fleet **out, const struct xbd_config *cfg, struct xb_maps *maps)
{
	struct xbd_fleet *f;
	int err;

	*out = NULL;
	if (!cfg->fleet.enabled)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->epfd = -1;
	err = fleet_init(f, cfg, maps);
	if (err) {
		xbd_fleet_stop(f);
		return err;
	}
	xb_warn("fleet: node %s, redis %s, stream %s; publishing %s, applying %s", f->node,
		f->cfg.redis, f->cfg.stream,
		f->cfg.publish_all ? "all sources"
		: f->cfg.n_publish ? "some sources"
				   : "nothing",
		f->cfg.apply ? "the others' bans" : "nothing (apply = no)");
	f->st.queued = f->q_len;
	connect_all(f);
	*out = f;
	return 0;
}

int xbd_fleet_reload(struct xbd_fleet **f, const struct xbd_config *cfg, struct xb_maps *maps)
{
	unsigned char key[XBD_FLEET_KEY_MAX + 1];
	size_t len;
	int err;

	if (cfg->fleet.enabled) {
		err = xbd_fleet_key_load(cfg->fleet.key_file, key, &len);
		OPENSSL_cleanse(key, sizeof(key));
		if (err)
			return err;
	}
	xbd_fleet_stop(*f);
	return xbd_fleet_start(f, cfg, maps);
}

void xbd_fleet_stop(struct xbd_fleet *f)
{
	struct timespec t0, t;

	if (!f)
		return;
	/* Its sources are being freed or replaced; whoever hooks them next starts afresh. */
	if (hook.f == f) {
		free(hook.prev);
		memset(&hook, 0, sizeof(hook));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (f->inflight && f->pub.ac && !f->want_reset) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > DRAIN_MS)
			break;
		dispatch(f, 100);
	}
	f->stopping = true;
	if (f->sub.ac)
		redisAsyncFree(f->sub.ac);
	if (f->pub.ac)
		redisAsyncFree(f->pub.ac);
	f->state = FL_DOWN;
	f->st.connected = 0;
	if (f->epfd >= 0) {
		queue_save(f);
		stats_save(f);
		close(f->epfd);
	}
	if (f->qfd >= 0)
		close(f->qfd);
	if (f->q_len)
		xb_warn("fleet: stopped; %zu bans wait in %s/fleet.queue for the next start",
			f->q_len, f->state_dir);
	OPENSSL_cleanse(f->key, sizeof(f->key));
	free(f->reqs);
	free(f->msgs);
	free(f->q);
	free(f);
}
