# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Against the real programs, started privately by the tests: spamd 4.0 with the shipped
# SpamAssassin plugin, and fail2ban-server 1.0 with the shipped action.d/xdpban.conf.

REPO=$(cd "$E2E_DIR/../.." && pwd)

# need PROGRAM...: skip (fail in CI) unless every program is installed.
need()
{
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null || skip "$p is not installed (scripts/install-deps.sh)"
	done
}

# stop_group PID: SIGTERM to a process group, wait until it is gone (5 s), then SIGKILL.
stop_group()
{
	local i
	[[ -n ${1:-} ]] || return 0
	kill -TERM -- "-$1" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 -- "-$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL -- "-$1" 2>/dev/null
	return 0
}

SPAMD_PID=
F2B_PID=
stop_real()
{
	kill_daemon
	stop_group "$SPAMD_PID"
	stop_group "$F2B_PID"
}

# A GTUBE message relayed by $1 (the last external hop), through spamd (on B's own
# loopback) with the plugin: spamd logs relayip=, xdpband's spamd source bans the sender.
test_real_spamd()
{
	local conf=$TEST_TMP/xdpban.conf log=$TEST_TMP/spamd.log i
	need spamd spamc
	trap stop_real EXIT
	ip -n "$NS_B" link set lo up
	write_conf "$conf" "[source:spam]" "type = spamd" "logpath = $log" "bantime = 1h"
	start_daemon "$conf"
	# A world-readable copy: spamd scans as nobody, who must reach the plugin too.
	chmod 0755 "$TEST_TMP"
	install -m 0644 "$REPO/contrib/spamassassin/XdpbanRelayIP.pm" "$TEST_TMP/"
	ip netns exec "$NS_B" setsid spamd -i 127.0.0.1:7833 -L -s "$log" \
		--pidfile "$TEST_TMP/spamd.pid" \
		--pre="loadplugin XdpbanRelayIP $TEST_TMP/XdpbanRelayIP.pm" \
		--cf='trusted_networks 127.0.0.1' --cf='internal_networks 127.0.0.1' \
		2>"$TEST_TMP/spamd.err" &
	SPAMD_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q 'server started' "$log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q 'server started' "$log" || fail "spamd did not start: $(cat "$TEST_TMP/spamd.err")"
	ping_ok v4
	ip netns exec "$NS_B" spamc -d 127.0.0.1 -p 7833 >/dev/null <<-EOF
		Received: from bot.example (bot.example [$ADDR_A4])
		 by mx.test.example (Postfix) with ESMTP id 4F1E52A0B1
		 for <root@mx.test.example>; Thu, 26 Nov 2026 23:22:34 +0000 (UTC)
		From: bot@bot.example
		To: root@mx.test.example
		Subject: Test spam mail (GTUBE) from [192.0.2.66]
		Message-ID: <gtube-e2e@bot.example>
		Date: Thu, 26 Nov 2026 23:22:30 +0000

		XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X
	EOF
	grep "result:" "$log"
	grep -q "result: Y .*relayip=$ADDR_A4" "$log" || fail "spamd logged no relayip=$ADDR_A4"
	wait_banned "$ADDR_A4/32" || fail "spamd source did not ban: $(cat "$TEST_TMP/xdpband.out")"
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" spam "reason"
	assert_eq "$(ban_field "$ADDR_A4/32" origin)" spamd "origin"
	assert_eq "$(ban_field 192.0.2.66/32 reason)" "<missing>" "subject text bans nothing"
	ping_dropped v4
}

# write_f2b DIR LOG AUTHLOG: a private fail2ban configuration with one jail using xdpban.
write_f2b()
{
	local d=$1
	mkdir -p "$d/action.d" "$d/filter.d" "$d/jail.d"
	cp "$REPO/contrib/fail2ban/action.d/xdpban.conf" "$d/action.d/"
	cat >"$d/fail2ban.conf" <<-EOF
		[Definition]
		loglevel = INFO
		logtarget = $2
		socket = $TEST_TMP/f2b.sock
		pidfile = $TEST_TMP/f2b.pid
		dbfile = :memory:
	EOF
	cat >"$d/filter.d/e2e.conf" <<-EOF
		[Definition]
		failregex = ^auth failure from <HOST> port \d+$
	EOF
	cat >"$d/jail.conf" <<-EOF
		[DEFAULT]
		backend = polling
		banaction = xdpban

		[e2e-auth]
		enabled = true
		filter = e2e
		logpath = $3
		maxretry = 2
		findtime = 600
		bantime = 3600
		datepattern = {NONE}
		action = xdpban[banctl="ip netns exec $NS_B $BANCTL", pin_dir="$PIN_DIR"]
	EOF
}

# fail2ban bans through action = xdpban, xdpband mirrors fail2ban.log, both agree, and
# fail2ban's unban lifts it.
test_real_fail2ban()
{
	local conf=$TEST_TMP/xdpban.conf f2blog=$TEST_TMP/fail2ban.log auth=$TEST_TMP/auth.log i
	need fail2ban-server fail2ban-client
	trap stop_real EXIT
	: >"$auth"
	: >"$f2blog"
	write_f2b "$TEST_TMP/f2b" "$f2blog" "$auth"
	write_conf "$conf" "[source:f2b]" "type = fail2ban" "logpath = $f2blog" "jails = e2e-*"
	start_daemon "$conf"
	setsid fail2ban-server -f -x -c "$TEST_TMP/f2b" -s "$TEST_TMP/f2b.sock" \
		-p "$TEST_TMP/f2b.pid" --logtarget "$f2blog" >"$TEST_TMP/f2b.out" 2>&1 &
	F2B_PID=$!
	for ((i = 0; i < 100; i++)); do
		grep -q "Jail 'e2e-auth' started" "$f2blog" && break
		sleep 0.1
	done
	grep -q "Jail 'e2e-auth' started" "$f2blog" || fail "fail2ban: $(cat "$f2blog" "$TEST_TMP/f2b.out")"
	ping_ok v4
	echo "auth failure from $ADDR_A4 port 4711" >>"$auth"
	echo "auth failure from $ADDR_A4 port 4712" >>"$auth"
	wait_banned "$ADDR_A4/32" 10 || fail "no ban: $(cat "$f2blog")"
	grep -q "\[e2e-auth\] Ban $ADDR_A4" "$f2blog" || fail "fail2ban did not log the Ban"
	ping_dropped v4
	# Both the action (reason = jail) and the fail2ban.log source (f2b/jail) saw it; the
	# one that came last set the reason.
	case $(ban_field "$ADDR_A4/32" reason) in
	e2e-auth | f2b/e2e-auth) ;;
	*) fail "reason: $(ban_field "$ADDR_A4/32" reason)" ;;
	esac
	fail2ban-client -s "$TEST_TMP/f2b.sock" set e2e-auth unbanip "$ADDR_A4" >/dev/null ||
		fail "fail2ban-client unbanip failed"
	for ((i = 0; i < 50; i++)); do
		[[ $(ban_field "$ADDR_A4/32" reason) == "<missing>" ]] && break
		sleep 0.1
	done
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" "<missing>" "unban lifts the ban"
	ping_ok v4
}

ALL_TESTS+=(test_real_spamd test_real_fail2ban)
