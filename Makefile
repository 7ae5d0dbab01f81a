# SPDX-License-Identifier: BSD-2-Clause
#
# pmipd: Proxy Mobile IPv6 (RFC 5213) daemon and its namespace testbed.
#
#   make                 build build/pmipd and build/pmipctl
#   make test            unit tests (ASan+UBSan), integration tests, test-qemu
#   make test-qemu       the ip6tnl data plane under qemu (stock Debian kernel)
#   make testbed         build the namespace testbed (root); testbed-down removes it
#   make handover        run a scenario (SCENARIO=basic) on the testbed
#   make figures         fresh runs -> analysis/figures and analysis/REPORT.md
#   make bench-dataplane data plane throughput and latency (root, testbed)
#   make bench-registration  many MAGs register many MNs at one LMA
#   make bench-guard     registration cost against bench/baseline-registration.json
#   make fuzz            run every libFuzzer target (FUZZ_SECONDS each, clang)
#   make check-format    clang-format --dry-run over every C file
#
# Quiet unless V=1.  CI sets WERROR=-Werror.

SHELL    := /bin/bash
CC       ?= cc
CLANG    ?= clang
PYTHON   ?= /usr/bin/python3
BUILD    ?= build
WERROR   ?=
FUZZ_SECONDS ?= 60

PKGS     := libnl-3.0 libnl-route-3.0 libnl-genl-3.0 libconfig liburing
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual \
            -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla \
            -Wno-unused-parameter $(WERROR)
CPPFLAGS += -D_GNU_SOURCE -Idaemon $(PKG_CFLAGS)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -MMD -MP
LDLIBS   += $(PKG_LIBS)

SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Every daemon/*.c but the two mains goes into the library both binaries
# and all tests link against.
MAINS    := daemon/pmipd.c daemon/pmipctl.c
LIB_SRCS := $(filter-out $(MAINS),$(wildcard daemon/*.c))
LIB_OBJS := $(LIB_SRCS:daemon/%.c=$(BUILD)/obj/%.o)
SAN_OBJS := $(LIB_SRCS:daemon/%.c=$(BUILD)/san/%.o)
TEST_SRCS := $(wildcard daemon/tests/test_*.c)
TESTS    := $(TEST_SRCS:daemon/tests/%.c=$(BUILD)/san/%)
FUZZ_SRCS := $(wildcard daemon/fuzz/fuzz_*.c)
FUZZERS  := $(FUZZ_SRCS:daemon/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJS := $(LIB_SRCS:daemon/%.c=$(BUILD)/fuzzobj/%.o)
TOOLS    := $(BUILD)/pmip-udpflow $(BUILD)/pmip-nfdelay

.SECONDARY:

.PHONY: all test unit-test integration-test fuzz fuzz-build clean \
        check-format format
all: $(BUILD)/pmipd $(BUILD)/pmipctl $(TOOLS)

$(BUILD)/obj/%.o: daemon/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Role modules linked into pmipd (see daemon/pmipd.h).
ROLE_DEFS := -DPMIPD_HAVE_LMA=1 -DPMIPD_HAVE_MAG=1
$(BUILD)/obj/pmipd.o $(BUILD)/san/pmipd.o: CPPFLAGS += $(ROLE_DEFS)

$(BUILD)/libpmip.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/pmipd: $(BUILD)/obj/pmipd.o $(BUILD)/libpmip.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/pmipctl: $(BUILD)/obj/pmipctl.o $(BUILD)/libpmip.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Testbed tools: standalone programs, no libraries.
$(BUILD)/pmip-udpflow: testbed/tools/udpflow.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC/LD   $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

# NFQUEUE delay and loss stage for the MAG-LMA links (no netem here).
NFQ_LIBS := $(shell pkg-config --libs libnetfilter_queue 2>/dev/null || \
              echo -lnetfilter_queue -lnfnetlink)
$(BUILD)/pmip-nfdelay: testbed/tools/nfdelay.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC/LD   $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(NFQ_LIBS)

# Registration load against one LMA (links the daemon's library).
$(BUILD)/pmip-regload: testbed/tools/regload.c $(BUILD)/libpmip.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC/LD   $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
all: $(BUILD)/pmip-regload

# The ns-3 802.11 access network ([topology] access = "ns3-wifi"), only
# where ns-3 is installed (scripts/install-ns3.sh; pkg-config needs
# libgsl-dev for ns-3's .pc files).  Debian's .pc files carry a bogus
# include flag, so the libraries are named here.
CXX      ?= g++
NS3_OK   := $(shell pkg-config --exists ns3-tap-bridge ns3-wifi ns3-mobility \
              2>/dev/null && test -f /usr/include/ns3/tap-bridge-module.h && \
              echo yes)
NS3_LIBS := -lns3-tap-bridge -lns3-wifi -lns3-mobility -lns3-network \
            -lns3-core -lpthread
ifeq ($(NS3_OK),yes)
$(BUILD)/pmip-ns3-wifi: testbed/ns3/wifi-access.cc
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CXX/LD  $@")
	$(Q)$(CXX) -std=c++17 -O1 -g0 -Wall -Wextra $(WERROR) -o $@ $< $(NS3_LIBS)
all: $(BUILD)/pmip-ns3-wifi
integration-test: $(BUILD)/pmip-ns3-wifi
endif

# Sanitizer build: the library, both binaries and the unit tests.
$(BUILD)/san/%.o: daemon/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC/SAN  $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $(SAN) -c -o $@ $<

$(BUILD)/san/libpmip.a: $(SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/san/test_%.o: daemon/tests/test_%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC/SAN  $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $(SAN) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/san/test_%: $(BUILD)/san/test_%.o $(BUILD)/san/libpmip.a
	@$(if $(Q),echo "  LD/SAN  $@")
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)

$(BUILD)/san/pmipd: $(BUILD)/san/pmipd.o $(BUILD)/san/libpmip.a
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

$(BUILD)/san/pmipctl: $(BUILD)/san/pmipctl.o $(BUILD)/san/libpmip.a
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

unit-test: $(TESTS) $(BUILD)/san/pmipd $(BUILD)/san/pmipctl
	$(Q)set -e; export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  PMIPD=$(CURDIR)/$(BUILD)/san/pmipd PMIPCTL=$(CURDIR)/$(BUILD)/san/pmipctl \
	  TOP=$(CURDIR); \
	for t in $(TESTS); do echo "== $$t"; $$t; done

integration-test: $(BUILD)/san/pmipd $(BUILD)/san/pmipctl $(BUILD)/pmipd $(BUILD)/pmipctl \
                  $(BUILD)/pmip-regload
	$(Q)if [ -d tests ] && ls tests/test_*.py >/dev/null 2>&1; then \
	  PMIPD=$(CURDIR)/$(BUILD)/san/pmipd PMIPCTL=$(CURDIR)/$(BUILD)/san/pmipctl \
	  PMIP_REGLOAD=$(CURDIR)/$(BUILD)/pmip-regload \
	  PMIP_NS3_WIFI=$(CURDIR)/$(BUILD)/pmip-ns3-wifi \
	  $(PYTHON) -m pytest -q -ra tests analysis; \
	else echo "no integration tests yet"; fi

test: deps unit-test test-qemu integration-test

# The kernel data plane's ip6tnl path: LMA and MAG in a qemu guest with a
# stock Debian kernel (ours lacks ip6_tunnel).  ~1 min under TCG; prints
# SKIP without qemu-system-x86 or busybox-static.  No root needed.
.PHONY: test-qemu
test-qemu: $(BUILD)/pmipd
	$(Q)PMIPD=$(CURDIR)/$(BUILD)/pmipd tests/qemu/run-ip6tnl.sh

# libFuzzer targets (clang only).
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
$(BUILD)/fuzzobj/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: daemon/fuzz/fuzz_%.c $(FUZZ_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CLANG) $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	  -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZERS)

fuzz: $(FUZZERS)
	$(Q)set -e; for f in $(FUZZERS); do n=$${f##*/}; \
	  mkdir -p $(BUILD)/corpus/$$n; \
	  cp -n daemon/fuzz/corpus/$$n/* $(BUILD)/corpus/$$n/ 2>/dev/null || true; \
	  echo "== $$n for $(FUZZ_SECONDS) s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/fuzz/$$n- $(BUILD)/corpus/$$n \
	    2>&1 | tail -n 12; \
	  test $${PIPESTATUS[0]} -eq 0; done

# The testbed (root): make testbed && make handover [SCENARIO=name]
SCENARIO ?= basic
.PHONY: deps testbed testbed-down handover bench-dataplane
deps:
	$(Q)./scripts/install-deps.sh

testbed: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(PYTHON) testbed/tb.py up $(TESTBED_ARGS)

testbed-down:
	$(Q)$(PYTHON) testbed/tb.py down

handover: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(PYTHON) scenarios/run.py scenarios/$(SCENARIO).toml

# Fresh runs -> analysis/figures/*.png and analysis/REPORT.md (git-ignored).
.PHONY: figures
figures: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(PYTHON) analysis/figures.py

# Kernel and user backends against plain forwarding (docs/benchmarks.md).
bench-dataplane: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(PYTHON) testbed/bench_dataplane.py $(BENCH_ARGS)

# Registration rate, latency and memory at one LMA (root; docs/benchmarks.md).
.PHONY: bench-registration bench-guard
bench-registration: $(BUILD)/pmipd $(BUILD)/pmipctl $(BUILD)/pmip-regload
	$(Q)$(PYTHON) testbed/bench_registration.py $(BENCH_ARGS)

# Instruction-count regression guard of the registration path (callgrind).
bench-guard: $(BUILD)/pmip-regload
	$(Q)$(PYTHON) analysis/bench_guard.py --regload $(BUILD)/pmip-regload

C_FILES = $(wildcard daemon/*.c daemon/*.h daemon/tests/*.c daemon/fuzz/*.c)
check-format:
	$(Q)clang-format --dry-run -Werror $(C_FILES)
format:
	$(Q)clang-format -i $(C_FILES)

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*/*.d)
