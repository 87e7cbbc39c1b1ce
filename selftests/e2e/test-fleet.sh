# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The fleet end to end: a real redis-server started here (never the machine's: it listens on
# a unix socket in TEST_TMP and on 127.0.0.1 inside NS_B only) and three xdpband nodes, each
# in namespaces of its own with its own bpffs and state dir:
#
#   node 1: NS_B, IF_B (lib.sh's topology), PIN_DIR; a regex source; redis over TCP
#   node 2: NS_N2 <-> NS_S2 (a sender that is 10.11.1.1 too), its own pin dir; unix socket
#   node 3: NS_N3 <-> NS_S3, the same, its own pin dir; unix socket
#
# so a ban node 1's source decides is seen dropping packets on the other two.

FLEET_KEY=fleet-test-key-0123456789abcdef0123456789
FLEET_STREAM=xdpban:bans
REDIS_PORT=6379
RPID=
NODE_PID=()
FLEET_NS=()
FLEET_MNT=()

# fleet_init: names for this test (called first by each test, with the EXIT trap).
fleet_init()
{
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
		skip "redis-server/redis-cli not installed (apt-get install redis-server)"
	fi
	command -v openssl >/dev/null || skip "openssl not installed"
	ldd "$XDPBAND" 2>/dev/null | grep -q libhiredis || skip "$XDPBAND is built without the fleet"
	mkdir -p "$TEST_TMP/redis"
	printf '%s' "$FLEET_KEY" >"$TEST_TMP/fleet.key"
	chmod 600 "$TEST_TMP/fleet.key"
	trap fleet_cleanup EXIT
}

