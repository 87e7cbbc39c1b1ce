#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The fleet (issue 10): how long a ban takes from one node to the maps of the others, with
# FLEET_NODES subscribing nodes on this machine, and what each ban costs Redis.
#
# Every node is a real xdpband (FLEET_XDPBAND, default build/xdpband) with a [fleet] section:
# its own pin dir (a directory of one private bpffs), its own state dir and journal, its own
# two Redis connections, the whole consume path (XREAD BLOCK, field checks, HMAC-SHA256,
# never-ban rules, xb_bans_add into its pinned BPF maps, the journal). One more xdpband, the
# publisher, has a fail2ban-log source: a "Ban ADDR" line appended to its log is a ban,
# published by its fleet client. Redis is a private redis-server on a unix socket in WORK,
# inside a namespace of this run, with no TCP port at all.
#
# Latency is from the publisher's xbd_fleet_publish() (its own map entry is in place, the
# message is stamped) to the moment xb_bans_add() returned on a subscriber, as each
# subscriber logs it; all on one clock. Two phases: FLEET_BANS bans at FLEET_RATE a second
# (latency when nothing queues), then FLEET_BURST at once (throughput, and latency with
# queueing; the stream's ts fields date each publish). Then the subscribers stop and the
# publisher alone publishes FLEET_MEM more: Redis memory per ban is INFO used_memory before
# and after over those, and MEMORY USAGE of the stream, the current-set hash and the expiry
# zset over all bans.
#
# State dirs are on a tmpfs: with 100 nodes on one disk, fdatasync of 100 journals would
# measure the disk, where a real fleet has a disk per node. Sourced by bench/run.sh
# (bench_fleet writes a markdown section on stdout), or run alone:
#   bench/fleet.sh [-n NODES] [-b BANS] [-r RATE] [-B BURST] [-m MEMBANS] [-o FILE.md]

FLEET_NODES=${FLEET_NODES:-100}
FLEET_BANS=${FLEET_BANS:-500}
FLEET_RATE=${FLEET_RATE:-20}
FLEET_BURST=${FLEET_BURST:-5000}
FLEET_MEM=${FLEET_MEM:-100000}
FLEET_TIMEOUT=${FLEET_TIMEOUT:-300}
FLEET_DIR=
FLEET_NS=
FLEET_PIDS=()
FLEET_RPID=

fleet_redis()
{
	timeout 30 redis-cli -s "$FLEET_DIR/redis.sock" "$@"
}

# fleet_lines FIRST N: the log lines of bans FIRST .. FIRST+N-1, of 10.200.0.0 + I.
fleet_lines()
{
	awk -v a="$1" -v n="$2" 'BEGIN { for (i = a; i < a + n; i++)
		printf "2026-11-27 02:00:00,001 fail2ban.actions        [999]: NOTICE  [web] Ban 10.%d.%d.%d\n",
			200 + int(i / 65536), int(i / 256) % 256, i % 256 }'
}

# fleet_conf NAME EXTRA...: NAME's configuration, no interfaces (xdpband serves the maps).
fleet_conf()
{
	local name=$1
	shift
	mkdir -p "$FLEET_DIR/state/$name"
	{
		echo "[xdpband]"
		echo "log_syslog = no"
		echo "state_dir = $FLEET_DIR/state/$name"
		echo "pin_dir = $FLEET_DIR/bpf/$name"
		echo "expire_interval = 1m"
		printf '%s\n' "$@"
		echo "[fleet]"
		echo "redis = $FLEET_DIR/redis.sock"
		echo "node = $name"
		echo "key_file = $FLEET_DIR/fleet.key"
		echo "max_bans_per_minute = 0"
	} >"$FLEET_DIR/$name.conf"
}

fleet_start()
{
	local name=$1
	ip netns exec "$FLEET_NS" "$FLEET_XDPBAND" -f -v -c "$FLEET_DIR/$name.conf" \
		>"$FLEET_DIR/$name.log" 2>&1 &
	FLEET_PIDS+=($!)
}

