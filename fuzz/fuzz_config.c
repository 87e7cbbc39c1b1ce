// SPDX-License-Identifier: GPL-2.0
/*
 * xbd_config_load(): the input is the whole xdpban.conf, written to a memfd (a temporary
 * file where there is none) and read back by path. On failure the message is one line
 * starting with the path, and the config is exactly xbd_config_defaults()'s. On success
 * every setting is within the range the documentation gives, every [source:NAME] is well
 * named with its keys in file order, and xbd_config_free() may be called twice.
 */
#define _GNU_SOURCE /* memfd_create */
#include <ctype.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "config.h"

static char path[64];
static int fd = -1;
static struct xbd_config cfg, defaults;

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static void check_sources(int lines)
{
	for (size_t i = 0; i < cfg.n_sources; i++) {
		const struct xbd_source_raw *s = &cfg.sources[i];
		size_t len = strnlen(s->name, sizeof(s->name));
		int prev = s->line;

		FUZZ_CHECK(len > 0 && len < sizeof(s->name));
		for (size_t c = 0; c < len; c++)
			FUZZ_CHECK(isalnum((unsigned char)s->name[c]) || strchr("-_.", s->name[c]));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg.sources[j].name, s->name));
		FUZZ_CHECK(s->line >= 1 && s->line <= lines);
		FUZZ_CHECK(s->n == 0 || s->kv != NULL);
		for (size_t k = 0; k < s->n; k++) {
			FUZZ_CHECK(s->kv[k].key && s->kv[k].value && s->kv[k].key[0]);
			FUZZ_CHECK(s->kv[k].line > prev && s->kv[k].line <= lines);
			prev = s->kv[k].line;
		}
	}
}

static void check_loaded(int lines)
{
	const struct xb_load_opts *o = &cfg.load;

	FUZZ_CHECK(!strcmp(cfg.path, path));
	FUZZ_CHECK(cfg.n_ifaces <= XB_MAX_IFACES);
	for (size_t i = 0; i < cfg.n_ifaces; i++) {
		size_t len = strnlen(cfg.ifaces[i], XB_IFNAME_LEN);

		FUZZ_CHECK(len > 0 && len < XB_IFNAME_LEN);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg.ifaces[i], cfg.ifaces[j]));
	}
	FUZZ_CHECK(o->mode == XB_MODE_NONE || o->mode == XB_MODE_NATIVE ||
		   o->mode == XB_MODE_GENERIC);
	FUZZ_CHECK(o->max_ban_v4 <= XBD_CAPACITY_MAX && o->max_ban_v6 <= XBD_CAPACITY_MAX &&
		   o->max_pfx_v4 <= XBD_CAPACITY_MAX && o->max_pfx_v6 <= XBD_CAPACITY_MAX &&
		   o->max_allow <= XBD_CAPACITY_MAX);
	FUZZ_CHECK(cfg.log_interval_ns >= 100000 && cfg.log_interval_ns <= 86400000000000ULL);
	FUZZ_CHECK(cfg.log_burst >= 1 && cfg.log_burst <= XBD_LOG_BURST_MAX);
	for (int c = 0; c < __XB_CLASS_MAX; c++) {
		FUZZ_CHECK(strnlen(cfg.log_prefix[c], XBD_LOG_PREFIX_LEN) < XBD_LOG_PREFIX_LEN);
		FUZZ_CHECK(printable(cfg.log_prefix[c]));
	}
	FUZZ_CHECK(cfg.state_dir[0] == '/' && cfg.pin_dir[0] == '/');
	FUZZ_CHECK(!cfg.log_file[0] || cfg.log_file[0] == '/');
	FUZZ_CHECK(cfg.syslog_level >= 0 && cfg.syslog_level <= 7);
	FUZZ_CHECK(cfg.expire_interval_s >= 1 && cfg.expire_interval_s <= XBD_EXPIRE_MAX_S);
	FUZZ_CHECK(cfg.n_ignoreip <= XBD_IGNORE_MAX);
	for (size_t i = 0; i < cfg.n_ignoreip; i++)
		FUZZ_CHECK(fuzz_prefix_valid(&cfg.ignoreip[i]));
	for (int k = 0; k < __XBD_KEY_MAX; k++)
		FUZZ_CHECK(cfg.line[k] >= 0 && cfg.line[k] <= lines);
	check_sources(lines);
}

static void open_file(void)
{
	char tmpl[] = "/tmp/fuzz_config.XXXXXX";

	fd = memfd_create("xdpban.conf", MFD_CLOEXEC);
	if (fd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!access(path, R_OK))
			return;
		close(fd);
	}
	fd = mkstemp(tmpl);
	FUZZ_CHECK(fd >= 0);
	snprintf(path, sizeof(path), "%s", tmpl);
}

static void close_file(void)
{
	if (strncmp(path, "/proc/", 6))
		unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_silence();
	open_file();
	atexit(close_file);
	xbd_config_defaults(&defaults);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	int ret, lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

	memset(err, 'x', sizeof(err));
	ret = xbd_config_load(path, &cfg, err, sizeof(err));
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (ret) {
		FUZZ_CHECK(ret < 0);
		FUZZ_CHECK(!strncmp(err, path, strlen(path)) && !strchr(err, '\n'));
		FUZZ_CHECK(!memcmp(&cfg, &defaults, sizeof(cfg)));
	} else {
		FUZZ_CHECK(!err[0]);
		check_loaded(lines);
	}
	xbd_config_free(&cfg);
	xbd_config_free(&cfg);
	FUZZ_CHECK(!cfg.sources && !cfg.n_sources);
	return 0;
}
