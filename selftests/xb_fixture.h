/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The real XDP program loaded for BPF_PROG_TEST_RUN: unpinned maps, counter slot 0, and
 * a struct xb_maps over them so tests fill the maps through libxdpban itself.
 */
#ifndef XB_FIXTURE_H
#define XB_FIXTURE_H

#include "xb.h"
#include "xdpban.skel.h"

struct xb_fixture {
	struct xdpban_bpf *skel;
	struct xb_maps maps;
	int prog_fd;
};

/* 0 or -errno; on failure the fixture needs no destroy. */
int xb_fixture_open(struct xb_fixture *fx);
void xb_fixture_close(struct xb_fixture *fx);

/* Runs one frame through the program; returns the XDP verdict or -errno. */
int xb_fixture_run(struct xb_fixture *fx, const void *frame, size_t len);

/* Slot 0's counters summed over CPUs. */
struct xb_counters xb_fixture_counters(struct xb_fixture *fx);

/* Bans (or allows) the prefix in text with a timeout in seconds (0 = permanent). */
int xb_fixture_ban(struct xb_fixture *fx, const char *text, __u64 timeout_s);
int xb_fixture_allow(struct xb_fixture *fx, const char *text);
/* A ban for text whose expiry is already past, as if its time ran out a second ago. */
int xb_fixture_ban_expired(struct xb_fixture *fx, const char *text);
/* The ban entry of text, for its hit counters. */
int xb_fixture_ban_get(struct xb_fixture *fx, const char *text, struct xb_ban *out);
/* Empties every ban and allow map and zeroes the counters. */
void xb_fixture_reset(struct xb_fixture *fx);

const char *xdp_verdict_name(int verdict);

#endif /* XB_FIXTURE_H */
