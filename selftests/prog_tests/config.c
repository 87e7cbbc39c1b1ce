// SPDX-License-Identifier: GPL-2.0
/*
 * xdpband's configuration file: every key, the defaults, [source:*] sections kept raw, and
 * each way a file can be wrong, named by FILE:LINE and key. Interfaces are only looked up:
 * "lo" exists in every network namespace, "nosuchif0" nowhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "test_progs.h"
#include "config.h"
#include "metrics.h"

#define EXAMPLE "doc/xdpban.conf.example"

/* Writes len bytes of text to a new temporary file and names it in path. */
static bool write_tmp(char *path, size_t size, const char *text, size_t len)
{
	const char *dir = getenv("TMPDIR");
	bool ok;
	int fd;

	snprintf(path, size, "%s/xdpban-conf.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (!ASSERT_GE(fd, 0, "mkstemp"))
		return false;
	ok = ASSERT_EQ(write(fd, text, len), (ssize_t)len, "write config");
	close(fd);
	if (!ok)
		unlink(path);
	return ok;
}

/* Loads text as a config file; *path (if given) names the file, which is gone after. */
static int load_text(const char *text, size_t len, struct xbd_config *cfg, char *err,
		     size_t err_size, char *path, size_t path_size)
{
	char tmp[256];
	int ret;

	if (!path) {
		path = tmp;
		path_size = sizeof(tmp);
	}
	if (!write_tmp(path, path_size, text, len))
		return -EIO;
	ret = xbd_config_load(path, cfg, err, err_size);
	unlink(path);
	return ret;
}

static void check_defaults(const struct xbd_config *cfg, const char *what)
{
	char name[128];

	snprintf(name, sizeof(name), "%s: interfaces", what);
	ASSERT_EQ(cfg->n_ifaces, 0, name);
	snprintf(name, sizeof(name), "%s: load opts", what);
	ASSERT_EQ(cfg->load.mode, XB_MODE_NONE, name);
	ASSERT_EQ(cfg->load.max_ban_v4, 0, name);
	ASSERT_EQ(cfg->load.max_ban_v6, 0, name);
	ASSERT_EQ(cfg->load.max_pfx_v4, 0, name);
	ASSERT_EQ(cfg->load.max_pfx_v6, 0, name);
	ASSERT_EQ(cfg->load.max_allow, 0, name);
	snprintf(name, sizeof(name), "%s: neverban_gateway", what);
	ASSERT_TRUE(cfg->neverban_gateway, name);
	snprintf(name, sizeof(name), "%s: log", what);
	ASSERT_EQ(cfg->log_interval_ns, XB_LOG_DEFAULT_INTERVAL_NS, name);
	ASSERT_EQ(cfg->log_burst, XB_LOG_DEFAULT_BURST, name);
	ASSERT_STREQ(cfg->log_prefix[XB_CLASS_TCP], "Denied TCP: ", name);
	ASSERT_STREQ(cfg->log_prefix[XB_CLASS_UDP], "Denied UDP: ", name);
	ASSERT_STREQ(cfg->log_prefix[XB_CLASS_ICMP], "Denied ICMP: ", name);
	ASSERT_STREQ(cfg->log_prefix[XB_CLASS_OTHER], "Denied: ", name);
	ASSERT_STREQ(cfg->log_file, "", name);
	ASSERT_TRUE(cfg->log_syslog, name);
	ASSERT_EQ(cfg->syslog_facility, LOG_DAEMON, name);
	ASSERT_EQ(cfg->syslog_level, LOG_DEBUG, name);
	snprintf(name, sizeof(name), "%s: dirs", what);
	ASSERT_STREQ(cfg->state_dir, XBD_STATE_DIR_DEFAULT, name);
	ASSERT_STREQ(cfg->pin_dir, XB_PIN_DIR_DEFAULT, name);
	ASSERT_EQ(cfg->expire_interval_s, XBD_EXPIRE_DEFAULT_S, name);
	snprintf(name, sizeof(name), "%s: metrics", what);
	ASSERT_STREQ(cfg->metrics_textfile, "", name);
	ASSERT_EQ(cfg->metrics_interval_s, XBD_METRICS_INTERVAL_DEFAULT_S, name);
	ASSERT_STREQ(cfg->metrics_listen, "", name);
	snprintf(name, sizeof(name), "%s: sources", what);
	ASSERT_EQ(cfg->n_sources, 0, name);
	ASSERT_NULL(cfg->sources, name);
	snprintf(name, sizeof(name), "%s: fleet", what);
	ASSERT_FALSE(cfg->fleet.enabled, name);
	ASSERT_TRUE(cfg->fleet.publish_all, name);
	ASSERT_TRUE(cfg->fleet.apply, name);
	ASSERT_STREQ(cfg->fleet.stream, XBD_FLEET_STREAM_DEFAULT, name);
	ASSERT_EQ(cfg->fleet.maxage_s, XBD_FLEET_MAXAGE_DEFAULT_S, name);
	ASSERT_EQ(cfg->fleet.max_bans_per_min, XBD_FLEET_MAX_BANS_PER_MIN_DEFAULT, name);
	ASSERT_EQ(cfg->fleet.queue_max, XBD_FLEET_QUEUE_MAX_DEFAULT, name);
	ASSERT_EQ(cfg->fleet.redis_port, XBD_FLEET_PORT_DEFAULT, name);
}

static void test_defaults(void)
{
	static const char *const texts[] = { "", "[xdpband]\n", "# nothing\n\n[xdpband]\n; set\n" };
	struct xbd_config cfg = {};
	char err[512];

	xbd_config_defaults(&cfg);
	check_defaults(&cfg, "xbd_config_defaults");
	ASSERT_STREQ(cfg.path, "", "no path");
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char path[256];

		if (!ASSERT_OK(load_text(texts[i], strlen(texts[i]), &cfg, err, sizeof(err), path,
					 sizeof(path)),
			       texts[i]))
			continue;
		ASSERT_STREQ(err, "", "no message");
		ASSERT_STREQ(cfg.path, path, "path kept");
		check_defaults(&cfg, texts[i]);
		for (int k = 0; k < __XBD_KEY_MAX; k++)
			ASSERT_EQ(cfg.line[k], 0, xbd_key_names[k]);
		xbd_config_free(&cfg);
	}
}

