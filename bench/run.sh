#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench` (bench/run.sh full): every benchmark of issue 8 side by side with its peer, in
# one run, then docs/BENCHMARKS.md rewritten from the results. Under 15 minutes on 2 vCPUs.
# `make bench-smoke` (bench/run.sh smoke): the same code at tiny sizes, nothing timed or
# written; a benchmark passes when it ran and its output is sane. Last line, both modes:
# "N passed, N failed". `bench/run.sh MODE SECTION...` runs only those sections (prog,
# profile, load, logs, veth) and writes no document; the sections' markdown is kept in
# build/bench/last-MODE/ either way.
#
# Needs root, the build (build/banctl, build/xdpband, build/bench/xb_bench), and nft, ipset,
# iptables, ethtool, fail2ban-regex, bpftool; perf for the profiles (optional).
set -u

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bench/logs.sh
source "$BENCH_DIR/logs.sh"
# shellcheck source=bench/load.sh
source "$BENCH_DIR/load.sh"
# shellcheck source=bench/logpath.sh
source "$BENCH_DIR/logpath.sh"
# shellcheck source=bench/veth.sh
source "$BENCH_DIR/veth.sh"

MODE=${1:-full}
ONLY=("${@:2}")
DOC=$TOP_DIR/docs/BENCHMARKS.md
TSV=
passed=0
failed=0

case $MODE in
full)
	PROG_ARGS=(--sizes '0,1k,10k,100k,1M' --rounds 5 --call-ms 30)
	PROG_MAX=1000000
	LOAD_N=1000000 LOAD_ROUNDS=3
	LOG_N=1000000 LOG_F2B=100000 LOG_ROUNDS=3
	VETH_ROUNDS=5 VETH_SECS=1 VETH_SIZES=(1 10000 1000000)
	SETTLE_S=2
	# perf profiles next to the misses (only when perf works)
	PROFILE=1
	;;
smoke)
	PROG_ARGS=(--sizes '0,1k' --rounds 1 --repeat 10k --call-ms 5)
	PROG_MAX=1000
	LOAD_N=10000 LOAD_ROUNDS=1
	LOG_N=5000 LOG_F2B=1000 LOG_ROUNDS=1
	VETH_ROUNDS=1 VETH_SECS=0.1 VETH_SIZES=(1 1000) VETH_CALIB=100000
	SETTLE_S=0.2
	PROFILE=0
	;;
*)
	echo "Usage: bench/run.sh full|smoke [prog|profile|load|logs|veth]..." >&2
	exit 2
	;;
esac

