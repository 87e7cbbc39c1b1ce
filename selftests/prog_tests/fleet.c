// SPDX-License-Identifier: GPL-2.0
/*
 * The fleet's messages and consume path, without Redis: the signed text, sign and verify,
 * every field decoded strictly (forged and malformed messages rejected), the line form, the
 * key file, the rules a ban from another node goes through on real maps, and the publish
 * queue that waits for Redis.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "test_progs.h"
#include "xb_fixture.h"
#include "fleet.h"

#define KEY "0123456789abcdef0123456789abcdef"
#define STREAM "xdpban:bans"

static struct xbd_fleet_msg sample(void)
{
	struct xbd_fleet_msg m;

	memset(&m, 0, sizeof(m));
	strcpy(m.node, "edge1");
	strcpy(m.prefix, "203.0.113.7/32");
	xb_prefix_parse(m.prefix, &m.pfx, NULL);
	m.expires = 1800000000;
	strcpy(m.reason, "wp-login");
	strcpy(m.source, "wp-login");
	m.ts_us = 1799996400123456ULL;
	return m;
}

static void test_canon(void)
{
	static const char want[] = "xdpban-fleet-v1\n"
				   "11:xdpban:bans\n"
				   "5:edge1\n"
				   "14:203.0.113.7/32\n"
				   "10:1800000000\n"
				   "8:wp-login\n"
				   "8:wp-login\n"
				   "16:1799996400123456\n";
	struct xbd_fleet_msg m = sample();
	char buf[512];

	ASSERT_EQ(xbd_fleet_canon(&m, STREAM, buf, sizeof(buf)), (int)strlen(want), "length");
	ASSERT_STREQ(buf, want, "the signed text");
	ASSERT_EQ(xbd_fleet_canon(&m, STREAM, buf, 40), -E2BIG, "short buffer");
}

/* Every field is covered: changing any one breaks the signature. */
static void test_sign_verify(void)
{
	struct xbd_fleet_msg m = sample(), t;

	if (!ASSERT_OK(xbd_fleet_sign(&m, STREAM, KEY, strlen(KEY)), "sign"))
		return;
	ASSERT_EQ(strlen(m.sig), XBD_FLEET_SIG_HEX, "hex length");
	ASSERT_TRUE(xbd_fleet_verify(&m, STREAM, KEY, strlen(KEY)), "verifies");
	ASSERT_FALSE(xbd_fleet_verify(&m, "other:bans", KEY, strlen(KEY)), "another stream");
	ASSERT_FALSE(xbd_fleet_verify(&m, STREAM, KEY "x", strlen(KEY) + 1), "another key");
	t = m;
	strcpy(t.node, "edge2");
	ASSERT_FALSE(xbd_fleet_verify(&t, STREAM, KEY, strlen(KEY)), "node");
	t = m;
	strcpy(t.prefix, "203.0.113.0/24");
	ASSERT_FALSE(xbd_fleet_verify(&t, STREAM, KEY, strlen(KEY)), "prefix");
	t = m;
	t.expires = 0;
	ASSERT_FALSE(xbd_fleet_verify(&t, STREAM, KEY, strlen(KEY)), "expires");
	t = m;
	strcpy(t.reason, "wp-logio");
	ASSERT_FALSE(xbd_fleet_verify(&t, STREAM, KEY, strlen(KEY)), "reason");
	t = m;
	strcpy(t.source, "other");
	ASSERT_FALSE(xbd_fleet_verify(&t, STREAM, KEY, strlen(KEY)), "source");
	t = m;
	t.ts_us++;
	ASSERT_FALSE(xbd_fleet_verify(&t, STREAM, KEY, strlen(KEY)), "ts");
	t = m;
	t.sig[0] = t.sig[0] == '0' ? '1' : '0';
	ASSERT_FALSE(xbd_fleet_verify(&t, STREAM, KEY, strlen(KEY)), "sig");
	t = m;
	t.sig[10] = '\0';
	ASSERT_FALSE(xbd_fleet_verify(&t, STREAM, KEY, strlen(KEY)), "short sig");
	/* Length prefixes: moving a byte between fields changes the text. */
	t = m;
	strcpy(t.reason, "wp-login");
	strcpy(t.source, "wp-login");
	strcpy(t.reason, "wp-loginw");
	strcpy(t.source, "p-login");
	ASSERT_FALSE(xbd_fleet_verify(&t, STREAM, KEY, strlen(KEY)), "boundary moved");
}

