// SPDX-License-Identifier: GPL-2.0
/*
 * xdpband's INI configuration, read with inih (ini_parse_stream).
 *
 * inih's handler gets no line number, never hears of a section without keys, and treats an
 * indented line as the continuation of the previous value. So inih reads through
 * read_line(), which counts lines, drops comments (';' and '#', at the start or after
 * whitespace), removes indentation, checks every line's shape and tracks the section; the
 * handler then knows its line, and inih only ever sees lines it accepts. Parsing stops at
 * the first error, whose message names FILE:LINE and the key.
 */
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/types.h>
#include <ini.h>
#include "config.h"
#include "metrics.h"

_Static_assert(XBD_PIN_DIR_LEN == sizeof(((struct xb_maps *)0)->pin_dir),
	       "pin_dir must fit struct xb_maps");
_Static_assert(XB_IFNAME_LEN == IF_NAMESIZE, "interface names as the kernel's");

const char *const xbd_key_names[__XBD_KEY_MAX] = {
	[XBD_KEY_INTERFACES] = "interfaces",
	[XBD_KEY_MODE] = "mode",
	[XBD_KEY_MAX_BAN_V4] = "max_ban_v4",
	[XBD_KEY_MAX_BAN_V6] = "max_ban_v6",
	[XBD_KEY_MAX_PFX_V4] = "max_pfx_v4",
	[XBD_KEY_MAX_PFX_V6] = "max_pfx_v6",
	[XBD_KEY_MAX_ALLOW] = "max_allow",
	[XBD_KEY_LOG_LIMIT] = "log_limit",
	[XBD_KEY_LOG_BURST] = "log_burst",
	[XBD_KEY_LOG_PREFIX_TCP] = "log_prefix_tcp",
	[XBD_KEY_LOG_PREFIX_UDP] = "log_prefix_udp",
	[XBD_KEY_LOG_PREFIX_ICMP] = "log_prefix_icmp",
	[XBD_KEY_LOG_PREFIX_OTHER] = "log_prefix_other",
	[XBD_KEY_STATE_DIR] = "state_dir",
	[XBD_KEY_LOG_FILE] = "log_file",
	[XBD_KEY_LOG_SYSLOG] = "log_syslog",
	[XBD_KEY_SYSLOG_FACILITY] = "syslog_facility",
	[XBD_KEY_SYSLOG_LEVEL] = "syslog_level",
	[XBD_KEY_EXPIRE_INTERVAL] = "expire_interval",
	[XBD_KEY_PIN_DIR] = "pin_dir",
	[XBD_KEY_IGNOREIP] = "ignoreip",
	[XBD_KEY_HISTORY_RETENTION] = "history_retention",
	[XBD_KEY_METRICS_TEXTFILE] = "metrics_textfile",
	[XBD_KEY_METRICS_INTERVAL] = "metrics_interval",
	[XBD_KEY_METRICS_LISTEN] = "metrics_listen",
	[XBD_KEY_NEVERBAN_GATEWAY] = "neverban_gateway",
};

/* The seed's iptables LOG prefixes, by enum xb_log_class. */
static const char *const default_prefixes[__XB_CLASS_MAX] = {
	[XB_CLASS_TCP] = "Denied TCP: ",
	[XB_CLASS_UDP] = "Denied UDP: ",
	[XB_CLASS_ICMP] = "Denied ICMP: ",
	[XB_CLASS_OTHER] = "Denied: ",
};

struct name_val {
	const char *name;
	int val;
};

