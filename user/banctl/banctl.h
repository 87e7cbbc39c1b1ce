/* SPDX-License-Identifier: GPL-2.0 */
/* What banctl's command files share: global options, output, exit conventions. */
#ifndef BANCTL_H
#define BANCTL_H

#include <stdbool.h>
#include "xb.h"
#include "json_writer.h"

/* A command's bad argument: exit status 2, as distinct from a runtime failure (1). */
#define EUSAGE 2000

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *help;
};

extern const char *pin_dir;
extern const char *state_dir;
extern bool json_output;
extern json_writer_t *json_wtr;
extern int verbosity;

/* Prints "Error: ..." on stderr (and {"error": ...} on stdout under -j); returns -EUSAGE. */
int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The pid of the xdpband that runs with this state dir, 0 when none does. */
int daemon_pid(const char *dir);

/* Parses PREFIX, naming the argument in the error; warns when host bits were cleared. */
int parse_prefix_arg(const char *text, struct xb_prefix *pfx, const char *where);
int parse_u32_arg(const char *text, const char *what, __u32 min, __u32 max, __u32 *out);
/* Reads "PREFIX" per line from stdin (comments and blank lines skipped) */
int read_prefix_lines(FILE *f, struct xb_prefix **out, size_t *n);

int do_load(int argc, char **argv);
int do_unload(int argc, char **argv);
int do_status(int argc, char **argv);
int do_add(int argc, char **argv);
int do_del(int argc, char **argv);
int do_list(int argc, char **argv);
int do_allow(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_log(int argc, char **argv);
int do_log_limit(int argc, char **argv);
int do_test_source(int argc, char **argv);
int do_save(int argc, char **argv);
int do_restore(int argc, char **argv);
int do_report(int argc, char **argv);

#endif /* BANCTL_H */