# fleet_cleanup: every node, redis, the extra namespaces and bpffs mounts, pass or fail.
fleet_cleanup()
{
	local pid ns m
	for pid in "${NODE_PID[@]}" "$RPID"; do
		[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	for m in "${FLEET_MNT[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	for ns in "${FLEET_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

rcli()
{
	timeout 10 redis-cli -s "$TEST_TMP/redis.sock" "$@"
}

# redis_start: in NS_B, on TEST_TMP/redis.sock and 127.0.0.1:REDIS_PORT; no persistence.
redis_start()
{
	local i
	ip netns exec "$NS_B" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
		--unixsocket "$TEST_TMP/redis.sock" --unixsocketperm 700 --save '' \
		--appendonly no --dir "$TEST_TMP/redis" --logfile "$TEST_TMP/redis.log" \
		--daemonize no &
	RPID=$!
	for ((i = 0; i < 50; i++)); do
		[[ $(rcli ping 2>/dev/null) == PONG ]] && return 0
		sleep 0.1
	done
	cat "$TEST_TMP/redis.log" >&2
	fail "redis-server did not start"
}

redis_kill()
{
	kill -KILL "$RPID"
	wait "$RPID" 2>/dev/null
	RPID=
	rm -f "$TEST_TMP/redis.sock"
	echo "redis killed"
}

# node_dirs N: NODE_NS NODE_PIN NODE_STATE NODE_IF for node N.
node_dirs()
{
	local n=$1
	NODE_STATE=$TEST_TMP/state$n
	NODE_LOG=$TEST_TMP/node$n.log
	if [[ $n -eq 1 ]]; then
		NODE_NS=$NS_B
		NODE_PIN=$PIN_DIR
		NODE_IF=$IF_B
		NODE_STATE=$TEST_TMP/state
	else
		NODE_NS=${NS_A%-a}-n$n
		NODE_PIN=$TEST_TMP/pin$n
		NODE_IF=xn${IF_A#xa}$n
	fi
}

# sender_ns N: the namespace that sends to node N (2 or 3) as ADDR_A4.
sender_ns()
{
	echo "${NS_A%-a}-s$1"
}

# add_node N: node N's namespace, joined by veth to a sender namespace that also has
# ADDR_A4 (node N is ADDR_B4 there), and its bpffs.
add_node()
{
	local n=$1 sender
	node_dirs "$n"
	sender=$(sender_ns "$n")
	FLEET_NS+=("$NODE_NS" "$sender")
	if ! { _new_ns "$NODE_NS" && _new_ns "$sender"; }; then
		skip "cannot create namespaces for node $n"
	fi
	_veth "$sender" "${NODE_IF/xn/xs}" "$ADDR_A4" "$ADDR_A6" "$NODE_NS" "$NODE_IF" \
		"$ADDR_B4" "$ADDR_B6" || skip "cannot create a veth pair for node $n"
	mkdir -p "$NODE_PIN" "$NODE_STATE"
	mount -t bpf bpf "$NODE_PIN" || skip "cannot mount a bpffs on $NODE_PIN"
	FLEET_MNT+=("$NODE_PIN")
}

# node_conf N FILE [EXTRA [fleet] LINES...]: node 1 has a regex source on TEST_TMP/web.log.
node_conf()
{
	local n=$1 f=$2 redis
	shift 2
	node_dirs "$n"
	mkdir -p "$NODE_STATE"
	redis=$TEST_TMP/redis.sock
	[[ $n -eq 1 ]] && redis=127.0.0.1:$REDIS_PORT
	{
		echo "[xdpband]"
		echo "interfaces = $NODE_IF"
		echo "log_syslog = no"
		echo "state_dir = $NODE_STATE"
		echo "pin_dir = $NODE_PIN"
		echo "expire_interval = 1s"
		if [[ $n -eq 1 ]]; then
			echo "[source:web]"
			echo "type = regex"
			echo "logpath = $TEST_TMP/web.log"
			echo "failregex = ^login failed from <HOST>$"
			echo "maxretry = 2"
			echo "bantime = 1h"
		fi
		echo "[fleet]"
		echo "redis = $redis"
		echo "node = n$n"
		echo "key_file = $TEST_TMP/fleet.key"
		printf '%s\n' "$@"
	} >"$f"
}

# start_node N [EXTRA [fleet] LINES...]: xdpband -v for node N until "running" (5 s).
start_node()
{
	local n=$1 conf i
	shift
	node_dirs "$n"
	conf=$TEST_TMP/node$n.conf
	node_conf "$n" "$conf" "$@"
	local runs
	runs=$(grep -c 'xdpband: running' "$NODE_LOG" 2>/dev/null)
	ip netns exec "$NODE_NS" "$XDPBAND" -f -v -c "$conf" >>"$NODE_LOG" 2>&1 &
	NODE_PID[n]=$!
	for ((i = 0; i < 50; i++)); do
		[[ $(grep -c 'xdpband: running' "$NODE_LOG" 2>/dev/null) -gt ${runs:-0} ]] && return 0
		kill -0 "${NODE_PID[n]}" 2>/dev/null || break
		sleep 0.1
	done
	cat "$NODE_LOG"
	fail "node $n did not start"
}

stop_node()
{
	local n=$1 rc
	kill -TERM "${NODE_PID[n]}"
	wait "${NODE_PID[n]}"
	rc=$?
	NODE_PID[n]=
	assert_eq "$rc" 0 "node $n exit status after SIGTERM"
}

# wait_log N PATTERN [COUNT]: until node N's log has COUNT (1) lines matching PATTERN (5 s).
wait_log()
{
	local i
	for ((i = 0; i < 50; i++)); do
		if [[ $(grep -c -- "$2" "$TEST_TMP/node$1.log") -ge ${3:-1} ]]; then
			echo "ok: node $1 logged '$2'"
			return 0
		fi
		sleep 0.1
	done
	fail "node $1 did not log '$2' ${3:-1} times: $(tail -n 20 "$TEST_TMP/node$1.log")"
}

# fstat N KEY: a counter of node N's state_dir/fleet.stats.
fstat()
{
	node_dirs "$1"
	awk -v k="$2" '$1 == k { print $2 }' "$NODE_STATE/fleet.stats" 2>/dev/null
}

# wait_fstat N KEY VALUE [SECONDS]: until node N's counter is VALUE (default 10 s).
wait_fstat()
{
	local i
	for ((i = 0; i < ${4:-10} * 10; i++)); do
		if [[ $(fstat "$1" "$2") == "$3" ]]; then
			echo "ok: node $1: $2 = $3"
			return 0
		fi
		sleep 0.1
	done
	fail "node $1: $2 is '$(fstat "$1" "$2")', expected $3; log: $(tail -n 20 "$TEST_TMP/node$1.log")"
}

# node_ban N PREFIX KEY: a field of node N's ban of PREFIX, "<missing>" if not banned.
node_ban()
{
	local js
	node_dirs "$1"
	js=$(check_run timeout "$CMD_TIMEOUT" ip netns exec "$NODE_NS" "$BANCTL" \
		--pin-dir "$NODE_PIN" -j list) || exit 1
	json_q 'next((b[a[1]] for b in d if b["prefix"] == a[0]), "<missing>")' "$2" "$3" <<<"$js"
}

# wait_node_ban N PREFIX [SECONDS]: until node N has PREFIX banned (default 5 s).
wait_node_ban()
{
	local i
	for ((i = 0; i < ${3:-5} * 10; i++)); do
		[[ $(node_ban "$1" "$2" origin) != "<missing>" ]] && return 0
		sleep 0.1
	done
	fail "node $1 did not get the ban of $2; log: $(tail -n 20 "$TEST_TMP/node$1.log")"
}

# ban_on_1 ADDR: two failures in node 1's log, which its source turns into a ban.
ban_on_1()
{
	printf 'login failed from %s\n' "$1" "$1" >>"$TEST_TMP/web.log"
	wait_node_ban 1 "$1/32"
	assert_eq "$(node_ban 1 "$1/32" origin)" regex "node 1: $1 banned by its source"
}

# fleet_sign NODE PREFIX EXPIRES REASON SOURCE TS [KEY]: the HMAC as fleet.h specifies it.
fleet_sign()
{
	local v
	{
		printf 'xdpban-fleet-v1\n'
		for v in "$FLEET_STREAM" "${@:1:6}"; do
			printf '%d:%s\n' "${#v}" "$v"
		done
	} | openssl dgst -sha256 -mac HMAC -macopt "key:${7:-$FLEET_KEY}" | awk '{ print $NF }'
}

# xadd_msg NODE PREFIX EXPIRES REASON SOURCE TS SIG: an entry added by hand.
xadd_msg()
{
	rcli XADD "$FLEET_STREAM" '*' v 1 node "$1" prefix "$2" expires "$3" reason "$4" \
		source "$5" ts "$6" sig "$7" >/dev/null
}

# A ban decided by node 1's source is in node 2's and node 3's maps and drops there.
test_fleet_propagate()
{
	local n
	fleet_init
	add_node 2
	add_node 3
	redis_start
	: >"$TEST_TMP/web.log"
	start_node 1
	start_node 2
	start_node 3
	wait_fstat 1 connected 1
	wait_fstat 2 connected 1
	wait_fstat 3 connected 1
	ping_ok v4 "$(sender_ns 2)" "$ADDR_B4"
	ban_on_1 "$ADDR_A4"
	wait_node_ban 2 "$ADDR_A4/32"
	wait_node_ban 3 "$ADDR_A4/32"
	for n in 2 3; do
		assert_eq "$(node_ban "$n" "$ADDR_A4/32" origin)" fleet "node $n: origin"
		assert_eq "$(node_ban "$n" "$ADDR_A4/32" reason)" web "node $n: reason"
		ping_dropped v4 "$(sender_ns "$n")" "$ADDR_B4"
		wait_fstat "$n" applied 1
	done
	ping_dropped v4
	wait_fstat 1 published 1
	wait_fstat 1 own 1
	sleep 1
	for n in 2 3; do
		assert_eq "$(fstat "$n" applied)" 1 "node $n: applied once"
	done
	# SIGHUP: the fleet client starts again (a new run: its counters restart) and follows
	# on from its saved ID; node 1's sources, rebuilt, still publish.
	kill -HUP "${NODE_PID[2]}" "${NODE_PID[1]}"
	for n in 1 2; do
		wait_log "$n" 'configuration reloaded'
		wait_log "$n" 'fleet: connected to redis' 2
	done
	wait_fstat 2 applied 0
	ban_on_1 192.0.2.31
	wait_node_ban 2 192.0.2.31/32
	wait_node_ban 3 192.0.2.31/32
	wait_fstat 2 applied 1
	wait_fstat 3 applied 2
	for n in 3 2 1; do
		stop_node "$n"
	done
}

# Redis killed: node 1 goes on banning, queues (across its own restart), publishes later.
test_fleet_redis_down()
{
	local n
	fleet_init
	add_node 2
	add_node 3
	redis_start
	: >"$TEST_TMP/web.log"
	start_node 1
	start_node 2
	start_node 3
	wait_fstat 1 connected 1
	wait_fstat 2 connected 1
	wait_fstat 3 connected 1
	redis_kill
	wait_fstat 1 connected 0
	wait_fstat 2 connected 0
	ban_on_1 192.0.2.11
	ping_ok v4
	ban_on_1 "$ADDR_A4"
	ping_dropped v4
	wait_fstat 1 queued 2
	grep -q 'fleet: lost redis' "$TEST_TMP/node1.log" || fail "node 1 did not say redis is lost"
	# The queue survives a restart of node 1 too.
	stop_node 1
	start_node 1
	wait_fstat 1 queued 2
	sleep 1
	redis_start
	wait_fstat 1 queued 0 35
	wait_fstat 1 published 2
	for n in 2 3; do
		wait_node_ban "$n" 192.0.2.11/32 35
		wait_node_ban "$n" "$ADDR_A4/32" 5
		ping_dropped v4 "$(sender_ns "$n")" "$ADDR_B4"
		wait_fstat "$n" applied 2
	done
	grep 'fleet: redis .* is back' "$TEST_TMP/node1.log" || fail "node 1 did not say redis is back"
	sleep 1
	for n in 2 3; do
		assert_eq "$(fstat "$n" applied)" 2 "node $n: applied once each"
	done
	for n in 3 2 1; do
		stop_node "$n"
	done
}

# A node started late, or back after its ID was trimmed, loads the current set first.
test_fleet_late_node()
{
	local xlen n p
	fleet_init
	add_node 2
	add_node 3
	redis_start
	: >"$TEST_TMP/web.log"
	start_node 1 "maxage = 2s"
	start_node 2 "maxage = 2s"
	wait_fstat 1 connected 1
	wait_fstat 2 connected 1
	ban_on_1 192.0.2.21
	wait_node_ban 2 192.0.2.21/32
	start_node 3 "maxage = 2s"
	wait_fstat 3 connected 1
	wait_node_ban 3 192.0.2.21/32 1
	wait_fstat 3 snapshots 1
	wait_fstat 3 applied 1
	stop_node 3
	# While node 3 is away, the stream forgets what is older than maxage.
	ban_on_1 192.0.2.22
	wait_node_ban 2 192.0.2.22/32
	sleep 3
	ban_on_1 "$ADDR_A4"
	wait_node_ban 2 "$ADDR_A4/32"
	xlen=$(rcli XLEN "$FLEET_STREAM")
	assert_eq "$xlen" 1 "stream trimmed to maxage"
	start_node 3 "maxage = 2s"
	wait_fstat 3 connected 1
	for p in 192.0.2.21/32 192.0.2.22/32 "$ADDR_A4/32"; do
		wait_node_ban 3 "$p" 1
	done
	wait_fstat 3 snapshots 1
	wait_fstat 3 applied 2
	wait_fstat 3 kept 1
	wait_fstat 2 applied 3
	ping_dropped v4 "$(sender_ns 3)" "$ADDR_B4"
	assert_eq "$(rcli HLEN "$FLEET_STREAM:set")" 3 "the current set"
	for n in 3 2 1; do
		stop_node "$n"
	done
}

# Entries written into Redis by hand: forged, malformed, never-ban; only a good one counts.
test_fleet_forged()
{
	local ts exp sig good bad
	fleet_init
	add_node 2
	add_node 3
	redis_start
	start_node 2
	wait_fstat 2 connected 1
	ts=$(($(date +%s) * 1000000))
	exp=$(($(date +%s) + 3600))
	# Signed with another key, then claiming another node's name: bad signature.
	sig=$(fleet_sign n9 203.0.113.66/32 "$exp" bot web "$ts" another-key-0123456789abcdef)
	xadd_msg n9 203.0.113.66/32 "$exp" bot web "$ts" "$sig"
	sig=$(fleet_sign n9 203.0.113.66/32 "$exp" bot web "$ts")
	xadd_msg n8 203.0.113.66/32 "$exp" bot web "$ts" "$sig"
	# Malformed: a missing field, an unknown version, a bad prefix, a huge value, a bad ID.
	rcli XADD "$FLEET_STREAM" '*' v 1 node n9 prefix 203.0.113.67/32 >/dev/null
	rcli XADD "$FLEET_STREAM" '*' v 2 node n9 prefix 203.0.113.67/32 expires 0 reason x \
		source y ts 1 sig "$sig" >/dev/null
	xadd_msg n9 203.0.113.300/32 0 bot web "$ts" "$sig"
	xadd_msg n9 "$(head -c 100000 /dev/zero | tr '\0' 1)" 0 bot web "$ts" "$sig"
	# Well signed, but loopback: refused by the never-ban rules.
	sig=$(fleet_sign n9 127.0.0.1/32 "$exp" bot web "$ts")
	xadd_msg n9 127.0.0.1/32 "$exp" bot web "$ts" "$sig"
	# Well signed and fine: applied. So the signed text is as fleet.h documents it.
	good=$(fleet_sign n9 203.0.113.77/32 "$exp" bot web "$ts")
	xadd_msg n9 203.0.113.77/32 "$exp" bot web "$ts" "$good"
	wait_node_ban 2 203.0.113.77/32
	wait_fstat 2 bad_signature 2
	wait_fstat 2 malformed 4
	wait_fstat 2 refused 1
	wait_fstat 2 applied 1
	assert_eq "$(node_ban 2 203.0.113.66/32 origin)" "<missing>" "forged ban not applied"
	grep 'fleet: rejected' "$TEST_TMP/node2.log" || fail "no log line for the rejections"
	# The same through the current set, which a starting node loads.
	bad=$(fleet_sign n9 203.0.113.88/32 0 bot web "$ts" another-key-0123456789abcdef)
	rcli HSET "$FLEET_STREAM:set" 203.0.113.88/32 \
		"$(printf '1\tn9\t203.0.113.88/32\t0\tbot\tweb\t%s\t%s' "$ts" "$bad")" \
		203.0.113.77/32 \
		"$(printf '1\tn9\t203.0.113.77/32\t%s\tbot\tweb\t%s\t%s' "$exp" "$ts" "$good")" \
		203.0.113.99/32 "not a line" >/dev/null
	start_node 3
	wait_fstat 3 connected 1
	wait_node_ban 3 203.0.113.77/32
	wait_fstat 3 bad_signature 1
	wait_fstat 3 malformed 1
	assert_eq "$(node_ban 3 203.0.113.88/32 origin)" "<missing>" "node 3: not applied"
	kill -0 "${NODE_PID[2]}" || fail "node 2 died"
	stop_node 3
	stop_node 2
}

ALL_TESTS+=(test_fleet_propagate test_fleet_redis_down test_fleet_late_node test_fleet_forged)
