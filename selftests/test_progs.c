// SPDX-License-Identifier: GPL-2.0
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create() */
#endif
/*
 * test_progs: runs every test_<name>() that gen_tests_h.sh found in prog_tests/, one after
 * the other in this process. Each test's stdout and stderr (its children's too) go to a
 * memory file and are shown only when it fails or under -v. Results are counted per subtest
 * (a test without subtests counts once) and the last line is "N passed, N failed[, N skipped]".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test_progs.h"

struct prog_test {
	const char *name;
	void (*fn)(void);
};

#define DEFINE_TEST(name) void test_##name(void);
#include "tests.h"
#undef DEFINE_TEST

static const struct prog_test prog_tests[] = {
#define DEFINE_TEST(name) { #name, test_##name },
#include "tests.h"
#undef DEFINE_TEST
	{ NULL, NULL },
};

/* One -t or -n entry: a test (by name part or number) and optionally a subtest. */
struct filter {
	const char *test; /* substring of the test name, or NULL for a number */
	const char *sub; /* substring of the subtest name, or NULL for all */
	int num; /* with test == NULL */
	int sub_num; /* 0 for all */
};

/* The test being run, from its start to its report. */
struct test_state {
	const struct prog_test *test;
	int num;
	int sub_num; /* subtests started so far, selected or not */
	char *sub_name; /* the running subtest, NULL outside one */
	bool sub_failed, sub_skipped;
	char *sub_reason;
	bool failed, skipped; /* outside subtests */
	char *reason;
	int sub_run, sub_fail_cnt, sub_skip_cnt;
	char *log; /* output outside subtests so far */
	size_t log_len;
};

static struct {
	struct filter *filters;
	int filter_cnt;
	bool verbose, list, ci;
	int out_fd, err_fd; /* the real stdout and stderr */
	FILE *out;
	int log_fd;
	struct test_state *volatile cur;
	int passed, failed, skipped;
	struct sigaction old_act[NSIG];
} env = { .out_fd = -1, .err_fd = -1, .log_fd = -1 };

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

/* ---- selection ---- */

static bool filter_test_match(const struct filter *f, const char *name, int num)
{
	return f->test ? strstr(name, f->test) != NULL : f->num == num;
}

static bool should_run_test(const char *name, int num)
{
	if (!env.filter_cnt)
		return true;
	for (int i = 0; i < env.filter_cnt; i++)
		if (filter_test_match(&env.filters[i], name, num))
			return true;
	return false;
}

static bool filter_sub_match(const struct filter *f, const char *sub, int sub_num)
{
	if (f->test)
		return !f->sub || strstr(sub, f->sub);
	return !f->sub_num || f->sub_num == sub_num;
}

static bool should_run_subtest(const struct test_state *st, const char *sub)
{
	if (!env.filter_cnt)
		return true;
	for (int i = 0; i < env.filter_cnt; i++) {
		const struct filter *f = &env.filters[i];

		if (filter_test_match(f, st->test->name, st->num) &&
		    filter_sub_match(f, sub, st->sub_num))
			return true;
	}
	return false;
}

/* ---- captured output ---- */

static void log_reset(void)
{
	if (ftruncate(env.log_fd, 0))
		fprintf(env.out, "test_progs: cannot truncate the log: %s\n", strerror(errno));
}

