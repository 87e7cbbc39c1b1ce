/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reference model of the XDP program's verdict, for the packet differential test
 * (prog_tests/xdp_model.c). It is written from the specification alone — issue 3 and the
 * comments of maps/xdpban_maps.h — and never from bpf/xdpban.bpf.c, so that the two only
 * agree when both read the specification the same way:
 *
 *   - Ethernet, then at most two VLAN tags (0x8100 or 0x88a8, in any order); a tag cut
 *     short is malformed, a third tag is not IP.
 *   - IPv4: 20 bytes, version 4, IHL >= 5 and the IHL * 4 header inside the frame, else
 *     malformed. IPv6: 40 bytes and version 6, else malformed. Other ethertypes are not IP.
 *     Not IP and malformed both pass as passed_other; malformed also counts malformed.
 *   - The source is judged against the lists of its family; an IPv6 source ::ffff:a.b.c.d
 *     against the IPv4 lists, though counted as IPv6 (allowed_v6, dropped_v6, passed_v6).
 *   - Allow list (longest prefix, any length) → allowed; a live exact ban (/32, /128) →
 *     dropped_exact; a live prefix ban → dropped_prefix; else passed. An expired exact ban
 *     counts one expired_hits and falls through to the prefixes. An expired longest prefix
 *     counts one expired_hits and the lookup is retried one bit shorter than it, at most
 *     XB_LPM_RETRIES times after the first lookup; then the frame passes.
 *   - Every byte count is the frame's length; a drop adds one packet and the frame's length
 *     to the ban that dropped it, an allowed frame to the longest allow entry covering it.
 *
 * A ban is live when it is permanent (expires_ns 0) or expires_ns > now, as the library's
 * expiry sweep reads it; the test keeps every expiry far from now, so the edge never matters.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include "xdpban_maps.h"

struct model_ban {
	__u8 family; /* 4 or 6 */
	__u8 len; /* 32 or 128: an exact ban; shorter: a prefix ban */
	__u8 addr[16]; /* network order, host bits clear; IPv4 in the first 4 bytes */
	__u64 expires_ns; /* CLOCK_BOOTTIME; 0 = permanent */
	struct xb_pkt_bytes hits; /* what the map should hold; kept by the caller */
};

struct model_allow {
	__u8 family;
	__u8 len;
	__u8 addr[16];
	struct xb_pkt_bytes hits; /* what the map should hold; kept by the caller */
};

/* The maps' contents. No two bans (or allows) share family, length and address. */
struct model_set {
	const struct model_ban *bans;
	size_t n_bans;
	const struct model_allow *allows;
	size_t n_allows;
};

/* How the model reached its verdict, for reports and coverage. */
enum model_path {
	MODEL_NOT_IP,
	MODEL_THIRD_TAG, /* not IP either: a third VLAN tag */
	MODEL_MALFORMED,
	MODEL_ALLOWED,
	MODEL_DROP_EXACT,
	MODEL_DROP_PREFIX,
	MODEL_PASSED, /* IP, not allowed and no live ban found */
	__MODEL_PATH_MAX,
};

struct model_result {
	int verdict; /* XDP_PASS or XDP_DROP */
	enum model_path path;
	struct xb_counters delta; /* what the frame adds to the counters (log_* left 0) */
	int ban; /* index in set->bans of the ban that dropped it, else -1 */
	int allow; /* index in set->allows of the longest entry that allowed it, else -1 */
	__u8 family; /* of the IP header, 4 or 6; 0 when not IP or malformed */
	__u8 judged; /* family of the lists consulted: 6, or 4 for v4 and mapped sources */
	__u8 src[16]; /* the address judged (IPv4 in the first 4 bytes) */
	__u8 expired; /* expired bans met on the way, as delta.expired_hits */
	bool gave_up; /* the prefix lookups ran out (XB_LPM_RETRIES) on expired bans */
};

const char *model_path_name(enum model_path path);

/* Whether the first len bits of pfx and addr agree. */
bool model_covers(const __u8 *pfx, unsigned int len, const __u8 *addr);

/* Judges one frame of len bytes at CLOCK_BOOTTIME now; set is only read. */
void model_classify(const struct model_set *set, const void *frame, size_t len, __u64 now,
		    struct model_result *res);

#endif /* MODEL_H */
