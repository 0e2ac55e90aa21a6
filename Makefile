# YoloDeck: the two commands of the README.
#   make run    install what is missing, build, open the window training the demo dataset
#   make test   install what is missing, build, run the whole test suite
#   make bench  build and run the benchmark programs (one result line each)
#   make test-asan, test-tsan, fuzz, kill-trials, soak   the reliability evidence (README)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build run cli test bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then \
		cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS); \
	fi

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/app/yolodeck --demo

test: build
	cd $(BUILD) && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j $(JOBS)

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target benchmarks
	@for b in $(BUILD)/tests/benchmarks/bench_*; do \
		[ -f "$$b" ] && [ -x "$$b" ] || continue; \
		"$$b" || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD)

# The test suite built with clang, AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/,
# shared with the fuzz drivers); test-asan-ci is the share that CI runs (scripts/test-asan.sh says
# which and why). test-tsan: the threaded units under ThreadSanitizer (build-tsan/).
.PHONY: test-asan test-asan-ci test-tsan
test-asan: deps
	bash scripts/test-asan.sh all

test-asan-ci: deps
	bash scripts/test-asan.sh ci

test-tsan: deps
	bash scripts/test-tsan.sh

# libFuzzer drivers of tests/fuzz/ (clang, ASan + UBSan, in build-asan): `make fuzz` runs each for
# 5 minutes, `make fuzz-ci` for 20 s (CI). One summary line per driver; non-zero on any crash.
.PHONY: fuzz fuzz-ci
fuzz:
	bash scripts/fuzz.sh 300

fuzz-ci:
	FUZZ_SEED=1 bash scripts/fuzz.sh 20

# --- kill trials and soak (issue 12) ----------------------------------------------------------
# kill-trials: SIGKILL `yolodeck-cli train` (and, every 5th trial, the window offscreen) at 10
# random instants, half of them aimed at checkpoint saves; checks every .pt loads, nothing partial
# sits under a final name, last.pt resumes and no line of results.csv/events.jsonl is torn.
# soak: 100 such trials, then 300 epochs of yolodeck-cli and 30 minutes of the window (charts
# live), checking memory, file descriptors and threads stay flat.
.PHONY: kill-trials soak

kill-trials: build
	/usr/bin/python3 scripts/kill-trials.py --trials 10 --cli $(BUILD)/app/yolodeck-cli --app $(BUILD)/app/yolodeck

soak: build
	/usr/bin/python3 scripts/kill-trials.py --trials 100 --cli $(BUILD)/app/yolodeck-cli --app $(BUILD)/app/yolodeck
	/usr/bin/python3 scripts/soak.py --epochs 300 --window-minutes 30 --cli $(BUILD)/app/yolodeck-cli --app $(BUILD)/app/yolodeck
