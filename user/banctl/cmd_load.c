// SPDX-License-Identifier: GPL-2.0
/* banctl load / unload / status. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "banctl.h"

static int load_usage(void)
{
	printf("Usage: banctl load IFACE... [--mode auto|native|generic]\n"
	       "                  [--max-ban-v4 N] [--max-ban-v6 N] [--max-pfx-v4 N]\n"
	       "                  [--max-pfx-v6 N] [--max-allow N]\n"
	       "                  [--log-limit RATE] [--log-burst N]\n"
	       "Attach the XDP program to each IFACE; all share one ban set. auto tries native\n"
	       "mode and falls back to generic. On an interface already attached, the program is\n"
	       "replaced atomically and the bans are kept. Capacities default to %u, %u, %u,\n"
	       "%u, %u; given for maps that exist, the maps are resized: a new set is built,\n"
	       "every entry copied, and the program switched to it atomically. Maps pinned by\n"
	       "an older xdpban (an older layout) are migrated the same way.\n"
	       "The drop log's rate per class is iptables' -m limit: default 5/min, burst 5;\n"
	       "given here it resets the buckets, else they are kept.\n",
	       XB_DEF_BAN_V4_MAX, XB_DEF_BAN_V6_MAX, XB_DEF_PFX_V4_MAX, XB_DEF_PFX_V6_MAX,
	       XB_DEF_ALLOW_MAX);
	return 0;
}

static int parse_mode(const char *s, enum xb_xdp_mode *mode)
{
	if (!strcmp(s, "auto"))
		*mode = XB_MODE_NONE;
	else if (!strcmp(s, "native") || !strcmp(s, "drv"))
		*mode = XB_MODE_NATIVE;
	else if (!strcmp(s, "generic") || !strcmp(s, "skb"))
		*mode = XB_MODE_GENERIC;
	else
		return usage_err("--mode must be auto, native or generic, not '%s'", s);
	return 0;
}

static void print_iface_json(const struct xb_iface *ifc)
{
	jsonw_start_object(json_wtr);
	jsonw_string_field(json_wtr, "name", ifc->name);
	jsonw_uint_field(json_wtr, "ifindex", ifc->ifindex);
	jsonw_string_field(json_wtr, "mode", xb_mode_name(ifc->mode));
	jsonw_uint_field(json_wtr, "prog_id", ifc->prog_id);
	jsonw_uint_field(json_wtr, "link_id", ifc->link_id);
	jsonw_uint_field(json_wtr, "attached_at", ifc->attached_at);
	jsonw_end_object(json_wtr);
}

/* Every interface must exist before any is touched. */
static int check_ifaces(int n, char **names)
{
	for (int i = 0; i < n; i++) {
		if (strlen(names[i]) >= IF_NAMESIZE || !if_nametoindex(names[i]))
			return usage_err("no interface named '%s' here; 'ip link' lists them",
					 names[i]);
	}
	return 0;
}

/*
 * A migration (or resize) replaces the maps under a running xdpband, which would go on
 * writing bans into the old ones: let the daemon do it, at its start or reload.
 */
static int check_migration(const struct xb_load_opts *lo)
{
	__u32 from = 0;
	int rc = xb_migrate_needed(pin_dir, lo, &from), pid;

	if (rc <= 0)
		return rc;
	pid = daemon_pid(state_dir);
	if (!pid)
		return 0;
	if (from == XB_LAYOUT_VERSION)
		p_err("xdpband (pid %d) uses the maps in %s: set the capacities in its "
		      "configuration and reload it (systemctl reload xdpband), or stop it first",
		      pid, pin_dir);
	else
		p_err("the maps in %s have layout %u and need migrating to layout %u while "
		      "xdpband (pid %d) uses them: restart xdpband (it migrates them, bans kept), "
		      "or stop it first",
		      pin_dir, from, XB_LAYOUT_VERSION, pid);
	return -EBUSY;
}

