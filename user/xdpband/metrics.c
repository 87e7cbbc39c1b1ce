// SPDX-License-Identifier: GPL-2.0
/* xdpband's metrics: the node_exporter textfile and the GET /metrics endpoint. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "xb_metrics.h"
#include "metrics.h"

/* At most this many scrapes at once; a scrape that stalls is cut after the timeout. */
#define HTTP_CONNECTIONS 16
#define HTTP_TIMEOUT_S 10

/* What sources that went away on a reload had counted, by name. */
struct retired {
	char name[XBD_SOURCE_NAME_LEN];
	struct xb_metrics_source c;
};

struct xbd_metrics {
	struct xb_maps *maps;
	char textfile[PATH_MAX];
	char listen[128];
	__u64 interval_s;
	__u64 next_write; /* CLOCK_MONOTONIC seconds */
	bool write_failed; /* warn once per run of failures */
	__s64 start_time;
	__u64 expired[__XB_ORIGIN_MAX + 1];
	struct retired *retired;
	size_t n_retired;
	struct MHD_Daemon *http;
	/*
	 * The daemon's counters as of the last tick. Only the loop writes them, under lock;
	 * the HTTP thread reads them under lock.
	 */
	pthread_mutex_t lock;
	struct xb_metrics_source *snap;
	char (*snap_names)[XBD_SOURCE_NAME_LEN];
	size_t n_snap, cap_snap;
	__u64 snap_expired[__XB_ORIGIN_MAX + 1];
	__u64 snap_at; /* CLOCK_MONOTONIC second of the last refresh */
	/* One map snapshot per thread: the loop's for the file, the server's for scrapes. */
	struct xb_metrics_kernel k_file;
	struct xb_metrics_kernel k_http;
};

/* ---- the daemon's counters ---- */

#define FIRST_COUNT offsetof(struct xb_metrics_source, lines_read)
#define N_COUNTS ((sizeof(struct xb_metrics_source) - FIRST_COUNT) / sizeof(__u64))

_Static_assert((sizeof(struct xb_metrics_source) - FIRST_COUNT) % sizeof(__u64) == 0,
	       "struct xb_metrics_source ends in __u64 counters only");

static void add_counts(struct xb_metrics_source *sum, const struct xb_metrics_source *c)
{
	__u64 *s = (__u64 *)((char *)sum + FIRST_COUNT);
	const __u64 *a = (const __u64 *)((const char *)c + FIRST_COUNT);

	for (size_t i = 0; i < N_COUNTS; i++)
		s[i] += a[i];
}

static struct retired *find_retired(const struct xbd_metrics *m, const char *name)
{
	for (size_t i = 0; i < m->n_retired; i++) {
		if (!strcmp(m->retired[i].name, name))
			return &m->retired[i];
	}
	return NULL;
}

/* A source's counters since the daemon started: this instance's plus its predecessors'. */
static void source_counts(const struct xbd_metrics *m, const struct xbd_source *s,
			  struct xb_metrics_source *c)
{
	struct xb_follow_stats fs = {};
	struct xb_pipeline_stats ps = {};
	const struct retired *r = find_retired(m, s->name);

	if (s->follow)
		xb_follow_stats(s->follow, &fs);
	if (s->pipe)
		xb_pipeline_stats(s->pipe, &ps);
	*c = (struct xb_metrics_source){
		.lines_read = s->lines,
		.lines_matched = s->matched,
		.lines_ignored = s->ignored_lines,
		.lines_missed = s->missed,
		.lines_too_long = fs.skipped_long,
		.lines_binary = fs.skipped_binary,
		.bytes_read = fs.bytes,
		.rotations = fs.rotations,
		.bans_added = ps.bans,
		.bans_removed = ps.unbans,
		.ban_errors = ps.errors,
	};
	if (r)
		add_counts(c, &r->c);
}

