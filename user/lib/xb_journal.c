// SPDX-License-Identifier: GPL-2.0
/*
 * The durable record of ban changes (see xb.h). Records of one library call are gathered
 * in memory and written with one write() and one fdatasync() when the call succeeded, so a
 * crash leaves either all of a call's records or none, and a failed call leaves none.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "xb.h"
#include "xb_internal.h"

#define JOURNAL_NAME "bans.journal"

struct xb_journal {
	int fd;
	char *buf;
	size_t len, cap;
	bool failed; /* out of memory while gathering: commit reports it */
};

static int journal_path(char *buf, size_t size, const char *state_dir, const char *suffix)
{
	if (snprintf(buf, size, "%s/%s%s", state_dir, JOURNAL_NAME, suffix) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int xb_journal_open(struct xb_maps *maps, const char *state_dir)
{
	struct xb_journal *j;
	char path[PATH_MAX];
	int err = journal_path(path, sizeof(path), state_dir, "");

	if (err)
		return err;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		err = -errno;
		xb_warn("cannot open the ban journal %s: %s", path, strerror(-err));
		free(j);
		return err;
	}
	xb_journal_close(maps);
	maps->journal = j;
	return 0;
}

void xb_journal_close(struct xb_maps *maps)
{
	struct xb_journal *j = maps->journal;

	if (!j)
		return;
	close(j->fd);
	free(j->buf);
	free(j);
	maps->journal = NULL;
}

static void add_line(struct xb_journal *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_line(struct xb_journal *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!j || j->failed)
		return;
	if (j->cap - j->len < 256) {
		size_t cap = j->cap ? j->cap * 2 : 65536;
		char *p = realloc(j->buf, cap);

		if (!p) {
			j->failed = true;
			return;
		}
		j->buf = p;
		j->cap = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, j->cap - j->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < j->cap - j->len)
		j->len += (size_t)n;
}

void xb_journal_ban(struct xb_journal *j, const struct xb_prefix *p, const struct xb_ban *b)
{
	char text[XB_PREFIX_STRLEN];

	if (!j)
		return;
	xb_prefix_format(p, text, sizeof(text));
	add_line(j, "ban %s %lld %lld %u %llu %llu %s\n", text,
		 b->expires_ns ? (long long)xb_boot_to_unix(b->expires_ns) : 0LL,
		 (long long)xb_boot_to_unix(b->added_ns), b->origin, (unsigned long long)b->packets,
		 (unsigned long long)b->bytes, b->reason);
}

void xb_journal_unban(struct xb_journal *j, const struct xb_prefix *p)
{
	char text[XB_PREFIX_STRLEN];

	if (!j)
		return;
	xb_prefix_format(p, text, sizeof(text));
	add_line(j, "unban %s\n", text);
}

void xb_journal_allow(struct xb_journal *j, const struct xb_prefix *p, bool allowed)
{
	char text[XB_PREFIX_STRLEN];

	if (!j)
		return;
	xb_prefix_format(p, text, sizeof(text));
	add_line(j, "%s %s\n", allowed ? "allow" : "unallow", text);
}

/* One write and one fdatasync for everything a call changed. */
int xb_journal_commit(struct xb_journal *j)
{
	size_t off = 0;
	int err = 0;

	if (!j)
		return 0;
	if (j->failed)
		err = -ENOMEM;
	while (!err && off < j->len) {
		ssize_t n = write(j->fd, j->buf + off, j->len - off);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (!err && j->len && fdatasync(j->fd))
		err = -errno;
	j->len = 0;
	j->failed = false;
	if (err)
		xb_warn("cannot write the ban journal: %s; the maps changed, the record did not",
			strerror(-err));
	return err;
}

void xb_journal_abort(struct xb_journal *j)
{
	if (j) {
		j->len = 0;
		j->failed = false;
	}
}

/* ---- compaction ---- */

/* A rename is durable once the directory is. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int write_all(FILE *f, struct xb_maps *maps)
{
	struct xb_ban_entry *bans = NULL;
	struct xb_allow_entry *allows = NULL;
	size_t nb = 0, na = 0;
	char text[XB_PREFIX_STRLEN];
	int err;

	err = xb_bans_list(maps, &bans, &nb);
	if (!err)
		err = xb_allow_list(maps, &allows, &na);
	for (size_t i = 0; !err && i < nb; i++) {
		const struct xb_ban *b = &bans[i].ban;

		xb_prefix_format(&bans[i].pfx, text, sizeof(text));
		fprintf(f, "ban %s %lld %lld %u %llu %llu %s\n", text,
			b->expires_ns ? (long long)xb_boot_to_unix(b->expires_ns) : 0LL,
			(long long)xb_boot_to_unix(b->added_ns), b->origin,
			(unsigned long long)b->packets, (unsigned long long)b->bytes, b->reason);
	}
	for (size_t i = 0; !err && i < na; i++) {
		xb_prefix_format(&allows[i].pfx, text, sizeof(text));
		fprintf(f, "allow %s\n", text);
	}
	free(bans);
	free(allows);
	return err;
}

int xb_journal_compact(struct xb_maps *maps, const char *state_dir)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int err, lock_fd = -1;
	FILE *f;

	if (journal_path(path, sizeof(path), state_dir, "") ||
	    journal_path(tmp, sizeof(tmp), state_dir, ".tmp"))
		return -ENAMETOOLONG;
	/* banctl appends under this lock: none may write to the file being replaced. */
	if (maps->lock_fd < 0) {
		lock_fd = xb_lock(maps->pin_dir, true);
		if (lock_fd < 0)
			return lock_fd;
	}
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		goto out;
	}
	err = write_all(f, maps);
	if (fflush(f) || fdatasync(fileno(f)))
		err = err ? err : -errno;
	fclose(f);
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err)
		sync_dir(state_dir);
	if (err)
		unlink(tmp);
	/* The old journal is gone: appends must go to the new one. */
	else if (maps->journal)
		err = xb_journal_open(maps, state_dir);
out:
	if (err)
		xb_warn("cannot compact the ban journal in %s: %s", state_dir, strerror(-err));
	if (lock_fd >= 0)
		close(lock_fd);
	return err;
}
