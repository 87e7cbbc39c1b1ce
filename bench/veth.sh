# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Real frames through a veth pair (issue 8, packet path 2). The sender namespace runs
# bench/floor.bpf.c's xb_txgen under BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES, one
# long call returning XDP_TX, pinned to one CPU; each frame's IPv4 source is the next banned
# address, so traffic spreads over all of them. The receiving veth drops them with:
#
#   native   xdpban, native XDP          generic  xdpban, generic (skb) XDP
#   hash     the straightforward XDP filter: one lookup in a u32 hash map (capacity 1M,
#            like xdpban's), drop on a hit; no counters, no log, no allow list
#   drop     a bare XDP_DROP (floor)     nft      nftables netdev ingress, set lookup
#   ipt      iptables raw PREROUTING -m set (Debian 12's iptables, the nf_tables backend)
#
# veth delivers an XDP_TX'ed frame to its peer's NAPI, scheduled on the sending CPU: the
# receive path runs as NET_RX softirq on the sender's CPU, right after each batch. So the
# receiver's cost per frame is that CPU's softirq time (/proc/stat, tick-sampled at 250 Hz)
# over the frames; the sender's is its own CPU time (schedstat) less that softirq time
# (ksoftirqd takes ~1% of it here, so nearly all ran in the sender's context). GRO is on so the
# receiving veth has NAPI without an XDP program. Variants take turns within each round.
# Sourced by bench/run.sh; writes a markdown section on stdout.

VETH_TX=
VETH_RX=
IF_TX=
IF_RX=
VETH_PIN=
VETH_CPU=${VETH_CPU:-1}
VETH_N=

in_rx()
{
	ip netns exec "$VETH_RX" "$@"
}

# bctl ARGS...: banctl on the receiver's pin dir, quiet unless it fails.
bctl()
{
	in_rx "$BANCTL" --pin-dir "$VETH_PIN" "$@" >/dev/null 2>"$WORK/banctl.err" || {
		say "banctl $*: $(tail -n 2 "$WORK/banctl.err")"
		return 1
	}
}

veth_setup()
{
	VETH_TX=$TAG-tx
	VETH_RX=$TAG-rx
	IF_TX=${TAG}t
	IF_RX=${TAG}r
	VETH_PIN=$WORK/veth-pin
	netns_new "$VETH_TX" && netns_new "$VETH_RX" || return 1
	ip link add "$IF_TX" netns "$VETH_TX" type veth peer name "$IF_RX" netns "$VETH_RX" ||
		return 1
	ip -n "$VETH_TX" addr add 10.77.0.1/24 dev "$IF_TX" &&
		ip -n "$VETH_RX" addr add 10.77.0.2/24 dev "$IF_RX" &&
		ip -n "$VETH_TX" link set "$IF_TX" up &&
		ip -n "$VETH_RX" link set "$IF_RX" up &&
		in_rx ethtool -K "$IF_RX" gro on >/dev/null || return 1
	pin_new "$VETH_PIN"
}

# veth_sets N: N addresses banned in xdpban's maps, the nft set and the ipset, none active.
veth_sets()
{
	local n=$1 dir=$WORK/veth-$1
	mkdir -p "$dir"
	"$XB_BENCH" addrs "$n" 7 >"$dir/addrs.txt" || return 1
	bctl unload --all 2>/dev/null
	in_rx nft delete table netdev xbbench 2>/dev/null
	in_rx ipset destroy ban4 2>/dev/null
	# banctl needs the maps: a load creates them, the unload keeps them.
	bctl load "$IF_RX" && bctl add - <"$dir/addrs.txt" && bctl unload "$IF_RX" || return 1
	awk 'BEGIN { print "table netdev xbbench {\n\tset ban4 { type ipv4_addr; }\n}" }
	{
		if (n % 10000 == 0) {
			if (n)
				print " }"
			printf "add element netdev xbbench ban4 { %s", $1
		} else {
			printf ", %s", $1
		}
		n++
	}
	END { if (n) print " }" }' "$dir/addrs.txt" | in_rx nft -f - || return 1
	{
		echo "create ban4 hash:ip family inet maxelem $((n + 1024))"
		sed 's/^/add ban4 /' "$dir/addrs.txt"
	} | in_rx ipset restore
}

