// SPDX-License-Identifier: GPL-2.0
/*
 * spamd source: which address sent a spam, from a file written by spamd -s FILE or from
 * mail.log (rsyslog's RFC 3339 or traditional format). Three ways, strictest first:
 *
 *  - a patched spamd's "identified spam (S/T) from [IP] for U in X seconds, N bytes.";
 *  - "result: Y ... ,relayip=IP" added by contrib/spamassassin/XdpbanRelayIP.pm;
 *  - "result: Y ... mid=<ID>" joined with postfix's cleanup "QID: message-id=<ID>" and
 *    smtpd "QID: client=host[IP]" lines, whichever order they come in.
 *
 * Lines are hostile: a sender picks its Message-ID, a recipient's address can be spamc's
 * user name (any printable text, commas and spaces included) and a subject can be logged
 * by something else. So a line is matched whole, from the syslog header on, and every field
 * whose value a sender can choose is located from the fixed fields spamd writes after it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "xb_sources.h"

/* Postfix queue ids: 5 to 12 hex digits, or the long form (about 15 base-52 digits). */
#define QID_MIN 5
#define QID_MAX 32
/* Postfix logs at most 200 characters of a message-id; anything longer cannot be joined. */
#define MID_MAX 256
/* Far above any mail server's backlog; keeps the bucket count within 32 bits. */
#define PENDING_MAX (1U << 24)
#define NIL UINT32_MAX
#define PATCHED_PIDS 8
/* A traditional syslog stamp up to this far ahead is this year's, not last year's: skew. */
#define FUTURE_SKEW_S (24 * 3600)

/* ---- reading a line that is not NUL terminated ---- */

struct cur {
	const char *p;
	const char *end;
};

static size_t left(const struct cur *c)
{
	return (size_t)(c->end - c->p);
}

static bool eat(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if (left(c) < n || memcmp(c->p, lit, n))
		return false;
	c->p += n;
	return true;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* min..max decimal digits into *v. */
static bool eat_uint(struct cur *c, size_t min, size_t max, unsigned long *v)
{
	size_t n = 0;

	*v = 0;
	while (n < max && n < left(c) && is_digit(c->p[n]))
		*v = *v * 10 + (unsigned long)(c->p[n++] - '0');
	if (n < min || (n < left(c) && is_digit(c->p[n])))
		return false;
	c->p += n;
	return true;
}

/* Exactly n digits, as in time stamps. */
static bool eat_fixed(struct cur *c, size_t n, unsigned long max, int *v)
{
	unsigned long u;

	if (!eat_uint(c, n, n, &u) || u > max)
		return false;
	*v = (int)u;
	return true;
}

/*
 * Advances past a run of characters that ok() accepts, at most max + 1 of them so that a
 * caller can tell a run longer than max; returns its length.
 */
static size_t eat_span(struct cur *c, bool (*ok)(char), size_t max)
{
	size_t n = 0;

	while (n < left(c) && n <= max && ok(c->p[n]))
		n++;
	c->p += n;
	return n;
}

/* Where the last occurrence of lit is in [p, end), or NULL. */
static const char *rfind(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - p) < n)
		return NULL;
	for (const char *q = end - n;; q--) {
		if (!memcmp(q, lit, n))
			return q;
		if (q == p)
			return NULL;
	}
}

/*
 * -?D+(.D+)? as spamd prints scores ("%2.1f", "%2d"); 15 digits at most, so the digits are
 * an exact integer and one division by a power of ten rounds like strtod() does.
 */
static bool eat_num(struct cur *c, double *v)
{
	bool neg = eat(c, "-");
	unsigned long ip, fp = 0;
	double scale = 1;

	if (!eat_uint(c, 1, 9, &ip))
		return false;
	if (eat(c, ".")) {
		const char *frac = c->p;

		if (!eat_uint(c, 1, 6, &fp))
			return false;
		for (; frac < c->p; frac++)
			scale *= 10;
	}
	*v = ((double)ip * scale + (double)fp) / scale;
	if (neg)
		*v = -*v;
	return true;
}

static bool is_ipchar(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || ch == ':' ||
	       ch == '.';
}

