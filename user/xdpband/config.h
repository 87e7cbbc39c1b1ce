/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdpband's configuration file (default /etc/xdpban/xdpban.conf), an INI file read with
 * inih: one [xdpband] section of settings, [source:NAME] sections that are stored as read
 * for the log sources to interpret, and an optional [fleet] section (bans shared through
 * Redis). Parsing is pure: it looks interfaces up by name (if_nametoindex) but attaches,
 * creates and opens nothing. doc/xdpban.conf.example lists every key with its default.
 */
#ifndef XBD_CONFIG_H
#define XBD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "xb.h"

#define XBD_CONFIG_PATH "/etc/xdpban/xdpban.conf"
#define XBD_STATE_DIR_DEFAULT "/var/lib/xdpban"
#define XBD_EXPIRE_DEFAULT_S 5
#define XBD_EXPIRE_MAX_S 3600
#define XBD_LOG_BURST_MAX 10000
/* Largest max_* capacity; 0 means the default. */
#define XBD_CAPACITY_MAX (1U << 30)
/* A LOG prefix: at most 29 bytes, as iptables' --log-prefix, and the NUL. */
#define XBD_LOG_PREFIX_LEN 30
/* As struct xb_maps' pin_dir, which the pin dir must fit. */
#define XBD_PIN_DIR_LEN 256
#define XBD_SOURCE_NAME_LEN 64
/* ignoreip entries in [xdpband], for every source. */
#define XBD_IGNORE_MAX 64

/* The keys of [xdpband], in the order the example file lists them. */
enum xbd_key {
	XBD_KEY_INTERFACES,
	XBD_KEY_MODE,
	XBD_KEY_MAX_BAN_V4,
	XBD_KEY_MAX_BAN_V6,
	XBD_KEY_MAX_PFX_V4,
	XBD_KEY_MAX_PFX_V6,
	XBD_KEY_MAX_ALLOW,
	XBD_KEY_LOG_LIMIT,
	XBD_KEY_LOG_BURST,
	XBD_KEY_LOG_PREFIX_TCP,
	XBD_KEY_LOG_PREFIX_UDP,
	XBD_KEY_LOG_PREFIX_ICMP,
	XBD_KEY_LOG_PREFIX_OTHER,
	XBD_KEY_STATE_DIR,
	XBD_KEY_LOG_FILE,
	XBD_KEY_LOG_SYSLOG,
	XBD_KEY_SYSLOG_FACILITY,
	XBD_KEY_SYSLOG_LEVEL,
	XBD_KEY_EXPIRE_INTERVAL,
	XBD_KEY_PIN_DIR,
	XBD_KEY_IGNOREIP,
	XBD_KEY_HISTORY_RETENTION,
	XBD_KEY_METRICS_TEXTFILE,
	XBD_KEY_METRICS_INTERVAL,
	XBD_KEY_METRICS_LISTEN,
	XBD_KEY_NEVERBAN_GATEWAY,
	__XBD_KEY_MAX,
};

/* Each key's name as the file spells it. */
extern const char *const xbd_key_names[__XBD_KEY_MAX];

/* [fleet]: bans shared with other nodes through Redis (fleet.h). */
#define XBD_FLEET_NODE_LEN 64
#define XBD_FLEET_STREAM_LEN 128
#define XBD_FLEET_PASSWORD_LEN 256
#define XBD_FLEET_HOST_LEN 256
/* sun_path's size, with the NUL. */
#define XBD_FLEET_UNIX_LEN 108
#define XBD_FLEET_PUBLISH_MAX 64
#define XBD_FLEET_PORT_DEFAULT 6379
#define XBD_FLEET_STREAM_DEFAULT "xdpban:bans"
#define XBD_FLEET_MAXAGE_DEFAULT_S (24 * 3600)
#define XBD_FLEET_MAXAGE_MAX_S (366 * 24 * 3600)
#define XBD_FLEET_MAX_BANS_PER_MIN_DEFAULT 6000
#define XBD_FLEET_QUEUE_MAX_DEFAULT 10000
#define XBD_FLEET_QUEUE_MAX_MAX 1000000

enum xbd_fleet_key {
	XBD_FLEET_KEY_REDIS,
	XBD_FLEET_KEY_PASSWORD,
	XBD_FLEET_KEY_TLS,
	XBD_FLEET_KEY_NODE,
	XBD_FLEET_KEY_KEY_FILE,
	XBD_FLEET_KEY_PUBLISH,
	XBD_FLEET_KEY_APPLY,
	XBD_FLEET_KEY_STREAM,
	XBD_FLEET_KEY_MAXAGE,
	XBD_FLEET_KEY_MAX_BANS_PER_MIN,
	XBD_FLEET_KEY_QUEUE_MAX,
	__XBD_FLEET_KEY_MAX,
};

