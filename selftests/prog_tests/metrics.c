// SPDX-License-Identifier: GPL-2.0
/*
 * xb_metrics_write() on made-up snapshots: label escaping, one HELP/TYPE pair per family
 * right before its samples, each family's samples in one run, empty families left out, the
 * daemon's part; and xbd_metrics_parse_listen().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "test_progs.h"
#include "xb_metrics.h"
#include "metrics.h"

static char *render(const struct xb_metrics_kernel *k, const struct xb_metrics_daemon *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!ASSERT_OK_PTR(f, "open_memstream"))
		return NULL;
	ASSERT_OK(xb_metrics_write(f, k, d), "xb_metrics_write");
	fclose(f);
	return buf;
}

/*
 * Every sample's family has had its # HELP and # TYPE lines just before its first sample,
 * and no family comes back after another one started.
 */
static void check_grouping(const char *text)
{
	char seen[4096] = " ", cur[128] = "", name[128], key[140];
	char *copy = strdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", name);
			snprintf(key, sizeof(key), " %s ", name);
			ASSERT_NULL(strstr(seen, key), name); /* a family only once */
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
			snprintf(cur, sizeof(cur), "%s", name);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			sscanf(line + 7, "%127s", name);
			ASSERT_STREQ(name, cur, "TYPE follows its HELP");
			continue;
		}
		sscanf(line, "%127[^{ ]", name);
		ASSERT_STREQ(name, cur, "sample in its family's run");
	}
	free(copy);
}

static void fill_kernel(struct xb_metrics_kernel *k)
{
	memset(k, 0, sizeof(*k));
	k->ifaces[0] = (struct xb_iface){ .ifindex = 2, .mode = XB_MODE_NATIVE, .name = "eth0" };
	k->ifaces[3] = (struct xb_iface){ .ifindex = 9, .mode = XB_MODE_GENERIC, .name = "q\"\\x" };
	k->counters[0].dropped_v4.packets = 7;
	k->counters[0].dropped_v4.bytes = 588;
	k->counters[0].passed_other.packets = 3;
	k->counters[0].log_suppressed = 2;
	k->counters[3].allowed_v6.bytes = 1500;
	k->bans[XB_KIND_EXACT][0] = 5;
	k->bans[XB_KIND_PREFIX][1] = 1;
	k->bans_origin[XB_ORIGIN_FAIL2BAN] = 6;
	k->bans_expired = 2;
	k->entries[XB_BAN_V4] = 7;
	k->max_entries[XB_BAN_V4] = 1024;
}

static void test_kernel(void)
{
	static struct xb_metrics_kernel k;
	char *out;

	fill_kernel(&k);
	out = render(&k, NULL);
	if (!out)
		return;
	check_grouping(out);
	ASSERT_HAS_SUBSTR(out, "# TYPE xdpban_packets_total counter\n", "counter type");
	ASSERT_HAS_SUBSTR(out,
			  "xdpban_packets_total{interface=\"eth0\",action=\"dropped\","
			  "family=\"v4\"} 7\n",
			  "dropped packets");
	ASSERT_HAS_SUBSTR(out,
			  "xdpban_bytes_total{interface=\"eth0\",action=\"dropped\","
			  "family=\"v4\"} 588\n",
			  "dropped bytes");
	ASSERT_HAS_SUBSTR(out,
			  "xdpban_bytes_total{interface=\"q\\\"\\\\x\",action=\"allowed\","
			  "family=\"v6\"} 1500\n",
			  "escaped interface label");
	ASSERT_HAS_SUBSTR(out,
			  "xdpban_drop_log_events_total{interface=\"eth0\",result=\"suppressed\"} "
			  "2\n",
			  "drop log outcome");
	ASSERT_HAS_SUBSTR(out, "xdpban_malformed_packets_total{interface=\"eth0\"} 0\n",
			  "one-label family");
	ASSERT_HAS_SUBSTR(out, "xdpban_interface_info{interface=\"q\\\"\\\\x\",mode=\"generic\"} 1",
			  "interface info");
	ASSERT_HAS_SUBSTR(out, "xdpban_bans{kind=\"exact\",family=\"v4\"} 5\n", "exact v4 bans");
	ASSERT_HAS_SUBSTR(out, "xdpban_bans{kind=\"prefix\",family=\"v6\"} 1\n", "prefix v6");
	ASSERT_HAS_SUBSTR(out, "xdpban_bans_by_origin{origin=\"fail2ban\"} 6\n", "by origin");
	ASSERT_HAS_SUBSTR(out, "xdpban_bans_by_origin{origin=\"fleet\"} 0\n", "zero origin shown");
	ASSERT_NULL(strstr(out, "origin=\"unknown\""), "unknown origin only when some");
	ASSERT_HAS_SUBSTR(out, "\nxdpban_bans_past_expiry 2\n", "no-label gauge");
	ASSERT_HAS_SUBSTR(out, "xdpban_map_max_entries{map=\"xb_ban_v4\"} 1024\n", "capacity");
	ASSERT_HAS_SUBSTR(out, "xdpban_build_info{version=\"", "build info");
	ASSERT_NULL(strstr(out, "xdpban_daemon"), "no daemon part without one");
	ASSERT_NULL(strstr(out, "_total{interface=\"\""), "free slots left out");
	free(out);
}