/* An IPv4 or IPv6 address, nothing around it; ::ffff:a.b.c.d becomes IPv4. */
static bool parse_ip(const char *p, size_t n, struct xb_prefix *addr)
{
	char buf[46];

	if (n < 2 || n >= sizeof(buf))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_ipchar(p[i]))
			return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return !xb_prefix_parse(buf, addr, NULL);
}

/* ---- the syslog or spamd header ---- */

struct head {
	__s64 when; /* 0 = unknown */
	unsigned long pid; /* 0 = unknown */
	const char *prog; /* syslog tag's program; NULL for spamd's own file */
	size_t prog_len;
};

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static bool eat_month(struct cur *c, struct tm *tm)
{
	for (int i = 0; i < 12; i++) {
		if (eat(c, months[i])) {
			tm->tm_mon = i;
			return true;
		}
	}
	return false;
}

/* "Mmm dd HH:MM:SS" with the day space-padded, as syslog and ctime() write it. */
static bool eat_mday_time(struct cur *c, struct tm *tm)
{
	unsigned long d;

	if (!eat_month(c, tm) || !eat(c, " "))
		return false;
	if (eat(c, " ") ? !eat_uint(c, 1, 1, &d) : !eat_uint(c, 2, 2, &d))
		return false;
	if (d < 1 || d > 31)
		return false;
	tm->tm_mday = (int)d;
	return eat(c, " ") && eat_fixed(c, 2, 23, &tm->tm_hour) && eat(c, ":") &&
	       eat_fixed(c, 2, 59, &tm->tm_min) && eat(c, ":") && eat_fixed(c, 2, 60, &tm->tm_sec);
}

static __s64 local_time(struct tm *tm)
{
	__s64 t;

	tm->tm_isdst = -1;
	t = xb_local_mktime(tm);
	return t == -1 ? 0 : t;
}

/* Traditional syslog has no year: this year's, unless that is still to come. */
static __s64 guess_year(struct tm *tm)
{
	time_t wall = time(NULL);
	struct tm now;
	__s64 t;

	localtime_r(&wall, &now);
	tm->tm_year = now.tm_year;
	t = local_time(tm);
	if (t > (__s64)wall + FUTURE_SKEW_S) {
		tm->tm_year--;
		t = local_time(tm);
	}
	return t;
}

/* "2026-11-26T23:23:29[.ffffff](Z|+hh:mm)" */
static bool eat_rfc3339(struct cur *c, __s64 *when)
{
	struct tm tm = { 0 };
	int oh = 0, om = 0, sign = 0;
	unsigned long frac;

	if (!eat_fixed(c, 4, 9999, &tm.tm_year) || !eat(c, "-") ||
	    !eat_fixed(c, 2, 12, &tm.tm_mon) || !eat(c, "-") || !eat_fixed(c, 2, 31, &tm.tm_mday) ||
	    !eat(c, "T") || !eat_fixed(c, 2, 23, &tm.tm_hour) || !eat(c, ":") ||
	    !eat_fixed(c, 2, 59, &tm.tm_min) || !eat(c, ":") || !eat_fixed(c, 2, 60, &tm.tm_sec))
		return false;
	if (eat(c, ".") && !eat_uint(c, 1, 9, &frac))
		return false;
	if (!eat(c, "Z")) {
		sign = eat(c, "+") ? 1 : eat(c, "-") ? -1 : 0;
		if (!sign || !eat_fixed(c, 2, 23, &oh) || !eat(c, ":") || !eat_fixed(c, 2, 59, &om))
			return false;
	}
	if (tm.tm_mon < 1 || tm.tm_mday < 1)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	*when = (__s64)timegm(&tm) - sign * (oh * 3600 + om * 60);
	return true;
}

static bool is_hostchar(char ch)
{
	return ch > ' ' && ch <= '~';
}

static bool is_progchar(char ch)
{
	return ch > ' ' && ch <= '~' && ch != '[' && ch != ']' && ch != ':';
}

/* " host prog[pid]: " or " host prog: " after a syslog time stamp. */
static bool eat_host_tag(struct cur *c, struct head *h)
{
	if (!eat(c, " ") || !eat_span(c, is_hostchar, 255) || !eat(c, " "))
		return false;
	h->prog = c->p;
	h->prog_len = eat_span(c, is_progchar, 64);
	if (!h->prog_len || h->prog_len > 64)
		return false;
	if (eat(c, "[") && (!eat_uint(c, 1, 10, &h->pid) || !eat(c, "]")))
		return false;
	return eat(c, ": ");
}

