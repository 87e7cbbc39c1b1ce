#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2015 # "check ok ... || check fail": check itself never fails
#
# Soak: xdpband built with ASan/UBSan/LSan reads LINES mixed lines (valid, invalid, huge,
# binary, injection attempts) from three sources (regex, spamd, fail2ban) while banctl adds
# and removes bans about 1000 a second and the logs rotate every ROTATE lines. It must not
# crash, LeakSanitizer must be clean at its stop, its RSS must stay flat after warm-up, and
# every ban the valid lines call for must be there at the end.
#
# Usage: soak.sh [LINES] [ROTATE]     (defaults 10000000 100000; `make test` runs 60000 20000)
# Env:   XDPBAND (default build/asan/xdpband), BANCTL (default build/banctl)
# Prints "N passed, N failed" (one check each) as its last line.

set -u
# shellcheck disable=SC2015 # check ok ... || check fail: check never fails
top=$(cd "$(dirname "$0")/.." && pwd)
LINES=${1:-10000000}
ROTATE=${2:-100000}
XDPBAND=${XDPBAND:-$top/build/asan/xdpband}
BANCTL=${BANCTL:-$top/build/banctl}
PY=/usr/bin/python3
# RSS may grow this much after warm-up: 10% over a long soak, loosely in a short one.
if ((LINES >= 1000000)); then RSS_MAX_GROWTH=0.10; else RSS_MAX_GROWTH=1.0; fi
passed=0
failed=0
DPID=
CHURN=

check()
{
	if [[ $1 == ok ]]; then
		echo "PASS: $2"
		passed=$((passed + 1))
	else
		echo "FAIL: $2"
		failed=$((failed + 1))
	fi
}

finish()
{
	[[ -n $CHURN ]] && kill "$CHURN" 2>/dev/null
	[[ -n $DPID ]] && kill -KILL "$DPID" 2>/dev/null
	mountpoint -q "$T/pin" 2>/dev/null && umount "$T/pin"
	rm -rf "$T"
	echo "$passed passed, $failed failed"
	[[ $failed -eq 0 ]]
}

[[ $EUID -eq 0 ]] || {
	echo "soak: needs root"
	echo "0 passed, 1 failed"
	exit 1
}
T=$(mktemp -d /tmp/xb-soak.XXXXXX)
trap finish EXIT
mkdir -p "$T/pin" "$T/state" "$T/logs"
mount -t bpf bpf "$T/pin" || exit 1

cat >"$T/xdpban.conf" <<EOF
[xdpband]
pin_dir = $T/pin
state_dir = $T/state
log_syslog = no
expire_interval = 1s
# 18% of the lines ban a new address: 1.8M for the full 10M-line run.
max_ban_v4 = 4194304

[source:web]
type = regex
logpath = $T/logs/web.log
failregex = ^<HOST> - \S+ \[[^]]+\] "POST /wp-login\.php HTTP/1\.[01]" \d+ \d+$
maxretry = 1
bantime = 1d
max_bans_per_minute = 0

[source:mail]
type = spamd
logpath = $T/logs/mail.log
bantime = 1d
max_bans_per_minute = 0

[source:f2b]
type = fail2ban
logpath = $T/logs/fail2ban.log
max_bans_per_minute = 0
EOF
for f in web mail fail2ban; do : >"$T/logs/$f.log"; done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$XDPBAND" -f -c "$T/xdpban.conf" 2>"$T/xdpband.err" &
DPID=$!
for _ in $(seq 100); do
	grep -q 'xdpband: running' "$T/xdpband.err" && break
	sleep 0.1
done
grep -q 'xdpband: running' "$T/xdpband.err" || {
	cat "$T/xdpband.err"
	check fail "xdpband starts"
	exit 1
}

# banctl churn in 10.250.0.0/16, apart from what the logs ban: ~1000 changes a second.
(
	while :; do
		$PY -c 'import random
for i in range(100): print("10.250.%d.%d" % (random.randrange(256), random.randrange(1, 255)))' \
			>"$T/churn.txt"
		"$BANCTL" --pin-dir "$T/pin" add - <"$T/churn.txt" >/dev/null 2>&1
		sleep 0.05
		sort -u "$T/churn.txt" | "$BANCTL" --pin-dir "$T/pin" del - >/dev/null 2>&1
		sleep 0.05
	done
) &
CHURN=$!

