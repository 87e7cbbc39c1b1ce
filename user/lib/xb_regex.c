// SPDX-License-Identifier: GPL-2.0
/*
 * The regex source: fail2ban-style failregex / ignoreregex, compiled with PCRE2 and its JIT.
 *
 * Tags are expanded as fail2ban's server/failregex.py does (Regex._resolveHostTag): a tag is
 * any "</?[\w-]+/?>"; known ones are replaced, unknown ones stay literal text. <HOST> behaves
 * as fail2ban's <HOST> with usedns = no (that is, as <ADDR>): an IPv4 or IPv6 address,
 * optionally in brackets; host names are never matched or resolved.
 *
 * What is stricter than fail2ban: the address group (XB_RX_HOST below). Every IPv4 octet is
 * 0-255 without leading zeros, IPv6 follows RFC 4291 (with "::" and embedded IPv4), and the
 * address cannot start or end inside a longer token: "1.2.3.45" is not taken out of
 * "11.2.3.456", nor "2001:db8::1" out of "2001:db8::1:2", nor anything out of "x1.2.3.4".
 * Brackets must balance. Every repetition in it is bounded, so it cannot backtrack
 * catastrophically whatever the line holds.
 *
 * What it cannot do is know which part of a line an attacker wrote. Log injection (user
 * names, URLs, mail subjects holding "from 1.2.3.4") is stopped by the regex's author, as in
 * fail2ban: anchor every failregex at both ends (^ ... $) and match attacker-controlled
 * fields with patterns that cannot reach past them. "Failed password for \S+ from <HOST>"
 * bans whatever address a user name "root from 1.2.3.4" names; with the line's fixed tail,
 * "... from <HOST> port \d+ ssh2$", it cannot (selftests/prog_tests/regex.c shows both).
 * Unlike fail2ban, the whole line is matched: the timestamp is not cut out first, so "^"
 * is the start of the line as written.
 *
 * Not thread-safe: each compiled regex has one match data block.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xb_sources.h"

/* ---- the address group ---- */

#define XB_RX_OCT "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#define XB_RX_V4 "(?:" XB_RX_OCT "\\.){3}" XB_RX_OCT
#define XB_RX_H16 "[0-9A-Fa-f]{1,4}"
#define XB_RX_LS32 "(?:" XB_RX_H16 ":" XB_RX_H16 "|" XB_RX_V4 ")"
/* RFC 3986's IPv6address, one alternative per form; "[ *n( h16 ":" ) h16 ] "::"" is LEFT(n). */
#define XB_RX_LEFT(n) "(?:(?:" XB_RX_H16 ":){0," #n "}" XB_RX_H16 ")?::"
#define XB_RX_V6_0 "(?:" XB_RX_H16 ":){6}" XB_RX_LS32
#define XB_RX_V6_1 "::(?:" XB_RX_H16 ":){5}" XB_RX_LS32
#define XB_RX_V6_2 "(?:" XB_RX_H16 ")?::(?:" XB_RX_H16 ":){4}" XB_RX_LS32
#define XB_RX_V6_3 XB_RX_LEFT(1) "(?:" XB_RX_H16 ":){3}" XB_RX_LS32
#define XB_RX_V6_4 XB_RX_LEFT(2) "(?:" XB_RX_H16 ":){2}" XB_RX_LS32
#define XB_RX_V6_5 XB_RX_LEFT(3) XB_RX_H16 ":" XB_RX_LS32
#define XB_RX_V6_6 XB_RX_LEFT(4) XB_RX_LS32
#define XB_RX_V6_7 XB_RX_LEFT(5) XB_RX_H16
#define XB_RX_V6_8 XB_RX_LEFT(6)
#define XB_RX_V6                                                                     \
	"(?:" XB_RX_V6_0 "|" XB_RX_V6_1 "|" XB_RX_V6_2 "|" XB_RX_V6_3 "|" XB_RX_V6_4 \
	"|" XB_RX_V6_5 "|" XB_RX_V6_6 "|" XB_RX_V6_7 "|" XB_RX_V6_8 ")"
