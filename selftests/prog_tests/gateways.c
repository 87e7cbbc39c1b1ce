// SPDX-License-Identifier: GPL-2.0
/* Default gateways read from /proc/net/route and /proc/net/ipv6_route, for never-ban. */
#include <stdio.h>
#include <string.h>
#include "test_progs.h"
#include "xb.h"

static const char route_v4[] =
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	"eth1\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"
	"wg0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
	"garbage\n";

static const char route_v6[] =
	"fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
	"00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
	"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
	"fe800000000000000000000000000001 00000400 00000003 00000000 00000003     eth0\n"
	"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
	"00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n"
	"short line\n";

static void fmt(const struct xb_prefix *p, char *buf)
{
	xb_prefix_format(p, buf, XB_PREFIX_STRLEN);
}

void test_gateways(void)
{
	struct xb_prefix gw[4];
	char text[XB_PREFIX_STRLEN];
	FILE *f;
	size_t n;

	f = fmemopen((void *)route_v4, sizeof(route_v4) - 1, "r");
	if (!ASSERT_OK_PTR(f, "fmemopen"))
		return;
	n = xb_gateways_v4(f, gw, 4);
	fclose(f);
	if (ASSERT_EQ(n, 2, "two default routes with a gateway")) {
		fmt(&gw[0], text);
		ASSERT_STREQ(text, "192.0.2.1/32", "first gateway");
		fmt(&gw[1], text);
		ASSERT_STREQ(text, "192.168.1.1/32", "second gateway");
	}
	f = fmemopen((void *)route_v6, sizeof(route_v6) - 1, "r");
	if (!ASSERT_OK_PTR(f, "fmemopen"))
		return;
	n = xb_gateways_v6(f, gw, 4);
	fclose(f);
	if (ASSERT_EQ(n, 1, "one default route with a next hop")) {
		fmt(&gw[0], text);
		ASSERT_STREQ(text, "fe80::1/128", "its next hop");
	}
	f = fmemopen((void *)route_v4, sizeof(route_v4) - 1, "r");
	if (ASSERT_OK_PTR(f, "fmemopen")) {
		ASSERT_EQ(xb_gateways_v4(f, gw, 1), 1, "bounded by max");
		fclose(f);
	}
}