extern const char *const xbd_fleet_key_names[__XBD_FLEET_KEY_MAX];

struct xbd_fleet_config {
	bool enabled; /* the file has a [fleet] section */
	int section_line; /* of its first header */
	char redis[PATH_MAX]; /* as written, for messages */
	char redis_unix[XBD_FLEET_UNIX_LEN]; /* a unix socket path, or "" for TCP */
	char redis_host[XBD_FLEET_HOST_LEN]; /* TCP: a name, IPv4 or IPv6 address */
	int redis_port;
	char password[XBD_FLEET_PASSWORD_LEN]; /* "" = no AUTH */
	bool tls; /* only "no": TLS is not implemented */
	char node[XBD_FLEET_NODE_LEN]; /* "" = this machine's host name */
	char key_file[PATH_MAX]; /* the shared HMAC-SHA256 key; read at start, not here */
	bool publish_all; /* publish = all (the default) */
	char publish[XBD_FLEET_PUBLISH_MAX][XBD_SOURCE_NAME_LEN]; /* else these sources */
	size_t n_publish; /* 0 and !publish_all: publish = none */
	bool apply; /* apply the other nodes' bans here */
	char stream[XBD_FLEET_STREAM_LEN];
	__u64 maxage_s; /* the stream keeps this much */
	__u32 max_bans_per_min; /* the other nodes' bans applied per minute; 0 = no cap */
	__u32 queue_max; /* local bans kept while Redis is away */
	int line[__XBD_FLEET_KEY_MAX]; /* as struct xbd_config's line[] */
};

/* One key = value line of a [source:NAME] section, exactly as inih returned it. */
struct xbd_source_kv {
	char *key;
	char *value;
	int line;
};

/* A [source:NAME] section: its keys in file order, repeated keys kept, none interpreted. */
struct xbd_source_raw {
	char name[XBD_SOURCE_NAME_LEN];
	struct xbd_source_kv *kv;
	size_t n;
	int line; /* of the [source:NAME] header */
};

struct xbd_config {
	char path[PATH_MAX]; /* the file it was read from; "" for defaults */
	char ifaces[XB_MAX_IFACES][XB_IFNAME_LEN];
	size_t n_ifaces;
	struct xb_load_opts load; /* mode and map capacities, 0 = default */
	__u64 log_interval_ns; /* log_limit, as xb_rate_parse() returns it */
	__u32 log_burst;
	char log_prefix[__XB_CLASS_MAX][XBD_LOG_PREFIX_LEN]; /* by enum xb_log_class */
	char state_dir[PATH_MAX];
	char log_file[PATH_MAX]; /* "" = no log file */
	bool log_syslog;
	bool neverban_gateway; /* default routes' gateways are never banned */
	int syslog_facility; /* LOG_DAEMON etc. of <syslog.h> */
	int syslog_level; /* LOG_DEBUG etc. */
	__u64 expire_interval_s;
	char pin_dir[XBD_PIN_DIR_LEN];
	struct xb_prefix ignoreip[XBD_IGNORE_MAX]; /* never banned by any source */
	size_t n_ignoreip;
	__u64 history_retention_s; /* how long the report history keeps events */
	char metrics_textfile[PATH_MAX]; /* "" = none */
	__u64 metrics_interval_s;
	char metrics_listen[128]; /* "" = no HTTP endpoint */
	/* The line each key was set on, 0 when the file does not set it. */
	int line[__XBD_KEY_MAX];
	struct xbd_source_raw *sources;
	size_t n_sources;
	struct xbd_fleet_config fleet;
};

/* Every setting at its default, no interfaces, no sources, path "". */
void xbd_config_defaults(struct xbd_config *cfg);

/*
 * Reads path into *cfg, replacing all of it. Returns 0, -ENOENT when the file does not
 * exist, -EINVAL for anything wrong inside it, another -errno when it cannot be read,
 * -ENOMEM. On every failure err (if err_size) holds one line, "FILE:LINE: KEY: what is
 * wrong; what to do" (without LINE for open and read errors), and *cfg is as
 * xbd_config_defaults() leaves it. After success, xbd_config_free() releases the sources.
 */
int xbd_config_load(const char *path, struct xbd_config *cfg, char *err, size_t err_size);

/*
 * Parses a space- or comma-separated list of addresses/prefixes into out (at most max).
 * -EINVAL with the offending item in bad_item, -E2BIG past max.
 */
int xbd_parse_prefix_list(const char *v, struct xb_prefix *out, size_t max, size_t *n,
			  char *bad_item, size_t bad_size);

/* Frees the [source:*] sections; cfg may then be reloaded or dropped. Idempotent. */
void xbd_config_free(struct xbd_config *cfg);

#endif /* XBD_CONFIG_H */
