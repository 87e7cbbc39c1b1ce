/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps (and a program) of layout 1, the first release, pinned as its banctl pinned them:
 * the starting point of the migration tests (prog_tests/migrate.c, e2e/test-upgrade.sh).
 */
#ifndef XB_LAYOUT1_H
#define XB_LAYOUT1_H

#include "xb.h"

/*
 * Creates the layout-1 maps in pin_dir (a bpffs) with that layout's xb_meta stamp and
 * default drop-log buckets; with ifname, also attaches the layout-1 program there in
 * native mode through a link pinned at pin_dir/links/ifname, in counter slot 0.
 */
int layout1_create(const char *pin_dir, const char *ifname);

/* Adds a ban (timeout_s 0 = permanent), or with allow an allow entry, as layout 1 stored it. */
int layout1_add(const char *pin_dir, const char *text, __u64 timeout_s, const char *reason,
		bool allow);

#endif /* XB_LAYOUT1_H */
