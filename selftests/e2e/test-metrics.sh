# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Prometheus metrics: `banctl stats --prometheus` passes `promtool check metrics` and agrees
# with `banctl -j stats`; xdpband's textfile is served by a real prometheus-node-exporter
# and its GET /metrics by libmicrohttpd, both reached over NS_B's own loopback.

METRICS_EXPORTER=${METRICS_EXPORTER:-prometheus-node-exporter}
METRICS_PROMTOOL=${METRICS_PROMTOOL:-promtool}

# metrics_need TOOL PACKAGE: skips the test when TOOL is not installed.
metrics_need()
{
	command -v "$1" >/dev/null || skip "$1 not installed (Debian package $2)"
}

# prom_get FILE METRIC [LABEL=VALUE...]: the value of the one sample of METRIC whose labels
# include every LABEL=VALUE (values unescaped as the format says), whole numbers in integer
# notation; "<missing>" when there is none, "<ambiguous>" when there are several.
prom_get()
{
	"$PYTHON" - "$@" <<'EOF'
import re, sys

path, name = sys.argv[1], sys.argv[2]
want = dict(a.split("=", 1) for a in sys.argv[3:])
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)\s*$')
pair = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')
unescape = {"\\\\": "\\", "\\\"": "\"", "\\n": "\n"}
found = []
for line in open(path, encoding="utf-8"):
    m = sample.match(line)
    if not m or line.startswith("#") or m.group(1) != name:
        continue
    labels = {k: re.sub(r'\\.', lambda e: unescape.get(e.group(0), e.group(0)), v)
              for k, v in pair.findall(m.group(2) or "")}
    if all(labels.get(k) == v for k, v in want.items()):
        found.append(m.group(3))
# node_exporter prints 1.795746652e+09 where xdpban wrote 1795746652: whole numbers as such.
found = [str(int(float(v))) if re.match(r'^[-+0-9.e]+$', v) and float(v).is_integer() and
         abs(float(v)) < 2**53 else v for v in found]
print(found[0] if len(found) == 1 else "<ambiguous>" if found else "<missing>")
EOF
}

# wait_prom FILE WANT METRIC [LABEL=VALUE...]: until prom_get says WANT (5 s); the file may
# not exist yet. Returns 1 on timeout.
wait_prom()
{
	local file=$1 want=$2 i
	shift 2
	for ((i = 0; i < 50; i++)); do
		[[ -s $file && $(prom_get "$file" "$@") == "$want" ]] && return 0
		sleep 0.1
	done
	return 1
}

# promtool_ok FILE: `promtool check metrics` accepts FILE without a lint remark.
promtool_ok()
{
	local out
	out=$("$METRICS_PROMTOOL" check metrics <"$1" 2>&1) || fail "promtool rejects $1: $out"
	[[ -z $out ]] || fail "promtool remarks on $1: $out"
	echo "ok: promtool check metrics accepts $1 ($(grep -vc '^#' "$1") samples)"
}

# http_in NS METHOD URL OUT: one HTTP request from inside NS (no proxy); prints the status,
# 000 when nothing answers. The body goes to OUT, the headers to OUT.headers.
http_in()
{
	ip netns exec "$1" "$PYTHON" - "$2" "$3" "$4" <<'EOF'
import sys, urllib.error, urllib.request

method, url, out = sys.argv[1:4]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
req = urllib.request.Request(url, method=method, data=b"x=1" if method == "POST" else None)
try:
    r = opener.open(req, timeout=5)
    code, headers, body = r.status, r.headers, r.read()
except urllib.error.HTTPError as e:
    code, headers, body = e.code, e.headers, e.read()
except OSError:
    print("000")
    sys.exit(0)
with open(out, "wb") as f:
    f.write(body)
with open(out + ".headers", "w") as f:
    f.write(str(headers))
print(code)
EOF
}