# variant_on/off V: make V the receiver's filter, or remove it.
variant_on()
{
	case $1 in
	native | generic)
		bctl load "$IF_RX" --mode "$1"
		;;
	drop) in_rx "$XB_BENCH" xdpdrop "$IF_RX" ;;
	hash) in_rx "$XB_BENCH" xdpdrop "$IF_RX" --hash "$WORK/veth-$VETH_N/addrs.txt" ;;
	nft)
		in_rx nft -f - <<-EOF
			add chain netdev xbbench ingress { type filter hook ingress device $IF_RX priority -500; }
			add rule netdev xbbench ingress ip saddr @ban4 counter drop
		EOF
		;;
	ipt) in_rx iptables -t raw -A PREROUTING -m set --match-set ban4 src -j DROP ;;
	esac
}

variant_off()
{
	case $1 in
	native | generic) bctl unload "$IF_RX" ;;
	drop | hash) in_rx "$XB_BENCH" xdpdrop "$IF_RX" off ;;
	nft) in_rx nft -f - <<<"flush chain netdev xbbench ingress
delete chain netdev xbbench ingress" ;;
	ipt) in_rx iptables -t raw -D PREROUTING -m set --match-set ban4 src -j DROP ;;
	esac
}

# variant_drops V: how many frames V has dropped since variant_on.
variant_drops()
{
	case $1 in
	native | generic)
		in_rx "$BANCTL" --pin-dir "$VETH_PIN" -j stats |
			grep -o '"dropped_v4_packets":[0-9]*' | head -n 1 | grep -o '[0-9]*$'
		;;
	drop | hash) in_rx ethtool -S "$IF_RX" | awk '/rx_queue_0_xdp_drops:/ { print $2 }' ;;
	nft) in_rx nft list chain netdev xbbench ingress | grep -o 'packets [0-9]*' | grep -o '[0-9]*' ;;
	ipt) in_rx iptables -t raw -L PREROUTING -v -x -n | awk 'NR == 3 { print $1 }' ;;
	esac
}

# Frames of the sender's calibration call, before the timed one.
VETH_CALIB=${VETH_CALIB:-2000000}

# veth_run V N SECONDS: one sender run against V; prints "rx_ns tx_ns" per frame. (No
# frame rate: other tasks share the CPU, so only CPU time per frame means something.)
veth_run()
{
	local v=$1 n=$2 secs=$3 rmac tmac out d0=0 d1 frames calib task sirq
	rmac=$(ip -n "$VETH_RX" -br link show "$IF_RX" | awk '{ print $3 }')
	tmac=$(ip -n "$VETH_TX" -br link show "$IF_TX" | awk '{ print $3 }')
	VETH_N=$n
	variant_on "$v" || return 1
	[[ $v == drop || $v == hash ]] && d0=$(variant_drops drop)
	out=$(ip netns exec "$VETH_TX" taskset -c "$VETH_CPU" "$XB_BENCH" txgen --ifname "$IF_TX" \
		--addrs "$WORK/veth-$n/addrs.txt" --dst 10.77.0.2 --smac "$tmac" --dmac "$rmac" \
		--seconds "$secs" --calib "$VETH_CALIB")
	d1=$(variant_drops "$v")
	variant_off "$v"
	frames=$(kv frames "$out")
	calib=$(kv calib_frames "$out")
	task=$(kv task_ns "$out")
	sirq=$(kv softirq_ns "$out")
	if [[ -z $frames || -z $d1 ]] || ((d1 - d0 < (frames + calib) * 98 / 100)); then
		say "veth $v with $n bans: sent ${frames:-?}+${calib:-?}, dropped $((${d1:-0} - d0))"
		return 1
	fi
	echo "$(fdiv "$sirq" "$frames" 1) $(fdiv "$((task - sirq))" "$frames" 1)"
}

kv()
{
	grep -o "\b$1=[0-9]*" <<<"$2" | head -n 1 | cut -d= -f2
}

