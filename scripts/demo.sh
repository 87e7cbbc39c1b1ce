#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: a bot hammers a server's login page; the web log's lines ban it through
# xdpband (a fail2ban-style regex source); the server's XDP program drops its packets and
# logs them like iptables LOG; the counters show it; the ban is lifted. All inside
# throw-away network namespaces (bot 10.11.1.1 <-veth-> server 10.11.1.2), a private bpffs
# and a temporary state dir, removed on any exit. Exits non-zero if anything does not happen
# as narrated. Run as root.
#
# Env: BANCTL (default build/banctl next to this script's repo), XDPBAND (next to BANCTL).

set -u

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BANCTL=${BANCTL:-$top/build/banctl}
XDPBAND=${XDPBAND:-$(dirname "$BANCTL")/xdpband}
PYTHON=/usr/bin/python3

die()
{
	echo "demo: FAILED: $*" >&2
	exit 1
}

[[ $EUID -eq 0 ]] || die "run me as root (namespaces, XDP and bpffs need it)"
[[ -x $BANCTL ]] || die "$BANCTL not found; run make first"
[[ -x $XDPBAND ]] || die "$XDPBAND not found; run make first"

# Own network and mount namespaces when possible: nothing here can touch the host's
# interfaces, and the names and mounts below vanish with us even if we are killed.
if [[ -z ${XBD_UNSHARED:-} ]] && unshare -n -m true 2>/dev/null; then
	XBD_UNSHARED=$(readlink /proc/self/ns/mnt) exec unshare -n -m "$BASH" "$(readlink -f "$0")" "$@"
fi
if [[ ${XBD_UNSHARED:-} == mnt:* && $(readlink /proc/self/ns/mnt) != "$XBD_UNSHARED" ]]; then
	mkdir -p /run/netns && mount -t tmpfs -o mode=0755,size=1m xbd-netns /run/netns
fi

BOT=xbd-$$-bot
SRV=xbd-$$-srv
IF_BOT=xdb$$
IF_SRV=xds$$
BOT_IP=10.11.1.1
SRV_IP=10.11.1.2
PIN_DIR=
mounted=
WORK=
DPID=

cleanup()
{
	[[ -n $DPID ]] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[[ -n $WORK ]] && rm -rf "$WORK"
	ip netns del "$BOT" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	[[ -n $mounted ]] && umount "$PIN_DIR"
	[[ -n $PIN_DIR ]] && rmdir "$PIN_DIR"
	mounted=
	PIN_DIR=
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step()
{
	echo
	echo "==> $*"
}

# srv CMD...: shows and runs a banctl command on the server.
srv_banctl()
{
	echo "[server]# banctl $*"
	ip netns exec "$SRV" "$BANCTL" --pin-dir "$PIN_DIR" "$@"
}

# bot_ping: three pings from the bot; prints ping's summary, returns the number of replies.
bot_ping()
{
	local out
	echo "[bot]# ping -c 3 $SRV_IP"
	out=$(ip netns exec "$BOT" ping -n -c 3 -i 0.2 -W 1 "$SRV_IP" 2>&1)
	grep -E 'transmitted' <<<"$out"
	REPLIES=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$out")
	[[ $REPLIES =~ ^[0-9]+$ ]] || die "could not read ping's output: $out"
}

total()
{
	ip netns exec "$SRV" "$BANCTL" --pin-dir "$PIN_DIR" -j stats |
		"$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["total"][sys.argv[1]])' "$1" 2>/dev/null
}

step "setting up: namespaces $BOT (bot $BOT_IP) and $SRV (server $SRV_IP), one veth pair"
if ! { ip netns add "$BOT" && ip netns add "$SRV"; }; then
	die "cannot create network namespaces"
fi
ip link add "$IF_BOT" netns "$BOT" type veth peer name "$IF_SRV" netns "$SRV" ||
	die "cannot create a veth pair"
if ! { ip -n "$BOT" addr add "$BOT_IP/24" dev "$IF_BOT" &&
	ip -n "$SRV" addr add "$SRV_IP/24" dev "$IF_SRV" &&
	ip -n "$BOT" link set "$IF_BOT" up && ip -n "$SRV" link set "$IF_SRV" up &&
	ip -n "$BOT" link set lo up && ip -n "$SRV" link set lo up; }; then
	die "cannot configure the veth pair"
fi
PIN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xbd-$$.XXXXXX") || die "mktemp"
mount -t bpf bpf "$PIN_DIR" || die "cannot mount a bpffs on $PIN_DIR"
mounted=1
# Let the link come up and the bot learn the server's MAC before the show starts.
for _ in 1 2 3 4 5; do
	ip netns exec "$BOT" ping -n -q -c 1 -W 1 "$SRV_IP" >/dev/null 2>&1 && break
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/xbd-work-$$.XXXXXX") || die "mktemp"
ACCESS=$WORK/access.log
cat >"$WORK/xdpban.conf" <<EOF
[xdpband]
interfaces = $IF_SRV
pin_dir = $PIN_DIR
state_dir = $WORK/state
log_file = $WORK/drops.log
log_syslog = no

[source:wp-login]
type = regex
logpath = $ACCESS
failregex = ^<HOST> - \S+ \[[^]]+\] "POST /wp-login\.php
maxretry = 3
findtime = 10m
bantime = 1h
EOF

