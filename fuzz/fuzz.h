/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every harness shares: a silent library, NUL-terminated copies of the input in
 * buffers of their exact size (so ASan sees one byte too far), and invariant checks that
 * abort() with the file, line and condition, which libFuzzer records as a crash.
 */
#ifndef XB_FUZZ_H
#define XB_FUZZ_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xb.h"

/* An invariant that must hold for every input; fails loudly, never returns then. */
#define FUZZ_CHECK(cond) fuzz_check((cond), #cond, __FILE__, __LINE__)

static inline void fuzz_check(bool ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
	abort();
}

static void fuzz_quiet(enum xb_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
}

/* The library never prints, but libbpf might through it: keep the run's output clean. */
static inline void fuzz_silence(void)
{
	xb_set_print(fuzz_quiet);
}

/* data as a C string in a heap block of exactly size + 1 bytes; free() it. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Whether a prefix is one the parsers can return: right family and length, no host bits. */
static inline bool fuzz_prefix_valid(const struct xb_prefix *p)
{
	unsigned int bytes = p->family == 4 ? 4 : 16;

	if (p->family != 4 && p->family != 6)
		return false;
	if (p->len > bytes * 8)
		return false;
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = i >= bytes ? 0 : p->len > i * 8 ? p->len - i * 8 : 0;
		uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff << (8 - keep));

		if (p->addr[i] & ~mask)
			return false;
	}
	return true;
}

/* A single address: what every log source must hand on, and nothing else. */
static inline bool fuzz_host_valid(const struct xb_prefix *p)
{
	return fuzz_prefix_valid(p) && xb_prefix_is_host(p);
}

#endif /* XB_FUZZ_H */