static const char full_conf[] = "[xdpband]\n"
				"interfaces = lo\n"
				"mode = generic\n"
				"max_ban_v4 = 1000\n"
				"max_ban_v6 = 2000\n"
				"max_pfx_v4 = 300\n"
				"max_pfx_v6 = 400\n"
				"max_allow = 1073741824\n"
				"log_limit = 10/minute\n"
				"log_burst = 7\n"
				"log_prefix_tcp = Blocked TCP:\n"
				"log_prefix_udp = \"  UDP> \"\n"
				"log_prefix_icmp = ICMP\n"
				"log_prefix_other = \"\"\n"
				"state_dir = /run/xdpban-test\n"
				"log_file = /var/log/xdpban/drops.log\n"
				"log_syslog = off\n"
				"syslog_facility = local3\n"
				"syslog_level = warning\n"
				"expire_interval = 1m\n"
				"pin_dir = /sys/fs/bpf/xdpban-test\n"
				"ignoreip = 192.0.2.0/24, 2001:db8::1 ::ffff:198.51.100.7\n"
				"history_retention = 12w\n"
				"metrics_textfile = /var/lib/node-exporter/xdpban.prom\n"
				"metrics_interval = 30s\n"
				"metrics_listen = [::1]:9641\n"
				"neverban_gateway = no\n";

