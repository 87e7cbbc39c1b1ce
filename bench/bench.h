/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xb_bench: the C half of `make bench`. One binary, one command per job; bench/run.sh calls
 * it and writes docs/BENCHMARKS.md. Commands return 0 or -errno; main() turns that into
 * the exit status (0 ok, 1 failure, 2 usage).
 */
#ifndef XB_BENCH_H
#define XB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define EUSAGE 1000

/* Per-packet cost through BPF_PROG_TEST_RUN (prog.c). */
int do_prog(int argc, char **argv);
/* Prints N distinct IPv4 host addresses, the same every run (prog.c). */
int do_addrs(int argc, char **argv);
/* Creates the pinned maps in a pin dir, as `banctl load` would, without attaching. */
int do_mkmaps(int argc, char **argv);
/* Attaches bench/floor.bpf.c's xb_drop to an interface (native XDP), or detaches. */
int do_xdpdrop(int argc, char **argv);
/* The veth sender: xb_txgen under BPF_F_TEST_XDP_LIVE_FRAMES, one long call. */
int do_txgen(int argc, char **argv);

/* ---- helpers (util.c) ---- */

/* splitmix64: deterministic, so every run bans the same addresses. */
__u64 rnd_next(__u64 *state);
__u64 now_ns(void);
int cmp_u64(const void *a, const void *b);
/* The median of n values; sorts them. */
__u64 median_u64(__u64 *v, size_t n);
/* Parses a non-negative integer with an optional k/M suffix (1000s). */
int parse_count(const char *text, __u64 *out);
/* The memlock: line of /proc/self/fdinfo/FD, in bytes. */
int fd_memlock(int fd, __u64 *bytes);
/* libbpf quiet unless XB_BENCH_VERBOSE is set. */
void quiet_libbpf(void);

#endif /* XB_BENCH_H */
