# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Loading bans, and the kernel memory they take: N IPv4 addresses into xdpban (banctl add -,
# banctl restore, xdpband's restore from its journal after a reboot), into an nftables set
# with `nft -f` (10k elements per `add element` line) and into an ipset with `ipset
# restore`. Every loader runs in one namespace of this run's; each round starts from
# nothing (fresh pin dir, no table, no set) and the loaders take turns within a round.
# Sourced by bench/run.sh; writes a markdown section on stdout.

LOAD_NS=

# load_files N DIR: the address list and each loader's input for it.
load_files()
{
	local n=$1 dir=$2
	"$XB_BENCH" addrs "$n" >"$dir/addrs.txt" || return 1
	awk 'BEGIN {
		print "table inet xbbench {"
		print "\tset ban4 { type ipv4_addr; }"
		print "\tchain input { type filter hook input priority -10; ip saddr @ban4 drop; }"
		print "}"
	}
	{
		if (n % 10000 == 0) {
			if (n)
				print " }"
			printf "add element inet xbbench ban4 { %s", $1
		} else {
			printf ", %s", $1
		}
		n++
	}
	END { if (n) print " }" }' "$dir/addrs.txt" >"$dir/set.nft" || return 1
	{
		echo "create ban4 hash:ip family inet maxelem $((n + 1024))"
		sed 's/^/add ban4 /' "$dir/addrs.txt"
	} >"$dir/set.ipset"
}

in_load_ns()
{
	ip netns exec "$LOAD_NS" "$@"
}

# load_xdpban DIR ROUND MODE: one round of banctl add - (MODE add), add - with the journal
# (journal), restore of a saved file (restore) or xdpband's restore (daemon). Prints ns.
load_xdpban()
{
	local dir=$1 r=$2 mode=$3 pin=$1/pin-$2-$3 state=$1/state-$2 ns rc=0
	pin_new "$pin" || return 1
	case $mode in
	add | journal | restore)
		"$XB_BENCH" mkmaps "$pin" || rc=1
		;;
	esac
	case $mode in
	add)
		timed ns in_load_ns "$BANCTL" --pin-dir "$pin" --state-dir /nonexistent \
			add - <"$dir/addrs.txt" >/dev/null 2>&1 || rc=1
		if [[ $r == 1 ]]; then
			in_load_ns "$BANCTL" --pin-dir "$pin" save "$dir/saved.txt" >/dev/null 2>&1 ||
				rc=1
		fi
		;;
	journal)
		mkdir -p "$state"
		timed ns in_load_ns "$BANCTL" --pin-dir "$pin" --state-dir "$state" \
			add - <"$dir/addrs.txt" >/dev/null 2>&1 || rc=1
		;;
	restore)
		timed ns in_load_ns "$BANCTL" --pin-dir "$pin" --state-dir /nonexistent \
			restore "$dir/saved.txt" >/dev/null 2>&1 || rc=1
		;;
	daemon)
		load_daemon "$pin" "$state" ns || rc=1
		;;
	esac
	if [[ $rc == 0 && $r == 1 ]]; then
		xb_count_ok "$pin" "$(wc -l <"$dir/addrs.txt")" || rc=1
	fi
	pin_del "$pin"
	[[ $rc == 0 ]] && echo "$ns"
	return "$rc"
}

# xb_count_ok PIN N: the pinned xb_ban_v4 holds N entries.
xb_count_ok()
{
	local got
	got=$(in_load_ns "$BANCTL" --pin-dir "$1" -j status 2>/dev/null |
		grep -o '"name": *"xb_ban_v4"[^}]*' | grep -o '"entries": *[0-9]*' | grep -o '[0-9]*$')
	if [[ $got != "$2" ]]; then
		say "xb_ban_v4 holds '${got}' entries, want $2"
		return 1
	fi
}

# load_daemon PIN STATE VAR: xdpband started on an empty pin dir with STATE's journal, as
# after a reboot; VAR gets the ns from exec to its "restored N bans" line. Then it stops.
load_daemon()
{
	local pin=$1 state=$2 conf=$1.conf log=$1.log pid t0 i
	local -n _ns=$3
	printf '[xdpband]\npin_dir = %s\nstate_dir = %s\nlog_syslog = no\n' "$pin" "$state" >"$conf"
	t0=$(now_ns)
	ip netns exec "$LOAD_NS" "${XDPBAND:-$BUILD/xdpband}" -f -c "$conf" 2>"$log" &
	pid=$!
	for ((i = 0; i < 6000; i++)); do
		if grep -qs 'restored' "$log"; then
			_ns=$(($(now_ns) - t0))
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [[ -z ${_ns:-} ]]; then
		say "xdpband did not restore: $(tail -n 3 "$log")"
		return 1
	fi
}

