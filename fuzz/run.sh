#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs libFuzzer harnesses built by fuzz/fuzz.mk. For each harness: its regression inputs
# (fuzz/regressions/HARNESS/*) once each, then fuzzing for SECONDS on a copy of its seed
# corpus (fuzz/corpus/HARNESS, never written to). A harness passes when neither crashes,
# leaks, hangs nor breaks an invariant. Prints one line per harness with executions and
# final coverage (cov: edges, ft: features), the total, and a closing "N passed, N failed".
# A crash's input is kept under OUTDIR/crashes/HARNESS/ and its report printed.
#
# usage: fuzz/run.sh [-o OUTDIR] [-t SECONDS] [-j JOBS] [-T PER_INPUT_S] [HARNESS...]
#                    [-- LIBFUZZER_FLAG...]
# Without HARNESS, every built OUTDIR/fuzz_*.
set -u

here=$(cd "$(dirname "$0")" && pwd)
out=build/fuzz
seconds=60
jobs=1
per_input=10

usage()
{
	sed -n 's/^# usage: //p' "$0" >&2
	exit 2
}

while getopts "o:t:j:T:h" opt; do
	case $opt in
	o) out=$OPTARG ;;
	t) seconds=$OPTARG ;;
	j) jobs=$OPTARG ;;
	T) per_input=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))

harnesses=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	harnesses+=("$1")
	shift
done
[ "${1:-}" = "--" ] && shift
extra=("$@")

for n in "$seconds" "$jobs" "$per_input"; do
	case $n in
	'' | *[!0-9]* | 0) echo "run.sh: '$n' is not a positive whole number" >&2 && usage ;;
	esac
done

if [ ${#harnesses[@]} -eq 0 ]; then
	for bin in "$out"/fuzz_*; do
		[ -x "$bin" ] && harnesses+=("$(basename "$bin")")
	done
fi
if [ ${#harnesses[@]} -eq 0 ]; then
	echo "run.sh: no harness built in $out; run 'make fuzz-build'" >&2
	exit 1
fi

mkdir -p "$out/logs" "$out/results"

# libFuzzer's final "stat::NAME: VALUE" line, or "?".
stat()
{
	local v

	v=$(sed -n "s/^stat::$1: *//p" "$2" | tail -n 1)
	echo "${v:-?}"
}

# The last "cov: N ft: N" libFuzzer printed: its coverage when it stopped.
coverage()
{
	local v

	v=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$1" | tail -n 1)
	echo "${v:-cov: ? ft: ?}"
}

# Where the crash input went, what broke, and the stack without libFuzzer's own frames.
report()
{
	local log=$1

	sed -n 's/.*Test unit written to \(.*\)/  input: \1/p' "$log"
	awk '/invariant failed|ERROR:|runtime error:|^SUMMARY|ALARM|Timeout|leak of|READ of|WRITE of/ ||
		(/^ *#[0-9]+ 0x/ && !/fuzzer::|__sanitizer_|libc_start|_start |abort|raise|pthread_kill/)' \
		"$log" | head -n 40 | sed 's/^/  | /'
}

# Regression inputs once each, then fuzzing; writes one result line, prints it.
run_one()
{
	local h=$1 bin="$out/$1" log="$out/logs/$1.log" res="$out/results/$1"
	local work="$out/work/$1" crashes="$out/crashes/$1/" regs=() status=PASS why=""

	if [ ! -x "$bin" ]; then
		echo "FAIL $h not built" >"$res"
		cat "$res"
		return
	fi
	if [ -d "$here/regressions/$h" ]; then
		mapfile -t regs < <(find "$here/regressions/$h" -type f | sort)
	fi
	if [ ${#regs[@]} -gt 0 ] &&
		! "$bin" -timeout="$per_input" "${regs[@]}" >"$out/logs/$h.regressions.log" 2>&1; then
		status=FAIL
		why=" (a regression input fails: $out/logs/$h.regressions.log)"
		log="$out/logs/$h.regressions.log"
	else
		rm -rf "$work"
		mkdir -p "$work" "$crashes"
		if [ -d "$here/corpus/$h" ]; then
			cp -r "$here/corpus/$h/." "$work/"
		fi
		if ! "$bin" -max_total_time="$seconds" -timeout="$per_input" -print_final_stats=1 \
			-artifact_prefix="$crashes" "${extra[@]}" "$work" >"$log" 2>&1; then
			status=FAIL
			why=" (see $log)"
		fi
	fi
	printf '%s %-20s execs %12s  %-22s  exec/s %8s  corpus %6s%s\n' "$status" "$h" \
		"$(stat number_of_executed_units "$log")" "$(coverage "$log")" \
		"$(stat average_exec_per_sec "$log")" "$(find "$work" -type f 2>/dev/null | wc -l)" \
		"$why" >"$res"
	cat "$res"
	[ $status = PASS ] || report "$log"
}

echo "fuzzing ${#harnesses[@]} harnesses for ${seconds}s each, $jobs at a time"
running=0
for h in "${harnesses[@]}"; do
	rm -f "$out/results/$h"
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$h" &
	running=$((running + 1))
done
wait

passed=0
failed=0
total=0
for h in "${harnesses[@]}"; do
	res=$(cat "$out/results/$h" 2>/dev/null)
	case $res in
	PASS*) passed=$((passed + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
	n=$(awk '{ print $4 }' <<<"$res")
	case $n in
	'' | *[!0-9]*) ;;
	*) total=$((total + n)) ;;
	esac
done
echo "total execs: $total"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
