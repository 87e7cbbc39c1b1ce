# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# xdpband: the drop log as iptables LOG lines, ban expiry, clean stops that leave
# enforcement in place, reloads, and bad configurations refused before anything changes.

# A banned host pings: the log file gets iptables LOG lines, byte for byte in LOG's format.
test_daemon_droplog()
{
	local conf=$TEST_TMP/xdpban.conf mac line re
	trap kill_daemon EXIT
	# The default 5/min would suppress the last pings of this test: the rate itself is
	# the unit tests' (drop_log).
	write_conf "$conf" "log_limit = 100/second" "log_burst = 100"
	start_daemon "$conf"
	check_run banctl_b add "$ADDR_A4" --reason e2e
	for _ in 1 2 3; do ping_dropped v4; done
	wait_lines "$TEST_TMP/drops.log" 3 || fail "no drop log lines: $(cat "$TEST_TMP/xdpband.out")"
	mac=$(ip netns exec "$NS_B" cat "/sys/class/net/$IF_B/address")
	line=$(head -n 1 "$TEST_TMP/drops.log")
	echo "log line: $line"
	re="^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [^ ]+ xdpband: Denied ICMP: IN=$IF_B OUT= "
	re+="MAC=${mac}:[0-9a-f:]{17}:08:00 SRC=$ADDR_A4 DST=$ADDR_B4 LEN=84 TOS=0x00 PREC=0x00 "
	re+="TTL=64 ID=[0-9]+ DF PROTO=ICMP TYPE=8 CODE=0 ID=[0-9]+ SEQ=[0-9]+ $"
	[[ $line =~ $re ]] || fail "drop log line not in LOG format: '$line'"
	assert_ge "$(stat_total log_events)" 3 "log_events"

	# The same lines through banctl log, which reads the running daemon's file.
	check_run banctl_b log -c "$conf" -n 2 >"$TEST_TMP/tail"
	assert_eq "$(wc -l <"$TEST_TMP/tail")" 2 "banctl log -n 2 lines"
	grep -q 'Denied ICMP: ' "$TEST_TMP/tail" || fail "banctl log shows no LOG lines"

	# SIGTERM leaves the program attached and the bans enforced.
	stop_daemon
	grep -q 'stays attached' "$TEST_TMP/xdpband.out" || fail "no clean-stop message"
	ping_dropped v4
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" e2e "ban kept after the daemon stopped"

	# With no daemon, banctl log drains the ring buffer itself.
	ping_dropped v4
	check_run banctl_b log -c "$conf" >"$TEST_TMP/drained"
	grep -q "SRC=$ADDR_A4 " "$TEST_TMP/drained" || fail "banctl log did not drain the ring"

	# A new daemon adopts the attachment and logs again.
	start_daemon "$conf"
	ping_dropped v4
	wait_lines "$TEST_TMP/drops.log" 4 || fail "the second daemon logs nothing"
	assert_eq "$(bjson status | json_q 'len(d["interfaces"])')" 1 "one attachment, adopted"
	stop_daemon
}

# Bans past their expiry leave the maps, each removal logged.
test_daemon_expiry()
{
	local conf=$TEST_TMP/xdpban.conf i
	trap kill_daemon EXIT
	write_conf "$conf"
	start_daemon "$conf"
	check_run banctl_b add "$ADDR_A4" --timeout 1 --reason short
	check_run banctl_b add 192.0.2.1 --reason stays
	for ((i = 0; i < 50; i++)); do
		[[ $(ban_field "$ADDR_A4/32" reason) == "<missing>" ]] && break
		sleep 0.1
	done
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" "<missing>" "expired ban removed"
	assert_eq "$(ban_field 192.0.2.1/32 reason)" stays "permanent ban kept"
	grep -q "ban $ADDR_A4/32 expired" "$TEST_TMP/xdpband.out" || fail "removal not logged"
	ping_ok v4
	stop_daemon
}

# wait_for_log TEXT: until the daemon's output has TEXT (5 s; a reload loads the program).
wait_for_log()
{
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q "$1" "$TEST_TMP/xdpband.out" && return 0
		sleep 0.1
	done
	return 1
}

# SIGHUP: a good config is applied (new prefix), a bad one refused while it keeps running.
test_daemon_reload()
{
	local conf=$TEST_TMP/xdpban.conf
	trap kill_daemon EXIT
	write_conf "$conf" "log_limit = 100/second" "log_burst = 100"
	start_daemon "$conf"
	check_run banctl_b add "$ADDR_A4"
	write_conf "$conf" "log_limit = 100/second" "log_burst = 100" "log_prefix_icmp = Reloaded:"
	kill -HUP "$DPID"
	wait_for_log 'configuration reloaded' || fail "no reload"
	ping_dropped v4
	wait_lines "$TEST_TMP/drops.log" 1 || fail "no line after reload"
	grep -q 'xdpband: Reloaded: IN=' "$TEST_TMP/drops.log" || fail "new prefix not used"

	write_conf "$conf" "log_limit = fast"
	kill -HUP "$DPID"
	wait_for_log 'reload refused' || fail "bad reload not refused"
	kill -0 "$DPID" || fail "xdpband died on a bad reload"
	stop_daemon
}

# Each bad configuration: exit 2, one line naming FILE:LINE, nothing attached or pinned.
test_daemon_bad_config()
{
	local conf=$TEST_TMP/bad.conf out rc
	local -a cases=(
		"bogus_key = 1|:8: unknown key 'bogus_key'"
		"log_limit = 5/fortnight|:8: log_limit"
		"interfaces = nosuchif0|:8: interfaces"
	)
	local c extra want
	for c in "${cases[@]}"; do
		extra=${c%%|*}
		want=${c#*|}
		write_conf "$conf" "$extra"
		# A second `interfaces` would be a duplicate: replace the first instead.
		[[ $extra == interfaces* ]] && sed -i "2d" "$conf" && want=":7: interfaces"
		out=$(ip netns exec "$NS_B" "$XDPBAND" -f -c "$conf" 2>&1)
		rc=$?
		echo "$extra -> $rc: $out"
		assert_eq "$rc" 2 "exit status for '$extra'"
		[[ $out == *"$conf$want"* ]] || fail "message for '$extra' lacks '$conf$want': $out"
		assert_eq "$(wc -l <<<"$out")" 1 "one line for '$extra'"
		! ip -n "$NS_B" link show dev "$IF_B" | grep -q ' xdp' ||
			fail "something attached after '$extra'"
		assert_eq "$(_ls_pin_dir)" "$PIN_BASELINE" "pin dir untouched after '$extra'"
	done
}

ALL_TESTS+=(test_daemon_droplog test_daemon_expiry test_daemon_reload test_daemon_bad_config)
NO_AUTOLOAD+=(test_daemon_bad_config)
