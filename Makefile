# att-report. Every target installs what it needs first (scripts/install-deps is idempotent).
SWIFT ?= swift
BIN_RELEASE = .build/release/att-report

.PHONY: deps build release test test-tsan test-asan demo bench fuzz clean

deps:
	@./scripts/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The whole suite: unit tests, CCTV/minisign/RFC vectors, black-box CLI tests and live
# interop with age, pyrage and minisign.
test: deps
	$(SWIFT) build
	$(SWIFT) test
	./scripts/api-fuzz .build/debug/att-report

# The suite under ThreadSanitizer and AddressSanitizer, each in its own scratch path
# (slow: a full build each). TEST_FILTER and TEST_SKIP narrow them (swift test --filter and
# --skip), e.g. TEST_FILTER=RelayTests. Live relay and CLI tests run the att-report built
# with the same sanitizer (ATT_REPORT_BIN). Every process's reports, the relays' too (a relay
# killed by a test never exits with the sanitizer's status), go to <scratch>/report.<pid>:
# any error or race in them fails the target. scripts/lsan.supp: the leaks at exit that are
# the test harness's and Foundation's, not att-report's.
SANITIZER_TEST = $(SWIFT) test --sanitize=$(1) --scratch-path .build-$(2) $(if $(TEST_FILTER),--filter '$(TEST_FILTER)') $(if $(TEST_SKIP),--skip '$(TEST_SKIP)')
SANITIZER_REPORTS = if grep -lE "ERROR: |WARNING: ThreadSanitizer" .build-$(1)/report.* 2>/dev/null; then cat .build-$(1)/report.*; echo "$(1): the sanitizer reported the errors above" >&2; exit 1; fi

test-tsan: deps
	$(SWIFT) build --sanitize=thread --scratch-path .build-tsan
	rm -f .build-tsan/report.*
	TSAN_OPTIONS=log_path=$(CURDIR)/.build-tsan/report ATT_REPORT_BIN=$(CURDIR)/.build-tsan/debug/att-report \
	  $(call SANITIZER_TEST,thread,tsan)
	@$(call SANITIZER_REPORTS,tsan)

test-asan: deps
	$(SWIFT) build --sanitize=address --scratch-path .build-asan
	rm -f .build-asan/report.*
	ASAN_OPTIONS=log_path=$(CURDIR)/.build-asan/report LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp \
	  ATT_REPORT_BIN=$(CURDIR)/.build-asan/debug/att-report \
	  $(call SANITIZER_TEST,address,asan)
	@$(call SANITIZER_REPORTS,asan)

# The main job on example data, offline then against a relay on loopback.
demo: release
	./scripts/demo $(BIN_RELEASE)

# att-report side by side with age and minisign on a 512 MiB file (see scripts/bench.py),
# then the transparency log: 1,000,000 durable appends, proof times, bytes per entry,
# then the relay under wrk: GET vs nginx, signed durable POSTs (see scripts/bench-relay.py).
bench: release
	python3 scripts/bench.py --att-report $(BIN_RELEASE) --repeat 5
	.build/release/att-logbench bench $${TMPDIR:-/tmp}/att-logbench.db 1000000 1000
	rm -f $${TMPDIR:-/tmp}/att-logbench.db*
	python3 scripts/bench-relay.py --att-report $(BIN_RELEASE) --logbench .build/release/att-logbench

# libFuzzer + AddressSanitizer on every parser that meets outside bytes (scripts/fuzz),
# FUZZ_SECONDS per target (default 60). Crashes land in fuzz/crashes/.
fuzz: deps
	./scripts/fuzz

clean:
	rm -rf .build .build-*
