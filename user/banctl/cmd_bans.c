// SPDX-License-Identifier: GPL-2.0
/* banctl add / del / list / allow. Every argument is checked before any map changes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <limits.h>
#include <unistd.h>
#include "banctl.h"

/*
 * Writers also append to the ban journal of the state dir, when there is one (the daemon
 * and `make install` create it), so bans survive a reboot.
 */
static int open_for_write(struct xb_maps *maps)
{
	struct stat st;
	int err = xb_maps_open(maps, pin_dir, true);

	if (err || stat(state_dir, &st))
		return err;
	err = xb_journal_open(maps, state_dir);
	if (err)
		xb_maps_close(maps);
	return err;
}

static bool is_help(int argc, char **argv)
{
	return argc > 1 &&
	       (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
}

static int add_usage(void)
{
	printf("Usage: banctl add PREFIX... [--timeout DURATION] [--reason TEXT] [--force]\n"
	       "       banctl add - [--timeout DURATION] [--reason TEXT] [--force] < FILE\n"
	       "Ban IPv4/IPv6 addresses or CIDR prefixes of any length (::ffff:a.b.c.d is the\n"
	       "IPv4 address). DURATION as fail2ban: 600, 10m, 1h, 1d, 1w, 1h30m; none means\n"
	       "permanent. With '-', one ban per line: PREFIX [timeout DURATION] [reason TEXT];\n"
	       "the options give the defaults. Banning an already banned prefix refreshes its\n"
	       "timeout and reason and keeps its hit counters. All or nothing. A ban that\n"
	       "would cut off loopback, link-local, this machine's own addresses, its default\n"
	       "gateways or the allow list is refused unless --force.\n");
	return 0;
}

/* Reads "add -" lines; --timeout/--reason are the defaults of lines that lack them. */
static int read_ban_lines(FILE *in, const char *name, const struct xb_ban_req *def,
			  struct xb_ban_req **out, size_t *n)
{
	struct xb_ban_req *v = NULL;
	size_t cap = 0, len = 0, lineno = 0, lsz = 0;
	char *line = NULL;
	int err = 0;

	while (getline(&line, &lsz, in) > 0) {
		char msg[128];
		int rc;

		lineno++;
		if (len == cap) {
			void *p = realloc(v, (cap = cap ? cap * 2 : 4096) * sizeof(*v));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			v = p;
		}
		v[len] = *def;
		rc = xb_ban_line_parse(line, &v[len], msg, sizeof(msg));
		if (rc == 1)
			continue;
		if (rc) {
			err = usage_err("%s:%zu: %s; nothing was changed", name, lineno, msg);
			break;
		}
		len++;
	}
	free(line);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

/* Allow lists up to this size are checked here, not with a map lookup per address. */
#define ALLOW_CHECKED_HERE 256

static bool on_allow_list(const struct xb_allow_entry *allow, size_t n_allow,
			  const struct xb_prefix *p, struct xb_prefix *hit)
{
	for (size_t i = 0; i < n_allow; i++) {
		if (xb_prefix_covers(&allow[i].pfx, p) || xb_prefix_covers(p, &allow[i].pfx)) {
			*hit = allow[i].pfx;
			return true;
		}
	}
	return false;
}

/*
 * A ban must not lock the box out: loopback, its own addresses and gateways, the allow
 * list. The lock held since the maps were opened keeps the allow list as read here.
 */
static int refuse_never_ban(struct xb_maps *maps, const struct xb_ban_req *reqs, size_t n)
{
	char text[XB_PREFIX_STRLEN], cut[XB_PREFIX_STRLEN];
	struct xb_allow_entry *allow = NULL;
	struct xb_prefix hit;
	size_t n_allow = 0;
	const char *why;
	bool here;
	int err = 0;

	here = !xb_allow_list(maps, &allow, &n_allow) && n_allow <= ALLOW_CHECKED_HERE;
	for (size_t i = 0; i < n && !err; i++) {
		bool found = xb_never_ban(here ? NULL : maps, &reqs[i].pfx, &why, &hit);

		if (!found && here && on_allow_list(allow, n_allow, &reqs[i].pfx, &hit)) {
			found = true;
			why = "on the allow list";
		}
		if (!found)
			continue;
		xb_prefix_format(&reqs[i].pfx, text, sizeof(text));
		xb_prefix_format(&hit, cut, sizeof(cut));
		err = usage_err("refusing to ban %s: it would cut off %s (%s); nothing was "
				"changed; --force bans it anyway",
				text, cut, why);
	}
	free(allow);
	return err;
}

static int report_bad(int err, const struct xb_prefix *pfx)
{
	char text[XB_PREFIX_STRLEN];

	xb_prefix_format(pfx, text, sizeof(text));
	if (err == -E2BIG || err == -ENOSPC || err == -ENOMEM)
		p_err("%s could not be added; no ban from this command was kept", text);
	return err;
}

int do_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct xb_ban_req def = { .origin = XB_ORIGIN_MANUAL }, *reqs = NULL;
	bool force = false;
	size_t n = 0, bad = 0;
	struct xb_maps maps;
	bool from_stdin;
	int opt, err;

	if (is_help(argc, argv))
		return add_usage();
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":t:r:fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			force = true;
			break;
		case 't':
			err = xb_duration_parse(optarg, &def.timeout_s);
			if (err == -ERANGE)
				return usage_err("--timeout '%s' is too long (at most 100 years)",
						 optarg);
			if (err)
				return usage_err("--timeout '%s' is not a duration (600, 10m, 1h, "
						 "1d, 1w, 1h30m)",
						 optarg);
			break;
		case 'r':
			if (xb_reason_check(optarg))
				return usage_err("--reason must be printable text under %d bytes",
						 XB_REASON_LEN);
			snprintf(def.reason, sizeof(def.reason), "%s", optarg);
			break;
		case 'h':
			return add_usage();
		case ':':
			return usage_err("add: option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_err("add: unknown option '%s'; 'banctl add help'",
					 argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage_err("add: name at least one prefix, or '-' for stdin");
	from_stdin = argc == 1 && !strcmp(argv[0], "-");
	if (from_stdin) {
		err = read_ban_lines(stdin, "stdin", &def, &reqs, &n);
		if (err)
			return err;
	} else {
		reqs = calloc((size_t)argc, sizeof(*reqs));
		if (!reqs)
			return -ENOMEM;
		for (int i = 0; i < argc; i++) {
			reqs[i] = def;
			err = parse_prefix_arg(argv[i], &reqs[i].pfx, "");
			if (err)
				goto out;
		}
		n = (size_t)argc;
	}
	err = open_for_write(&maps);
	if (err)
		goto out;
	err = force ? 0 : refuse_never_ban(&maps, reqs, n);
	if (!err)
		err = xb_bans_add(&maps, reqs, n, &bad);
	xb_maps_close(&maps);
	if (err) {
		report_bad(err, &reqs[bad].pfx);
		goto out;
	}
	p_info("%zu ban%s added", n, n == 1 ? "" : "s");
	if (json_wtr) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "added", n);
		jsonw_end_object(json_wtr);
	}
out:
	free(reqs);
	return err;
}

