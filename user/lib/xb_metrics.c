// SPDX-License-Identifier: GPL-2.0
/* Prometheus text exposition of the pinned maps and of a daemon's own counters. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "xb.h"
#include "xb_metrics.h"

#ifndef XDPBAN_VERSION
#define XDPBAN_VERSION "unknown"
#endif

/* Ends the label pairs of sample(): a typed NULL, as variadic arguments want. */
#define LABELS_END ((const char *)NULL)

/* Entries per kernel batch when counting the exact-ban hash maps. */
#define COUNT_BATCH 4096

/* ---- collecting ---- */

static size_t ban_key_size(enum xb_map_id id)
{
	switch (id) {
	case XB_BAN_V4:
		return sizeof(__u32);
	case XB_BAN_V6:
		return sizeof(struct xb_v6_addr);
	case XB_PFX_V4:
		return sizeof(struct xb_lpm_v4_key);
	default:
		return sizeof(struct xb_lpm_v6_key);
	}
}

static void count_ban(struct xb_metrics_kernel *k, enum xb_map_id id, const struct xb_ban *b,
		      __u64 now)
{
	int kind = id == XB_BAN_V4 || id == XB_BAN_V6 ? XB_KIND_EXACT : XB_KIND_PREFIX;
	int fam = id == XB_BAN_V4 || id == XB_PFX_V4 ? 0 : 1;

	k->entries[id]++;
	if (b->expires_ns && b->expires_ns <= now) {
		k->bans_expired++;
		return;
	}
	k->bans[kind][fam]++;
	k->bans_origin[b->origin < __XB_ORIGIN_MAX ? b->origin : __XB_ORIGIN_MAX]++;
}

/* The hash maps in kernel batches: two syscalls per COUNT_BATCH bans, bounded memory. */
static int count_batched(struct xb_metrics_kernel *k, int fd, enum xb_map_id id, __u64 now)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	size_t ks = ban_key_size(id);
	char *keys = malloc(COUNT_BATCH * ks);
	struct xb_ban *vals = malloc(COUNT_BATCH * sizeof(*vals));
	__u64 in = 0, out = 0;
	bool first = true;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = COUNT_BATCH;

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, &bo);
		err = err ? -errno : 0;
		if (err && err != -ENOENT)
			break;
		for (__u32 i = 0; i < count; i++)
			count_ban(k, id, &vals[i], now);
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		in = out;
		first = false;
	}
out:
	free(keys);
	free(vals);
	return err;
}

/* The LPM tries have no batch operations: a key walk. */
static int count_walked(struct xb_metrics_kernel *k, int fd, enum xb_map_id id, __u64 now)
{
	struct xb_lpm_v6_key key, next; /* the largest ban key */
	struct xb_ban b;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		memcpy(&key, &next, ban_key_size(id));
		if (!bpf_map_lookup_elem(fd, &key, &b))
			count_ban(k, id, &b, now);
	}
	return errno == ENOENT ? 0 : -errno;
}

static int map_capacity(int fd, __u32 *max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*max_entries = info.max_entries;
	return 0;
}

static int collect_bans(struct xb_maps *maps, struct xb_metrics_kernel *k)
{
	__u64 now = xb_now_boot_ns();
	int err = 0;

	for (int id = XB_BAN_V4; id <= XB_PFX_V6 && !err; id++) {
		err = map_capacity(maps->fd[id], &k->max_entries[id]);
		if (err)
			break;
		if (id == XB_BAN_V4 || id == XB_BAN_V6)
			err = count_batched(k, maps->fd[id], id, now);
		else
			err = count_walked(k, maps->fd[id], id, now);
	}
	for (int id = XB_ALLOW_V4; id <= XB_ALLOW_V6 && !err; id++)
		err = xb_map_count(maps->fd[id], &k->entries[id], &k->max_entries[id]);
	return err;
}