# wait_http NS URL OUT: until GET URL answers 200 (5 s).
wait_http()
{
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(http_in "$1" GET "$2" "$3") == 200 ]] && return 0
		sleep 0.1
	done
	return 1
}

NODE_EXPORTER_PID=

# start_node_exporter DIR PORT: node_exporter in NS_B on NS_B's 127.0.0.1:PORT, with only
# the textfile collector, reading DIR; until it answers.
start_node_exporter()
{
	ip -n "$NS_B" link set lo up
	ip netns exec "$NS_B" "$METRICS_EXPORTER" --web.listen-address="127.0.0.1:$2" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$1" >"$TEST_TMP/node-exporter.out" 2>&1 &
	NODE_EXPORTER_PID=$!
	wait_http "$NS_B" "http://127.0.0.1:$2/metrics" "$TEST_TMP/ne-probe" ||
		fail "node_exporter does not answer: $(cat "$TEST_TMP/node-exporter.out")"
	echo "ok: node_exporter answers on $NS_B's 127.0.0.1:$2"
}

metrics_cleanup()
{
	kill_daemon
	[[ -n $NODE_EXPORTER_PID ]] && kill "$NODE_EXPORTER_PID" 2>/dev/null
	return 0
}

# reload_daemon: SIGHUP, until the daemon says it reloaded (5 s).
reload_daemon()
{
	local n i
	n=$(grep -c 'configuration reloaded' "$TEST_TMP/xdpband.out")
	kill -HUP "$DPID"
	for ((i = 0; i < 50; i++)); do
		(($(grep -c 'configuration reloaded' "$TEST_TMP/xdpband.out") > n)) && return 0
		sleep 0.1
	done
	fail "no reload: $(cat "$TEST_TMP/xdpband.out")"
}

