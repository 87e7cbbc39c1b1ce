# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The end-to-end harness of xdpban, sourced by run.sh (after the same pattern as xdp-tools'
# lib/testing/test_runner.sh). Each test gets a fresh topology:
#
#   NS_A (sender)                       NS_B (receiver, xdpban on IF_B)
#   IF_A 10.11.1.1/24 fd11::1/64  <-->  IF_B 10.11.1.2/24 fd11::2/64
#
# and, on request (add_ns_c), a third namespace joined to B:
#
#   NS_C (sender)                       NS_B
#   IF_C 10.11.2.1/24 fd12::1/64  <-->  IF_B2 10.11.2.2/24 fd12::2/64
#
# plus a private bpffs in PIN_DIR that every banctl call gets through --pin-dir (`ip netns
# exec` remounts /sys, so /sys/fs/bpf is not shared with the namespaces). Every name carries
# the runner's pid and the test's number, and teardown_env removes all of it.
#
# A test is a function test_<name> that a test-*.sh file appends to ALL_TESTS. It runs in a
# subshell with its output captured: it fails by exiting non-zero (the check_* and assert_*
# helpers do that), and skips by exiting 249 through skip(). Inside $(...) a failing helper
# only leaves the substitution, so write `x=$(check_run ...) || exit 1` there.

SKIP_CODE=249

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$E2E_DIR/../.." && pwd)
BANCTL=${BANCTL:-$TOP_DIR/build/banctl}
PYTHON=/usr/bin/python3
# Upper bound for one banctl call, so a hung call fails its test instead of the run.
CMD_TIMEOUT=${CMD_TIMEOUT:-60}

# Filled by the test-*.sh files, run by run.sh.
# shellcheck disable=SC2034
ALL_TESTS=()
# Tests that want to load the program themselves (setup_env then only builds the topology).
NO_AUTOLOAD=()

# Set per test by setup_env; teardown_env only touches what is set here.
NS_A=
NS_B=
NS_C=
IF_A=
IF_B=
IF_B2=
IF_C=
PIN_DIR=
PIN_MOUNTED=
PIN_BASELINE=
TEST_TMP=
SKIP_FILE=

ADDR_A4=10.11.1.1
ADDR_B4=10.11.1.2
ADDR_A6=fd11::1
ADDR_B6=fd11::2
ADDR_C4=10.11.2.1
ADDR_B24=10.11.2.2
ADDR_C6=fd12::1
ADDR_B26=fd12::2

in_ci()
{
	[[ ${CI:-} == true ]]
}

# skip REASON: ends the test as SKIP outside CI; in CI a missing prerequisite is a failure.
skip()
{
	if in_ci; then
		echo "FAIL (CI=true, cannot skip): $*" >&2
		exit 1
	fi
	[[ -n $SKIP_FILE ]] && echo "$*" >"$SKIP_FILE"
	exit "$SKIP_CODE"
}

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

# --- running commands --------------------------------------------------------------------

# _run_capture OUT ERR CMD...: runs CMD with stdout and stderr in the two files, returns its status.
_run_capture()
{
	local out=$1 err=$2
	shift 2
	"$@" >"$out" 2>"$err"
}

_show_output()
{
	local out=$1 err=$2
	if [[ -s $out ]]; then
		echo "  stdout:"
		sed 's/^/    /' "$out"
	fi
	if [[ -s $err ]]; then
		echo "  stderr:"
		sed 's/^/    /' "$err"
	fi
}

# check_run CMD...: CMD must exit 0; its stdout and stderr are passed through. Otherwise prints
# the command, its status and output, and fails the test.
check_run()
{
	local out err rc
	if ! { out=$(mktemp -p "$TEST_TMP") && err=$(mktemp -p "$TEST_TMP"); }; then
		fail "mktemp in $TEST_TMP"
	fi
	_run_capture "$out" "$err" "$@"
	rc=$?
	if [[ $rc -ne 0 ]]; then
		{
			echo "check_run: '$*' exited $rc, expected 0"
			_show_output "$out" "$err"
		} >&2
		rm -f "$out" "$err"
		exit 1
	fi
	cat "$out"
	cat "$err" >&2
	rm -f "$out" "$err"
}