/* spamd -s FILE: "Thu Nov 26 23:22:34 2026 [8944] info: " */
static bool eat_spamd_file(struct cur *c, struct head *h)
{
	struct tm tm = { 0 };
	bool wday = false;
	int year;

	for (int i = 0; i < 7 && !wday; i++)
		wday = eat(c, wdays[i]);
	if (!wday || !eat(c, " ") || !eat_mday_time(c, &tm) || !eat(c, " ") ||
	    !eat_fixed(c, 4, 9999, &year) || !eat(c, " [") || !eat_uint(c, 1, 10, &h->pid) ||
	    !eat(c, "] "))
		return false;
	while (left(c) && c->p[0] >= 'a' && c->p[0] <= 'z')
		c->p++;
	if (!eat(c, ": "))
		return false;
	tm.tm_year = year - 1900;
	h->when = local_time(&tm);
	return true;
}

static bool eat_syslog_rfc3339(struct cur *c, struct head *h)
{
	return eat_rfc3339(c, &h->when) && eat_host_tag(c, h);
}

static bool eat_syslog_traditional(struct cur *c, struct head *h)
{
	struct tm tm = { 0 };

	if (!eat_mday_time(c, &tm) || !eat_host_tag(c, h))
		return false;
	h->when = guess_year(&tm);
	return true;
}

/* Whichever header the line starts with; c is left at the message. */
static bool eat_head(struct cur *c, struct head *h)
{
	static bool (*const forms[])(struct cur *, struct head *) = {
		eat_syslog_rfc3339,
		eat_syslog_traditional,
		eat_spamd_file,
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct cur t = *c;

		memset(h, 0, sizeof(*h));
		if (forms[i](&t, h)) {
			*c = t;
			return true;
		}
	}
	return false;
}

static bool prog_is(const struct head *h, const char *name)
{
	return h->prog_len == strlen(name) && !memcmp(h->prog, name, h->prog_len);
}

/* A postfix daemon: "postfix/smtpd", "postfix-out/cleanup", "postfix/submission/smtpd". */
static bool prog_is_postfix(const struct head *h, const char *daemon)
{
	size_t n = strlen(daemon);

	return h->prog_len > n + 1 && h->prog[h->prog_len - n - 1] == '/' &&
	       !memcmp(h->prog + h->prog_len - n, daemon, n);
}

/* ---- the join state: message-id -> queue id -> client ---- */

/* What a spam result said, kept until its client is known. */
struct pend_result {
	bool has_score;
	double score, threshold;
	__s64 when;
};

struct pend {
	char qid[QID_MAX]; /* "" until smtpd or cleanup names it */
	char mid[MID_MAX]; /* "" until cleanup or a spamd result names it */
	struct xb_prefix client;
	bool has_client;
	bool has_result;
	struct pend_result res;
	__u64 born; /* now when created: ageing and eviction go oldest first */
	__u32 qnext, mnext; /* hash chains; qnext also links free entries */
	__u32 older, newer; /* the age list */
};

struct xb_spamd {
	struct pend *tab;
	__u32 *qbucket, *mbucket;
	__u32 mask; /* buckets - 1 */
	__u32 free, oldest, newest;
	__u64 max_age_s;
	/*
	 * A patched spamd logs "identified spam ... from [IP]" and then "result:" for the
	 * same message from the same child: the children whose result is still to come, so
	 * that a message counts once. Children run in parallel, hence a few.
	 */
	unsigned long patched[PATCHED_PIDS];
	unsigned int patched_next;
};

static __u32 hash(const char *str)
{
	__u32 h = 2166136261u; /* FNV-1a */

	for (; *str; str++)
		h = (h ^ (__u8)*str) * 16777619u;
	return h;
}

static __u32 *chain(struct xb_spamd *s, const char *key, bool by_mid)
{
	return &(by_mid ? s->mbucket : s->qbucket)[hash(key) & s->mask];
}

static __u32 *next_of(struct xb_spamd *s, __u32 i, bool by_mid)
{
	return by_mid ? &s->tab[i].mnext : &s->tab[i].qnext;
}