/* Shared by del and allow add/del: PREFIX... or '-'. */
static int read_prefixes(int argc, char **argv, struct xb_prefix **out, size_t *n)
{
	struct xb_prefix *v;
	int err;

	if (argc == 1 && !strcmp(argv[0], "-"))
		return read_prefix_lines(stdin, out, n);
	v = calloc((size_t)argc + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < argc; i++) {
		err = parse_prefix_arg(argv[i], &v[i], "");
		if (err) {
			free(v);
			return err;
		}
	}
	*out = v;
	*n = (size_t)argc;
	return 0;
}

typedef int (*prefix_op)(struct xb_maps *, const struct xb_prefix *, size_t, size_t *);

static int run_prefix_op(int argc, char **argv, prefix_op op, const char *what)
{
	struct xb_prefix *v = NULL;
	struct xb_maps maps;
	size_t n = 0, bad = 0;
	int err;

	if (argc < 1)
		return usage_err("%s: name at least one prefix, or '-' for stdin", what);
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			return usage_err("%s: unknown option '%s'", what, argv[i]);
	}
	err = read_prefixes(argc, argv, &v, &n);
	if (err)
		return err;
	err = open_for_write(&maps);
	if (!err) {
		err = op(&maps, v, n, &bad);
		xb_maps_close(&maps);
	}
	if (!err) {
		p_info("%s: %zu prefix%s", what, n, n == 1 ? "" : "es");
		if (json_wtr)
			jsonw_null(json_wtr);
	}
	free(v);
	return err;
}