static void test_full(void)
{
	struct xbd_config cfg = {};
	char err[512];

	if (!ASSERT_OK(load_text(full_conf, strlen(full_conf), &cfg, err, sizeof(err), NULL, 0),
		       "load"))
		return;
	if (ASSERT_EQ(cfg.n_ifaces, 1, "interfaces"))
		ASSERT_STREQ(cfg.ifaces[0], "lo", "interfaces[0]");
	ASSERT_EQ(cfg.load.mode, XB_MODE_GENERIC, "mode");
	ASSERT_EQ(cfg.load.max_ban_v4, 1000, "max_ban_v4");
	ASSERT_EQ(cfg.load.max_ban_v6, 2000, "max_ban_v6");
	ASSERT_EQ(cfg.load.max_pfx_v4, 300, "max_pfx_v4");
	ASSERT_EQ(cfg.load.max_pfx_v6, 400, "max_pfx_v6");
	ASSERT_EQ(cfg.load.max_allow, 1U << 30, "max_allow");
	ASSERT_EQ(cfg.log_interval_ns, 6000000000ULL, "log_limit");
	ASSERT_EQ(cfg.log_burst, 7, "log_burst");
	ASSERT_STREQ(cfg.log_prefix[XB_CLASS_TCP], "Blocked TCP: ", "':' gets its space back");
	ASSERT_STREQ(cfg.log_prefix[XB_CLASS_UDP], "  UDP> ", "quotes keep spaces");
	ASSERT_STREQ(cfg.log_prefix[XB_CLASS_ICMP], "ICMP", "no ':', no space");
	ASSERT_STREQ(cfg.log_prefix[XB_CLASS_OTHER], "", "empty quoted prefix");
	ASSERT_STREQ(cfg.state_dir, "/run/xdpban-test", "state_dir");
	ASSERT_STREQ(cfg.log_file, "/var/log/xdpban/drops.log", "log_file");
	ASSERT_FALSE(cfg.log_syslog, "log_syslog");
	ASSERT_EQ(cfg.syslog_facility, LOG_LOCAL3, "syslog_facility");
	ASSERT_EQ(cfg.syslog_level, LOG_WARNING, "syslog_level");
	ASSERT_EQ(cfg.expire_interval_s, 60, "expire_interval");
	ASSERT_STREQ(cfg.pin_dir, "/sys/fs/bpf/xdpban-test", "pin_dir");
	ASSERT_EQ(cfg.history_retention_s, 12 * 604800, "history_retention");
	if (ASSERT_EQ(cfg.n_ignoreip, 3, "ignoreip")) {
		ASSERT_EQ(cfg.ignoreip[0].len, 24, "ignoreip /24");
		ASSERT_EQ(cfg.ignoreip[2].family, 4, "mapped address is IPv4");
	}
	ASSERT_STREQ(cfg.metrics_textfile, "/var/lib/node-exporter/xdpban.prom",
		     "metrics_textfile");
	ASSERT_EQ(cfg.metrics_interval_s, 30, "metrics_interval");
	ASSERT_STREQ(cfg.metrics_listen, "[::1]:9641", "metrics_listen");
	ASSERT_FALSE(cfg.neverban_gateway, "neverban_gateway");
	/* The file lists the keys in enum order from line 2. */
	for (int k = 0; k < __XBD_KEY_MAX; k++)
		ASSERT_EQ(cfg.line[k], k + 2, xbd_key_names[k]);
	ASSERT_EQ(cfg.n_sources, 0, "no sources");
	xbd_config_free(&cfg);
}

/* What inih and read_line() let through: BOM, CRLF, indentation, comments, ':' pairs. */
static void test_syntax(void)
{
	static const char text[] = "\xEF\xBB\xBF# comment\r\n"
				   "; comment\n"
				   "   [xdpband]   # the daemon\n"
				   "\tmode=NATIVE\n"
				   "log_syslog: True ; comment\r\n"
				   "  log_burst   =   42   # comment\n"
				   "syslog_level = 3\n"
				   "interfaces = lo,\n"
				   "log_prefix_tcp = \"a;b#c: \"\n"
				   "log_file = /var/log/a;b#c\n"
				   "log_limit = 3/h";
	struct xbd_config cfg = {};
	char err[512];

	if (!ASSERT_OK(load_text(text, strlen(text), &cfg, err, sizeof(err), NULL, 0), err))
		return;
	ASSERT_EQ(cfg.load.mode, XB_MODE_NATIVE, "values are case-insensitive");
	ASSERT_TRUE(cfg.log_syslog, "log_syslog");
	ASSERT_EQ(cfg.line[XBD_KEY_LOG_SYSLOG], 5, "line of log_syslog");
	ASSERT_EQ(cfg.log_burst, 42, "log_burst");
	ASSERT_EQ(cfg.line[XBD_KEY_LOG_BURST], 6, "line of log_burst");
	ASSERT_EQ(cfg.syslog_level, LOG_ERR, "numeric level");
	ASSERT_EQ(cfg.n_ifaces, 1, "trailing comma");
	ASSERT_STREQ(cfg.log_prefix[XB_CLASS_TCP], "a;b#c: ", "comment chars inside a word");
	ASSERT_STREQ(cfg.log_file, "/var/log/a;b#c", "';' and '#' after no space are not comments");
	ASSERT_EQ(cfg.log_interval_ns, 1200000000000ULL, "last line without newline");
	ASSERT_EQ(cfg.line[XBD_KEY_LOG_LIMIT], 11, "line of log_limit");
	xbd_config_free(&cfg);
}

static void test_mode_native(void)
{
	static const char text[] = "[xdpband]\nmode = native\n";
	struct xbd_config cfg = {};
	char err[512];

	if (!ASSERT_OK(load_text(text, strlen(text), &cfg, err, sizeof(err), NULL, 0), err))
		return;
	ASSERT_EQ(cfg.load.mode, XB_MODE_NATIVE, "native");
	xbd_config_free(&cfg);
}