fleet_teardown()
{
	local pid i
	for pid in "${FLEET_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ((i = 0; i < 100; i++)); do
		for pid in "${FLEET_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && break
			pid=
		done
		[[ -z $pid ]] && break
		sleep 0.1
	done
	for pid in "${FLEET_PIDS[@]}" "$FLEET_RPID"; do
		[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	FLEET_PIDS=()
	FLEET_RPID=
	if [[ -n $FLEET_DIR ]]; then
		umount "$FLEET_DIR/bpf" 2>/dev/null || umount -l "$FLEET_DIR/bpf" 2>/dev/null
		umount "$FLEET_DIR/state" 2>/dev/null || umount -l "$FLEET_DIR/state" 2>/dev/null
	fi
	[[ -n $FLEET_NS ]] && ip netns del "$FLEET_NS" 2>/dev/null
	return 0
}

# fleet_sum KEY [GLOB]: KEY of fleet.stats summed over the subscribers (or GLOB's nodes).
fleet_sum()
{
	# shellcheck disable=SC2086 # GLOB is a glob
	cat "$FLEET_DIR"/state/${2:-c*}/fleet.stats 2>/dev/null |
		awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }'
}

# fleet_wait KEY VALUE WHAT [GLOB]: until fleet_sum KEY reaches VALUE (FLEET_TIMEOUT s).
fleet_wait()
{
	local i
	for ((i = 0; i < FLEET_TIMEOUT * 10; i++)); do
		(($(fleet_sum "$1" "${4:-c*}") >= $2)) && return 0
		sleep 0.1
	done
	say "fleet: $3: $(fleet_sum "$1" "${4:-c*}") of $2 after ${FLEET_TIMEOUT}s"
	return 1
}

fleet_setup()
{
	local i
	FLEET_DIR=$WORK/fleet
	FLEET_NS=$TAG-fleet
	mkdir -p "$FLEET_DIR/state" "$FLEET_DIR/redis" "$FLEET_DIR/bpf"
	mount -t tmpfs -o size=4g,mode=0700 xb-fleet "$FLEET_DIR/state" || return 1
	mount -t bpf bpf "$FLEET_DIR/bpf" || return 1
	netns_new "$FLEET_NS" || return 1
	openssl rand -hex 32 >"$FLEET_DIR/fleet.key" && chmod 600 "$FLEET_DIR/fleet.key"
	ip netns exec "$FLEET_NS" redis-server --port 0 --unixsocket "$FLEET_DIR/redis.sock" \
		--unixsocketperm 700 --save '' --appendonly no --dir "$FLEET_DIR/redis" \
		--logfile "$FLEET_DIR/redis.log" --daemonize no &
	FLEET_RPID=$!
	for ((i = 0; i < 50; i++)); do
		[[ $(fleet_redis ping 2>/dev/null) == PONG ]] && break
		sleep 0.1
	done
	[[ $(fleet_redis ping 2>/dev/null) == PONG ]] || {
		say "fleet: redis-server did not start: $(tail -n 3 "$FLEET_DIR/redis.log")"
		return 1
	}
	: >"$FLEET_DIR/pub.log"
	# fail2ban's Ban lines: each is a ban, none is tracked as a failure (a regex source
	# keeps at most 65536 addresses with failures within findtime).
	fleet_conf p0 "[source:bench]" "type = fail2ban" "logpath = $FLEET_DIR/pub.log" \
		"bantime = 1d" "max_bans_per_minute = 0"
	echo "apply = no" >>"$FLEET_DIR/p0.conf"
	for ((i = 1; i <= FLEET_NODES; i++)); do
		fleet_conf "c$i"
	done
	fleet_start p0
	for ((i = 1; i <= FLEET_NODES; i++)); do
		fleet_start "c$i"
	done
	for ((i = 0; i < FLEET_TIMEOUT * 10; i++)); do
		(($(fleet_sum connected) == FLEET_NODES)) &&
			grep -qx 'connected 1' "$FLEET_DIR/state/p0/fleet.stats" 2>/dev/null && return 0
		sleep 0.1
	done
	say "fleet: $(fleet_sum connected) of $FLEET_NODES subscribers connected"
	return 1
}

# fleet_lags FIRST LAST: "NODE PREFIX MS" for the bans FIRST..LAST, from every subscriber.
fleet_lags()
{
	local f
	for f in "$FLEET_DIR"/c*.log; do
		awk -v n="$(basename "$f" .log)" \
			'/fleet: banned .* from node p0/ { for (i = 1; i <= NF; i++) if ($i == "ms") print n, $4, $(i - 1) }' "$f"
	done | awk -v a="$1" -v b="$2" '{ split($2, p, "[./]"); i = (p[2] - 200) * 65536 + p[3] * 256 + p[4]; if (i >= a && i <= b) print }'
}

