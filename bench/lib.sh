# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the benchmark scripts share: names that carry this run's pid, a cleanup that undoes
# everything created (namespaces, bpffs mounts, files) whether the run passes or fails, and
# small helpers for timing and arithmetic. Sourced by bench/run.sh.
#
# Nothing here touches the machine's own interfaces or firewall: every veth pair lives
# between namespaces this run creates, every nft table and ipset lives inside one of them
# (so deleting the namespace deletes it), and every pin dir is a private bpffs in WORK.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${BUILD:-$TOP_DIR/build}
BANCTL=${BANCTL:-$BUILD/banctl}
XB_BENCH=${XB_BENCH:-$BUILD/bench/xb_bench}
# Short: interface names have 15 characters, and every name gets this in it.
TAG=xbb$$

WORK=
BENCH_NETNS=()
BENCH_MOUNTS=()

bench_cleanup()
{
	local ns m
	for ns in "${BENCH_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for m in "${BENCH_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	if [[ -n $WORK && -d $WORK ]]; then
		rm -rf "$WORK"
	fi
}

bench_init()
{
	WORK=$(mktemp -d /tmp/xdpban-bench.XXXXXX) || return 1
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# netns_new NAME: a namespace with lo up, deleted by bench_cleanup.
netns_new()
{
	local ns=$1
	ip netns add "$ns" || return 1
	BENCH_NETNS+=("$ns")
	ip -n "$ns" link set lo up
}

netns_del()
{
	local ns=$1 i
	ip netns del "$ns" 2>/dev/null
	for i in "${!BENCH_NETNS[@]}"; do
		[[ ${BENCH_NETNS[$i]} == "$ns" ]] && unset 'BENCH_NETNS[i]'
	done
	return 0
}

# pin_new DIR: a private bpffs for `banctl --pin-dir` (`ip netns exec` remounts /sys, so
# /sys/fs/bpf is not seen inside a namespace; a bpffs elsewhere is).
pin_new()
{
	local dir=$1
	mkdir -p "$dir" && mount -t bpf bpf "$dir" || return 1
	BENCH_MOUNTS+=("$dir")
}

pin_del()
{
	local dir=$1 i
	umount "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null
	for i in "${!BENCH_MOUNTS[@]}"; do
		[[ ${BENCH_MOUNTS[$i]} == "$dir" ]] && unset 'BENCH_MOUNTS[i]'
	done
	rmdir "$dir" 2>/dev/null
	return 0
}

now_ns()
{
	date +%s%N
}

# timed VAR CMD...: runs CMD, stores its wall time in ns in VAR; returns CMD's status.
timed()
{
	local -n _out=$1
	local t0 rc
	shift
	t0=$(now_ns)
	"$@"
	rc=$?
	_out=$(($(now_ns) - t0))
	return "$rc"
}

# median N...: the median of integers (the lower middle one for an even count).
median()
{
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# fdiv A B [DIGITS]: A / B as a decimal; "n/a" when B is 0.
fdiv()
{
	awk -v a="$1" -v b="$2" -v d="${3:-1}" \
		'BEGIN { if (b == 0) print "n/a"; else printf "%.*f\n", d, a / b }'
}

# meminfo_kb: kernel memory that grows with sets and maps — Slab + VmallocUsed + Percpu.
meminfo_kb()
{
	awk '/^(Slab|VmallocUsed|Percpu):/ { s += $2 } END { print s }' /proc/meminfo
}

# settle: lets RCU-deferred frees of an earlier step land before a memory reading.
settle()
{
	sync
	sleep "${1:-1}"
}

say()
{
	echo "bench: $*" >&2
}
