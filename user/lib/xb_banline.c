// SPDX-License-Identifier: GPL-2.0
/*
 * One ban per line: "PREFIX [timeout DURATION] [reason TEXT...]", as `banctl add -` reads
 * it. Kept in the library so that every reader of ban lists parses them the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "xb.h"

static char *next_token(char **p)
{
	char *s = *p, *start;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	start = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return start;
}

int xb_reason_check(const char *text)
{
	if (strlen(text) >= XB_REASON_LEN)
		return -E2BIG;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return -EINVAL;
	}
	return 0;
}

int xb_ban_line_parse(char *line, struct xb_ban_req *req, char *err, size_t err_size)
{
	char *p = line, *tok;
	bool host_bits;
	size_t len = strlen(line);

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	tok = next_token(&p);
	if (!tok || tok[0] == '#')
		return 1;
	if (xb_prefix_parse(tok, &req->pfx, &host_bits)) {
		snprintf(err, err_size, "'%.60s' is not an IPv4/IPv6 address or prefix", tok);
		return -EINVAL;
	}
	while ((tok = next_token(&p))) {
		if (!strcmp(tok, "timeout")) {
			char *d = next_token(&p);
			int e = d ? xb_duration_parse(d, &req->timeout_s) : -EINVAL;

			if (e) {
				snprintf(err, err_size,
					 "bad timeout '%.40s' (use 600, 10m, 1h, 1d, 1w)",
					 d ? d : "");
				return -EINVAL;
			}
		} else if (!strcmp(tok, "reason")) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (xb_reason_check(p)) {
				snprintf(err, err_size,
					 "reason must be printable and under %d bytes",
					 XB_REASON_LEN);
				return -EINVAL;
			}
			snprintf(req->reason, sizeof(req->reason), "%s", p);
			break;
		} else {
			snprintf(err, err_size,
				 "unexpected '%.40s' (expected 'timeout' or 'reason')", tok);
			return -EINVAL;
		}
	}
	return 0;
}
