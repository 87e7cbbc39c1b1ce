# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Attaching and detaching: modes, several interfaces, reloads, unload, and enforcement that
# needs no running process.

# xdp_attached NS IFACE: prints the XDP flavour `ip link` reports on IFACE ("xdp" for native,
# "xdpgeneric"), or nothing.
xdp_attached()
{
	ip -n "$1" link show dev "$2" | head -n 1 |
		grep -oE ' (xdp|xdpgeneric|xdpdrv|xdpoffload|xdpmulti) ' | tr -d ' '
}

# The setup's `load` (auto mode) took native mode on veth; status describes it.
test_status()
{
	local js ifindex

	js=$(bjson status) || exit 1
	ifindex=$(ip netns exec "$NS_B" cat "/sys/class/net/$IF_B/ifindex")
	assert_eq "$(json_q 'len(d["interfaces"])' <<<"$js")" 1 "status: number of interfaces"
	assert_eq "$(json_q 'd["interfaces"][0]["name"]' <<<"$js")" "$IF_B" "status: interface name"
	assert_eq "$(json_q 'd["interfaces"][0]["ifindex"]' <<<"$js")" "$ifindex" "status: ifindex"
	assert_eq "$(json_q 'd["interfaces"][0]["mode"]' <<<"$js")" native "status: auto mode on veth"
	assert_gt "$(json_q 'd["interfaces"][0]["prog_id"]' <<<"$js")" 0 "status: prog_id"
	assert_gt "$(json_q 'd["interfaces"][0]["link_id"]' <<<"$js")" 0 "status: link_id"
	assert_eq "$(json_q 'd["pin_dir"]' <<<"$js")" "$PIN_DIR" "status: pin_dir"
	assert_eq "$(json_q 'd["layout_version"]' <<<"$js")" 2 "status: layout_version"
	assert_eq "$(json_q 'next(m["entries"] for m in d["maps"] if m["name"] == "xb_ban_v4")' \
		<<<"$js")" 0 "status: xb_ban_v4 entries before any ban"
	assert_gt "$(json_q 'next(m["max_entries"] for m in d["maps"] if m["name"] == "xb_ban_v4")' \
		<<<"$js")" 0 "status: xb_ban_v4 max_entries"
	assert_eq "$(xdp_attached "$NS_B" "$IF_B")" xdp "ip link: XDP flavour on $IF_B"

	check_run banctl_b add --force "$ADDR_A4" 203.0.113.0/24 fd11::/64
	js=$(bjson status) || exit 1
	assert_eq "$(json_q 'next(m["entries"] for m in d["maps"] if m["name"] == "xb_ban_v4")' \
		<<<"$js")" 1 "status: xb_ban_v4 entries after one exact ban"
	assert_eq "$(json_q 'next(m["entries"] for m in d["maps"] if m["name"] == "xb_pfx_v4")' \
		<<<"$js")" 1 "status: xb_pfx_v4 entries after one prefix ban"
	assert_eq "$(json_q 'next(m["entries"] for m in d["maps"] if m["name"] == "xb_pfx_v6")' \
		<<<"$js")" 1 "status: xb_pfx_v6 entries after one prefix ban"
	# Plain status must work too.
	check_run banctl_b status
}

# --mode generic attaches in SKB mode; status says so and bans are enforced.
test_generic_mode()
{
	local js

	load_b "$IF_B" --mode generic
	js=$(bjson status) || exit 1
	assert_eq "$(json_q 'len(d["interfaces"])' <<<"$js")" 1 "status: number of interfaces"
	assert_eq "$(json_q 'd["interfaces"][0]["mode"]' <<<"$js")" generic "status: mode"
	assert_eq "$(xdp_attached "$NS_B" "$IF_B")" xdpgeneric "ip link: XDP flavour on $IF_B"

	ping_ok v4
	check_run banctl_b add "$ADDR_A4" "$ADDR_A6"
	ping_dropped v4
	ping_dropped v6
	assert_gt "$(stat_total dropped_v4_packets)" 0 "stats total.dropped_v4_packets"
	assert_gt "$(stat_total dropped_v6_packets)" 0 "stats total.dropped_v6_packets"
	assert_gt "$(ban_field "$ADDR_A4/32" packets)" 0 "list packets of the ban on $ADDR_A4"
	check_run banctl_b del "$ADDR_A4" "$ADDR_A6"
	ping_ok v4
	ping_ok v6
}
NO_AUTOLOAD+=(test_generic_mode)

