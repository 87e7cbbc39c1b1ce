// SPDX-License-Identifier: GPL-2.0
/*
 * banctl: the admin CLI of xdpban. Global options, command dispatch (exact or unique
 * prefix), and the one place where an error code becomes an exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include "banctl.h"

#ifndef XDPBAN_VERSION
#define XDPBAN_VERSION "0.1.0"
#endif

const char *pin_dir;
const char *state_dir;
bool json_output;
json_writer_t *json_wtr;
int verbosity;

static char last_error[512];

static const struct cmd cmds[] = {
	{ "load", do_load, "attach the XDP program to interfaces" },
	{ "unload", do_unload, "detach from interfaces (--all: and drop every ban)" },
	{ "status", do_status, "attached interfaces and map fill levels" },
	{ "add", do_add, "ban prefixes" },
	{ "del", do_del, "lift bans" },
	{ "list", do_list, "list bans with their hits" },
	{ "allow", do_allow, "manage the allow list, which beats every ban" },
	{ "stats", do_stats, "packet counters summed over CPUs" },
	{ "log", do_log, "the drop log (iptables LOG lines), -f to follow" },
	{ "log-limit", do_log_limit, "show or set the drop log's rate" },
	{ "test-source", do_test_source, "run a log source over a file, dry-run" },
	{ "save", do_save, "write every ban to a file (the format 'add -' reads)" },
	{ "restore", do_restore, "ban everything a saved file lists" },
	{ "report", do_report, "what xdpban did: drops, offenders, bans (text, json, html)" },
	{ 0 },
};

static void vprint(FILE *f, const char *tag, const char *fmt, va_list ap)
{
	fprintf(f, "%s", tag);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "Error: %s\n", last_error);
}

int daemon_pid(const char *dir)
{
	char path[PATH_MAX + 16], text[32] = "";
	int fd, pid = 0;

	snprintf(path, sizeof(path), "%s/xdpband.pid", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* xdpband holds an exclusive lock on its pid file while it runs. */
	if (flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK) {
		ssize_t n = read(fd, text, sizeof(text) - 1);

		text[n > 0 ? n : 0] = '\0';
		pid = atoi(text) > 0 ? atoi(text) : 1;
	}
	close(fd);
	return pid;
}

int usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "Error: %s\n", last_error);
	return -EUSAGE;
}

void p_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(stderr, "Warning: ", fmt, ap);
	va_end(ap);
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	if (json_output && verbosity < 1)
		return;
	va_start(ap, fmt);
	vprint(stderr, "", fmt, ap);
	va_end(ap);
}

/* The library's failures are our error lines; its info only with -v, debug with -d. */
static void lib_print(enum xb_print_level level, const char *fmt, va_list ap)
{
	if (level == XB_WARN) {
		vsnprintf(last_error, sizeof(last_error), fmt, ap);
		fprintf(stderr, "Error: %s\n", last_error);
		return;
	}
	if ((level == XB_INFO && verbosity < 1) || (level == XB_DEBUG && verbosity < 2))
		return;
	vprint(stderr, "", fmt, ap);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: banctl [OPTIONS] COMMAND [ARGS]\n"
		   "       banctl COMMAND help\n"
		   "\n"
		   "Commands:\n");
	for (const struct cmd *c = cmds; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->help);
	fprintf(f,
		"\n"
		"Options (before the command):\n"
		"  --pin-dir DIR  bpffs directory of the maps and links (env %s,\n"
		"                 default %s)\n"
		"  --state-dir DIR  the daemon's state dir, whose ban journal writers append to\n"
		"                 (env XDPBAN_STATE_DIR, default /var/lib/xdpban; skipped if "
		"absent)\n"
		"  -j, --json     JSON output: one document on stdout\n"
		"  -p, --pretty   pretty-printed JSON (implies -j)\n"
		"  -v, --verbose  more messages (libbpf's among them)\n"
		"  -d, --debug    everything, including libbpf debug and the verifier log\n"
		"  -V, --version  print the version\n"
		"  -h, --help     this help\n"
		"\n"
		"Exit status: 0 ok, 1 runtime failure, 2 bad usage or input (nothing changed).\n"
		"See banctl(8).\n",
		XB_PIN_DIR_ENV, XB_PIN_DIR_DEFAULT);
}

static const struct cmd *cmd_select(const char *name)
{
	const struct cmd *found = NULL;
	size_t len = strlen(name);

	for (const struct cmd *c = cmds; c->name; c++) {
		if (!strcmp(c->name, name))
			return c;
		if (!strncmp(c->name, name, len)) {
			if (found) {
				usage_err("command '%s' is ambiguous: %s or %s?", name, found->name,
					  c->name);
				return NULL;
			}
			found = c;
		}
	}
	if (!found)
		usage_err("unknown command '%s'; 'banctl help' lists them", name);
	return found;
}

/* Before anything is touched; help and test-source need no privilege. */
static int check_caps(const struct cmd *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "help") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "-h"))
			return 0;
	}
	/* These read only log and SQLite files. */
	if (cmd->func == do_test_source || cmd->func == do_report)
		return 0;
	return xb_caps_check(cmd->func == do_load || cmd->func == do_unload);
}

static int exit_status(int err)
{
	if (!err)
		return 0;
	if (err == -EUSAGE)
		return 2;
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct cmd *cmd;
	bool pretty = false;
	int opt, err;

	xb_set_print(lib_print);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+jpvdVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'P':
			pin_dir = optarg;
			break;
		case 'S':
			state_dir = optarg;
			break;
		case 'p':
			pretty = true;
			/* fallthrough */
		case 'j':
			json_output = true;
			break;
		case 'v':
			verbosity = verbosity < 1 ? 1 : verbosity;
			break;
		case 'd':
			verbosity = 2;
			break;
		case 'V':
			printf("banctl %s (layout %d)\n", XDPBAN_VERSION, XB_LAYOUT_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Error: unknown option '%s'; 'banctl --help' lists them\n",
				argv[optind - 1]);
			return 2;
		}
	}
	pin_dir = xb_pin_dir(pin_dir);
	if (!state_dir)
		state_dir = getenv("XDPBAN_STATE_DIR");
	if (!state_dir || !*state_dir)
		state_dir = "/var/lib/xdpban";
	argc -= optind;
	argv += optind;
	if (argc < 1 || !strcmp(argv[0], "help")) {
		usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (json_output) {
		json_wtr = jsonw_new(stdout);
		if (!json_wtr) {
			fprintf(stderr, "Error: cannot create the JSON writer\n");
			return 1;
		}
		jsonw_pretty(json_wtr, pretty);
	}
	cmd = cmd_select(argv[0]);
	err = cmd ? check_caps(cmd, argc, argv) : -EUSAGE;
	if (!err)
		err = cmd->func(argc, argv);
	if (json_wtr) {
		/* Under -j stdout always holds one JSON value; an error is that value. */
		if (err) {
			jsonw_start_object(json_wtr);
			jsonw_string_field(json_wtr, "error",
					   last_error[0] ? last_error : strerror(-err));
			jsonw_end_object(json_wtr);
		}
		jsonw_destroy(&json_wtr);
	} else if (err && err != -EUSAGE && !last_error[0]) {
		fprintf(stderr, "Error: %s\n", strerror(-err));
	}
	return exit_status(err);
}