static const struct name_val facilities[] = {
	{ "kern", LOG_KERN },	  { "user", LOG_USER },		{ "mail", LOG_MAIL },
	{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },		{ "syslog", LOG_SYSLOG },
	{ "lpr", LOG_LPR },	  { "news", LOG_NEWS },		{ "uucp", LOG_UUCP },
	{ "cron", LOG_CRON },	  { "authpriv", LOG_AUTHPRIV }, { "ftp", LOG_FTP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* syslog.conf's names, and iptables' "error" and "warn". */
static const struct name_val levels[] = {
	{ "emerg", LOG_EMERG },	 { "alert", LOG_ALERT },   { "crit", LOG_CRIT },
	{ "err", LOG_ERR },	 { "error", LOG_ERR },	   { "warning", LOG_WARNING },
	{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

static const struct name_val bools[] = {
	{ "yes", 1 }, { "true", 1 },  { "on", 1 },  { "1", 1 },
	{ "no", 0 },  { "false", 0 }, { "off", 0 }, { "0", 0 },
};

enum section { SECT_NONE, SECT_MAIN, SECT_SOURCE, SECT_FLEET };

struct parse_state {
	struct xbd_config *cfg;
	const char *path;
	FILE *file;
	char *buf; /* getline()'s */
	size_t cap;
	int line; /* of the line inih holds */
	enum section sect;
	const char *key; /* the [xdpband] key being parsed, for messages */
	char source_key[64]; /* the last key of a [source:NAME], for continuation lines */
	int err; /* the first error, -errno; 0 = none yet */
	int err_line;
	char *msg;
	size_t msg_size;
};

/* Records the first error only: "PATH:LINE: KEY: <fmt>"; line 0 and key NULL are left out. */
static int vfail(struct parse_state *st, int line, const char *key, int err, const char *fmt,
		 va_list ap)
{
	int n;

	if (st->err)
		return st->err;
	st->err = err;
	st->err_line = line;
	if (!st->msg_size)
		return err;
	if (line > 0)
		n = snprintf(st->msg, st->msg_size, "%s:%d: ", st->path, line);
	else
		n = snprintf(st->msg, st->msg_size, "%s: ", st->path);
	if (n >= 0 && (size_t)n < st->msg_size && key)
		n += snprintf(st->msg + n, st->msg_size - (size_t)n, "%s: ", key);
	if (n >= 0 && (size_t)n < st->msg_size)
		vsnprintf(st->msg + n, st->msg_size - (size_t)n, fmt, ap);
	return err;
}

static int fail_at(struct parse_state *st, int line, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(struct parse_state *st, int line, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(st, line, NULL, err, fmt, ap);
	va_end(ap);
	return err;
}

/* An error on the current line, not tied to a key's value. */
static int fail(struct parse_state *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct parse_state *st, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(st, st->line, NULL, err, fmt, ap);
	va_end(ap);
	return err;
}

/* A bad value of the current key: -EINVAL, "PATH:LINE: KEY: <fmt>". */
static int bad(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vfail(st, st->line, st->key, -EINVAL, fmt, ap);
	va_end(ap);
	return err;
}

/* ---- values ---- */

static int lookup(const struct name_val *tab, size_t n, const char *name, int *val)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcasecmp(tab[i].name, name)) {
			*val = tab[i].val;
			return 0;
		}
	}
	return -EINVAL;
}

/* Decimal digits only; -ERANGE above max (which must stay below 2^60). */
static int parse_uint(const char *s, __u64 max, __u64 *out)
{
	__u64 v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (__u64)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_interfaces(struct parse_state *st, const char *v)
{
	struct xbd_config *cfg = st->cfg;
	char name[XB_IFNAME_LEN];
	size_t len;

	cfg->n_ifaces = 0;
	for (v += strspn(v, " \t,"); *v; v += len, v += strspn(v, " \t,")) {
		len = strcspn(v, " \t,");
		if (len >= sizeof(name))
			return bad(st, "'%.*s' is longer than an interface name (%zu bytes)",
				   (int)len, v, sizeof(name) - 1);
		memcpy(name, v, len);
		name[len] = '\0';
		for (size_t i = 0; i < cfg->n_ifaces; i++)
			if (!strcmp(cfg->ifaces[i], name))
				return bad(st, "'%s' is listed twice", name);
		if (cfg->n_ifaces == XB_MAX_IFACES)
			return bad(st, "more than %d interfaces", XB_MAX_IFACES);
		if (!if_nametoindex(name)) {
			if (errno != ENODEV && errno != ENXIO)
				return fail(st, -errno, "%s: cannot look up interface '%s': %s",
					    st->key, name, strerror(errno));
			return bad(st, "no interface '%s' here", name);
		}
		memcpy(cfg->ifaces[cfg->n_ifaces++], name, len + 1);
	}
	return 0;
}

static int parse_mode(struct parse_state *st, const char *v, enum xb_xdp_mode *mode)
{
	if (!strcasecmp(v, "auto"))
		*mode = XB_MODE_NONE;
	else if (!strcasecmp(v, "native"))
		*mode = XB_MODE_NATIVE;
	else if (!strcasecmp(v, "generic"))
		*mode = XB_MODE_GENERIC;
	else
		return bad(st, "bad mode '%s'; use auto, native or generic", v);
	return 0;
}

static int parse_capacity(struct parse_state *st, const char *v, __u32 *out)
{
	__u64 n;

	if (parse_uint(v, XBD_CAPACITY_MAX, &n))
		return bad(st, "bad number '%s'; use 1 to %u entries, or 0 for the default", v,
			   XBD_CAPACITY_MAX);
	*out = (__u32)n;
	return 0;
}

static int parse_rate(struct parse_state *st, const char *v, __u64 *interval_ns)
{
	int err = xb_rate_parse(v, interval_ns);

	if (err == -ERANGE)
		return bad(st, "rate '%s' is out of range; use 1/day up to 10000/second", v);
	if (err)
		return bad(st, "bad rate '%s'; use N/second, N/minute, N/hour or N/day, e.g. 5/min",
			   v);
	return 0;
}

static int parse_burst(struct parse_state *st, const char *v, __u32 *burst)
{
	__u64 n;

	if (parse_uint(v, XBD_LOG_BURST_MAX, &n) || !n)
		return bad(st, "bad number '%s'; use 1 to %d", v, XBD_LOG_BURST_MAX);
	*burst = (__u32)n;
	return 0;
}

/*
 * inih strips the spaces around a value, so an unquoted prefix ending in ':' gets its space
 * back; a quoted one is taken exactly as written between the quotes.
 */
static int parse_prefix(struct parse_state *st, const char *v, char out[XBD_LOG_PREFIX_LEN])
{
	size_t len = strlen(v);
	bool quoted = v[0] == '"', space;

	if (quoted && (len < 2 || v[len - 1] != '"'))
		return bad(st, "'%s' opens a quote but does not end with one", v);
	if (quoted)
		len -= 2;
	space = !quoted && len && v[len - 1] == ':';
	if (len + space > XBD_LOG_PREFIX_LEN - 1)
		return bad(st, "'%s' makes a %zu-byte prefix; at most %d fit, as in iptables' LOG",
			   v, len + space, XBD_LOG_PREFIX_LEN - 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[quoted + i];

		if (c < 0x20 || c > 0x7e)
			return bad(st, "byte 0x%02x is not printable ASCII; use plain text", c);
	}
	memcpy(out, v + quoted, len);
	if (space)
		out[len++] = ' ';
	out[len] = '\0';
	return 0;
}

static int parse_path(struct parse_state *st, const char *v, char *out, size_t size, bool empty_ok)
{
	if (!*v && empty_ok) {
		out[0] = '\0';
		return 0;
	}
	if (v[0] != '/')
		return bad(st, "'%s' is not an absolute path; start it with '/'", v);
	if (strlen(v) >= size)
		return bad(st, "path is longer than %zu bytes", size - 1);
	strcpy(out, v);
	return 0;
}

static int parse_bool(struct parse_state *st, const char *v, bool *out)
{
	int val;

	if (lookup(bools, sizeof(bools) / sizeof(bools[0]), v, &val))
		return bad(st, "bad boolean '%s'; use yes or no", v);
	*out = val;
	return 0;
}

static int parse_facility(struct parse_state *st, const char *v, int *out)
{
	static const char names[] = "kern, user, mail, daemon, auth, syslog, lpr, news, uucp, "
				    "cron, authpriv, ftp or local0 to local7";

	if (lookup(facilities, sizeof(facilities) / sizeof(facilities[0]), v, out))
		return bad(st, "unknown facility '%s'; use %s", v, names);
	return 0;
}

static int parse_level(struct parse_state *st, const char *v, int *out)
{
	static const char names[] =
		"emerg, alert, crit, err, warning, notice, info, debug or 0 to 7";

	if (v[0] >= '0' && v[0] <= '7' && !v[1]) {
		*out = v[0] - '0';
		return 0;
	}
	if (lookup(levels, sizeof(levels) / sizeof(levels[0]), v, out))
		return bad(st, "unknown level '%s'; use %s", v, names);
	return 0;
}

static int parse_interval(struct parse_state *st, const char *v, __u64 *seconds)
{
	int err = xb_duration_parse(v, seconds);

	if (err == -EINVAL)
		return bad(st, "bad duration '%s'; use e.g. 5s, 30s or 1m", v);
	if (err || *seconds < 1 || *seconds > XBD_EXPIRE_MAX_S)
		return bad(st, "'%s' is out of range; use 1s to 1h", v);
	return 0;
}

static int parse_listen(struct parse_state *st, const char *v, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (*v && xbd_metrics_parse_listen(v, &ss, &len))
		return bad(st, "bad address '%s'; use PORT (loopback), ADDR:PORT or [ADDR6]:PORT",
			   v);
	if (strlen(v) >= size)
		return bad(st, "address is longer than %zu bytes", size - 1);
	strcpy(out, v);
	return 0;
}

/* Space- or comma-separated addresses and prefixes, as fail2ban's ignoreip. */
int xbd_parse_prefix_list(const char *v, struct xb_prefix *out, size_t max, size_t *n,
			  char *bad_item, size_t bad_size)
{
	char buf[1024], *save = NULL;

	*n = 0;
	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf))
		return -E2BIG;
	for (char *t = strtok_r(buf, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		if (*n >= max)
			return -E2BIG;
		if (xb_prefix_parse(t, &out[*n], NULL)) {
			snprintf(bad_item, bad_size, "%s", t);
			return -EINVAL;
		}
		(*n)++;
	}
	return 0;
}

static int parse_ignoreip(struct parse_state *st, const char *v)
{
	char item[64] = "";
	int err = xbd_parse_prefix_list(v, st->cfg->ignoreip, XBD_IGNORE_MAX, &st->cfg->n_ignoreip,
					item, sizeof(item));

	if (err == -E2BIG)
		return bad(st, "at most %d addresses or prefixes", XBD_IGNORE_MAX);
	if (err)
		return bad(st, "'%s' is not an address or prefix", item);
	return 0;
}

static int parse_retention(struct parse_state *st, const char *v, __u64 *s)
{
	if (xb_duration_parse(v, s) || *s < 3600)
		return bad(st, "'%s' is not a duration of 1h or more (30d, 12w)", v);
	return 0;
}

static int parse_value(struct parse_state *st, enum xbd_key key, const char *v)
{
	struct xbd_config *cfg = st->cfg;

	switch (key) {
	case XBD_KEY_INTERFACES:
		return parse_interfaces(st, v);
	case XBD_KEY_MODE:
		return parse_mode(st, v, &cfg->load.mode);
	case XBD_KEY_MAX_BAN_V4:
		return parse_capacity(st, v, &cfg->load.max_ban_v4);
	case XBD_KEY_MAX_BAN_V6:
		return parse_capacity(st, v, &cfg->load.max_ban_v6);
	case XBD_KEY_MAX_PFX_V4:
		return parse_capacity(st, v, &cfg->load.max_pfx_v4);
	case XBD_KEY_MAX_PFX_V6:
		return parse_capacity(st, v, &cfg->load.max_pfx_v6);
	case XBD_KEY_MAX_ALLOW:
		return parse_capacity(st, v, &cfg->load.max_allow);
	case XBD_KEY_LOG_LIMIT:
		return parse_rate(st, v, &cfg->log_interval_ns);
	case XBD_KEY_LOG_BURST:
		return parse_burst(st, v, &cfg->log_burst);
	case XBD_KEY_LOG_PREFIX_TCP:
		return parse_prefix(st, v, cfg->log_prefix[XB_CLASS_TCP]);
	case XBD_KEY_LOG_PREFIX_UDP:
		return parse_prefix(st, v, cfg->log_prefix[XB_CLASS_UDP]);
	case XBD_KEY_LOG_PREFIX_ICMP:
		return parse_prefix(st, v, cfg->log_prefix[XB_CLASS_ICMP]);
	case XBD_KEY_LOG_PREFIX_OTHER:
		return parse_prefix(st, v, cfg->log_prefix[XB_CLASS_OTHER]);
	case XBD_KEY_STATE_DIR:
		return parse_path(st, v, cfg->state_dir, sizeof(cfg->state_dir), false);
	case XBD_KEY_LOG_FILE:
		return parse_path(st, v, cfg->log_file, sizeof(cfg->log_file), true);
	case XBD_KEY_LOG_SYSLOG:
		return parse_bool(st, v, &cfg->log_syslog);
	case XBD_KEY_NEVERBAN_GATEWAY:
		return parse_bool(st, v, &cfg->neverban_gateway);
	case XBD_KEY_SYSLOG_FACILITY:
		return parse_facility(st, v, &cfg->syslog_facility);
	case XBD_KEY_SYSLOG_LEVEL:
		return parse_level(st, v, &cfg->syslog_level);
	case XBD_KEY_EXPIRE_INTERVAL:
		return parse_interval(st, v, &cfg->expire_interval_s);
	case XBD_KEY_PIN_DIR:
		return parse_path(st, v, cfg->pin_dir, sizeof(cfg->pin_dir), false);
	case XBD_KEY_IGNOREIP:
		return parse_ignoreip(st, v);
	case XBD_KEY_HISTORY_RETENTION:
		return parse_retention(st, v, &cfg->history_retention_s);
	case XBD_KEY_METRICS_TEXTFILE:
		return parse_path(st, v, cfg->metrics_textfile, sizeof(cfg->metrics_textfile),
				  true);
	case XBD_KEY_METRICS_INTERVAL:
		return parse_interval(st, v, &cfg->metrics_interval_s);
	case XBD_KEY_METRICS_LISTEN:
		return parse_listen(st, v, cfg->metrics_listen, sizeof(cfg->metrics_listen));
	case __XBD_KEY_MAX:
		break;
	}
	return -EINVAL;
}

static int set_key(struct parse_state *st, const char *name, const char *value)
{
	struct xbd_config *cfg = st->cfg;
	int k;

	for (k = 0; k < __XBD_KEY_MAX; k++)
		if (!strcmp(name, xbd_key_names[k]))
			break;
	if (k == __XBD_KEY_MAX)
		return fail(st, -EINVAL, "unknown key '%s' in [xdpband]; see xdpban.conf(5)", name);
	if (cfg->line[k])
		return fail(st, -EINVAL, "duplicate key '%s', first set on line %d; keep one", name,
			    cfg->line[k]);
	cfg->line[k] = st->line;
	st->key = xbd_key_names[k];
	return parse_value(st, (enum xbd_key)k, value);
}

/* ---- [fleet] ---- */

const char *const xbd_fleet_key_names[__XBD_FLEET_KEY_MAX] = {
	[XBD_FLEET_KEY_REDIS] = "redis",
	[XBD_FLEET_KEY_PASSWORD] = "password",
	[XBD_FLEET_KEY_TLS] = "tls",
	[XBD_FLEET_KEY_NODE] = "node",
	[XBD_FLEET_KEY_KEY_FILE] = "key_file",
	[XBD_FLEET_KEY_PUBLISH] = "publish",
	[XBD_FLEET_KEY_APPLY] = "apply",
	[XBD_FLEET_KEY_STREAM] = "stream",
	[XBD_FLEET_KEY_MAXAGE] = "maxage",
	[XBD_FLEET_KEY_MAX_BANS_PER_MIN] = "max_bans_per_minute",
	[XBD_FLEET_KEY_QUEUE_MAX] = "queue_max",
};

/* Node and source names: what a [source:NAME] may be called. */
static bool name_ok(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && (!s[i] || !strchr("-_.", s[i])))
			return false;
	return true;
}

/* The host of "HOST", "HOST:PORT", "[IPV6]" or "[IPV6]:PORT"; *port stays if none. */
static int split_host_port(struct parse_state *st, const char *v, struct xbd_fleet_config *fc)
{
	const char *host = v, *port = NULL, *end;
	__u64 n;
	size_t len;

	if (v[0] == '[') {
		host = v + 1;
		end = strchr(host, ']');
		if (!end || (end[1] && end[1] != ':'))
			return bad(st, "'%s': write an IPv6 address as [ADDR]:PORT", v);
		len = (size_t)(end - host);
		port = end[1] ? end + 2 : NULL;
	} else {
		end = strchr(v, ':');
		if (end && strchr(end + 1, ':'))
			return bad(st, "'%s': write an IPv6 address as [ADDR]:PORT", v);
		len = end ? (size_t)(end - v) : strlen(v);
		port = end ? end + 1 : NULL;
	}
	if (!len || len >= sizeof(fc->redis_host))
		return bad(st, "'%s' has no host; use HOST:PORT or /path/to/redis.sock", v);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)host[i]) && !strchr(".-_:%", host[i]))
			return bad(st, "'%s' is not a host name or address", v);
	if (port && (parse_uint(port, 65535, &n) || !n))
		return bad(st, "bad port in '%s'; use 1 to 65535", v);
	memcpy(fc->redis_host, host, len);
	fc->redis_host[len] = '\0';
	if (port)
		fc->redis_port = (int)n;
	return 0;
}