# banctl stats --prometheus after drops, passes, allowed packets and bans of every kind:
# promtool accepts it, and its numbers are those of banctl -j stats and banctl list.
test_metrics_banctl()
{
	local prom=$TEST_TMP/banctl.prom js
	metrics_need "$METRICS_PROMTOOL" prometheus
	check_run banctl_b add "$ADDR_A4" --reason e2e
	check_run banctl_b add 198.51.100.0/24 fd11:dead::/48
	check_run banctl_b add 192.0.2.7 --timeout 1
	check_run banctl_b allow add "$ADDR_A6"
	for _ in 1 2 3; do ping_dropped v4; done
	ping_ok v6
	sleep 1.2 # 192.0.2.7's ban is past its expiry; no daemon removes it

	check_run banctl_b stats --prometheus >"$prom"
	js=$(bjson stats) || exit 1
	promtool_ok "$prom"
	assert_eq "$(prom_get "$prom" xdpban_build_info)" 1 "build info"
	assert_eq "$(prom_get "$prom" xdpban_packets_total interface="$IF_B" action=dropped \
		family=v4)" "$(json_q 'd["interfaces"][0]["dropped_v4_packets"]' <<<"$js")" \
		"dropped v4 packets = banctl -j stats"
	assert_eq "$(prom_get "$prom" xdpban_bytes_total interface="$IF_B" action=dropped \
		family=v4)" "$(json_q 'd["interfaces"][0]["dropped_v4_bytes"]' <<<"$js")" \
		"dropped v4 bytes = banctl -j stats"
	assert_ge "$(prom_get "$prom" xdpban_packets_total interface="$IF_B" action=dropped \
		family=v4)" 3 "dropped v4 packets"
	assert_ge "$(prom_get "$prom" xdpban_packets_total interface="$IF_B" action=allowed \
		family=v6)" 1 "allowed v6 packets"
	assert_ge "$(prom_get "$prom" xdpban_packets_total interface="$IF_B" action=passed \
		family=other)" 0 "passed other packets (listed)"
	assert_eq "$(prom_get "$prom" xdpban_dropped_packets_by_kind_total interface="$IF_B" \
		kind=exact)" "$(prom_get "$prom" xdpban_packets_total interface="$IF_B" \
		action=dropped family=v4)" "v4 drops all by the exact ban"
	local logged suppressed lost
	logged=$(prom_get "$prom" xdpban_drop_log_events_total interface="$IF_B" result=logged)
	suppressed=$(prom_get "$prom" xdpban_drop_log_events_total interface="$IF_B" \
		result=suppressed)
	lost=$(prom_get "$prom" xdpban_drop_log_events_total interface="$IF_B" result=lost)
	assert_eq "$((logged + suppressed + lost))" "$(prom_get "$prom" xdpban_packets_total \
		interface="$IF_B" action=dropped family=v4)" "drop-log outcomes add up to the drops"
	assert_eq "$(prom_get "$prom" xdpban_malformed_packets_total interface="$IF_B")" 0 \
		"malformed"
	assert_eq "$(prom_get "$prom" xdpban_interface_info interface="$IF_B")" 1 "interface info"

	assert_eq "$(prom_get "$prom" xdpban_bans kind=exact family=v4)" 1 "exact v4 bans in force"
	assert_eq "$(prom_get "$prom" xdpban_bans kind=exact family=v6)" 0 "exact v6 bans"
	assert_eq "$(prom_get "$prom" xdpban_bans kind=prefix family=v4)" 1 "prefix v4 bans"
	assert_eq "$(prom_get "$prom" xdpban_bans kind=prefix family=v6)" 1 "prefix v6 bans"
	assert_eq "$(prom_get "$prom" xdpban_bans_by_origin origin=manual)" 3 "manual bans"
	assert_eq "$(prom_get "$prom" xdpban_bans_by_origin origin=regex)" 0 "regex bans"
	assert_eq "$(prom_get "$prom" xdpban_bans_past_expiry)" 1 "bans past expiry"
	assert_eq "$(prom_get "$prom" xdpban_map_entries map=xb_ban_v4)" 2 "xb_ban_v4 entries"
	assert_eq "$(prom_get "$prom" xdpban_map_entries map=xb_allow_v6)" 1 "xb_allow_v6 entries"
	assert_eq "$(prom_get "$prom" xdpban_map_max_entries map=xb_ban_v4)" 1048576 \
		"xb_ban_v4 capacity"
	# Daemon metrics are the daemon's: banctl leaves them out.
	assert_eq "$(prom_get "$prom" xdpban_daemon_start_time_seconds)" "<missing>" \
		"no daemon metrics from banctl"

	check_fail 2 banctl_b -j stats --prometheus >/dev/null
	check_fail 2 banctl_b stats --prometheus --bogus >/dev/null
}

# Interface names may hold '"' and '\': label values are escaped, and read back intact.
test_metrics_label_escaping()
{
	local prom=$TEST_TMP/esc.prom name='q"\x'
	metrics_need "$METRICS_PROMTOOL" prometheus
	ip -n "$NS_B" link add "$name" type veth peer name qpeer || skip "no veth named $name"
	ip -n "$NS_B" link set "$name" up && ip -n "$NS_B" link set qpeer up
	load_b "$name"
	check_run banctl_b stats --prometheus >"$prom"
	grep -F 'interface="q\"\\x"' "$prom" | head -n 2
	promtool_ok "$prom"
	assert_eq "$(prom_get "$prom" xdpban_interface_info interface="$name")" 1 \
		"escaped interface label reads back"
	assert_eq "$(prom_get "$prom" xdpban_packets_total interface="$IF_B" action=dropped \
		family=v4)" 0 "the other interface keeps its series"
}