load_nft()
{
	local dir=$1 ns rc=0
	timed ns in_load_ns nft -f "$dir/set.nft" || rc=1
	in_load_ns nft delete table inet xbbench 2>/dev/null
	[[ $rc == 0 ]] && echo "$ns"
	return "$rc"
}

load_ipset()
{
	local dir=$1 ns rc=0
	timed ns in_load_ns ipset restore -f "$dir/set.ipset" || rc=1
	in_load_ns ipset destroy ban4 2>/dev/null
	[[ $rc == 0 ]] && echo "$ns"
	return "$rc"
}

# ---- memory ----

# mem_delta_kb CMD...: runs CMD; prints "KMEM MEMINFO", the growth in kB of this cgroup's
# kernel memory (empty when it cannot be read) and of meminfo_kb across it.
mem_delta_kb()
{
	local f k0=0 k1=0 m0 m1
	f=$(kmem_file)
	settle
	[[ -n $f ]] && k0=$(kmem_kb "$f")
	m0=$(meminfo_kb)
	"$@" >/dev/null 2>&1 || return 1
	settle
	[[ -n $f ]] && k1=$(kmem_kb "$f")
	m1=$(meminfo_kb)
	echo "$([[ -n $f ]] && echo $((k1 - k0))) $((m1 - m0))"
}

# memory_section DIR N: one table, bytes per element from the kernel's own accounting
# and from the growth of kernel memory, for each kind of set.
memory_section()
{
	local dir=$1 n=$2 pin=$1/pin-mem d memlock ipsz cg mi
	echo
	echo "Memory at $n IPv4 addresses. *memlock*: what the object says it holds (bpf map"
	echo "fdinfo; ipset's own \"Size in memory\"; nftables reports nothing). *memcg*: kernel"
	echo "memory charged to the loading process's memory cgroup across the load ($(kmem_file || echo "not readable here"));"
	echo "only this run is in that cgroup, but the kernel charges only allocations flagged for it"
	echo "(bpf maps and nftables' set elements are; ipset only in small part, nftables' buckets not)."
	echo "*meminfo*: growth of Slab + VmallocUsed + Percpu in /proc/meminfo, everything on the"
	echo "machine included (other tenants' compiles swing it by tens of MB). The peers' growth"
	echo "includes creating their empty table or set; xdpban's is the growth across \`banctl add -\`"
	echo "plus the empty \`xb_ban_v4\`'s own memlock (its bucket array, sized by capacity), so the"
	echo "other maps created with it do not count."
	echo
	echo "| store | memlock | bytes/entry | memcg | bytes/entry | meminfo | bytes/entry |"
	echo "|---|--:|--:|--:|--:|--:|--:|"
	pin_new "$pin" && "$XB_BENCH" mkmaps "$pin" || return 1
	memlock=$(map_memlock "$pin/xb_ban_v4")
	d=$(mem_delta_kb in_load_ns "$BANCTL" --pin-dir "$pin" --state-dir /nonexistent add - \
		<"$dir/addrs.txt") || return 1
	read -r cg mi <<<"$d"
	d="${cg:+$((cg + memlock / 1024))} $((mi + memlock / 1024))"
	memlock=$(map_memlock "$pin/xb_ban_v4")
	pin_del "$pin"
	mem_row "xdpban exact hash \`xb_ban_v4\`" "$memlock" "$d" "$n"
	d=$(mem_delta_kb in_load_ns nft -f "$dir/set.nft") || return 1
	in_load_ns nft delete table inet xbbench
	mem_row "nftables set (\`type ipv4_addr\`)" "" "$d" "$n"
	d=$(mem_delta_kb in_load_ns ipset restore -f "$dir/set.ipset") || return 1
	ipsz=$(in_load_ns ipset list -t ban4 | awk -F': ' '/^Size in memory/ { print $2 }')
	in_load_ns ipset destroy ban4
	mem_row "ipset \`hash:ip\`" "$ipsz" "$d" "$n"
	echo
	echo "Per map kind at 1M entries (fdinfo memlock): the table after the per-packet results."
}

map_memlock()
{
	bpftool map show pinned "$1" | grep -o 'memlock [0-9]*' | grep -o '[0-9]*'
}

# mem_row WHAT MEMLOCK_BYTES "MEMCG_KB MEMINFO_KB" N
mem_row()
{
	local what=$1 bytes=$2 n=$4 cg mi
	read -r cg mi <<<"$3"
	[[ -z $mi ]] && mi=$cg cg=
	cg=${cg:+$((cg * 1024))}
	printf '| %s | %s | %s | %s |\n' "$what" "$(mem_cells "$bytes" "$n")" \
		"$(mem_cells "$cg" "$n")" "$(mem_cells $((mi * 1024)) "$n")"
	[[ -n $TSV ]] && printf 'mem\t%s\t%s\t%s\t%s\t%s\n' "$what" "${bytes:-}" "${cg:-}" "$mi" \
		"$n" >>"$TSV"
	return 0
}

