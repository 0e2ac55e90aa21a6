#!/usr/bin/env bash
# Runs every libFuzzer driver of tests/fuzz/ for a bounded time from a copy of its seed corpus and
# prints one line per driver. Exits non-zero when a driver crashed; the crashing input's path is in
# the output (regression tests: tests/fuzz/regressions/, tests/auto/fuzz/).
#
#   scripts/fuzz.sh [SECONDS_PER_DRIVER] [BUILD_DIR]      (defaults: 20, build-asan)
#   FUZZERS="pickle labels" scripts/fuzz.sh 60            only these drivers
#
# Needs clang (Debian's clang 14 has libFuzzer). The build folder is the sanitizer build that
# scripts/asan-configure.sh sets up (make test-asan uses the same one).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_DRIVER=${1:-20}
BUILD=${2:-build-asan}
JOBS=${JOBS:-$(nproc)}
ALL_FUZZERS="datasetconfig labels predictions runlog pickle ultralytics checkpoint"
FUZZERS=${FUZZERS:-$ALL_FUZZERS}

# The longest input each driver tries: text files stay small (long lines and many of them are as
# easy to reach as long files); archives need room for a seed (the largest is under 64 KiB).
max_len() {
    case $1 in
    datasetconfig | labels | predictions) echo 4096 ;;
    runlog) echo 8192 ;;
    pickle | ultralytics | checkpoint) echo 65536 ;;
    esac
}

# ASan's leak check runs on the drivers whose parsers never touch LibTorch or OpenCV: a leak there
# is YoloDeck's. The others keep it off: LibTorch keeps allocations in static registries and thread
# pools that LeakSanitizer reports at exit (tests/sanitizers/lsan.supp). allocator_may_return_null:
# a damaged zip may claim a huge record; that must come back as bad_alloc (an error the reader
# reports), not as ASan's abort.
detect_leaks() {
    case $1 in
    datasetconfig | predictions | runlog | pickle) echo 1 ;;
    *) echo 0 ;;
    esac
}

bash scripts/asan-configure.sh "$BUILD"
targets=()
for name in $FUZZERS; do targets+=("fuzz_$name"); done
build_start=$(date +%s)
ninja -C "$BUILD" -j "$JOBS" "${targets[@]}"
echo "fuzz: drivers built in $(($(date +%s) - build_start)) s ($BUILD, -j $JOBS)"

WORK="$BUILD/fuzz-work"
mkdir -p "$WORK/tmp"
export TMPDIR="$PWD/$WORK/tmp" # the drivers' scratch files
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export QT_QPA_PLATFORM=offscreen OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
failed=0
total=0
for name in $FUZZERS; do
    dir="$WORK/$name"
    rm -rf "$dir"
    mkdir -p "$dir"
    # libFuzzer adds what it finds to the first corpus folder: a copy, so the repository's stays
    # small and reviewed.
    cp -r "tests/fuzz/corpus/$name" "$dir/corpus"
    options=(-max_total_time="$SECONDS_PER_DRIVER" -max_len="$(max_len "$name")" -timeout=10
             -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$dir/")
    [ -f "tests/fuzz/dict/$name.dict" ] && options+=(-dict="tests/fuzz/dict/$name.dict")
    # FUZZ_SEED fixes libFuzzer's random choices (CI: the same inputs on every run, within the
    # time it gets); unset, every run explores differently.
    [ -n "${FUZZ_SEED:-}" ] && options+=(-seed="$FUZZ_SEED")
    export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=$(detect_leaks "$name"):halt_on_error=1"
    status=0
    "$BUILD/tests/fuzz/fuzz_$name" "${options[@]}" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
    seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$dir/log" | tail -n 1)
    inputs=$(find "$dir/corpus" -type f | wc -l)
    artifacts=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \))
    if [ "$status" -eq 0 ] && [ -z "$artifacts" ]; then
        echo "fuzz_$name: ${execs:-?} execs in ${seconds:-?} s, $inputs inputs, no crash"
        total=$((total + ${execs:-0}))
    else
        failed=1
        grep -E '^==[0-9]+==ERROR|^SUMMARY|broken promise|runtime error|^    #[0-9]+ ' "$dir/log" | head -n 30 || true
        echo "fuzz_$name: FAILED (exit $status) after ${execs:-?} execs; input: ${artifacts:-none written}; log: $dir/log"
    fi
done
echo "fuzz: $total executions over $(echo $FUZZERS | wc -w) drivers, $SECONDS_PER_DRIVER s each"
exit $failed
