# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# banctl report: from existing logs (the fixtures in selftests/fixtures/report, whose numbers
# are worked out below), from the history xdpband keeps, and as HTML that headless Chromium
# renders at a phone's size.

REPORT_FIXTURES=$TOP_DIR/selftests/fixtures/report
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}

# report_logs DIR: the fixtures in DIR, the drop log gzipped, each file's mtime the day after
# its lines (yearless syslog stamps take their year from it).
report_logs()
{
	local d=$1 f
	mkdir -p "$d"
	cp "$REPORT_FIXTURES"/*.log "$d/" || fail "cannot copy the fixtures"
	gzip -f "$d/drops.log" || fail "gzip"
	for f in "$d"/*; do
		touch -d '2024-03-11 00:00:00 UTC' "$f"
	done
}

# report_files DIR: the four files, in one line.
report_files()
{
	local d=$1
	echo "$d/fail2ban.log" "$d/kern.log" "$d/mail.log" "$d/drops.log.gz"
}

# The fixtures, whole: 10 logged drops (6 TCP, 2 UDP, 2 ICMP; 700 IP bytes), 4 bans of 3
# addresses (the Restore Ban is no new ban), 2 unbans, 203.0.113.7 banned again after its
# unban, 5 spam scores, 4 bans with Found lines (5 s, 30 s, 40 s, 120 s before them).
test_report_from_log()
{
	local d=$TEST_TMP/logs js
	local -a files
	export TZ=UTC
	report_logs "$d"
	read -ra files <<<"$(report_files "$d")"
	js=$(check_run "$BANCTL" -j report --quiet 30m --from-log "${files[@]}") || exit 1
	assert_eq "$(json_q 'd["input"]["drops"]' <<<"$js")" 10 "drop lines read"
	assert_eq "$(json_q 'd["input"]["found"]' <<<"$js")" 9 "Found lines read"
	assert_eq "$(json_q 'd["since"]' <<<"$js")" 1710057602 "since: the first line (08:00:02)"
	assert_eq "$(json_q 'd["until"]' <<<"$js")" 1710064801 "until: after the last (10:00:00)"
	assert_eq "$(json_q 'd["totals"]["dropped_packets"]' <<<"$js")" 10 "dropped packets"
	assert_eq "$(json_q 'd["totals"]["dropped_bytes"]' <<<"$js")" 700 "dropped bytes"
	assert_eq "$(json_q '[d["logged_by_protocol"][p]["packets"] for p in ("tcp", "udp", "icmp", "other")]' \
		<<<"$js")" "[6, 2, 2, 0]" "logged drops by protocol"
	assert_eq "$(json_q 'sum(p["packets"] for p in d["drops_over_time"])' <<<"$js")" 10 \
		"the series adds up"
	assert_eq "$(json_q 'd["totals"]["bans"]' <<<"$js")" 4 "bans"
	assert_eq "$(json_q 'd["totals"]["banned_addresses"]' <<<"$js")" 3 "banned addresses"
	assert_eq "$(json_q 'd["totals"]["unbans"]' <<<"$js")" 2 "unbans"
	assert_eq "$(json_q '[(o["prefix"], o["packets"], o["bans"]) for o in d["top_by_drops"]]' \
		<<<"$js")" '[["203.0.113.7/32", 6, 2], ["198.51.100.23/32", 2, 1], ["198.51.100.99/32", 1, 0], ["2001:db8::66/128", 1, 1]]' \
		"top offenders by dropped packets"
	assert_eq "$(json_q 'd["top_by_bans"][0]["sources"]' <<<"$js")" '["fail2ban/sshd"]' \
		"banned by a jail"
	assert_eq "$(json_q '[(s["jail"], s["bans"], s["addresses"]) for s in d["by_source"]]' \
		<<<"$js")" '[["sshd", 3, 2], ["postfix-sasl", 1, 1]]' "bans by jail"
	assert_eq "$(json_q '[(o["prefix"], o["returns"]) for o in d["repeat_offenders"]]' \
		<<<"$js")" '[["203.0.113.7/32", 1]]' "repeat offender"
	assert_eq "$(json_q 'd["totals"]["active"]' <<<"$js")" 3 "bans in force at the end"
	assert_eq "$(json_q '[(c["prefix"], c["last_drop"]) for c in d["candidates_to_lift"]]' \
		<<<"$js")" '[["192.0.2.200/32", null], ["2001:db8::66/128", 1710058260]]' \
		"candidates to lift: quiet for 30 min"
	assert_eq "$(json_q 'd["spam_scores"]["count"]' <<<"$js")" 5 "spam scores"
	assert_eq "$(json_q 'd["spam_scores"]["median"] == 12' <<<"$js")" true "median score 12"
	assert_eq "$(json_q '[h["count"] for h in d["spam_scores"]["histogram"]]' <<<"$js")" \
		"[0, 2, 1, 0, 1, 0, 1]" "score histogram"
	assert_eq "$(json_q '[d["ban_latency"][k] for k in ("count", "median", "max")] == [4, 35, 120]' \
		<<<"$js")" true "first bad line to ban: 4 bans, median 35 s, max 120 s"

	# A window: from 09:00 on, one ban and four drops.
	js=$(check_run "$BANCTL" -j report --since '2024-03-10 09:00' --until @1710064801 \
		--from-log "${files[@]}") || exit 1
	assert_eq "$(json_q '[d["totals"]["bans"], d["totals"]["dropped_packets"]]' <<<"$js")" \
		"[1, 4]" "bans and drops from 09:00"

	# Text, and the same numbers in it.
	check_run "$BANCTL" report --quiet 30m --from-log "${files[@]}" >"$TEST_TMP/report.txt"
	grep -Eq '^  logged drops +10 \(700 B\)$' "$TEST_TMP/report.txt" || fail "text: drops"
	grep -Eq '^  bans +4 of 3 addresses, 2 unbans$' "$TEST_TMP/report.txt" || fail "text: bans"
	grep -Eq '^  203\.0\.113\.7 +6 +360 B +2 ' "$TEST_TMP/report.txt" || fail "text: top"

	# -o writes the file whole; JSON to a file is pretty and the same document.
	check_run "$BANCTL" report --format json -o "$TEST_TMP/r.json" --from-log "${files[@]}"
	assert_eq "$(json_q 'd["totals"]["bans"]' <"$TEST_TMP/r.json")" 4 "JSON file"
	[[ ! -e $TEST_TMP/r.json.tmp ]] || fail "temporary file left behind"
}
NO_AUTOLOAD+=(test_report_from_log)

# Usage errors exit 2 before anything is read; a missing history or log file exits 1.
test_report_errors()
{
	export TZ=UTC
	check_fail 2 "$BANCTL" report --format pdf
	check_fail 2 "$BANCTL" report --since 1d --until 2d
	check_fail 2 "$BANCTL" report --since yesterday
	check_fail 2 "$BANCTL" report --top 0
	check_fail 2 "$BANCTL" report stray
	check_fail 2 "$BANCTL" -j report --format html
	check_fail 1 "$BANCTL" --state-dir "$TEST_TMP/nothing" report 2>"$TEST_TMP/err"
	grep -q 'no history at' "$TEST_TMP/err" || fail "no message about the missing history"
	check_fail 1 "$BANCTL" report --from-log "$TEST_TMP/missing.log"
	check_run "$BANCTL" report help | grep -q -- '--from-log' || fail "help names --from-log"
}
NO_AUTOLOAD+=(test_report_errors)

# png_check FILE W H: a PNG of W x H whose image is not blank (many distinct scanlines).
png_check()
{
	"$PYTHON" - "$@" <<'EOF'
import struct, sys, zlib
path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = open(path, "rb").read()
if d[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("not a PNG")
pos, idat = 8, b""
while pos < len(d):
    n, = struct.unpack(">I", d[pos:pos + 4])
    kind, body = d[pos + 4:pos + 8], d[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
if (width, height) != (w, h):
    sys.exit("size %dx%d, expected %dx%d" % (width, height, w, h))
raw = zlib.decompress(idat)
stride = len(raw) // height
rows = {raw[i * stride:(i + 1) * stride] for i in range(height)}
print("%dx%d, %d bytes, %d distinct scanlines" % (width, height, len(d), len(rows)))
if len(rows) < 100:
    sys.exit("a nearly blank image: %d distinct scanlines" % len(rows))
EOF
}

# The HTML report: one file, nothing fetched, a phone viewport; Chromium draws it.
test_report_html()
{
	local d=$TEST_TMP/logs html=$TEST_TMP/report.html png=$TEST_TMP/report.png profile
	local -a files
	export TZ=UTC
	[[ -x $CHROMIUM ]] || skip "chromium is not installed (apt-get install chromium)"
	report_logs "$d"
	read -ra files <<<"$(report_files "$d")"
	check_run "$BANCTL" report --format html -o "$html" --quiet 30m --from-log "${files[@]}"
	grep -q '<meta name="viewport" content="width=device-width' "$html" || fail "no viewport"
	grep -q '<svg viewBox=' "$html" || fail "no inline SVG chart"
	! grep -Eiq '<script|<link|@import|url\(|src=|https?://' "$html" ||
		fail "the report loads something: $(grep -Eio '<script|<link|@import|url\(|src=|https?://' "$html" | head -3)"
	grep -q '203\.0\.113\.7' "$html" || fail "top offender missing"
	profile=$(mktemp -d -p "$TEST_TMP") || fail "mktemp"
	HOME=$profile timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --hide-scrollbars --user-data-dir="$profile" --screenshot="$png" \
		--window-size=390,844 "file://$html" >"$TEST_TMP/chromium.out" 2>&1 ||
		fail "chromium failed: $(tail -5 "$TEST_TMP/chromium.out")"
	[[ -s $png ]] || fail "no screenshot: $(tail -5 "$TEST_TMP/chromium.out")"
	png_check "$png" 390 844 || fail "screenshot not right"
}
NO_AUTOLOAD+=(test_report_html)

# xdpband's history: a source's ban (with the time of its first bad line), a manual ban,
# their drops, the drop log's protocol counts; read by banctl while the daemon writes.
test_report_daemon()
{
	local conf=$TEST_TMP/xdpban.conf log=$TEST_TMP/access.log js i
	local ts='[27/Nov/2026:02:00:00 +0000]'
	trap kill_daemon EXIT
	write_conf "$conf" \
		"[source:wp-login]" \
		"type = regex" \
		"logpath = $log" \
		"failregex = ^<HOST> - \\S+ \\[[^]]+\\] \"POST /wp-login\\.php" \
		"maxretry = 2" \
		"findtime = 10m" \
		"bantime = 1h"
	start_daemon "$conf"
	# The first sample (at start) sets the counters' baseline.
	sleep 1.5
	echo "$ADDR_A4 - - $ts \"POST /wp-login.php HTTP/1.1\" 200 512" >>"$log"
	sleep 1
	echo "$ADDR_A4 - - $ts \"POST /wp-login.php HTTP/1.1\" 200 512" >>"$log"
	for ((i = 0; i < 50; i++)); do
		[[ $(ban_field "$ADDR_A4/32" reason) != "<missing>" ]] && break
		sleep 0.1
	done
	assert_eq "$(ban_field "$ADDR_A4/32" reason)" wp-login "banned by the source"
	check_run banctl_b add 198.51.100.0/24 --reason scanners
	for _ in 1 2 3; do ping_dropped v4; done
	[[ -s $TEST_TMP/state/history.sqlite ]] || fail "no history.sqlite in the state dir"
	# A reader while the daemon writes.
	check_run "$BANCTL" --state-dir "$TEST_TMP/state" report >/dev/null
	stop_daemon
	js=$(check_run "$BANCTL" --state-dir "$TEST_TMP/state" -j report --since 1h) || exit 1
	assert_eq "$(json_q 'd["input"]["from"]' <<<"$js")" history "read from the history"
	assert_eq "$(json_q 'd["totals"]["bans"]' <<<"$js")" 2 "the source's ban and the manual one"
	assert_eq "$(json_q 'sorted((s["source"], s["bans"]) for s in d["by_source"])' <<<"$js")" \
		'[["manual", 1], ["wp-login", 1]]' "bans by source"
	assert_eq "$(json_q 'd["top_by_drops"][0]["prefix"]' <<<"$js")" "$ADDR_A4/32" "top offender"
	assert_ge "$(json_q 'd["top_by_drops"][0]["packets"]' <<<"$js")" 3 "its dropped packets"
	assert_ge "$(json_q 'd["totals"]["dropped_packets"]' <<<"$js")" 3 "dropped (interface)"
	assert_ge "$(json_q 'd["logged_by_protocol"]["icmp"]["packets"]' <<<"$js")" 3 \
		"logged ICMP drops"
	assert_eq "$(json_q 'd["ban_latency"]["count"]' <<<"$js")" 1 "the source's ban knows its first line"
	assert_ge "$(json_q 'd["ban_latency"]["min"]' <<<"$js" | cut -d. -f1)" 1 \
		"first bad line a second or more before the ban"
	assert_eq "$(json_q 'd["totals"]["active"]' <<<"$js")" 2 "both in force"
}
ALL_TESTS+=(test_report_from_log test_report_errors test_report_html test_report_daemon)
