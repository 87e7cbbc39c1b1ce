// SPDX-License-Identifier: GPL-2.0
/* Prefix text <-> struct xb_prefix. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xb.h"

static const __u8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Strict decimal 0..max with no sign, spaces or leading zeros beyond "0". */
static int parse_len(const char *s, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 3)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(*s - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool clear_host_bits(__u8 *addr, unsigned int bytes, unsigned int len)
{
	bool changed = false;

	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int keep = len > i * 8 ? len - i * 8 : 0;
		__u8 mask = keep >= 8 ? 0xff : (__u8)(0xff << (8 - keep));

		if (addr[i] & ~mask)
			changed = true;
		addr[i] &= mask;
	}
	return changed;
}

int xb_prefix_parse(const char *text, struct xb_prefix *pfx, bool *host_bits)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned int len;
	char *slash;
	bool cleared;

	if (!text || strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';

	memset(pfx, 0, sizeof(*pfx));
	if (inet_pton(AF_INET, buf, pfx->addr) == 1) {
		pfx->family = 4;
		len = 32;
		if (slash && parse_len(slash, 32, &len))
			return -EINVAL;
	} else if (inet_pton(AF_INET6, buf, pfx->addr) == 1) {
		pfx->family = 6;
		len = 128;
		if (slash && parse_len(slash, 128, &len))
			return -EINVAL;
		if (!memcmp(pfx->addr, v4_mapped, sizeof(v4_mapped)) && len >= 96) {
			/* ::ffff:a.b.c.d is how IPv6 sockets spell an IPv4 peer. */
			memmove(pfx->addr, pfx->addr + 12, 4);
			memset(pfx->addr + 4, 0, 12);
			pfx->family = 4;
			len -= 96;
		}
	} else {
		return -EINVAL;
	}
	pfx->len = (__u8)len;
	cleared = clear_host_bits(pfx->addr, pfx->family == 4 ? 4 : 16, len);
	if (host_bits)
		*host_bits = cleared;
	return 0;
}

void xb_prefix_format(const struct xb_prefix *pfx, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(pfx->family == 4 ? AF_INET : AF_INET6, pfx->addr, addr, sizeof(addr));
	snprintf(buf, size, "%s/%u", addr, pfx->len);
}

bool xb_prefix_is_host(const struct xb_prefix *pfx)
{
	return pfx->len == (pfx->family == 4 ? 32 : 128);
}

bool xb_prefix_covers(const struct xb_prefix *a, const struct xb_prefix *b)
{
	__u8 tmp[16];

	if (a->family != b->family || a->len > b->len)
		return false;
	memcpy(tmp, b->addr, sizeof(tmp));
	clear_host_bits(tmp, a->family == 4 ? 4 : 16, a->len);
	return !memcmp(tmp, a->addr, a->family == 4 ? 4 : 16);
}