# One load for two interfaces of B, one add for senders behind both; per-interface counters.
test_two_ifaces()
{
	local js

	add_ns_c
	load_b "$IF_B" "$IF_B2"
	js=$(bjson status) || exit 1
	assert_eq "$(json_q 'sorted(i["name"] for i in d["interfaces"]) == sorted(a)' \
		"$IF_B" "$IF_B2" <<<"$js")" true "status: interfaces are $IF_B and $IF_B2"
	assert_eq "$(json_q 'sorted(i["mode"] for i in d["interfaces"])' <<<"$js")" \
		'["native", "native"]' "status: modes"

	ping_ok v4
	ping_ok v4 "$NS_C" "$ADDR_B24"
	check_run banctl_b add --force 10.11.0.0/16 "$ADDR_A6" "$ADDR_C6"
	ping_dropped v4
	ping_dropped v4 "$NS_C" "$ADDR_B24"
	ping_dropped v6
	ping_dropped v6 "$NS_C" "$ADDR_B26"

	js=$(bjson stats) || exit 1
	assert_eq "$(json_q 'len(d["interfaces"])' <<<"$js")" 2 "stats: number of interfaces"
	assert_gt "$(stat_iface "$IF_B" dropped_v4_packets)" 0 "stats $IF_B dropped_v4_packets"
	assert_gt "$(stat_iface "$IF_B2" dropped_v4_packets)" 0 "stats $IF_B2 dropped_v4_packets"
	assert_gt "$(stat_iface "$IF_B" dropped_v6_packets)" 0 "stats $IF_B dropped_v6_packets"
	assert_gt "$(stat_iface "$IF_B2" dropped_v6_packets)" 0 "stats $IF_B2 dropped_v6_packets"
	assert_eq "$(json_q 'd["total"]["dropped_v4_packets"] == sum(i["dropped_v4_packets"] for i in d["interfaces"])' \
		<<<"$js")" true "stats: total.dropped_v4_packets is the sum over interfaces"
	assert_gt "$(ban_field 10.11.0.0/16 packets)" 1 "list packets of 10.11.0.0/16 (both senders)"

	check_run banctl_b del 10.11.0.0/16 "$ADDR_A6" "$ADDR_C6"
	ping_ok v4
	ping_ok v4 "$NS_C" "$ADDR_B24"
}
NO_AUTOLOAD+=(test_two_ifaces)

# unload IFACE detaches (bans stay pinned); unload --all detaches and removes every pin.
test_unload()
{
	local js

	check_run banctl_b add "$ADDR_A4"
	ping_dropped v4

	check_run banctl_b unload "$IF_B"
	assert_eq "$(xdp_attached "$NS_B" "$IF_B")" "" "ip link: XDP on $IF_B after unload"
	js=$(bjson status) || exit 1
	assert_eq "$(json_q 'd["interfaces"]' <<<"$js")" "[]" "status: interfaces after unload"
	ping_ok v4
	assert_eq "$(ban_field "$ADDR_A4/32" kind)" exact "ban on $ADDR_A4 still pinned after unload"

	# Attached again, the pinned ban is enforced again; then --all removes everything.
	load_b "$IF_B"
	ping_dropped v4
	check_run banctl_b unload --all
	assert_eq "$(xdp_attached "$NS_B" "$IF_B")" "" "ip link: XDP on $IF_B after unload --all"
	ping_ok v4
	assert_eq "$(pin_dir_extra)" "" "pin dir contents after unload --all (beyond a fresh bpffs)"
}

# Enforcement lives in the pinned link: with no process left in B, drops go on.
test_persist_without_process()
{
	local pids before after

	check_run banctl_b add "$ADDR_A4"
	pids=$(ip netns pids "$NS_B")
	assert_eq "$pids" "" "processes running in $NS_B"
	[[ -e $PIN_DIR/links/$IF_B ]] || fail "no pinned link $PIN_DIR/links/$IF_B"
	echo "ok: pinned link $PIN_DIR/links/$IF_B"
	assert_eq "$(xdp_attached "$NS_B" "$IF_B")" xdp "ip link: XDP on $IF_B"
	ip -n "$NS_B" link show dev "$IF_B"

	before=$(stat_total dropped_v4_packets) || exit 1
	ping_dropped v4
	ping_dropped v4
	after=$(stat_total dropped_v4_packets) || exit 1
	assert_ge "$after" $((before + 2)) "stats total.dropped_v4_packets after two more pings"
}

# Loading again replaces the program in place and keeps every ban.
test_reload_keeps_bans()
{
	local js_before js_after fields before after

	check_run banctl_b add "$ADDR_A4" --reason reload-test
	check_run banctl_b add --force fd11::/64 --timeout 1h
	ping_dropped v4
	ping_dropped v6
	fields='sorted((b["prefix"], b["kind"], b["permanent"], b["reason"], b["added"]) for b in d)'
	js_before=$(bjson list) || exit 1

	load_b "$IF_B"
	js_after=$(bjson list) || exit 1
	assert_eq "$(json_q "$fields" <<<"$js_after")" "$(json_q "$fields" <<<"$js_before")" \
		"bans (prefix, kind, permanent, reason, added) after reload"
	js_after=$(bjson status) || exit 1
	assert_eq "$(json_q 'len(d["interfaces"])' <<<"$js_after")" 1 "status: interfaces after reload"
	assert_eq "$(json_q 'd["interfaces"][0]["name"]' <<<"$js_after")" "$IF_B" "status: name"

	before=$(stat_total dropped_v4_packets) || exit 1
	ping_dropped v4
	ping_dropped v6
	after=$(stat_total dropped_v4_packets) || exit 1
	assert_gt "$after" "$before" "stats total.dropped_v4_packets after reload"
}

ALL_TESTS+=(test_status test_generic_mode test_two_ifaces test_unload)
ALL_TESTS+=(test_persist_without_process test_reload_keeps_bans)