struct bad_case {
	const char *text;
	int line;
	const char *msg; /* with the key name */
};

#define X10 "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10

static const struct bad_case bad_cases[] = {
	{ "[xdpband]\nhistory_retention = 5m\n", 2,
	  "history_retention: '5m' is not a duration of 1h or more" },
	{ "[xdpband]\nfoo = 1\n", 2, "unknown key 'foo' in [xdpband]; see xdpban.conf(5)" },
	{ "[xdpband]\nignoreip = 10.0.0.0/8 10.1.2.300\n", 2,
	  "ignoreip: '10.1.2.300' is not an address or prefix" },
	{ "[xdpband]\n\nmode = turbo\n", 3, "mode: bad mode 'turbo'" },
	{ "[xdpband]\nmode =\n", 2, "mode: bad mode ''" },
	{ "[xdpband]\nmax_ban_v4 = 12x\n", 2, "max_ban_v4: bad number '12x'" },
	{ "[xdpband]\nmax_ban_v6 = -1\n", 2, "max_ban_v6: bad number '-1'" },
	{ "[xdpband]\nmax_pfx_v4 = 0x10\n", 2, "max_pfx_v4: bad number '0x10'" },
	{ "[xdpband]\nmax_pfx_v6 = 1073741825\n", 2, "max_pfx_v6: bad number '1073741825'" },
	{ "[xdpband]\nmax_allow = 99999999999999999999999\n", 2, "max_allow: bad number" },
	{ "[xdpband]\nlog_limit = 5/fortnight\n", 2, "log_limit: bad rate '5/fortnight'" },
	{ "[xdpband]\nlog_limit = 0/min\n", 2, "log_limit: rate '0/min' is out of range" },
	{ "[xdpband]\nlog_burst = 0\n", 2, "log_burst: bad number '0'; use 1 to 10000" },
	{ "[xdpband]\nlog_burst = 10001\n", 2, "log_burst: bad number '10001'" },
	{ "[xdpband]\nlog_prefix_tcp = \"Denied TCP: \n", 2,
	  "log_prefix_tcp: '\"Denied TCP:' opens a quote" },
	{ "[xdpband]\nlog_prefix_udp = \"012345678901234567890123456789\"\n", 2,
	  "log_prefix_udp: '\"012345678901234567890123456789\"' makes a 30-byte prefix" },
	{ "[xdpband]\nlog_prefix_icmp = 0123456789012345678901234567:\n", 2,
	  "log_prefix_icmp: '0123456789012345678901234567:' makes a 30-byte prefix" },
	{ "[xdpband]\nlog_prefix_other = \"a\tb\"\n", 2,
	  "log_prefix_other: byte 0x09 is not printable" },
	{ "[xdpband]\nlog_prefix_other = Dropped\xc3\xa9:\n", 2,
	  "log_prefix_other: byte 0xc3 is not printable" },
	{ "[xdpband]\nstate_dir = var/lib/xdpban\n", 2,
	  "state_dir: 'var/lib/xdpban' is not an absolute path" },
	{ "[xdpband]\nstate_dir =\n", 2, "state_dir: '' is not an absolute path" },
	{ "[xdpband]\nlog_file = drops.log\n", 2, "log_file: 'drops.log' is not an absolute path" },
	{ "[xdpband]\npin_dir = sys/fs/bpf\n", 2, "pin_dir: 'sys/fs/bpf' is not an absolute path" },
	{ "[xdpband]\nlog_syslog = maybe\n", 2, "log_syslog: bad boolean 'maybe'" },
	{ "[xdpband]\nmetrics_textfile = xdpban.prom\n", 2,
	  "metrics_textfile: 'xdpban.prom' is not an absolute path" },
	{ "[xdpband]\nmetrics_interval = 0s\n", 2, "metrics_interval: '0s' is out of range" },
	{ "[xdpband]\nmetrics_listen = ::1:9641\n", 2, "metrics_listen: bad address '::1:9641'" },
	{ "[xdpband]\nmetrics_listen = 127.0.0.1\n", 2, "metrics_listen: bad address" },
	{ "[xdpband]\nmetrics_listen = 127.0.0.1:65536\n", 2, "metrics_listen: bad address" },
	{ "[xdpband]\nmetrics_listen = example.com:80\n", 2, "metrics_listen: bad address" },
	{ "[xdpband]\nsyslog_facility = local8\n", 2,
	  "syslog_facility: unknown facility 'local8'" },
	{ "[xdpband]\nsyslog_level = 8\n", 2, "syslog_level: unknown level '8'" },
	{ "[xdpband]\nsyslog_level = loud\n", 2, "syslog_level: unknown level 'loud'" },
	{ "[xdpband]\nexpire_interval = soon\n", 2, "expire_interval: bad duration 'soon'" },
	{ "[xdpband]\nexpire_interval = 0\n", 2, "expire_interval: '0' is out of range" },
	{ "[xdpband]\nexpire_interval = 1h1s\n", 2, "expire_interval: '1h1s' is out of range" },
	{ "[xdpband]\ninterfaces = nosuchif0\n", 2, "interfaces: no interface 'nosuchif0' here" },
	{ "[xdpband]\ninterfaces = lo nosuchif0\n", 2,
	  "interfaces: no interface 'nosuchif0' here" },
	{ "[xdpband]\ninterfaces = lo lo\n", 2, "interfaces: 'lo' is listed twice" },
	{ "[xdpband]\ninterfaces = abcdefghijklmnop\n", 2,
	  "interfaces: 'abcdefghijklmnop' is longer than an interface name" },
	{ "[xdpband]\nmode = auto\nlog_burst = 1\nmode = native\n", 4,
	  "duplicate key 'mode', first set on line 2" },
	{ "[xdpband]\nmode = auto\n[xdpband]\nmode = native\n", 4,
	  "duplicate key 'mode', first set on line 2" },
	{ "# top\nmode = auto\n[xdpband]\n", 2, "key 'mode' is outside any section" },
	{ "[xdpband]\n[foo]\nx = 1\n", 2, "unknown section '[foo]'" },
	{ "[Xdpband]\n", 1, "unknown section '[Xdpband]'" },
	{ "[xdpband]\njunk\n", 2, "'junk' is not 'key = value'" },
	{ "[xdpband\nmode = auto\n", 1, "section header '[xdpband' has no closing ']'" },
	{ "[xdpband] x\n", 1, "text after ']'" },
	{ "[xdpband]\n= 5\n", 2, "'= 5' has no key before '='" },
	/* No continuation lines: an indented line is a line of its own. */
	{ "[xdpband]\nmode = auto\n   native\n", 3, "'native' is not 'key = value'" },
	/* Comments and blank lines count; the line of the error is the line of the key. */
	{ "# one\n; two\n\n[xdpband]\n  # five\nmode = auto ; six\nlog_burst = x\n", 7,
	  "log_burst: bad number 'x'" },
	{ "[xdpband]\nlog_file = /" X100 X100 "\n", 2, "line is longer than 197 bytes" },
	{ "[source:a]\nk = v\n[source:b]\n[source:a]\n", 4,
	  "duplicate section [source:a], first on line 1" },
	{ "[source:a b]\n", 1, "source name 'a b' has ' '" },
	{ "[source:]\n", 1, "source name must be 1 to 63 bytes" },
	{ "[source:x]\nk = v\n[xdpband]\nbogus = 1\n", 4, "unknown key 'bogus'" },
	/* [fleet] */
	{ "[fleet]\nredis = /run/redis.sock\n", 1, "[fleet] needs 'key_file = /path/to/key'" },
	{ "\n[fleet]\nkey_file = /k\n", 2, "[fleet] needs 'redis = HOST:PORT'" },
	{ "[fleet]\nredis = /r.sock\nkey_file = /k\nfoo = 1\n", 4, "unknown key 'foo' in [fleet]" },
	{ "[fleet]\nredis = /r.sock\nkey_file = /k\nredis = /s.sock\n", 4,
	  "duplicate key 'redis', first set on line 2" },
	{ "[fleet]\nredis =\n", 2, "redis: empty; use HOST:PORT or /path/to/redis.sock" },
	{ "[fleet]\nredis = :6379\n", 2, "redis: ':6379' has no host" },
	{ "[fleet]\nredis = redis.example:0\n", 2, "redis: bad port in 'redis.example:0'" },
	{ "[fleet]\nredis = redis.example:65536\n", 2, "redis: bad port" },
	{ "[fleet]\nredis = redis.example:63x\n", 2, "redis: bad port" },
	{ "[fleet]\nredis = ::1:6379\n", 2,
	  "redis: '::1:6379': write an IPv6 address as [ADDR]:PORT" },
	{ "[fleet]\nredis = [::1\n", 2, "redis: '[::1': write an IPv6 address as [ADDR]:PORT" },
	{ "[fleet]\nredis = red/is:1\n", 2, "redis: 'red/is:1' is not a host name or address" },
	{ "[fleet]\nredis = /" X100 X10 "\n", 2, "redis: socket path is longer than 107 bytes" },
	{ "[fleet]\ntls = yes\n", 2, "tls: TLS is not implemented" },
	{ "[fleet]\ntls = perhaps\n", 2, "tls: bad boolean 'perhaps'" },
	{ "[fleet]\nnode = edge 1\n", 2, "node: 'edge 1' is not a node name" },
	{ "[fleet]\nnode = edge/1\n", 2, "node: 'edge/1' is not a node name" },
	{ "[fleet]\nkey_file = fleet.key\n", 2, "key_file: 'fleet.key' is not an absolute path" },
	{ "[fleet]\npublish = web ssh/d\n", 2, "publish: 'ssh/d' is not a source name" },
	{ "[fleet]\nredis = /r.sock\nkey_file = /k\npublish = web\n", 4,
	  "publish: no [source:web] in this file" },
	{ "[fleet]\napply = sometimes\n", 2, "apply: bad boolean 'sometimes'" },
	{ "[fleet]\nstream = xdp ban\n", 2, "stream: byte 0x20 is not allowed" },
	{ "[fleet]\nmaxage = 0\n", 2, "maxage: '0' is out of range" },
	{ "[fleet]\nmaxage = 2y\n", 2, "maxage: bad duration '2y'" },
	{ "[fleet]\nmaxage = 367d\n", 2, "maxage: '367d' is out of range" },
	{ "[fleet]\nmax_bans_per_minute = -1\n", 2, "max_bans_per_minute: bad number '-1'" },
	{ "[fleet]\nqueue_max = 0\n", 2, "queue_max: bad number '0'; use 1 to 1000000" },
	{ "[fleet]\npassword = a\001b\n", 2, "password: byte 0x01 is not allowed" },
	{ "[fleets]\n", 1, "unknown section '[fleets]'; use [xdpband], [fleet] or [source:NAME]" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char path[256], where[300], err[512];
		struct xbd_config cfg = {};
		int ret;

		ret = load_text(c->text, strlen(c->text), &cfg, err, sizeof(err), path,
				sizeof(path));
		if (!ASSERT_EQ(ret, -EINVAL, c->msg))
			continue;
		snprintf(where, sizeof(where), "%s:%d: ", path, c->line);
		ASSERT_HAS_SUBSTR(err, where, c->msg);
		ASSERT_HAS_SUBSTR(err, c->msg, c->msg);
		ASSERT_EQ(cfg.n_sources, 0, "nothing kept after an error");
		ASSERT_EQ(cfg.line[XBD_KEY_MODE], 0, "defaults after an error");
		xbd_config_free(&cfg);
	}
}

