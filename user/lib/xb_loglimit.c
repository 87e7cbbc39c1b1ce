// SPDX-License-Identifier: GPL-2.0
/* The drop log's token buckets, one per class, set under their spin lock. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include "xb.h"

int xb_log_limit_set_fd(int fd, __u64 interval_ns, __u32 burst)
{
	if (interval_ns && (!burst || interval_ns > ~0ULL / burst))
		return -ERANGE;
	for (__u32 class = 0; class < __XB_CLASS_MAX; class ++) {
		struct xb_bucket b = {
			.cost = interval_ns,
			.cap = interval_ns * burst,
			.credit = interval_ns * burst,
			/* The program's clock is the coarse one: from 0 the first refill just
			 * fills the bucket to its cap, whatever that clock reads. */
			.prev_ns = 0,
		};

		if (bpf_map_update_elem(fd, &class, &b, BPF_F_LOCK))
			return -errno;
	}
	return 0;
}

int xb_log_limit_set(struct xb_maps *maps, __u64 interval_ns, __u32 burst)
{
	int err = xb_log_limit_set_fd(maps->fd[XB_BUCKETS], interval_ns, burst);

	if (err)
		xb_warn("cannot set the drop-log rate: %s", strerror(-err));
	return err;
}

int xb_log_limit_get(struct xb_maps *maps, __u64 *interval_ns, __u32 *burst)
{
	struct xb_bucket b = {};
	__u32 class = XB_CLASS_TCP;

	if (bpf_map_lookup_elem_flags(maps->fd[XB_BUCKETS], &class, &b, BPF_F_LOCK))
		return -errno;
	*interval_ns = b.cost;
	*burst = b.cost ? (__u32)(b.cap / b.cost) : 0;
	return 0;
}
