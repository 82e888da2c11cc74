# SPDX-License-Identifier: GPL-2.0
# sockscope build. `make` needs no root; `make run` and `make test` install what is missing
# (scripts/deps.sh, apt-get) and therefore run as root.

VERSION   := 0.1.0
BUILD     := build
CLANG     ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
LLVM_STRIP ?= $(shell command -v llvm-strip 2>/dev/null || echo true)
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
PYTHON    := /usr/bin/python3

# CFLAGS (default -g -O2) and LDFLAGS are the user's, also from the command line; the flags
# the build needs are added with override so that `make CFLAGS=-O0` keeps them. EXTRA_CFLAGS
# adds to them without replacing the defaults.
CFLAGS    ?= -g -O2
override CFLAGS += -Wall -Wextra -Werror -Wno-missing-field-initializers -std=gnu11 -D_GNU_SOURCE \
	     -I$(BUILD)/skel -Isrc -DSOCKSCOPE_VERSION='"$(VERSION)"' -MMD -MP $(EXTRA_CFLAGS)
CURSES    := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
LIBS      := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) -lmicrohttpd -lpthread -lm \
	     $(CURSES)
ifeq ($(STATIC),1)
override LDFLAGS += -static
LIBS      := -l:libbpf.a -l:libelf.a -l:libz.a -l:libzstd.a -lm -l:libncursesw.a -l:libtinfo.a
endif
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Isrc -Wall -Werror