/* Everything written since the last call, NUL-terminated (free() it), and an empty log. */
static char *log_take(size_t *len)
{
	struct stat sb;
	char *buf;
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	*len = 0;
	if (fstat(env.log_fd, &sb) || !(buf = malloc((size_t)sb.st_size + 1)))
		return NULL;
	while (*len < (size_t)sb.st_size) {
		n = pread(env.log_fd, buf + *len, (size_t)sb.st_size - *len, (off_t)*len);
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	buf[*len] = '\0';
	log_reset();
	return buf;
}

static void log_print(const char *text, size_t len)
{
	if (!len)
		return;
	fwrite(text, 1, len, env.out);
	if (text[len - 1] != '\n')
		fputc('\n', env.out);
}

/* Moves the pending output into the test's own (outside-subtest) log. */
static void log_keep(struct test_state *st)
{
	size_t len;
	char *text = log_take(&len), *log;

	if (!text || !len)
		goto out;
	log = realloc(st->log, st->log_len + len + 1);
	if (!log)
		goto out;
	memcpy(log + st->log_len, text, len + 1);
	st->log = log;
	st->log_len += len;
out:
	free(text);
}

static int capture_start(void)
{
	fflush(stdout);
	fflush(stderr);
	log_reset();
	if (dup2(env.log_fd, STDOUT_FILENO) < 0 || dup2(env.log_fd, STDERR_FILENO) < 0)
		return -errno;
	return 0;
}

static void capture_stop(void)
{
	fflush(stdout);
	fflush(stderr);
	dup2(env.out_fd, STDOUT_FILENO);
	dup2(env.err_fd, STDERR_FILENO);
}

/* ---- results ---- */

static const char *result_name(bool failed, bool skipped)
{
	return failed ? "FAIL" : skipped ? "SKIP" : "OK";
}

static void print_result(const char *prefix, bool failed, bool skipped, const char *reason)
{
	fprintf(env.out, "%s:%s", prefix, result_name(failed, skipped));
	if (!failed && skipped && reason)
		fprintf(env.out, " (%s)", reason);
	fputc('\n', env.out);
	fflush(env.out);
}

static void subtest_end(struct test_state *st)
{
	size_t len;
	char *text, prefix[512];

	if (!st->sub_name)
		return;
	text = log_take(&len);
	if (text && (st->sub_failed || env.verbose))
		log_print(text, len);
	free(text);
	snprintf(prefix, sizeof(prefix), "#%d/%d %s/%s", st->num, st->sub_num, st->test->name,
		 st->sub_name);
	print_result(prefix, st->sub_failed, st->sub_skipped, st->sub_reason);
	st->sub_run++;
	if (st->sub_failed) {
		env.failed++;
		st->sub_fail_cnt++;
	} else if (st->sub_skipped) {
		env.skipped++;
		st->sub_skip_cnt++;
	} else {
		env.passed++;
	}
	free(st->sub_name);
	free(st->sub_reason);
	st->sub_name = st->sub_reason = NULL;
	st->sub_failed = st->sub_skipped = false;
}

/* The test's own line, and its count unless it only had subtests (counted already). */
static void test_report(struct test_state *st)
{
	bool failed = st->failed || st->sub_fail_cnt;
	bool skipped = st->skipped || (st->sub_run && st->sub_skip_cnt == st->sub_run);
	char prefix[512];

	if (!st->sub_run && st->sub_num && !st->failed && !st->skipped)
		return; /* every subtest filtered out */
	if (failed || env.verbose)
		log_print(st->log, st->log_len);
	snprintf(prefix, sizeof(prefix), "#%d %s", st->num, st->test->name);
	print_result(prefix, failed, skipped, st->reason);
	if (st->failed)
		env.failed++;
	else if (st->skipped)
		env.skipped++;
	else if (!st->sub_run)
		env.passed++;
}

static void run_test(const struct prog_test *t, int num)
{
	struct test_state st = { .test = t, .num = num };

	if (capture_start()) {
		fprintf(env.out, "#%d %s:FAIL (cannot capture output: %s)\n", num, t->name,
			strerror(errno));
		env.failed++;
		return;
	}
	env.cur = &st;
	t->fn();
	subtest_end(&st);
	log_keep(&st);
	env.cur = NULL;
	capture_stop();
	test_report(&st);
	free(st.log);
	free(st.reason);
}

/* ---- the API for tests ---- */

bool test__start_subtest(const char *name)
{
	struct test_state *st = env.cur;

	if (!st)
		return false;
	if (st->sub_name)
		subtest_end(st);
	else
		log_keep(st);
	st->sub_num++;
	if (!name || !*name) {
		printf("%s:FAIL:subtest #%d has no name\n", st->test->name, st->sub_num);
		st->failed = true;
		return false;
	}
	if (!should_run_subtest(st, name))
		return false;
	st->sub_name = strdup(name);
	if (!st->sub_name) {
		st->failed = true;
		return false;
	}
	return true;
}

void test__fail(void)
{
	struct test_state *st = env.cur;

	if (!st)
		return;
	if (st->sub_name)
		st->sub_failed = true;
	else
		st->failed = true;
}

void test__skip(const char *reason)
{
	struct test_state *st = env.cur;
	char **slot;

	if (!st)
		return;
	if (!reason)
		reason = "no reason given";
	if (env.ci) {
		printf("%s%s%s:FAIL:cannot skip in CI: %s\n", st->test->name,
		       st->sub_name ? "/" : "", st->sub_name ? st->sub_name : "", reason);
		test__fail();
		return;
	}
	if (st->sub_name) {
		st->sub_skipped = true;
		slot = &st->sub_reason;
	} else {
		st->skipped = true;
		slot = &st->reason;
	}
	if (!*slot)
		*slot = strdup(reason);
}

bool test__require_root(void)
{
	if (geteuid() == 0)
		return true;
	test__skip("needs root (CAP_BPF, CAP_NET_ADMIN)");
	return false;
}

bool test__verbose(void)
{
	return env.verbose;
}

/* ---- assertions ---- */

static int cmp_num(bool a_signed, unsigned long long a, bool b_signed, unsigned long long b)
{
	bool a_neg = a_signed && (long long)a < 0, b_neg = b_signed && (long long)b < 0;

	if (a_neg != b_neg)
		return a_neg ? -1 : 1;
	return a < b ? -1 : a > b;
}

static void fmt_num(char *buf, size_t size, bool is_signed, unsigned long long v)
{
	if (is_signed && (long long)v < 0)
		snprintf(buf, size, "%lld", (long long)v);
	else if (v > 255)
		snprintf(buf, size, "%llu (0x%llx)", v, v);
	else
		snprintf(buf, size, "%llu", v);
}

bool test__assert_cmp(const char *func, const char *name, enum test__cmp_op op, bool a_signed,
		      unsigned long long a, bool b_signed, unsigned long long b)
{
	/* The operator that does hold when op does not. */
	static const char *const failed_op[] = {
		[TEST__EQ] = "!=", [TEST__NEQ] = "==", [TEST__GE] = "<",
		[TEST__LE] = ">",  [TEST__GT] = "<=",  [TEST__LT] = ">=",
	};
	int c = cmp_num(a_signed, a, b_signed, b);
	char act[48], exp[48];
	bool ok;

	switch (op) {
	case TEST__EQ:
		ok = c == 0;
		break;
	case TEST__NEQ:
		ok = c != 0;
		break;
	case TEST__GE:
		ok = c >= 0;
		break;
	case TEST__LE:
		ok = c <= 0;
		break;
	case TEST__GT:
		ok = c > 0;
		break;
	default:
		ok = c < 0;
		break;
	}
	if (ok)
		return true;
	fmt_num(act, sizeof(act), a_signed, a);
	fmt_num(exp, sizeof(exp), b_signed, b);
	printf("%s:FAIL:%s actual %s %s expected %s\n", func, name, act, failed_op[op], exp);
	test__fail();
	return false;
}

bool test__assert_ok(const char *func, const char *name, long long res, int err)
{
	if (res == 0)
		return true;
	if (res > 0)
		printf("%s:FAIL:%s unexpected result %lld, expected 0\n", func, name, res);
	else if (res >= -4095)
		printf("%s:FAIL:%s unexpected error %lld (%s)", func, name, res,
		       strerror((int)-res));
	else
		printf("%s:FAIL:%s unexpected error %lld", func, name, res);
	if (res < 0 && err)
		printf(", errno %d (%s)\n", err, strerror(err));
	else if (res < 0)
		printf("\n");
	test__fail();
	return false;
}

bool test__assert_err(const char *func, const char *name, long long res)
{
	if (res < 0)
		return true;
	printf("%s:FAIL:%s unexpected success: %lld, expected an error\n", func, name, res);
	test__fail();
	return false;
}

bool test__assert_ptr(const char *func, const char *name, const void *ptr, bool want_null, int err)
{
	if (!ptr == want_null)
		return true;
	if (want_null)
		printf("%s:FAIL:%s unexpected pointer %p, expected NULL\n", func, name, ptr);
	else if (err)
		printf("%s:FAIL:%s unexpected NULL, errno %d (%s)\n", func, name, err,
		       strerror(err));
	else
		printf("%s:FAIL:%s unexpected NULL\n", func, name);
	test__fail();
	return false;
}

bool test__assert_bool(const char *func, const char *name, bool cond, bool want)
{
	if (cond == want)
		return true;
	printf("%s:FAIL:%s got %s, expected %s\n", func, name, cond ? "true" : "false",
	       want ? "true" : "false");
	test__fail();
	return false;
}

bool test__assert_streq(const char *func, const char *name, const char *actual,
			const char *expected)
{
	size_t i = 0;

	if (actual && expected && !strcmp(actual, expected))
		return true;
	if (!actual && !expected)
		return true;
	if (!actual || !expected) {
		printf("%s:FAIL:%s actual %s%s%s != expected %s%s%s\n", func, name,
		       actual ? "'" : "", actual ? actual : "NULL", actual ? "'" : "",
		       expected ? "'" : "", expected ? expected : "NULL", expected ? "'" : "");
	} else {
		while (actual[i] == expected[i])
			i++;
		printf("%s:FAIL:%s actual '%s' != expected '%s' (first difference at byte %zu)\n",
		       func, name, actual, expected, i);
	}
	test__fail();
	return false;
}

bool test__assert_substr(const char *func, const char *name, const char *haystack,
			 const char *needle)
{
	if (haystack && needle && strstr(haystack, needle))
		return true;
	printf("%s:FAIL:%s '%s' does not contain '%s'\n", func, name,
	       haystack ? haystack : "(NULL)", needle ? needle : "(NULL)");
	test__fail();
	return false;
}

static void hexdump_row(const char *label, const unsigned char *p, size_t from, size_t to)
{
	printf("  %-8s %04zx:", label, from);
	for (size_t i = from; i < to; i++)
		printf(" %02x", p[i]);
	printf("\n");
}

bool test__assert_memeq(const char *func, const char *name, const void *actual,
			const void *expected, size_t len)
{
	const unsigned char *a = actual, *e = expected;
	size_t i = 0, from, to;

	if (!a || !e) {
		printf("%s:FAIL:%s NULL buffer\n", func, name);
		test__fail();
		return false;
	}
	while (i < len && a[i] == e[i])
		i++;
	if (i == len)
		return true;
	from = i & ~(size_t)15;
	to = from + 16 < len ? from + 16 : len;
	printf("%s:FAIL:%s first difference at offset %zu of %zu: actual 0x%02x != expected "
	       "0x%02x\n",
	       func, name, i, len, a[i], e[i]);
	hexdump_row("actual", a, from, to);
	hexdump_row("expected", e, from, to);
	test__fail();
	return false;
}

/* ---- dying inside a test ---- */

/* Only write(2) from here on: these run in signal handlers and sanitizer death callbacks. */
static char raw_last = '\n';

static void raw_write(const char *s, size_t len)
{
	ssize_t n;

	if (len)
		raw_last = s[len - 1];
	while (len) {
		n = write(env.out_fd, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void raw_str(const char *s)
{
	raw_write(s, strlen(s));
}

static void raw_num(int v)
{
	char buf[16];
	int i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	raw_write(buf + i, sizeof(buf) - (size_t)i);
}

static void raw_log_copy(void)
{
	char buf[4096];
	off_t off = 0;
	ssize_t n;

	while ((n = pread(env.log_fd, buf, sizeof(buf), off)) > 0) {
		raw_write(buf, (size_t)n);
		off += n;
	}
}

/* Shows the dying test's output, its FAIL line and the summary counting it, then returns. */
static void crash_report(const char *why)
{
	struct test_state *st = env.cur;

	if (!st)
		return;
	env.cur = NULL;
	dup2(env.out_fd, STDOUT_FILENO);
	dup2(env.err_fd, STDERR_FILENO);
	if (st->log)
		raw_write(st->log, st->log_len);
	raw_log_copy();
	if (raw_last != '\n')
		raw_str("\n");
	raw_str("#");
	raw_num(st->num);
	raw_str(" ");
	raw_str(st->test->name);
	if (st->sub_name) {
		raw_str("/");
		raw_str(st->sub_name);
	}
	raw_str(":FAIL (");
	raw_str(why);
	raw_str(")\n");
	raw_num(env.passed);
	raw_str(" passed, ");
	raw_num(env.failed + 1);
	raw_str(" failed");
	if (env.skipped) {
		raw_str(", ");
		raw_num(env.skipped);
		raw_str(" skipped");
	}
	raw_str("\n");
}

static void crash_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	crash_report(sig == SIGABRT ? "aborted" : "crashed by a signal");
	/* Hand the signal to whoever had it before (default, or a sanitizer). */
	sigaction(sig, &env.old_act[sig], NULL);
	if (info->si_code <= 0)
		raise(sig);
}

static void crash_sanitizer(void)
{
	crash_report("sanitizer error");
}

static void crash_exit(void)
{
	crash_report("exit() inside the test");
}

void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
const char *__ubsan_default_options(void);

/*
 * Read by UBSan at start-up (UBSAN_OPTIONS still wins): make undefined behaviour fatal even
 * in a build with recoverable checks, so the report is shown, not kept in a passing log.
 */
__attribute__((used)) const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:abort_on_error=1:print_stacktrace=1";
}

static void crash_handlers_install(void)
{
	struct sigaction sa = { .sa_sigaction = crash_signal, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		sigaction(crash_signals[i], &sa, &env.old_act[crash_signals[i]]);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(crash_sanitizer);
	atexit(crash_exit);
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f, "Usage: test_progs [-v] [-l] [-t NAME[/SUB]]... [-n NUM[/NUM]]...\n"
		   "  -t NAME[/SUB]  run tests whose name contains NAME (and subtests whose name\n"
		   "                 contains SUB); comma-separated lists, repeatable\n"
		   "  -n NUM[/NUM]   run test number NUM (and its subtest NUM); lists, repeatable\n"
		   "  -v             show every test's output, not only a failing one's\n"
		   "  -l             list the selected tests and exit\n"
		   "  CI=true        a skip counts as a failure\n");
}

static int parse_num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 1000000)
		return -1;
	return (int)v;
}

