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
	ip netns exec "$FLEET_NS" "$FLEET_XDPBAND" -f -c "$FLEET_DIR/$name.conf" \
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

# fleet_hist: the subscribers' lag histograms summed, "UPPER_US COUNT" lines (fleet.stats
# keeps 8 buckets per power of two; xbd_fleet_lag_bucket_us()).
fleet_hist()
{
	cat "$FLEET_DIR"/state/c*/fleet.stats |
		awk '$1 == "lag_hist" { n[$2] += $3 } END { for (u in n) print u, n[u] }' | sort -n
}

# fleet_stats BEFORE AFTER [T0_US]: samples, median, p90, p99 (each the upper bound of its
# bucket, so at most 12.5% high, and at most the max) and the largest max_lag_us, in ms, of
# the bans applied
# between the histograms BEFORE and AFTER (files); with T0_US (when the lines were appended)
# also the seconds from T0 to the last publish (the stream's last ts) and to the last map
# entry on any node (last_applied_us).
fleet_stats()
{
	local last_ts=0 last_apply max
	if [[ -n ${3:-} ]]; then
		last_ts=$(fleet_redis --raw XREVRANGE xdpban:bans + - COUNT 1 | awk 'p { print; exit } $1 == "ts" { p = 1 }')
	fi
	last_apply=$(cat "$FLEET_DIR"/state/c*/fleet.stats | awk '$1 == "last_applied_us" && $2 + 0 > m { m = $2 + 0 } END { printf "%.0f\n", m }')
	max=$(cat "$FLEET_DIR"/state/c*/fleet.stats | awk '$1 == "max_lag_us" && $2 + 0 > m { m = $2 + 0 } END { printf "%.0f\n", m }')
	python3 -c '
import sys
def load(path):
    h = {}
    for line in open(path):
        u, c = line.split()
        h[int(u)] = int(c)
    return h
before, after = load(sys.argv[1]), load(sys.argv[2])
h = sorted((u, c - before.get(u, 0)) for u, c in after.items() if c > before.get(u, 0))
total = sum(c for _, c in h)
def pct(p):
    want, run = p / 100.0 * total, 0
    for u, c in h:
        run += c
        if run >= want:
            return u / 1000.0
    return float("nan")
t0, last_ts, last_apply, mx = (int(a) for a in sys.argv[3:7])
pub = (last_ts - t0) / 1e6 if t0 else float("nan")
done = (last_apply - t0) / 1e6 if t0 else float("nan")
# max_lag_us counts since the start; in this phase it is at most the top bucket.
top = min(mx / 1000.0, h[-1][0] / 1000.0) if h else float("nan")
cap = lambda v: min(v, top)
print("%d %.2f %.2f %.2f %.2f %.3f %.3f" % (total, cap(pct(50)), cap(pct(90)), cap(pct(99)),
      top, pub, done))
' "$1" "$2" "${3:-0}" "$last_ts" "$last_apply" "$max"
}

# fleet_cpu PID...: their user + system CPU time so far, in microseconds.
fleet_cpu()
{
	local pid hz
	hz=$(getconf CLK_TCK)
	for pid in "$@"; do
		awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null
	done | awk -v hz="$hz" '{ t += $1 } END { printf "%.0f\n", t * 1000000 / hz }'
}

