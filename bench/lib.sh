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

# Everything this run made carries TAG or lives under WORK, so cleanup finds it even when a
# subshell created it: namespaces named TAG-*, bpffs mounts under WORK.
bench_cleanup()
{
	local ns m
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		[[ $ns == "$TAG"-* ]] && ip netns del "$ns" 2>/dev/null
	done
	if [[ -n $WORK && -d $WORK ]]; then
		awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
			while read -r m; do
				umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
			done
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

# netns_new NAME: a namespace (NAME must start with TAG-) with lo up.
netns_new()
{
	local ns=$1
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
}

netns_del()
{
	ip netns del "$1" 2>/dev/null
	return 0
}

# pin_new DIR: a private bpffs under WORK for `banctl --pin-dir` (`ip netns exec` remounts
# /sys, so /sys/fs/bpf is not seen inside a namespace; a bpffs elsewhere is).
pin_new()
{
	mkdir -p "$1" && mount -t bpf bpf "$1"
}

pin_del()
{
	umount "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
	rmdir "$1" 2>/dev/null
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

# median N...: the median of integers (the mean of the middle two for an even count).
median()
{
	printf '%s\n' "$@" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.0f\n", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2 }'
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

# kmem_file: where this process's memory cgroup counts the kernel memory charged to it
# (cgroup v1 memory.kmem.usage_in_bytes, or v2 memory.stat), if it can be read. Nothing else
# on the machine is charged there, unlike /proc/meminfo; it is only read, never changed.
kmem_file()
{
	local path f
	path=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
	f=/sys/fs/cgroup/memory$path/memory.kmem.usage_in_bytes
	if [[ -n $path && -r $f ]]; then
		echo "$f"
		return 0
	fi
	path=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	f=/sys/fs/cgroup$path/memory.stat
	[[ -n $path && -r $f ]] && grep -q '^slab ' "$f" && echo "$f"
}

# kmem_kb FILE: that counter in kB (v2: slab + percpu + vmalloc).
kmem_kb()
{
	case $1 in
	*.usage_in_bytes) echo $(($(cat "$1") / 1024)) ;;
	*) awk '/^(slab|percpu|vmalloc) / { s += $2 } END { print int(s / 1024) }' "$1" ;;
	esac
}

# settle: lets RCU-deferred frees of an earlier step land before a memory reading
# (SETTLE_S seconds, default 1).
settle()
{
	sync
	sleep "${SETTLE_S:-1}"
}

# perf_top DATA [PERF-REPORT-ARGS...]: the symbols with at least 1.5% of the samples (self
# time), as markdown table rows; nothing when perf is missing.
perf_top()
{
	local data=$1
	shift
	echo "| share | symbol |"
	echo "|--:|---|"
	perf report -i "$data" --no-children --sort sym -g none --percent-limit 1.5 "$@" 2>/dev/null |
		awk '/^ +[0-9.]+%/ {
			sym = $0
			sub(/^ +[0-9.]+% +\[[^]]*\] +/, "", sym)
			printf "| %s | `%s` |\n", $1, sym
		}'
}

# perf_top3 DATA [PERF-REPORT-ARGS...]: "sym 12.3%, sym 4.5%, sym 1.2%", the top three.
perf_top3()
{
	local data=$1
	shift
	perf report -i "$data" --no-children --sort sym -g none "$@" 2>/dev/null |
		awk '/^ +[0-9.]+%/ && n < 3 {
			sym = $0
			sub(/^ +[0-9.]+% +\[[^]]*\] +/, "", sym)
			out = out (n++ ? ", " : "") "`" sym "` " $1
		} END { print out }'
}

have_perf()
{
	command -v perf >/dev/null && perf record -q -o /dev/null -- true >/dev/null 2>&1
}

say()
{
	echo "bench: $*" >&2
}
