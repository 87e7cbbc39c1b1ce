// SPDX-License-Identifier: GPL-2.0
/*
 * xb_holds: the program skips a trie only while it is marked empty; libxdpban marks a trie
 * before its first entry goes in, and only the expiry sweep unmarks it, once empty.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "test_progs.h"
#include "frames.h"
#include "xb_fixture.h"

static int udp_from(struct xb_fixture *fx, const char *src)
{
	struct frame f;
	size_t len = frame_udp_from(&f, src);

	return xb_fixture_run(fx, f.buf, len);
}

static __u32 held(struct xb_fixture *fx, __u32 trie)
{
	__u32 v = 99;

	bpf_map_lookup_elem(fx->maps.fd[XB_HOLDS], &trie, &v);
	return v;
}

void test_holds(void)
{
	struct xb_fixture fx;
	struct xb_prefix p;
	__u32 zero = 0;

	if (!test__require_root() || !ASSERT_OK(xb_fixture_open(&fx), "fixture"))
		return;
	for (__u32 t = 0; t < __XB_TRIE_MAX; t++)
		ASSERT_EQ(held(&fx, t), 0, "new tries are marked empty");
	ASSERT_EQ(udp_from(&fx, "10.1.2.3"), XDP_PASS, "nothing banned");

	ASSERT_OK(xb_fixture_ban(&fx, "10.0.0.0/8", 0), "prefix ban");
	ASSERT_EQ(held(&fx, XB_TRIE_PFX_V4), 1, "marked by the add");
	ASSERT_EQ(held(&fx, XB_TRIE_PFX_V6), 0, "the other family untouched");
	ASSERT_EQ(udp_from(&fx, "10.1.2.3"), XDP_DROP, "prefix ban drops");
	ASSERT_OK(xb_fixture_allow(&fx, "10.1.0.0/16"), "allow");
	ASSERT_EQ(held(&fx, XB_TRIE_ALLOW_V4), 1, "allow trie marked");
	ASSERT_EQ(udp_from(&fx, "10.1.2.3"), XDP_PASS, "allow list wins");
	ASSERT_OK(xb_fixture_ban(&fx, "2001:db8:1::/48", 0), "v6 prefix ban");
	ASSERT_EQ(udp_from(&fx, "2001:db8:1::7"), XDP_DROP, "v6 prefix ban drops");

	/* The mark is what the program trusts: cleared by hand, the trie is skipped. */
	bpf_map_update_elem(fx.maps.fd[XB_HOLDS], &(__u32){ XB_TRIE_PFX_V4 }, &zero, BPF_ANY);
	ASSERT_EQ(udp_from(&fx, "10.2.3.4"), XDP_PASS, "an unmarked trie is skipped");
	ASSERT_OK(xb_fixture_ban(&fx, "10.0.0.0/8", 0), "banned again");
	ASSERT_EQ(udp_from(&fx, "10.2.3.4"), XDP_DROP, "marked again by the add");

	/* The sweep unmarks only what it finds empty. */
	fx.maps.lock_fd = open("/", O_RDONLY | O_CLOEXEC); /* no pin dir: stands in for the lock */
	xb_prefix_parse("10.0.0.0/8", &p, NULL);
	ASSERT_OK(xb_bans_del(&fx.maps, &p, 1, NULL), "prefix lifted");
	ASSERT_EQ(held(&fx, XB_TRIE_PFX_V4), 1, "a delete does not unmark");
	ASSERT_GE(xb_bans_expire(&fx.maps, NULL, NULL, NULL), 0, "sweep");
	ASSERT_EQ(held(&fx, XB_TRIE_PFX_V4), 0, "the sweep unmarks the empty trie");
	ASSERT_EQ(held(&fx, XB_TRIE_PFX_V6), 1, "and keeps the one with entries");
	ASSERT_EQ(held(&fx, XB_TRIE_ALLOW_V4), 1, "allow trie with an entry kept");
	ASSERT_EQ(udp_from(&fx, "2001:db8:1::7"), XDP_DROP, "v6 prefix still drops");
	ASSERT_EQ(udp_from(&fx, "10.2.3.4"), XDP_PASS, "lifted prefix passes");
	close(fx.maps.lock_fd);
	fx.maps.lock_fd = -1;
	xb_fixture_close(&fx);
}