static int parse_redis(struct parse_state *st, const char *v, struct xbd_fleet_config *fc)
{
	if (!*v)
		return bad(st, "empty; use HOST:PORT or /path/to/redis.sock");
	if (strlen(v) >= sizeof(fc->redis))
		return bad(st, "longer than %zu bytes", sizeof(fc->redis) - 1);
	strcpy(fc->redis, v);
	if (v[0] != '/')
		return split_host_port(st, v, fc);
	if (strlen(v) >= sizeof(fc->redis_unix))
		return bad(st, "socket path is longer than %zu bytes", sizeof(fc->redis_unix) - 1);
	strcpy(fc->redis_unix, v);
	return 0;
}

/* Printable ASCII without spaces (password: with them), 1 to size - 1 bytes. */
static int parse_word(struct parse_state *st, const char *v, char *out, size_t size, bool spaces)
{
	size_t len = strlen(v);

	if (!len || len >= size)
		return bad(st, "must be 1 to %zu bytes", size - 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c > 0x7e || (c == ' ' && !spaces))
			return bad(st, "byte 0x%02x is not allowed; use printable ASCII%s", c,
				   spaces ? "" : " without spaces");
	}
	memcpy(out, v, len + 1);
	return 0;
}

static int parse_node(struct parse_state *st, const char *v, struct xbd_fleet_config *fc)
{
	size_t len = strlen(v);

	if (len >= sizeof(fc->node) || !name_ok(v, len))
		return bad(st,
			   "'%s' is not a node name; use 1 to %zu letters, digits, '-', '_', '.'",
			   v, sizeof(fc->node) - 1);
	memcpy(fc->node, v, len + 1);
	return 0;
}