/* The eight fields of m as a stream entry; values point into m and vals. */
struct entry {
	struct xbd_fleet_kv kv[__XBD_FF_MAX + 1];
	char expires[24], ts[24];
	size_t n;
};

static void to_entry(const struct xbd_fleet_msg *m, struct entry *e)
{
	const char *v[__XBD_FF_MAX] = { "1",	   m->node,   m->prefix, e->expires,
					m->reason, m->source, e->ts,	 m->sig };

	snprintf(e->expires, sizeof(e->expires), "%llu", (unsigned long long)m->expires);
	snprintf(e->ts, sizeof(e->ts), "%llu", (unsigned long long)m->ts_us);
	for (int i = 0; i < __XBD_FF_MAX; i++)
		e->kv[i] = (struct xbd_fleet_kv){ xbd_fleet_field_names[i],
						  strlen(xbd_fleet_field_names[i]), v[i],
						  strlen(v[i]) };
	e->n = __XBD_FF_MAX;
}

static void test_decode(void)
{
	struct xbd_fleet_msg m = sample(), d;
	struct xbd_fleet_kv tmp;
	struct entry e;
	const char *why = NULL;

	xbd_fleet_sign(&m, STREAM, KEY, strlen(KEY));
	to_entry(&m, &e);
	/* Field order does not matter. */
	tmp = e.kv[0];
	e.kv[0] = e.kv[7];
	e.kv[7] = tmp;
	if (!ASSERT_OK(xbd_fleet_decode(&d, e.kv, e.n, &why), why))
		return;
	ASSERT_STREQ(d.node, "edge1", "node");
	ASSERT_STREQ(d.prefix, "203.0.113.7/32", "prefix");
	ASSERT_EQ(d.pfx.family, 4, "parsed family");
	ASSERT_EQ(d.pfx.len, 32, "parsed length");
	ASSERT_EQ(d.expires, 1800000000, "expires");
	ASSERT_STREQ(d.reason, "wp-login", "reason");
	ASSERT_STREQ(d.source, "wp-login", "source");
	ASSERT_EQ(d.ts_us, 1799996400123456ULL, "ts");
	ASSERT_TRUE(xbd_fleet_verify(&d, STREAM, KEY, strlen(KEY)), "still verifies");
	/* IPv6, permanent, empty source. */
	strcpy(m.prefix, "2001:db8:bad::/48");
	m.expires = 0;
	m.source[0] = '\0';
	xbd_fleet_sign(&m, STREAM, KEY, strlen(KEY));
	to_entry(&m, &e);
	if (ASSERT_OK(xbd_fleet_decode(&d, e.kv, e.n, &why), why)) {
		ASSERT_EQ(d.pfx.family, 6, "v6");
		ASSERT_EQ(d.pfx.len, 48, "/48");
		ASSERT_EQ(d.expires, 0, "permanent");
		ASSERT_TRUE(xbd_fleet_verify(&d, STREAM, KEY, strlen(KEY)), "v6 verifies");
	}
}

struct bad_field {
	int field; /* -1: drop one, -2: repeat one, -3: add one, else replace this value */
	const char *value;
	size_t len; /* 0: strlen(value) */
	int err;
	const char *why;
};

