# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The bypass matrix: frames crafted with scapy in the sender's namespace go out raw on its
# veth into the XDP program. From a banned source every one must be dropped, whatever its
# tags, options, fragments or extension headers; from an unbanned or allowed source every
# one must pass. Counted by the program's own counters, frame by frame.

SCAPY_PY=/usr/bin/python3

# send_frames KIND SRC4 SRC6: sends the matrix's frames of KIND ("all" or "jumbo") from A;
# prints how many IPv4-family and IPv6-family frames it sent, "N4 N6".
send_frames()
{
	local dmac smac
	dmac=$(ip netns exec "$NS_B" cat "/sys/class/net/$IF_B/address")
	smac=$(ip netns exec "$NS_A" cat "/sys/class/net/$IF_A/address")
	ip netns exec "$NS_A" "$SCAPY_PY" - "$IF_A" "$smac" "$dmac" "$1" "$2" "$3" "$ADDR_B4" \
		"$ADDR_B6" <<'EOF'
import sys
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (Ether, Dot1Q, Dot1AD, IP, IPv6, TCP, UDP, ICMP, Raw, IPOption_NOP,
                       IPOption_RR, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, AH, sendp, conf)
conf.verb = 0
ifc, smac, dmac, kind, s4, s6, d4, d6 = sys.argv[1:9]
eth = Ether(src=smac, dst=dmac)
v4, v6 = [], []
tcp = TCP(sport=40000, dport=80, flags="S")
if kind == "all":
    v4 += [eth / Dot1Q(vlan=10) / IP(src=s4, dst=d4) / tcp,
           eth / Dot1AD(vlan=20) / Dot1Q(vlan=10) / IP(src=s4, dst=d4) / tcp,
           Ether(src=smac, dst=dmac, type=0x8100) / Dot1Q(vlan=20, type=0x88a8) /
           Dot1Q(vlan=10) / IP(src=s4, dst=d4) / tcp,
           eth / IP(src=s4, dst=d4, options=[IPOption_NOP()] * 4) / tcp,
           eth / IP(src=s4, dst=d4, options=[IPOption_RR(routers=["0.0.0.0"] * 9)]) / tcp,
           eth / IP(src=s4, dst=d4, flags="MF", frag=0, proto=17) / Raw(b"x" * 64),
           eth / IP(src=s4, dst=d4, flags="MF", frag=100, proto=17) / Raw(b"x" * 64),
           eth / IP(src=s4, dst=d4, frag=200, proto=17) / Raw(b"x" * 24),
           eth / IP(src=s4, dst=d4) / ICMP(),
           eth / IP(src=s4, dst=d4) / UDP(sport=53, dport=53),
           eth / IP(src=s4, dst=d4) / Raw(b""),                       # minimum size, padded
           eth / IP(src=s4, dst=d4) / UDP() / Raw(b"p" * 1400),         # large
           eth / IPv6(src="::ffff:" + s4, dst=d6) / tcp]               # v4-mapped source
    ext = {"hbh": lambda nh=None: IPv6ExtHdrHopByHop(),
           "rt": lambda nh=None: IPv6ExtHdrRouting(),
           "dst": lambda nh=None: IPv6ExtHdrDestOpt(),
           "frag": lambda nh=None: IPv6ExtHdrFragment(m=1, offset=0, id=7)}
    for name, mk in ext.items():
        for n in range(1, 9):
            p = IPv6(src=s6, dst=d6)
            for _ in range(n):
                p = p / mk()
            v6.append(eth / p / tcp)
    v6 += [eth / IPv6(src=s6, dst=d6) / AH(spi=1, seq=1) / tcp,
           eth / IPv6(src=s6, dst=d6) / IPv6ExtHdrFragment(m=0, offset=100, id=9) / Raw(b"y" * 40),
           eth / Dot1Q(vlan=30) / IPv6(src=s6, dst=d6) / UDP(),
           eth / Dot1AD(vlan=31) / Dot1Q(vlan=32) / IPv6(src=s6, dst=d6) / tcp,
           eth / IPv6(src=s6, dst=d6) / tcp]
else:
    v4 = [eth / IP(src=s4, dst=d4) / UDP() / Raw(b"j" * 8000)]
    v6 = [eth / IPv6(src=s6, dst=d6) / UDP() / Raw(b"j" * 8000)]
sendp(v4 + v6, iface=ifc)
print(len(v4), len(v6))
EOF
}

