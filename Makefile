# SPDX-License-Identifier: GPL-2.0
# xdpban: everything lands in build/. `make V=1` shows the commands.

OUTPUT := build
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := 0.1.0

PREFIX ?= /usr/local
DESTDIR ?=

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
INCLUDES := -I$(OUTPUT) -Imaps -Iuser/lib
ALL_CFLAGS := -std=gnu11 $(WARN) $(INCLUDES) -DXDPBAN_VERSION='"$(VERSION)"' $(CFLAGS)
LDLIBS := -lbpf -lelf -lz -linih -lpcre2-8 -lsqlite3 -lhiredis -lcrypto -lmicrohttpd

BPF_SRC := bpf/xdpban.bpf.c
LIB_SRC := $(wildcard user/lib/*.c)
BANCTL_SRC := $(wildcard user/banctl/*.c)
XDPBAND_SRC := $(wildcard user/xdpband/*.c)
# Every selftests/*.c is a helper of the unit tests (runner, frame builder, fixture, model).
TEST_SRC := $(wildcard selftests/*.c) $(wildcard selftests/prog_tests/*.c)

LIB_OBJ := $(patsubst %.c,$(OUTPUT)/%.o,$(LIB_SRC))
BANCTL_OBJ := $(patsubst %.c,$(OUTPUT)/%.o,$(BANCTL_SRC))
XDPBAND_OBJ := $(patsubst %.c,$(OUTPUT)/%.o,$(XDPBAND_SRC))
# Shared with banctl: the config (banctl log finds the daemon's files by it), the LOG line
# format, the sources (banctl test-source), and the metrics_listen parser (config.c).
CONFIG_OBJ := $(OUTPUT)/user/xdpband/config.o $(OUTPUT)/user/xdpband/droplog.o \
	$(OUTPUT)/user/xdpband/sources.o $(OUTPUT)/user/xdpband/metrics.o
TEST_OBJ := $(patsubst %.c,$(OUTPUT)/%.o,$(TEST_SRC))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all test check clean vmlinux demo bench install man asan-xdpband

all: $(OUTPUT)/banctl $(OUTPUT)/xdpband $(OUTPUT)/test_progs $(OUTPUT)/xb_layout1

# A BPF object (compiled, then linked by bpftool) and its skeleton, NAME_bpf.
define bpf_compile
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I. -Imaps $(WARN) \
		-c $< -o $(@:.bpf.o=.tmp.bpf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.tmp.bpf.o)
endef
define bpf_skeleton
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(1) > $@
endef

$(OUTPUT)/xdpban.bpf.o: $(BPF_SRC) maps/xdpban_maps.h vmlinux.h | $(OUTPUT)
	$(bpf_compile)

$(OUTPUT)/xdpban.skel.h: $(OUTPUT)/xdpban.bpf.o
	$(call bpf_skeleton,xdpban_bpf)

# Test programs (selftests/progs): the first release's layout, for the migration tests.
$(OUTPUT)/%.bpf.o: selftests/progs/%.bpf.c maps/xdpban_maps.h vmlinux.h | $(OUTPUT)
	$(bpf_compile)

$(OUTPUT)/xb_layout1.skel.h: $(OUTPUT)/xb_layout1.bpf.o
	$(call bpf_skeleton,xb_layout1_bpf)

$(OUTPUT)/%.o: %.c $(OUTPUT)/xdpban.skel.h maps/xdpban_maps.h $(wildcard user/lib/*.h) \
		$(wildcard user/banctl/*.h) $(wildcard user/xdpband/*.h) $(wildcard selftests/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Iselftests -Iuser/banctl -Iuser/xdpband -c $< -o $@

$(OUTPUT)/libxdpban.a: $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/banctl: $(BANCTL_OBJ) $(CONFIG_OBJ) $(OUTPUT)/libxdpban.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/xdpband: $(XDPBAND_OBJ) $(OUTPUT)/libxdpban.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests.h: $(wildcard selftests/prog_tests/*.c) selftests/gen_tests_h.sh | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)selftests/gen_tests_h.sh $(wildcard selftests/prog_tests/*.c) > $@

$(OUTPUT)/selftests/test_progs.o: $(OUTPUT)/tests.h
$(OUTPUT)/selftests/layout1.o: $(OUTPUT)/xb_layout1.skel.h

# What the first release left pinned, for the upgrade test (selftests/e2e/test-upgrade.sh).
$(OUTPUT)/xb_layout1: $(OUTPUT)/selftests/tools/xb_layout1.o $(OUTPUT)/selftests/layout1.o \
		$(OUTPUT)/libxdpban.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/test_progs: $(TEST_OBJ) $(filter-out %/xdpband.o,$(XDPBAND_OBJ)) $(OUTPUT)/libxdpban.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT):
	$(Q)mkdir -p $@

# Unit tests (test_progs, BPF_PROG_TEST_RUN) then end-to-end tests (netns + veth);
# the last line is the combined "N passed, N failed".
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# xdpband under ASan/UBSan/LSan, for the soak test.
asan-xdpband:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/asan CC=clang CFLAGS='$(ASAN_FLAGS)' \
		LDLIBS='$(LDLIBS) -fsanitize=address,undefined' $(OUTPUT)/asan/xdpband

test: all asan-xdpband fuzz-build $(OUTPUT)/bench/xb_bench
	$(Q)selftests/run.sh

# Style, static analysis, and the unit tests again under ASan/UBSan.
check: all
	$(call msg,FORMAT,bpf maps user selftests)
	$(Q)clang-format --dry-run --Werror $(BPF_SRC) maps/*.h user/*/*.[ch] selftests/*.[ch] \
		selftests/prog_tests/*.c selftests/progs/*.c selftests/tools/*.c fuzz/*.[ch]
	$(call msg,SHELLCHK,scripts selftests)
	$(Q)shellcheck -x scripts/*.sh selftests/*.sh selftests/e2e/*.sh completion/banctl.bash \
		fuzz/run.sh
	$(call msg,CPPCHECK,user)
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem $(INCLUDES) -Iuser/banctl \
		-Iuser/xdpband '-DLIBBPF_OPTS(T,N,...)=struct T N = { .sz = sizeof(struct T), __VA_ARGS__ }' \
		user/lib user/banctl user/xdpband
	$(call msg,SANITIZE,$(OUTPUT)/asan)
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/asan CC=clang \
		CFLAGS='$(ASAN_FLAGS)' \
		LDLIBS='$(LDLIBS) -fsanitize=address,undefined' $(OUTPUT)/asan/banctl \
		$(OUTPUT)/asan/xdpband $(OUTPUT)/asan/test_progs
	$(Q)$(OUTPUT)/asan/test_progs

# Man pages are committed; this regenerates them from their .rst.
man: doc/banctl.8 doc/xdpband.8 doc/xdpban.conf.5

doc/%: doc/%.rst
	$(call msg,RST2MAN,$@)
	$(Q)rst2man --halt=warning $< > $@

vmlinux:
	$(Q)scripts/gen-vmlinux.sh vmlinux.h

demo:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

SBINDIR := $(PREFIX)/sbin
MANDIR := $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
F2B_ACTIONDIR ?= /etc/fail2ban/action.d
SA_DIR ?= /etc/spamassassin
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions

# Binaries (the BPF object is inside them, as a skeleton), man pages, the example config,
# the systemd unit, the fail2ban action and the SpamAssassin plugin.
install: $(OUTPUT)/banctl $(OUTPUT)/xdpband
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/xdpban $(DESTDIR)$(UNITDIR) $(DESTDIR)$(F2B_ACTIONDIR) \
		$(DESTDIR)$(SA_DIR) $(DESTDIR)$(PREFIX)/share/xdpban
	install -m 0755 $(OUTPUT)/banctl $(OUTPUT)/xdpband $(DESTDIR)$(SBINDIR)/
	install -m 0644 doc/banctl.8 doc/xdpband.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 doc/xdpban.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(OUTPUT)/xdpban.bpf.o doc/xdpban.conf.example $(DESTDIR)$(PREFIX)/share/xdpban/
	[ -e $(DESTDIR)$(SYSCONFDIR)/xdpban/xdpban.conf ] || \
		install -m 0644 doc/xdpban.conf.example $(DESTDIR)$(SYSCONFDIR)/xdpban/xdpban.conf
	sed 's|@SBINDIR@|$(SBINDIR)|' contrib/systemd/xdpband.service > \
		$(DESTDIR)$(UNITDIR)/xdpband.service
	install -m 0644 contrib/fail2ban/action.d/xdpban.conf $(DESTDIR)$(F2B_ACTIONDIR)/
	install -m 0644 contrib/spamassassin/XdpbanRelayIP.pm contrib/spamassassin/xdpban.pre \
		$(DESTDIR)$(SA_DIR)/
	install -d $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 completion/banctl.bash $(DESTDIR)$(COMPLETIONDIR)/banctl

clean:
	$(Q)rm -rf $(OUTPUT)

# After every rule above: these read their variables, and must not set the default goal.
include fuzz/fuzz.mk
include bench/bench.mk