static int snap_reserve(struct xbd_metrics *m, size_t n)
{
	struct xb_metrics_source *snap;
	char(*names)[XBD_SOURCE_NAME_LEN];

	if (n <= m->cap_snap)
		return 0;
	snap = realloc(m->snap, n * sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	m->snap = snap;
	names = realloc(m->snap_names, n * sizeof(*names));
	if (!names)
		return -ENOMEM;
	m->snap_names = names;
	m->cap_snap = n;
	return 0;
}

/* Called from the loop only. On ENOMEM the previous copy stays. */
static void snap_refresh(struct xbd_metrics *m, const struct xbd_source *src, size_t n)
{
	pthread_mutex_lock(&m->lock);
	if (!snap_reserve(m, n)) {
		for (size_t i = 0; i < n; i++) {
			source_counts(m, &src[i], &m->snap[i]);
			snprintf(m->snap_names[i], sizeof(m->snap_names[i]), "%s", src[i].name);
			m->snap[i].name = m->snap_names[i];
		}
		m->n_snap = n;
	}
	memcpy(m->snap_expired, m->expired, sizeof(m->expired));
	pthread_mutex_unlock(&m->lock);
}

/* The copy as an xb_metrics_daemon; valid while the loop does not refresh it. */
static void daemon_view(const struct xbd_metrics *m, struct xb_metrics_daemon *d)
{
	memset(d, 0, sizeof(*d));
	d->start_time = m->start_time;
	d->sources = m->snap;
	d->n_sources = m->n_snap;
	memcpy(d->expired, m->snap_expired, sizeof(d->expired));
}

void xbd_metrics_retire(struct xbd_metrics *m, const struct xbd_source *src, size_t n_src)
{
	for (size_t i = 0; m && i < n_src; i++) {
		struct retired *r = find_retired(m, src[i].name), *grown;
		struct xb_metrics_source c;

		source_counts(m, &src[i], &c);
		if (!r) {
			grown = realloc(m->retired, (m->n_retired + 1) * sizeof(*grown));
			if (!grown)
				return; /* its counters restart from 0: a reset, as after a restart */
			m->retired = grown;
			r = &m->retired[m->n_retired++];
			snprintf(r->name, sizeof(r->name), "%s", src[i].name);
		}
		r->c = c;
	}
}

void xbd_metrics_expired(struct xbd_metrics *m, const struct xb_ban_entry *e)
{
	if (m)
		m->expired[e->ban.origin < __XB_ORIGIN_MAX ? e->ban.origin : __XB_ORIGIN_MAX]++;
}

/* ---- the textfile ---- */

/* PATH.tmp in the same directory, then rename: node_exporter reads only *.prom files. */
static int write_textfile(struct xbd_metrics *m)
{
	struct xb_metrics_daemon d;
	char tmp[PATH_MAX + 8];
	FILE *f;
	int fd, err;

	err = xb_metrics_collect(m->maps, &m->k_file);
	if (err)
		return err;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", m->textfile) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	/* Readable by node_exporter's user whatever the daemon's umask. */
	if (fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		err = -errno;
		close(fd);
		goto out;
	}
	daemon_view(m, &d);
	err = xb_metrics_write(f, &m->k_file, &d);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, m->textfile))
		err = -errno;
out:
	if (err)
		unlink(tmp);
	return err;
}

static __u64 monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec;
}

static void write_and_report(struct xbd_metrics *m)
{
	int err = write_textfile(m);

	if (err && !m->write_failed)
		xb_warn("metrics_textfile %s: cannot write it: %s (retrying every %llus)",
			m->textfile, strerror(-err), (unsigned long long)m->interval_s);
	else if (!err && m->write_failed)
		xb_warn("metrics_textfile %s: written again", m->textfile);
	m->write_failed = err != 0;
}

void xbd_metrics_tick(struct xbd_metrics *m, const struct xbd_source *src, size_t n_src)
{
	__u64 now;

	if (!m)
		return;
	/* However often the loop wakes (a drop flood), the copy is refreshed once a second. */
	now = monotonic_s();
	if (now == m->snap_at && m->n_snap == n_src)
		return;
	snap_refresh(m, src, n_src);
	m->snap_at = now;
	if (!m->textfile[0] || now < m->next_write)
		return;
	m->next_write = now + m->interval_s;
	write_and_report(m);
}

static int check_textfile_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = strlen(path);
	char dir[PATH_MAX];

	if (len < 5 || strcmp(path + len - 5, ".prom"))
		xb_warn("metrics_textfile %s: node_exporter's textfile collector reads only "
			"*.prom files",
			path);
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (access(dir, W_OK | X_OK)) {
		int err = -errno;

		xb_warn("metrics_textfile %s: cannot write in %s: %s", path, dir, strerror(-err));
		return err;
	}
	return 0;
}

/* ---- GET /metrics ---- */

#define TEXT_PLAIN "text/plain; charset=utf-8"

/* Queues body; free_body (if any) frees it once sent, or now when nothing can be sent. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     char *body, size_t len, MHD_ContentReaderFreeCallback free_body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer_with_free_callback(len, body, free_body);
	if (!r) {
		if (free_body)
			free_body(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	/* No free callback: static text. */
	return reply(c, status, TEXT_PLAIN, (char *)text, strlen(text), NULL);
}

