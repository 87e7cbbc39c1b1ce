# SPDX-License-Identifier: GPL-2.0
# libFuzzer harnesses, included by the top Makefile, which defines OUTPUT, WARN, INCLUDES,
# LIB_SRC, XDPBAND_SRC, LDLIBS, VERSION, Q and msg. Everything lands in $(OUTPUT)/fuzz; the
# committed corpora are only ever copied from.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_JOBS=1] [FUZZ_TARGETS="fuzz_prefix ..."]
#       each harness for FUZZ_SECONDS on a copy of its corpus; execs and coverage per harness
#   make fuzz-smoke [FUZZ_SMOKE_SECONDS=5]
#       the regression inputs, then each harness briefly; ends "N passed, N failed"

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_JOBS ?= 1
FUZZ_OUT := $(OUTPUT)/fuzz

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -O2 -g $(INCLUDES) -Iuser/xdpband $(FUZZ_SAN) \
	-DXDPBAN_VERSION='"$(VERSION)"'
# Warnings are `make check`'s business for the library; the harnesses get -Werror.
FUZZ_LIB_WARN := -w
# libxdpban and xdpband's parts (its config reader and what that calls), instrumented for
# coverage; from the archive, each harness links only what it uses.
FUZZ_LIB_SRC := $(LIB_SRC) $(filter-out %/xdpband.c,$(XDPBAND_SRC))
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_LIB_SRC))
FUZZ_ALL := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BIN := $(addprefix $(FUZZ_OUT)/,$(FUZZ_ALL))

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-force

fuzz-build: $(FUZZ_BIN)

$(FUZZ_OUT)/obj/%.o: %.c $(OUTPUT)/xdpban.skel.h maps/xdpban_maps.h $(wildcard user/lib/*.h) \
		$(wildcard user/xdpband/*.h)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LIB_WARN) -fsanitize=fuzzer-no-link -c $< -o $@

# The list of objects, rewritten only when it changes: the top Makefile's empty .SECONDARY
# would not build a missing object (a new source file) while the archive looks up to date.
$(FUZZ_OUT)/objects.list: fuzz-force
	$(Q)mkdir -p $(@D)
	$(Q)echo '$(FUZZ_LIB_OBJ)' | cmp -s - $@ || echo '$(FUZZ_LIB_OBJ)' > $@

$(FUZZ_OUT)/libxdpban-fuzz.a: $(FUZZ_LIB_OBJ) $(FUZZ_OUT)/objects.list
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $(FUZZ_LIB_OBJ)

$(FUZZ_OUT)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_OUT)/libxdpban-fuzz.a
	$(call msg,FUZZER,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -Ifuzz -fsanitize=fuzzer $< $(FUZZ_OUT)/libxdpban-fuzz.a \
		$(LDLIBS) -o $@

fuzz: $(FUZZ_BIN)
	$(Q)fuzz/run.sh -o $(FUZZ_OUT) -t $(FUZZ_SECONDS) -j $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BIN)
	$(Q)fuzz/run.sh -o $(FUZZ_OUT) -t $(FUZZ_SMOKE_SECONDS) -j $(FUZZ_JOBS) $(FUZZ_TARGETS)
