// SPDX-License-Identifier: GPL-2.0
/* The library's only way to speak: a callback the front end sets. libbpf speaks through it too. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "xb.h"

static void default_print(enum xb_print_level level, const char *fmt, va_list ap)
{
	if (level == XB_DEBUG)
		return;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static xb_print_fn print_fn = default_print;

/* libbpf's warnings are our details: one level lower, trailing newline dropped. */
static int libbpf_forward(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t len;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	len = strlen(buf);
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	xb_pr(level == LIBBPF_WARN ? XB_INFO : XB_DEBUG, "libbpf: %s", buf);
	return 0;
}

void xb_set_print(xb_print_fn fn)
{
	print_fn = fn;
	libbpf_set_print(libbpf_forward);
}

void xb_pr(enum xb_print_level level, const char *fmt, ...)
{
	va_list ap;

	if (!print_fn)
		return;
	va_start(ap, fmt);
	print_fn(level, fmt, ap);
	va_end(ap);
}
