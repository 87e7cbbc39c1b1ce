// SPDX-License-Identifier: GPL-2.0
/*
 * Following a log file as `tail -F` and fail2ban's backends do, without losing or repeating
 * a line. inotify only says when to look; every read checks everything itself (has the
 * path moved to another inode, has the file shrunk or changed its first line), so a caller
 * that polls without events, or an event queue that overflowed, still reads correctly.
 *
 * A file is known by its inode and by the hash of its first line (up to XB_HEAD_MAX bytes):
 * the inode tells a rename+create rotation, the hash a copytruncate refilled past our offset
 * and an inode number reused by another file. The saved position is one line,
 * "inode offset hash", the offset just past the last newline read.
 *
 * After a rename+create the old file is read to its end, then the new one from its start;
 * the old one stays open and is read first on every call until it has been idle for
 * XB_LINGER_NS, because its writer appends to it until told to reopen.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr(), mkostemp() */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "xb_sources.h"

/* One read() or gzread(): a line up to XB_LINE_MAX often comes in one piece. */
#define XB_CHUNK (64 * 1024)
/* How much of the first line identifies a file's content. */
#define XB_HEAD_MAX 4096
/* New files followed in one read: bounds the loop when rotation outruns us. */
#define XB_MAX_SWITCHES 8
/* A rotated file is read until it has not grown for this long. */
#define XB_LINGER_NS (30 * 1000000000ULL)

#define FNV1A64_OFFSET 0xcbf29ce484222325ULL
#define FNV1A64_PRIME 0x100000001b3ULL

/*
 * The file itself tells us it grew or went away. The directory tells us the file appeared
 * or was renamed; not IN_MODIFY there, or every write to any log beside ours wakes us.
 */
#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
#define DIR_EVENTS                                                                          \
	(IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_ONLYDIR)

/* Splits bytes into lines. It holds at most one line: memory is bounded whatever comes in. */
struct line_split {
	char *buf; /* a line, the '\r' before its newline, and a NUL */
	size_t len;
	bool skip; /* inside an over-long line, already counted: drop up to its newline */
	struct xb_follow_stats *st;
	xb_line_fn fn;
	void *ctx;
};

#define LINE_BUF_SIZE (XB_LINE_MAX + 2)

/* The first line of a file, hashed as far as it is known. */
struct head {
	bool known; /* complete, or XB_HEAD_MAX long */
	__u64 len; /* bytes hashed so far */
	__u64 hash;
};

struct follow_state {
	__u64 ino;
	__u64 off;
	__u64 hash;
};

/* One file being read: the current one, or a rotated one its writer may still append to. */
struct follow_file {
	int fd; /* -1: none */
	int wd; /* its inotify watch, -1: none */
	dev_t dev;
	ino_t ino;
	__u64 off; /* next byte to read */
	__u64 done; /* just past the last newline: what a restart resumes from */
	__u64 grew_ns; /* when it last grew (CLOCK_MONOTONIC) */
	struct head head;
	struct line_split ls;
};

struct xb_follow {
	char *path;
	char *dir; /* path's directory, watched for the file's creation and renames */
	const char *base; /* path's last component, inside path */
	char *state_file;
	bool from_start;
	int ifd; /* inotify; -1 when the system has none left for us: polling only */
	int wd_dir;
	struct follow_file cur; /* what path names, as far as we know */
	struct follow_file prev; /* rotated away, read until idle for XB_LINGER_NS */
	char *chunk;
	struct xb_follow_stats st;
	bool saved_valid;
	struct follow_state saved; /* last written, so that an idle log costs no fsync */
};

/* ---- lines ---- */

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7), 0 if there is none. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		lo = s[0] == 0xe0 ? 0xa0 : lo; /* overlong */
		hi = s[0] == 0xed ? 0x9f : hi; /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		lo = s[0] == 0xf0 ? 0x90 : lo; /* overlong */
		hi = s[0] == 0xf4 ? 0x8f : hi; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