/* Not the tail of a word, a number or another address... */
#define XB_RX_BEFORE "(?<![0-9A-Za-z_.:])"
/* ...nor the head of one: "1.2.3.4:22", "[::1]" and "1.2.3.4." (a sentence's end) are fine. */
#define XB_RX_AFTER4 "(?![0-9A-Za-z_]|\\.[0-9A-Za-z_])"
#define XB_RX_AFTER6 "(?![0-9A-Za-z_]|[.:][0-9A-Za-z_:])"

#define XB_RX_GROUP "xb_host"
/* <HOST>, <ADDR>: either family, in balanced brackets or none. */
#define XB_RX_HOST                                                                \
	"(?<xb_lb>\\[)?" XB_RX_BEFORE "(?<" XB_RX_GROUP ">" XB_RX_V4 XB_RX_AFTER4 \
	"|" XB_RX_V6 XB_RX_AFTER6 ")(?(<xb_lb>)\\])"
/* <IP4>: as fail2ban, also the IPv4 inside ::ffff:a.b.c.d. */
#define XB_RX_IP4 XB_RX_BEFORE "(?:::[Ff]{4}:)?(?<" XB_RX_GROUP ">" XB_RX_V4 ")" XB_RX_AFTER4
/* <IP6>; ::ffff:a.b.c.d still yields the IPv4 host, as everywhere in xdpban. */
#define XB_RX_IP6 XB_RX_BEFORE "(?<" XB_RX_GROUP ">" XB_RX_V6 ")" XB_RX_AFTER6

/* Matching stops (as no match) past this many backtracking steps: PCRE2's default. */
#define XB_RX_MATCH_LIMIT 10000000
#define XB_RX_JIT_STACK_MAX (1024 * 1024)

/* ---- tags ---- */

enum tag_kind {
	TAG_LITERAL, /* not a tag fail2ban knows: the text stays */
	TAG_ADDR, /* an address tag: expands to an XB_RX_* group */
	TAG_TEXT, /* expands to a fixed, harmless regex */
	TAG_OPEN, /* <F-NAME>: opens a group */
	TAG_CLOSE, /* </F-NAME> after its <F-NAME>: closes it */
	TAG_UNSUPPORTED,
};

struct tag_def {
	const char *name; /* between < and > */
	enum tag_kind kind;
	const char *repl;
};

static const struct tag_def tag_defs[] = {
	{ "HOST", TAG_ADDR, XB_RX_HOST },
	{ "ADDR", TAG_ADDR, XB_RX_HOST },
	{ "F-ADDR/", TAG_ADDR, XB_RX_HOST },
	{ "IP4", TAG_ADDR, XB_RX_IP4 },
	{ "F-IP4/", TAG_ADDR, XB_RX_IP4 },
	{ "IP6", TAG_ADDR, XB_RX_IP6 },
	{ "F-IP6/", TAG_ADDR, XB_RX_IP6 },
	{ "F-ID/", TAG_TEXT, "(?:\\S+)" },
	{ "F-PORT/", TAG_TEXT, "(?:\\w+)" },
	/* multi-line buffers, DNS names and subnets: nothing here to do them with */
	{ "SKIPLINES", TAG_UNSUPPORTED, NULL },
	{ "DNS", TAG_UNSUPPORTED, NULL },
	{ "F-DNS/", TAG_UNSUPPORTED, NULL },
	{ "CIDR", TAG_UNSUPPORTED, NULL },
	{ "F-CIDR/", TAG_UNSUPPORTED, NULL },
	{ "SUBNET", TAG_UNSUPPORTED, NULL },
	{ "F-SUBNET/", TAG_UNSUPPORTED, NULL },
};

/*
 * <F-NAME> groups that change what fail2ban bans or whether a match is a failure at all:
 * ignoring them would ban where fail2ban does not.
 */
static const char *const f_unsupported[] = { "NOFAIL", "MLF", "IP4", "IP6", "DNS" };

static bool is_word(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '_';
}

/* fail2ban's FTAG_CRE, "</?[\w\-]+/?>", at p: the tag's length, or 0. */
static size_t tag_len(const char *p)
{
	size_t i = 1, start;

	if (p[i] == '/')
		i++;
	for (start = i; is_word(p[i]) || p[i] == '-'; i++)
		;
	if (i == start)
		return 0;
	if (p[i] == '/')
		i++;
	return p[i] == '>' ? i + 1 : 0;
}

