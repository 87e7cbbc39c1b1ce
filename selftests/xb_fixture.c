// SPDX-License-Identifier: GPL-2.0
/* Loading the real program for BPF_PROG_TEST_RUN, and filling its maps through libxdpban. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xb_fixture.h"

int xb_fixture_open(struct xb_fixture *fx)
{
	struct bpf_map *map;
	int err;

	memset(fx, 0, sizeof(*fx));
	fx->skel = xdpban_bpf__open();
	if (!fx->skel)
		return -errno;
	/* Never pin from a unit test: the maps die with the fixture. */
	bpf_object__for_each_map(map, fx->skel->obj) bpf_map__set_pin_path(map, NULL);
	err = xdpban_bpf__load(fx->skel);
	if (err) {
		xdpban_bpf__destroy(fx->skel);
		fx->skel = NULL;
		return err;
	}
	fx->prog_fd = bpf_program__fd(fx->skel->progs.xdpban);
	err = xb_log_limit_set_fd(bpf_map__fd(fx->skel->maps.xb_buckets),
				  XB_LOG_DEFAULT_INTERVAL_NS, XB_LOG_DEFAULT_BURST);
	if (err) {
		xdpban_bpf__destroy(fx->skel);
		fx->skel = NULL;
		return err;
	}
	fx->maps.lock_fd = -1;
	for (int id = 0; id < __XB_MAP_MAX; id++)
		fx->maps.fd[id] =
			bpf_map__fd(bpf_object__find_map_by_name(fx->skel->obj, xb_map_names[id]));
	return 0;
}

void xb_fixture_close(struct xb_fixture *fx)
{
	xdpban_bpf__destroy(fx->skel);
	fx->skel = NULL;
}

int xb_fixture_run(struct xb_fixture *fx, const void *frame, size_t len)
{
	static unsigned char out[16384];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(fx->prog_fd, &opts))
		return -errno;
	return (int)opts.retval;
}

struct xb_counters xb_fixture_counters(struct xb_fixture *fx)
{
	struct xb_counters c = {};

	xb_counters_read(&fx->maps, 0, &c);
	return c;
}

int xb_fixture_ban(struct xb_fixture *fx, const char *text, __u64 timeout_s)
{
	struct xb_ban_req req = { .timeout_s = timeout_s };

	if (xb_prefix_parse(text, &req.pfx, NULL))
		return -EINVAL;
	return xb_bans_add(&fx->maps, &req, 1, NULL);
}

int xb_fixture_allow(struct xb_fixture *fx, const char *text)
{
	struct xb_prefix pfx;

	if (xb_prefix_parse(text, &pfx, NULL))
		return -EINVAL;
	return xb_allow_add(&fx->maps, &pfx, 1, NULL);
}

/* Where a prefix lives, and its key, the way the library files it. */
static int ban_slot(struct xb_fixture *fx, const char *text, int *fd, unsigned char key[20])
{
	struct xb_prefix p;
	bool host;

	if (xb_prefix_parse(text, &p, NULL))
		return -EINVAL;
	host = xb_prefix_is_host(&p);
	memset(key, 0, 20);
	if (host) {
		*fd = fx->maps.fd[p.family == 4 ? XB_BAN_V4 : XB_BAN_V6];
		memcpy(key, p.addr, p.family == 4 ? 4 : 16);
	} else {
		__u32 len = p.len;

		*fd = fx->maps.fd[p.family == 4 ? XB_PFX_V4 : XB_PFX_V6];
		memcpy(key, &len, 4);
		memcpy(key + 4, p.addr, p.family == 4 ? 4 : 16);
	}
	return 0;
}

int xb_fixture_ban_get(struct xb_fixture *fx, const char *text, struct xb_ban *out)
{
	unsigned char key[20];
	int fd;

	if (ban_slot(fx, text, &fd, key))
		return -EINVAL;
	return bpf_map_lookup_elem(fd, key, out) ? -errno : 0;
}

int xb_fixture_ban_expired(struct xb_fixture *fx, const char *text)
{
	unsigned char key[20];
	struct xb_ban ban;
	int fd, err;

	err = xb_fixture_ban(fx, text, 3600);
	if (err || ban_slot(fx, text, &fd, key))
		return err ? err : -EINVAL;
	if (bpf_map_lookup_elem(fd, key, &ban))
		return -errno;
	ban.expires_ns = xb_now_boot_ns() - 1000000000ULL;
	return bpf_map_update_elem(fd, key, &ban, BPF_EXIST) ? -errno : 0;
}

static void empty_map(int fd)
{
	unsigned char key[64];

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			break;
}

void xb_fixture_reset(struct xb_fixture *fx)
{
	int ncpus = libbpf_num_possible_cpus();
	struct xb_counters *zero = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(*zero));
	__u32 slot = 0;

	for (int id = XB_BAN_V4; id <= XB_ALLOW_V6; id++)
		empty_map(fx->maps.fd[id]);
	/* Every trie is empty: the program may skip them until libxdpban marks one again. */
	for (__u32 t = 0; t < __XB_TRIE_MAX; t++)
		bpf_map_update_elem(fx->maps.fd[XB_HOLDS], &t, &slot, BPF_ANY);
	if (zero)
		bpf_map_update_elem(fx->maps.fd[XB_COUNTERS], &slot, zero, BPF_ANY);
	free(zero);
}

const char *xdp_verdict_name(int verdict)
{
	switch (verdict) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	default:
		return "error";
	}
}