/* Text is what parsers can trust: no NUL, well-formed UTF-8. */
static bool line_is_text(const char *line, size_t len)
{
	const unsigned char *s = (const unsigned char *)line;
	const __u64 high = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;

	for (size_t i = 0; i < len;) {
		size_t n;

		/* Log lines are mostly ASCII: 8 bytes at a time while no byte is NUL or
		 * above 0x7f (with no high bit set, v - ones sets one only under a 0 byte). */
		if (len - i >= 8) {
			__u64 v;

			memcpy(&v, s + i, 8);
			if (!(v & high) && !((v - ones) & high)) {
				i += 8;
				continue;
			}
		}
		n = utf8_seq(s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* line[len] may be overwritten: the callback gets a NUL-terminated line as a courtesy. */
static void split_emit(struct line_split *ls, char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (len > XB_LINE_MAX) {
		ls->st->skipped_long++;
		return;
	}
	if (!line_is_text(line, len)) {
		ls->st->skipped_binary++;
		return;
	}
	line[len] = '\0';
	ls->st->lines++;
	if (ls->fn)
		ls->fn(ls->ctx, line, len);
}

/* One piece of a line; eol when a newline ends it. */
static void split_take(struct line_split *ls, char *p, size_t len, bool eol)
{
	if (ls->skip) {
		ls->skip = !eol;
		return;
	}
	/* The common case, a whole line in one chunk, is handed out without a copy. */
	if (eol && !ls->len) {
		split_emit(ls, p, len);
		return;
	}
	if (ls->len + len > XB_LINE_MAX + 1) {
		ls->st->skipped_long++;
		ls->len = 0;
		ls->skip = !eol;
		return;
	}
	memcpy(ls->buf + ls->len, p, len);
	ls->len += len;
	if (eol) {
		split_emit(ls, ls->buf, ls->len);
		ls->len = 0;
	}
}

/* Returns how many bytes of data end with its last newline, 0 when it has none. */
static size_t split_feed(struct line_split *ls, char *data, size_t n)
{
	size_t pos = 0, end = 0;

	while (pos < n) {
		char *nl = memchr(data + pos, '\n', n - pos);
		size_t seg = (nl ? (size_t)(nl - data) : n) - pos;

		split_take(ls, data + pos, seg, nl != NULL);
		pos += seg;
		if (nl)
			end = ++pos;
	}
	return end;
}

static void split_reset(struct line_split *ls)
{
	ls->len = 0;
	ls->skip = false;
}

/* The input ended for good: a last line without its newline is still a line. */
static void split_flush(struct line_split *ls)
{
	if (!ls->skip && ls->len)
		split_emit(ls, ls->buf, ls->len);
	split_reset(ls);
}

/* ---- the state file ---- */

static int state_load(const char *file, struct follow_state *s)
{
	unsigned long long ino, off, hash;
	char line[128];
	bool ok;
	FILE *fp;

	fp = fopen(file, "re");
	if (!fp)
		return -errno;
	ok = fgets(line, sizeof(line), fp) &&
	     sscanf(line, "%llu %llu %llx", &ino, &off, &hash) == 3 && off <= LLONG_MAX;
	fclose(fp);
	if (!ok)
		return -EINVAL;
	s->ino = ino;
	s->off = off;
	s->hash = hash;
	return 0;
}

/* The rename must survive a crash too, or a restart reads an older position. */
static void fsync_dir_of(const char *file)
{
	char *copy = strdup(file);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

/* tmp + fsync + rename: a crash leaves the old state or the new one, never half of one. */
static int state_write(const char *file, const struct follow_state *s)
{
	char tmp[PATH_MAX], line[96];
	int fd, len, err = 0;
	ssize_t n;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", file) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(line, sizeof(line), "%llu %llu %016llx\n", (unsigned long long)s->ino,
		       (unsigned long long)s->off, (unsigned long long)s->hash);
	n = write(fd, line, len);
	if (n != len)
		err = n < 0 ? -errno : -ENOSPC;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, file))
		err = -errno;
	if (err)
		unlink(tmp);
	else
		fsync_dir_of(file);
	return err;
}

/* ---- files ---- */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* A regular file only: a FIFO or a device under a log's name would block or never end. */
static int open_log(int dirfd, const char *name, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static void head_reset(struct head *h)
{
	h->known = false;
	h->len = 0;
	h->hash = FNV1A64_OFFSET;
}

/*
 * Hashes (FNV-1a 64) what of the first line lies in data, read at off. Taken from the bytes
 * we read, not read again later, so that it describes the content our offset refers to.
 */
static void head_feed(struct head *h, __u64 off, const char *data, size_t n)
{
	const unsigned char *p = (const unsigned char *)data;
	const char *nl;
	size_t take;

	if (h->known || off != h->len)
		return;
	take = n < XB_HEAD_MAX - h->len ? n : XB_HEAD_MAX - h->len;
	nl = memchr(data, '\n', take);
	if (nl)
		take = (size_t)(nl - data) + 1;
	for (size_t i = 0; i < take; i++)
		h->hash = (h->hash ^ p[i]) * FNV1A64_PRIME;
	h->len += take;
	h->known = nl || h->len == XB_HEAD_MAX;
}

static int head_read(int fd, char *buf, struct head *h)
{
	ssize_t n = pread(fd, buf, XB_HEAD_MAX, 0);

	if (n < 0)
		return -errno;
	head_reset(h);
	head_feed(h, 0, buf, n);
	return 0;
}

/* Watches the inode we hold, not whatever path names by now; path if /proc is missing. */
static void watch_file(struct xb_follow *f, struct follow_file *ff)
{
	char proc[64];

	if (f->ifd < 0)
		return;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ff->fd);
	ff->wd = inotify_add_watch(f->ifd, proc, FILE_EVENTS);
	if (ff->wd < 0)
		ff->wd = inotify_add_watch(f->ifd, f->path, FILE_EVENTS);
}

/* The directory may not exist yet either; then read() tries again. */
static void watch_dir(struct xb_follow *f)
{
	if (f->ifd >= 0)
		f->wd_dir = inotify_add_watch(f->ifd, f->dir, DIR_EVENTS);
}

/* Makes fd (st its fstat) the file ff reads, from its start; ff holds no file. */
static void file_attach(struct xb_follow *f, struct follow_file *ff, int fd, const struct stat *st)
{
	ff->fd = fd;
	ff->dev = st->st_dev;
	ff->ino = st->st_ino;
	ff->off = ff->done = 0;
	ff->grew_ns = now_ns();
	head_reset(&ff->head);
	split_reset(&ff->ls);
	watch_file(f, ff);
}

/* flush: the file has ended for good, and its last partial line is as complete as it gets. */
static void file_close(struct xb_follow *f, struct follow_file *ff, bool flush)
{
	if (ff->fd < 0)
		return;
	if (flush)
		split_flush(&ff->ls);
	if (ff->wd >= 0)
		inotify_rm_watch(f->ifd, ff->wd);
	close(ff->fd);
	ff->fd = ff->wd = -1;
}

/* From the end, but after the last complete line: a line being written now is not lost. */
static void follow_tail(struct xb_follow *f, __u64 size)
{
	struct follow_file *cur = &f->cur;
	size_t n = size < XB_CHUNK ? size : XB_CHUNK;
	const char *nl;

	cur->off = cur->done = size;
	if (pread(cur->fd, f->chunk, n, size - n) != (ssize_t)n)
		return;
	nl = memrchr(f->chunk, '\n', n);
	if (nl)
		cur->off = cur->done = size - n + (size_t)(nl - f->chunk) + 1;
	else if (n == size)
		cur->off = cur->done = 0;
	else
		cur->ls.skip = true; /* in a line longer than we would keep anyway */
	/* Reading from 0 hashes the first line on the way; from here on it must be read now. */
	if (cur->off && head_read(cur->fd, f->chunk, &cur->head))
		head_reset(&cur->head);
}

/*
 * The saved position holds if the file still has that many bytes and starts with the line
 * it started with; else it was replaced or truncated since, and is read from its start.
 */
static bool follow_resume(struct xb_follow *f, const struct follow_state *s, __u64 size)
{
	struct follow_file *cur = &f->cur;
	struct head h;

	if (s->off > size)
		return false;
	if (s->off && (head_read(cur->fd, f->chunk, &h) || !h.known || h.hash != s->hash))
		return false;
	cur->off = cur->done = s->off;
	if (s->off)
		cur->head = h;
	return true;
}

/*
 * Where rotation put the file we were reading while we were not running: beside the log,
 * named after it (log.1, log-20240101), with the saved inode.
 */
static int open_rotated(struct xb_follow *f, __u64 ino, struct stat *st)
{
	size_t blen = strlen(f->base);
	struct dirent *de;
	int fd = -ENOENT;
	DIR *d;

	d = opendir(f->dir);
	if (!d)
		return -errno;
	while (fd == -ENOENT && (de = readdir(d))) {
		if (de->d_ino != ino || strncmp(de->d_name, f->base, blen) || !de->d_name[blen])
			continue;
		fd = open_log(dirfd(d), de->d_name, st);
		if (fd >= 0 && st->st_ino != ino) {
			close(fd);
			fd = -ENOENT;
		}
	}
	closedir(d);
	return fd;
}

/* The rest of the file we were reading before a restart, if it is still there. */
static bool start_rotated(struct xb_follow *f, const struct follow_state *s)
{
	struct stat st;
	int fd = open_rotated(f, s->ino, &st);

	if (fd < 0)
		return false;
	file_attach(f, &f->cur, fd, &st);
	if (follow_resume(f, s, st.st_size)) {
		xb_info("%s: rotated while stopped, reading the rest of the old file first",
			f->path);
		return true;
	}
	file_close(f, &f->cur, false);
	return false;
}

/* A file that does not exist yet is waited for; then it is new, and read from its start. */
static int follow_start(struct xb_follow *f, const struct follow_state *s)
{
	struct stat st;
	int fd = open_log(AT_FDCWD, f->path, &st);

	if (fd < 0 && fd != -ENOENT)
		return fd;
	if (s && (fd < 0 || st.st_ino != s->ino) && start_rotated(f, s)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (fd < 0)
		return 0;
	file_attach(f, &f->cur, fd, &st);
	if (s && st.st_ino == s->ino && follow_resume(f, s, st.st_size))
		return 0;
	if (s)
		xb_info("%s: not the file of the saved position, reading it from its start",
			f->path);
	else if (!f->from_start)
		follow_tail(f, st.st_size);
	return 0;
}

/* ---- reading ---- */

/* Events only say "look"; read() looks at everything. Lost watches are noted for renewal. */
static void drain_events(struct xb_follow *f)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while (f->ifd >= 0 && (n = read(f->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_IGNORED) {
				f->wd_dir = ev->wd == f->wd_dir ? -1 : f->wd_dir;
				f->cur.wd = ev->wd == f->cur.wd ? -1 : f->cur.wd;
				f->prev.wd = ev->wd == f->prev.wd ? -1 : f->prev.wd;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

/*
 * copytruncate: the file shrank below what we read, or no longer starts with its first
 * line (truncated and refilled past our offset before we looked). Its new content is read
 * from the start; a partial line from before belonged to the old content.
 */
static int check_truncated(struct xb_follow *f, __u64 *size)
{
	struct follow_file *cur = &f->cur;
	struct stat st;
	struct head h;
	int err;

	if (fstat(cur->fd, &st))
		return -errno;
	*size = st.st_size;
	if (*size >= cur->off) {
		if (!cur->head.known)
			return 0;
		err = head_read(cur->fd, f->chunk, &h);
		if (err)
			return err;
		if (h.known && h.hash == cur->head.hash)
			return 0;
	}
	xb_info("%s: truncated, reading it from its start", f->path);
	f->st.rotations++;
	cur->off = cur->done = 0;
	head_reset(&cur->head);
	split_reset(&cur->ls);
	return 0;
}

/* Reads ff up to offset limit, or its end. */
static int file_drain(struct xb_follow *f, struct follow_file *ff, __u64 limit)
{
	while (ff->off < limit) {
		size_t want = limit - ff->off < XB_CHUNK ? limit - ff->off : XB_CHUNK;
		ssize_t n = pread(ff->fd, f->chunk, want, ff->off);
		size_t end;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		head_feed(&ff->head, ff->off, f->chunk, n);
		end = split_feed(&ff->ls, f->chunk, n);
		if (end)
			ff->done = ff->off + end;
		ff->off += n;
		f->st.bytes += n;
	}
	return 0;
}

/*
 * The rotated file, read for as long as its writer may still append to it: logrotate
 * renames, creates, and only then tells the writer to reopen. Let go once idle for a while.
 */
static void read_prev(struct xb_follow *f)
{
	struct follow_file *prev = &f->prev;
	__u64 off = prev->off, now = now_ns();
	int err;

	if (prev->fd < 0)
		return;
	err = file_drain(f, prev, UINT64_MAX);
	if (prev->off != off)
		prev->grew_ns = now;
	if (err || now - prev->grew_ns > XB_LINGER_NS)
		file_close(f, prev, true);
}

/* Whether path names another file than the one we read: rename+create, or replaced. */
static bool path_moved(const struct xb_follow *f)
{
	struct stat st;

	return !stat(f->path, &st) && (st.st_ino != f->cur.ino || st.st_dev != f->cur.dev);
}

/*
 * Rename+create, the old file read to its end already: it becomes prev, still read for a
 * while, and the new file is read from its start. A prev from a rotation before is done.
 */
static int switch_file(struct xb_follow *f)
{
	struct follow_file tmp;
	struct stat st;
	int fd = open_log(AT_FDCWD, f->path, &st);

	if (fd == -ENOENT)
		return 0; /* renamed away again: the next look finds what is there */
	if (fd < 0)
		return fd;
	if (st.st_ino == f->cur.ino && st.st_dev == f->cur.dev) {
		close(fd);
		return 0;
	}
	if (f->prev.fd >= 0)
		file_drain(f, &f->prev, UINT64_MAX);
	file_close(f, &f->prev, true);
	tmp = f->prev;
	f->prev = f->cur;
	f->prev.grew_ns = now_ns();
	f->cur = tmp;
	file_attach(f, &f->cur, fd, &st);
	f->st.rotations++;
	xb_info("%s: rotated, reading the new file", f->path);
	return 0;
}

/* The file appeared after open (or after it was gone at start): all of it is new. */
static int open_appeared(struct xb_follow *f)
{
	struct stat st;
	int fd = open_log(AT_FDCWD, f->path, &st);

	if (fd < 0)
		return fd;
	file_attach(f, &f->cur, fd, &st);
	return 0;
}

static void set_callback(struct xb_follow *f, xb_line_fn fn, void *ctx)
{
	f->cur.ls.fn = f->prev.ls.fn = fn;
	f->cur.ls.ctx = f->prev.ls.ctx = ctx;
}

int xb_follow_read(struct xb_follow *f, xb_line_fn fn, void *ctx)
{
	int err = 0;

	if (!f)
		return -EINVAL;
	set_callback(f, fn, ctx);
	/* Before reading: a write after this point leaves an event for the next call. */
	drain_events(f);
	if (f->wd_dir < 0)
		watch_dir(f);
	if (f->cur.fd < 0) {
		err = open_appeared(f);
		if (err)
			return err == -ENOENT ? 0 : err;
	}
	for (int i = 0; !err && i < XB_MAX_SWITCHES; i++) {
		/* Before draining, so that what the old file got until then is read. */
		bool moved = path_moved(f);
		__u64 size = 0;

		err = check_truncated(f, &size);
		if (err)
			break;
		/*
		 * The rotated file to its end, then the current one only up to the size seen
		 * before: a writer that has moved on wrote all its old lines before those.
		 */
		read_prev(f);
		err = file_drain(f, &f->cur, size);
		if (err || !moved)
			break;
		err = switch_file(f);
	}
	return err;
}

/* ---- the follower ---- */

static int follow_alloc(struct xb_follow *f, const struct xb_follow_opts *opts)
{
	char *copy;

	f->path = strdup(opts->path);
	copy = strdup(opts->path);
	if (f->path && copy)
		f->dir = strdup(dirname(copy));
	free(copy);
	if (opts->state_file)
		f->state_file = strdup(opts->state_file);
	f->cur.ls.buf = malloc(LINE_BUF_SIZE);
	f->prev.ls.buf = malloc(LINE_BUF_SIZE);
	f->chunk = malloc(XB_CHUNK);
	if (!f->path || !f->dir || (opts->state_file && !f->state_file) || !f->cur.ls.buf ||
	    !f->prev.ls.buf || !f->chunk)
		return -ENOMEM;
	f->base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
	return *f->base ? 0 : -EINVAL;
}

/* A saved position that cannot be read is dropped, as if there were none. */
static const struct follow_state *load_saved(struct xb_follow *f, struct follow_state *s)
{
	int err;

	if (!f->state_file)
		return NULL;
	err = state_load(f->state_file, s);
	if (err == -ENOENT)
		return NULL;
	if (err) {
		xb_warn("%s: cannot read %s, starting without it: %s", f->path, f->state_file,
			strerror(-err));
		return NULL;
	}
	f->saved = *s;
	f->saved_valid = true;
	return s;
}

static struct xb_follow *follow_new(void)
{
	struct xb_follow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->wd_dir = -1;
	f->cur.fd = f->cur.wd = -1;
	f->prev.fd = f->prev.wd = -1;
	f->cur.ls.st = f->prev.ls.st = &f->st;
	return f;
}

int xb_follow_open(struct xb_follow **out, const struct xb_follow_opts *opts)
{
	struct follow_state s;
	struct xb_follow *f;
	int err;

	if (!out || !opts || !opts->path || !*opts->path)
		return -EINVAL;
	*out = NULL;
	f = follow_new();
	if (!f)
		return -ENOMEM;
	f->from_start = opts->from_start;
	f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ifd < 0)
		xb_warn("%s: no inotify, polling only: %s", opts->path, strerror(errno));
	err = follow_alloc(f, opts);
	if (!err) {
		/* The directory first: a file created from now on is seen. */
		watch_dir(f);
		err = follow_start(f, load_saved(f, &s));
	}
	if (err) {
		xb_follow_close(f);
		return err;
	}
	*out = f;
	return 0;
}

int xb_follow_fd(const struct xb_follow *f)
{
	return f ? f->ifd : -EINVAL;
}

/*
 * The position in the current file; lines of a rotated file still read after it are not
 * in it. Nothing to save before the file exists: a position saved earlier still holds.
 */
int xb_follow_save(struct xb_follow *f)
{
	struct follow_state s;
	int err;

	if (!f)
		return -EINVAL;
	if (!f->state_file || f->cur.fd < 0)
		return 0;
	/* Unknown only while no line was read whole: then the offset is 0 and needs no hash. */
	s.ino = f->cur.ino;
	s.off = f->cur.done;
	s.hash = f->cur.head.known ? f->cur.head.hash : 0;
	if (f->saved_valid && !memcmp(&s, &f->saved, sizeof(s)))
		return 0;
	err = state_write(f->state_file, &s);
	if (err)
		return err;
	f->saved = s;
	f->saved_valid = true;
	return 0;
}

void xb_follow_stats(const struct xb_follow *f, struct xb_follow_stats *st)
{
	if (f && st)
		*st = f->st;
}

/* Without a callback to hand them to, partial lines are dropped. */
void xb_follow_close(struct xb_follow *f)
{
	if (!f)
		return;
	if (f->cur.fd >= 0)
		close(f->cur.fd);
	if (f->prev.fd >= 0)
		close(f->prev.fd);
	if (f->ifd >= 0)
		close(f->ifd);
	free(f->chunk);
	free(f->prev.ls.buf);
	free(f->cur.ls.buf);
	free(f->state_file);
	free(f->dir);
	free(f->path);
	free(f);
}

/* ---- whole files ---- */

static int gz_err(gzFile gz)
{
	int zerr;

	gzerror(gz, &zerr);
	if (zerr == Z_OK || zerr == Z_STREAM_END)
		return 0;
	if (zerr == Z_ERRNO)
		return errno ? -errno : -EIO;
	return zerr == Z_MEM_ERROR ? -ENOMEM : -EIO; /* corrupt or cut short */
}

/* zlib reads the 1f 8b magic itself and passes anything else through as it is. */
static int gz_read_lines(gzFile gz, struct line_split *ls, char *chunk)
{
	for (;;) {
		int n = gzread(gz, chunk, XB_CHUNK);

		if (n < 0)
			return gz_err(gz) ?: -EIO;
		if (!n)
			return gz_err(gz); /* a gzip stream cut short ends in an error */
		split_feed(ls, chunk, n);
		ls->st->bytes += n;
	}
}

/* No regular-file check: "-" arrives as /dev/stdin, a pipe. */
static int gz_open(const char *path, gzFile *gz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	*gz = gzdopen(fd, "rb");
	if (!*gz) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

int xb_read_file_lines(const char *path, xb_line_fn fn, void *ctx, struct xb_follow_stats *st)
{
	struct xb_follow_stats local = { 0 };
	struct line_split ls = { .st = &local, .fn = fn, .ctx = ctx };
	char *chunk = NULL;
	gzFile gz = NULL;
	int err;

	if (!path)
		return -EINVAL;
	ls.buf = malloc(LINE_BUF_SIZE);
	chunk = malloc(XB_CHUNK);
	err = ls.buf && chunk ? gz_open(path, &gz) : -ENOMEM;
	if (!err)
		err = gz_read_lines(gz, &ls, chunk);
	/* A file read whole has ended: its last line needs no newline. */
	if (!err)
		split_flush(&ls);
	if (gz)
		gzclose(gz);
	free(chunk);
	free(ls.buf);
	if (st)
		*st = local;
	return err;
}