static void test_nul(void)
{
	static const char text[] = "[xdpband]\nmode = a\0uto\n";
	struct xbd_config cfg = {};
	char path[256], where[300], err[512];

	ASSERT_EQ(load_text(text, sizeof(text) - 1, &cfg, err, sizeof(err), path, sizeof(path)),
		  -EINVAL, "NUL byte");
	snprintf(where, sizeof(where), "%s:2: NUL byte", path);
	ASSERT_HAS_SUBSTR(err, where, "NUL byte message");
}

static void test_interfaces(void)
{
	static const char text[] = "[xdpband]\ninterfaces = lo\t, \n";
	struct xbd_config cfg = {};
	char err[512];

	if (!ASSERT_OK(load_text(text, strlen(text), &cfg, err, sizeof(err), NULL, 0), err))
		return;
	if (ASSERT_EQ(cfg.n_ifaces, 1, "one interface"))
		ASSERT_STREQ(cfg.ifaces[0], "lo", "lo");
	ASSERT_EQ(cfg.line[XBD_KEY_INTERFACES], 2, "line of interfaces");
	xbd_config_free(&cfg);
}

static const char sources_conf[] = "[source:spamd]\n"
				   "path = /var/log/spamd.log\n"
				   "; comment\n"
				   "regex = foo (.*) ; comment\n"
				   "regex = bar: \"baz\"\n"
				   "[xdpband]\n"
				   "mode = native\n"
				   "[source:empty]\n"
				   "\n"
				   "[source:fail2ban.ssh-1]\n"
				   "enabled = yes\n";