/* fail2ban's FCUSTNAME_CRE, "^(/?)F-([A-Z0-9_\-]+)$", on the text between < and >. */
static bool is_f_name(const char *tn, size_t n, bool *close)
{
	*close = n && tn[0] == '/';
	tn += *close;
	n -= *close;
	if (n < 3 || strncmp(tn, "F-", 2))
		return false;
	for (size_t i = 2; i < n; i++) {
		char c = tn[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool f_name_unsupported(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(f_unsupported) / sizeof(f_unsupported[0]); i++) {
		size_t len = strlen(f_unsupported[i]);

		/* "MLF" covers MLFID, MLFFORGET, MLFGAINED, MLFPENDING */
		if (n >= len && !strncmp(name, f_unsupported[i], len) &&
		    (n == len || !strcmp(f_unsupported[i], "MLF")))
			return true;
	}
	return false;
}

/* What the tag at pat + off (tn, n: its inside) is; fail2ban opens F- groups once seen. */
static enum tag_kind tag_classify(const char *pat, size_t off, const char *tn, size_t n,
				  const char **repl)
{
	char open[256];
	bool close;

	for (size_t i = 0; i < sizeof(tag_defs) / sizeof(tag_defs[0]); i++) {
		if (strlen(tag_defs[i].name) == n && !strncmp(tag_defs[i].name, tn, n)) {
			*repl = tag_defs[i].repl;
			return tag_defs[i].kind;
		}
	}
	if (!is_f_name(tn, n, &close))
		return TAG_LITERAL;
	if (f_name_unsupported(tn + close + 2, n - close - 2))
		return TAG_UNSUPPORTED;
	if (!close)
		return TAG_OPEN;
	/* A closing tag closes only if its opening tag came before; else it is text. */
	if (n + 1 >= sizeof(open))
		return TAG_LITERAL;
	snprintf(open, sizeof(open), "<%.*s>", (int)n - 1, tn + 1);
	for (size_t i = 0; i + n + 1 <= off; i++) {
		if (!strncmp(pat + i, open, n + 1))
			return TAG_CLOSE;
	}
	return TAG_LITERAL;
}

/* ---- expanding a pattern ---- */

/* Marks, in rx_buf.orig, the bytes a tag expanded to. */
#define XB_RX_FROM_TAG ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* The expanded pattern, and where in the original each of its bytes came from. */
struct rx_buf {
	char *s;
	size_t *orig;
	size_t len, cap;
	unsigned int n_addr; /* address tags seen */
	size_t addr_off; /* the last one's offset */
};

static int buf_put(struct rx_buf *b, const char *s, size_t n, size_t orig)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *ns = realloc(b->s, cap);
		size_t *no;

		if (!ns)
			return -ENOMEM;
		b->s = ns;
		no = realloc(b->orig, cap * sizeof(*no));
		if (!no)
			return -ENOMEM;
		b->orig = no;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	for (size_t i = 0; i < n; i++)
		b->orig[b->len + i] = orig;
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static void buf_free(struct rx_buf *b)
{
	free(b->s);
	free(b->orig);
}

/* Where a compile error is reported: the offset in the pattern as the user wrote it. */
struct rx_where {
	const char *kind; /* "failregex" or "ignoreregex" */
	size_t idx; /* 1-based */
	const char *pat;
	char *err;
	size_t err_size;
};

static int rx_fail(const struct rx_where *w, size_t off, const char *fmt, const char *what)
{
	char msg[160];

	if (w->err && w->err_size) {
		snprintf(msg, sizeof(msg), fmt, what);
		snprintf(w->err, w->err_size, "%s %zu: %s at offset %zu in '%s'", w->kind, w->idx,
			 msg, off, w->pat);
	}
	return -EINVAL;
}

static int expand_tag(struct rx_buf *b, const struct rx_where *w, size_t off, size_t tl)
{
	const char *pat = w->pat, *repl = NULL;
	char name[64];

	switch (tag_classify(pat, off, pat + off + 1, tl - 2, &repl)) {
	case TAG_ADDR:
		b->n_addr++;
		b->addr_off = off;
		return buf_put(b, repl, strlen(repl), off | XB_RX_FROM_TAG);
	case TAG_TEXT:
		return buf_put(b, repl, strlen(repl), off | XB_RX_FROM_TAG);
	case TAG_OPEN:
		return buf_put(b, "(?:", 3, off | XB_RX_FROM_TAG);
	case TAG_CLOSE:
		return buf_put(b, ")", 1, off | XB_RX_FROM_TAG);
	case TAG_UNSUPPORTED:
		snprintf(name, sizeof(name), "%.*s", (int)tl, pat + off);
		return rx_fail(w, off, "unsupported tag %s", name);
	case TAG_LITERAL:
	default:
		return buf_put(b, pat + off, tl, off);
	}
}

static int expand(struct rx_buf *b, const struct rx_where *w)
{
	const char *pat = w->pat;
	size_t off = 0, tl;
	int err;

	while (pat[off]) {
		tl = pat[off] == '<' ? tag_len(pat + off) : 0;
		if (tl)
			err = expand_tag(b, w, off, tl);
		else
			err = buf_put(b, pat + off, 1, off);
		if (err)
			return err;
		off += tl ? tl : 1;
	}
	return buf_put(b, "", 0, off);
}

/* ---- compiling ---- */

struct rx_one {
	pcre2_code *code;
	pcre2_match_data *md;
	int host; /* the address group's number; 0 = none (an ignoreregex without one) */
};

struct xb_regex {
	struct rx_one *fail, *ignore;
	size_t n_fail, n_ignore;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
};

static int check_addr_tags(const struct rx_buf *b, const struct rx_where *w, bool need)
{
	if (b->n_addr > 1)
		return rx_fail(w, b->addr_off, "%s", "more than one address tag (one is allowed)");
	if (need && !b->n_addr)
		return rx_fail(w, strlen(w->pat), "%s",
			       "no address tag (<HOST>, <ADDR>, <IP4> or <IP6>)");
	return 0;
}

static int pcre_fail(const struct rx_where *w, const struct rx_buf *b, int code, size_t eoff)
{
	size_t orig = eoff < b->len ? b->orig[eoff] : strlen(w->pat);
	PCRE2_UCHAR msg[120];

	if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", code);
	/* e.g. an unclosed "[" before <HOST> breaks the group <HOST> stands for */
	if (orig & XB_RX_FROM_TAG)
		return rx_fail(w, orig & ~XB_RX_FROM_TAG, "%s (in what the tag here stands for)",
			       (char *)msg);
	return rx_fail(w, orig, "%s", (char *)msg);
}

static int rx_compile_one(struct rx_one *r, const struct rx_where *w, bool need_host)
{
	struct rx_buf b = { 0 };
	PCRE2_SIZE eoff;
	int code, err;

	if (!w->pat || !w->pat[strspn(w->pat, " \t")])
		return rx_fail(w, 0, "%s", "empty regex");
	err = expand(&b, w);
	if (!err)
		err = check_addr_tags(&b, w, need_host);
	if (err)
		goto out;
	r->code = pcre2_compile((PCRE2_SPTR)b.s, b.len, 0, &code, &eoff, NULL);
	if (!r->code) {
		err = code == PCRE2_ERROR_NOMEMORY ? -ENOMEM : pcre_fail(w, &b, code, eoff);
		goto out;
	}
	/* Without JIT (not built in, or no executable memory) the interpreter matches. */
	pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
	r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
	if (!r->md) {
		err = -ENOMEM;
		goto out;
	}
	if (b.n_addr)
		r->host = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)XB_RX_GROUP);
	if (r->host < 0)
		err = rx_fail(w, b.addr_off, "%s", "the address group was not compiled");
out:
	buf_free(&b);
	return err;
}

