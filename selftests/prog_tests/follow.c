// SPDX-License-Identifier: GPL-2.0
/*
 * Following a log file: appends and partial lines, a file that appears later, rotation by
 * rename and by copytruncate, saved positions across restarts, bad lines, gzip back-fill,
 * and polling without inotify events. Each subtest works in its own temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "test_progs.h"
#include "xb_sources.h"

/* What the callback saw: the lines, each followed by '\n' (long ones as "<long>"). */
struct sink {
	char text[4096];
	size_t len;
	size_t n;
	size_t max_len;
};

struct fixture {
	char dir[64];
	char log[128];
	char state[128];
};

static void on_line(void *ctx, const char *line, size_t len)
{
	struct sink *s = ctx;

	s->n++;
	if (len > s->max_len)
		s->max_len = len;
	if (len > 256) {
		line = "<long>";
		len = strlen(line);
	}
	if (s->len + len + 2 > sizeof(s->text))
		return;
	memcpy(s->text + s->len, line, len);
	s->len += len;
	s->text[s->len++] = '\n';
	s->text[s->len] = '\0';
}

/* One xb_follow_read(): what it handed out, "" for nothing, "<error>" if it failed. */
static const char *take(struct xb_follow *f, struct sink *s)
{
	memset(s, 0, sizeof(*s));
	if (!ASSERT_OK(xb_follow_read(f, on_line, s), "xb_follow_read"))
		return "<error>";
	return s->text;
}

static bool fx_setup(struct fixture *fx)
{
	strcpy(fx->dir, "/tmp/xb_follow.XXXXXX");
	if (!ASSERT_OK_PTR(mkdtemp(fx->dir), "mkdtemp"))
		return false;
	snprintf(fx->log, sizeof(fx->log), "%s/app.log", fx->dir);
	snprintf(fx->state, sizeof(fx->state), "%s/app.pos", fx->dir);
	return true;
}

static void fx_path(const struct fixture *fx, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", fx->dir, name);
}

static void fx_cleanup(struct fixture *fx)
{
	DIR *d = opendir(fx->dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
}

/* Appends, as a logger with O_APPEND does. */
static void put_bytes(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (!ASSERT_GE(fd, 0, "open for append"))
		return;
	ASSERT_EQ(write(fd, data, len), (ssize_t)len, "append");
	close(fd);
}

static void put(const char *path, const char *text)
{
	put_bytes(path, text, strlen(text));
}

static struct xb_follow *follow(const char *path, const char *state, bool from_start)
{
	struct xb_follow_opts opts = { .path = path,
				       .state_file = state,
				       .from_start = from_start };
	struct xb_follow *f = NULL;

	ASSERT_OK(xb_follow_open(&f, &opts), "xb_follow_open");
	return f;
}

static struct xb_follow_stats stats_of(const struct xb_follow *f)
{
	struct xb_follow_stats st;

	memset(&st, 0, sizeof(st));
	xb_follow_stats(f, &st);
	return st;
}

/* Reads and drops every pending inotify event, as if they had been lost. */
static void drop_events(const struct xb_follow *f)
{
	char buf[4096];

	while (read(xb_follow_fd(f), buf, sizeof(buf)) > 0)
		;
}

static bool fd_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

static void test_append(struct fixture *fx)
{
	struct xb_follow *f;
	struct sink s;

	put(fx->log, "before\n");
	f = follow(fx->log, NULL, false);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "", "old lines are not read");
	put(fx->log, "a\nb\n");
	ASSERT_STREQ(take(f, &s), "a\nb\n", "appended lines in order");
	put(fx->log, "c\n");
	ASSERT_STREQ(take(f, &s), "c\n", "then the next one");
	ASSERT_EQ(stats_of(f).lines, 3, "lines");
	ASSERT_EQ(stats_of(f).bytes, 6, "bytes");
	xb_follow_close(f);
}

static void test_partial(struct fixture *fx)
{
	struct xb_follow *f = follow(fx->log, NULL, false);
	struct sink s;

	if (!f)
		return;
	put(fx->log, "par");
	ASSERT_STREQ(take(f, &s), "", "a partial line is kept");
	put(fx->log, "tial\r\nnext");
	ASSERT_STREQ(take(f, &s), "partial\n", "completed, without its \\r");
	put(fx->log, "\n");
	ASSERT_STREQ(take(f, &s), "next\n", "the next one completed");
	ASSERT_EQ(stats_of(f).lines, 2, "lines");
	xb_follow_close(f);
}