int do_del(int argc, char **argv)
{
	if (is_help(argc, argv)) {
		printf("Usage: banctl del PREFIX... | banctl del - < FILE\n"
		       "Lift bans, all or nothing: if one is not banned, none is lifted (exit "
		       "1).\n");
		return 0;
	}
	return run_prefix_op(argc - 1, argv + 1, xb_bans_del, "del");
}

/* ---- list ---- */

enum sort_key { SORT_PREFIX, SORT_HITS, SORT_EXPIRY, SORT_ADDED };

static enum sort_key sort_by;

static int cmp_prefix(const struct xb_prefix *a, const struct xb_prefix *b)
{
	int c;

	if (a->family != b->family)
		return a->family - b->family;
	c = memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
	return c ? c : a->len - b->len;
}

static int cmp_u64_desc(__u64 a, __u64 b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

/* Permanent bans expire last. */
static __u64 expiry_key(const struct xb_ban *b)
{
	return b->expires_ns ? b->expires_ns : ~0ULL;
}

static int cmp_ban(const void *pa, const void *pb)
{
	const struct xb_ban_entry *a = pa, *b = pb;
	int c = 0;

	switch (sort_by) {
	case SORT_HITS:
		c = cmp_u64_desc(a->ban.packets, b->ban.packets);
		break;
	case SORT_EXPIRY:
		c = -cmp_u64_desc(expiry_key(&a->ban), expiry_key(&b->ban));
		break;
	case SORT_ADDED:
		c = cmp_u64_desc(a->ban.added_ns, b->ban.added_ns);
		break;
	default:
		break;
	}
	return c ? c : cmp_prefix(&a->pfx, &b->pfx);
}

static const char *origin_name(__u8 origin)
{
	static const char *const names[__XB_ORIGIN_MAX] = {
		[XB_ORIGIN_MANUAL] = "manual",	   [XB_ORIGIN_SPAMD] = "spamd",
		[XB_ORIGIN_FAIL2BAN] = "fail2ban", [XB_ORIGIN_REGEX] = "regex",
		[XB_ORIGIN_RESTORE] = "restore",   [XB_ORIGIN_FLEET] = "fleet",
	};

	return origin < __XB_ORIGIN_MAX ? names[origin] : "unknown";
}

static void list_json(const struct xb_ban_entry *e, size_t n, __u64 now)
{
	jsonw_start_array(json_wtr);
	for (size_t i = 0; i < n; i++) {
		const struct xb_ban *b = &e[i].ban;
		char text[XB_PREFIX_STRLEN];

		xb_prefix_format(&e[i].pfx, text, sizeof(text));
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "prefix", text);
		jsonw_uint_field(json_wtr, "family", e[i].pfx.family);
		jsonw_string_field(json_wtr, "kind",
				   xb_prefix_is_host(&e[i].pfx) ? "exact" : "prefix");
		jsonw_bool_field(json_wtr, "permanent", !b->expires_ns);
		if (b->expires_ns) {
			jsonw_int_field(json_wtr, "expires", xb_boot_to_unix(b->expires_ns));
			jsonw_uint_field(json_wtr, "remaining",
					 b->expires_ns > now ? (b->expires_ns - now) / 1000000000ULL
							     : 0);
		} else {
			jsonw_null_field(json_wtr, "expires");
			jsonw_null_field(json_wtr, "remaining");
		}
		jsonw_bool_field(json_wtr, "expired", b->expires_ns && b->expires_ns <= now);
		jsonw_int_field(json_wtr, "added", xb_boot_to_unix(b->added_ns));
		jsonw_uint_field(json_wtr, "packets", b->packets);
		jsonw_uint_field(json_wtr, "bytes", b->bytes);
		jsonw_string_field(json_wtr, "reason", b->reason);
		jsonw_string_field(json_wtr, "origin", origin_name(b->origin));
		jsonw_end_object(json_wtr);
	}
	jsonw_end_array(json_wtr);
}

