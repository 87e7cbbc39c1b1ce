// SPDX-License-Identifier: GPL-2.0
/*
 * xb_regex_match(): fail2ban-style failregex sets with <HOST>, <ADDR>, <IP4>, <IP6>, F-
 * tags and ignoreregex, compiled once, matched against the input (one line, not NUL
 * terminated, in a heap block of its exact size). The answer is MISS with an all-zero
 * event, or FAIL / IGNORED with a host address spelled out in the line where an address
 * may start (not inside a longer token), and the same when asked again.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include "fuzz.h"
#include "xb_sources.h"

#define IP_TEXT_MAX 45

#define SSHD_HEAD "^\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ sshd\\[\\d+\\]: "
#define SYSLOG_HEAD "^\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ "
#define APACHE_HEAD                                                                       \
	"^\\[[^]]+\\] \\[(?:core:)?error\\] (?:\\[pid \\d+(?::tid \\d+)?\\] )?\\[client " \
	"<HOST>(?::\\d+)?\\] "

static const char *const sshd_fail[] = {
	SSHD_HEAD "Failed (?:password|publickey) for (?:invalid user )?<F-USER>.+?</F-USER> "
		  "from <HOST> port \\d+ ssh2$",
	SSHD_HEAD "Invalid user <F-USER>.*?</F-USER> from <HOST>(?: port \\d+)?$",
	SSHD_HEAD "Connection closed by (?:authenticating|invalid) user \\S* <HOST> port \\d+ "
		  "\\[preauth\\]$",
	SSHD_HEAD "Disconnecting(?: authenticating| invalid)? user \\S+ <HOST> port \\d+: "
		  "Too many authentication failures \\[preauth\\]$",
	/* unanchored, as too many jails are: what injection can reach */
	"Failed password for (invalid user )?\\S+ from <HOST>",
};

static const char *const sshd_ignore[] = {
	"for (?:invalid user )?(?:backup|monitor) from ",
};

static const char *const mail_web_fail[] = {
	SYSLOG_HEAD "postfix/(?:submission/|smtps/)?smtpd\\[\\d+\\]: warning: [-._\\w]+"
		    "\\[<HOST>\\]: SASL (?:LOGIN|PLAIN|(?:CRAM|DIGEST)-MD5) authentication "
		    "failed(?:: [ A-Za-z0-9+/:=]*)?$",
	"NOQUEUE: reject: RCPT from \\S+\\[<HOST>\\]: 554 5\\.7\\.1 ",
	SYSLOG_HEAD "dovecot: (?:pop3|imap)-login: (?:Aborted login|Disconnected)(?: \\(auth "
		    "failed, \\d+ attempts(?: in \\d+ secs)?\\))?: user=<[^>]*>, "
		    "(?:method=\\S+, )?rip=<HOST>, lip=\\S+",
	APACHE_HEAD "(?:AH\\d+: )?user \\S+: authentication failure",
	"limiting requests, excess: [\\d.]+ by zone \"[^\"]+\", client: <HOST>,",
	"^<HOST> - \\S+ \\[[^]]+\\] \"[A-Z]+ [^\"]*\" 40[134] ",
};

static const char *const tags_fail[] = {
	"from <IP4> port \\d+",
	"^<IP6> ",
	"addr=<ADDR>(?:,|$)",
	"^<F-ID/> <F-PORT/> rhost=<HOST>$",
	"(?i)^auth failure: <F-USER>[^ ]+</F-USER> from <HOST>",
	"\\[<F-ADDR/>\\]",
	"(?:src|dst)=<F-IP6/> ",
};

static const char *const tags_ignore[] = {
	"rhost=(?:127|10)\\.",
	"^::1 ",
};

struct rx_set {
	const char *const *fail, *const *ignore;
	size_t n_fail, n_ignore;
	struct xb_regex *rx;
};

static struct rx_set sets[] = {
	{ sshd_fail, sshd_ignore, sizeof(sshd_fail) / sizeof(sshd_fail[0]),
	  sizeof(sshd_ignore) / sizeof(sshd_ignore[0]), NULL },
	{ mail_web_fail, NULL, sizeof(mail_web_fail) / sizeof(mail_web_fail[0]), 0, NULL },
	{ tags_fail, tags_ignore, sizeof(tags_fail) / sizeof(tags_fail[0]),
	  sizeof(tags_ignore) / sizeof(tags_ignore[0]), NULL },
};

static bool is_ipchar(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
	       ch == ':' || ch == '.';
}

/*
 * Whether addr is in the line: an IPv4 one as its dotted quad (the pattern takes no
 * leading zeros, so that is the only spelling), or any address as text starting where an
 * address may start: not after an address character.
 */
static bool spelled_out(const char *line, size_t len, const struct xb_prefix *addr)
{
	char text[IP_TEXT_MAX + 1];
	struct xb_prefix p;

	if (addr->family == 4) {
		inet_ntop(AF_INET, addr->addr, text, sizeof(text));
		if (memmem(line, len, text, strlen(text)))
			return true;
	}
	for (size_t i = 0; i < len; i++) {
		if (!is_ipchar(line[i]) || (i && is_ipchar(line[i - 1])))
			continue;
		for (size_t n = 2; n <= IP_TEXT_MAX && i + n <= len && is_ipchar(line[i + n - 1]);
		     n++) {
			memcpy(text, line + i, n);
			text[n] = '\0';
			if (!xb_prefix_parse(text, &p, NULL) && !memcmp(&p, addr, sizeof(p)))
				return true;
		}
	}
	return false;
}

static bool is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static void check_match(struct xb_regex *rx, const char *line, size_t len)
{
	struct xb_line_event ev, again;
	enum xb_line_kind kind;

	kind = xb_regex_match(rx, line, len, &ev);
	FUZZ_CHECK(kind == XB_LINE_MISS || kind == XB_LINE_FAIL || kind == XB_LINE_IGNORED);
	FUZZ_CHECK(ev.kind == kind);
	if (kind == XB_LINE_MISS) {
		FUZZ_CHECK(is_zero(&ev, sizeof(ev)));
	} else {
		FUZZ_CHECK(fuzz_host_valid(&ev.addr));
		FUZZ_CHECK(spelled_out(line, len, &ev.addr));
	}
	FUZZ_CHECK(xb_regex_match(rx, line, len, &again) == kind);
	FUZZ_CHECK(!memcmp(&again, &ev, sizeof(ev)));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	fuzz_silence();
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct rx_set *s = &sets[i];

		if (xb_regex_compile(&s->rx, s->fail, s->n_fail, s->ignore, s->n_ignore, err,
				     sizeof(err))) {
			fprintf(stderr, "fuzz_regex: set %zu: %s\n", i, err);
			abort();
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);

	FUZZ_CHECK(line != NULL);
	memcpy(line, data, size);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		check_match(sets[i].rx, line, size);
	free(line);
	return 0;
}