BPF_SRCS  := $(wildcard src/bpf/*.bpf.c)
SKELS     := $(patsubst src/bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))
# The folders are the architecture (docs/HACKING.md): a file is built by being in one.
# Pure code, no BPF (src/core, the writers, the protocol parsers, the screen's model): linked
# into the unit tests and fuzz targets as well as the binary. src/proto frames HTTP/1.x with
# libhttp-parser (docs/http-parser.md), so that library goes wherever the core goes.
CORE_SRCS := $(wildcard src/core/*.c src/writers/*.c src/proto/*.c) \
	     src/tui/model.c src/tui/keys.c src/tui/cols.c
CORE_LIBS := $(if $(filter 1,$(STATIC)),-l:libhttp_parser.a,-lhttp_parser)
LIBS      += $(CORE_LIBS)
$(BUILD)/tests/test_%: CORE_OBJS += $(CORE_LIBS)
# The BPF side in user space: the attach framework, each BPF object's reader, the commands,
# and the screen's curses side.
APP_SRCS  := $(wildcard src/attach/*.c src/readers/*.c src/cmd/*.c) src/main.c \
	     src/tui/screen.c src/tui/draw.c src/tui/user.c
CORE_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(CORE_SRCS))
APP_OBJS  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(APP_SRCS))
BIN       := $(BUILD)/sockscope

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
HELPERS   := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(wildcard tests/helpers/*.c))

.SECONDARY:

.PHONY: all deps test-deps run test test-kernels unit integration helpers bench clean install format \
	sanitize

all: $(BIN)

deps:
	@scripts/deps.sh

test-deps:
	@scripts/deps.sh --test

run: deps
	@$(MAKE) --no-print-directory all
	$(BIN) top $(ARGS)

# The kernel matrix runs when QEMU is there (deps.sh --test installs it); SKIP_KERNELS=1 skips it.
test: test-deps
	@$(MAKE) --no-print-directory all helpers $(UNIT_BINS)
	@$(MAKE) --no-print-directory unit integration
	@$(MAKE) --no-print-directory sanitize
	@if [ -z "$(SKIP_KERNELS)" ] && command -v qemu-system-x86_64 >/dev/null; then \
		tests/vm/run.sh; else echo "test: kernel matrix skipped"; fi

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: $(BIN) helpers
	$(PYTHON) -m unittest discover -s tests/integration -t . -v $(if $(T),-k $(T))

# Integration tests on other kernels (Debian's 6.1 and 6.12) in QEMU VMs: see tests/vm/README.md.
test-kernels: test-deps
	@$(MAKE) --no-print-directory all helpers
	tests/vm/run.sh

helpers: $(HELPERS)

# The unit tests and a short smoke of every command on real traffic, built with ASan and UBSan
# in $(SAN); any report stops the program and fails the target.
SAN       := build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_ENV   := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:exitcode=86 \
	     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86
sanitize: helpers
	@$(MAKE) --no-print-directory BUILD=$(SAN) EXTRA_CFLAGS="$(SAN_FLAGS)" \
		LDFLAGS="$(SAN_FLAGS)" $(SAN)/sockscope $(patsubst $(BUILD)/%,$(SAN)/%,$(UNIT_BINS))
	@set -e; for t in $(patsubst $(BUILD)/%,$(SAN)/%,$(UNIT_BINS)); do echo "== $$t"; \
		$(SAN_ENV) $$t; done
	$(SAN_ENV) SOCKSCOPE_BIN=$(abspath $(SAN))/sockscope $(PYTHON) -m unittest -v \
		tests.integration.smoke

# Every benchmark in turn (bench/run.sh is top's); BENCHES=trace runs one. See docs/PERFORMANCE.md.
BENCHES ?= run trace conns serve churn uring
bench: $(BIN) helpers
	@set -e; for b in $(BENCHES); do bench/$$b.sh; done

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	@test -r $(VMLINUX_BTF) || { echo "no $(VMLINUX_BTF): the kernel needs CONFIG_DEBUG_INFO_BTF" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: src/bpf/%.bpf.c $(wildcard src/bpf/*.h) src/sockscope.h $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<))_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: src/%.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(CORE_OBJS) $(APP_OBJS)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(CORE_OBJS) -lcmocka -lm -o $@

# The interactive screen's driver for tests: the pure core and the screen, no BPF.
TUI_OBJS  := $(BUILD)/obj/tui/screen.o $(BUILD)/obj/tui/draw.o $(BUILD)/obj/tui/user.o
$(BUILD)/tests/tuidemo: tests/helpers/tuidemo.c $(CORE_OBJS) $(TUI_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(CORE_OBJS) $(TUI_OBJS) $(CORE_LIBS) $(CURSES) -lm -o $@

$(BUILD)/tests/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) -g -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE $< -o $@ -luring

# libFuzzer targets, tests/fuzz/fuzz_NAME.c over the pure core, seeded from tests/fuzz/corpus/NAME/.
# `make fuzz` runs each for its share of FUZZ_SECONDS and fails on a crash; `make test` runs it.
FUZZ_SECONDS ?= 30
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := -g -O1 -Wall -Werror -std=gnu11 -D_GNU_SOURCE -Isrc \
	       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_SRCS) $(wildcard src/*/*.h src/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $< $(CORE_SRCS) $(CORE_LIBS) -lm -o $@

.PHONY: fuzz
test: fuzz
fuzz: $(FUZZ_BINS)
	@set -e; n=$(words $(FUZZ_BINS)); [ $$n -gt 0 ] || exit 0; t=$$(( $(FUZZ_SECONDS) / n )); \
	[ $$t -gt 0 ] || t=1; for f in $(FUZZ_BINS); do \
		echo "== $$f ($${t}s)"; mkdir -p $$f.corpus; \
		$$f -max_total_time=$$t -timeout=10 -print_final_stats=1 -artifact_prefix=$$f- \
			$$f.corpus tests/fuzz/corpus/$${f##*/fuzz_} >$$f.log 2>&1 || { cat $$f.log; \
			echo "fuzz: $$f failed; rerun the input above with: $$f FILE" >&2; exit 1; }; \
		grep -E '^Done|^stat::(number_of_executed_units|new_units_added)' $$f.log; done

# The man page points at the documentation installed here (DOCDIR in docs/sockscope.8).
DOCDIR    := /usr/local/share/doc/sockscope
DOCS      := README.md docs/json.md docs/metrics.md docs/PERFORMANCE.md
# bash-completion looks here too (XDG_DATA_DIRS), and loads a command's file on first use.
BASHCOMPDIR := /usr/local/share/bash-completion/completions
install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)/usr/local/sbin/sockscope
	install -D -m 0644 docs/sockscope.8 $(DESTDIR)/usr/local/share/man/man8/sockscope.8
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -D -m 0644 contrib/sockscope.bash $(DESTDIR)$(BASHCOMPDIR)/sockscope

format:
	clang-format -i $(shell git ls-files 'src/*.c' 'src/*.h' 'tests/*.c')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
