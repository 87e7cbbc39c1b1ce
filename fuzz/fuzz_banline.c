// SPDX-License-Identifier: GPL-2.0
/*
 * xb_ban_line_parse(), the "PREFIX [timeout DURATION] [reason TEXT...]" lines of
 * `banctl add -` and restore files, on an exact-size NUL-terminated copy of the input.
 * It returns 0, 1 (blank or comment) or -EINVAL with a NUL-terminated message inside the
 * given size. A parsed line holds a valid prefix, a timeout within XB_DURATION_MAX and a
 * reason xb_reason_check() accepts; written back as a line, it parses to the same request.
 */
#include "fuzz.h"

#define ERR_SIZE 96
#define CANARY 0xa5

static void check_err(const unsigned char *err, int ret)
{
	size_t len = strnlen((const char *)err, ERR_SIZE);

	FUZZ_CHECK(len < ERR_SIZE);
	for (size_t i = ERR_SIZE; i < ERR_SIZE + 8; i++)
		FUZZ_CHECK(err[i] == CANARY);
	if (ret < 0)
		FUZZ_CHECK(len > 0);
}

static void check_req(const struct xb_ban_req *req)
{
	char line[256], *copy, err[ERR_SIZE];
	char pfx[XB_PREFIX_STRLEN], dur[64];
	struct xb_ban_req back;

	FUZZ_CHECK(fuzz_prefix_valid(&req->pfx));
	FUZZ_CHECK(req->timeout_s <= XB_DURATION_MAX);
	FUZZ_CHECK(memchr(req->reason, '\0', sizeof(req->reason)) != NULL);
	FUZZ_CHECK(xb_reason_check(req->reason) == 0);

	xb_prefix_format(&req->pfx, pfx, sizeof(pfx));
	xb_duration_format(req->timeout_s, dur, sizeof(dur));
	snprintf(line, sizeof(line), "%s timeout %s reason %s", pfx, dur, req->reason);
	copy = fuzz_strndup((const uint8_t *)line, strlen(line));
	memset(&back, 0, sizeof(back));
	FUZZ_CHECK(xb_ban_line_parse(copy, &back, err, sizeof(err)) == 0);
	FUZZ_CHECK(!memcmp(&back.pfx, &req->pfx, sizeof(req->pfx)));
	FUZZ_CHECK(back.timeout_s == req->timeout_s);
	FUZZ_CHECK(!strcmp(back.reason, req->reason));
	free(copy);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_silence();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char err[ERR_SIZE + 8];
	struct xb_ban_req req;
	char *line = fuzz_strndup(data, size);
	int ret;

	memset(&req, 0, sizeof(req));
	memset(err, CANARY, sizeof(err));
	err[0] = '\0';
	ret = xb_ban_line_parse(line, &req, (char *)err, ERR_SIZE);
	FUZZ_CHECK(ret == 0 || ret == 1 || ret == -EINVAL);
	check_err(err, ret);
	if (ret == 0)
		check_req(&req);
	free(line);
	return 0;
}