static void check_kv(const struct xbd_source_raw *s, size_t i, const char *key, const char *value,
		     int line)
{
	if (!ASSERT_LT(i, s->n, key))
		return;
	ASSERT_STREQ(s->kv[i].key, key, key);
	ASSERT_STREQ(s->kv[i].value, value, key);
	ASSERT_EQ(s->kv[i].line, line, key);
}

static void test_sources(void)
{
	struct xbd_config cfg = {};
	char err[512];

	if (!ASSERT_OK(
		    load_text(sources_conf, strlen(sources_conf), &cfg, err, sizeof(err), NULL, 0),
		    err))
		return;
	ASSERT_EQ(cfg.load.mode, XB_MODE_NATIVE, "[xdpband] between sources");
	ASSERT_EQ(cfg.line[XBD_KEY_MODE], 7, "line of mode");
	if (!ASSERT_EQ(cfg.n_sources, 3, "three sources"))
		goto cleanup;
	ASSERT_STREQ(cfg.sources[0].name, "spamd", "name 0");
	ASSERT_EQ(cfg.sources[0].line, 1, "line 0");
	ASSERT_EQ(cfg.sources[0].n, 3, "keys 0");
	check_kv(&cfg.sources[0], 0, "path", "/var/log/spamd.log", 2);
	check_kv(&cfg.sources[0], 1, "regex", "foo (.*)", 4);
	check_kv(&cfg.sources[0], 2, "regex", "bar: \"baz\"", 5);
	ASSERT_STREQ(cfg.sources[1].name, "empty", "name 1");
	ASSERT_EQ(cfg.sources[1].line, 8, "line 1");
	ASSERT_EQ(cfg.sources[1].n, 0, "keys 1");
	ASSERT_STREQ(cfg.sources[2].name, "fail2ban.ssh-1", "name 2");
	ASSERT_EQ(cfg.sources[2].line, 10, "line 2");
	ASSERT_EQ(cfg.sources[2].n, 1, "keys 2");
	check_kv(&cfg.sources[2], 0, "enabled", "yes", 11);
cleanup:
	xbd_config_free(&cfg);
	ASSERT_EQ(cfg.n_sources, 0, "freed");
	xbd_config_free(&cfg);
}