# fleet_stats [T0_US]: median, p90, p99, max of the ms on stdin ("NODE PREFIX MS"), and of
# each ban's slowest node; with T0_US (when the lines were appended) also the seconds from
# T0 to the last publish and to the last map entry anywhere, dated by the stream's ts.
fleet_stats()
{
	local ts=$WORK/fleet-ts
	: >"$ts"
	[[ -n ${1:-} ]] && fleet_redis --raw XRANGE xdpban:bans - + >"$ts"
	python3 -c '
import sys
t0 = int(sys.argv[2]) if len(sys.argv) > 2 else 0
ts, lines = {}, open(sys.argv[1]).read().split("\n")
for i in range(len(lines) - 1):
    if lines[i] == "prefix":
        pfx = lines[i + 1]
    elif lines[i] == "ts":
        ts[pfx] = int(lines[i + 1])
rows = [l.split() for l in sys.stdin if l.strip()]
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")
ms = [float(r[2]) for r in rows]
last = {}
for r in rows:
    last[r[1]] = max(last.get(r[1], 0.0), float(r[2]))
sl = list(last.values())
pub = done = float("nan")
if t0 and rows and all(r[1] in ts for r in rows):
    pub = (max(ts[r[1]] for r in rows) - t0) / 1e6
    done = max(ts[r[1]] + float(r[2]) * 1000 for r in rows) / 1e6 - t0 / 1e6
print("%d %.2f %.2f %.2f %.2f %d %.2f %.2f %.2f %.3f %.3f" % (len(ms), pct(ms, 50), pct(ms, 90),
      pct(ms, 99), max(ms) if ms else float("nan"), len(sl), pct(sl, 50), pct(sl, 99),
      max(sl) if sl else float("nan"), pub, done))
' "$ts" "$@"
}

fleet_mem()
{
	fleet_redis INFO memory | awk -F: '$1 == "used_memory" { print $2 + 0 }'
}

# fleet_stop_subscribers: the publisher stays; so the memory phase measures Redis only.
fleet_stop_subscribers()
{
	local pid i
	for pid in "${FLEET_PIDS[@]:1}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${FLEET_PIDS[@]:1}"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	done
}

fleet_key_mem()
{
	fleet_redis MEMORY USAGE "$1" SAMPLES 0
}

# fleet_phase FIRST COUNT RATE: bans FIRST .. FIRST+COUNT-1 (RATE a second, 0 = at once);
# the lines are made first, so only their appending is timed.
fleet_phase()
{
	local rate=$3 line pause
	fleet_lines "$1" "$2" >"$FLEET_DIR/phase.txt"
	if ((rate == 0)); then
		cat "$FLEET_DIR/phase.txt" >>"$FLEET_DIR/pub.log"
		return 0
	fi
	pause=$(fdiv 1 "$rate" 4)
	while read -r line; do
		echo "$line" >>"$FLEET_DIR/pub.log"
		sleep "$pause"
	done <"$FLEET_DIR/phase.txt"
}

# bench_fleet: for bench/run.sh; everything this started is gone when it returns.
bench_fleet()
{
	(
		trap fleet_teardown EXIT
		trap 'exit 143' TERM
		trap 'exit 130' INT
		fleet_body
	)
}

fleet_body()
{
	local m0 m1 t0 t1 total s1 s2 n=$FLEET_NODES b=$FLEET_BANS burst=$FLEET_BURST
	local stream set exp mem=$FLEET_MEM
	if ! command -v redis-server >/dev/null || ! ldd "$FLEET_XDPBAND" | grep -q hiredis; then
		say "fleet: needs redis-server and an xdpband built with the fleet (hiredis)"
		return 1
	fi
	t0=$(now_ns)
	fleet_setup || return 1
	say "fleet: $n subscribers connected in $(fdiv $(($(now_ns) - t0)) 1000000000 1) s"
	fleet_phase 0 "$b" "$FLEET_RATE"
	fleet_wait applied $((n * b)) "paced bans applied" || return 1
	s1=$(fleet_lags 0 $((b - 1)) | fleet_stats)
	t0=$(date +%s%6N)
	fleet_phase "$b" "$burst" 0
	fleet_wait applied $((n * (b + burst))) "burst bans applied" || return 1
	s2=$(fleet_lags "$b" $((b + burst - 1)) | fleet_stats "$t0")
	fleet_stop_subscribers
	m0=$(fleet_mem)
	t0=$(now_ns)
	fleet_phase $((b + burst)) "$mem" 0
	total=$((b + burst + mem))
	fleet_wait published "$total" "memory-phase bans published" p0 || return 1
	t1=$(now_ns)
	m1=$(fleet_mem)
	stream=$(fleet_key_mem xdpban:bans)
	set=$(fleet_key_mem xdpban:bans:set)
	exp=$(fleet_key_mem xdpban:bans:exp)
	fleet_report "$s1" "$s2" $((t1 - t0)) "$m0" "$m1" "$total" "$stream" "$set" "$exp"
}