/* "all" (the default), "none", or source names; that they exist is checked at the end. */
static int parse_publish(struct parse_state *st, const char *v, struct xbd_fleet_config *fc)
{
	char buf[1024], *save = NULL;

	fc->publish_all = false;
	fc->n_publish = 0;
	if (!strcmp(v, "all") || !strcmp(v, "*")) {
		fc->publish_all = true;
		return 0;
	}
	if (!strcmp(v, "none"))
		return 0;
	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf))
		return bad(st, "list is longer than %zu bytes", sizeof(buf) - 1);
	for (char *t = strtok_r(buf, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		if (strlen(t) >= XBD_SOURCE_NAME_LEN || !name_ok(t, strlen(t)))
			return bad(st, "'%s' is not a source name", t);
		if (fc->n_publish == XBD_FLEET_PUBLISH_MAX)
			return bad(st, "more than %d sources", XBD_FLEET_PUBLISH_MAX);
		strcpy(fc->publish[fc->n_publish++], t);
	}
	if (!fc->n_publish)
		return bad(st, "empty; use all, none or source names");
	return 0;
}

static int parse_maxage(struct parse_state *st, const char *v, __u64 *seconds)
{
	int err = xb_duration_parse(v, seconds);

	if (err == -EINVAL)
		return bad(st, "bad duration '%s'; use e.g. 12h, 1d or 1w", v);
	if (err || !*seconds || *seconds > XBD_FLEET_MAXAGE_MAX_S)
		return bad(st, "'%s' is out of range; use 1s to 366d", v);
	return 0;
}