static const char fleet_conf[] = "[source:web]\n"
				 "type = regex\n"
				 "[fleet]\n"
				 "redis = [2001:db8::6]:6380\n"
				 "password = s3cret with spaces\n"
				 "tls = no\n"
				 "node = edge-1.fra\n"
				 "key_file = /etc/xdpban/fleet.key\n"
				 "publish = web\n"
				 "apply = no\n"
				 "stream = {xdpban}:bans\n"
				 "maxage = 12h\n"
				 "max_bans_per_minute = 0\n"
				 "queue_max = 50\n"
				 "[xdpband]\n"
				 "mode = native\n";

static void test_fleet(void)
{
	struct xbd_config cfg = {};
	const struct xbd_fleet_config *fc = &cfg.fleet;
	char err[512];

	if (!ASSERT_OK(load_text(fleet_conf, strlen(fleet_conf), &cfg, err, sizeof(err), NULL, 0),
		       err))
		return;
	ASSERT_TRUE(fc->enabled, "enabled");
	ASSERT_EQ(fc->section_line, 3, "section line");
	ASSERT_STREQ(fc->redis, "[2001:db8::6]:6380", "redis as written");
	ASSERT_STREQ(fc->redis_host, "2001:db8::6", "IPv6 host");
	ASSERT_EQ(fc->redis_port, 6380, "port");
	ASSERT_STREQ(fc->redis_unix, "", "not a socket");
	ASSERT_STREQ(fc->password, "s3cret with spaces", "password");
	ASSERT_FALSE(fc->tls, "tls");
	ASSERT_STREQ(fc->node, "edge-1.fra", "node");
	ASSERT_STREQ(fc->key_file, "/etc/xdpban/fleet.key", "key_file");
	ASSERT_FALSE(fc->publish_all, "publish: not all");
	if (ASSERT_EQ(fc->n_publish, 1, "publish: one"))
		ASSERT_STREQ(fc->publish[0], "web", "publish[0]");
	ASSERT_FALSE(fc->apply, "apply");
	ASSERT_STREQ(fc->stream, "{xdpban}:bans", "stream with a cluster hash tag");
	ASSERT_EQ(fc->maxage_s, 12 * 3600, "maxage");
	ASSERT_EQ(fc->max_bans_per_min, 0, "no cap");
	ASSERT_EQ(fc->queue_max, 50, "queue_max");
	for (int k = 0; k < __XBD_FLEET_KEY_MAX; k++)
		ASSERT_EQ(fc->line[k], k + 4, xbd_fleet_key_names[k]);
	ASSERT_EQ(cfg.load.mode, XB_MODE_NATIVE, "[xdpband] after [fleet]");
	xbd_config_free(&cfg);
}

