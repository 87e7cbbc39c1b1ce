// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses a source must never ban, whatever a log says: a box that bans itself, its
 * loopback or its link-local neighbours locks its operator out.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
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

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		struct xb_prefix p;

		if (!xb_prefix_parse(never[i].pfx, &p, NULL) && overlaps(&p, a)) {
			*why = never[i].why;
			*hit = p;
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
	if (in_allow(maps, addr, hit)) {
		*why = "on the allow list";
		return true;
	}
	return false;
}