static void test_created_later(struct fixture *fx)
{
	struct xb_follow *f = follow(fx->log, NULL, false);
	struct sink s;

	if (!f)
		return;
	ASSERT_TRUE(fcntl(xb_follow_fd(f), F_GETFL) & O_NONBLOCK, "fd non-blocking");
	ASSERT_TRUE(fcntl(xb_follow_fd(f), F_GETFD) & FD_CLOEXEC, "fd close-on-exec");
	ASSERT_STREQ(take(f, &s), "", "nothing yet");
	put(fx->log, "x\ny\n");
	ASSERT_TRUE(fd_readable(xb_follow_fd(f), 2000), "creation wakes the fd");
	ASSERT_STREQ(take(f, &s), "x\ny\n", "a new file is read from its start");
	ASSERT_FALSE(fd_readable(xb_follow_fd(f), 0), "events drained");
	put(fx->log, "z\n");
	ASSERT_TRUE(fd_readable(xb_follow_fd(f), 2000), "an append wakes the fd");
	ASSERT_STREQ(take(f, &s), "z\n", "then followed");
	ASSERT_EQ(stats_of(f).rotations, 0, "appearing is no rotation");
	xb_follow_close(f);
}

/* Not even its directory exists yet: found by the reads alone once both appear. */
static void test_dir_created_later(struct fixture *fx)
{
	char sub[160], log[192];
	struct xb_follow *f;
	struct sink s;

	fx_path(fx, "sub", sub, sizeof(sub));
	snprintf(log, sizeof(log), "%s/app.log", sub);
	f = follow(log, NULL, false);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "", "nothing yet");
	if (ASSERT_OK(mkdir(sub, 0755), "mkdir")) {
		put(log, "x\n");
		ASSERT_STREQ(take(f, &s), "x\n", "read from its start");
		put(log, "y\n");
		ASSERT_STREQ(take(f, &s), "y\n", "then followed");
		unlink(log);
		rmdir(sub);
	}
	xb_follow_close(f);
}

/*
 * A logger that keeps its fd across the rename until told to reopen, as syslog does under
 * logrotate: rename, create, and only then the signal.
 */
static void test_rename(struct fixture *fx)
{
	int w = open(fx->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct xb_follow *f = follow(fx->log, NULL, true);
	char old[160];
	struct sink s;

	fx_path(fx, "app.log.1", old, sizeof(old));
	if (!ASSERT_GE(w, 0, "writer") || !f)
		goto out;
	ASSERT_EQ(write(w, "a\n", 2), 2, "write a");
	ASSERT_STREQ(take(f, &s), "a\n", "before rotation");
	ASSERT_OK(rename(fx->log, old), "rename");
	ASSERT_EQ(write(w, "b\n", 2), 2, "write b to the renamed file");
	ASSERT_STREQ(take(f, &s), "b\n", "the renamed file is still read");
	ASSERT_EQ(write(w, "c\n", 2), 2, "write c to the renamed file");
	put(fx->log, "d\n");
	ASSERT_STREQ(take(f, &s), "c\nd\n", "old file to its end, then the new one");
	ASSERT_EQ(write(w, "late\n", 5), 5, "write to the old file before the reopen");
	ASSERT_STREQ(take(f, &s), "late\n", "the old file is still read after the switch");
	ASSERT_EQ(stats_of(f).rotations, 1, "rotations");
	/* Again, without a read between the rename and the new file. */
	close(w);
	w = open(fx->log, O_WRONLY | O_APPEND | O_CLOEXEC);
	ASSERT_OK(rename(fx->log, old), "rename again");
	ASSERT_EQ(write(w, "e\n", 2), 2, "write e to the renamed file");
	ASSERT_EQ(write(w, "f", 1), 1, "and a partial line");
	put(fx->log, "g\n");
	ASSERT_STREQ(take(f, &s), "e\ng\n", "nothing lost, nothing doubled");
	ASSERT_EQ(write(w, "!\n", 2), 2, "complete the partial line");
	ASSERT_STREQ(take(f, &s), "f!\n", "completed in the rotated file");
	ASSERT_EQ(stats_of(f).rotations, 2, "rotations");
	ASSERT_EQ(stats_of(f).lines, 8, "lines");
out:
	if (w >= 0)
		close(w);
	xb_follow_close(f);
}

static void test_copytruncate(struct fixture *fx)
{
	struct xb_follow *f;
	struct sink s;

	put(fx->log, "a\nb\n");
	f = follow(fx->log, NULL, true);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "a\nb\n", "before truncation");
	ASSERT_OK(truncate(fx->log, 0), "truncate");
	put(fx->log, "c\n");
	ASSERT_STREQ(take(f, &s), "c\n", "shorter than our offset: from its start");
	ASSERT_EQ(stats_of(f).rotations, 1, "rotations");
	ASSERT_OK(truncate(fx->log, 0), "truncate again");
	put(fx->log, "a much longer first line\nd\n");
	ASSERT_STREQ(take(f, &s), "a much longer first line\nd\n",
		     "refilled past our offset: the first line tells");
	ASSERT_EQ(stats_of(f).rotations, 2, "rotations");
	put(fx->log, "e\n");
	ASSERT_STREQ(take(f, &s), "e\n", "then followed");
	xb_follow_close(f);
}

