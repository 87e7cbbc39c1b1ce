# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The log path: lines/s of `banctl test-source` (a source of the configuration run over a
# file, dry-run) on generated N-line files, next to fail2ban-regex with the equivalent
# filter. fail2ban-regex reads a few thousand lines a second, so it gets the first F lines
# of each file; banctl reads the whole file and, for the ratio, the same first F lines.
# Sourced by bench/run.sh; writes a markdown section on stdout.

# log_banctl CONF FILE VAR_NS VAR_LINES: one test-source run; wall ns and lines read.
log_banctl()
{
	local conf=$1 file=$2 out
	local -n _ns=$3 _lines=$4
	timed _ns "$BANCTL" test-source --config "$conf" s "$file" >"$file.out" 2>"$file.err" ||
		{
			say "banctl test-source on $file: $(head -n 3 "$file.err")"
			return 1
		}
	out=$(head -n 1 "$file.out")
	_lines=$(grep -o '[0-9]* lines read' <<<"$out" | grep -o '^[0-9]*')
	LOG_MATCHED=$(grep -o '[0-9]* matched' <<<"$out" | grep -o '^[0-9]*')
}

# log_f2b FILE FILTER VAR_NS VAR_LINES: fail2ban-regex; wall ns, and the lines it read.
log_f2b()
{
	local file=$1 filter=$2 out
	local -n _ns=$3 _lines=$4
	timed _ns fail2ban-regex "$file" "$filter" >"$file.f2b" 2>&1 || {
		say "fail2ban-regex on $file: $(tail -n 3 "$file.f2b")"
		return 1
	}
	out=$(grep '^Lines:' "$file.f2b")
	_lines=$(awk '{ print $2 }' <<<"$out")
	LOG_MATCHED=$(grep -o '[0-9]* matched' <<<"$out" | grep -o '^[0-9]*')
}

# bench_logs N F ROUNDS: markdown on stdout; non-zero when a run failed or misread.
bench_logs()
{
	local n=$1 f=$2 rounds=$3 dir=$WORK/logs kind type filter r ns lines full head
	local f2b_ns f2b_lines m_ours m_f2b
	mkdir -p "$dir/state"
	echo "| source (generator) | banctl, $n lines | banctl, first $f lines | fail2ban-regex, first $f lines | ratio | matched: banctl / fail2ban |"
	echo "|---|--:|--:|--:|--:|--:|"
	for kind in nginx f2b mail; do
		case $kind in
		nginx) type=regex filter=$F2B_NGINX_FILTER ;;
		f2b) type=fail2ban filter=$F2B_F2B_FILTER ;;
		mail) type=spamd filter=$F2B_MAIL_FILTER ;;
		esac
		"gen_$kind" "$n" "$dir/$kind.log" && head -n "$f" "$dir/$kind.log" >"$dir/$kind.head.log" ||
			return 1
		xb_source_conf s "$type" "$dir/state" "$dir/$kind.log" >"$dir/$kind.conf"
		local t_full=() t_head=()
		for ((r = 1; r <= rounds; r++)); do
			log_banctl "$dir/$kind.conf" "$dir/$kind.log" ns lines || return 1
			[[ $lines == "$n" ]] || { say "banctl read $lines of $n lines"; return 1; }
			t_full+=("$ns")
			log_banctl "$dir/$kind.conf" "$dir/$kind.head.log" ns lines || return 1
			[[ $lines == "$f" ]] || { say "banctl read $lines of $f lines"; return 1; }
			t_head+=("$ns")
		done
		m_ours=$LOG_MATCHED
		log_f2b "$dir/$kind.head.log" "$filter" f2b_ns f2b_lines || return 1
		[[ $f2b_lines == "$f" ]] || { say "fail2ban-regex read $f2b_lines of $f lines"; return 1; }
		m_f2b=$LOG_MATCHED
		full=$(median "${t_full[@]}")
		head=$(median "${t_head[@]}")
		printf '| %s | %s lines/s | %s lines/s | %s lines/s | %s× | %s / %s |\n' \
			"$(log_label "$kind")" "$(rate "$n" "$full")" "$(rate "$f" "$head")" \
			"$(rate "$f" "$f2b_ns")" "$(fdiv "$f2b_ns" "$head" 0)" "$m_ours" "$m_f2b"
		[[ -n $TSV ]] && printf 'log\t%s\t%s\t%s\t%s\n' "$kind" "$(fdiv $((n * 1000000000)) "$full" 0)" \
			"$(fdiv $((f * 1000000000)) "$head" 0)" "$(fdiv $((f * 1000000000)) "$f2b_ns" 0)" >>"$TSV"
		if [[ ${PROFILE:-0} == 1 ]] && have_perf; then
			perf record -q -g -o "$dir/perf.data" -- "$BANCTL" test-source --config \
				"$dir/$kind.conf" s "$dir/$kind.head.log" >/dev/null 2>&1 &&
				{
					echo
					echo "where banctl's time goes on $kind, first $f lines (\`perf record -g\`, self time):"
					echo
					perf_top "$dir/perf.data" --comm banctl
				} >>"$dir/profiles.md"
			perf_top3 "$dir/perf.data" --comm banctl >"$WORK/top-log-$kind.txt"
			rm -f "$dir/perf.data"
		fi
		rm -f "$dir/$kind.log" "$dir/$kind.head.log"
	done
	[[ -f $dir/profiles.md ]] && cat "$dir/profiles.md"
	return 0
}

# rate LINES NS: lines per second, in thousands with a k, or millions with an M.
rate()
{
	awk -v l="$1" -v ns="$2" 'BEGIN {
		r = ns > 0 ? l * 1e9 / ns : 0
		if (r >= 1e6)
			printf "%.2fM\n", r / 1e6
		else
			printf "%.1fk\n", r / 1e3
	}'
}

log_label()
{
	case $1 in
	nginx) echo "regex: nginx access log, wp-login failregex" ;;
	f2b) echo "fail2ban: fail2ban.log (recidive filter for fail2ban-regex)" ;;
	mail) echo "spamd: mail.log, the seed's patched spamd lines" ;;
	esac
}
