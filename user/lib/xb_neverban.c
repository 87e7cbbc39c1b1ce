// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses a source must never ban, whatever a log says: a box that bans itself, its
 * loopback, its link-local neighbours or its default gateway locks its operator out.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "xb_pipeline.h"

#define OWN_MAX 256
#define GW_MAX 16
#define OWN_REFRESH_S 10

static struct {
	struct xb_prefix addr[OWN_MAX];
	size_t n;
	struct xb_prefix gw[GW_MAX];
	size_t n_gw;
	bool gw_off;
	time_t read_at;
} own;

void xb_never_ban_gateway(bool on)
{
	own.gw_off = !on;
}

static int hex_byte(const char *s)
{
	unsigned int v;

	return sscanf(s, "%2x", &v) == 1 ? (int)v : -1;
}

/* /proc/net/route: the Gateway of each 0.0.0.0/0 route, 8 hex digits in memory order. */
size_t xb_gateways_v4(FILE *f, struct xb_prefix *out, size_t max)
{
	char line[512], iface[64];
	unsigned int dst, gw, flags, mask;
	size_t n = 0;

	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %x %x %x %*d %*d %*d %x", iface, &dst, &gw, &flags, &mask) !=
			    5 ||
		    dst || mask || !gw)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = 4;
		out[n].len = 32;
		memcpy(out[n].addr, &gw, 4);
		n++;
	}
	return n;
}

/* /proc/net/ipv6_route: the next hop of each ::/0 route, 32 hex digits in network order. */
size_t xb_gateways_v6(FILE *f, struct xb_prefix *out, size_t max)
{
	char dst[40], src[40], hop[40], line[512];
	unsigned int dlen, slen;
	size_t n = 0;

	while (n < max && fgets(line, sizeof(line), f)) {
		bool zero = true, bad = false;

		if (sscanf(line, "%32s %x %32s %x %32s", dst, &dlen, src, &slen, hop) != 5 ||
		    dlen || strlen(hop) != 32 || strspn(dst, "0") != strlen(dst))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		for (int i = 0; i < 16 && !bad; i++) {
			int b = hex_byte(hop + 2 * i);

			bad = b < 0;
			out[n].addr[i] = (__u8)b;
			zero &= !b;
		}
		if (zero || bad)
			continue;
		out[n].family = 6;
		out[n].len = 128;
		n++;
	}
	return n;
}

static void read_gateways(void)
{
	FILE *f;

	own.n_gw = 0;
	f = fopen("/proc/net/route", "re");
	if (f) {
		own.n_gw = xb_gateways_v4(f, own.gw, GW_MAX);
		fclose(f);
	}
	f = fopen("/proc/net/ipv6_route", "re");
	if (f) {
		own.n_gw += xb_gateways_v6(f, own.gw + own.n_gw, GW_MAX - own.n_gw);
		fclose(f);
	}
}

static void read_own(void)
{
	struct ifaddrs *ifa, *i;

	if (own.read_at && time(NULL) - own.read_at < OWN_REFRESH_S)
		return;
	own.read_at = time(NULL);
	own.n = 0;
	read_gateways();
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i && own.n < OWN_MAX; i = i->ifa_next) {
		struct xb_prefix *p = &own.addr[own.n];

		if (!i->ifa_addr)
			continue;
		memset(p, 0, sizeof(*p));
		if (i->ifa_addr->sa_family == AF_INET) {
			memcpy(p->addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			p->family = 4;
			p->len = 32;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			memcpy(p->addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
			p->family = 6;
			p->len = 128;
		} else {
			continue;
		}
		own.n++;
	}
	freeifaddrs(ifa);
}

static bool overlaps(const struct xb_prefix *a, const struct xb_prefix *b)
{
	return xb_prefix_covers(a, b) || xb_prefix_covers(b, a);
}

static bool in_static(const struct xb_prefix *a, const char **why, struct xb_prefix *hit)
{
	static const struct {
		const char *pfx, *why;
	} never[] = {
		{ "127.0.0.0/8", "loopback" },	    { "::1/128", "loopback" },
		{ "169.254.0.0/16", "link-local" }, { "fe80::/10", "link-local" },
		{ "0.0.0.0/32", "unspecified" },    { "::/128", "unspecified" },
	};
	/* Parsed once: `banctl add -` asks for every one of a million addresses. */
	static struct xb_prefix parsed[sizeof(never) / sizeof(never[0])];
	static bool ready;

	for (size_t i = 0; !ready && i < sizeof(never) / sizeof(never[0]); i++)
		xb_prefix_parse(never[i].pfx, &parsed[i], NULL);
	ready = true;
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		if (overlaps(&parsed[i], a)) {
			*why = never[i].why;
			*hit = parsed[i];
			return true;
		}
	}
	return false;
}

/* A host address: one LPM lookup. A prefix: it may cover allow entries, so walk them. */
static bool in_allow(struct xb_maps *maps, const struct xb_prefix *a, struct xb_prefix *hit)
{
	struct xb_lpm_v6_key key = { .prefixlen = a->len };
	struct xb_allow_entry *e = NULL;
	struct xb_allow val;
	bool found = false;
	size_t n = 0;
	int fd;

	if (!maps)
		return false;
	fd = maps->fd[a->family == 4 ? XB_ALLOW_V4 : XB_ALLOW_V6];
	memcpy(key.addr, a->addr, 16);
	if (fd < 0)
		return false;
	if (!bpf_map_lookup_elem(fd, &key, &val)) {
		*hit = *a;
		return true;
	}
	if (xb_prefix_is_host(a) || xb_allow_list(maps, &e, &n))
		return false;
	for (size_t i = 0; i < n && !found; i++) {
		found = xb_prefix_covers(a, &e[i].pfx);
		*hit = e[i].pfx;
	}
	free(e);
	return found;
}

bool xb_never_ban(struct xb_maps *maps, const struct xb_prefix *addr, const char **why,
		  struct xb_prefix *hit)
{
	struct xb_prefix local;

	if (!hit)
		hit = &local;
	if (in_static(addr, why, hit))
		return true;
	read_own();
	for (size_t i = 0; i < own.n; i++) {
		if (overlaps(addr, &own.addr[i])) {
			*why = "this machine's own address";
			*hit = own.addr[i];
			return true;
		}
	}
	for (size_t i = 0; i < own.n_gw && !own.gw_off; i++) {
		if (overlaps(addr, &own.gw[i])) {
			*why = "the default gateway";
			*hit = own.gw[i];
			return true;
		}
	}
	if (in_allow(maps, addr, hit)) {
		*why = "on the allow list";
		return true;
	}
	return false;
}