preflight()
{
	local t missing=()
	if [[ $(id -u) -ne 0 ]]; then
		echo "bench: must run as root (BPF, namespaces, bpffs)" >&2
		exit 1
	fi
	for t in "$BANCTL" "$BUILD/xdpband" "$XB_BENCH"; do
		[[ -x $t ]] || missing+=("$t (make)")
	done
	for t in nft ipset iptables ethtool fail2ban-regex bpftool taskset; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	if ((${#missing[@]})); then
		echo "bench: missing ${missing[*]}; scripts/install-deps.sh installs the packages" >&2
		exit 1
	fi
}

# section NAME FUNC ARGS...: runs one benchmark, its markdown into WORK/NAME.md.
section()
{
	local name=$1 t0 rc
	shift
	if ((${#ONLY[@]})) && [[ " ${ONLY[*]} " != *" $name "* ]]; then
		return 0
	fi
	say "$name ..."
	t0=$(now_ns)
	"$@" >"$WORK/$name.md"
	rc=$?
	if [[ $rc -eq 0 ]]; then
		passed=$((passed + 1))
		echo "PASS $name ($(fdiv $(($(now_ns) - t0)) 1000000000 0) s)"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		printf '\n**This benchmark failed in this run (exit %d); see the log of make bench.**\n' \
			"$rc" >>"$WORK/$name.md"
	fi
	return 0
}

# ---- 1. per packet ----

bench_prog()
{
	local out=$WORK/prog.out
	echo '```'
	echo "build/bench/xb_bench prog ${PROG_ARGS[*]}"
	echo '```'
	echo
	"$XB_BENCH" prog "${PROG_ARGS[@]}" --tsv "$WORK/prog.tsv" >"$out" 2>"$WORK/prog.err" || {
		cat "$WORK/prog.err" >&2
		return 1
	}
	cat "$WORK/prog.tsv" >>"$TSV"
	# Sane: every row present and timed, xdpban's cases above the no-op floor.
	awk -F'\t' '$1 == "prog" && ($5 == 0 || ($4 != "no-op" && $4 != "parse" && $5 < $6)) { bad = 1 }
		END { exit bad }' \
		"$WORK/prog.tsv" || {
		say "per-packet: a time at or under the no-op floor"
		return 1
	}
	grep -q "^prog	4	$PROG_MAX	exact hit" "$WORK/prog.tsv" || return 1
	echo "ns/packet, median of the rounds, \"(+N)\": over the no-op floor measured in the same"
	echo "round. bans/map N: N exact bans in each exact map and N prefix bans in each LPM map."
	echo
	cat "$out"
	echo
	echo "The common case of an edge box, exact bans only and an empty allow list: the program"
	echo "skips the tries xb_holds marks empty, so a miss costs one hash lookup."
	echo
	echo '```'
	echo "build/bench/xb_bench prog --exact-only ${PROG_ARGS[*]}"
	echo '```'
	echo
	"$XB_BENCH" prog --exact-only "${PROG_ARGS[@]}" --tsv "$WORK/progx.tsv" >"$out" \
		2>"$WORK/prog.err" || {
		cat "$WORK/prog.err" >&2
		return 1
	}
	cat "$WORK/progx.tsv" >>"$TSV"
	cat "$out"
}

# profile_case SIZE CASE: perf's top symbols while xb_bench runs one case, as markdown.
profile_case()
{
	local size=$1 what=$2 err=$WORK/profile.err data=$WORK/perf.data pid i
	: >"$err"
	"$XB_BENCH" prog --sizes "$size" --only "$what" --rounds 31 --call-ms 150 \
		>/dev/null 2>>"$err" &
	pid=$!
	for ((i = 0; i < 12000; i++)); do
		grep -q measuring "$err" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	perf record -q -g -p "$pid" -o "$data" -- sleep 2 >/dev/null 2>&1
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo
	echo "\`$what\` at $size bans (\`perf record -g -p PID\` during the timed calls; self time):"
	echo
	perf_top "$data"
	perf_top3 "$data" >"$WORK/top-prog-${what/:/-}.txt"
	rm -f "$data"
}

bench_profile()
{
	if ! have_perf; then
		echo "(perf is not installed or not allowed here: no profile)"
		return 0
	fi
	echo "Where the time goes, for the targets: bpf_prog_*_xdpban is the program's own code"
	echo "(inlined parse, counters, atomics), bpf_prog_*_xb_log_drop the drop-log subprogram;"
	echo "the rest are the kernel helpers it calls."
	profile_case "$PROG_MAX" 4:exact
	profile_case 1000 4:prefix
}

# ---- document ----

machine()
{
	local cpu
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "- CPU: $cpu, $(nproc) vCPUs; $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
	echo "- Kernel: $(uname -r) ($(uname -m)); clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
	echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "- Peers: $(nft --version), $(ipset --version | head -n 1), $(iptables -V), $(fail2ban-regex --version 2>/dev/null | head -n 1)"
	echo "- xdpban: commit $(git -C "$TOP_DIR" rev-parse --short HEAD 2>/dev/null)$(git -C "$TOP_DIR" diff --quiet 2>/dev/null || echo " + uncommitted changes")"
	echo "- Run: $(date -u '+%Y-%m-%d %H:%M UTC'), \`make bench\` in $1 s"
}

# target_row WHAT GOAL MEASURED MET [TOPFILE]: one row; a miss names where its time goes,
# the top three symbols of its profile.
target_row()
{
	local where=
	[[ $4 != 1 && -n ${5:-} && -s $WORK/$5 ]] && where=$(cat "$WORK/$5")
	printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" \
		"$([[ $4 == 1 ]] && echo met || echo "**missed**")" "$where"
}

# ge A B: 1 when the decimal A >= B.
ge()
{
	awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? 1 : 0 }'
}

targets()
{
	local v f kind full ratio n goal
	echo "| target | goal | measured | | where the time goes (top self time of its profile) |"
	echo "|---|---|---|---|---|"
	for f in 4 6; do
		v=$(awk -F'\t' -v m="$PROG_MAX" -v f="$f" '$1 == "prog" && $2 == f && $3 == m &&
			$4 == "exact hit" { print $5 - $6 }' "$TSV")
		[[ -n $v ]] && target_row "per packet, IPv$f exact hit, $PROG_MAX bans, over no-op" \
			"≤ 50 ns" "$v ns" "$((v <= 50))" top-prog-4-exact.txt
	done
	v=$(awk -F'\t' '$1 == "load" && $2 ~ /no journal/ { ours = $4 }
		$1 == "load" && $2 ~ /nft -f/ { nft = $4 }
		END { if (ours && nft) printf "%.2f\n", nft / ours }' "$TSV")
	[[ -n $v ]] && target_row "loading $LOAD_N bans, banctl add - vs nft -f" "≥ 3×" "$v×" \
		"$(ge "$v" 3)" top-load.txt
	while read -r kind full ratio; do
		target_row "log path, $kind, lines/s (whole file, one core)" "≥ 1M/s" \
			"$(rate "$full" 1000000000)/s" "$(ge "$full" 1000000)" "top-log-$kind.txt"
		target_row "log path, $kind, vs fail2ban-regex" "≥ 40×" "$ratio×" "$(ge "$ratio" 40)" \
			"top-log-$kind.txt"
	done < <(awk -F'\t' '$1 == "log" { printf "%s %s %.1f\n", $2, $3, $4 / $5 }' "$TSV")
	while read -r n ratio; do
		goal=5
		((n > 10000)) && goal=2
		target_row "veth receive cost, native XDP vs nft ingress, $n addresses" "≥ $goal×" \
			"$ratio×" "$(ge "$ratio" "$goal")" top-veth-native.txt
	done < <(awk -F'\t' '$1 == "veth" && $2 == "native" { print $3, $5 }' "$TSV")
}

write_doc()
{
	local secs=$1 tmp=$DOC.tmp
	mkdir -p "$(dirname "$DOC")"
	{
		echo "# Benchmarks"
		echo
		echo "Written by \`make bench\` (bench/run.sh); edit bench/, not this file. Every"
		echo "number below comes from one run, peers measured next to xdpban in the same run:"
		echo "absolute times on this shared machine drift by up to 2× within seconds, ratios"
		echo "measured side by side hold much better. See bench/README.md for the methods."
		echo
		echo "## Machine"
		echo
		machine "$secs"
		echo
		echo "## Targets (issue 8)"
		echo
		targets
		echo
		echo "Each section below carries the full profiles; a veth row's profile is the"
		echo "largest size's. Sections that failed in this run say so at their end."
		echo
		echo "## 1. Per-packet cost, BPF_PROG_TEST_RUN"
		echo
		cat "$WORK/prog.md"
		echo
		echo "### Where the time goes"
		echo
		cat "$WORK/profile.md"
		echo
		echo "## 2. Loading bans, and memory"
		echo
		cat "$WORK/load.md"
		echo
		echo "## 3. Log path"
		echo
		echo "\`banctl test-source --config CONF s FILE\` (config: bench/logs.sh \`xb_source_conf\`) vs"
		echo "\`fail2ban-regex FILE FILTER\`; generators and both patterns in bench/logs.sh. Wall"
		echo "time, median of $LOG_ROUNDS runs for banctl, one run of fail2ban-regex."
		echo "Ratio = banctl's lines/s ÷ fail2ban-regex's, on the same first $LOG_F2B lines."
		echo
		cat "$WORK/logs.md"
		echo
		echo "## 4. Real frames through a veth pair"
		echo
		echo "Sender: \`taskset -c $VETH_CPU build/bench/xb_bench txgen --ifname IF --addrs FILE"
		echo "--seconds $VETH_SECS\` in its namespace (BPF_F_TEST_XDP_LIVE_FRAMES, XDP_TX, 64-byte"
		echo "UDP frames, batch 64). Receiver variants set up as in bench/veth.sh. Receive cost ="
		echo "NET_RX softirq time of the sending CPU ÷ frames (veth runs the peer's NAPI there);"
		echo "every frame is checked to be dropped by the variant's own counter. Ratios are"
		echo "taken within each round, then the median. The sender column is the task's exact"
		echo "CPU time less the tick-sampled softirq time, so it is only good to about ±20 ns."
		cat "$WORK/veth.md"
	} >"$tmp" && mv "$tmp" "$DOC"
}

# snapshot_bins: copies of the binaries, so that a rebuild of build/ while this runs (others
# may run make in the same tree) cannot mix two versions into one run's numbers.
snapshot_bins()
{
	mkdir -p "$WORK/bin" &&
		cp "$BANCTL" "$BUILD/xdpband" "$XB_BENCH" "$WORK/bin/" || return 1
	BANCTL=$WORK/bin/banctl
	XB_BENCH=$WORK/bin/xb_bench
	XDPBAND=$WORK/bin/xdpband
}

main()
{
	local t0
	preflight
	bench_init || exit 1
	snapshot_bins || exit 1
	TSV=$WORK/results.tsv
	: >"$TSV"
	t0=$(now_ns)
	section prog bench_prog
	if [[ $MODE == full ]]; then
		section profile bench_profile
	fi
	section load bench_load "$LOAD_N" "$LOAD_ROUNDS"
	section logs bench_logs "$LOG_N" "$LOG_F2B" "$LOG_ROUNDS"
	section veth bench_veth "$VETH_ROUNDS" "$VETH_SECS" "${VETH_SIZES[@]}"
	# Every section's markdown and the raw numbers, for a look after the run.
	rm -rf "$BUILD/bench/last-$MODE" && mkdir -p "$BUILD/bench/last-$MODE" &&
		cp "$WORK"/*.md "$TSV" "$BUILD/bench/last-$MODE/"
	if [[ $MODE == full && ${#ONLY[@]} == 0 ]]; then
		write_doc "$(fdiv $(($(now_ns) - t0)) 1000000000 0)"
		say "wrote $DOC"
		targets
	fi
	echo "$passed passed, $failed failed"
	[[ $failed -eq 0 ]]
}

main
