// SPDX-License-Identifier: GPL-2.0
/*
 * xb_prefix_parse() and xb_prefix_format(): the input as text, and its first 18 bytes as a
 * struct xb_prefix. Whatever parses is a valid prefix whose formatted text parses back to
 * the same struct, with no host bits left to clear; every valid struct formats to text that
 * parses back to it (an ::ffff:0:0/96 IPv6 prefix or longer comes back as the IPv4 one,
 * as documented).
 */
#include <arpa/inet.h>
#include "fuzz.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Formats p, parses the text back and returns what came back. */
static struct xb_prefix round_trip(const struct xb_prefix *p)
{
	char text[XB_PREFIX_STRLEN], *copy;
	struct xb_prefix back;
	bool host_bits = true;

	memset(text, 0x5a, sizeof(text));
	xb_prefix_format(p, text, sizeof(text));
	FUZZ_CHECK(memchr(text, '\0', sizeof(text)) != NULL);
	/* An exact-size copy, so a parser reading past the NUL is caught. */
	copy = fuzz_strndup((const uint8_t *)text, strlen(text));
	FUZZ_CHECK(xb_prefix_parse(copy, &back, &host_bits) == 0);
	FUZZ_CHECK(!host_bits);
	free(copy);
	return back;
}

static void check_text(const uint8_t *data, size_t size)
{
	struct xb_prefix p, back, again;
	char *text = fuzz_strndup(data, size);
	bool host_bits = false;
	int err;

	err = xb_prefix_parse(text, &p, &host_bits);
	FUZZ_CHECK(err == 0 || err == -EINVAL);
	if (!err) {
		FUZZ_CHECK(fuzz_prefix_valid(&p));
		back = round_trip(&p);
		FUZZ_CHECK(!memcmp(&back, &p, sizeof(p)));
		FUZZ_CHECK(xb_prefix_covers(&p, &p));
		/* Parsing is a function of the text: the flag and the result do not drift. */
		FUZZ_CHECK(xb_prefix_parse(text, &again, NULL) == 0);
		FUZZ_CHECK(!memcmp(&again, &p, sizeof(p)));
	}
	free(text);
}

/* Makes any 18 bytes a valid prefix: family, a length in range, host bits cleared. */
static void normalize(struct xb_prefix *p)
{
	unsigned int bits;

	p->family = p->family & 1 ? 6 : 4;
	bits = p->family == 4 ? 32 : 128;
	p->len = (uint8_t)(p->len % (bits + 1));
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = i * 8 >= bits ? 0 : p->len > i * 8 ? p->len - i * 8 : 0;

		p->addr[i] &= keep >= 8 ? 0xff : (uint8_t)(0xff << (8 - keep));
	}
}

static void check_struct(const uint8_t *data, size_t size)
{
	struct xb_prefix p, want, back;

	if (size < sizeof(p))
		return;
	memcpy(&p, data, sizeof(p));
	normalize(&p);
	FUZZ_CHECK(fuzz_prefix_valid(&p));
	want = p;
	if (p.family == 6 && p.len >= 96 && !memcmp(p.addr, v4_mapped, sizeof(v4_mapped))) {
		memset(&want, 0, sizeof(want));
		want.family = 4;
		want.len = (uint8_t)(p.len - 96);
		memcpy(want.addr, p.addr + 12, 4);
	}
	back = round_trip(&p);
	FUZZ_CHECK(!memcmp(&back, &want, sizeof(want)));
	/* Covering is a partial order: both ways means equal. */
	if (size >= 2 * sizeof(p)) {
		struct xb_prefix q;

		memcpy(&q, data + sizeof(p), sizeof(q));
		normalize(&q);
		if (xb_prefix_covers(&p, &q) && xb_prefix_covers(&q, &p))
			FUZZ_CHECK(!memcmp(&p, &q, sizeof(p)));
		if (xb_prefix_covers(&p, &q))
			FUZZ_CHECK(p.len <= q.len && p.family == q.family);
	}
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
	check_text(data, size);
	check_struct(data, size);
	return 0;
}