static __u32 find(struct xb_spamd *s, const char *key, bool by_mid)
{
	__u32 i = *chain(s, key, by_mid);

	while (i != NIL && strcmp(by_mid ? s->tab[i].mid : s->tab[i].qid, key))
		i = *next_of(s, i, by_mid);
	return i;
}

static void link_key(struct xb_spamd *s, __u32 i, const char *key, bool by_mid)
{
	__u32 *head = chain(s, key, by_mid);

	strcpy(by_mid ? s->tab[i].mid : s->tab[i].qid, key);
	*next_of(s, i, by_mid) = *head;
	*head = i;
}

static void unlink_key(struct xb_spamd *s, __u32 i, bool by_mid)
{
	char *key = by_mid ? s->tab[i].mid : s->tab[i].qid;
	__u32 *pp;

	if (!key[0])
		return;
	pp = chain(s, key, by_mid);
	while (*pp != i)
		pp = next_of(s, *pp, by_mid);
	*pp = *next_of(s, i, by_mid);
	key[0] = '\0';
}

static void pend_free(struct xb_spamd *s, __u32 i)
{
	struct pend *e = &s->tab[i];

	unlink_key(s, i, false);
	unlink_key(s, i, true);
	*(e->older != NIL ? &s->tab[e->older].newer : &s->oldest) = e->newer;
	*(e->newer != NIL ? &s->tab[e->newer].older : &s->newest) = e->older;
	e->qnext = s->free;
	s->free = i;
}

/* A fresh entry at the new end of the age list; the oldest goes when all are in use. */
static __u32 pend_alloc(struct xb_spamd *s, __u64 now)
{
	struct pend *e;
	__u32 i;

	if (s->free == NIL)
		pend_free(s, s->oldest);
	i = s->free;
	e = &s->tab[i];
	s->free = e->qnext;
	memset(e, 0, sizeof(*e));
	e->born = now;
	e->qnext = e->mnext = e->newer = NIL;
	e->older = s->newest;
	*(s->newest != NIL ? &s->tab[s->newest].newer : &s->oldest) = i;
	s->newest = i;
	return i;
}

static void age_out(struct xb_spamd *s, __u64 now)
{
	while (s->oldest != NIL && now > s->tab[s->oldest].born &&
	       now - s->tab[s->oldest].born > s->max_age_s)
		pend_free(s, s->oldest);
}

static __u32 find_or_add_qid(struct xb_spamd *s, const char *qid, __u64 now)
{
	__u32 i = find(s, qid, false);

	if (i == NIL) {
		i = pend_alloc(s, now);
		link_key(s, i, qid, false);
	}
	return i;
}

static void keep_result(struct pend *e, const struct xb_line_event *ev)
{
	e->has_result = true;
	e->res.has_score = ev->has_score;
	e->res.score = ev->score;
	e->res.threshold = ev->threshold;
	e->res.when = ev->when;
}

/* A spam result and a client met: the event is the result's, with the client's address. */
static enum xb_line_kind emit(struct pend *e, struct xb_line_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->addr = e->client;
	ev->has_score = e->res.has_score;
	ev->score = e->res.score;
	ev->threshold = e->res.threshold;
	ev->when = e->res.when;
	e->has_result = false;
	return XB_LINE_FAIL;
}

static enum xb_line_kind on_client(struct xb_spamd *s, const char *qid,
				   const struct xb_prefix *addr, __u64 now,
				   struct xb_line_event *ev)
{
	struct pend *e = &s->tab[find_or_add_qid(s, qid, now)];

	e->client = *addr;
	e->has_client = true;
	return e->has_result ? emit(e, ev) : XB_LINE_MISS;
}

static enum xb_line_kind on_cleanup(struct xb_spamd *s, const char *qid, const char *mid, __u64 now,
				    struct xb_line_event *ev)
{
	__u32 i = find_or_add_qid(s, qid, now);
	__u32 j = find(s, mid, true);
	struct pend *e = &s->tab[i];

	if (j != NIL && j != i) {
		if (!s->tab[j].qid[0] && s->tab[j].has_result) {
			/* The result came first and waited under its message-id alone. */
			e->has_result = true;
			e->res = s->tab[j].res;
		}
		/* Either way the latest queue id owns the message-id. */
		if (s->tab[j].qid[0])
			unlink_key(s, j, true);
		else
			pend_free(s, j);
	}
	if (j != i) {
		unlink_key(s, i, true);
		link_key(s, i, mid, true);
	}
	return e->has_client && e->has_result ? emit(e, ev) : XB_LINE_MISS;
}