# mem_cells BYTES N: "X MiB | B", or "– | –" without BYTES.
mem_cells()
{
	if [[ -n $1 ]]; then
		printf '%s MiB | %s' "$(fdiv "$1" 1048576)" "$(fdiv "$1" "$2" 0)"
	else
		printf '– | –'
	fi
}

# ---- the section ----

# bench_load N ROUNDS: markdown on stdout; returns non-zero when a loader failed.
bench_load()
{
	local n=$1 rounds=$2 dir=$WORK/load r v t
	local -A times=()
	local vs=(add journal restore daemon nft ipset)
	mkdir -p "$dir" && load_files "$n" "$dir" || return 1
	LOAD_NS=$TAG-load
	netns_new "$LOAD_NS" || return 1
	for ((r = 1; r <= rounds; r++)); do
		rm -rf "$dir/state-$r"
		for v in "${vs[@]}"; do
			case $v in
			nft) t=$(load_nft "$dir") ;;
			ipset) t=$(load_ipset "$dir") ;;
			*) t=$(load_xdpban "$dir" "$r" "$v") ;;
			esac || {
				say "loading $n bans: $v failed (round $r)"
				return 1
			}
			times[$v]+=" $t"
		done
	done
	load_table "$n" "$rounds" times
	[[ ${PROFILE:-0} == 1 ]] && load_profile "$dir"
	memory_section "$dir" "$n" || return 1
	netns_del "$LOAD_NS"
}

# load_profile DIR: where `banctl add -` spends its time, as markdown.
load_profile()
{
	local dir=$1 pin=$1/pin-prof
	have_perf || return 0
	pin_new "$pin" && "$XB_BENCH" mkmaps "$pin" || return 0
	in_load_ns perf record -q -g -o "$dir/perf.data" -- "$BANCTL" --pin-dir "$pin" \
		--state-dir /nonexistent add - <"$dir/addrs.txt" >/dev/null 2>&1
	pin_del "$pin"
	echo
	echo "Where \`banctl add -\` spends its time (\`perf record -g\`, self time):"
	echo
	perf_top "$dir/perf.data"
	perf_top3 "$dir/perf.data" >"$WORK/top-load.txt"
	echo
	echo "and by caller (children time, the syscalls and library calls that matter):"
	echo
	echo "| share | call |"
	echo "|--:|---|"
	perf report -i "$dir/perf.data" --children --sort sym -g none 2>/dev/null |
		awk '/^ +[0-9.]+% +[0-9.]+%/ {
			sym = $0
			sub(/^ +[0-9.]+% +[0-9.]+% +\[[^]]*\] +/, "", sym)
			if (sym ~ /^(generic_map_update_batch|map_lookup_elem|bpf_map_lookup_batch|xb_prefix_parse|xb_never_ban|read_ban_lines.*|xb_bans_add|xb_ban_line_parse|xb_journal_.*)$/)
				printf "| %s | `%s` |\n", $1, sym
		}'
	rm -f "$dir/perf.data"
}

load_table()
{
	local n=$1 rounds=$2 v nft
	local -n _t=$3
	local -A m=()
	for v in "${!_t[@]}"; do
		# shellcheck disable=SC2086 # a list of numbers
		m[$v]=$(median ${_t[$v]})
	done
	nft=${m[nft]}
	echo "Median of $rounds rounds, loaders interleaved within each round; wall time of the"
	echo "whole command, parse included. Ratio = nft -f time / this time."
	echo
	echo "| loader | $n addresses | rate | vs nft -f |"
	echo "|---|--:|--:|--:|"
	load_row "\`banctl add -\` (no journal)" "${m[add]}" "$n" "$nft"
	load_row "\`banctl add -\` with the journal (--state-dir)" "${m[journal]}" "$n" "$nft"
	load_row "\`banctl restore FILE\` (a \`banctl save\` file)" "${m[restore]}" "$n" "$nft"
	load_row "xdpband start, restore from the journal" "${m[daemon]}" "$n" "$nft"
	load_row "\`nft -f\` (inet table, 10k elements per line)" "$nft" "$n" "$nft"
	load_row "\`ipset restore\` (hash:ip)" "${m[ipset]}" "$n" "$nft"
}

load_row()
{
	local what=$1 ns=$2 n=$3 nft=$4
	printf '| %s | %s s | %s M/s | %s× |\n' "$what" "$(fdiv "$ns" 1000000000 2)" \
		"$(fdiv "$((n * 1000))" "$ns" 2)" "$(fdiv "$nft" "$ns" 2)"
	[[ -n $TSV ]] && printf 'load\t%s\t%s\t%s\n' "$what" "$n" "$ns" >>"$TSV"
	return 0
}
