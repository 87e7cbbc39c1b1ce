// SPDX-License-Identifier: GPL-2.0
/* xb_bench: command dispatch. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "bench.h"

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
	{ "prog", do_prog, "per-packet ns through BPF_PROG_TEST_RUN, next to two floors" },
	{ "addrs", do_addrs, "print N distinct IPv4 addresses, the same every run" },
	{ "mkmaps", do_mkmaps, "create the pinned maps in a pin dir without attaching" },
	{ "xdpdrop", do_xdpdrop, "attach a bare XDP_DROP, or a plain hash filter (--hash)" },
	{ "txgen", do_txgen, "send frames out of a veth with BPF_F_TEST_XDP_LIVE_FRAMES" },
};

static int usage(void)
{
	fprintf(stderr, "Usage: xb_bench COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	return 2;
}

int main(int argc, char **argv)
{
	int err;

	if (argc < 2)
		return usage();
	quiet_libbpf();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		err = cmds[i].func(argc - 1, argv + 1);
		if (err == -EUSAGE)
			return 2;
		return err ? 1 : 0;
	}
	return usage();
}
