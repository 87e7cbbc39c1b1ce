// SPDX-License-Identifier: GPL-2.0
/* banctl stats: the per-CPU counters summed, in total and per interface. */
#include <stdio.h>
#include <string.h>
#include "banctl.h"

static void counters_json(const struct xb_counters *c)
{
	for (size_t i = 0; i < xb_counter_nfields; i++)
		jsonw_uint_field(json_wtr, xb_counter_fields[i].name,
				 xb_counter_get(c, &xb_counter_fields[i]));
}

int do_stats(int argc, char **argv)
{
	struct xb_counters total = {}, per[XB_MAX_IFACES];
	struct xb_iface ifc[XB_MAX_IFACES];
	struct xb_maps maps;
	int err;

	if (argc > 1 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help"))) {
		printf("Usage: banctl stats\n"
		       "Packet counters of the XDP program, summed over CPUs: in total and per\n"
		       "interface. Bytes are frame bytes as XDP sees them.\n");
		return 0;
	}
	if (argc > 1)
		return usage_err("stats: unexpected argument '%s'", argv[1]);
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
