# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Nothing lost: a reboot (pins gone), SIGKILL in a flood of log lines, the program replaced
# under banned traffic, a full map; and never banning what would lock the box out.

# reboot_pins: what a reboot does to bpffs: every pin gone, the program detached.
reboot_pins()
{
	umount "$PIN_DIR" || umount -l "$PIN_DIR"
	mount -t bpf bpf "$PIN_DIR" || fail "cannot remount the bpffs"
}

# After a "reboot" xdpband rebuilds the maps from its journal, remaining time, counters
# and allow list included, before reading any log.
test_restore_after_reboot()
{
	local conf=$TEST_TMP/xdpban.conf
	trap kill_daemon EXIT
	write_conf "$conf"
	start_daemon "$conf"
	export XDPBAN_STATE_DIR=$TEST_TMP/state
	check_run banctl_b add "$ADDR_A4" --timeout 1h --reason keeper
	check_run banctl_b add 198.51.100.0/24 --reason net
	check_run banctl_b add 192.0.2.50 --timeout 1 --reason short
	check_run banctl_b allow add 192.0.2.77
	ping_dropped v4
	stop_daemon
	sleep 1.5
	reboot_pins
	assert_eq "$(ip -n "$NS_B" link show dev "$IF_B" | grep -c ' xdp')" 0 "detached by reboot"
	start_daemon "$conf"
	grep -q "restored 2 bans" "$TEST_TMP/xdpband.out" || fail "restore: $(cat "$TEST_TMP/xdpband.out")"
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" keeper "exact ban restored"
	assert_eq "$(ban_field 198.51.100.0/24 reason)" net "prefix ban restored"
	assert_eq "$(ban_field 192.0.2.50/32 reason)" "<missing>" "expired ban not restored"
	assert_ge "$(ban_field "$ADDR_A4/32" packets)" 1 "hit counters restored"
	assert_le "$(ban_field "$ADDR_A4/32" remaining)" 3600 "remaining time, not a new hour"
	assert_eq "$(allow_field 192.0.2.77/32 family)" 4 "allow list restored"
	ping_dropped v4
	stop_daemon
}

# SIGKILL while a flood of log lines is read: after a restart every ban the lines call for
# is there, none missing, and the position is not lost.
test_sigkill_flood()
{
	local conf=$TEST_TMP/xdpban.conf log=$TEST_TMP/flood.log i n=300
	trap kill_daemon EXIT
	write_conf "$conf" "[source:flood]" "type = regex" "logpath = $log" \
		"failregex = ^fail <HOST>$" "maxretry = 1" "bantime = 1h"
	: >"$log"
	start_daemon "$conf"
	for ((i = 0; i < n; i++)); do
		echo "fail 10.200.$((i / 250)).$((i % 250 + 1))"
	done >>"$log" &
	sleep 0.05
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=
	wait
	start_daemon "$conf"
	for ((i = 0; i < 50; i++)); do
		[[ $(bjson list | json_q 'len(d)') -ge $n ]] && break
		sleep 0.1
	done
	assert_eq "$(bjson list | json_q 'len([b for b in d if b["reason"] == "flood"])')" "$n" \
		"every line's ban present after SIGKILL and restart"
	stop_daemon
}

# in_echos: ICMP echo requests B's stack received (InEchos of /proc/net/snmp).
in_echos()
{
	# shellcheck disable=SC2016
	ip netns exec "$NS_B" awk '/^Icmp:/ && !h { for (i = 1; i <= NF; i++) if ($i == "InEchos") c = i; h = 1; next }
		/^Icmp:/ { print $c; exit }' /proc/net/snmp
}

# The program replaced 100 times (banctl load on an attached interface: bpf_link_update)
# while a banned host floods: not one of its packets reaches the stack, no ban is lost.
test_upgrade_under_traffic()
{
	local before after i pid
	check_run banctl_b add "$ADDR_A4" --reason upgrade
	before=$(in_echos)
	ip netns exec "$NS_A" ping -q -i 0.002 -W 1 "$ADDR_B4" >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		banctl_b load "$IF_B" >/dev/null 2>&1 || {
			kill "$pid"
			fail "replacement $i failed"
		}
	done
	kill "$pid"
	wait "$pid" 2>/dev/null
	after=$(in_echos)
	echo "echo requests that reached B's stack: $((after - before)), dropped: $(stat_total dropped_v4_packets)"
	assert_eq "$((after - before))" 0 "banned echo requests delivered during 100 replacements"
	assert_gt "$(stat_total dropped_v4_packets)" 100 "the flood was dropped"
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" upgrade "ban kept"
	assert_eq "$(bjson status | json_q 'len(d["interfaces"])')" 1 "still one attachment"
}