/* The forms of redis =, and the special publish values. */
static void test_fleet_forms(void)
{
	static const struct {
		const char *text, *unix_path, *host;
		int port;
		bool all;
		size_t n_publish;
	} cases[] = {
		{ "redis = /run/redis/redis.sock", "/run/redis/redis.sock", "", 6379, true, 0 },
		{ "redis = 10.0.0.5", "", "10.0.0.5", 6379, true, 0 },
		{ "redis = redis.internal:7000\npublish = none", "", "redis.internal", 7000, false,
		  0 },
		{ "redis = [::1]\npublish = *", "", "::1", 6379, true, 0 },
		{ "redis = 127.0.0.1:6379\npublish = all", "", "127.0.0.1", 6379, true, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xbd_config cfg = {};
		char text[256], err[512];

		snprintf(text, sizeof(text), "[fleet]\nkey_file = /k\n%s\n", cases[i].text);
		if (!ASSERT_OK(load_text(text, strlen(text), &cfg, err, sizeof(err), NULL, 0), err))
			continue;
		ASSERT_STREQ(cfg.fleet.redis_unix, cases[i].unix_path, cases[i].text);
		ASSERT_STREQ(cfg.fleet.redis_host, cases[i].host, cases[i].text);
		ASSERT_EQ(cfg.fleet.redis_port, cases[i].port, cases[i].text);
		ASSERT_EQ(cfg.fleet.publish_all, cases[i].all, cases[i].text);
		ASSERT_EQ(cfg.fleet.n_publish, cases[i].n_publish, cases[i].text);
		ASSERT_STREQ(cfg.fleet.node, "", "node: the host name, found at start");
		xbd_config_free(&cfg);
	}
}

static void test_files(void)
{
	char dir[256], path[300], err[512];
	struct xbd_config cfg = {};

	snprintf(dir, sizeof(dir), "%s/xdpban-conf.XXXXXX", "/tmp");
	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ASSERT_EQ(xbd_config_load(path, &cfg, err, sizeof(err)), -ENOENT, "missing file");
	ASSERT_HAS_SUBSTR(err, path, "message names the file");
	ASSERT_EQ(xbd_config_load(dir, &cfg, err, sizeof(err)), -EISDIR, "a directory");
	ASSERT_HAS_SUBSTR(err, "cannot read", "directory message");
	ASSERT_EQ(xbd_config_load(path, &cfg, NULL, 0), -ENOENT, "no message buffer");
	rmdir(dir);
}

/* The example documents every key at its default, so it must parse to the defaults. */
static void test_example(void)
{
	const char *me = __FILE__, *tail = strstr(me, "selftests/prog_tests/");
	char path[512], err[512];
	struct xbd_config cfg = {};

	snprintf(path, sizeof(path), "%s", EXAMPLE);
	if (access(path, R_OK) && tail)
		snprintf(path, sizeof(path), "%.*s%s", (int)(tail - me), me, EXAMPLE);
	if (access(path, R_OK)) {
		test__skip("cannot find " EXAMPLE "; run from the top of the tree");
		return;
	}
	if (!ASSERT_OK(xbd_config_load(path, &cfg, err, sizeof(err)), err))
		return;
	check_defaults(&cfg, "example");
	for (int k = 0; k < __XBD_KEY_MAX; k++)
		ASSERT_NEQ(cfg.line[k], 0, xbd_key_names[k]);
	xbd_config_free(&cfg);
}

void test_config(void)
{
	if (test__start_subtest("defaults"))
		test_defaults();
	if (test__start_subtest("full"))
		test_full();
	if (test__start_subtest("syntax"))
		test_syntax();
	if (test__start_subtest("mode_native"))
		test_mode_native();
	if (test__start_subtest("bad"))
		test_bad();
	if (test__start_subtest("nul"))
		test_nul();
	if (test__start_subtest("interfaces"))
		test_interfaces();
	if (test__start_subtest("sources"))
		test_sources();
	if (test__start_subtest("fleet"))
		test_fleet();
	if (test__start_subtest("fleet_forms"))
		test_fleet_forms();
	if (test__start_subtest("files"))
		test_files();
	if (test__start_subtest("example"))
		test_example();
}