static const char long_value[] = "0123456789012345678901234567890123456789012345678901234567890"
				 "1234567890123456789012345678901234567890123456789012345678901"
				 "1234567890123456789012345678901234567890123456789012345678901"
				 "1234567890123456789012345678901234567890123456789012345678901"
				 "1234567890123456789012345678901234567890123456789012345678901";

static const struct bad_field bad_fields[] = {
	{ -1, NULL, 0, -EINVAL, "missing field" },
	{ -2, NULL, 0, -EINVAL, "repeated field" },
	{ -3, NULL, 0, -EINVAL, "unknown field" },
	{ XBD_FF_V, "2", 0, -EPROTO, "unknown version" },
	{ XBD_FF_V, "", 0, -EPROTO, "unknown version" },
	{ XBD_FF_NODE, "", 0, -EINVAL, "bad node name" },
	{ XBD_FF_NODE, "edge 1", 0, -EINVAL, "bad node name" },
	{ XBD_FF_NODE, "edge1\n", 0, -EINVAL, "bad node name" },
	{ XBD_FF_NODE, long_value, 0, -EINVAL, "bad node name" },
	{ XBD_FF_PREFIX, "203.0.113.300", 0, -EINVAL, "bad prefix" },
	{ XBD_FF_PREFIX, "203.0.113.7/33", 0, -EINVAL, "bad prefix" },
	{ XBD_FF_PREFIX, "203.0.113.7/24", 0, -EINVAL, "bad prefix" }, /* host bits */
	{ XBD_FF_PREFIX, "", 0, -EINVAL, "bad prefix" },
	{ XBD_FF_PREFIX, "203.0.113.7\0/8", 16, -EINVAL, "bad prefix" }, /* a NUL inside */
	{ XBD_FF_EXPIRES, "-1", 0, -EINVAL, "bad expiry" },
	{ XBD_FF_EXPIRES, "1e9", 0, -EINVAL, "bad expiry" },
	{ XBD_FF_EXPIRES, "", 0, -EINVAL, "bad expiry" },
	{ XBD_FF_EXPIRES, "18446744073709551616", 0, -EINVAL, "bad expiry" },
	{ XBD_FF_REASON, "0123456789012345678901234", 0, -EINVAL, "bad reason" },
	{ XBD_FF_REASON, "a\tb", 0, -EINVAL, "bad reason" },
	{ XBD_FF_REASON, "a\x1b[2J", 0, -EINVAL, "bad reason" },
	{ XBD_FF_SOURCE, "a/b", 0, -EINVAL, "bad source name" },
	{ XBD_FF_TS, " 1", 0, -EINVAL, "bad timestamp" },
	{ XBD_FF_SIG, "abc", 0, -EINVAL, "bad signature format" },
	{ XBD_FF_SIG, "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", 0,
	  -EINVAL, "bad signature format" },
	{ XBD_FF_SIG, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", 0,
	  -EINVAL, "bad signature format" },
	{ XBD_FF_SIG, long_value, 0, -EINVAL, "bad signature format" },
};

static void test_malformed(void)
{
	struct xbd_fleet_msg m = sample(), d;
	char name[96];

	xbd_fleet_sign(&m, STREAM, KEY, strlen(KEY));
	for (size_t i = 0; i < sizeof(bad_fields) / sizeof(bad_fields[0]); i++) {
		const struct bad_field *c = &bad_fields[i];
		const char *why = NULL;
		struct entry e;

		to_entry(&m, &e);
		if (c->field == -1) {
			e.n--;
		} else if (c->field == -2) {
			e.kv[e.n++] = e.kv[2];
		} else if (c->field == -3) {
			e.kv[e.n++] = (struct xbd_fleet_kv){ "extra", 5, "1", 1 };
		} else {
			e.kv[c->field].val = c->value;
			e.kv[c->field].val_len = c->len ? c->len : strlen(c->value);
		}
		snprintf(name, sizeof(name), "case %zu (%s)", i, c->why);
		ASSERT_EQ(xbd_fleet_decode(&d, e.kv, e.n, &why), c->err, name);
		ASSERT_STREQ(why ? why : "(none)", c->why, name);
	}
}