# check_fail CODE CMD...: CMD must exit with exactly CODE; its stdout and stderr are passed
# through (stdout unchanged, so it can be captured).
check_fail()
{
	local want=$1 out err rc
	shift
	if ! { out=$(mktemp -p "$TEST_TMP") && err=$(mktemp -p "$TEST_TMP"); }; then
		fail "mktemp in $TEST_TMP"
	fi
	_run_capture "$out" "$err" "$@"
	rc=$?
	if [[ $rc -ne $want ]]; then
		{
			echo "check_fail: '$*' exited $rc, expected $want"
			_show_output "$out" "$err"
		} >&2
		rm -f "$out" "$err"
		exit 1
	fi
	echo "(exited $rc as expected): $*" >&2
	cat "$out"
	cat "$err" >&2
	rm -f "$out" "$err"
}

# banctl_in NS ARGS...: banctl in namespace NS on this test's pin dir.
banctl_in()
{
	local ns=$1
	shift
	timeout --foreground "$CMD_TIMEOUT" ip netns exec "$ns" "$BANCTL" --pin-dir "$PIN_DIR" "$@"
}

banctl_b()
{
	banctl_in "$NS_B" "$@"
}

# bjson ARGS...: `banctl -j ARGS` in B, which must succeed; prints its JSON.
bjson()
{
	check_run banctl_b -j "$@"
}

# json_q EXPR [ARG...]: evaluates the Python expression EXPR with d = the JSON document on
# stdin and a = [ARG...]; prints the result (true/false/null for booleans and None, compact
# JSON for lists and objects). Fails the test (or the substitution) on bad JSON.
json_q()
{
	"$PYTHON" -c '
import json, sys
raw = sys.stdin.read()
try:
    d = json.loads(raw)
except ValueError as e:
    sys.exit("json_q: not JSON (%s): %r" % (e, raw[:300]))
try:
    v = eval(sys.argv[1], {"d": d, "a": sys.argv[2:]})
except Exception as e:
    sys.exit("json_q: %s on %s: %s: %s" % (sys.argv[1], raw[:300], type(e).__name__, e))
if isinstance(v, bool):
    print("true" if v else "false")
elif v is None:
    print("null")
elif isinstance(v, (dict, list)):
    print(json.dumps(v, sort_keys=True))
else:
    print(v)
' "$@" || fail "json_q '$1' on invalid input"
}

# stat_total KEY: a counter summed over interfaces, from `banctl -j stats`.
stat_total()
{
	local js
	js=$(bjson stats) || exit 1
	json_q 'd["total"][a[0]]' "$1" <<<"$js"
}

# stat_iface IFNAME KEY: one interface's counter.
stat_iface()
{
	local js
	js=$(bjson stats) || exit 1
	json_q 'next((i[a[1]] for i in d["interfaces"] if i["name"] == a[0]), "<no such interface>")' \
		"$1" "$2" <<<"$js"
}

# ban_field PREFIX KEY: a field of one ban from `banctl -j list`, "<missing>" if not listed.
ban_field()
{
	local js
	js=$(bjson list) || exit 1
	json_q 'next((b[a[1]] for b in d if b["prefix"] == a[0]), "<missing>")' "$1" "$2" <<<"$js"
}

# wait_ban PREFIX REASON: until PREFIX is banned with REASON (3 s); the assertion is the
# caller's.
wait_ban()
{
	local i
	for ((i = 0; i < 30; i++)); do
		[[ $(ban_field "$1" reason) == "$2" ]] && return 0
		sleep 0.1
	done
	return 1
}