step "starting xdpband on the server: it attaches to $IF_SRV and follows the web log"
sed -n '/^\[source/,$p' "$WORK/xdpban.conf"
ip netns exec "$SRV" "$XDPBAND" -f -c "$WORK/xdpban.conf" 2>"$WORK/xdpband.out" &
DPID=$!
for _ in $(seq 50); do
	grep -q 'xdpband: running' "$WORK/xdpband.out" && break
	sleep 0.1
done
grep -q 'xdpband: running' "$WORK/xdpband.out" || die "xdpband did not start: $(cat "$WORK/xdpband.out")"
sed 's/^/    /' "$WORK/xdpband.out"

step "bot $BOT_IP pings the server"
bot_ping
((REPLIES == 3)) || die "expected 3 replies before the ban, got $REPLIES"

step "bot $BOT_IP guesses passwords: the web server logs three failed logins"
for _ in 1 2 3; do
	line="$BOT_IP - - [$(date '+%d/%b/%Y:%H:%M:%S %z')] \"POST /wp-login.php HTTP/1.1\" 200 4523"
	echo "    $line"
	echo "$line" >>"$ACCESS"
	sleep 0.2
done
banned()
{
	"$BANCTL" --pin-dir "$PIN_DIR" -j list | grep -q "\"$BOT_IP/32\""
}
for _ in $(seq 50); do
	banned && break
	sleep 0.1
done
banned || die "the log lines banned nothing: $(cat "$WORK/xdpband.out")"
echo "    banned by xdpband's source wp-login"

step "bot $BOT_IP pings again: XDP drops every packet before the server's stack sees it"
before=$(total dropped_v4_packets) || die "banctl -j stats failed"
bot_ping
((REPLIES == 0)) || die "expected no reply while banned, got $REPLIES"
after=$(total dropped_v4_packets) || die "banctl -j stats failed"
((after >= before + 3)) || die "dropped_v4_packets went from $before to $after, expected +3"

step "the drop log, as iptables LOG would have written it"
sleep 0.3
sed 's/^/    /' "$WORK/drops.log"
grep -q "Denied ICMP: .*SRC=$BOT_IP " "$WORK/drops.log" || die "no drop log line"

step "the ban list, with the ban's own hit counters"
srv_banctl list || die "banctl list failed"

step "the server's packet counters"
srv_banctl stats || die "banctl stats failed"

step "lifting the ban"
srv_banctl del "$BOT_IP" || die "banctl del failed"

step "bot $BOT_IP pings the server once more"
bot_ping
((REPLIES > 0)) || die "expected replies after the ban was lifted, got none"

step "cleaning up"
kill "$DPID" && wait "$DPID"
DPID=
srv_banctl unload --all || die "banctl unload --all failed"
cleanup
echo
echo "demo: OK"
