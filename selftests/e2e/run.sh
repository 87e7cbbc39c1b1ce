#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of banctl and the XDP program: every test_* function from test-*.sh runs
# in fresh network namespaces joined by veth (see lib.sh), one line per test:
#   PASS: name | FAIL: name | SKIP: name (reason)
# a test's output only on failure (or with -v / V=1), and the closing line
#   N passed, N failed[, N skipped]
# Exit status 0 iff nothing failed. With CI=true a test that cannot run fails.
#
# Usage: run.sh [-v] [-l] [TEST...]      (TEST with or without the test_ prefix)
# Env:   BANCTL (default build/banctl), V=1, CI=true, CMD_TIMEOUT (seconds per banctl call)

set -u

usage()
{
	cat <<EOF
Usage: $0 [-v] [-l] [-h] [TEST...]
  -v  show every test's output, not only a failing one's (also V=1)
  -l  list the tests and exit
Runs all tests, or only the named ones (test_ping_v4 or ping_v4).
EOF
}

# Enter private network and mount namespaces first: the runner's own namespace then has
# nothing but a down lo, and every netns name and bpffs mount made below dies with it even on
# SIGKILL. Where unshare is refused, the ip-netns namespaces alone still isolate the tests.
if [[ -z ${XBT_UNSHARED:-} && $EUID -eq 0 ]] && unshare -n -m true 2>/dev/null; then
	XBT_UNSHARED=$(readlink /proc/self/ns/mnt) exec unshare -n -m "$BASH" "$(readlink -f "$0")" "$@"
fi
# In a mount namespace of our own (not merely XBT_UNSHARED set), a private /run/netns keeps
# even the names of our netns out of the host's `ip netns list`, whatever happens to us.
if [[ -n ${XBT_UNSHARED:-} && $XBT_UNSHARED == mnt:* && $(readlink /proc/self/ns/mnt) != "$XBT_UNSHARED" ]]; then
	mkdir -p /run/netns && mount -t tmpfs -o mode=0755,size=1m xbt-netns /run/netns
fi

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
for f in "$E2E_DIR"/test-*.sh; do
	# shellcheck source=/dev/null
	. "$f"
done

VERBOSE=0
[[ ${V:-0} == 1 ]] && VERBOSE=1
list_only=0
while getopts "vlh" opt; do
	case $opt in
	v) VERBOSE=1 ;;
	l) list_only=1 ;;
	h)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))

selected=()
if [[ $# -eq 0 ]]; then
	selected=("${ALL_TESTS[@]}")
else
	for name in "$@"; do
		[[ $name == test_* ]] || name=test_$name
		if [[ " ${ALL_TESTS[*]} " != *" $name "* ]]; then
			echo "run.sh: no test named $name (see run.sh -l)" >&2
			exit 2
		fi
		selected+=("$name")
	done
fi
if [[ $list_only -eq 1 ]]; then
	printf '%s\n' "${ALL_TESTS[@]}"
	exit 0
fi

passed=0
failed=0
skipped=0
RUN_LOG=

cleanup()
{
	teardown_env >/dev/null 2>&1
	[[ -n $RUN_LOG ]] && rm -f "$RUN_LOG"
	RUN_LOG=
}
trap cleanup EXIT
trap 'cleanup; echo "run.sh: interrupted" >&2; exit 130' INT
trap 'cleanup; echo "run.sh: terminated" >&2; exit 143' TERM

show_log()
{
	sed 's/^/    /' "$RUN_LOG"
}

# run_one TEST N: setup, the test in a subshell, teardown; prints the verdict line.
run_one()
{
	local t=$1 n=$2 rc reason=
	RUN_LOG=$(mktemp "${TMPDIR:-/tmp}/xbt-$$-log.XXXXXX") || exit 1
	if setup_env "$t" "$n" >>"$RUN_LOG" 2>&1; then
		("$t") </dev/null >>"$RUN_LOG" 2>&1
		rc=$?
	elif in_ci; then
		rc=1
		echo "setup failed (CI=true, no skipping): $(cat "$SKIP_FILE" 2>/dev/null)" >>"$RUN_LOG"
	else
		rc=$SKIP_CODE
	fi
	[[ $rc -eq $SKIP_CODE ]] && reason=$(head -n 1 "$SKIP_FILE" 2>/dev/null)
	teardown_env >>"$RUN_LOG" 2>&1

	case $rc in
	0)
		echo "PASS: $t"
		passed=$((passed + 1))
		[[ $VERBOSE -eq 1 ]] && show_log
		;;
	"$SKIP_CODE")
		echo "SKIP: $t (${reason:-no reason given})"
		skipped=$((skipped + 1))
		[[ $VERBOSE -eq 1 ]] && show_log
		;;
	*)
		echo "FAIL: $t"
		failed=$((failed + 1))
		show_log
		;;
	esac
	rm -f "$RUN_LOG"
	RUN_LOG=
}

n=0
for t in "${selected[@]}"; do
	n=$((n + 1))
	run_one "$t" "$n"
done

if [[ $skipped -gt 0 ]]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[[ $failed -eq 0 ]]