# allow_field PREFIX KEY: the same for `banctl -j allow list`.
allow_field()
{
	local js
	js=$(bjson allow list) || exit 1
	json_q 'next((b[a[1]] for b in d if b["prefix"] == a[0]), "<missing>")' "$1" "$2" <<<"$js"
}

# --- assertions --------------------------------------------------------------------------

assert_eq()
{
	local actual=$1 expected=$2 what=$3
	[[ $actual == "$expected" ]] || fail "$what: expected '$expected', got '$actual'"
	echo "ok: $what = '$actual'"
}

_is_num()
{
	[[ $1 =~ ^-?[0-9]+$ ]]
}

assert_gt()
{
	local actual=$1 bound=$2 what=$3
	_is_num "$actual" || fail "$what: expected a number > $bound, got '$actual'"
	((actual > bound)) || fail "$what: expected > $bound, got $actual"
	echo "ok: $what = $actual (> $bound)"
}

assert_ge()
{
	local actual=$1 bound=$2 what=$3
	_is_num "$actual" || fail "$what: expected a number >= $bound, got '$actual'"
	((actual >= bound)) || fail "$what: expected >= $bound, got $actual"
	echo "ok: $what = $actual (>= $bound)"
}

assert_le()
{
	local actual=$1 bound=$2 what=$3
	_is_num "$actual" || fail "$what: expected a number <= $bound, got '$actual'"
	((actual <= bound)) || fail "$what: expected <= $bound, got $actual"
	echo "ok: $what = $actual (<= $bound)"
}

# --- traffic -----------------------------------------------------------------------------

# _ping FAMILY [FROM_NS TO_ADDR]: one echo request, one second to answer.
_ping()
{
	local fam=$1 ns=${2:-$NS_A} to=${3:-}
	local -a six=()
	if [[ $fam == v6 ]]; then
		six=(-6)
		to=${to:-$ADDR_B6}
	else
		to=${to:-$ADDR_B4}
	fi
	ip netns exec "$ns" ping "${six[@]}" -n -q -c1 -W1 "$to" >/dev/null 2>&1
}

# ping_ok v4|v6 [FROM_NS TO_ADDR]: must get a reply (default A -> B). Up to three tries, so
# a neighbour entry that went stale while the sender was banned cannot flake it.
ping_ok()
{
	local fam=$1 ns=${2:-$NS_A} to=${3:-} try
	for try in 1 2 3; do
		if _ping "$fam" "$ns" "$to"; then
			echo "ok: ping $fam from $ns ${to:-to B} answered (try $try)"
			return 0
		fi
	done
	fail "ping $fam from $ns ${to:-to B} got no reply in 3 tries, expected to pass"
}

# ping_dropped v4|v6 [FROM_NS TO_ADDR]: must get no reply. Callers also check the counters,
# which tell an XDP drop from any other loss.
ping_dropped()
{
	local fam=$1 ns=${2:-$NS_A} to=${3:-}
	if _ping "$fam" "$ns" "$to"; then
		fail "ping $fam from $ns ${to:-to B} was answered, expected it dropped"
	fi
	echo "ok: ping $fam from $ns ${to:-to B} got no reply"
}

# --- topology ----------------------------------------------------------------------------

# _wait_up NS IFACE: waits (up to 5 s) until the kernel reports the link operationally up.
_wait_up()
{
	local ns=$1 dev=$2 i
	for ((i = 0; i < 100; i++)); do
		[[ $(ip -n "$ns" -br link show dev "$dev" 2>/dev/null) == *" UP "* ]] && return 0
		sleep 0.05
	done
	echo "link $dev in $ns did not come up" >&2
	return 1
}

# _warm_up NS ADDR4 ADDR6: pings both families until they answer (up to ~5 s each).
_warm_up()
{
	local ns=$1 a4=$2 a6=$3 i
	for ((i = 0; i < 5; i++)); do
		_ping v4 "$ns" "$a4" && break
	done
	((i < 5)) || {
		echo "no IPv4 connectivity from $ns to $a4 before xdpban was loaded" >&2
		return 1
	}
	for ((i = 0; i < 5; i++)); do
		_ping v6 "$ns" "$a6" && break
	done
	((i < 5)) || {
		echo "no IPv6 connectivity from $ns to $a6 before xdpban was loaded" >&2
		return 1
	}
}