static void test_line(void)
{
	static const char *const bad_lines[] = {
		"",
		"1\tedge1\t203.0.113.7/32",
		("1\tedge1\t203.0.113.7/32\t0\tr\ts\t1\t"
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\textra"),
		"1\tedge1\t203.0.113.7/32\t0\tr\ts\t1\tnot-hex",
	};
	struct xbd_fleet_msg m = sample(), d;
	const char *why = NULL;
	char line[1024];
	int n;

	xbd_fleet_sign(&m, STREAM, KEY, strlen(KEY));
	n = xbd_fleet_to_line(&m, line, sizeof(line));
	if (!ASSERT_GT(n, 0, "to_line"))
		return;
	ASSERT_EQ(xbd_fleet_to_line(&m, line, 20), -E2BIG, "short buffer");
	n = xbd_fleet_to_line(&m, line, sizeof(line));
	if (ASSERT_OK(xbd_fleet_from_line(&d, line, (size_t)n, &why), why)) {
		ASSERT_STREQ(d.prefix, m.prefix, "prefix back");
		ASSERT_STREQ(d.sig, m.sig, "sig back");
		ASSERT_TRUE(xbd_fleet_verify(&d, STREAM, KEY, strlen(KEY)), "verifies");
	}
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++)
		ASSERT_EQ(xbd_fleet_from_line(&d, bad_lines[i], strlen(bad_lines[i]), &why),
			  -EINVAL, bad_lines[i]);
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok;

	if (!ASSERT_GE(fd, 0, path))
		return false;
	ok = ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text), path);
	close(fd);
	return ok;
}

static void test_key(void)
{
	unsigned char a[XBD_FLEET_KEY_MAX + 1], b[XBD_FLEET_KEY_MAX + 1];
	char dir[] = "/tmp/xdpban-fleet.XXXXXX", path[64];
	size_t alen = 0, blen = 0;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/key", dir);
	ASSERT_EQ(xbd_fleet_key_load(path, a, &alen), -ENOENT, "missing");
	if (write_file(path, "short\n"))
		ASSERT_EQ(xbd_fleet_key_load(path, a, &alen), -EINVAL, "too short");
	if (write_file(path, KEY "\n"))
		ASSERT_OK(xbd_fleet_key_load(path, a, &alen), "with newline");
	if (write_file(path, KEY))
		ASSERT_OK(xbd_fleet_key_load(path, b, &blen), "without");
	if (ASSERT_EQ(alen, strlen(KEY), "trailing newline dropped"))
		ASSERT_MEMEQ(a, b, alen, "same key");
	unlink(path);
	rmdir(dir);
}

/* ---- the consume path on real maps ---- */

struct fleet_env {
	char dir[32];
	char key_path[64];
	struct xbd_config cfg;
	struct xb_fixture fx;
	struct xbd_fleet *f;
};

static bool env_open(struct fleet_env *t, bool maps, __u32 cap, __u32 queue_max)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->dir, "/tmp/xdpban-fleet.XXXXXX");
	if (!ASSERT_OK_PTR(mkdtemp(t->dir), "mkdtemp"))
		return false;
	snprintf(t->key_path, sizeof(t->key_path), "%s/key", t->dir);
	if (!write_file(t->key_path, KEY))
		return false;
	xbd_config_defaults(&t->cfg);
	snprintf(t->cfg.state_dir, sizeof(t->cfg.state_dir), "%s", t->dir);
	t->cfg.fleet.enabled = true;
	/* Nothing listens there: the client stays down, which these tests do not mind. */
	snprintf(t->cfg.fleet.redis_unix, sizeof(t->cfg.fleet.redis_unix), "%s/none.sock", t->dir);
	snprintf(t->cfg.fleet.redis, sizeof(t->cfg.fleet.redis), "%s", t->cfg.fleet.redis_unix);
	snprintf(t->cfg.fleet.key_file, sizeof(t->cfg.fleet.key_file), "%s", t->key_path);
	snprintf(t->cfg.fleet.node, sizeof(t->cfg.fleet.node), "self");
	t->cfg.fleet.max_bans_per_min = cap;
	t->cfg.fleet.queue_max = queue_max;
	xb_prefix_parse("198.51.100.0/24", &t->cfg.ignoreip[0], NULL);
	t->cfg.n_ignoreip = 1;
	if (maps && !ASSERT_OK(xb_fixture_open(&t->fx), "fixture"))
		return false;
	return ASSERT_OK(xbd_fleet_start(&t->f, &t->cfg, maps ? &t->fx.maps : NULL), "start");
}