int xb_metrics_collect(struct xb_maps *maps, struct xb_metrics_kernel *k)
{
	__u32 meta_key = 0;
	int err;

	memset(k, 0, sizeof(*k));
	err = xb_ifaces_read(maps, k->ifaces);
	/* Free slots are zeroed on detach, so only attached interfaces have counts. */
	for (__u32 i = 0; !err && i < XB_MAX_IFACES; i++) {
		if (k->ifaces[i].ifindex)
			err = xb_counters_read(maps, i, &k->counters[i]);
	}
	if (!err)
		err = collect_bans(maps, k);
	if (!err && bpf_map_lookup_elem(maps->fd[XB_META], &meta_key, &k->meta))
		err = -errno;
	if (err)
		xb_warn("cannot read the maps for metrics: %s", strerror(-err));
	return err;
}

/* ---- writing ---- */

void xb_metrics_escape(FILE *f, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '"')
			fputs("\\\"", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
}

/* One metric family: its HELP and TYPE lines go out before its first sample. */
struct family {
	FILE *f;
	const char *name;
	const char *type;
	const char *help;
	bool started;
};

/*
 * One sample: fam's name, the label pairs (key, value, ..., LABELS_END; a NULL key ends them
 * early), then the value, already formatted. A family's samples must come in one run.
 */
static void sample_v(struct family *fam, const char *value, va_list ap)
{
	const char *key;
	bool first = true;

	if (!fam->started) {
		/* HELP text escapes \ and newline only; ours hold neither. */
		fprintf(fam->f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
			fam->type);
		fam->started = true;
	}
	fputs(fam->name, fam->f);
	while ((key = va_arg(ap, const char *))) {
		fprintf(fam->f, "%s%s=\"", first ? "{" : ",", key);
		xb_metrics_escape(fam->f, va_arg(ap, const char *));
		fputc('"', fam->f);
		first = false;
	}
	fprintf(fam->f, "%s %s\n", first ? "" : "}", value);
}

static void __attribute__((sentinel)) sample(struct family *fam, __u64 value, ...)
{
	char text[24];
	va_list ap;

	snprintf(text, sizeof(text), "%llu", (unsigned long long)value);
	va_start(ap, value);
	sample_v(fam, text, ap);
	va_end(ap);
}

static void __attribute__((sentinel)) sample_signed(struct family *fam, __s64 value, ...)
{
	char text[24];
	va_list ap;

	snprintf(text, sizeof(text), "%lld", (long long)value);
	va_start(ap, value);
	sample_v(fam, text, ap);
	va_end(ap);
}

static const char *origin_label(int origin)
{
	static const char *const names[__XB_ORIGIN_MAX + 1] = {
		[XB_ORIGIN_MANUAL] = "manual",	   [XB_ORIGIN_SPAMD] = "spamd",
		[XB_ORIGIN_FAIL2BAN] = "fail2ban", [XB_ORIGIN_REGEX] = "regex",
		[XB_ORIGIN_RESTORE] = "restore",   [XB_ORIGIN_FLEET] = "fleet",
		[__XB_ORIGIN_MAX] = "unknown",
	};

	return names[origin];
}

/* Where a traffic sample lives in struct xb_counters. */
struct traffic {
	const char *action;
	const char *family;
	size_t offset; /* of a struct xb_pkt_bytes */
};

static const struct traffic traffic[] = {
	{ "dropped", "v4", offsetof(struct xb_counters, dropped_v4) },
	{ "dropped", "v6", offsetof(struct xb_counters, dropped_v6) },
	{ "passed", "v4", offsetof(struct xb_counters, passed_v4) },
	{ "passed", "v6", offsetof(struct xb_counters, passed_v6) },
	{ "passed", "other", offsetof(struct xb_counters, passed_other) },
	{ "allowed", "v4", offsetof(struct xb_counters, allowed_v4) },
	{ "allowed", "v6", offsetof(struct xb_counters, allowed_v6) },
};