static int parse_count(struct parse_state *st, const char *v, __u64 min, __u64 max, __u32 *out)
{
	__u64 n;

	if (parse_uint(v, max, &n) || n < min)
		return bad(st, "bad number '%s'; use %llu to %llu", v, (unsigned long long)min,
			   (unsigned long long)max);
	*out = (__u32)n;
	return 0;
}

static int parse_fleet_value(struct parse_state *st, enum xbd_fleet_key key, const char *v)
{
	struct xbd_fleet_config *fc = &st->cfg->fleet;

	switch (key) {
	case XBD_FLEET_KEY_REDIS:
		return parse_redis(st, v, fc);
	case XBD_FLEET_KEY_PASSWORD:
		return parse_word(st, v, fc->password, sizeof(fc->password), true);
	case XBD_FLEET_KEY_TLS:
		if (parse_bool(st, v, &fc->tls))
			return st->err;
		if (fc->tls)
			return bad(st, "TLS is not implemented; reach Redis through a unix socket, "
				       "a VPN or an stunnel/spiped tunnel, and say tls = no");
		return 0;
	case XBD_FLEET_KEY_NODE:
		return parse_node(st, v, fc);
	case XBD_FLEET_KEY_KEY_FILE:
		return parse_path(st, v, fc->key_file, sizeof(fc->key_file), false);
	case XBD_FLEET_KEY_PUBLISH:
		return parse_publish(st, v, fc);
	case XBD_FLEET_KEY_APPLY:
		return parse_bool(st, v, &fc->apply);
	case XBD_FLEET_KEY_STREAM:
		return parse_word(st, v, fc->stream, sizeof(fc->stream), false);
	case XBD_FLEET_KEY_MAXAGE:
		return parse_maxage(st, v, &fc->maxage_s);
	case XBD_FLEET_KEY_MAX_BANS_PER_MIN:
		return parse_count(st, v, 0, 1000000, &fc->max_bans_per_min);
	case XBD_FLEET_KEY_QUEUE_MAX:
		return parse_count(st, v, 1, XBD_FLEET_QUEUE_MAX_MAX, &fc->queue_max);
	case __XBD_FLEET_KEY_MAX:
		break;
	}
	return -EINVAL;
}