static void check_state_file(const struct fixture *fx, unsigned long long want_off)
{
	unsigned long long ino, off, hash;
	struct stat st;
	FILE *fp = fopen(fx->state, "r");

	if (!ASSERT_OK_PTR(fp, "state file"))
		return;
	ASSERT_EQ(fscanf(fp, "%llu %llu %llx", &ino, &off, &hash), 3, "inode offset hash");
	fclose(fp);
	if (ASSERT_OK(stat(fx->log, &st), "stat log"))
		ASSERT_EQ(ino, st.st_ino, "state inode");
	ASSERT_EQ(off, want_off, "state offset: after the last complete line");
}

static void test_state_resume(struct fixture *fx)
{
	struct xb_follow *f;
	struct sink s;

	put(fx->log, "a\nb\n");
	f = follow(fx->log, fx->state, true);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "a\nb\n", "first run");
	put(fx->log, "par");
	ASSERT_STREQ(take(f, &s), "", "partial");
	ASSERT_OK(xb_follow_save(f), "save");
	check_state_file(fx, 4);
	xb_follow_close(f);
	put(fx->log, "tial\nc\n");
	f = follow(fx->log, fx->state, false);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "partial\nc\n", "continues after the last line");
	ASSERT_OK(xb_follow_save(f), "save again");
	xb_follow_close(f);
	f = follow(fx->log, fx->state, true);
	if (f)
		ASSERT_STREQ(take(f, &s), "", "nothing repeated");
	xb_follow_close(f);
}

/* Close, change the log, reopen: what the next read hands out. */
static const char *reopen(struct xb_follow **f, const struct fixture *fx, struct sink *s)
{
	ASSERT_OK(xb_follow_save(*f), "save");
	xb_follow_close(*f);
	*f = follow(fx->log, fx->state, false);
	return *f ? take(*f, s) : "<open failed>";
}

static void test_state_rotation(struct fixture *fx)
{
	struct xb_follow *f;
	char old[160];
	struct sink s;

	fx_path(fx, "app.log.1", old, sizeof(old));
	put(fx->log, "a\n");
	f = follow(fx->log, fx->state, true);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "a\n", "first file");
	ASSERT_OK(rename(fx->log, old), "rename");
	put(fx->log, "b\n");
	ASSERT_STREQ(take(f, &s), "b\n", "rotated");
	put(fx->log, "c\n");
	ASSERT_STREQ(reopen(&f, fx, &s), "c\n", "restart after a rotation");
	/* Rotated while stopped: the rest of the old file, then the new one. */
	ASSERT_OK(xb_follow_save(f), "save");
	xb_follow_close(f);
	put(fx->log, "d\n");
	ASSERT_OK(rename(fx->log, old), "rename while stopped");
	put(fx->log, "e\n");
	f = follow(fx->log, fx->state, false);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "d\ne\n", "rotated while stopped");
	ASSERT_EQ(stats_of(f).rotations, 1, "rotations");
	ASSERT_STREQ(reopen(&f, fx, &s), "", "nothing repeated");
	xb_follow_close(f);
}

static void test_state_replaced(struct fixture *fx)
{
	struct xb_follow *f;
	char tmp[160];
	struct sink s;

	put(fx->log, "a\nb\n");
	f = follow(fx->log, fx->state, true);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "a\nb\n", "first run");
	ASSERT_OK(xb_follow_save(f), "save");
	xb_follow_close(f);
	/* Same inode, longer than the saved offset, another first line. */
	ASSERT_OK(truncate(fx->log, 0), "truncate");
	put(fx->log, "x\ny\nz\n");
	f = follow(fx->log, fx->state, false);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "x\ny\nz\n", "rewritten in place: from its start");
	/* Another inode. */
	fx_path(fx, "new", tmp, sizeof(tmp));
	put(tmp, "p\nq\n");
	ASSERT_OK(xb_follow_save(f), "save");
	xb_follow_close(f);
	ASSERT_OK(rename(tmp, fx->log), "replace");
	f = follow(fx->log, fx->state, false);
	if (f)
		ASSERT_STREQ(take(f, &s), "p\nq\n", "replaced: from its start");
	xb_follow_close(f);
}