static int rx_compile_list(struct rx_one **out, const char *const *pats, size_t n, const char *kind,
			   bool need_host, char *err, size_t err_size)
{
	struct rx_where w = { .kind = kind, .err = err, .err_size = err_size };
	int ret;

	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		w.idx = i + 1;
		w.pat = pats[i];
		ret = rx_compile_one(&(*out)[i], &w, need_host);
		if (ret)
			return ret;
	}
	return 0;
}

static int rx_context(struct xb_regex *rx)
{
	rx->mctx = pcre2_match_context_create(NULL);
	if (!rx->mctx)
		return -ENOMEM;
	pcre2_set_match_limit(rx->mctx, XB_RX_MATCH_LIMIT);
	/* A larger JIT stack than the default 32 KiB, for long lines; optional. */
	rx->jit_stack = pcre2_jit_stack_create(32 * 1024, XB_RX_JIT_STACK_MAX, NULL);
	if (rx->jit_stack)
		pcre2_jit_stack_assign(rx->mctx, NULL, rx->jit_stack);
	return 0;
}

int xb_regex_compile(struct xb_regex **out, const char *const *failregex, size_t n_fail,
		     const char *const *ignoreregex, size_t n_ignore, char *err, size_t err_size)
{
	struct xb_regex *rx;
	int ret;

	if (err && err_size)
		err[0] = '\0';
	if (!out || !failregex || !n_fail || (n_ignore && !ignoreregex)) {
		if (err && err_size)
			snprintf(err, err_size, "at least one failregex is needed");
		return -EINVAL;
	}
	*out = NULL;
	rx = calloc(1, sizeof(*rx));
	if (!rx)
		return -ENOMEM;
	rx->n_fail = n_fail;
	rx->n_ignore = n_ignore;
	ret = rx_compile_list(&rx->fail, failregex, n_fail, "failregex", true, err, err_size);
	if (!ret)
		ret = rx_compile_list(&rx->ignore, ignoreregex, n_ignore, "ignoreregex", false, err,
				      err_size);
	if (!ret)
		ret = rx_context(rx);
	if (ret) {
		if (ret == -ENOMEM && err && err_size)
			snprintf(err, err_size, "out of memory compiling regexes");
		xb_regex_free(rx);
		return ret;
	}
	*out = rx;
	return 0;
}