int do_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "max-ban-v4", required_argument, NULL, '4' },
		{ "max-ban-v6", required_argument, NULL, '6' },
		{ "max-pfx-v4", required_argument, NULL, 'a' },
		{ "max-pfx-v6", required_argument, NULL, 'b' },
		{ "max-allow", required_argument, NULL, 'w' },
		{ "log-limit", required_argument, NULL, 'L' },
		{ "log-burst", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct xb_load_opts lo = {};
	struct xb_iface done[XB_MAX_IFACES];
	int opt, li = 0, n = 0, err = 0;

	optind = 0;
	while ((opt = getopt_long(argc, argv, ":m:h", opts, &li)) != -1) {
		__u32 *cap = NULL;

		switch (opt) {
		case 'm':
			err = parse_mode(optarg, &lo.mode);
			break;
		case '4':
			cap = &lo.max_ban_v4;
			break;
		case '6':
			cap = &lo.max_ban_v6;
			break;
		case 'a':
			cap = &lo.max_pfx_v4;
			break;
		case 'b':
			cap = &lo.max_pfx_v6;
			break;
		case 'w':
			cap = &lo.max_allow;
			break;
		case 'L':
			if (xb_rate_parse(optarg, &lo.log_interval_ns))
				return usage_err(
					"--log-limit '%s' is not a rate (5/min, 10/second, "
					"3/hour, 1/day; at most 10000/second)",
					optarg);
			break;
		case 'B':
			err = parse_u32_arg(optarg, "--log-burst", 1, 10000, &lo.log_burst);
			break;
		case 'h':
			return load_usage();
		case ':':
			return usage_err("load: option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_err("load: unknown option '%s'; 'banctl load help'",
					 argv[optind - 1]);
		}
		if (cap)
			err = parse_u32_arg(optarg, opts[li].name, 1, 1U << 30, cap);
		if (err)
			return err;
	}
	argc -= optind;
	argv += optind;
	if (lo.log_burst && !lo.log_interval_ns)
		lo.log_interval_ns = XB_LOG_DEFAULT_INTERVAL_NS;
	if (argc == 1 && !strcmp(argv[0], "help"))
		return load_usage();
	if (argc < 1)
		return usage_err("load: name at least one interface; 'banctl load help'");
	if (argc > XB_MAX_IFACES)
		return usage_err("load: at most %d interfaces", XB_MAX_IFACES);
	err = check_ifaces(argc, argv);
	if (err)
		return err;
	err = check_migration(&lo);
	if (err)
		return err;

	for (; n < argc; n++) {
		err = xb_attach(pin_dir, argv[n], &lo, &done[n]);
		if (err)
			break;
		p_info("%s: attached in %s mode (prog id %u, link id %u)", argv[n],
		       xb_mode_name(done[n].mode), done[n].prog_id, done[n].link_id);
	}
	if (err && n)
		p_err("%d of %d interfaces were attached before the failure; they stay attached", n,
		      argc);
	if (!err && json_wtr) {
		jsonw_start_array(json_wtr);
		for (int i = 0; i < n; i++)
			print_iface_json(&done[i]);
		jsonw_end_array(json_wtr);
	}
	return err;
}

int do_unload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool all = false;
	int opt, err = 0;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			all = true;
			break;
		case 'h':
			printf("Usage: banctl unload IFACE... | --all\n"
			       "Detach from each IFACE; bans stay. --all detaches every interface "
			       "and\n"
			       "removes the pinned maps: every ban and counter is gone.\n");
			return 0;
		default:
			return usage_err("unload: unknown option '%s'", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (all == (argc > 0))
		return usage_err("unload: name interfaces or give --all, not both or neither");
	if (all) {
		err = xb_unload_all(pin_dir);
		if (!err)
			p_info("unloaded: every interface detached, maps in %s removed", pin_dir);
	}
	for (int i = 0; i < argc && !err; i++) {
		err = xb_detach(pin_dir, argv[i]);
		if (!err)
			p_info("%s: detached", argv[i]);
	}
	if (!err && json_wtr)
		jsonw_null(json_wtr);
	return err;
}

static const char *map_type_name(__u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:
		return "hash";
	case BPF_MAP_TYPE_LPM_TRIE:
		return "lpm_trie";
	case BPF_MAP_TYPE_ARRAY:
		return "array";
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return "percpu_array";
	default:
		return "other";
	}
}

static struct xb_meta read_meta(struct xb_maps *maps)
{
	struct xb_meta meta = {};
	__u32 key = 0;

	bpf_map_lookup_elem(maps->fd[XB_META], &key, &meta);
	return meta;
}

static void print_time(const char *label, __u64 unix_s)
{
	char when[32];
	time_t t = (time_t)unix_s;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
	printf("%s %s", label, when);
}