static int set_fleet_key(struct parse_state *st, const char *name, const char *value)
{
	struct xbd_fleet_config *fc = &st->cfg->fleet;
	int k;

	for (k = 0; k < __XBD_FLEET_KEY_MAX; k++)
		if (!strcmp(name, xbd_fleet_key_names[k]))
			break;
	if (k == __XBD_FLEET_KEY_MAX)
		return fail(st, -EINVAL, "unknown key '%s' in [fleet]; see xdpban.conf(5)", name);
	if (fc->line[k])
		return fail(st, -EINVAL, "duplicate key '%s', first set on line %d; keep one", name,
			    fc->line[k]);
	fc->line[k] = st->line;
	st->key = xbd_fleet_key_names[k];
	return parse_fleet_value(st, (enum xbd_fleet_key)k, value);
}

static int fail_key(struct parse_state *st, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_key(struct parse_state *st, int line, const char *key, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vfail(st, line, key, -EINVAL, fmt, ap);
	va_end(ap);
	return err;
}

/* Once the whole file is read: what [fleet] needs, and the sources publish names. */
static int finish_fleet(struct parse_state *st)
{
	struct xbd_config *cfg = st->cfg;
	struct xbd_fleet_config *fc = &cfg->fleet;

	if (!fc->enabled)
		return 0;
	if (!fc->line[XBD_FLEET_KEY_REDIS])
		return fail_at(
			st, fc->section_line, -EINVAL,
			"[fleet] needs 'redis = HOST:PORT' or 'redis = /path/to/redis.sock'");
	if (!fc->line[XBD_FLEET_KEY_KEY_FILE])
		return fail_at(st, fc->section_line, -EINVAL,
			       "[fleet] needs 'key_file = /path/to/key', the HMAC key every node "
			       "shares");
	for (size_t i = 0; i < fc->n_publish; i++) {
		bool found = false;

		for (size_t j = 0; j < cfg->n_sources; j++)
			found |= !strcmp(fc->publish[i], cfg->sources[j].name);
		if (!found)
			return fail_key(st, fc->line[XBD_FLEET_KEY_PUBLISH], "publish",
					"no [source:%s] in this file", fc->publish[i]);
	}
	return 0;
}

/* ---- [source:NAME] ---- */

static int source_new(struct parse_state *st, const char *name, size_t len)
{
	struct xbd_config *cfg = st->cfg;
	struct xbd_source_raw *s;

	if (!len || len >= XBD_SOURCE_NAME_LEN)
		return fail(st, -EINVAL, "source name must be 1 to %d bytes",
			    XBD_SOURCE_NAME_LEN - 1);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return fail(
				st, -EINVAL,
				"source name '%.*s' has '%c'; use letters, digits, '-', '_', '.'",
				(int)len, name, name[i]);
	for (size_t i = 0; i < cfg->n_sources; i++)
		if (strlen(cfg->sources[i].name) == len && !memcmp(cfg->sources[i].name, name, len))
			return fail(st, -EINVAL,
				    "duplicate section [source:%.*s], first on line %d", (int)len,
				    name, cfg->sources[i].line);
	s = realloc(cfg->sources, (cfg->n_sources + 1) * sizeof(*s));
	if (!s)
		return fail(st, -ENOMEM, "out of memory");
	cfg->sources = s;
	s = &s[cfg->n_sources++];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, len);
	s->line = st->line;
	st->sect = SECT_SOURCE;
	return 0;
}

