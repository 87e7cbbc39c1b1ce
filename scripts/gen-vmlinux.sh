#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate the committed vmlinux.h from the running kernel's BTF.
# BTF carries no macros; bpf/xdpban.bpf.c defines the few it needs.
set -euo pipefail
out=${1:-vmlinux.h}
btf=/sys/kernel/btf/vmlinux
if [ ! -r "$btf" ]; then
	echo "gen-vmlinux: $btf not readable: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF)" >&2
	exit 1
fi
bpftool btf dump file "$btf" format c >"$out.tmp"
mv "$out.tmp" "$out"
echo "gen-vmlinux: wrote $out ($(wc -l <"$out") lines)"
