# flowmob — top-level build.
#
#   make            build build/flowmobd, build/flowmobctl, build/flowmob-mh and the BPF objects
#   make deps       install the Debian packages the project needs (idempotent)
#   make test       deps + every suite; ends with one line "N passed, N failed"
#   make test-unit | test-bpf | test-e2e   one suite (each prints its own summary line)
#   make check-layers  the agent's layer rules (also part of make test-unit)
#   make fuzz FUZZ_SECONDS=60              run every fuzzer (tests/fuzz/fuzz_*.c) that long
#   make demo       deps + build + the whole system in namespaces, showing a flow moving
#   make bench      the benchmark table
#   make format     clang-format every C source in place
#   make man | install | uninstall | deb   man pages, install, Debian package (mk/ops.mk)
#
# Variables: BUILD (output dir, default build), SAN=1 (ASan/UBSan build, used by the
# unit tests in build/san), V=1 (echo commands).

BUILD      ?= build
SAN        ?= 0
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH  := $(shell gcc -print-multiarch 2>/dev/null)
PYTHON     := /usr/bin/python3

CC         ?= gcc
CLANG      ?= clang
BPFTOOL    ?= bpftool

Q := $(if $(filter 1,$(V)),,@)

CFLAGS_BASE := -std=gnu11 -g -O2 -Wall -Wextra -Werror -Wno-missing-field-initializers \
               -D_GNU_SOURCE -Iinclude -Iagent -I$(BUILD)/skel
ifeq ($(SAN),1)
CFLAGS_BASE += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS     += -fsanitize=address,undefined
endif
CFLAGS   ?=
CFLAGS   += $(CFLAGS_BASE)
LDLIBS   := -lbpf -lelf -lz -lev -lcyaml -lyaml -ljansson -llmdb -lcrypto -lm

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -Iinclude -Ibpf -I/usr/include/$(MULTIARCH)

# ---- sources (wildcards: a new module needs no Makefile edit) -------------
BPF_SRCS    := $(wildcard bpf/*.bpf.c)
BPF_OBJS    := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
SKELS       := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/skel/%.skel.h)

AGENT_SRCS  := $(wildcard agent/*/*.c)
AGENT_OBJS  := $(AGENT_SRCS:%.c=$(BUILD)/obj/%.o)
LIB         := $(BUILD)/libflowmob.a

CTL_SRCS    := $(wildcard tools/flowmobctl/*.c)
MH_SRCS     := $(wildcard tools/flowmob-mh/*.c)

UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BPFT_SRCS   := $(wildcard tests/bpf/*.c)
BENCH_SRCS  := $(wildcard tests/bench/*.c)

BINS := $(BUILD)/flowmobd $(BUILD)/flowmobctl $(BUILD)/flowmob-mh

.PHONY: all deps check-layers test test-unit test-bpf test-e2e fuzz fuzz-smoke demo bench format clean \
        unit-bins bpf-test-bins bpf
.DEFAULT_GOAL := all

all: $(BPF_OBJS) $(SKELS) $(BINS)
bpf: $(BPF_OBJS) $(SKELS)

deps:
	$(Q)tools/deps.sh

# ---- BPF -----------------------------------------------------------------
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/lib/*.h) $(wildcard include/*.h)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@.tmp && mv $@.tmp $@

# vmlinux.h from the running kernel's BTF, for programs or tools that want CO-RE types.
$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

# ---- agent library and binaries -----------------------------------------
$(BUILD)/obj/%.o: %.c $(wildcard agent/*/*.h) $(wildcard include/*.h) | $(SKELS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# dataplane.o embeds the BPF object through its skeleton: rebuild it when a skeleton changes.
$(BUILD)/obj/agent/dp/dataplane.o: $(SKELS)

$(LIB): $(AGENT_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/flowmobd: $(BUILD)/obj/agent/main.o $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/flowmobctl: $(CTL_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# flowmob-mh alone reads and writes captures, through libpcap (pcap and pcapng).
$(BUILD)/flowmob-mh: $(MH_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpcap

# ---- tests ----------------------------------------------------------------
$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/bpf_fixtures: $(BPFT_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/bench_dp: $(BENCH_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit-bins: $(UNIT_BINS)

check-layers: all
	$(Q)tools/check-layers $(BUILD)

# The unit suite runs the cmocka binaries of the sanitizer build plus the tool tests.
test-unit: deps
	$(Q)$(MAKE) --no-print-directory SAN=1 BUILD=build/san unit-bins
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run-suite.sh unit

test-bpf: deps all
	$(Q)$(if $(BPFT_SRCS),$(MAKE) --no-print-directory $(BUILD)/tests/bpf_fixtures,true)
	$(Q)tests/run-suite.sh bpf

test-e2e: deps all
	$(Q)tests/run-suite.sh e2e

test: deps
	$(Q)rm -rf $(BUILD)/test-results
	$(Q)$(MAKE) --no-print-directory SAN=1 BUILD=build/san unit-bins
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(if $(BPFT_SRCS),$(MAKE) --no-print-directory $(BUILD)/tests/bpf_fixtures,true)
	$(Q)tests/run-suite.sh unit bpf e2e

# ---- fuzzing ------------------------------------------------------------------
FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Iagent \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

# Each target's agent sources: FUZZ_DEPS_<name> for tests/fuzz/fuzz_<name>.c.
FUZZ_DEPS_mh := agent/mh/mh.c agent/mh/ts.c agent/mh/mh_json.c agent/core/num.c
# the LMA without its daemon glue (no MH socket, no data plane), for requests and state
FUZZ_LMA := $(filter-out agent/lma/lma_daemon.c,$(wildcard agent/lma/*.c)) \
            $(wildcard agent/core/*.c) $(wildcard agent/mh/*.c) $(wildcard agent/proto/*.c) \
            agent/daemon/config.c
FUZZ_DEPS_ctl := $(FUZZ_LMA)
FUZZ_DEPS_state := $(FUZZ_LMA)
FUZZ_DEPS_config := $(FUZZ_LMA)
FUZZ_DEPS_ts := agent/mh/ts.c agent/core/num.c
FUZZ_DEPS_ndisc := agent/mag/ndisc.c agent/core/log.c agent/core/clock.c
FUZZ_LIBS_ndisc := -lsystemd
# Each target's libraries beyond jansson: FUZZ_LIBS_<name>.
FUZZ_LIBS_ctl := -lev -lcyaml -lyaml -lcrypto -llmdb -lsystemd -lmicrohttpd
FUZZ_LIBS_state := $(FUZZ_LIBS_ctl)
FUZZ_LIBS_config := $(FUZZ_LIBS_ctl)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard agent/*/*.c) $(wildcard agent/*/*.h)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_DEPS_$*) -ljansson $(FUZZ_LIBS_$*)

fuzz: deps $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do mkdir -p $(BUILD)/fuzz/corpus-$$(basename $$f); \
	  s=tests/fuzz/seeds-$$(basename $$f); [ -d $$s ] || s=tests/fuzz/seeds; \
	  $$f -max_total_time=$(FUZZ_SECONDS) $(BUILD)/fuzz/corpus-$$(basename $$f) $$s || exit 1; done

# ---- demo and benchmarks -------------------------------------------------
demo: deps all
	$(Q)tools/demo.sh

bench: deps all
	$(Q)tools/deps.sh gnuplot-nox # the chart: make bench only, not make test
	$(Q)$(if $(BENCH_SRCS),$(MAKE) --no-print-directory $(BUILD)/tests/bench_dp,true)
	$(Q)tests/bench/run.sh

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	$(Q)rm -rf build
include mk/ops.mk