# fleet_report PACED BURST MEM_NS MEM0 MEM1 BANS STREAM SET EXP: the markdown section.
fleet_report()
{
	local -a p q
	local mem=$FLEET_MEM
	read -r -a p <<<"$1"
	read -r -a q <<<"$2"
	cat <<EOF
$FLEET_NODES subscribing nodes and one publisher, each a real \`xdpband\` with its own pinned
maps, state dir (on a tmpfs) and two Redis connections; one \`redis-server\`
$(redis-server --version | awk '{ print $3 }' | tr -d v=) on a unix socket; all on this machine ($(nproc) vCPUs shared by
$((FLEET_NODES + 2)) processes). Latency: from the publisher's \`xbd_fleet_publish()\` (its own
map entry already in place) to \`xb_bans_add()\` returning on a subscriber, one clock.
"Slowest node": per ban, the last of the $FLEET_NODES to have it.

| phase | samples | median | p90 | p99 | max | slowest node: median | p99 | max |
|---|--:|--:|--:|--:|--:|--:|--:|--:|
| $FLEET_BANS bans, $FLEET_RATE/s | ${p[0]} | ${p[1]} ms | ${p[2]} ms | ${p[3]} ms | ${p[4]} ms | ${p[6]} ms | ${p[7]} ms | ${p[8]} ms |
| $FLEET_BURST bans at once | ${q[0]} | ${q[1]} ms | ${q[2]} ms | ${q[3]} ms | ${q[4]} ms | ${q[6]} ms | ${q[7]} ms | ${q[8]} ms |

The burst: $FLEET_BURST lines appended at once; the publisher had decided and published the
last of them ${q[9]} s later, and the last of the $((FLEET_BURST * FLEET_NODES)) map entries was in place
${q[10]} s after the append: $(fdiv $((FLEET_BURST * FLEET_NODES)) "${q[10]}" 0) bans applied a second over the fleet.

Redis memory: with the subscribers stopped, the publisher published $mem more bans in
$(fdiv "$3" 1000000000 1) s ($(fdiv "$mem" "$(fdiv "$3" 1000000000 3)" 0)/s, ban and journal included); INFO used_memory grew by
$(($5 - $4)) bytes, **$(fdiv $(($5 - $4)) "$mem" 0) bytes per ban**. MEMORY USAGE over all $6 bans:
stream $7 B ($(fdiv "$7" "$6" 0) B/ban; it keeps maxage of history, 1 day by default), current-set
hash $8 B ($(fdiv "$8" "$6" 0) B/ban), expiry zset $9 B ($(fdiv "$9" "$6" 0) B/ban). A million live bans
published within a day: about $(fdiv $((($5 - $4) * 1000000 / mem)) 1048576 0) MiB.
EOF
}

fleet_main()
{
	local out=
	while getopts "n:b:r:B:m:o:h" opt; do
		case $opt in
		n) FLEET_NODES=$OPTARG ;;
		b) FLEET_BANS=$OPTARG ;;
		r) FLEET_RATE=$OPTARG ;;
		B) FLEET_BURST=$OPTARG ;;
		m) FLEET_MEM=$OPTARG ;;
		o) out=$OPTARG ;;
		*)
			echo "Usage: $0 [-n NODES] [-b BANS] [-r RATE] [-B BURST] [-m MEMBANS] [-o FILE.md]" >&2
			exit 2
			;;
		esac
	done
	if [[ $(id -u) -ne 0 ]]; then
		echo "bench: must run as root (BPF, namespaces, bpffs)" >&2
		exit 1
	fi
	bench_init || exit 1
	trap 'fleet_teardown; bench_cleanup' EXIT
	if [[ -n $out ]]; then
		fleet_body >"$out"
	else
		fleet_body
	fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -u
	# shellcheck source=bench/lib.sh
	source "$(dirname "$0")/lib.sh"
	FLEET_XDPBAND=${FLEET_XDPBAND:-$BUILD/xdpband}
	fleet_main "$@"
else
	FLEET_XDPBAND=${FLEET_XDPBAND:-$BUILD/xdpband}
fi