static int source_add(struct parse_state *st, const char *key, const char *value)
{
	struct xbd_source_raw *s = &st->cfg->sources[st->cfg->n_sources - 1];
	struct xbd_source_kv *kv = realloc(s->kv, (s->n + 1) * sizeof(*kv));
	char *k, *v;

	if (!kv)
		return fail(st, -ENOMEM, "out of memory");
	s->kv = kv;
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return fail(st, -ENOMEM, "out of memory");
	}
	kv[s->n++] = (struct xbd_source_kv){ .key = k, .value = v, .line = st->line };
	return 0;
}

/* ---- lines ---- */

/* "[NAME]" with nothing after the ']'. */
static int set_section(struct parse_state *st, const char *line)
{
	const char *name = line + 1, *end = strchr(name, ']');
	size_t len;

	if (!end)
		return fail(st, -EINVAL, "section header '%s' has no closing ']'", line);
	if (end[1])
		return fail(st, -EINVAL, "text after ']' in section header '%s'", line);
	len = (size_t)(end - name);
	if (len == 7 && !strncmp(name, "xdpband", 7)) {
		st->sect = SECT_MAIN;
		return 0;
	}
	if (len == 5 && !strncmp(name, "fleet", 5)) {
		st->sect = SECT_FLEET;
		if (!st->cfg->fleet.enabled)
			st->cfg->fleet.section_line = st->line;
		st->cfg->fleet.enabled = true;
		return 0;
	}
	if (len >= 7 && !strncmp(name, "source:", 7))
		return source_new(st, name + 7, len - 7);
	return fail(st, -EINVAL, "unknown section '%s'; use [xdpband], [fleet] or [source:NAME]",
		    line);
}