static void test_no_iface(void)
{
	static struct xb_metrics_kernel k;
	char *out;

	memset(&k, 0, sizeof(k));
	out = render(&k, NULL);
	if (!out)
		return;
	check_grouping(out);
	ASSERT_NULL(strstr(out, "xdpban_packets_total"), "no empty family");
	ASSERT_HAS_SUBSTR(out, "xdpban_bans{kind=\"exact\",family=\"v4\"} 0\n", "gauges at 0");
	free(out);
}

static void test_daemon(void)
{
	static struct xb_metrics_kernel k;
	struct xb_metrics_source src[2] = {
		{ .name = "web", .lines_read = 10, .lines_matched = 4, .lines_binary = 3 },
		{ .name = "sshd", .bans_added = 2, .bans_removed = 1, .lines_too_long = 1 },
	};
	struct xb_metrics_daemon d = { .start_time = 1795700000, .sources = src, .n_sources = 2 };
	char *out;

	fill_kernel(&k);
	d.expired[XB_ORIGIN_REGEX] = 4;
	d.expired[__XB_ORIGIN_MAX] = 1;
	out = render(&k, &d);
	if (!out)
		return;
	check_grouping(out);
	ASSERT_HAS_SUBSTR(out, "\nxdpban_daemon_start_time_seconds 1795700000\n", "start time");
	ASSERT_HAS_SUBSTR(out, "xdpban_log_lines_read_total{source=\"web\"} 10\n", "lines read");
	ASSERT_HAS_SUBSTR(out, "xdpban_log_lines_matched_total{source=\"sshd\"} 0\n", "zero");
	ASSERT_HAS_SUBSTR(out,
			  "xdpban_log_lines_skipped_total{source=\"sshd\",reason=\"too_long\"} 1\n"
			  "xdpban_log_lines_skipped_total{source=\"web\",reason=\"binary\"} 3\n",
			  "skipped lines, both reasons in one run");
	ASSERT_HAS_SUBSTR(out, "xdpban_bans_added_total{source=\"sshd\"} 2\n", "bans added");
	ASSERT_HAS_SUBSTR(out, "xdpban_bans_removed_total{source=\"sshd\"} 1\n", "bans removed");
	ASSERT_HAS_SUBSTR(out, "xdpban_bans_expired_total{origin=\"regex\"} 4\n", "expired");
	ASSERT_HAS_SUBSTR(out, "xdpban_bans_expired_total{origin=\"unknown\"} 1\n", "unknown");
	free(out);

	d.n_sources = 0;
	out = render(&k, &d);
	if (out)
		ASSERT_NULL(strstr(out, "source=\""), "no source families without sources");
	free(out);
}

static void test_escape(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!ASSERT_OK_PTR(f, "open_memstream"))
		return;
	xb_metrics_escape(f, "a\"b\\c\nd\xc3\xa9");
	fclose(f);
	ASSERT_STREQ(buf, "a\\\"b\\\\c\\nd\xc3\xa9", "escaped");
	free(buf);
}

struct listen_case {
	const char *text;
	int family; /* 0 = rejected */
	__u16 port;
};

static const struct listen_case listen_cases[] = {
	{ "9641", AF_INET, 9641 },
	{ "127.0.0.1:9641", AF_INET, 9641 },
	{ "0.0.0.0:80", AF_INET, 80 },
	{ "localhost:1", AF_INET, 1 },
	{ "[::1]:65535", AF_INET6, 65535 },
	{ "[::]:9641", AF_INET6, 9641 },
	{ "::1:9641", 0, 0 },
	{ "127.0.0.1", 0, 0 },
	{ "127.0.0.1:", 0, 0 },
	{ ":9641", 0, 0 },
	{ "0", 0, 0 },
	{ "65536", 0, 0 },
	{ "+80", 0, 0 },
	{ "[::1]9641", 0, 0 },
	{ "[::1", 0, 0 },
	{ "example.com:80", 0, 0 },
	{ "", 0, 0 },
};

static void test_listen(void)
{
	for (size_t i = 0; i < sizeof(listen_cases) / sizeof(listen_cases[0]); i++) {
		const struct listen_case *c = &listen_cases[i];
		struct sockaddr_storage ss;
		socklen_t len = 0;
		int err = xbd_metrics_parse_listen(c->text, &ss, &len);
		__u16 port;

		if (!c->family) {
			ASSERT_EQ(err, -EINVAL, c->text);
			continue;
		}
		if (!ASSERT_OK(err, c->text))
			continue;
		ASSERT_EQ(ss.ss_family, c->family, c->text);
		port = c->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					    : ((struct sockaddr_in6 *)&ss)->sin6_port;
		ASSERT_EQ(ntohs(port), c->port, c->text);
		if (!strcmp(c->text, "9641"))
			ASSERT_EQ(((struct sockaddr_in *)&ss)->sin_addr.s_addr,
				  htonl(INADDR_LOOPBACK), "a bare port is loopback");
	}
}

void test_metrics(void)
{
	if (test__start_subtest("kernel"))
		test_kernel();
	if (test__start_subtest("no_iface"))
		test_no_iface();
	if (test__start_subtest("daemon"))
		test_daemon();
	if (test__start_subtest("escape"))
		test_escape();
	if (test__start_subtest("listen"))
		test_listen();
}
