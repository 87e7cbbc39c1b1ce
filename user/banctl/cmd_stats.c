// SPDX-License-Identifier: GPL-2.0
/*
 * banctl stats: the per-CPU counters summed, in total and per interface; with --prometheus,
 * everything the maps know in the Prometheus text exposition format.
 */
#include <stdio.h>
#include <string.h>
#include "banctl.h"
#include "xb_metrics.h"

static void counters_json(const struct xb_counters *c)
{
	for (size_t i = 0; i < xb_counter_nfields; i++)
		jsonw_uint_field(json_wtr, xb_counter_fields[i].name,
				 xb_counter_get(c, &xb_counter_fields[i]));
}

/*
 * The kernel's metrics only. xdpband's own (per-source log lines and bans, its start time)
 * live in the daemon: it writes them, with the kernel's, to its metrics_textfile and serves
 * them on metrics_listen. They are left out here, so that banctl's output and the daemon's
 * file never disagree about a series, and a node_exporter reading that file has one source
 * for each.
 */
static int stats_prometheus(void)
{
	static struct xb_metrics_kernel k;
	struct xb_maps maps;
	int err;

	err = xb_maps_open(&maps, pin_dir, false);
	if (err)
		return err;
	err = xb_metrics_collect(&maps, &k);
	xb_maps_close(&maps);
	if (err)
		return err;
	err = xb_metrics_write(stdout, &k, NULL);
	if (err)
		p_err("cannot write the metrics: %s", strerror(-err));
	return err;
}

int do_stats(int argc, char **argv)
{
	struct xb_counters total = {}, per[XB_MAX_IFACES];
	struct xb_iface ifc[XB_MAX_IFACES];
	struct xb_maps maps;
	bool prometheus = false;
	int err;

	if (argc > 1 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help"))) {
		printf("Usage: banctl stats [--prometheus]\n"
		       "Packet counters of the XDP program, summed over CPUs: in total and per\n"
		       "interface. Bytes are frame bytes as XDP sees them.\n"
		       "\n"
		       "  --prometheus  everything the maps know (counters per interface, bans\n"
		       "                by kind, family and origin, map fill) in the Prometheus\n"
		       "                text format; xdpband's own metrics are in its\n"
		       "                metrics_textfile and on metrics_listen\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--prometheus"))
			return usage_err("stats: unexpected argument '%s'", argv[i]);
		prometheus = true;
	}
	if (prometheus && json_wtr)
		return usage_err("stats: --prometheus and --json exclude each other");
	if (prometheus)
		return stats_prometheus();
	err = xb_maps_open(&maps, pin_dir, false);
	if (err)
		return err;
	err = xb_ifaces_read(&maps, ifc);
	/* Every slot counts, attached or not, so totals never go backwards on a detach. */
	for (__u32 i = 0; !err && i < XB_MAX_IFACES; i++) {
		err = xb_counters_read(&maps, i, &per[i]);
		if (!err)
			xb_counters_add(&total, &per[i]);
	}
	xb_maps_close(&maps);
	if (err)
		return err;

	if (json_wtr) {
		jsonw_start_object(json_wtr);
		jsonw_name(json_wtr, "total");
		jsonw_start_object(json_wtr);
		counters_json(&total);
		jsonw_end_object(json_wtr);
		jsonw_name(json_wtr, "interfaces");
		jsonw_start_array(json_wtr);
		for (int i = 0; i < XB_MAX_IFACES; i++) {
			if (!ifc[i].ifindex)
				continue;
			jsonw_start_object(json_wtr);
			jsonw_string_field(json_wtr, "name", ifc[i].name);
			jsonw_uint_field(json_wtr, "ifindex", ifc[i].ifindex);
			counters_json(&per[i]);
			jsonw_end_object(json_wtr);
		}
		jsonw_end_array(json_wtr);
		jsonw_end_object(json_wtr);
		return 0;
	}
	printf("%-24s %14s", "COUNTER", "TOTAL");
	for (int i = 0; i < XB_MAX_IFACES; i++) {
		if (ifc[i].ifindex)
			printf(" %14s", ifc[i].name);
	}
	printf("\n");
	for (size_t f = 0; f < xb_counter_nfields; f++) {
		printf("%-24s %14llu", xb_counter_fields[f].name,
		       (unsigned long long)xb_counter_get(&total, &xb_counter_fields[f]));
		for (int i = 0; i < XB_MAX_IFACES; i++) {
			if (ifc[i].ifindex)
				printf(" %14llu", (unsigned long long)xb_counter_get(
							  &per[i], &xb_counter_fields[f]));
		}
		printf("\n");
	}
	return 0;
}