# xdpband writes kernel and per-source metrics to a textfile, atomically, every interval;
# a real node_exporter serves them; source counters go on across a reload.
test_metrics_textfile()
{
	local conf=$TEST_TMP/xdpban.conf dir=$TEST_TMP/textfile log=$TEST_TMP/app.log
	local prom=$dir/xdpban.prom ne=$TEST_TMP/node-exporter.prom t0 start
	metrics_need "$METRICS_PROMTOOL" prometheus
	metrics_need "$METRICS_EXPORTER" prometheus-node-exporter
	trap metrics_cleanup EXIT
	mkdir "$dir"
	: >"$log"
	write_conf "$conf" "metrics_textfile = $prom" "metrics_interval = 1s" \
		"[source:app]" "type = regex" "logpath = $log" \
		"failregex = ^auth failure from <HOST>$" "maxretry = 1" "bantime = 1h"
	t0=$(date +%s)
	start_daemon "$conf"
	{
		echo "auth failure from $ADDR_A4"
		echo "something else"
	} >>"$log"
	wait_prom "$prom" 1 xdpban_bans_added_total source=app ||
		fail "no ban counted in $prom: $(cat "$prom" "$TEST_TMP/xdpband.out")"
	for _ in 1 2; do ping_dropped v4; done
	wait_prom "$prom" 2 xdpban_packets_total interface="$IF_B" action=dropped family=v4 ||
		fail "drops not in $prom"
	promtool_ok "$prom"
	assert_eq "$(stat -c %a "$prom")" 644 "textfile mode"
	assert_eq "$(prom_get "$prom" xdpban_log_lines_read_total source=app)" 2 "lines read"
	assert_eq "$(prom_get "$prom" xdpban_log_lines_matched_total source=app)" 1 "lines matched"
	assert_eq "$(prom_get "$prom" xdpban_log_lines_missed_total source=app)" 1 "lines missed"
	assert_eq "$(prom_get "$prom" xdpban_log_lines_skipped_total source=app reason=binary)" 0 \
		"binary lines skipped"
	assert_eq "$(prom_get "$prom" xdpban_bans_by_origin origin=regex)" 1 "regex bans in force"
	start=$(prom_get "$prom" xdpban_daemon_start_time_seconds)
	assert_ge "$start" "$t0" "daemon start time"
	assert_le "$start" "$(date +%s)" "daemon start time"

	# node_exporter's textfile collector serves them, fetched over NS_B's loopback.
	start_node_exporter "$dir" 9100
	[[ $(http_in "$NS_B" GET http://127.0.0.1:9100/metrics "$ne") == 200 ]] ||
		fail "node_exporter /metrics"
	assert_eq "$(prom_get "$ne" node_textfile_scrape_error)" 0 "node_exporter read the file"
	assert_eq "$(prom_get "$ne" xdpban_bans_added_total source=app)" 1 \
		"node_exporter serves the source's bans"
	assert_ge "$(prom_get "$ne" xdpban_packets_total interface="$IF_B" action=dropped \
		family=v4)" 2 "node_exporter serves the drops"
	assert_eq "$(prom_get "$ne" xdpban_daemon_start_time_seconds)" "$start" \
		"node_exporter serves the start time"

	# A reload rebuilds the source; its counters go on from where they were.
	reload_daemon
	echo "auth failure from 192.0.2.5" >>"$log"
	wait_prom "$prom" 3 xdpban_log_lines_read_total source=app ||
		fail "lines read after reload: $(prom_get "$prom" xdpban_log_lines_read_total source=app)"
	assert_eq "$(prom_get "$prom" xdpban_bans_added_total source=app)" 2 \
		"bans added after reload"
	assert_eq "$(prom_get "$prom" xdpban_daemon_start_time_seconds)" "$start" \
		"start time kept across reload"
	wait_http "$NS_B" http://127.0.0.1:9100/metrics "$ne" || fail "node_exporter stopped"
	assert_eq "$(prom_get "$ne" xdpban_log_lines_read_total source=app)" 3 \
		"node_exporter sees the new count"

	# A clean stop leaves the last file, and no temporary one.
	stop_daemon
	[[ -s $prom ]] || fail "textfile removed on stop"
	assert_eq "$(find "$dir" -name '*.tmp' | wc -l)" 0 "no temporary file left"
	promtool_ok "$prom"
}

# GET /metrics on metrics_listen: loopback only for a bare port, the exposition content
# type, 404/405 otherwise; a reload moves it; a bad address is refused before starting.
test_metrics_http()
{
	local conf=$TEST_TMP/xdpban.conf body=$TEST_TMP/http.prom start
	metrics_need "$METRICS_PROMTOOL" prometheus
	trap metrics_cleanup EXIT
	ip -n "$NS_B" link set lo up
	write_conf "$TEST_TMP/bad.conf" "metrics_listen = ::1:9641"
	check_fail 2 timeout 10 ip netns exec "$NS_B" "$XDPBAND" -f -c "$TEST_TMP/bad.conf"
	write_conf "$TEST_TMP/bad.conf" "metrics_listen = 127.0.0.1"
	check_fail 2 timeout 10 ip netns exec "$NS_B" "$XDPBAND" -f -c "$TEST_TMP/bad.conf"

	write_conf "$conf" "metrics_listen = 9641"
	start_daemon "$conf"
	check_run banctl_b add "$ADDR_A4"
	ping_dropped v4
	wait_http "$NS_B" http://127.0.0.1:9641/metrics "$body" || fail "GET /metrics"
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$body.headers" ||
		fail "content type: $(cat "$body.headers")"
	promtool_ok "$body"
	assert_ge "$(prom_get "$body" xdpban_packets_total interface="$IF_B" action=dropped \
		family=v4)" 1 "drops served"
	assert_eq "$(prom_get "$body" xdpban_bans kind=exact family=v4)" 1 "bans served"
	start=$(prom_get "$body" xdpban_daemon_start_time_seconds)
	assert_gt "$start" 0 "daemon start time served"
	# Served live: a ban added now is in the next scrape.
	check_run banctl_b add 192.0.2.9
	http_in "$NS_B" GET http://127.0.0.1:9641/metrics "$body" >/dev/null
	assert_eq "$(prom_get "$body" xdpban_bans kind=exact family=v4)" 2 "scrape is live"

	assert_eq "$(http_in "$NS_B" HEAD http://127.0.0.1:9641/metrics "$body")" 200 "HEAD"
	assert_eq "$(http_in "$NS_B" GET http://127.0.0.1:9641/ "$body")" 200 "GET /"
	assert_eq "$(http_in "$NS_B" GET http://127.0.0.1:9641/nope "$body")" 404 "GET /nope"
	assert_eq "$(http_in "$NS_B" POST http://127.0.0.1:9641/metrics "$body")" 405 "POST"
	grep -qi '^Allow: GET, HEAD' "$body.headers" || fail "405 without Allow"

	# A bare port is loopback only: B's veth address does not answer.
	ip netns exec "$NS_B" ss -Hltn | grep -q ' 127\.0\.0\.1:9641 ' ||
		fail "not listening on 127.0.0.1:9641: $(ip netns exec "$NS_B" ss -Hltn)"
	assert_eq "$(http_in "$NS_B" GET "http://$ADDR_B4:9641/metrics" "$body")" 000 \
		"nothing on $ADDR_B4:9641"

	# A reload that keeps the address keeps the server: the next scrape just works.
	reload_daemon
	assert_eq "$(http_in "$NS_B" GET http://127.0.0.1:9641/metrics "$body")" 200 \
		"served right after a reload"

	# A reload moves the endpoint; the daemon's counters stay.
	write_conf "$conf" "metrics_listen = [::1]:9642"
	reload_daemon
	wait_http "$NS_B" "http://[::1]:9642/metrics" "$body" || fail "GET on [::1]:9642"
	assert_eq "$(prom_get "$body" xdpban_daemon_start_time_seconds)" "$start" \
		"start time kept across reload"
	assert_eq "$(http_in "$NS_B" GET http://127.0.0.1:9641/metrics "$body")" 000 \
		"the old address is closed"
	stop_daemon
}

ALL_TESTS+=(test_metrics_banctl test_metrics_label_escaping test_metrics_textfile
	test_metrics_http)