static enum xb_line_kind on_result(struct xb_spamd *s, const char *mid, __u64 now,
				   struct xb_line_event *ev)
{
	__u32 i = find(s, mid, true);
	struct pend *e;

	if (i == NIL) {
		i = pend_alloc(s, now);
		link_key(s, i, mid, true);
	}
	e = &s->tab[i];
	keep_result(e, ev);
	return e->has_client ? emit(e, ev) : XB_LINE_MISS;
}

/* ---- postfix lines ---- */

static bool is_alnum(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* "QID: " into qid; NOQUEUE is no queue id. */
static bool eat_qid(struct cur *c, char *qid)
{
	const char *p = c->p;
	size_t n = eat_span(c, is_alnum, QID_MAX - 1);

	if (n < QID_MIN || n >= QID_MAX || !eat(c, ": "))
		return false;
	memcpy(qid, p, n);
	qid[n] = '\0';
	return strcmp(qid, "NOQUEUE") != 0;
}

static bool is_namechar(char ch)
{
	return is_alnum(ch) || ch == '.' || ch == '-' || ch == '_';
}

/* smtpd: "QID: client=name[addr]" then nothing, ":port" or ", sasl_method=..." */
static bool parse_client(struct cur *c, char *qid, struct xb_prefix *addr)
{
	const char *ip;
	unsigned long port;

	if (!eat_qid(c, qid) || !eat(c, "client=") || !eat_span(c, is_namechar, 255) ||
	    !eat(c, "["))
		return false;
	ip = c->p;
	if (!eat_span(c, is_ipchar, 45) || !parse_ip(ip, (size_t)(c->p - ip), addr) || !eat(c, "]"))
		return false;
	if (eat(c, ":") && !eat_uint(c, 1, 5, &port))
		return false;
	return !left(c) || eat(c, ", ");
}

static char mid_char(char ch)
{
	if (ch == ',')
		return '_';
	if (ch < '!' || ch > '~' || ch == '<' || ch == '>')
		return '?';
	return ch;
}

/*
 * cleanup's "message-id=VALUE" spelled the way spamd logs the same header: the id between
 * the first <...>, other characters outside printable ASCII and stray brackets as '?', and
 * commas as '_' (spamd's result line uses commas between its fields).
 */
static bool spamd_mid(const char *p, size_t n, char *out)
{
	const char *lt = memchr(p, '<', n);
	const char *gt = lt ? memchr(lt + 1, '>', n - (size_t)(lt + 1 - p)) : NULL;

	if (gt) {
		p = lt + 1;
		n = (size_t)(gt - p);
	}
	if (!n || n + 3 > MID_MAX)
		return false;
	out[0] = '<';
	for (size_t i = 0; i < n; i++)
		out[i + 1] = mid_char(p[i]);
	strcpy(out + n + 1, ">");
	return true;
}

static enum xb_line_kind postfix_line(struct xb_spamd *s, struct cur *c, const struct head *h,
				      __u64 now, struct xb_line_event *ev)
{
	char qid[QID_MAX], mid[MID_MAX];
	struct xb_prefix addr;

	if (!s || !s->tab)
		return XB_LINE_MISS;
	if (prog_is_postfix(h, "smtpd") && parse_client(c, qid, &addr))
		return on_client(s, qid, &addr, now, ev);
	if (prog_is_postfix(h, "cleanup") && eat_qid(c, qid) && eat(c, "message-id=") &&
	    spamd_mid(c->p, left(c), mid))
		return on_cleanup(s, qid, mid, now, ev);
	return XB_LINE_MISS;
}

/* ---- spamd lines ---- */

static bool is_word(char ch)
{
	return is_alnum(ch) || ch == '_';
}

static bool is_testchar(char ch)
{
	return is_word(ch) || ch == ',';
}

/*
 * "(S/T) from [IP] for USER in X seconds, N bytes." to its end: "from" right after the
 * scores, the rest fixed, so no user name can move the address.
 */
static enum xb_line_kind parse_identified(struct cur *c, struct xb_line_event *ev)
{
	const char *ip;
	unsigned long n;

	if (!eat(c, "(") || !eat_num(c, &ev->score) || !eat(c, "/") ||
	    !eat_num(c, &ev->threshold) || !eat(c, ") from ["))
		return XB_LINE_MISS;
	ip = c->p;
	if (!eat_span(c, is_ipchar, 45) || !parse_ip(ip, (size_t)(c->p - ip), &ev->addr) ||
	    !eat(c, "] for ") || !eat_span(c, is_hostchar, XB_LINE_MAX) || !eat(c, " in ") ||
	    !eat_uint(c, 1, 9, &n) || (eat(c, ".") && !eat_uint(c, 1, 9, &n)) ||
	    !eat(c, " seconds, ") || !eat_uint(c, 1, 19, &n) || !eat(c, " bytes.") || left(c))
		return XB_LINE_MISS;
	ev->has_score = true;
	return XB_LINE_FAIL;
}

/* What a result line's fields say, located from the end of the line. */
struct result {
	bool has_relay;
	struct xb_prefix relay;
	bool has_threshold;
	double threshold;
	char mid[MID_MAX]; /* "" = none */
};

/* The value of the last ",key=" in [p, end), up to the next comma. */
static bool last_value(const char *p, const char *end, const char *key, struct cur *v)
{
	const char *k = rfind(p, end, key);
	const char *comma;

	if (!k)
		return false;
	v->p = k + strlen(key);
	comma = memchr(v->p, ',', (size_t)(end - v->p));
	v->end = comma ? comma : end;
	return true;
}

/*
 * Items after spamd's own autolearn= come from plugins (set_spamd_result_item), written
 * after every field a sender can influence: relayip counts only there, and only once.
 * items starts at the comma before autolearn=.
 */
static bool parse_plugin_items(struct cur items, struct result *r)
{
	const char *comma = items.p;

	while (comma) {
		struct cur it = { comma + 1, items.end };
		const char *key = it.p;
		size_t key_len;

		comma = memchr(it.p, ',', left(&it));
		it.end = comma ? comma : items.end;
		key_len = eat_span(&it, is_word, 64);
		if (!key_len || !eat(&it, "="))
			return false;
		if (key_len != 7 || memcmp(key, "relayip", 7))
			continue;
		if (r->has_relay || !parse_ip(it.p, left(&it), &r->relay))
			return false;
		r->has_relay = true;
	}
	return true;
}

static bool is_midchar(char ch)
{
	return ch >= '!' && ch <= '~';
}

/* spamd's "mid=<ID>": printable, bracketed, no commas (spamd turned them into '_'). */
static void copy_mid(struct cur v, char *mid)
{
	const char *p = v.p;
	size_t n = left(&v);

	if (n < 3 || n >= MID_MAX || p[0] != '<' || p[n - 1] != '>')
		return;
	if (eat_span(&v, is_midchar, MID_MAX) != n)
		return;
	memcpy(mid, p, n);
	mid[n] = '\0';
}

/* The fields after the tests: "scantime=...,user=...,required_score=T,...,mid=<ID>,..." */
static bool parse_fields(struct cur f, struct result *r)
{
	const char *al = rfind(f.p, f.end, ",autolearn=");
	struct cur v, items = { al, f.end };

	memset(r, 0, sizeof(*r));
	if (!al || !eat(&f, "scantime=") || !parse_plugin_items(items, r))
		return false;
	/* user= (a recipient, perhaps) comes before these: the last of each is spamd's. */
	if (last_value(f.p, al, ",required_score=", &v)) {
		if (!eat_num(&v, &r->threshold) || left(&v))
			return false;
		r->has_threshold = true;
	}
	if (last_value(f.p, al, ",mid=", &v))
		copy_mid(v, r->mid);
	return true;
}

/*
 * "result: Y SCORE - TESTS FIELDS" ("." instead of Y for ham; SCORE is "%2d"). A relayip
 * names the sender; else the message-id may, once postfix's lines say who sent it.
 */
static enum xb_line_kind parse_result(struct xb_spamd *s, struct cur *c, __u64 now,
				      struct xb_line_event *ev)
{
	unsigned long score;
	struct result r;
	bool neg;

	if (!eat(c, "Y "))
		return XB_LINE_MISS;
	eat(c, " "); /* "%2d" pads one-digit scores */
	neg = eat(c, "-");
	if (!eat_uint(c, 1, 9, &score) || !eat(c, " - "))
		return XB_LINE_MISS;
	eat_span(c, is_testchar, XB_LINE_MAX);
	if (!eat(c, " ") || !parse_fields(*c, &r))
		return XB_LINE_MISS;
	ev->score = neg ? -(double)score : (double)score;
	ev->threshold = r.threshold;
	ev->has_score = r.has_threshold;
	if (r.has_relay) {
		ev->addr = r.relay;
		return XB_LINE_FAIL;
	}
	if (r.mid[0] && s && s->tab)
		return on_result(s, r.mid, now, ev);
	return XB_LINE_MISS;
}

static void patched_add(struct xb_spamd *s, unsigned long pid)
{
	if (s && pid)
		s->patched[s->patched_next++ % PATCHED_PIDS] = pid;
}

/* Whether pid's message was counted from its patched line already; forgets it. */
static bool patched_take(struct xb_spamd *s, unsigned long pid)
{
	for (size_t i = 0; s && pid && i < PATCHED_PIDS; i++) {
		if (s->patched[i] == pid) {
			s->patched[i] = 0;
			return true;
		}
	}
	return false;
}

static enum xb_line_kind spamd_line(struct xb_spamd *s, struct cur *c, const struct head *h,
				    __u64 now, struct xb_line_event *ev)
{
	enum xb_line_kind kind = XB_LINE_MISS;

	if (!eat(c, "spamd: "))
		return XB_LINE_MISS;
	if (eat(c, "identified spam ")) {
		kind = parse_identified(c, ev);
		if (kind == XB_LINE_FAIL)
			patched_add(s, h->pid);
	} else if (eat(c, "result: ") && !patched_take(s, h->pid)) {
		kind = parse_result(s, c, now, ev);
	}
	return kind;
}

/* ---- the API ---- */

struct xb_spamd *xb_spamd_new(size_t max_pending, __u64 max_age_s)
{
	struct xb_spamd *s;
	__u32 buckets = 1;

	if (max_pending > PENDING_MAX) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->max_age_s = max_age_s;
	s->free = s->oldest = s->newest = NIL;
	if (!max_pending)
		return s; /* no join: patched spamd and relayip lines only */
	while (buckets < max_pending)
		buckets <<= 1;
	s->mask = buckets - 1;
	s->tab = calloc(max_pending, sizeof(*s->tab));
	s->qbucket = malloc(buckets * sizeof(*s->qbucket));
	s->mbucket = malloc(buckets * sizeof(*s->mbucket));
	if (!s->tab || !s->qbucket || !s->mbucket) {
		xb_spamd_free(s);
		errno = ENOMEM;
		return NULL;
	}
	memset(s->qbucket, 0xff, buckets * sizeof(*s->qbucket));
	memset(s->mbucket, 0xff, buckets * sizeof(*s->mbucket));
	for (size_t i = max_pending; i-- > 0;) {
		s->tab[i].qnext = s->free;
		s->free = (__u32)i;
	}
	return s;
}

enum xb_line_kind xb_spamd_line(struct xb_spamd *s, const char *line, size_t len, __u64 now,
				struct xb_line_event *ev)
{
	enum xb_line_kind kind;
	struct cur c;
	struct head h;

	memset(ev, 0, sizeof(*ev));
	if (s && s->tab)
		age_out(s, now);
	if (!line || len > XB_LINE_MAX)
		return XB_LINE_MISS;
	c.p = line;
	c.end = line + len;
	if (!eat_head(&c, &h))
		return XB_LINE_MISS;
	/* A result kept for a later join keeps its own time. */
	ev->when = h.when;
	if (!h.prog || prog_is(&h, "spamd"))
		kind = spamd_line(s, &c, &h, now, ev);
	else
		kind = postfix_line(s, &c, &h, now, ev);
	if (kind != XB_LINE_FAIL)
		memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	return kind;
}

void xb_spamd_free(struct xb_spamd *s)
{
	if (!s)
		return;
	free(s->tab);
	free(s->qbucket);
	free(s->mbucket);
	free(s);
}