/* ---- matching ---- */

/* Whether r matches; a matching error (e.g. the step limit) is no match. */
static bool rx_search(const struct xb_regex *rx, const struct rx_one *r, const char *line,
		      size_t len)
{
	return pcre2_match(r->code, (PCRE2_SPTR)line, len, 0, 0, r->md, rx->mctx) > 0;
}

static int rx_host(const struct rx_one *r, const char *line, struct xb_prefix *addr)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md), start, end;
	char text[64];

	if (r->host <= 0)
		return -EINVAL;
	start = ov[2 * r->host];
	end = ov[2 * r->host + 1];
	/* unset when the tag sits in an optional part of the regex that did not match */
	if (start == PCRE2_UNSET || end < start || end - start >= sizeof(text))
		return -EINVAL;
	memcpy(text, line + start, end - start);
	text[end - start] = '\0';
	if (xb_prefix_parse(text, addr, NULL) || !xb_prefix_is_host(addr))
		return -EINVAL;
	return 0;
}

enum xb_line_kind xb_regex_match(struct xb_regex *rx, const char *line, size_t len,
				 struct xb_line_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (!rx)
		return XB_LINE_MISS;
	if (!line)
		line = "";
	for (size_t i = 0; i < rx->n_fail; i++) {
		if (!rx_search(rx, &rx->fail[i], line, len) ||
		    rx_host(&rx->fail[i], line, &ev->addr))
			continue;
		ev->kind = XB_LINE_FAIL;
		for (size_t j = 0; j < rx->n_ignore; j++) {
			if (rx_search(rx, &rx->ignore[j], line, len)) {
				ev->kind = XB_LINE_IGNORED;
				break;
			}
		}
		return ev->kind;
	}
	memset(&ev->addr, 0, sizeof(ev->addr));
	return XB_LINE_MISS;
}

static void rx_free_list(struct rx_one *list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++) {
		pcre2_match_data_free(list[i].md);
		pcre2_code_free(list[i].code);
	}
	free(list);
}

void xb_regex_free(struct xb_regex *rx)
{
	if (!rx)
		return;
	rx_free_list(rx->fail, rx->n_fail);
	rx_free_list(rx->ignore, rx->n_ignore);
	pcre2_match_context_free(rx->mctx);
	pcre2_jit_stack_free(rx->jit_stack);
	free(rx);
}
