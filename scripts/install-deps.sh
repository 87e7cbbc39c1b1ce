#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install every Debian 12 package xdpban needs to build, test and demo.
# Idempotent: packages already present are left alone; apt runs only when something is missing.
set -euo pipefail

PKGS=(
	# build
	make gcc clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev bpftool
	# libraries of the daemon
	libinih-dev libpcre2-dev libsqlite3-dev libhiredis-dev libssl-dev libmicrohttpd-dev
	# the real programs the sources read, tested against; the peers of the benchmarks
	fail2ban spamd spamc nftables ipset iptables redis-server ethtool linux-perf openssl
	prometheus prometheus-node-exporter chromium fonts-dejavu-core
	# tests, demo and checks
	iproute2 iputils-ping procps python3-scapy cppcheck clang-format shellcheck
	python3-docutils man-db systemd bash-completion
	libclang-rt-14-dev
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root (apt-get install); try: sudo $0" >&2
	exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# fail2ban and spamd are installed to be run by the tests, privately: their packages must
# not start system-wide services (fail2ban's default jails would add firewall rules).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