# counters_sum KEY...: the sum of those counters over B's interfaces.
counters_sum()
{
	local js
	js=$(bjson stats) || exit 1
	json_q 'sum(d["total"][k] for k in a)' "$@" <<<"$js"
}

# matrix EXPECT SRC4 SRC6: sends the matrix and checks every frame landed in EXPECT
# (dropped, passed or allowed), per family as the frame's own family counts it.
matrix()
{
	local expect=$1 before4 before6 after4 after6 sent n4 n6
	before4=$(counters_sum "${expect}_v4_packets") || exit 1
	before6=$(counters_sum "${expect}_v6_packets") || exit 1
	sent=$(send_frames all "$2" "$3") || fail "scapy could not send"
	read -r n4 n6 <<<"$sent"
	echo "sent $n4 IPv4-header frames (tags, options, fragments) and $n6 IPv6/mapped ones"
	sleep 0.5
	after4=$(counters_sum "${expect}_v4_packets") || exit 1
	after6=$(counters_sum "${expect}_v6_packets") || exit 1
	# The mapped-source frame is an IPv6 frame judged by the IPv4 lists.
	assert_eq "$((after4 - before4))" "$((n4 - 1))" "IPv4 frames $expect"
	assert_ge "$((after6 - before6))" "$((n6 + 1))" "IPv6 frames $expect"
	assert_eq "$(stat_total malformed)" 0 "no frame of the matrix counted malformed"
}

test_bypass_banned()
{
	"$SCAPY_PY" -c 'import scapy' 2>/dev/null || skip "Debian's python3-scapy is not installed"
	check_run banctl_b add 203.0.113.7 2001:db8:bad::7
	matrix dropped 203.0.113.7 2001:db8:bad::7
	assert_ge "$(ban_field 203.0.113.7/32 packets)" 13 "the IPv4 ban's own hits"
}

test_bypass_unbanned_and_allowed()
{
	"$SCAPY_PY" -c 'import scapy' 2>/dev/null || skip "Debian's python3-scapy is not installed"
	check_run banctl_b add 203.0.113.0/24 2001:db8:bad::/48
	check_run banctl_b allow add 203.0.113.7 2001:db8:bad::7
	matrix allowed 203.0.113.7 2001:db8:bad::7
	check_run banctl_b allow del 203.0.113.7 2001:db8:bad::7
	check_run banctl_b del 203.0.113.0/24 2001:db8:bad::/48
	matrix passed 198.51.100.77 2001:db8:900d::7
}

# Jumbo frames on a 9000-byte MTU veth: native XDP on veth refuses an MTU larger than a
# page for a program without frags support, so this runs in generic mode.
test_bypass_jumbo()
{
	local out before sent n4 n6
	"$SCAPY_PY" -c 'import scapy' 2>/dev/null || skip "Debian's python3-scapy is not installed"
	check_run banctl_b unload "$IF_B"
	if ! ip -n "$NS_A" link set "$IF_A" mtu 9000 || ! ip -n "$NS_B" link set "$IF_B" mtu 9000; then
		fail "cannot set MTU 9000"
	fi
	out=$(banctl_b load "$IF_B" --mode native 2>&1) &&
		echo "native XDP accepted MTU 9000: $out" ||
		echo "native XDP refused MTU 9000 (expected without frags): $out"
	banctl_b unload "$IF_B" >/dev/null 2>&1
	check_run banctl_b load "$IF_B" --mode generic
	check_run banctl_b add 203.0.113.7 2001:db8:bad::7
	before=$(counters_sum dropped_v4_packets dropped_v6_packets) || exit 1
	sent=$(send_frames jumbo 203.0.113.7 2001:db8:bad::7) || fail "scapy could not send"
	read -r n4 n6 <<<"$sent"
	sleep 0.5
	assert_eq "$(($(counters_sum dropped_v4_packets dropped_v6_packets) - before))" \
		"$((n4 + n6))" "8000-byte frames dropped"
}

ALL_TESTS+=(test_bypass_banned test_bypass_unbanned_and_allowed test_bypass_jumbo)