static void env_close(struct fleet_env *t, bool maps)
{
	char cmd[64];

	xbd_fleet_stop(t->f);
	t->f = NULL;
	if (maps)
		xb_fixture_close(&t->fx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	if (t->dir[0] && system(cmd))
		fprintf(stderr, "cannot remove %s\n", t->dir);
}

/* A message from another node, signed (or not) with the shared key. */
static struct xbd_fleet_msg from(const char *node, const char *prefix, long long ttl, bool sign)
{
	struct xbd_fleet_msg m = sample();
	__u64 now = (__u64)time(NULL);

	strcpy(m.node, node);
	strcpy(m.prefix, prefix);
	xb_prefix_parse(prefix, &m.pfx, NULL);
	m.expires = ttl ? (__u64)((long long)now + ttl) : 0;
	m.ts_us = now * 1000000ULL;
	xbd_fleet_sign(&m, STREAM, sign ? KEY : "another key, 16 bytes or more", sign ? 32 : 29);
	return m;
}

static void consume_one(struct fleet_env *t, const struct xbd_fleet_msg *m, bool snapshot,
			struct xbd_fleet_stats *st)
{
	xbd_fleet_consume(t->f, m, 1, snapshot);
	xbd_fleet_get_stats(t->f, st);
}

static void test_consume(void)
{
	struct xbd_fleet_stats st;
	struct fleet_env t;
	struct xbd_fleet_msg m;
	struct xb_ban ban;

	if (!test__require_root() || !env_open(&t, true, 0, 100))
		goto out;
	m = from("edge2", "203.0.113.7/32", 3600, true);
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.applied, 1, "good message applied");
	if (ASSERT_OK(xb_fixture_ban_get(&t.fx, "203.0.113.7", &ban), "in the map")) {
		ASSERT_EQ(ban.origin, XB_ORIGIN_FLEET, "origin fleet");
		ASSERT_STREQ(ban.reason, "wp-login", "reason");
		ASSERT_NEQ(ban.expires_ns, 0, "timed");
	}
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.kept, 1, "the same again: kept, not applied twice");
	ASSERT_EQ(st.applied, 1, "still one");
	m = from("edge3", "203.0.113.7/32", 60, true);
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.kept, 2, "a shorter ban does not shorten it");
	m = from("edge3", "203.0.113.7/32", 0, true);
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.applied, 2, "permanent extends it");
	if (ASSERT_OK(xb_fixture_ban_get(&t.fx, "203.0.113.7", &ban), "still in the map"))
		ASSERT_EQ(ban.expires_ns, 0, "now permanent");
	m = from("edge2", "203.0.113.8/32", 3600, false);
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.bad_signature, 1, "forged: rejected");
	ASSERT_ERR(xb_fixture_ban_get(&t.fx, "203.0.113.8", &ban), "forged: not in the map");
	m = from("self", "203.0.113.9/32", 3600, true);
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.own, 1, "own message skipped");
	m = from("edge2", "203.0.113.10/32", -5, true);
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.expired, 1, "expired on arrival");
	m = from("edge2", "127.0.0.1/32", 3600, true);
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.refused, 1, "loopback refused (never-ban)");
	m = from("edge2", "198.51.100.7/32", 3600, true);
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.refused, 2, "ignoreip refused");
	ASSERT_OK(xb_fixture_allow(&t.fx, "192.0.2.0/24"), "allow");
	m = from("edge2", "192.0.0.0/16", 3600, true);
	consume_one(&t, &m, false, &st);
	ASSERT_EQ(st.refused, 3, "a prefix over the allow list refused");
	ASSERT_EQ(st.applied, 2, "nothing else applied");
	ASSERT_EQ(st.received, 10, "every message counted");
	{
		__u64 in_hist = 0;

		for (int i = 0; i < XBD_FLEET_LAG_BUCKETS; i++)
			in_hist += st.lag_hist[i];
		ASSERT_EQ(in_hist, 2, "both applied bans in the lag histogram");
		ASSERT_GE(st.max_lag_us, st.last_lag_us, "max lag");
		ASSERT_NEQ(st.last_applied_us, 0, "last applied");
	}