# fleet_busy: CPU time the whole machine spent busy so far (all CPUs), in microseconds.
fleet_busy()
{
	awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * 1000000 / hz }' /proc/stat
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
	local stream set exp mem=$FLEET_MEM c0 c1 r0 r1 p0 p1 cpu w0 w1 b0 b1 f0 f1
	if ! command -v redis-server >/dev/null || ! ldd "$FLEET_XDPBAND" | grep -q hiredis; then
		say "fleet: needs redis-server and an xdpband built with the fleet (hiredis)"
		return 1
	fi
	t0=$(now_ns)
	fleet_setup || return 1
	say "fleet: $n subscribers connected in $(fdiv $(($(now_ns) - t0)) 1000000000 1) s"
	: >"$WORK/fleet-h0"
	w0=$(now_ns)
	b0=$(fleet_busy)
	f0=$(fleet_cpu "${FLEET_PIDS[@]}" "$FLEET_RPID")
	fleet_phase 0 "$b" "$FLEET_RATE"
	fleet_wait applied $((n * b)) "paced bans applied" || return 1
	fleet_hist >"$WORK/fleet-h1"
	s1=$(fleet_stats "$WORK/fleet-h0" "$WORK/fleet-h1")
	c0=$(fleet_cpu "${FLEET_PIDS[@]:1}")
	r0=$(fleet_cpu "$FLEET_RPID")
	p0=$(fleet_cpu "${FLEET_PIDS[0]}")
	t0=$(date +%s%6N)
	fleet_phase "$b" "$burst" 0
	fleet_wait applied $((n * (b + burst))) "burst bans applied" || return 1
	c1=$(fleet_cpu "${FLEET_PIDS[@]:1}")
	r1=$(fleet_cpu "$FLEET_RPID")
	p1=$(fleet_cpu "${FLEET_PIDS[0]}")
	b1=$(fleet_busy)
	f1=$(fleet_cpu "${FLEET_PIDS[@]}" "$FLEET_RPID")
	w1=$(now_ns)
	fleet_hist >"$WORK/fleet-h2"
	s2=$(fleet_stats "$WORK/fleet-h1" "$WORK/fleet-h2" "$t0")
	cpu="$(fdiv $((c1 - c0)) $((n * burst)) 1) $(fdiv $((r1 - r0)) $((n * burst)) 1) $(fdiv $((p1 - p0)) "$burst" 1)"
	# What else ran meanwhile: the machine's busy time less the fleet's, over its capacity.
	cpu+=" $(fdiv $((100 * (b1 - b0 - (f1 - f0)))) $(((w1 - w0) * $(nproc) / 1000)) 0)"
	cpu+=" $(fdiv $((100 * (f1 - f0))) $(((w1 - w0) * $(nproc) / 1000)) 0)"
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
	fleet_report "$s1" "$s2" $((t1 - t0)) "$m0" "$m1" "$total" "$stream" "$set" "$exp" "$cpu"
}

# fleet_report PACED BURST MEM_NS MEM0 MEM1 BANS STREAM SET EXP CPU: the markdown section.
fleet_report()
{
	local -a p q c
	local mem=$FLEET_MEM
	read -r -a p <<<"$1"
	read -r -a q <<<"$2"
	read -r -a c <<<"${10}"
	cat <<EOF
$FLEET_NODES subscribing nodes and one publisher, each a real \`xdpband\` with its own pinned
maps, state dir (on a tmpfs) and two Redis connections; one \`redis-server\`
$(redis-server --version | awk '{ print $3 }' | tr -d v=) on a unix socket; all on this machine ($(nproc) vCPUs shared by
$((FLEET_NODES + 2)) processes), run as the systemd unit runs them (no -v). Latency: from the
publisher's \`xbd_fleet_publish()\` (its own map entry already in place) to \`xb_bans_add()\`
returning on a subscriber, one clock, one sample per ban and subscriber; percentiles are the
upper bounds of the subscribers' lag histograms (fleet.stats, buckets at most 12.5% wide);
max is exact (max_lag_us), unless an earlier phase had a larger one: then its top bucket.

| phase | samples | median | p90 | p99 | max |
|---|--:|--:|--:|--:|--:|
| $FLEET_BANS bans, $FLEET_RATE/s | ${p[0]} | ${p[1]} ms | ${p[2]} ms | ${p[3]} ms | ${p[4]} ms |
| $FLEET_BURST bans at once | ${q[0]} | ${q[1]} ms | ${q[2]} ms | ${q[3]} ms | ${q[4]} ms |

The burst: $FLEET_BURST lines appended at once; the publisher had decided and published the
last of them ${q[5]} s later, and the last of the $((FLEET_BURST * FLEET_NODES)) map entries was in place
${q[6]} s after the append: $(fdiv $((FLEET_BURST * FLEET_NODES)) "${q[6]}" 0) bans applied a second over the fleet. CPU time
(user + system) during the burst: **${c[0]} µs per ban per subscriber** (reading, checking,
verifying, applying with the journal), ${c[1]} µs of Redis per ban per subscriber (one XREAD
delivery each, plus the publishing script), ${c[2]} µs of the publisher per ban (source,
own map entry and journal, signing, publishing). Over both phases the fleet (its processes
and Redis) used ${c[4]}% of the machine's CPU, other work on the machine ${c[3]}%.

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
