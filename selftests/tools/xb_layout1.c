// SPDX-License-Identifier: GPL-2.0
/*
 * xb_layout1: sets up what the first release (layout 1) left pinned, for the upgrade test
 * (selftests/e2e/test-upgrade.sh).
 *
 *   xb_layout1 PIN_DIR create [IFACE]    maps, and the layout-1 program on IFACE
 *   xb_layout1 PIN_DIR ban|allow -       one prefix a line from stdin
 *   xb_layout1 PIN_DIR ban|allow PREFIX...
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "layout1.h"

static int add_one(const char *pin_dir, const char *text, bool allow)
{
	int err = layout1_add(pin_dir, text, 0, "layout1", allow);

	if (err)
		fprintf(stderr, "xb_layout1: cannot add '%s': %s\n", text, strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	char line[128];
	bool allow;
	int err = 0;

	if (argc >= 3 && !strcmp(argv[2], "create")) {
		err = layout1_create(argv[1], argc > 3 ? argv[3] : NULL);
		if (err)
			fprintf(stderr, "xb_layout1: create failed: %s\n", strerror(-err));
		return err ? 1 : 0;
	}
	if (argc < 4 || (strcmp(argv[2], "ban") && strcmp(argv[2], "allow"))) {
		fprintf(stderr,
			"usage: xb_layout1 PIN_DIR create [IFACE] | ban|allow -|PREFIX...\n");
		return 2;
	}
	allow = !strcmp(argv[2], "allow");
	if (!strcmp(argv[3], "-")) {
		while (!err && fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0])
				err = add_one(argv[1], line, allow);
		}
		return err ? 1 : 0;
	}
	for (int i = 3; i < argc && !err; i++)
		err = add_one(argv[1], argv[i], allow);
	return err ? 1 : 0;
}