/* Adds the entries of one comma-separated -t (by_num false) or -n argument. */
static int add_filters(char *arg, bool by_num)
{
	for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct filter *f, *grown;
		char *slash = strchr(tok, '/');

		grown = realloc(env.filters, (size_t)(env.filter_cnt + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		env.filters = grown;
		f = &env.filters[env.filter_cnt++];
		memset(f, 0, sizeof(*f));
		if (slash)
			*slash++ = '\0';
		if (!by_num) {
			f->test = tok;
			f->sub = slash && *slash ? slash : NULL;
			continue;
		}
		f->num = parse_num(tok);
		f->sub_num = slash && *slash ? parse_num(slash) : 0;
		if (f->num < 0 || f->sub_num < 0)
			return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "t:n:vlh")) != -1) {
		switch (opt) {
		case 't':
		case 'n':
			if (add_filters(optarg, opt == 'n'))
				return -EINVAL;
			break;
		case 'v':
			env.verbose = true;
			break;
		case 'l':
			env.list = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	return optind < argc ? -EINVAL : 0;
}

static bool ci_env(void)
{
	const char *ci = getenv("CI");

	return ci && (!strcasecmp(ci, "true") || !strcmp(ci, "1") || !strcasecmp(ci, "yes"));
}

/* The real stdout/stderr kept aside, and the memory file tests write into instead. */
static int setup_output(void)
{
	env.out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	env.err_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (env.out_fd < 0 || env.err_fd < 0)
		return -errno;
	env.out = fdopen(env.out_fd, "w");
	if (!env.out)
		return -errno;
	setvbuf(env.out, NULL, _IOLBF, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	env.log_fd = memfd_create("test_progs_log", MFD_CLOEXEC);
	if (env.log_fd < 0) {
		FILE *tmp = tmpfile();

		if (!tmp)
			return -errno;
		env.log_fd = fcntl(fileno(tmp), F_DUPFD_CLOEXEC, 3);
		fclose(tmp);
		if (env.log_fd < 0)
			return -errno;
	}
	return fcntl(env.log_fd, F_SETFL, O_APPEND) ? -errno : 0;
}

int main(int argc, char **argv)
{
	int selected = 0, err;

	if (parse_args(argc, argv)) {
		usage(stderr);
		return 2;
	}
	env.ci = ci_env();
	if (env.list) {
		for (int i = 0; prog_tests[i].name; i++)
			if (should_run_test(prog_tests[i].name, i + 1))
				printf("%s\n", prog_tests[i].name);
		return 0;
	}
	err = setup_output();
	if (err) {
		fprintf(stderr, "test_progs: cannot set up output capture: %s\n", strerror(-err));
		return 1;
	}
	crash_handlers_install();
	for (int i = 0; prog_tests[i].name; i++) {
		if (!should_run_test(prog_tests[i].name, i + 1))
			continue;
		selected++;
		run_test(&prog_tests[i], i + 1);
	}
	if (env.filter_cnt && !selected)
		fprintf(stderr, "test_progs: no test matches the -t/-n filter\n");
	fprintf(env.out, "%d passed, %d failed", env.passed, env.failed);
	if (env.skipped)
		fprintf(env.out, ", %d skipped", env.skipped);
	fprintf(env.out, "\n");
	fflush(env.out);
	free(env.filters);
	if (env.filter_cnt && !selected)
		return 2;
	return env.failed ? 1 : 0;
}