# _veth NS1 IF1 ADDR1_4 ADDR1_6 NS2 IF2 ADDR2_4 ADDR2_6: a veth pair between two namespaces.
_veth()
{
	local ns1=$1 if1=$2 a14=$3 a16=$4 ns2=$5 if2=$6 a24=$7 a26=$8
	ip link add "$if1" netns "$ns1" type veth peer name "$if2" netns "$ns2" || return 1
	ip -n "$ns1" addr add "$a14/24" dev "$if1" &&
		ip -n "$ns1" addr add "$a16/64" dev "$if1" nodad &&
		ip -n "$ns2" addr add "$a24/24" dev "$if2" &&
		ip -n "$ns2" addr add "$a26/64" dev "$if2" nodad &&
		ip -n "$ns1" link set "$if1" up &&
		ip -n "$ns2" link set "$if2" up &&
		_wait_up "$ns1" "$if1" && _wait_up "$ns2" "$if2" &&
		_warm_up "$ns1" "$a24" "$a26"
}

_new_ns()
{
	ip netns add "$1" && ip -n "$1" link set lo up
}

# add_ns_c: adds NS_C, joined to NS_B by IF_C <-> IF_B2 (called from a test).
add_ns_c()
{
	_new_ns "$NS_C" || skip "cannot create network namespace $NS_C"
	_veth "$NS_C" "$IF_C" "$ADDR_C4" "$ADDR_C6" "$NS_B" "$IF_B2" "$ADDR_B24" "$ADDR_B26" ||
		skip "cannot create veth pair $IF_C/$IF_B2"
}

# load_b ARGS...: `banctl load ARGS`; a refusal by the kernel is a skip outside CI.
load_b()
{
	local out rc
	out=$(banctl_b load "$@" 2>&1)
	rc=$?
	echo "$out"
	[[ $rc -eq 0 ]] && return 0
	if [[ $rc -eq 1 ]]; then
		skip "banctl load $* failed (XDP attach refused?): $out"
	fi
	fail "banctl load $* exited $rc: $out"
}

_setup_fail()
{
	echo "setup: $*" >&2
	echo "$*" >"$SKIP_FILE"
	return 1
}

# setup_env TEST: the fresh topology and pin dir for one test (run in the runner's shell).
# Returns 0, or non-zero with the reason in SKIP_FILE.
setup_env()
{
	local t=$1 n=$2 id="$$-$2"
	TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/xbt-$id.XXXXXX") || return 1
	SKIP_FILE=$TEST_TMP/skip-reason
	NS_A=xbt-$id-a
	NS_B=xbt-$id-b
	NS_C=xbt-$id-c
	# Interface names: at most 15 characters, unique for the run.
	IF_A=xa$$n$n
	IF_B=xb$$n$n
	IF_B2=xd$$n$n
	IF_C=xc$$n$n

	[[ $EUID -eq 0 ]] || {
		_setup_fail "not root"
		return
	}
	[[ -x $BANCTL ]] || {
		_setup_fail "$BANCTL not found or not executable (run make)"
		return
	}
	if ! { _new_ns "$NS_A" && _new_ns "$NS_B"; }; then
		_setup_fail "cannot create network namespaces"
		return
	fi
	if ! _veth "$NS_A" "$IF_A" "$ADDR_A4" "$ADDR_A6" "$NS_B" "$IF_B" "$ADDR_B4" "$ADDR_B6"; then
		_setup_fail "cannot create a working veth pair between $NS_A and $NS_B"
		return
	fi
	PIN_DIR=$TEST_TMP/bpffs
	if ! { mkdir "$PIN_DIR" && mount -t bpf bpf "$PIN_DIR"; }; then
		_setup_fail "cannot mount a bpffs on $PIN_DIR"
		return
	fi
	PIN_MOUNTED=1
	# What a fresh bpffs holds by itself (maps.debug, progs.debug with BPF_PRELOAD).
	PIN_BASELINE=$(_ls_pin_dir)

	[[ " ${NO_AUTOLOAD[*]} " == *" $t "* ]] && return 0
	local out
	if ! out=$(banctl_b load "$IF_B" 2>&1); then
		echo "$out" >&2
		_setup_fail "banctl load $IF_B failed: $out"
		return
	fi
	echo "setup: $out"
}