static void list_plain(const struct xb_ban_entry *e, size_t n, __u64 now)
{
	printf("%-43s %-6s %-19s %-10s %10s %12s %-8s %s\n", "PREFIX", "KIND", "EXPIRES",
	       "REMAINING", "PACKETS", "BYTES", "ORIGIN", "REASON");
	for (size_t i = 0; i < n; i++) {
		const struct xb_ban *b = &e[i].ban;
		char text[XB_PREFIX_STRLEN], when[24] = "never", left[24] = "-";

		xb_prefix_format(&e[i].pfx, text, sizeof(text));
		if (b->expires_ns) {
			time_t t = (time_t)xb_boot_to_unix(b->expires_ns);

			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
			if (b->expires_ns > now)
				xb_duration_format((b->expires_ns - now) / 1000000000ULL, left,
						   sizeof(left));
			else
				snprintf(left, sizeof(left), "expired");
		}
		printf("%-43s %-6s %-19s %-10s %10llu %12llu %-8s %s\n", text,
		       xb_prefix_is_host(&e[i].pfx) ? "exact" : "prefix", when, left,
		       (unsigned long long)b->packets, (unsigned long long)b->bytes,
		       origin_name(b->origin), b->reason);
	}
}

int do_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sort", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct xb_ban_entry *e = NULL;
	struct xb_maps maps;
	size_t n = 0;
	int opt, err;

	sort_by = SORT_PREFIX;
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!strcmp(optarg, "hits"))
				sort_by = SORT_HITS;
			else if (!strcmp(optarg, "expiry"))
				sort_by = SORT_EXPIRY;
			else if (!strcmp(optarg, "added"))
				sort_by = SORT_ADDED;
			else if (!strcmp(optarg, "prefix"))
				sort_by = SORT_PREFIX;
			else
				return usage_err("--sort must be hits, expiry, added or prefix, "
						 "not '%s'",
						 optarg);
			break;
		case 'h':
			printf("Usage: banctl list [--sort hits|expiry|added|prefix]\n"
			       "Every ban: prefix, kind (exact or prefix), expiry, time left, "
			       "packets and bytes dropped, origin, reason.\n");
			return 0;
		case ':':
			return usage_err("list: option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_err("list: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (!strcmp(argv[optind], "help"))
			return do_list(2, (char *[]){ "list", "--help", NULL });
		return usage_err("list: unexpected argument '%s'", argv[optind]);
	}
	err = xb_maps_open(&maps, pin_dir, false);
	if (err)
		return err;
	err = xb_bans_list(&maps, &e, &n);
	xb_maps_close(&maps);
	if (err)
		return err;
	qsort(e, n, sizeof(*e), cmp_ban);
	if (json_wtr)
		list_json(e, n, xb_now_boot_ns());
	else
		list_plain(e, n, xb_now_boot_ns());
	free(e);
	return 0;
}

/* ---- allow ---- */

static int allow_list(void)
{
	struct xb_allow_entry *e = NULL;
	struct xb_maps maps;
	size_t n = 0;
	int err;

	err = xb_maps_open(&maps, pin_dir, false);
	if (err)
		return err;
	err = xb_allow_list(&maps, &e, &n);
	xb_maps_close(&maps);
	if (err)
		return err;
	if (json_wtr)
		jsonw_start_array(json_wtr);
	else
		printf("%-43s %10s %12s\n", "PREFIX", "PACKETS", "BYTES");
	for (size_t i = 0; i < n; i++) {
		char text[XB_PREFIX_STRLEN];

		xb_prefix_format(&e[i].pfx, text, sizeof(text));
		if (!json_wtr) {
			printf("%-43s %10llu %12llu\n", text,
			       (unsigned long long)e[i].allow.packets,
			       (unsigned long long)e[i].allow.bytes);
			continue;
		}
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "prefix", text);
		jsonw_uint_field(json_wtr, "family", e[i].pfx.family);
		jsonw_int_field(json_wtr, "added", xb_boot_to_unix(e[i].allow.added_ns));
		jsonw_uint_field(json_wtr, "packets", e[i].allow.packets);
		jsonw_uint_field(json_wtr, "bytes", e[i].allow.bytes);
		jsonw_end_object(json_wtr);
	}
	if (json_wtr)
		jsonw_end_array(json_wtr);
	free(e);
	return 0;
}

