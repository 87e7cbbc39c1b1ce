// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses a source must never ban, whatever a log says: a box that bans itself, its
 * loopback or its link-local neighbours locks its operator out.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "xb_pipeline.h"

#define OWN_MAX 256
#define OWN_REFRESH_S 10

static struct {
	struct xb_prefix addr[OWN_MAX];
	size_t n;
	time_t read_at;
} own;

static void read_own(void)
{
	struct ifaddrs *ifa, *i;

	if (own.read_at && time(NULL) - own.read_at < OWN_REFRESH_S)
		return;
	own.read_at = time(NULL);
	own.n = 0;
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

static bool in_static(const struct xb_prefix *a, const char **why)
{
	static const struct {
		const char *pfx, *why;
	} never[] = {
		{ "127.0.0.0/8", "loopback" },	    { "::1/128", "loopback" },
		{ "169.254.0.0/16", "link-local" }, { "fe80::/10", "link-local" },
		{ "0.0.0.0/32", "unspecified" },    { "::/128", "unspecified" },
	};

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		struct xb_prefix p;

		if (!xb_prefix_parse(never[i].pfx, &p, NULL) && xb_prefix_covers(&p, a)) {
			*why = never[i].why;
			return true;
		}
	}
	return false;
}

static bool in_allow(struct xb_maps *maps, const struct xb_prefix *a)
{
	struct xb_lpm_v6_key key = { .prefixlen = a->len };
	struct xb_allow val;
	int fd;

	if (!maps)
		return false;
	fd = maps->fd[a->family == 4 ? XB_ALLOW_V4 : XB_ALLOW_V6];
	memcpy(key.addr, a->addr, 16);
	return fd >= 0 && !bpf_map_lookup_elem(fd, &key, &val);
}

bool xb_never_ban(struct xb_maps *maps, const struct xb_prefix *addr, const char **why)
{
	if (in_static(addr, why))
		return true;
	read_own();
	for (size_t i = 0; i < own.n; i++) {
		if (xb_prefix_covers(addr, &own.addr[i]) || xb_prefix_covers(&own.addr[i], addr)) {
			*why = "this machine's own address";
			return true;
		}
	}
	if (in_allow(maps, addr)) {
		*why = "on the allow list";
		return true;
	}
	return false;
}