# The writer: mixed lines into three logs, rotating every ROTATE lines; it records every
# address a valid line must ban in $T/expected.
$PY - "$T" "$LINES" "$ROTATE" <<'EOF' &
import os, random, sys, time
t, total, rotate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
logs = {k: os.path.join(t, "logs", k + ".log") for k in ("web", "mail", "fail2ban")}
files = {k: open(v, "ab", buffering=1 << 16) for k, v in logs.items()}
expected = open(os.path.join(t, "expected"), "w")
def addr(n):
    return "10.%d.%d.%d" % (100 + n // 65024 % 100, n // 254 % 256, n % 254 + 1)
names = {"web": "web", "mail": "mail", "fail2ban": "f2b"}
def caught_up():
    for k, f in files.items():
        try:
            pos = open(os.path.join(t, "state", "source-%s.pos" % names[k])).read().split()
        except OSError:
            return False
        st = os.stat(logs[k])
        # The position is of the file it names: one of a file already rotated away says
        # nothing of the current one.
        if int(pos[0]) != st.st_ino or int(pos[1]) < st.st_size:
            return False
    return True
def progress():
    out = []
    for k in files:
        try:
            out.append(open(os.path.join(t, "state", "source-%s.pos" % names[k])).read())
        except OSError:
            out.append("")
    return out
def rot():
    # logrotate runs daily, not while a backlog is read: rotate once the daemon caught up,
    # so that no rotated file is overwritten before it was read (a second rotation between
    # two reads loses the middle file, whatever follows by name).
    for f in files.values():
        f.flush()
    # Wait as long as the daemon makes progress; give up (and rotate) only after 120 s
    # without a byte read, so a slow (loaded, sanitized) run is never mistaken for a loss.
    last, deadline = None, time.time() + 120
    while not caught_up() and time.time() < deadline:
        now = progress()
        if now != last:
            last, deadline = now, time.time() + 120
        time.sleep(0.05)
    for k, f in files.items():
        f.close()
        os.replace(logs[k], logs[k] + ".1")
        files[k] = open(logs[k], "ab", buffering=1 << 16)
ts = time.strftime("%d/%b/%Y:%H:%M:%S +0000")
n = 0
for i in range(total):
    r = random.random()
    if r < 0.10:
        a = addr(n); n += 1
        files["web"].write(('%s - - [%s] "POST /wp-login.php HTTP/1.1" 200 512\n' % (a, ts)).encode())
        expected.write(a + "\n")
    elif r < 0.14:
        a = addr(n); n += 1
        files["mail"].write(("Thu Nov 26 23:22:34 2026 [8944] info: spamd: result: Y 1003 - GTUBE scantime=0.1,size=482,user=root,uid=103,required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=56942,mid=<m%d@x>,autolearn=no autolearn_force=no,relayip=%s\n" % (i, a)).encode())
        expected.write(a + "\n")
    elif r < 0.18:
        a = addr(n); n += 1
        files["fail2ban"].write(("2026-11-27 02:00:00,001 fail2ban.actions        [9]: NOTICE  [sshd] Ban %s\n" % a).encode())
        expected.write(a + "\n")
    elif r < 0.45:
        files["web"].write(('192.0.2.%d - - [%s] "GET /index.html HTTP/1.1" 200 512\n' % (i % 250 + 1, ts)).encode())
    elif r < 0.55:  # injection: the address is in attacker text, never at the anchor
        files["web"].write(('198.51.100.1 - - [%s] "GET /?x=1.2.3.4%%20-%%20-%%20[x]%%20\\"POST%%20/wp-login.php HTTP/1.1" 404 1\n' % ts).encode())
        files["mail"].write(b"Thu Nov 26 23:22:34 2026 [8944] info: spamd: identified spam (9.0/5.0) for from [1.2.3.4]:103 in 0.1 seconds, 482 bytes. trailing\n")
    elif r < 0.58:
        files["web"].write(b"x" * 70000 + b"\n")
    elif r < 0.61:
        files["mail"].write(bytes(random.randrange(256) for _ in range(80)) + b"\n")
    elif r < 0.64:
        files["fail2ban"].write(b"\x00\xff\xfe garbage \xc3\x28\n")
    else:
        files["fail2ban"].write(("2026-11-27 02:00:00,001 fail2ban.filter [9]: INFO [sshd] Found 203.0.113.%d\n" % (i % 250)).encode())
    if (i + 1) % rotate == 0:
        rot()
for f in files.values():
    f.close()
expected.close()
EOF
WRITER=$!

rss()
{
	ps -o rss= -p "$DPID" 2>/dev/null | tr -d ' '
}
samples=()
while kill -0 "$WRITER" 2>/dev/null; do
	sleep 2
	samples+=("$(rss)")
done
wait "$WRITER"
n_expected=$(sort -u "$T/expected" | wc -l)
# Let the daemon catch up: every expected ban in the maps.
for _ in $(seq 600); do
	have=$("$BANCTL" --pin-dir "$T/pin" -j list | $PY -c '
import json, sys
print(len([b for b in json.load(sys.stdin) if b["reason"] in ("web", "mail") or b["reason"].startswith("f2b")]))')
	echo "catching up: $have of $n_expected bans"
	[[ $have -ge $n_expected ]] && break
	sleep 1
done
kill "$CHURN"
wait "$CHURN" 2>/dev/null
CHURN=
samples+=("$(rss)")

"$BANCTL" --pin-dir "$T/pin" -j list | $PY -c '
import json, sys
bans = {b["prefix"].split("/")[0] for b in json.load(sys.stdin)}
want = {l.strip() for l in open(sys.argv[1])}
missing = want - bans
print("expected bans: %d, present: %d, missing: %d" % (len(want), len(want & bans), len(missing)))
sys.exit(1 if missing else 0)' "$T/expected" && check ok "every expected ban present" ||
	check fail "every expected ban present"
"$BANCTL" --pin-dir "$T/pin" -j list | $PY -c '
import json, sys
bad = [b for b in json.load(sys.stdin) if b["prefix"].startswith(("1.2.3.4", "198.51.100.1/", "192.0.2."))]
print("bans from injected or unmatched text: %d" % len(bad))
sys.exit(1 if bad else 0)' && check ok "no ban from injection or non-matching lines" ||
	check fail "no ban from injection or non-matching lines"

# RSS: after warm-up (the first half) it must not keep growing: the median of the last
# quarter against that of the third, so that one sample taken in a burst (a sweep, ASan's
# quarantine filling) neither hides a leak nor fakes one. A short run is mostly warm-up
# (tables, ASan's quarantine), so only a long one is held to 10%.
echo "RSS samples (KiB): ${samples[*]}"
$PY -c '
import statistics, sys
s = [int(x) for x in sys.argv[2:] if x]
if len(s) < 8:
    sys.exit(0)
warm = s[len(s) // 2:]
a, b = statistics.median(warm[:len(warm) // 2]), statistics.median(warm[len(warm) // 2:])
growth = (b - a) / max(1, a)
print("RSS after warm-up: min %d KiB, max %d KiB, median %d KiB then %d KiB, growth %.1f%%"
      % (min(warm), max(warm), a, b, 100 * growth))
sys.exit(1 if growth > float(sys.argv[1]) else 0)' "$RSS_MAX_GROWTH" "${samples[@]}" &&
	check ok "RSS flat after warm-up" || check fail "RSS flat after warm-up"

kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=
[[ $rc -eq 0 ]] && check ok "clean stop, LeakSanitizer and UBSan quiet (exit $rc)" || {
	grep -A30 'ERROR: \|runtime error' "$T/xdpband.err" | head -60
	check fail "clean stop, LeakSanitizer and UBSan quiet (exit $rc)"
}
grep -q 'ERROR: AddressSanitizer\|runtime error' "$T/xdpband.err" &&
	check fail "no sanitizer report" || check ok "no sanitizer report"
