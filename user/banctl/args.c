// SPDX-License-Identifier: GPL-2.0
/* Argument parsing shared by banctl's commands: each error names the argument. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banctl.h"

int parse_prefix_arg(const char *text, struct xb_prefix *pfx, const char *where)
{
	char shown[XB_PREFIX_STRLEN];
	bool host_bits;

	if (xb_prefix_parse(text, pfx, &host_bits))
		return usage_err("%s'%s' is not an IPv4/IPv6 address or prefix (a.b.c.d[/0-32] or "
				 "x:y::z[/0-128])",
				 where, text);
	if (host_bits) {
		xb_prefix_format(pfx, shown, sizeof(shown));
		p_warn("%s'%s' has host bits set; using %s", where, text, shown);
	}
	return 0;
}

int parse_u32_arg(const char *text, const char *what, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < min || v > max)
		return usage_err("%s must be a number from %u to %u, not '%s'", what, min, max,
				 text);
	*out = (__u32)v;
	return 0;
}

int read_prefix_lines(FILE *f, struct xb_prefix **out, size_t *n)
{
	struct xb_prefix *v = NULL;
	size_t cap = 0, len = 0, lineno = 0;
	char *line = NULL;
	size_t lsz = 0;
	int err = 0;

	while (getline(&line, &lsz, f) > 0) {
		struct xb_ban_req req = {};
		char msg[128];
		int rc;

		lineno++;
		rc = xb_ban_line_parse(line, &req, msg, sizeof(msg));
		if (rc == 1)
			continue;
		if (rc) {
			err = usage_err("stdin:%zu: %s; nothing was changed", lineno, msg);
			break;
		}
		if (len == cap) {
			void *p = realloc(v, (cap = cap ? cap * 2 : 1024) * sizeof(*v));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			v = p;
		}
		v[len++] = req.pfx;
	}
	free(line);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}