/* A state file that makes no sense counts as none: from the end, here. */
static void test_state_corrupt(struct fixture *fx)
{
	struct xb_follow *f;
	struct sink s;

	put(fx->log, "a\n");
	put(fx->state, "not a position\n");
	f = follow(fx->log, fx->state, false);
	if (!f)
		return;
	ASSERT_STREQ(take(f, &s), "", "from the end");
	put(fx->log, "b\n");
	ASSERT_STREQ(take(f, &s), "b\n", "then followed");
	xb_follow_close(f);
}

/* Two followers of one file at once, one from its start and one from its end. */
static void test_from_start(struct fixture *fx)
{
	struct xb_follow *tail, *head;
	struct sink s;

	put(fx->log, "a\nb\npart");
	tail = follow(fx->log, NULL, false);
	head = follow(fx->log, NULL, true);
	if (!tail || !head)
		goto out;
	ASSERT_STREQ(take(tail, &s), "", "from the end");
	ASSERT_STREQ(take(head, &s), "a\nb\n", "from the start");
	put(fx->log, "ial\n");
	ASSERT_STREQ(take(tail, &s), "partial\n", "the end is after the last complete line");
	ASSERT_STREQ(take(head, &s), "partial\n", "the other follower too");
out:
	xb_follow_close(tail);
	xb_follow_close(head);
}

static void put_fill(const char *path, char c, size_t n)
{
	char *buf = calloc(1, n);

	if (!ASSERT_OK_PTR(buf, "malloc"))
		return;
	memset(buf, c, n);
	put_bytes(path, buf, n);
	free(buf);
}

static void test_long_line(struct fixture *fx)
{
	struct xb_follow *f = follow(fx->log, NULL, true);
	struct sink s;

	if (!f)
		return;
	put(fx->log, "short\n");
	put_fill(fx->log, 'x', 40 * 1024);
	ASSERT_STREQ(take(f, &s), "short\n", "before the long line");
	put_fill(fx->log, 'x', 30 * 1024);
	put(fx->log, "\nnext\n");
	ASSERT_STREQ(take(f, &s), "next\n", "70 KiB skipped, the next line read");
	ASSERT_EQ(stats_of(f).skipped_long, 1, "skipped_long");
	put_fill(fx->log, 'y', XB_LINE_MAX);
	put(fx->log, "\r\n");
	ASSERT_STREQ(take(f, &s), "<long>\n", "XB_LINE_MAX itself is allowed");
	ASSERT_EQ(s.max_len, XB_LINE_MAX, "its length");
	put_fill(fx->log, 'z', XB_LINE_MAX + 1);
	put(fx->log, "\nlast\n");
	ASSERT_STREQ(take(f, &s), "last\n", "one byte more is not");
	ASSERT_EQ(stats_of(f).skipped_long, 2, "skipped_long");
	xb_follow_close(f);
}

static const char bad_lines[] = "ok1\n"
				"a\0b\n" /* NUL */
				"bad\xff\n" /* never in UTF-8 */
				"\xc3\x28\n" /* cut sequence */
				"\xc0\xaf\n" /* overlong '/' */
				"\xed\xa0\x80\n" /* surrogate */
				"caf\xc3\xa9 \xf0\x9f\x99\x82\n" /* good 2- and 4-byte */
				"ok2\n";

static void test_binary(struct fixture *fx)
{
	struct xb_follow *f = follow(fx->log, NULL, true);
	struct sink s;

	if (!f)
		return;
	put_bytes(fx->log, bad_lines, sizeof(bad_lines) - 1);
	ASSERT_STREQ(take(f, &s), "ok1\ncaf\xc3\xa9 \xf0\x9f\x99\x82\nok2\n", "text lines");
	ASSERT_EQ(stats_of(f).skipped_binary, 5, "skipped_binary");
	ASSERT_EQ(stats_of(f).lines, 3, "lines");
	xb_follow_close(f);
}

static bool write_gz(const char *path, const char *data, size_t len)
{
	gzFile gz = gzopen(path, "wb");
	bool ok;

	if (!ASSERT_OK_PTR(gz, "gzopen"))
		return false;
	ok = ASSERT_EQ(gzwrite(gz, data, len), (int)len, "gzwrite");
	return ASSERT_EQ(gzclose(gz), Z_OK, "gzclose") && ok;
}

