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
# (slow: a full build each). TEST_FILTER narrows them, e.g. TEST_FILTER=RelayTests.
# Live relay and CLI tests run the att-report built with the same sanitizer (ATT_REPORT_BIN).
test-tsan: deps
	$(SWIFT) build --sanitize=thread --scratch-path .build-tsan
	ATT_REPORT_BIN=$(CURDIR)/.build-tsan/debug/att-report $(SWIFT) test --sanitize=thread --scratch-path .build-tsan $(if $(TEST_FILTER),--filter $(TEST_FILTER))

test-asan: deps
	$(SWIFT) build --sanitize=address --scratch-path .build-asan
	ATT_REPORT_BIN=$(CURDIR)/.build-asan/debug/att-report $(SWIFT) test --sanitize=address --scratch-path .build-asan $(if $(TEST_FILTER),--filter $(TEST_FILTER))

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