out:
	env_close(&t, true);
}

/* 8 buckets per power of two, contiguous, each at most 12.5% wider than the last. */
static void test_lag_buckets(void)
{
	__u64 prev = 0;

	for (unsigned int i = 0; i < XBD_FLEET_LAG_BUCKETS; i++) {
		__u64 up = xbd_fleet_lag_bucket_us(i);

		if (!ASSERT_GT(up, prev, "increasing"))
			return;
		if (i >= 8 && !ASSERT_LE(up * 8, prev * 9, "at most 12.5% wider"))
			return;
		prev = up;
	}
	ASSERT_EQ(xbd_fleet_lag_bucket_us(0), 1, "first bucket: 0 us");
	ASSERT_EQ(xbd_fleet_lag_bucket_us(8), 9, "8 us");
	ASSERT_GE(prev, 1ULL << 36, "the last reaches 19 hours");
}

/* A batch: a later message of the same prefix wins; the cap counts stream messages only. */
static void test_batch_cap(void)
{
	struct xbd_fleet_msg m[4];
	struct xbd_fleet_stats st;
	struct fleet_env t;
	struct xb_ban ban;

	if (!test__require_root() || !env_open(&t, true, 2, 100))
		goto out;
	m[0] = from("edge2", "203.0.113.20/32", 60, true);
	m[1] = from("edge2", "203.0.113.20/32", 0, true);
	m[2] = from("edge2", "203.0.113.21/32", 60, true);
	m[3] = from("edge2", "203.0.113.22/32", 60, true);
	xbd_fleet_consume(t.f, m, 4, false);
	xbd_fleet_get_stats(t.f, &st);
	ASSERT_EQ(st.applied, 2, "two under the cap");
	ASSERT_EQ(st.capped, 1, "the third capped");
	ASSERT_EQ(st.kept, 1, "the superseded one");
	if (ASSERT_OK(xb_fixture_ban_get(&t.fx, "203.0.113.20", &ban), "in the map"))
		ASSERT_EQ(ban.expires_ns, 0, "the later (permanent) message won");
	m[0] = from("edge2", "203.0.113.30/32", 60, true);
	m[1] = from("edge2", "2001:db8::/32", 60, true);
	xbd_fleet_consume(t.f, m, 2, true);
	xbd_fleet_get_stats(t.f, &st);
	ASSERT_EQ(st.applied, 4, "the current set is not capped");
out:
	env_close(&t, true);
}

