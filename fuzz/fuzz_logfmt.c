// SPDX-License-Identifier: GPL-2.0
/*
 * xb_log_format(), the iptables LOG line of a drop event. The input is a struct xb_event
 * (its first sizeof bytes, zero-filled when shorter), then the log prefix and the interface
 * name, NUL-separated (both NULL when absent, capped at 29 and 15 bytes as the config and
 * the kernel cap them). The full line is printable after "IN=<ifname>", starts with the
 * common part, shows the addresses of an IPv4 or IPv6 event (nothing more for another
 * family), and ends with a space or the kernel's "TRUNCATED". Then every buffer size from
 * 0 to the line's length: the same return value, nothing written past the size (each buffer
 * is a heap block of exactly that size; size 0 gets a guarded byte), and a NUL-terminated
 * start of the full line.
 */
#include <ctype.h>
#include "fuzz.h"

#define PREFIX_MAX 29 /* iptables' --log-prefix, and xdpban.conf's log_prefix_* */
#define IFNAME_MAX 15
#define LINE_MAX_LEN 1024
#define GUARD 0xa5

/* The next NUL-terminated field of at most max bytes from *p, or NULL past the end. */
static char *take_string(const uint8_t **p, const uint8_t *end, size_t max)
{
	const uint8_t *start = *p, *nul;
	size_t n;

	if (start >= end)
		return NULL;
	nul = memchr(start, '\0', (size_t)(end - start));
	n = (size_t)((nul ? nul : end) - start);
	*p = nul ? nul + 1 : end;
	return fuzz_strndup(start, n < max ? n : max);
}

/* "PREFIXIN=IFNAME OUT= MAC=xx:...:xx ", as dump_common() writes it. */
static size_t check_head(const char *line, const struct xb_event *ev, const char *prefix,
			 const char *ifname)
{
	char head[PREFIX_MAX + IFNAME_MAX + 64];
	size_t off;

	off = (size_t)snprintf(head, sizeof(head), "%sIN=%s OUT= MAC=", prefix ? prefix : "",
			       ifname ? ifname : "");
	for (size_t i = 0; i < sizeof(ev->mac); i++)
		off += (size_t)snprintf(head + off, sizeof(head) - off, "%s%02x", i ? ":" : "",
					ev->mac[i]);
	off += (size_t)snprintf(head + off, sizeof(head) - off, " ");
	FUZZ_CHECK(off < sizeof(head));
	FUZZ_CHECK(!strncmp(line, head, off));
	return off;
}

/* %pI6: eight groups of four hex digits, written independently of the library. */
static void ipv6_text(char out[40], const __u8 *p)
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 5 * i, 40 - 5 * (size_t)i, "%02x%02x%s", p[2 * i], p[2 * i + 1],
			 i < 7 ? ":" : "");
}

/* The addresses and the length right after the common part. */
static void check_addrs(const char *rest, const struct xb_event *ev)
{
	const __u8 *s = ev->saddr, *d = ev->daddr;
	char want[128], src[40], dst[40];

	if (ev->family == 4) {
		snprintf(want, sizeof(want), "SRC=%u.%u.%u.%u DST=%u.%u.%u.%u LEN=%u ", s[0], s[1],
			 s[2], s[3], d[0], d[1], d[2], d[3], ev->ip_len);
	} else {
		ipv6_text(src, s);
		ipv6_text(dst, d);
		snprintf(want, sizeof(want), "SRC=%s DST=%s LEN=%u ", src, dst, ev->ip_len);
	}
	FUZZ_CHECK(!strncmp(rest, want, strlen(want)));
}

static void check_line(const char *line, size_t n, const struct xb_event *ev, const char *prefix,
		       const char *ifname)
{
	size_t head = check_head(line, ev, prefix, ifname);

	FUZZ_CHECK(n < LINE_MAX_LEN);
	for (size_t i = head; i < n; i++)
		FUZZ_CHECK(isprint((unsigned char)line[i]));
	if (ev->family == 4 || ev->family == 6)
		check_addrs(line + head, ev);
	else
		FUZZ_CHECK(n == head);
	FUZZ_CHECK(line[n - 1] == ' ' || (n >= 9 && !strcmp(line + n - 9, "TRUNCATED")));
}

/* Every size from 0 to n: same length back, nothing past the size, a NUL-ended start. */
static void check_sizes(const struct xb_event *ev, const char *prefix, const char *ifname,
			const char *full, int n)
{
	unsigned char guard = GUARD;

	FUZZ_CHECK(xb_log_format(ev, prefix, ifname, (char *)&guard, 0) == n);
	FUZZ_CHECK(guard == GUARD);
	for (size_t size = 1; size <= (size_t)n; size++) {
		char *buf = malloc(size);

		FUZZ_CHECK(buf != NULL);
		FUZZ_CHECK(xb_log_format(ev, prefix, ifname, buf, size) == n);
		FUZZ_CHECK(buf[size - 1] == '\0');
		FUZZ_CHECK(!memcmp(buf, full, size - 1));
		free(buf);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_silence();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + (size < sizeof(struct xb_event) ? size : sizeof(struct xb_event));
	char *prefix, *ifname, *full;
	struct xb_event ev;
	int n;

	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, (size_t)(p - data));
	prefix = take_string(&p, data + size, PREFIX_MAX);
	ifname = take_string(&p, data + size, IFNAME_MAX);

	n = xb_log_format(&ev, prefix, ifname, NULL, 0);
	FUZZ_CHECK(n > 0);
	full = malloc((size_t)n + 1);
	FUZZ_CHECK(full != NULL);
	FUZZ_CHECK(xb_log_format(&ev, prefix, ifname, full, (size_t)n + 1) == n);
	FUZZ_CHECK(strlen(full) == (size_t)n);
	check_line(full, (size_t)n, &ev, prefix, ifname);
	check_sizes(&ev, prefix, ifname, full, n);
	FUZZ_CHECK(xb_log_format(NULL, prefix, ifname, full, (size_t)n + 1) == -EINVAL);
	FUZZ_CHECK(full[0] == '\0');

	free(full);
	free(prefix);
	free(ifname);
	return 0;
}
