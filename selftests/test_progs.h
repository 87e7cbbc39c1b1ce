/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit-test runner's interface, in the manner of the kernel's BPF test_progs: every
 * `void test_<name>(void)` in prog_tests/ is found by gen_tests_h.sh, runs with its output
 * captured, and splits into subtests with test__start_subtest(). The ASSERT_*() macros name
 * the check, print "<func>:FAIL:<name> <details>" when it does not hold, mark the current
 * (sub)test failed and return whether it held, so they read as guards:
 *
 *	if (!ASSERT_OK_PTR(skel, "open"))
 *		goto cleanup;
 */
#ifndef TEST_PROGS_H
#define TEST_PROGS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Starts the subtest @name (ending the previous one) and returns whether it is to run,
 * i.e. whether -t/-n selects it. Call it as the guard of the subtest's code.
 */
bool test__start_subtest(const char *name);
/* Marks the current subtest, or the test outside any subtest, failed. */
void test__fail(void);
/*
 * Marks the current (sub)test skipped, for @reason; the caller then returns. Under CI=true
 * a skip is a failure instead ("cannot skip in CI: <reason>"): CI must run everything.
 */
void test__skip(const char *reason);
/* false, after test__skip(), unless running as root; for tests that load BPF or touch links. */
bool test__require_root(void);
/* Whether -v was given, for tests that want to print more when asked. */
bool test__verbose(void);

/*
 * The reporting halves of the macros below. A number travels as its 64-bit pattern plus
 * whether its type is signed, so values of mixed integer types compare as numbers: no
 * -Wsign-compare, and (unsigned)-1 is not equal to -1.
 */
enum test__cmp_op { TEST__EQ, TEST__NEQ, TEST__GE, TEST__LE, TEST__GT, TEST__LT };

bool test__assert_cmp(const char *func, const char *name, enum test__cmp_op op, bool a_signed,
		      unsigned long long a, bool b_signed, unsigned long long b);
bool test__assert_ok(const char *func, const char *name, long long res, int err);
bool test__assert_err(const char *func, const char *name, long long res);
bool test__assert_ptr(const char *func, const char *name, const void *ptr, bool want_null, int err);
bool test__assert_bool(const char *func, const char *name, bool cond, bool want);
bool test__assert_streq(const char *func, const char *name, const char *actual,
			const char *expected);
bool test__assert_substr(const char *func, const char *name, const char *haystack,
			 const char *needle);
bool test__assert_memeq(const char *func, const char *name, const void *actual,
			const void *expected, size_t len);

/*
 * The type of `0 ? x : x` is x's promoted type, so bit-fields, bool, small types, arrays and
 * NULL all work; a type is signed when (type)-1 is below (type)1.
 */
#define test__type(x) __typeof__(0 ? (x) : (x))
#define test__is_signed(x) ((test__type(x))(-1) < (test__type(x))1)
#define test__bits(v, x) \
	(test__is_signed(x) ? (unsigned long long)(long long)(v) : (unsigned long long)(v))

#define test__cmp(actual, expected, name, op)                                           \
	({                                                                              \
		test__type(actual) ___act = (actual);                                   \
		test__type(expected) ___exp = (expected);                               \
		test__assert_cmp(__func__, (name), (op), test__is_signed(actual),       \
				 test__bits(___act, actual), test__is_signed(expected), \
				 test__bits(___exp, expected));                         \
	})

#define ASSERT_EQ(actual, expected, name) test__cmp(actual, expected, name, TEST__EQ)
#define ASSERT_NEQ(actual, expected, name) test__cmp(actual, expected, name, TEST__NEQ)
#define ASSERT_GE(actual, expected, name) test__cmp(actual, expected, name, TEST__GE)
#define ASSERT_LE(actual, expected, name) test__cmp(actual, expected, name, TEST__LE)
#define ASSERT_GT(actual, expected, name) test__cmp(actual, expected, name, TEST__GT)
#define ASSERT_LT(actual, expected, name) test__cmp(actual, expected, name, TEST__LT)

/* res == 0; a negative res is shown as -errno, with errno too (for -1 returns). */
#define ASSERT_OK(res, name)                                      \
	({                                                        \
		long long ___res = (res);                         \
		test__assert_ok(__func__, (name), ___res, errno); \
	})
/* res < 0 */
#define ASSERT_ERR(res, name) test__assert_err(__func__, (name), (long long)(res))

#define ASSERT_OK_PTR(ptr, name)                                          \
	({                                                                \
		const void *___ptr = (ptr);                               \
		test__assert_ptr(__func__, (name), ___ptr, false, errno); \
	})
#define ASSERT_NULL(ptr, name) test__assert_ptr(__func__, (name), (ptr), true, 0)

#define ASSERT_TRUE(cond, name) test__assert_bool(__func__, (name), !!(cond), true)
#define ASSERT_FALSE(cond, name) test__assert_bool(__func__, (name), !!(cond), false)

/* NULL equals only NULL. */
#define ASSERT_STREQ(actual, expected, name) \
	test__assert_streq(__func__, (name), (actual), (expected))
#define ASSERT_HAS_SUBSTR(haystack, needle, name) \
	test__assert_substr(__func__, (name), (haystack), (needle))
/* Shows the first differing offset and a hex dump of both around it. */
#define ASSERT_MEMEQ(actual, expected, len, name) \
	test__assert_memeq(__func__, (name), (actual), (expected), (len))

#endif /* TEST_PROGS_H */