#define N_TRAFFIC (sizeof(traffic) / sizeof(traffic[0]))

static const struct xb_pkt_bytes *pkt_bytes(const struct xb_counters *c, size_t offset)
{
	return (const struct xb_pkt_bytes *)((const char *)c + offset);
}

static void write_traffic(FILE *f, const struct xb_metrics_kernel *k)
{
	struct family pkts = {
		.f = f,
		.name = "xdpban_packets_total",
		.type = "counter",
		.help = "Packets seen by the XDP program, by verdict (dropped by a ban, "
			"passed, or passed by the allow list) and address family"
	};
	struct family bytes = {
		.f = f,
		.name = "xdpban_bytes_total",
		.type = "counter",
		.help = "Frame bytes seen by the XDP program, by verdict and address "
			"family"
	};

	for (int i = 0; i < XB_MAX_IFACES; i++) {
		for (size_t t = 0; k->ifaces[i].ifindex && t < N_TRAFFIC; t++)
			sample(&pkts, pkt_bytes(&k->counters[i], traffic[t].offset)->packets,
			       "interface", k->ifaces[i].name, "action", traffic[t].action,
			       "family", traffic[t].family, LABELS_END);
	}
	for (int i = 0; i < XB_MAX_IFACES; i++) {
		for (size_t t = 0; k->ifaces[i].ifindex && t < N_TRAFFIC; t++)
			sample(&bytes, pkt_bytes(&k->counters[i], traffic[t].offset)->bytes,
			       "interface", k->ifaces[i].name, "action", traffic[t].action,
			       "family", traffic[t].family, LABELS_END);
	}
}

/* A per-interface counter family with at most one extra label. */
struct iface_family {
	const char *name;
	const char *help;
	const char *label; /* NULL: no extra label */
	struct {
		const char *value;
		size_t offset; /* of a __u64 in struct xb_counters */
	} series[3];
};

static const struct iface_family iface_families[] = {
	{ "xdpban_dropped_packets_by_kind_total",
	  "Dropped packets by the kind of ban that matched: exact address or prefix",
	  "kind",
	  { { "exact", offsetof(struct xb_counters, dropped_exact) },
	    { "prefix", offsetof(struct xb_counters, dropped_prefix) } } },
	{ "xdpban_malformed_packets_total",
	  "Frames too short for a header they claim or with a bad IP version or IHL (passed)",
	  NULL,
	  { { NULL, offsetof(struct xb_counters, malformed) } } },
	{ "xdpban_expired_ban_hits_total",
	  "Packets that matched a ban past its expiry, and so were not dropped",
	  NULL,
	  { { NULL, offsetof(struct xb_counters, expired_hits) } } },
	{ "xdpban_drop_log_events_total",
	  "Drops offered to the drop log: logged, suppressed by the rate limit, or lost "
	  "(ring buffer full)",
	  "result",
	  { { "logged", offsetof(struct xb_counters, log_events) },
	    { "suppressed", offsetof(struct xb_counters, log_suppressed) },
	    { "lost", offsetof(struct xb_counters, log_lost) } } },
};

static void write_iface_family(FILE *f, const struct xb_metrics_kernel *k,
			       const struct iface_family *def)
{
	struct family fam = { .f = f, .name = def->name, .type = "counter", .help = def->help };

	for (int i = 0; i < XB_MAX_IFACES; i++) {
		if (!k->ifaces[i].ifindex)
			continue;
		for (int s = 0; s < 3 && (s == 0 || def->series[s].value); s++) {
			__u64 v = *(const __u64 *)((const char *)&k->counters[i] +
						   def->series[s].offset);

			sample(&fam, v, "interface", k->ifaces[i].name, def->label,
			       def->series[s].value, LABELS_END);
		}
	}
}