# A full map: the add fails whole, naming the map and how to raise it; no eviction; the
# refusal is counted. Raising the capacity resizes the maps with every ban kept.
test_map_full()
{
	local out before
	check_run banctl_b unload --all
	check_run banctl_b load "$IF_B" --max-ban-v4 4
	check_run banctl_b add 192.0.2.1 192.0.2.2 192.0.2.3
	before=$(bjson list)
	out=$(check_fail 1 banctl_b add 192.0.2.4 192.0.2.5 2>&1) || exit 1
	echo "$out"
	[[ $out == *"xb_ban_v4 is full"*"--max-ban-v4"* ]] || fail "message lacks map and option: $out"
	assert_eq "$(bjson list)" "$before" "maps unchanged by the failed add"
	assert_eq "$(bjson status | json_q '[m["full_refusals"] for m in d["maps"] if m["name"] == "xb_ban_v4"][0]')" \
		1 "the refusal counted"
	check_fail 1 banctl_b load "$IF_B" --max-ban-v4 2 >/dev/null 2>&1 || exit 1
	out=$(check_run banctl_b load "$IF_B" --max-ban-v4 8 2>&1) || exit 1
	[[ $out == *"resized"* ]] || fail "no resize reported: $out"
	check_run banctl_b add 192.0.2.4 192.0.2.5
	assert_eq "$(bjson list | json_q 'len(d)')" 5 "bans kept by the resize, and room for more"
	assert_eq "$(bjson status | json_q '[m["full_refusals"] for m in d["maps"] if m["name"] == "xb_ban_v4"][0]')" \
		1 "the refusal count kept by the resize"
	ping_ok v4
}

# Bans that would lock the box out are refused, naming what they would cut off: loopback,
# own addresses, the allow list, the default gateway.
test_never_ban()
{
	local out
	out=$(check_fail 2 banctl_b add 10.11.1.0/24 2>&1) || exit 1
	[[ $out == *"$ADDR_B4"*"own address"* ]] || fail "own address not named: $out"
	out=$(check_fail 2 banctl_b add 127.0.0.1 2>&1) || exit 1
	[[ $out == *loopback* ]] || fail "loopback not named: $out"
	out=$(check_fail 2 banctl_b add 0.0.0.0/0 2>&1) || exit 1
	check_run banctl_b allow add 203.0.113.9
	out=$(check_fail 2 banctl_b add 203.0.113.0/24 2>&1) || exit 1
	[[ $out == *"203.0.113.9"*"allow list"* ]] || fail "allow entry not named: $out"
	ip -n "$NS_B" route add default via "$ADDR_A4" || fail "cannot add a default route"
	out=$(check_fail 2 banctl_b add "$ADDR_A4" 2>&1) || exit 1
	[[ $out == *"$ADDR_A4"*"default gateway"* ]] || fail "gateway not named: $out"
	assert_eq "$(bjson list | json_q 'len(d)')" 0 "nothing banned"
	check_run banctl_b add --force 10.11.1.0/24
}

# xdpband never bans the default gateway from a log line, unless neverban_gateway = no.
test_never_ban_gateway_daemon()
{
	local conf=$TEST_TMP/xdpban.conf log=$TEST_TMP/gw.log
	local src=("[source:gw]" "type = regex" "logpath = $log" "failregex = ^fail <HOST>$"
		"maxretry = 1" "bantime = 1h")
	trap kill_daemon EXIT
	ip -n "$NS_B" route add default via "$ADDR_A4" || fail "cannot add a default route"
	: >"$log"
	write_conf "$conf" "${src[@]}"
	start_daemon "$conf"
	echo "fail $ADDR_A4" >>"$log"
	echo "fail 198.51.100.3" >>"$log"
	wait_ban 198.51.100.3/32 gw
	assert_eq "$(ban_field 198.51.100.3/32 reason)" gw "the line after it was read"
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" "<missing>" "the gateway not banned"
	write_conf "$conf" "neverban_gateway = no" "${src[@]}"
	kill -HUP "$DPID"
	sleep 0.5
	echo "fail $ADDR_A4" >>"$log"
	wait_ban "$ADDR_A4/32" gw
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" gw "banned with neverban_gateway = no"
	stop_daemon
}

ALL_TESTS+=(test_restore_after_reboot test_sigkill_flood test_upgrade_under_traffic
	test_map_full test_never_ban test_never_ban_gateway_daemon)
