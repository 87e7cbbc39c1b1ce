# SPDX-License-Identifier: GPL-2.0
# Benchmarks against the peers (issue 8), included by the top Makefile:
#
#   make bench        every benchmark at full size; rewrites docs/BENCHMARKS.md (< 15 min)
#   make bench-smoke  every benchmark at tiny sizes, nothing timed or written; ends with
#                     "N passed, N failed" like `make test`
#
# Uses the top Makefile's OUTPUT, CC, ALL_CFLAGS, LDLIBS and its libxdpban.a, xdpban.skel.h
# and banctl rules; everything of its own lands in $(OUTPUT)/bench/.

# Best included at the end of the top Makefile; wherever it is, the default goal stays the
# top Makefile's, and OUTPUT has the same default.
BENCH_SAVED_GOAL := $(.DEFAULT_GOAL)
OUTPUT ?= build

BENCH_CLANG ?= $(if $(CLANG),$(CLANG),clang)
BENCH_BPFTOOL ?= $(if $(BPFTOOL),$(BPFTOOL),bpftool)
BENCH_ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BENCH_OUT := $(OUTPUT)/bench
BENCH_SRC := bench/main.c bench/prog.c bench/tools.c bench/util.c
BENCH_OBJ := $(patsubst bench/%.c,$(BENCH_OUT)/%.o,$(BENCH_SRC)) $(BENCH_OUT)/frames.o
BENCH_BIN := $(BENCH_OUT)/xb_bench

ifeq ($(V),1)
BENCH_Q =
BENCH_MSG =
else
BENCH_Q = @
BENCH_MSG = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: bench bench-smoke

$(BENCH_OUT)/floor.bpf.o: bench/floor.bpf.c vmlinux.h
	$(call BENCH_MSG,BPF,$@)
	$(BENCH_Q)mkdir -p $(@D)
	$(BENCH_Q)$(BENCH_CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BENCH_ARCH) -I. \
		-Wall -Wextra -Werror -c $< -o $(@:.bpf.o=.tmp.bpf.o)
	$(BENCH_Q)$(BENCH_BPFTOOL) gen object $@ $(@:.bpf.o=.tmp.bpf.o)

$(BENCH_OUT)/floor.skel.h: $(BENCH_OUT)/floor.bpf.o
	$(call BENCH_MSG,GEN-SKEL,$@)
	$(BENCH_Q)$(BENCH_BPFTOOL) gen skeleton $< name floor_bpf > $@

$(BENCH_OUT)/%.o: bench/%.c bench/bench.h $(BENCH_OUT)/floor.skel.h $(OUTPUT)/xdpban.skel.h \
		maps/xdpban_maps.h user/lib/xb.h selftests/frames.h
	$(call BENCH_MSG,CC,$@)
	$(BENCH_Q)$(CC) $(ALL_CFLAGS) -I$(BENCH_OUT) -Iselftests -c $< -o $@

$(BENCH_OUT)/frames.o: selftests/frames.c selftests/frames.h
	$(call BENCH_MSG,CC,$@)
	$(BENCH_Q)mkdir -p $(@D)
	$(BENCH_Q)$(CC) $(ALL_CFLAGS) -Iselftests -c $< -o $@

$(BENCH_BIN): $(BENCH_OBJ) $(OUTPUT)/libxdpban.a
	$(call BENCH_MSG,BINARY,$@)
	$(BENCH_Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

bench: $(BENCH_BIN) $(OUTPUT)/banctl $(OUTPUT)/xdpband
	$(BENCH_Q)bench/run.sh full

bench-smoke: $(BENCH_BIN) $(OUTPUT)/banctl $(OUTPUT)/xdpband
	$(BENCH_Q)bench/run.sh smoke

.DEFAULT_GOAL := $(BENCH_SAVED_GOAL)