static void write_ifaces(FILE *f, const struct xb_metrics_kernel *k)
{
	struct family info = {
		.f = f,
		.name = "xdpban_interface_info",
		.type = "gauge",
		.help = "Interfaces the XDP program is attached to, with the XDP mode"
	};
	struct family at = {
		.f = f,
		.name = "xdpban_interface_attach_time_seconds",
		.type = "gauge",
		.help = "When the program was attached to the interface, in unix seconds"
	};

	for (int i = 0; i < XB_MAX_IFACES; i++) {
		if (k->ifaces[i].ifindex)
			sample(&info, 1, "interface", k->ifaces[i].name, "mode",
			       xb_mode_name((enum xb_xdp_mode)k->ifaces[i].mode), LABELS_END);
	}
	for (int i = 0; i < XB_MAX_IFACES; i++) {
		if (k->ifaces[i].ifindex)
			sample(&at, k->ifaces[i].attached_at, "interface", k->ifaces[i].name,
			       LABELS_END);
	}
}

static void write_bans(FILE *f, const struct xb_metrics_kernel *k)
{
	static const char *const kinds[__XB_KIND_MAX] = { "exact", "prefix" };
	static const char *const fams[2] = { "v4", "v6" };
	struct family bans = {
		.f = f,
		.name = "xdpban_bans",
		.type = "gauge",
		.help = "Bans in force, by kind (exact address or prefix) and address "
			"family"
	};
	struct family origin = { .f = f,
				 .name = "xdpban_bans_by_origin",
				 .type = "gauge",
				 .help = "Bans in force, by who made them" };
	struct family expired = {
		.f = f,
		.name = "xdpban_bans_past_expiry",
		.type = "gauge",
		.help = "Bans past their expiry still in the maps (no longer enforced), "
			"waiting for removal"
	};

	for (int kind = 0; kind < __XB_KIND_MAX; kind++) {
		for (int fam = 0; fam < 2; fam++)
			sample(&bans, k->bans[kind][fam], "kind", kinds[kind], "family", fams[fam],
			       LABELS_END);
	}
	for (int o = 0; o <= __XB_ORIGIN_MAX; o++) {
		/* Unknown origins only appear when some ban has one. */
		if (o < __XB_ORIGIN_MAX || k->bans_origin[o])
			sample(&origin, k->bans_origin[o], "origin", origin_label(o), LABELS_END);
	}
	sample(&expired, k->bans_expired, LABELS_END);
}

static void write_map_fill(FILE *f, const struct xb_metrics_kernel *k)
{
	struct family entries = { .f = f,
				  .name = "xdpban_map_entries",
				  .type = "gauge",
				  .help = "Entries in the ban and allow maps" };
	struct family cap = { .f = f,
			      .name = "xdpban_map_max_entries",
			      .type = "gauge",
			      .help = "Capacity of the ban and allow maps" };

	for (int id = XB_BAN_V4; id <= XB_ALLOW_V6; id++)
		sample(&entries, k->entries[id], "map", xb_map_names[id], LABELS_END);
	struct family full = { .f = f,
			       .name = "xdpban_map_full_refusals_total",
			       .type = "counter",
			       .help = "Adds refused, nothing changed, because the map was full" };

	for (int id = XB_BAN_V4; id <= XB_ALLOW_V6; id++)
		sample(&cap, k->max_entries[id], "map", xb_map_names[id], LABELS_END);
	for (int id = XB_BAN_V4; id <= XB_ALLOW_V6; id++)
		sample(&full, k->meta.full_refusals[id - XB_BAN_V4], "map", xb_map_names[id],
		       LABELS_END);
}

/* The daemon's per-source counters: one family per field. */
struct source_family {
	const char *name;
	const char *help;
	size_t offset; /* of a __u64 in struct xb_metrics_source */
	const char *reason; /* lines skipped: the reason label, else NULL */
};

#define SRC(field) offsetof(struct xb_metrics_source, field)

