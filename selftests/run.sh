#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make test`: the unit tests (build/test_progs) then the end-to-end tests (selftests/e2e),
# each printing its own results, then one combined closing line "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
skipped=0

# Adds the counts of a runner's closing line; a runner that printed none counts as failed.
tally() {
	local line=$1 name=$2 p f s
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
		p=${BASH_REMATCH[1]}
		f=${BASH_REMATCH[2]}
		s=${BASH_REMATCH[4]:-0}
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
	else
		echo "run.sh: $name ended without a result line (crashed?)" >&2
		failed=$((failed + 1))
	fi
}

run() {
	local name=$1 out rc
	shift
	echo "==> $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	tally "$(tail -n 1 "$out")" "$name"
	if [ "$rc" -ne 0 ] && grep -qE '^[0-9]+ passed, 0 failed' <(tail -n 1 "$out"); then
		echo "run.sh: $name exited $rc despite no failure" >&2
		failed=$((failed + 1))
	fi
	rm -f "$out"
}

run "unit tests (test_progs)" "$top/build/test_progs"
run "end-to-end tests (netns + veth)" "$top/selftests/e2e/run.sh"
run "soak, shortened (xdpband under ASan/UBSan/LSan)" "$top/selftests/soak.sh" 20000 5000
run "bench smoke (every benchmark at tiny sizes, nothing timed)" "$top/bench/run.sh" smoke
run "fuzz smoke (each libFuzzer harness 5 s)" "$top/fuzz/run.sh" -o "$top/build/fuzz" -t 5 -j 2

echo
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
