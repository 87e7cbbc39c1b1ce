/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared between the library's files, not part of its API. */
#ifndef XB_INTERNAL_H
#define XB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

int xb_pin_dir_prepare(const char *pin_dir);
/* Returns the lock fd (close it to release) or -errno. */
int xb_lock(const char *pin_dir, bool exclusive);
int xb_pin_path(char *buf, size_t size, const char *pin_dir, const char *name);
int xb_meta_check(int meta_fd, const char *pin_dir);

#endif /* XB_INTERNAL_H */
