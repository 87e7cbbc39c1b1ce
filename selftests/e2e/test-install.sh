# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Installing like a system service: make install into a DESTDIR, the unit verified by
# systemd, every man page rendered, and the bash completion completing.

REPO=$(cd "$E2E_DIR/../.." && pwd)

# make install into a scratch DESTDIR lays out every file, and the unit passes
# systemd-analyze verify.
test_install_layout()
{
	local d=$TEST_TMP/root f out
	check_run make -s -C "$REPO" install DESTDIR="$d" PREFIX=/usr >/dev/null
	for f in usr/sbin/banctl usr/sbin/xdpband usr/share/man/man8/banctl.8 \
		usr/share/man/man8/xdpband.8 usr/share/man/man5/xdpban.conf.5 \
		etc/xdpban/xdpban.conf lib/systemd/system/xdpband.service \
		etc/fail2ban/action.d/xdpban.conf etc/spamassassin/XdpbanRelayIP.pm \
		etc/spamassassin/xdpban.pre usr/share/bash-completion/completions/banctl \
		usr/share/xdpban/xdpban.bpf.o; do
		[[ -e $d/$f ]] || fail "make install did not install /$f"
	done
	grep -q '^ExecStart=/usr/sbin/xdpband ' "$d/lib/systemd/system/xdpband.service" ||
		fail "unit's ExecStart not substituted"
	command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
	# verify resolves ExecStart on the host: point it at the built binary.
	sed "s|/usr/sbin/xdpband|$REPO/build/xdpband|" "$d/lib/systemd/system/xdpband.service" \
		>"$TEST_TMP/xdpband.service"
	# The man pages are checked by test_install_man; they are not installed on this host.
	out=$(systemd-analyze verify --man=no "$TEST_TMP/xdpband.service" 2>&1) ||
		fail "systemd-analyze verify: $out"
	echo "systemd-analyze verify: ${out:-clean}"
	! grep -qi 'warn\|error\|unknown' <<<"$out" || fail "systemd-analyze verify: $out"
	"$d/usr/sbin/banctl" --version | grep -q '^banctl ' || fail "installed banctl does not run"
}

# man -l renders every page without a warning.
test_install_man()
{
	local p out
	command -v man >/dev/null || skip "man is not installed"
	for p in banctl.8 xdpband.8 xdpban.conf.5; do
		out=$(MANWIDTH=80 man --warnings -l "$REPO/doc/$p" 2>&1 >/dev/null)
		[[ -z $out ]] || fail "man -l $p: $out"
		MANWIDTH=80 man -l "$REPO/doc/$p" 2>/dev/null | grep -q 'SYNOPSIS\|DESCRIPTION' ||
			fail "man -l $p rendered nothing"
	done
}

# complete_banctl WORDS...: what the completion offers for the last word.
complete_banctl()
{
	# shellcheck disable=SC1091
	(
		source /usr/share/bash-completion/bash_completion
		source "$REPO/completion/banctl.bash"
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		_banctl
		printf '%s\n' "${COMPREPLY[@]}"
	)
}

# The completion completes subcommands, interfaces and listed bans.
test_install_completion()
{
	[[ -r /usr/share/bash-completion/bash_completion ]] || skip "bash-completion not installed"
	check_run banctl_b add 192.0.2.44 --reason complete
	# shellcheck disable=SC2031
	PATH=$(dirname "$BANCTL"):$PATH
	complete_banctl banctl lo | grep -qx load || fail "no 'load' for 'lo'"
	complete_banctl banctl sta | grep -qx status || fail "no 'status' for 'sta'"
	ip netns exec "$NS_B" bash -c "$(declare -f complete_banctl); REPO=$REPO; PATH=$PATH;
		complete_banctl banctl load ''" | grep -qx "$IF_B" || fail "no interface $IF_B"
	complete_banctl banctl --pin-dir "$PIN_DIR" del 192 | grep -qx 192.0.2.44/32 ||
		fail "no listed ban for 'del 192'"
}

ALL_TESTS+=(test_install_layout test_install_man test_install_completion)