# teardown_env: removes everything setup_env or a test created; safe to call twice.
teardown_env()
{
	local ns
	for ns in "$NS_A" "$NS_B" "$NS_C"; do
		[[ -n $ns && -e /run/netns/$ns ]] && ip netns del "$ns"
	done
	if [[ -n $PIN_MOUNTED ]]; then
		umount "$PIN_DIR" || umount -l "$PIN_DIR"
	fi
	[[ -n $TEST_TMP ]] && rm -rf "$TEST_TMP"
	NS_A=''
	NS_B=''
	NS_C=''
	PIN_DIR=''
	PIN_MOUNTED=''
	TEST_TMP=''
	SKIP_FILE=''
	return 0
}

_ls_pin_dir()
{
	find "$PIN_DIR" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

# pin_dir_extra: what the pin dir holds beyond a fresh bpffs (see PIN_BASELINE), one path per
# line, empty if nothing.
pin_dir_extra()
{
	comm -13 <(printf '%s\n' "$PIN_BASELINE") <(_ls_pin_dir) | sed '/^$/d'
	find "$PIN_DIR" -mindepth 2
}

# --- xdpband -----------------------------------------------------------------------------

XDPBAND=${XDPBAND:-$(dirname "$BANCTL")/xdpband}

# write_conf FILE [EXTRA LINES...]: a daemon config for this test's topology.
write_conf()
{
	local f=$1
	shift
	mkdir -p "$TEST_TMP/state"
	{
		echo "[xdpband]"
		echo "interfaces = $IF_B"
		echo "log_file = $TEST_TMP/drops.log"
		echo "log_syslog = no"
		echo "state_dir = $TEST_TMP/state"
		echo "pin_dir = $PIN_DIR"
		echo "expire_interval = 1s"
		printf '%s\n' "$@"
	} >"$f"
}

# start_daemon CONF: xdpband in B, in the background, until "running" (5 s); sets DPID.
# The caller's EXIT trap stops it whatever happens.
start_daemon()
{
	local i runs
	runs=$(grep -c 'xdpband: running' "$TEST_TMP/xdpband.out" 2>/dev/null)
	ip netns exec "$NS_B" "$XDPBAND" -f -c "$1" >>"$TEST_TMP/xdpband.out" 2>&1 &
	DPID=$!
	for ((i = 0; i < 50; i++)); do
		[[ $(grep -c 'xdpband: running' "$TEST_TMP/xdpband.out") -gt ${runs:-0} ]] && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TEST_TMP/xdpband.out"
	fail "xdpband did not start"
}

# stop_daemon: SIGTERM, then it must exit 0 within 5 s.
stop_daemon()
{
	local i rc
	kill -TERM "$DPID"
	for ((i = 0; i < 50; i++)); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$DPID"
	rc=$?
	DPID=
	assert_eq "$rc" 0 "xdpband exit status after SIGTERM"
}

kill_daemon()
{
	[[ -n ${DPID:-} ]] && kill -KILL "$DPID" 2>/dev/null
	return 0
}

# wait_lines FILE N: until FILE has at least N lines (3 s).
wait_lines()
{
	local i
	for ((i = 0; i < 30; i++)); do
		[[ $(wc -l <"$1" 2>/dev/null || echo 0) -ge $2 ]] && return 0
		sleep 0.1
	done
	return 1
}