/* In the server's thread: the maps read now, the daemon's counters as of the last tick. */
static enum MHD_Result reply_metrics(struct xbd_metrics *m, struct MHD_Connection *c)
{
	struct xb_metrics_daemon d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (xb_metrics_collect(m->maps, &m->k_http))
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the maps\n");
	f = open_memstream(&buf, &len);
	if (!f)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	pthread_mutex_lock(&m->lock);
	daemon_view(m, &d);
	err = xb_metrics_write(f, &m->k_http, &d);
	pthread_mutex_unlock(&m->lock);
	if (fclose(f) || err) {
		free(buf);
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	return reply(c, MHD_HTTP_OK, XB_METRICS_CONTENT_TYPE, buf, len, free);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	/* Answered at once, even with a body pending: MHD then closes the connection. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (!strcmp(url, "/metrics"))
		return reply_metrics(cls, c);
	if (!strcmp(url, "/"))
		return reply_text(c, MHD_HTTP_OK, "xdpband: the metrics are at /metrics\n");
	return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t len;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	xb_warn("metrics http: %s", msg);
}

int xbd_metrics_parse_listen(const char *text, struct sockaddr_storage *addr, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	const char *port_s = text, *end;
	char host[INET6_ADDRSTRLEN] = XBD_METRICS_LISTEN_DEFAULT_ADDR;
	unsigned long port;
	size_t hlen = 0;
	char *stop;

	memset(addr, 0, sizeof(*addr));
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		hlen = (size_t)(end - text - 1);
		text++;
		port_s = end + 2;
	} else if ((end = strchr(text, ':'))) {
		if (strchr(end + 1, ':'))
			return -EINVAL; /* an IPv6 address wants brackets */
		hlen = (size_t)(end - text);
		port_s = end + 1;
	}
	if (port_s != text && (hlen == 0 || hlen >= sizeof(host)))
		return -EINVAL;
	if (port_s != text)
		snprintf(host, sizeof(host), "%.*s", (int)hlen, text);
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "%s", XBD_METRICS_LISTEN_DEFAULT_ADDR);
	errno = 0;
	port = strtoul(port_s, &stop, 10);
	if (*port_s < '0' || *port_s > '9' || *stop || errno || port < 1 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((__u16)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((__u16)port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static int http_start(struct xbd_metrics *m)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	struct sockaddr_storage ss;
	sigset_t all, old;
	socklen_t len;
	__u16 port;
	int err;

	err = xbd_metrics_parse_listen(m->listen, &ss, &len);
	if (err) {
		xb_warn("metrics_listen '%s': expected PORT, ADDR:PORT or [ADDR6]:PORT", m->listen);
		return err;
	}
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	/* The server's thread inherits a full mask: signals stay the loop's to take. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	errno = 0;
	m->http = MHD_start_daemon(flags, port, NULL, NULL, on_request, m,
				   MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
				   (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
				   (unsigned int)HTTP_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				   (unsigned int)HTTP_TIMEOUT_S, MHD_OPTION_END);
	err = errno ? -errno : -EIO;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!m->http) {
		xb_warn("metrics_listen %s: cannot serve the metrics: %s", m->listen,
			strerror(-err));
		return err;
	}
	xb_info("metrics served on http://%s/metrics", m->listen);
	return 0;
}

static void http_stop(struct xbd_metrics *m)
{
	if (m->http)
		MHD_stop_daemon(m->http);
	m->http = NULL;
}

/* ---- lifecycle ---- */

static int apply_opts(struct xbd_metrics *m, const struct xbd_metrics_opts *o)
{
	const char *textfile = o->textfile ? o->textfile : "";
	const char *listen = o->listen ? o->listen : "";

	if (strlen(textfile) >= sizeof(m->textfile) - 8 || strlen(listen) >= sizeof(m->listen))
		return -ENAMETOOLONG;
	snprintf(m->textfile, sizeof(m->textfile), "%s", textfile);
	snprintf(m->listen, sizeof(m->listen), "%s", listen);
	m->interval_s = o->interval_s ? o->interval_s : XBD_METRICS_INTERVAL_DEFAULT_S;
	m->next_write = 0;
	m->write_failed = false;
	return 0;
}

int xbd_metrics_start(struct xbd_metrics **mp, const struct xbd_metrics_opts *opts,
		      struct xb_maps *maps)
{
	struct xbd_metrics *m = *mp;
	bool fresh = !m;
	int err;

	if (fresh) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		pthread_mutex_init(&m->lock, NULL);
		m->start_time = time(NULL);
	}
	/* A reload that keeps the address keeps the server, and its socket. */
	if (m->maps != maps || !opts->listen || strcmp(opts->listen, m->listen))
		http_stop(m);
	if (!m->http)
		m->maps = maps; /* the server's thread reads it */
	err = apply_opts(m, opts);
	if (err)
		xb_warn("metrics_textfile or metrics_listen too long");
	if (!err && m->textfile[0])
		err = check_textfile_dir(m->textfile);
	if (!err && m->listen[0] && !m->http)
		err = http_start(m);
	if (err && fresh) {
		pthread_mutex_destroy(&m->lock);
		free(m);
		m = NULL;
	}
	*mp = m;
	return err;
}

void xbd_metrics_stop(struct xbd_metrics *m, const struct xbd_source *src, size_t n_src)
{
	if (!m)
		return;
	http_stop(m);
	if (m->textfile[0]) {
		snap_refresh(m, src, n_src);
		write_and_report(m);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->snap);
	free(m->snap_names);
	free(m->retired);
	free(m);
}