/* Local bans wait for Redis: bounded by queue_max, kept across a restart. */
static void test_queue(void)
{
	struct xb_ban_req req = { .timeout_s = 3600 };
	struct xbd_fleet_stats st;
	char path[96], text[4096];
	struct fleet_env t;
	FILE *fp;
	size_t n;

	if (!env_open(&t, false, 0, 3))
		goto out;
	strcpy(req.reason, "src");
	for (int i = 1; i <= 5; i++) {
		char a[32];

		snprintf(a, sizeof(a), "203.0.113.%d", i);
		xb_prefix_parse(a, &req.pfx, NULL);
		xbd_fleet_publish(t.f, "src", &req);
	}
	xbd_fleet_get_stats(t.f, &st);
	ASSERT_EQ(st.queued, 3, "at most queue_max wait");
	ASSERT_EQ(st.queue_dropped, 2, "the oldest dropped");
	xbd_fleet_stop(t.f);
	t.f = NULL;
	snprintf(path, sizeof(path), "%s/fleet.queue", t.dir);
	fp = fopen(path, "re");
	if (!ASSERT_OK_PTR(fp, "queue file"))
		goto out;
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	ASSERT_HAS_SUBSTR(text, "\t203.0.113.5/32\t", "newest kept");
	ASSERT_FALSE(strstr(text, "\t203.0.113.1/32\t"), "oldest dropped");
	/* An expired ban and a broken line in the file are not published. */
	fp = fopen(path, "ae");
	if (fp) {
		fputs("1\tself\t203.0.113.9/32\t1\tsrc\tsrc\t1\t"
		      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		      "garbage\n",
		      fp);
		fclose(fp);
	}
	if (!ASSERT_OK(xbd_fleet_start(&t.f, &t.cfg, NULL), "start again"))
		goto out;
	xbd_fleet_get_stats(t.f, &st);
	ASSERT_EQ(st.queued, 3, "the three survived the restart");
out:
	env_close(&t, false);
}

static int other_hook_calls;

static void other_hook(struct xbd_source *src, enum xb_decision d, const struct xb_line_event *ev,
		       const struct xb_ban_req *req)
{
	(void)src;
	(void)d;
	(void)ev;
	(void)req;
	other_hook_calls++;
}

/* The sources' on_decision: the hook they had is called too, then the ban is published. */
static void test_hook(void)
{
	struct xb_ban_req req = { .timeout_s = 60 };
	struct xbd_source src[2];
	struct xbd_fleet_stats st;
	struct fleet_env t;

	memset(src, 0, sizeof(src));
	strcpy(src[0].name, "web");
	strcpy(src[1].name, "mail");
	src[0].on_decision = other_hook;
	if (!env_open(&t, false, 0, 100))
		goto out;
	xbd_fleet_attach_sources(t.f, src, 2);
	xb_prefix_parse("203.0.113.40", &req.pfx, NULL);
	src[0].on_decision(&src[0], XB_DEC_BANNED, NULL, &req);
	src[1].on_decision(&src[1], XB_DEC_BANNED, NULL, &req);
	src[1].on_decision(&src[1], XB_DEC_COUNTED, NULL, &req);
	xbd_fleet_get_stats(t.f, &st);
	ASSERT_EQ(other_hook_calls, 1, "the hook it had is called");
	ASSERT_EQ(st.queued, 2, "both bans queued to publish, not the count");
	xbd_fleet_attach_sources(NULL, src, 2);
	ASSERT_TRUE(src[0].on_decision == other_hook, "its own hook back");
	ASSERT_NULL(src[1].on_decision, "no hook back");
out:
	env_close(&t, false);
}

void test_fleet(void)
{
	if (test__start_subtest("canon"))
		test_canon();
	if (test__start_subtest("sign_verify"))
		test_sign_verify();
	if (test__start_subtest("decode"))
		test_decode();
	if (test__start_subtest("malformed"))
		test_malformed();
	if (test__start_subtest("line"))
		test_line();
	if (test__start_subtest("key"))
		test_key();
	if (test__start_subtest("consume"))
		test_consume();
	if (test__start_subtest("lag_buckets"))
		test_lag_buckets();
	if (test__start_subtest("batch_cap"))
		test_batch_cap();
	if (test__start_subtest("queue"))
		test_queue();
	if (test__start_subtest("hook"))
		test_hook();
}