# bench_veth ROUNDS SECONDS N...: markdown on stdout; non-zero when a run failed.
bench_veth()
{
	local rounds=$1 secs=$2 n r v res rx_ tx_
	shift 2
	local vs=(native generic hash drop nft ipt)
	veth_setup || {
		say "veth: cannot build the namespaces"
		return 1
	}
	for n in "$@"; do
		local -A rx=() tx=() ratio=()
		veth_sets "$n" || {
			say "veth: cannot load $n addresses"
			return 1
		}
		for ((r = 1; r <= rounds; r++)); do
			local -A this=()
			for v in "${vs[@]}"; do
				res=$(veth_run "$v" "$n" "$secs") || return 1
				read -r rx_ tx_ <<<"$res"
				this[$v]=$rx_
				rx[$v]+=" $rx_"
				tx[$v]+=" $tx_"
			done
			for v in "${vs[@]}"; do
				ratio[$v]+=" $(awk -v a="${this[nft]}" -v b="${this[$v]}" 'BEGIN { printf "%d\n", (b > 0 ? a / b * 1000 : 0) }')"
			done
		done
		veth_table "$n" "$rounds" rx tx ratio
	done
	[[ ${PROFILE:-0} == 1 ]] && veth_profile native "$n" "$secs"
	[[ ${PROFILE:-0} == 1 ]] && veth_profile nft "$n" "$secs"
	bctl unload --all
	pin_del "$VETH_PIN"
	netns_del "$VETH_TX"
	netns_del "$VETH_RX"
}

# veth_profile V N SECONDS: perf's view of the sending CPU during one run against V.
veth_profile()
{
	local v=$1 n=$2 secs=$3 data=$WORK/veth-perf.data rmac tmac
	have_perf || return 0
	rmac=$(ip -n "$VETH_RX" -br link show "$IF_RX" | awk '{ print $3 }')
	tmac=$(ip -n "$VETH_TX" -br link show "$IF_TX" | awk '{ print $3 }')
	VETH_N=$n
	variant_on "$v" || return 0
	perf record -q -g -C "$VETH_CPU" -o "$data" -- ip netns exec "$VETH_TX" \
		taskset -c "$VETH_CPU" "$XB_BENCH" txgen --ifname "$IF_TX" \
		--addrs "$WORK/veth-$n/addrs.txt" --dst 10.77.0.2 --smac "$tmac" --dmac "$rmac" \
		--seconds "$secs" --calib "$VETH_CALIB" >/dev/null 2>&1
	variant_off "$v"
	echo
	echo "Where the sending CPU's time goes with $v at $n addresses (\`perf record -g -C $VETH_CPU\`,"
	echo "samples of the sender's task, which runs the receive softirq too; self time):"
	echo
	perf_top "$data" --comm xb_bench
	perf_top3 "$data" --comm xb_bench >"$WORK/top-veth-$v.txt"
	rm -f "$data"
}

veth_table()
{
	local n=$1 rounds=$2 v name
	local -n _rx=$3 _tx=$4 _ratio=$5
	echo
	echo "$n banned addresses, traffic spread over all of them; median of $rounds rounds."
	echo
	echo "| receiver | receive ns/frame (NET_RX softirq) | range over rounds | nft ingress ÷ this | sender ns/frame |"
	echo "|---|--:|--:|--:|--:|"
	for v in native generic hash drop nft ipt; do
		case $v in
		native) name="xdpban, native XDP" ;;
		generic) name="xdpban, generic XDP" ;;
		hash) name="plain XDP hash lookup (reference)" ;;
		drop) name="bare XDP_DROP (floor)" ;;
		nft) name="nftables netdev ingress + set" ;;
		ipt) name="iptables raw PREROUTING + ipset" ;;
		esac
		# shellcheck disable=SC2086 # lists of numbers
		printf '| %s | %s | %s | %s× | %s |\n' "$name" "$(median_f ${_rx[$v]})" \
			"$(range_f ${_rx[$v]})" "$(fdiv "$(median ${_ratio[$v]})" 1000 2)" \
			"$(median_f ${_tx[$v]})"
		# shellcheck disable=SC2086
		[[ -n $TSV ]] && printf 'veth\t%s\t%s\t%s\t%s\n' "$v" "$n" "$(median_f ${_rx[$v]})" \
			"$(fdiv "$(median ${_ratio[$v]})" 1000 2)" >>"$TSV"
	done
	return 0
}

# range_f X...: "min–max" of decimals.
range_f()
{
	printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'
}

# median_f X...: the median of decimals (the mean of the middle two for an even count).
median_f()
{
	printf '%s\n' "$@" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.1f\n", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2 }'
}