int do_allow(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "add"))
		return run_prefix_op(argc - 2, argv + 2, xb_allow_add, "allow add");
	if (!strcmp(sub, "del"))
		return run_prefix_op(argc - 2, argv + 2, xb_allow_del, "allow del");
	if (!strcmp(sub, "list")) {
		if (argc > 2)
			return usage_err("allow list: unexpected argument '%s'", argv[2]);
		return allow_list();
	}
	if (!strcmp(sub, "help") || !strcmp(sub, "--help")) {
		printf("Usage: banctl allow add PREFIX...|-\n"
		       "       banctl allow del PREFIX...|-\n"
		       "       banctl allow list\n"
		       "Prefixes on the allow list always pass, whatever is banned.\n");
		return 0;
	}
	return usage_err("allow: expected add, del or list%s%s", *sub ? ", not " : "", sub);
}

/* ---- save / restore ---- */

static int write_saved(FILE *f, const struct xb_ban_entry *e, size_t n)
{
	__u64 now = xb_now_boot_ns();
	char text[XB_PREFIX_STRLEN];
	time_t t = time(NULL);

	fprintf(f, "# xdpban bans, saved %s# PREFIX [timeout SECONDS] [reason TEXT]\n", ctime(&t));
	for (size_t i = 0; i < n; i++) {
		const struct xb_ban *b = &e[i].ban;

		if (b->expires_ns && b->expires_ns <= now)
			continue;
		xb_prefix_format(&e[i].pfx, text, sizeof(text));
		fprintf(f, "%s", text);
		if (b->expires_ns)
			fprintf(f, " timeout %llu",
				(unsigned long long)((b->expires_ns - now + 999999999ULL) /
						     1000000000ULL));
		if (b->reason[0])
			fprintf(f, " reason %s", b->reason);
		fputc('\n', f);
	}
	return fflush(f) ? -errno : 0;
}

int do_save(int argc, char **argv)
{
	struct xb_ban_entry *e = NULL;
	char tmp[PATH_MAX];
	struct xb_maps maps;
	size_t n = 0;
	FILE *f;
	int err;

	if (argc != 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		printf("Usage: banctl save FILE|-\n"
		       "Write every live ban, one per line with its remaining time and reason, in\n"
		       "the format 'banctl add -' and 'banctl restore' read. Written "
		       "atomically.\n");
		return argc == 2 ? 0 : -EUSAGE;
	}
	err = xb_maps_open(&maps, pin_dir, false);
	if (err)
		return err;
	err = xb_bans_list(&maps, &e, &n);
	xb_maps_close(&maps);
	if (err)
		return err;
	qsort(e, n, sizeof(*e), cmp_ban);
	if (!strcmp(argv[1], "-")) {
		err = write_saved(stdout, e, n);
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		p_err("cannot write %s: %s", tmp, strerror(-err));
		goto out;
	}
	err = write_saved(f, e, n);
	if (!err && fsync(fileno(f)))
		err = -errno;
	fclose(f);
	if (!err && rename(tmp, argv[1]))
		err = -errno;
	if (err) {
		unlink(tmp);
		p_err("cannot save to %s: %s", argv[1], strerror(-err));
	} else {
		p_info("%zu bans saved to %s", n, argv[1]);
	}
out:
	free(e);
	if (!err && json_wtr)
		jsonw_null(json_wtr);
	return err;
}

int do_restore(int argc, char **argv)
{
	struct xb_ban_req def = { .origin = XB_ORIGIN_RESTORE }, *reqs = NULL;
	struct xb_maps maps;
	size_t n = 0, bad = 0;
	FILE *f;
	int err;

	if (argc != 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		printf("Usage: banctl restore FILE|-\n"
		       "Ban every prefix FILE lists (as written by 'banctl save'), all or "
		       "nothing.\n");
		return argc == 2 ? 0 : -EUSAGE;
	}
	f = strcmp(argv[1], "-") ? fopen(argv[1], "re") : stdin;
	if (!f) {
		err = -errno;
		p_err("cannot read %s: %s", argv[1], strerror(-err));
		return -EUSAGE;
	}
	err = read_ban_lines(f, argv[1], &def, &reqs, &n);
	if (f != stdin)
		fclose(f);
	if (err)
		return err;
	err = open_for_write(&maps);
	if (!err) {
		err = xb_bans_add(&maps, reqs, n, &bad);
		xb_maps_close(&maps);
	}
	if (!err) {
		p_info("%zu bans restored from %s", n, argv[1]);
		if (json_wtr) {
			jsonw_start_object(json_wtr);
			jsonw_uint_field(json_wtr, "restored", n);
			jsonw_end_object(json_wtr);
		}
	}
	free(reqs);
	return err;
}
