# quan - build with `make -j2`; `make check` runs every test (README).
#
# Two trees: build/ (optimised, -g) and build/asan/ (AddressSanitizer +
# UndefinedBehaviorSanitizer). `make check` runs the whole suite in both.

CC      ?= cc
PKGS    := libfyaml jansson yajl libcrypto sqlite3 libmicrohttpd libpq libsodium xlsxwriter
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
DATADIR := $(CURDIR)/data
WEBDIR  := $(CURDIR)/build/web
VERSION := $(shell cat VERSION)
PREFIX  ?= /usr/local

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wvla -Wformat=2
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(SAN) $(WARN) -Isrc \
           -DQUAN_DATADIR='"$(DATADIR)"' -DQUAN_POLICYDIR='"$(CURDIR)/policies"' -DQUAN_WEBDIR='"$(WEBDIR)"' \
           -DQUAN_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lpthread
LDFLAGS += $(SAN)

LIB_SRC := $(wildcard src/core/*.c src/policy/*.c src/engine/*.c src/ledger/*.c src/store/*.c src/office/*.c src/sim/*.c src/http/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all man test check unit e2e policy-test asan fuzz fuzz-smoke bench bench-smoke \
        clean format-check lint web browser-test test-pg test-pg-store bench-pg install \
        test-ha bench-failover
all: $(BUILD)/quan $(UNIT_BIN) $(BENCH_BIN)

$(BUILD)/libquan.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/quan: $(CLI_OBJ) $(BUILD)/libquan.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libquan.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libquan.a $(LDLIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libquan.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libquan.a $(LDLIBS)

# The version is compiled into main.c.
$(BUILD)/src/cli/main.o: VERSION

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# --- tests -----------------------------------------------------------------

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

policy-test: $(BUILD)/quan
	$(BUILD)/quan policy test tests/policy/*.yaml

e2e: $(BUILD)/quan
	QUAN=$(CURDIR)/$(BUILD)/quan bats tests/e2e

# The unit and end-to-end tests again on PostgreSQL: scripts/pg starts a
# throw-away cluster on loopback, sets QUAN_TEST_DB (each test makes its
# own database there), and removes the cluster afterwards. test-pg-store:
# the store and race tests alone (run under ASan+UBSan by check).
# One after the other: pg.bats stops the server for a while.
test-pg: $(UNIT_BIN) $(BUILD)/quan
	scripts/pg run sh -c '$(MAKE) --no-print-directory unit && $(MAKE) --no-print-directory e2e'
test-pg-store: $(BUILD)/tests/test_store $(BUILD)/tests/test_race
	scripts/pg run sh -c '$(BUILD)/tests/test_store && $(BUILD)/tests/test_race'

# Failover with real processes (tests/ha): a pg_auto_failover formation
# (scripts/ha), two `quan serve` and haproxy, a server and then the
# primary killed with kill -9 mid-rush. About a minute (45 to 65 s); prints
# how long it took.
test-ha: $(BUILD)/quan
	@start=$$(date +%s); \
	QUAN=$(CURDIR)/$(BUILD)/quan bats tests/ha; rc=$$?; \
	echo "test-ha: $$(($$(date +%s) - start)) s"; exit $$rc

# The dashboard: static files and Chart.js (npm ci from the lock file).
WEB_SRC := $(wildcard web/static/*) web/package-lock.json web/build.sh
web: build/web/index.html
build/web/index.html: $(WEB_SRC)
	web/build.sh build/web
	@touch $@

# The dashboard in Debian's chromium, driven by playwright-core.
browser-test: $(BUILD)/quan web
	cd web && QUAN=$(CURDIR)/$(BUILD)/quan QUAN_WEB=$(CURDIR)/build/web \
	  ARTIFACTS=$(CURDIR)/build/artifacts/screenshots node --test --test-concurrency=2 tests/

# The suite in one tree.
test: unit policy-test e2e browser-test

# Everything, as CI runs it: a warning-free build with clang too, the suite
# optimised (gcc) on SQLite, unit and end-to-end again on PostgreSQL, then
# the suite under ASan + UBSan (and the store tests on PostgreSQL), then
# each fuzzer and each benchmark for a few seconds.
check: format-check lint
	@rm -f build/check-times.txt
	scripts/timed "clang build" $(MAKE) CC=clang BUILD=build/clang all
	scripts/timed "suite (SQLite)" $(MAKE) test
	scripts/timed "unit + e2e (PostgreSQL)" $(MAKE) test-pg
	scripts/timed "failover (ha)" $(MAKE) test-ha
	scripts/timed "suite under ASan+UBSan" $(MAKE) BUILD=build/asan \
		OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' test test-pg-store
	scripts/timed "fuzzers" $(MAKE) fuzz-smoke FUZZ_SECONDS=5
	scripts/timed "benchmarks (smoke)" $(MAKE) bench-smoke
	@echo "check: where the time went"; cat build/check-times.txt
	@echo "check: all passed"

# --- fuzzing (clang + libFuzzer) --------------------------------------------

FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
FUZZ_BASE := -std=c11 -D_GNU_SOURCE -O1 -g -Isrc -DQUAN_DATADIR='"$(DATADIR)"' \
	$(shell pkg-config --cflags $(PKGS))
FUZZ_FLAGS := $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined
FUZZ_SECONDS ?= 10
# The library once, instrumented for the fuzzers (not linked with
# libFuzzer's main), rather than compiled again for each of them.
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

build/fuzz/libquan-fuzz.a: $(FUZZ_LIB_OBJ)
	$(AR) rcs $@ $^

-include $(FUZZ_LIB_OBJ:.o=.d)

build/fuzz/%: fuzz/%.c build/fuzz/libquan-fuzz.a
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $< build/fuzz/libquan-fuzz.a $(LDLIBS)

fuzz: $(FUZZ_BIN)

fuzz-smoke: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  mkdir -p build/fuzz/corpus-$$n; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=0 \
	      build/fuzz/corpus-$$n fuzz/corpus/$${n#fuzz_} 2>build/fuzz/$$n.log \
	    || { tail -50 build/fuzz/$$n.log; exit 1; }; \
	  tail -1 build/fuzz/$$n.log; done

# --- benchmarks ----------------------------------------------------------------

bench: $(BENCH_BIN) $(BUILD)/quan
	$(BUILD)/bench/decide
	$(BUILD)/bench/ledger
	QUAN=$(CURDIR)/$(BUILD)/quan $(BUILD)/bench/rush
	$(BUILD)/bench/screen
	$(BUILD)/bench/simulate
	$(BUILD)/bench/queue

bench-smoke: $(BENCH_BIN) $(BUILD)/quan
	$(BUILD)/bench/decide --smoke
	$(BUILD)/bench/ledger --smoke
	QUAN=$(CURDIR)/$(BUILD)/quan $(BUILD)/bench/rush --smoke
	$(BUILD)/bench/screen --smoke
	$(BUILD)/bench/simulate --smoke
	$(BUILD)/bench/queue --smoke
	QUAN=$(CURDIR)/$(BUILD)/quan bench/rush-pg.sh --smoke
	QUAN=$(CURDIR)/$(BUILD)/quan bench/failover --smoke

# How long writes are refused when the PostgreSQL primary dies, and the
# applications per second before and after (bench/failover).
bench-failover: $(BUILD)/quan
	QUAN=$(CURDIR)/$(BUILD)/quan bench/failover

# The rush on PostgreSQL against pgbench running the plain SQL of the same
# reservation (bench/rush-pg.sh).
bench-pg: $(BENCH_BIN) $(BUILD)/quan
	QUAN=$(CURDIR)/$(BUILD)/quan bench/rush-pg.sh

# --- hygiene ---------------------------------------------------------------------

BANNED := '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|sscanf|gets|localtime|gmtime)\s*\('
format-check:
	@clang-format --dry-run --Werror $(LIB_SRC) $(CLI_SRC) $(wildcard src/*/*.h) 2>/dev/null \
	  || { echo "format-check: run clang-format -i on the files above"; \
	       clang-format --dry-run --Werror $(LIB_SRC) $(CLI_SRC) $(wildcard src/*/*.h) 2>&1 | grep -m20 -E "warning|error"; exit 1; }
lint:
	@if grep -nE $(BANNED) $(LIB_SRC) $(CLI_SRC) $(wildcard src/*/*.h); then \
	  echo "lint: banned call above"; exit 1; fi
	@if grep -nE '\b(float|double)\b' $(LIB_SRC) $(wildcard src/*/*.h); then \
	  echo "lint: floating point in the library above (money must stay integer)"; exit 1; fi

# The binary and its manual (DESTDIR for a staged install). The policies,
# chip catalog and dashboard are read from this tree, as built. The manual
# is generated from the binary's own help texts (scripts/mkman), so the page
# installed says what the installed binary's --help says.
install: $(BUILD)/quan
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/quan $(DESTDIR)$(PREFIX)/bin/quan
	scripts/mkman $(BUILD)/quan doc/quan.1.in >$(BUILD)/quan.1
	install -m 644 $(BUILD)/quan.1 $(DESTDIR)$(PREFIX)/share/man/man1/quan.1

# doc/quan.1, the page as the repository carries it (man -l doc/quan.1 with
# no build), made again from the help texts; tests/e2e/help.bats fails when
# it is stale.
man: $(BUILD)/quan
	scripts/mkman $(BUILD)/quan doc/quan.1.in >doc/quan.1

clean:
	rm -rf build
