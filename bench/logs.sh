# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Log generators for the log-path benchmark, sourced by bench/run.sh. Each writes N lines to
# a file, the same lines every run (awk's srand with a fixed seed), one line a 20 ms tick
# of log time so that maxretry/findtime windows behave as on a busy server.
#
#   gen_nginx N FILE  nginx access log; a quarter of the lines are POST /wp-login.php from
#                     4000 bots, the rest GETs from 50000 clients
#   gen_f2b N FILE    fail2ban.log (1.0 format): Found 70%, Ban 20%, Unban 10%, jails
#                     sshd, postfix-sasl, nginx-http-auth
#   gen_mail N FILE   mail.log (traditional syslog) of postfix + the seed's patched spamd,
#                     eight lines a message, 30% of messages spam ("identified spam (S/T)
#                     from [IP]"); spamd's result: line carries mid=<...> as stock spamd's
#
# The failregex each tool is given is next to its generator: XB_* for banctl's config,
# F2B_* for fail2ban-regex (a regex, or a filter file).

# fail2ban cuts the date out of a line before matching, so this pattern skips over it
# ("- - [date]" or "- - []"); banctl sees the whole line. Both match the same lines.
XB_NGINX_REGEX='^<HOST> -[^"]*"POST /wp-login\.php'
# shellcheck disable=SC2034 # the F2B_* filters are read by bench/logpath.sh
F2B_NGINX_FILTER=$XB_NGINX_REGEX
# fail2ban's own filter for its log: recidive bans whoever other jails ban.
# shellcheck disable=SC2034
F2B_F2B_FILTER=/etc/fail2ban/filter.d/recidive.conf
# shellcheck disable=SC2034
F2B_MAIL_FILTER='spamd\[\d+\]: spamd: identified spam \([-\d.]+/[-\d.]+\) from \[<HOST>\]'

# Awk pieces shared by the generators: bot and client addresses from small integers.
_GEN_AWK_LIB='
function bot(b) { return sprintf("%d.%d.%d.%d", 11 + b % 200, int(b / 200) + 1, (b * 7) % 250 + 1, (b * 13) % 250 + 1) }
function client(c) { return sprintf("%d.%d.%d.%d", 100 + c % 100, int(c / 100) % 250 + 1, (c * 3) % 250 + 1, (c * 11) % 250 + 1) }
'

gen_nginx()
{
	local n=$1 out=$2
	awk -v n="$n" "$_GEN_AWK_LIB"'
BEGIN {
	srand(42)
	t0 = 1795743257
	ua = "\"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0\""
	for (i = 0; i < n; i++) {
		s = t0 + int(i / 50)
		if (s != ps) {
			ts = strftime("%d/%b/%Y:%H:%M:%S +0000", s, 1)
			ps = s
		}
		if (rand() < 0.25)
			printf "%s - - [%s] \"POST /wp-login.php HTTP/1.1\" 200 4523 %s\n", bot(int(rand() * 4000)), ts, ua
		else
			printf "%s - - [%s] \"GET /blog/post-%d.html HTTP/1.1\" 200 %d %s\n", client(int(rand() * 50000)), ts, int(rand() * 3000), int(rand() * 40000), ua
	}
}' >"$out"
}

gen_f2b()
{
	local n=$1 out=$2
	awk -v n="$n" "$_GEN_AWK_LIB"'
BEGIN {
	srand(43)
	t0 = 1795743257
	split("sshd postfix-sasl nginx-http-auth", jail, " ")
	for (i = 0; i < n; i++) {
		s = t0 + int(i / 50)
		if (s != ps) {
			ts = strftime("%Y-%m-%d %H:%M:%S", s, 1)
			ps = s
		}
		ms = sprintf("%s,%03d", ts, (i % 50) * 20)
		j = jail[int(rand() * 3) + 1]
		ip = bot(int(rand() * 4000))
		r = rand()
		if (r < 0.7)
			printf "%s fail2ban.filter         [10615]: INFO    [%s] Found %s - %s\n", ms, j, ip, ts
		else if (r < 0.9)
			printf "%s fail2ban.actions        [10615]: NOTICE  [%s] Ban %s\n", ms, j, ip
		else
			printf "%s fail2ban.actions        [10615]: NOTICE  [%s] Unban %s\n", ms, j, ip
	}
}' >"$out"
}

gen_mail()
{
	local n=$1 out=$2
	awk -v n="$n" "$_GEN_AWK_LIB"'
function line(fmt, a, b, c, d) {
	if (i++ >= n)
		exit
	s = t0 + int(i / 50)
	if (s != ps) {
		ts = strftime("%b %e %H:%M:%S", s, 1)
		ps = s
	}
	printf "%s mx1 " fmt "\n", ts, a, b, c, d
}
BEGIN {
	srand(44)
	t0 = 1795743257
	for (m = 0; ; m++) {
		spam = rand() < 0.3
		ip = spam ? bot(int(rand() * 4000)) : client(int(rand() * 50000))
		qid = sprintf("4F3A%07X", m)
		mid = sprintf("<%d.%d@mail.example.net>", m, int(rand() * 100000))
		pid = 20000 + m % 5000
		line("postfix/smtpd[%d]: connect from unknown[%s]", pid, ip)
		line("postfix/smtpd[%d]: %s: client=unknown[%s]", pid, qid, ip)
		line("postfix/cleanup[%d]: %s: message-id=%s", pid + 1, qid, mid)
		line("spamd[%d]: spamd: connection from localhost [127.0.0.1]:%d to port 783, fd 5", 17844 + m % 4, 30000 + m % 30000)
		if (spam) {
			line("spamd[%d]: spamd: identified spam (%.1f/5.0) from [%s] for spamassassin:1003 in 0.2 seconds, 2152 bytes.", 17844 + m % 4, 5 + rand() * 20, ip)
			line("spamd[%d]: spamd: result: Y 12 - BAYES_99,RDNS_NONE scantime=0.2,size=2152,user=spamassassin,uid=1003,required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=%d,mid=%s,autolearn=no autolearn_force=no", 17844 + m % 4, 30000 + m % 30000, mid)
		} else {
			line("spamd[%d]: spamd: clean message (1.0/5.0) for spamassassin:1003 in 0.1 seconds, 532 bytes.", 17844 + m % 4)
			line("spamd[%d]: spamd: result: . 1 - RDNS_NONE scantime=0.1,size=532,user=spamassassin,uid=1003,required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=%d,mid=%s,autolearn=no autolearn_force=no", 17844 + m % 4, 30000 + m % 30000, mid)
		}
		line("postfix/qmgr[%d]: %s: from=<x%d@example.org>, size=2152, nrcpt=1 (queue active)", 999, qid, m)
		line("postfix/qmgr[%d]: %s: removed", 999, qid)
	}
}' >"$out"
}

# xb_source_conf NAME TYPE STATE_DIR LOGFILE: banctl's config for one source, on stdout.
xb_source_conf()
{
	local name=$1 type=$2 state=$3 log=$4
	printf '[xdpband]\nstate_dir = %s\n\n[source:%s]\ntype = %s\nlogpath = %s\n' \
		"$state" "$name" "$type" "$log"
	# No cap on bans per minute: a million-line file replays hours in a second.
	printf 'max_bans_per_minute = 0\n'
	case $type in
	regex)
		printf 'failregex = %s\nmaxretry = 5\nfindtime = 10m\nbantime = 1h\n' \
			"$XB_NGINX_REGEX"
		;;
	spamd) printf 'bantime = 1h\n' ;;
	esac
}
