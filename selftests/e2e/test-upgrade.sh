# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Upgrades that change the map layout, and resizes: maps pinned by the first release
# (layout 1, selftests/progs/xb_layout1.bpf.c, set up by build/xb_layout1) are migrated by
# the first load of this build, with its program switched under banned traffic; not one
# banned packet gets through, not one ban is lost.

XB_LAYOUT1=${XB_LAYOUT1:-$(dirname "$BANCTL")/xb_layout1}

# layout1_setup N: layout-1 maps in B with the program on IF_B, A's address banned, N more
# bans (hosts and /24s) and an allow entry.
layout1_setup()
{
	local n=$1 i
	[[ -x $XB_LAYOUT1 ]] || fail "$XB_LAYOUT1 not built (make all)"
	ip netns exec "$NS_B" "$XB_LAYOUT1" "$PIN_DIR" create "$IF_B" ||
		skip "cannot attach the layout-1 program to $IF_B"
	for ((i = 0; i < n; i++)); do
		if ((i % 2)); then
			echo "10.$((20 + i / 65536)).$((i / 256 % 256)).$((i % 256))"
		else
			echo "172.$((16 + i / 512 % 16)).$((i / 2 % 256)).0/24"
		fi
	done | "$XB_LAYOUT1" "$PIN_DIR" ban - || fail "layout-1 bans"
	"$XB_LAYOUT1" "$PIN_DIR" ban "$ADDR_A4" || fail "layout-1 ban of A"
	"$XB_LAYOUT1" "$PIN_DIR" allow 192.0.2.0/24 || fail "layout-1 allow entry"
}

# The first load of this build migrates layout 1 while A floods B with banned echo
# requests: none reaches B's stack, every ban and the allow entry arrive, the program is
# switched on the same link, and the counters of both programs add up.
test_upgrade_layout1_under_traffic()
{
	local before after pid out link_before js n=2000
	layout1_setup "$n"
	ping_dropped v4
	check_fail 1 banctl_b list >/dev/null 2>&1 || exit 1
	link_before=$(bpftool -j link show pinned "$PIN_DIR/links/$IF_B" | json_q 'd["id"]')
	before=$(in_echos)
	ip netns exec "$NS_A" ping -q -i 0.002 -W 1 "$ADDR_B4" >/dev/null 2>&1 &
	pid=$!
	sleep 0.5
	out=$(banctl_b load "$IF_B" 2>&1) || {
		kill "$pid"
		fail "load over layout 1 failed: $out"
	}
	echo "$out"
	sleep 0.5
	kill "$pid"
	wait "$pid" 2>/dev/null
	after=$(in_echos)
	[[ $out == *"migrated from layout 1 to 2"* ]] || fail "no migration reported: $out"
	echo "echo requests that reached B's stack: $((after - before))"
	assert_eq "$((after - before))" 0 "banned echo requests delivered during the migration"
	js=$(bjson status) || exit 1
	assert_eq "$(json_q 'd["layout_version"]' <<<"$js")" 2 "layout after the upgrade"
	assert_eq "$(json_q 'd["migrated_from"]' <<<"$js")" 1 "migrated from"
	assert_eq "$(json_q 'd["interfaces"][0]["link_id"]' <<<"$js")" "$link_before" \
		"the same link, its program replaced"
	assert_eq "$(bjson list | json_q 'len(d)')" "$((n + 1))" "every ban kept"
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" layout1 "A's ban kept"
	assert_gt "$(ban_field "$ADDR_A4/32" packets)" 100 "A's hit counter kept and counting"
	assert_eq "$(allow_field 192.0.2.0/24 family)" 4 "allow entry kept"
	assert_eq "$(bpftool -j map show pinned "$PIN_DIR/xb_pfx_v4" | json_q 'd["bytes_key"]')" 12 \
		"prefix keys of layout 2"
	assert_eq "$(pin_dir_extra | grep -c migrating)" 0 "no staging dir left"
	assert_gt "$(stat_total dropped_v4_packets)" 100 "drops of both programs counted"
	ping_dropped v4
	check_run banctl_b del "$ADDR_A4"
	ping_ok v4
}

# xdpband started over layout-1 maps migrates them before it reads a line; while it runs,
# banctl leaves migrations and resizes to it; a reload with other capacities resizes and
# the daemon goes on writing into the new maps.
test_upgrade_daemon()
{
	local conf=$TEST_TMP/xdpban.conf log=$TEST_TMP/web.log out
	trap kill_daemon EXIT
	layout1_setup 100
	: >"$log"
	write_conf "$conf" "[source:web]" "type = regex" "logpath = $log" \
		"failregex = ^fail <HOST>$" "maxretry = 1" "bantime = 1h"
	start_daemon "$conf"
	grep -q "migrated from layout 1 to 2" "$TEST_TMP/xdpband.out" ||
		fail "xdpband did not migrate: $(cat "$TEST_TMP/xdpband.out")"
	assert_eq "$(bjson list | json_q 'len(d)')" 101 "bans kept by the daemon's migration"
	ping_dropped v4

	export XDPBAN_STATE_DIR=$TEST_TMP/state
	out=$(check_fail 1 banctl_b load "$IF_B" --max-ban-v4 4096 2>&1) || exit 1
	[[ $out == *"xdpband (pid $DPID)"*reload* ]] || fail "refusal does not name the daemon: $out"

	write_conf "$conf" "max_ban_v4 = 4096" "[source:web]" "type = regex" "logpath = $log" \
		"failregex = ^fail <HOST>$" "maxretry = 1" "bantime = 1h"
	kill -HUP "$DPID"
	for _ in $(seq 50); do
		grep -q "using the new ones" "$TEST_TMP/xdpband.out" && break
		sleep 0.1
	done
	grep -q "maps in .* resized" "$TEST_TMP/xdpband.out" ||
		fail "no resize on reload: $(cat "$TEST_TMP/xdpband.out")"
	grep -q "using the new ones" "$TEST_TMP/xdpband.out" ||
		fail "daemon did not follow the new maps: $(cat "$TEST_TMP/xdpband.out")"
	assert_eq "$(bjson status | json_q '[m["max_entries"] for m in d["maps"] if m["name"] == "xb_ban_v4"][0]')" \
		4096 "resized capacity"
	echo "fail 198.51.100.77" >>"$log"
	wait_ban 198.51.100.77/32 web
	assert_eq "$(ban_field 198.51.100.77/32 reason)" web "a ban from the log lands in the new maps"
	assert_eq "$(bjson list | json_q 'len(d)')" 102 "bans after the resize"
	ping_dropped v4
	stop_daemon
}

NO_AUTOLOAD+=(test_upgrade_layout1_under_traffic test_upgrade_daemon)
ALL_TESTS+=(test_upgrade_layout1_under_traffic test_upgrade_daemon)