static void status_plain(struct xb_maps *maps, const struct xb_iface *ifc)
{
	struct xb_meta meta = read_meta(maps);

	printf("pin dir %s, layout %d", pin_dir, XB_LAYOUT_VERSION);
	print_time(", maps created", meta.created_at);
	if (meta.migrated_at) {
		char what[48] = ", resized";

		if (meta.migrated_from != XB_LAYOUT_VERSION)
			snprintf(what, sizeof(what), ", migrated from layout %u",
				 meta.migrated_from);
		print_time(what, meta.migrated_at);
	}
	printf("\n\ninterfaces:\n");
	for (int i = 0, any = 0; i < XB_MAX_IFACES; i++) {
		char when[32];
		time_t t = (time_t)ifc[i].attached_at;

		if (!ifc[i].ifindex) {
			if (i == XB_MAX_IFACES - 1 && !any)
				printf("  (none attached)\n");
			continue;
		}
		any = 1;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
		printf("  %-15s ifindex %-4u %-7s prog %-6u link %-6u since %s\n", ifc[i].name,
		       ifc[i].ifindex, xb_mode_name(ifc[i].mode), ifc[i].prog_id, ifc[i].link_id,
		       when);
	}
	printf("\nmaps:\n");
	for (int id = XB_BAN_V4; id <= XB_ALLOW_V6; id++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info), entries = 0, max = 0;

		bpf_obj_get_info_by_fd(maps->fd[id], &info, &len);
		xb_map_count(maps->fd[id], &entries, &max);
		printf("  %-12s %-9s %8u / %-8u (%5.1f%%)", xb_map_names[id],
		       map_type_name(info.type), entries, max, max ? 100.0 * entries / max : 0.0);
		if (meta.full_refusals[id - XB_BAN_V4])
			printf("  %llu adds refused: full",
			       (unsigned long long)meta.full_refusals[id - XB_BAN_V4]);
		printf("\n");
	}
}

static void status_json(struct xb_maps *maps, const struct xb_iface *ifc)
{
	struct xb_meta meta = read_meta(maps);

	jsonw_start_object(json_wtr);
	jsonw_string_field(json_wtr, "pin_dir", pin_dir);
	jsonw_uint_field(json_wtr, "layout_version", XB_LAYOUT_VERSION);
	jsonw_uint_field(json_wtr, "created_at", meta.created_at);
	jsonw_uint_field(json_wtr, "migrated_from", meta.migrated_from);
	jsonw_uint_field(json_wtr, "migrated_at", meta.migrated_at);
	jsonw_name(json_wtr, "interfaces");
	jsonw_start_array(json_wtr);
	for (int i = 0; i < XB_MAX_IFACES; i++) {
		if (ifc[i].ifindex)
			print_iface_json(&ifc[i]);
	}
	jsonw_end_array(json_wtr);
	jsonw_name(json_wtr, "maps");
	jsonw_start_array(json_wtr);
	for (int id = XB_BAN_V4; id <= XB_ALLOW_V6; id++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info), entries = 0, max = 0;

		bpf_obj_get_info_by_fd(maps->fd[id], &info, &len);
		xb_map_count(maps->fd[id], &entries, &max);
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "name", xb_map_names[id]);
		jsonw_string_field(json_wtr, "type", map_type_name(info.type));
		jsonw_uint_field(json_wtr, "id", info.id);
		jsonw_uint_field(json_wtr, "entries", entries);
		jsonw_uint_field(json_wtr, "max_entries", max);
		jsonw_uint_field(json_wtr, "full_refusals", meta.full_refusals[id - XB_BAN_V4]);
		jsonw_end_object(json_wtr);
	}
	jsonw_end_array(json_wtr);
	jsonw_end_object(json_wtr);
}

int do_status(int argc, char **argv)
{
	struct xb_iface ifc[XB_MAX_IFACES];
	struct xb_maps maps;
	int err;

	if (argc > 1 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help"))) {
		printf("Usage: banctl status\nAttached interfaces, their mode and program, and how "
		       "full each map is.\n");
		return 0;
	}
	if (argc > 1)
		return usage_err("status takes no arguments, got '%s'", argv[1]);
	err = xb_maps_open(&maps, pin_dir, false);
	if (err)
		return err;
	err = xb_ifaces_read(&maps, ifc);
	if (!err) {
		if (json_wtr)
			status_json(&maps, ifc);
		else
			status_plain(&maps, ifc);
	}
	xb_maps_close(&maps);
	return err;
}