/* Comments, indentation, the UTF-8 BOM and trailing space (CR too) removed, in place. */
static char *clean_line(char *s, bool first)
{
	char *end;

	if (first && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	for (char *p = s; *p; p++) {
		if ((*p == '#' || *p == ';') && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	}
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Every error inih could report, found here first with a message that says more. */
static int check_line(struct parse_state *st, const char *line)
{
	size_t eq;

	if (!*line)
		return 0;
	if (*line == '[')
		return set_section(st, line);
	eq = strcspn(line, "=:");
	if (!line[eq])
		return fail(st, -EINVAL, "'%s' is not 'key = value', '[section]' or a comment",
			    line);
	if (!eq)
		return fail(st, -EINVAL, "'%s' has no key before '%c'", line, line[eq]);
	return 0;
}

/*
 * A [source:NAME] line is taken here, not by inih: regexes outgrow inih's 200-byte lines,
 * and fail2ban writes several failregex lines as indented continuations of the first.
 * Those become repeated keys, in order. Returns false when the line is not ours.
 */
static bool source_line(struct parse_state *st, char *line, bool indented)
{
	char *eq, *key, *value, *end;

	if (st->sect != SECT_SOURCE || !*line || *line == '[')
		return false;
	if (indented && st->source_key[0] && !strchr(line, '=')) {
		source_add(st, st->source_key, line);
		return true;
	}
	eq = strchr(line, '=');
	if (!eq || eq == line) {
		fail(st, -EINVAL, "'%s' is not 'key = value', '[section]' or a comment", line);
		return true;
	}
	*eq = '\0';
	key = line;
	end = eq;
	while (end > key && isspace((unsigned char)end[-1]))
		*--end = '\0';
	value = eq + 1;
	while (isspace((unsigned char)*value))
		value++;
	snprintf(st->source_key, sizeof(st->source_key), "%s", key);
	if (*value || (strcmp(key, "failregex") && strcmp(key, "ignoreregex")))
		source_add(st, key, value);
	return true;
}

/* inih's fgets(): hands over one whole cleaned line, or ends the file at the first error. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	bool indented;
	ssize_t len;
	char *line;

	if (st->err)
		return NULL;
	len = getline(&st->buf, &st->cap, st->file);
	if (len < 0) {
		if (ferror(st->file))
			fail_at(st, 0, errno ? -errno : -EIO, "cannot read: %s", strerror(errno));
		return NULL;
	}
	st->line++;
	if (memchr(st->buf, '\0', (size_t)len)) {
		fail(st, -EINVAL, "NUL byte in the line; is this a text file?");
		return NULL;
	}
	indented = isspace((unsigned char)st->buf[0]);
	line = clean_line(st->buf, st->line == 1);
	if (*line == '[')
		st->source_key[0] = '\0';
	if (source_line(st, line, indented)) {
		snprintf(str, (size_t)num, "\n");
		return st->err ? NULL : str;
	}
	/* With its '\n' and NUL, inih's buffer must hold it whole. */
	if (num < 3 || strlen(line) > (size_t)num - 3) {
		fail(st, -EINVAL, "line is longer than %d bytes without its comment; shorten it",
		     num - 3);
		return NULL;
	}
	if (check_line(st, line))
		return NULL;
	snprintf(str, (size_t)num, "%s\n", line);
	return str;
}

static int on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	(void)section; /* read_line() tracks sections, including those without keys */
	if (st->err)
		return 0;
	switch (st->sect) {
	case SECT_NONE:
		fail(st, -EINVAL, "key '%s' is outside any section; put it under [xdpband]", name);
		break;
	case SECT_MAIN:
		set_key(st, name, value);
		break;
	case SECT_SOURCE:
		source_add(st, name, value);
		break;
	case SECT_FLEET:
		set_fleet_key(st, name, value);
		break;
	}
	return !st->err;
}

/* ---- API ---- */

void xbd_config_defaults(struct xbd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->load.mode = XB_MODE_NONE;
	cfg->log_interval_ns = XB_LOG_DEFAULT_INTERVAL_NS;
	cfg->log_burst = XB_LOG_DEFAULT_BURST;
	for (int c = 0; c < __XB_CLASS_MAX; c++)
		snprintf(cfg->log_prefix[c], sizeof(cfg->log_prefix[c]), "%s", default_prefixes[c]);
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", XBD_STATE_DIR_DEFAULT);
	cfg->log_syslog = true;
	cfg->neverban_gateway = true;
	cfg->syslog_facility = LOG_DAEMON;
	cfg->syslog_level = LOG_DEBUG;
	cfg->expire_interval_s = XBD_EXPIRE_DEFAULT_S;
	cfg->history_retention_s = 30ULL * 86400;
	cfg->metrics_interval_s = XBD_METRICS_INTERVAL_DEFAULT_S;
	snprintf(cfg->pin_dir, sizeof(cfg->pin_dir), "%s", XB_PIN_DIR_DEFAULT);
	cfg->fleet.redis_port = XBD_FLEET_PORT_DEFAULT;
	cfg->fleet.publish_all = true;
	cfg->fleet.apply = true;
	snprintf(cfg->fleet.stream, sizeof(cfg->fleet.stream), "%s", XBD_FLEET_STREAM_DEFAULT);
	cfg->fleet.maxage_s = XBD_FLEET_MAXAGE_DEFAULT_S;
	cfg->fleet.max_bans_per_min = XBD_FLEET_MAX_BANS_PER_MIN_DEFAULT;
	cfg->fleet.queue_max = XBD_FLEET_QUEUE_MAX_DEFAULT;
}

void xbd_config_free(struct xbd_config *cfg)
{
	for (size_t i = 0; i < cfg->n_sources; i++) {
		struct xbd_source_raw *s = &cfg->sources[i];

		for (size_t j = 0; j < s->n; j++) {
			free(s->kv[j].key);
			free(s->kv[j].value);
		}
		free(s->kv);
	}
	free(cfg->sources);
	cfg->sources = NULL;
	cfg->n_sources = 0;
}

int xbd_config_load(const char *path, struct xbd_config *cfg, char *err, size_t err_size)
{
	struct parse_state st = { .cfg = cfg, .path = path, .msg = err, .msg_size = err_size };
	int ret;

	xbd_config_defaults(cfg);
	if (err_size)
		err[0] = '\0';
	if (strlen(path) >= sizeof(cfg->path))
		return fail_at(&st, 0, -ENAMETOOLONG, "path is too long");
	st.file = fopen(path, "re");
	if (!st.file) {
		ret = -errno;
		return fail_at(&st, 0, ret, "cannot open: %s", strerror(-ret));
	}
	strcpy(cfg->path, path);
	ret = ini_parse_stream(read_line, &st, on_pair, &st);
	fclose(st.file);
	free(st.buf);
	/* Not expected: read_line() checks all inih does. Report whichever line came first. */
	if (ret > 0 && (!st.err || ret < st.err_line)) {
		st.err = 0;
		fail_at(&st, ret, -EINVAL, "syntax error; see xdpban.conf(5)");
	} else if (ret < 0 && !st.err) {
		fail_at(&st, 0, -ENOMEM, "out of memory");
	}
	if (!st.err)
		finish_fleet(&st);
	if (st.err) {
		xbd_config_free(cfg);
		xbd_config_defaults(cfg);
	}
	return st.err;
}
