// SPDX-License-Identifier: GPL-2.0
/* Whether this process holds the capabilities BPF maps and XDP links need, said up front. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "xb.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

int xb_caps_check(bool attach)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	char missing[64] = "";

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -errno;
	/* CAP_SYS_ADMIN stands in for CAP_BPF on kernels older than 5.8. */
	if (!has_cap(d, CAP_BPF) && !has_cap(d, CAP_SYS_ADMIN))
		strcat(missing, "CAP_BPF ");
	if (attach && !has_cap(d, CAP_NET_ADMIN))
		strcat(missing, "CAP_NET_ADMIN ");
	if (!missing[0])
		return 0;
	missing[strlen(missing) - 1] = '\0';
	xb_warn("missing capabilities: %s; run as root (or grant them, as xdpband.service does)",
		missing);
	return -EPERM;
}