static const struct source_family source_families[] = {
	{ "xdpban_bans_added_total", "Bans a log source made", SRC(bans_added), NULL },
	{ "xdpban_bans_removed_total", "Bans a log source lifted (unban events)", SRC(bans_removed),
	  NULL },
	{ "xdpban_ban_errors_total", "Bans a log source decided that the maps refused",
	  SRC(ban_errors), NULL },
	{ "xdpban_log_lines_read_total", "Lines a log source read and parsed", SRC(lines_read),
	  NULL },
	{ "xdpban_log_lines_matched_total", "Lines that named an address (failure, ban or unban)",
	  SRC(lines_matched), NULL },
	{ "xdpban_log_lines_ignored_total", "Lines a pattern matched but an ignoreregex excluded",
	  SRC(lines_ignored), NULL },
	{ "xdpban_log_lines_missed_total", "Lines that matched no pattern", SRC(lines_missed),
	  NULL },
	{ "xdpban_log_lines_skipped_total",
	  "Lines skipped before parsing: too long, or binary (NUL bytes, invalid UTF-8)",
	  SRC(lines_too_long), "too_long" },
	{ NULL, NULL, SRC(lines_binary), "binary" }, /* the same family, second reason */
	{ "xdpban_log_read_bytes_total", "Bytes a log source read", SRC(bytes_read), NULL },
	{ "xdpban_log_rotations_total", "Rotations of a log source's file that were followed",
	  SRC(rotations), NULL },
};

#define N_SOURCE_FAMILIES (sizeof(source_families) / sizeof(source_families[0]))

static void write_sources(FILE *f, const struct xb_metrics_daemon *d)
{
	struct family fam = { .f = f };

	for (size_t i = 0; i < N_SOURCE_FAMILIES; i++) {
		const struct source_family *def = &source_families[i];

		/* A nameless entry continues the family before it (skipped lines). */
		if (def->name)
			fam = (struct family){
				.f = f, .name = def->name, .type = "counter", .help = def->help
			};
		for (size_t s = 0; s < d->n_sources; s++) {
			__u64 v = *(const __u64 *)((const char *)&d->sources[s] + def->offset);

			sample(&fam, v, "source", d->sources[s].name ? d->sources[s].name : "",
			       def->reason ? "reason" : NULL, def->reason, LABELS_END);
		}
	}
}

static void write_daemon(FILE *f, const struct xb_metrics_daemon *d)
{
	struct family start = { .f = f,
				.name = "xdpban_daemon_start_time_seconds",
				.type = "gauge",
				.help = "When xdpband started, in unix seconds" };
	struct family expired = {
		.f = f,
		.name = "xdpban_bans_expired_total",
		.type = "counter",
		.help = "Bans xdpband removed past their expiry, by who made them"
	};

	sample_signed(&start, d->start_time, LABELS_END);
	for (int o = 0; o <= __XB_ORIGIN_MAX; o++) {
		if (o < __XB_ORIGIN_MAX || d->expired[o])
			sample(&expired, d->expired[o], "origin", origin_label(o), LABELS_END);
	}
	write_sources(f, d);
}

int xb_metrics_write(FILE *f, const struct xb_metrics_kernel *k, const struct xb_metrics_daemon *d)
{
	struct family build = { .f = f,
				.name = "xdpban_build_info",
				.type = "gauge",
				.help = "The xdpban version and map layout, as labels; always 1" };
	char layout[12];

	snprintf(layout, sizeof(layout), "%d", XB_LAYOUT_VERSION);
	sample(&build, 1, "version", XDPBAN_VERSION, "layout", layout, LABELS_END);
	write_traffic(f, k);
	for (size_t i = 0; i < sizeof(iface_families) / sizeof(iface_families[0]); i++)
		write_iface_family(f, k, &iface_families[i]);
	write_ifaces(f, k);
	write_bans(f, k);
	write_map_fill(f, k);
	if (d)
		write_daemon(f, d);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