static void check_whole(const char *path, const char *what)
{
	struct xb_follow_stats st;
	struct sink s;

	memset(&s, 0, sizeof(s));
	if (!ASSERT_OK(xb_read_file_lines(path, on_line, &s, &st), what))
		return;
	ASSERT_STREQ(s.text, "g1\ng2\ng3\n", what);
	ASSERT_EQ(st.lines, 3, "lines");
	ASSERT_EQ(st.skipped_binary, 1, "skipped_binary");
}

static void test_gzip(struct fixture *fx)
{
	static const char text[] = "g1\ng2\r\n\xff\ng3";
	char gz[160], plain[160];
	struct sink s;

	fx_path(fx, "app.log.2.gz", gz, sizeof(gz));
	fx_path(fx, "app.log.1", plain, sizeof(plain));
	memset(&s, 0, sizeof(s));
	if (!write_gz(gz, text, sizeof(text) - 1))
		return;
	check_whole(gz, "gzip");
	put(plain, text);
	check_whole(plain, "plain");
	ASSERT_EQ(xb_read_file_lines(fx->log, on_line, &s, NULL), -ENOENT, "missing");
}

/* A gzip file cut short (still being written): what came before, and an error. */
static void test_gzip_truncated(struct fixture *fx)
{
	const size_t size = 64 * 1024;
	char gz[160], *buf = calloc(1, size);
	size_t len = 0;
	struct stat st;
	struct sink s;

	fx_path(fx, "app.log.2.gz", gz, sizeof(gz));
	if (!ASSERT_OK_PTR(buf, "malloc"))
		return;
	for (unsigned int i = 0; len + 32 < size; i++)
		len += snprintf(buf + len, size - len, "line %u %x\n", i, i * 2654435761u);
	if (write_gz(gz, buf, len) && ASSERT_OK(stat(gz, &st), "stat")) {
		ASSERT_OK(truncate(gz, st.st_size / 2), "truncate");
		memset(&s, 0, sizeof(s));
		ASSERT_LT(xb_read_file_lines(gz, on_line, &s, NULL), 0, "cut short");
		ASSERT_GT(s.n, 0, "lines before the cut");
	}
	free(buf);
}

/* Every event dropped before each read: the reads alone find everything. */
static void test_polling(struct fixture *fx)
{
	struct xb_follow *f = follow(fx->log, NULL, true);
	char old[160];
	struct sink s;

	fx_path(fx, "app.log.1", old, sizeof(old));
	if (!f)
		return;
	put(fx->log, "a\n");
	drop_events(f);
	ASSERT_STREQ(take(f, &s), "a\n", "appeared");
	put(fx->log, "b\n");
	drop_events(f);
	ASSERT_STREQ(take(f, &s), "b\n", "appended");
	put(fx->log, "c\n");
	ASSERT_OK(rename(fx->log, old), "rename");
	put(old, "d\n");
	put(fx->log, "e\n");
	drop_events(f);
	ASSERT_STREQ(take(f, &s), "c\nd\ne\n", "rotated");
	ASSERT_OK(truncate(fx->log, 0), "truncate");
	put(fx->log, "f\n");
	drop_events(f);
	ASSERT_STREQ(take(f, &s), "f\n", "truncated");
	ASSERT_EQ(stats_of(f).rotations, 2, "rotations");
	xb_follow_close(f);
}

struct follow_case {
	const char *name;
	void (*fn)(struct fixture *fx);
};

static const struct follow_case follow_cases[] = {
	{ "append", test_append },
	{ "partial_line", test_partial },
	{ "created_later", test_created_later },
	{ "dir_created_later", test_dir_created_later },
	{ "rename_rotation", test_rename },
	{ "copytruncate", test_copytruncate },
	{ "state_resume", test_state_resume },
	{ "state_rotation", test_state_rotation },
	{ "state_replaced", test_state_replaced },
	{ "state_corrupt", test_state_corrupt },
	{ "from_start", test_from_start },
	{ "long_line", test_long_line },
	{ "binary", test_binary },
	{ "gzip", test_gzip },
	{ "gzip_truncated", test_gzip_truncated },
	{ "polling", test_polling },
};

void test_follow(void)
{
	for (size_t i = 0; i < sizeof(follow_cases) / sizeof(follow_cases[0]); i++) {
		struct fixture fx;

		if (!test__start_subtest(follow_cases[i].name))
			continue;
		if (!fx_setup(&fx))
			continue;
		follow_cases[i].fn(&fx);
		fx_cleanup(&fx);
	}
}
