// SPDX-License-Identifier: GPL-2.0
/*
 * xb_duration_parse() and xb_duration_format(): the input as text, and its first 8 bytes
 * as a number of seconds. A parsed duration is at most XB_DURATION_MAX; every duration up
 * to it formats to text that parses back to the same seconds; and a formatted duration cut
 * to any buffer of 1 byte or more is the NUL-terminated start of the whole text.
 */
#include "fuzz.h"

#define DUR_TEXT_MAX 64

/* Formats s, checks every shorter buffer against the whole text, and parses it back. */
static void round_trip(__u64 s)
{
	char full[DUR_TEXT_MAX], *cut, *copy;
	__u64 back = ~0ULL;
	size_t len;

	memset(full, 0x5a, sizeof(full));
	xb_duration_format(s, full, sizeof(full));
	FUZZ_CHECK(memchr(full, '\0', sizeof(full)) != NULL);
	len = strlen(full);
	FUZZ_CHECK(len > 0 && len < sizeof(full) - 1);
	for (size_t size = 1; size <= len + 1; size++) {
		cut = malloc(size);
		FUZZ_CHECK(cut != NULL);
		xb_duration_format(s, cut, size);
		FUZZ_CHECK(strnlen(cut, size) == size - 1);
		FUZZ_CHECK(!memcmp(cut, full, size - 1));
		free(cut);
	}
	copy = fuzz_strndup((const uint8_t *)full, len);
	FUZZ_CHECK(xb_duration_parse(copy, &back) == 0);
	FUZZ_CHECK(back == s);
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
	char *text = fuzz_strndup(data, size);
	__u64 s = ~0ULL, raw;
	int err;

	err = xb_duration_parse(text, &s);
	FUZZ_CHECK(err == 0 || err == -EINVAL || err == -ERANGE);
	if (!err) {
		FUZZ_CHECK(s <= XB_DURATION_MAX);
		round_trip(s);
	}
	free(text);

	if (size >= sizeof(raw)) {
		memcpy(&raw, data, sizeof(raw));
		round_trip(raw % (XB_DURATION_MAX + 1));
	}
	return 0;
}
