/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared between the library's files, not part of its API. */
#ifndef XB_INTERNAL_H
#define XB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "xb.h"

int xb_pin_dir_prepare(const char *pin_dir);
/* Returns the lock fd (close it to release) or -errno. */
int xb_lock(const char *pin_dir, bool exclusive);
int xb_pin_path(char *buf, size_t size, const char *pin_dir, const char *name);
int xb_meta_check(int meta_fd, const char *pin_dir);
/* The map of each enum xb_trie (the keys of xb_holds). */
extern const enum xb_map_id xb_trie_maps[__XB_TRIE_MAX];
struct xb_load_opts;
/* The capacity a load asks for map id; 0 = the pinned one, or the default. */
__u32 xb_wanted_max(const struct xb_load_opts *o, enum xb_map_id id);

#endif /* XB_INTERNAL_H */
