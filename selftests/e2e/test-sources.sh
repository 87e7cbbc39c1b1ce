# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Log sources end to end: lines appended to a log become bans whose packets are dropped,
# through xdpband; with the real fail2ban-server and spamd where the issue asks for them.

# wait_banned PREFIX [SECONDS]: until `banctl list` has PREFIX (default 5 s).
wait_banned()
{
	local i
	for ((i = 0; i < ${2:-5} * 10; i++)); do
		[[ $(ban_field "$1" reason) != "<missing>" ]] && return 0
		sleep 0.1
	done
	return 1
}

# A regex source: maxretry failures within findtime ban; fewer do not; the ban drops.
test_source_regex()
{
	local conf=$TEST_TMP/xdpban.conf log=$TEST_TMP/access.log t0 t1
	trap kill_daemon EXIT
	write_conf "$conf" \
		"[source:wp-login]" \
		"type = regex" \
		"logpath = $log" \
		"failregex = ^<HOST> - \\S+ \\[[^]]+\\] \"POST /wp-login\\.php" \
		"            ^<HOST> - \\S+ \\[[^]]+\\] \"POST /xmlrpc\\.php" \
		"maxretry = 3" \
		"findtime = 10m" \
		"bantime = 1h"
	# The log does not exist yet: the source waits for it.
	start_daemon "$conf"
	ping_ok v4
	local ts='[27/Nov/2026:02:00:00 +0000]'
	{
		echo "$ADDR_A4 - - $ts \"POST /wp-login.php HTTP/1.1\" 200 512"
		echo "$ADDR_A4 - - $ts \"GET / HTTP/1.1\" 200 512"
		echo "$ADDR_A4 - - $ts \"POST /xmlrpc.php HTTP/1.1\" 200 512"
		echo "198.51.100.99 - - $ts \"POST /wp-login.php HTTP/1.1\" 200 512"
		echo "10.1.2.3 - root from $ADDR_A4 $ts \"GET /?u=$ADDR_A4 HTTP/1.1\" 404 1"
	} >>"$log"
	sleep 1
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" "<missing>" "two failures: no ban yet"
	t0=$(date +%s%N)
	echo "$ADDR_A4 - - $ts \"POST /wp-login.php HTTP/1.1\" 200 512" >>"$log"
	wait_banned "$ADDR_A4/32" || fail "third failure did not ban: $(cat "$TEST_TMP/xdpband.out")"
	t1=$(date +%s%N)
	echo "line appended -> banned (as seen by banctl): $(((t1 - t0) / 1000000)) ms"
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" wp-login "reason is the source name"
	assert_eq "$(ban_field "$ADDR_A4/32" origin)" regex "origin"
	assert_eq "$(ban_field 198.51.100.99/32 reason)" "<missing>" "one failure: no ban"
	assert_eq "$(ban_field 10.1.2.3/32 reason)" "<missing>" "unmatched line: no ban"
	ping_dropped v4
	stop_daemon
}

# Rotation (rename + create) while the daemon runs loses no line; a restart neither loses
# nor re-counts one.
test_source_rotation()
{
	local conf=$TEST_TMP/xdpban.conf log=$TEST_TMP/app.log
	trap kill_daemon EXIT
	write_conf "$conf" \
		"[source:app]" \
		"type = regex" \
		"logpath = $log" \
		"failregex = ^auth failure from <HOST>$" \
		"maxretry = 2" \
		"bantime = 1h"
	: >"$log"
	start_daemon "$conf"
	echo "auth failure from 192.0.2.1" >>"$log"
	sleep 0.5
	mv "$log" "$log.1"
	# Written to the old file after the rename, before the new file exists.
	echo "auth failure from 192.0.2.1" >>"$log.1"
	echo "auth failure from 192.0.2.2" >"$log"
	wait_banned 192.0.2.1/32 || fail "rotation lost a line"
	stop_daemon
	# Stopped: one more failure of .2 arrives; a restart must count the earlier one once.
	echo "auth failure from 192.0.2.2" >>"$log"
	start_daemon "$conf"
	wait_banned 192.0.2.2/32 || fail "restart lost the position"
	echo "auth failure from 192.0.2.3" >>"$log"
	sleep 1
	assert_eq "$(ban_field 192.0.2.3/32 reason)" "<missing>" "one failure after restart"
	stop_daemon
}

# A fail2ban.log source mirrors Ban / Unban of the selected jails.
test_source_fail2ban_log()
{
	local conf=$TEST_TMP/xdpban.conf log=$TEST_TMP/fail2ban.log
	trap kill_daemon EXIT
	write_conf "$conf" \
		"[source:f2b]" \
		"type = fail2ban" \
		"logpath = $log" \
		"jails = sshd postfix*"
	: >"$log"
	start_daemon "$conf"
	{
		echo "2026-11-27 02:00:00,001 fail2ban.actions        [999]: NOTICE  [sshd] Ban $ADDR_A4"
		echo "2026-11-27 02:00:00,002 fail2ban.actions        [999]: NOTICE  [recidive] Ban 192.0.2.9"
		echo "2026-11-27 02:00:00,003 fail2ban.actions        [999]: NOTICE  [postfix-sasl] Ban 192.0.2.10"
	} >>"$log"
	wait_banned "$ADDR_A4/32" || fail "Ban not mirrored: $(cat "$TEST_TMP/xdpband.out")"
	wait_banned 192.0.2.10/32 || fail "glob jail not mirrored"
	assert_eq "$(ban_field 192.0.2.9/32 reason)" "<missing>" "unselected jail ignored"
	assert_eq "$(ban_field "$ADDR_A4/32" permanent)" true "until its Unban"
	ping_dropped v4
	echo "2026-11-27 02:00:05,001 fail2ban.actions        [999]: NOTICE  [sshd] Unban $ADDR_A4" >>"$log"
	sleep 1
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" "<missing>" "Unban mirrored"
	ping_ok v4
	stop_daemon
}

# backfill = yes: a first start reads the rotated logs (.gz too), oldest first.
test_source_backfill()
{
	local conf=$TEST_TMP/xdpban.conf log=$TEST_TMP/b.log
	trap kill_daemon EXIT
	write_conf "$conf" "[source:bf]" "type = regex" "logpath = $log" \
		"failregex = ^auth failure from <HOST>$" "maxretry = 3" "findtime = 1h" \
		"backfill = yes"
	echo "auth failure from 192.0.2.21" | gzip >"$log.2.gz"
	echo "auth failure from 192.0.2.21" >"$log.1"
	echo "auth failure from 192.0.2.21" >"$log"
	start_daemon "$conf"
	wait_banned 192.0.2.21/32 || fail "back-fill did not count the rotated logs"
	stop_daemon
}

ALL_TESTS+=(test_source_regex test_source_rotation test_source_fail2ban_log test_source_backfill)
