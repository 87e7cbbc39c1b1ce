// SPDX-License-Identifier: GPL-2.0
/* Per-CPU counters summed, and the interface table. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xb.h"

#define PB(name)                                                          \
	{ #name "_packets", offsetof(struct xb_counters, name.packets) }, \
	{                                                                 \
#name "_bytes", offsetof(struct xb_counters, name.bytes)  \
	}
#define U64(name)                                         \
	{                                                 \
#name, offsetof(struct xb_counters, name) \
	}

const struct xb_counter_field xb_counter_fields[] = {
	PB(rx),
	PB(passed_v4),
	PB(passed_v6),
	PB(passed_other),
	PB(allowed_v4),
	PB(allowed_v6),
	PB(dropped_v4),
	PB(dropped_v6),
	U64(dropped_exact),
	U64(dropped_prefix),
	U64(malformed),
	U64(expired_hits),
	U64(log_events),
	U64(log_suppressed),
	U64(log_lost),
};
const size_t xb_counter_nfields = sizeof(xb_counter_fields) / sizeof(xb_counter_fields[0]);

_Static_assert(sizeof(xb_counter_fields) / sizeof(xb_counter_fields[0]) ==
		       sizeof(struct xb_counters) / sizeof(__u64),
	       "every counter has a name");

void xb_counters_add(struct xb_counters *sum, const struct xb_counters *c)
{
	/* Every field is a __u64, so the struct adds up as an array. */
	__u64 *s = (__u64 *)sum;
	const __u64 *a = (const __u64 *)c;

	for (size_t i = 0; i < sizeof(*c) / sizeof(__u64); i++)
		s[i] += a[i];
}

int xb_counters_read(struct xb_maps *maps, __u32 slot, struct xb_counters *out)
{
	int ncpus = libbpf_num_possible_cpus();
	struct xb_counters *percpu;
	int err = 0;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(maps->fd[XB_COUNTERS], &slot, percpu)) {
		err = -errno;
		goto out;
	}
	for (int cpu = 0; cpu < ncpus; cpu++)
		xb_counters_add(out, &percpu[cpu]);
out:
	free(percpu);
	return err;
}

int xb_ifaces_read(struct xb_maps *maps, struct xb_iface ifaces[XB_MAX_IFACES])
{
	for (__u32 i = 0; i < XB_MAX_IFACES; i++) {
		if (bpf_map_lookup_elem(maps->fd[XB_IFACES], &i, &ifaces[i]))
			return -errno;
	}
	return 0;
}
