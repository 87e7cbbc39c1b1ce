# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The command line: exit statuses, bad input that must leave the maps alone, bulk input on
# stdin, and list sorting.

# snapshot: the ban and allow lists as JSON; bans are permanent and see no traffic, so two
# snapshots are byte-identical unless something changed.
snapshot()
{
	check_run banctl_b -j list
	check_run banctl_b -j allow list
}

# bad_input CODE CMD...: CMD exits with CODE and changes neither list.
bad_input()
{
	local code=$1 before after
	shift
	before=$(snapshot) || exit 1
	check_fail "$code" banctl_b "$@"
	after=$(snapshot) || exit 1
	[[ $after == "$before" ]] && return 0
	echo "lists before: $before" >&2
	echo "lists after:  $after" >&2
	if [[ $(_without_times "$after") == "$(_without_times "$before")" ]]; then
		fail "lists differ only in added/expires: the same ban shows other unix seconds" \
			"from one call to the next (wall-clock time recomputed per call?)"
	fi
	fail "banctl $* changed the lists"
}

# _without_times SNAPSHOT: the snapshot (one JSON array per line) without added/expires.
_without_times()
{
	local line
	while IFS= read -r line; do
		json_q '[{k: v for k, v in b.items() if k not in ("added", "expires")} for b in d]' \
			<<<"$line"
	done <<<"$1"
}

test_cli_errors()
{
	local err

	check_run banctl_b add 192.0.2.1 --reason keep
	check_run banctl_b add 198.51.100.0/24 2001:db8::/32
	check_run banctl_b allow add 192.0.2.77
	snapshot

	bad_input 2 add 10.1.2.300
	bad_input 2 add 10.0.0.0/33
	bad_input 2 add fd00::/129
	bad_input 2 add 10.0.0.0/-1
	bad_input 2 add fd00::zz
	bad_input 2 add 10.9.9.9 --timeout 10x
	bad_input 2 add 10.9.9.9 --timeout 99999999999999999999w
	bad_input 2 add 10.9.9.9 --timeout -5
	bad_input 2 add --bogus
	bad_input 2 add 10.9.9.9 --bogus
	bad_input 2 add
	bad_input 2 nosuchcommand
	bad_input 2 --bogus-global list
	bad_input 2 load nosuchif0
	bad_input 2 add 10.9.9.9 10.1.2.300
	bad_input 2 add 10.1.2.300 10.9.9.9
	bad_input 2 add 10.9.9.9 fd00::/129
	bad_input 2 del 10.1.2.300
	bad_input 1 del 10.9.9.9
	bad_input 2 allow add 10.0.0.0/33
	bad_input 2 list --sort bogus
	bad_input 2 unload
	assert_eq "$(ban_field 10.9.9.9/32 kind)" "<missing>" "10.9.9.9 after the failed adds"

	# Host bits under the mask: accepted, cleared, and warned about.
	err=$TEST_TMP/hostbits.err
	check_run banctl_b add --force 10.11.1.5/24 2>"$err"
	cat "$err"
	[[ -s $err ]] || fail "add 10.11.1.5/24 printed no warning on stderr"
	echo "ok: warning on stderr: $(head -n 1 "$err")"
	assert_eq "$(ban_field 10.11.1.0/24 kind)" prefix "10.11.1.5/24 listed as 10.11.1.0/24"
	assert_eq "$(ban_field 10.11.1.5/24 kind)" "<missing>" "10.11.1.5/24 listed as given"
}

# With -j, a failing command still writes exactly one JSON value, an {"error": ...} object.
test_json_errors()
{
	local out

	out=$(check_fail 2 banctl_b -j add 10.1.2.300) || exit 1
	echo "stdout: $out"
	assert_eq "$(json_q '"error" in d and isinstance(d["error"], str)' <<<"$out")" true \
		"-j add 10.1.2.300 prints {\"error\": ...}"
	out=$(check_fail 1 banctl_b -j del 10.9.9.9) || exit 1
	echo "stdout: $out"
	assert_eq "$(json_q '"error" in d' <<<"$out")" true "-j del 10.9.9.9 prints {\"error\": ...}"
}

# `add -` and `del -`: one "PREFIX [timeout D] [reason T]" per line; a bad line adds nothing.
test_stdin()
{
	local before after

	check_run banctl_b add - <<-EOF
		192.0.2.1
		198.51.100.0/24 timeout 1h
		2001:db8::1 reason stdin-bot
		2001:db8:1::/48 timeout 10m reason both
		$ADDR_A4
	EOF
	assert_eq "$(ban_field 192.0.2.1/32 permanent)" true "192.0.2.1 permanent"
	assert_eq "$(ban_field 198.51.100.0/24 permanent)" false "198.51.100.0/24 timed"
	assert_gt "$(ban_field 198.51.100.0/24 remaining)" 3500 "198.51.100.0/24 remaining"
	assert_le "$(ban_field 198.51.100.0/24 remaining)" 3600 "198.51.100.0/24 remaining"
	assert_eq "$(ban_field 2001:db8::1/128 reason)" stdin-bot "2001:db8::1 reason"
	assert_eq "$(ban_field 2001:db8::1/128 permanent)" true "2001:db8::1 permanent"
	assert_eq "$(ban_field 2001:db8:1::/48 reason)" both "2001:db8:1::/48 reason"
	assert_le "$(ban_field 2001:db8:1::/48 remaining)" 600 "2001:db8:1::/48 remaining"
	assert_gt "$(ban_field 2001:db8:1::/48 remaining)" 500 "2001:db8:1::/48 remaining"
	ping_dropped v4

	# A bad line anywhere: exit 2, nothing added.
	before=$(bjson list) || exit 1
	check_fail 2 banctl_b add - <<-EOF
		192.0.2.99
		not-an-address
	EOF
	check_fail 2 banctl_b add - <<-EOF
		192.0.2.98 timeout 10x
	EOF
	after=$(bjson list) || exit 1
	assert_eq "$(json_q 'sorted(b["prefix"] for b in d)' <<<"$after")" \
		"$(json_q 'sorted(b["prefix"] for b in d)' <<<"$before")" "bans after bad stdin input"

	check_run banctl_b del - <<-EOF
		192.0.2.1
		2001:db8:1::/48
		$ADDR_A4
	EOF
	after=$(bjson list) || exit 1
	assert_eq "$(json_q 'sorted(b["prefix"] for b in d)' <<<"$after")" \
		'["198.51.100.0/24", "2001:db8::1/128"]' "bans left after del -"
	ping_ok v4
}

# list --sort hits puts the most hit ban first; --sort expiry the soonest expiry first,
# permanent bans last.
test_list_sort()
{
	local js

	check_run banctl_b add 192.0.2.1 --timeout 1h
	check_run banctl_b add 192.0.2.2 --timeout 10m
	check_run banctl_b add "$ADDR_A4"
	ping_dropped v4
	ping_dropped v4
	js=$(bjson list --sort hits) || exit 1
	assert_eq "$(json_q 'd[0]["prefix"]' <<<"$js")" "$ADDR_A4/32" "first of list --sort hits"
	js=$(bjson list --sort expiry) || exit 1
	assert_eq "$(json_q '[b["prefix"] for b in d]' <<<"$js")" \
		"[\"192.0.2.2/32\", \"192.0.2.1/32\", \"$ADDR_A4/32\"]" "order of list --sort expiry"
	check_run banctl_b list --sort hits
}

ALL_TESTS+=(test_cli_errors test_json_errors test_stdin test_list_sort)
