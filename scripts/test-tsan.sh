#!/usr/bin/env bash
# make test-tsan: the threaded units built with clang and ThreadSanitizer in build-tsan/, then run:
# the loader's worker threads (tst_batchloader), the background checkpoint writer
# (tst_checkpointwriter), the trainer on its worker thread behind the window's controller
# (tst_trainingcontroller) and the system sampler's thread (tst_systemsampler).
#
# LibTorch, OpenMP and Qt are not instrumented: ThreadSanitizer cannot see their synchronisation
# and would report it as races. tests/sanitizers/tsan.supp lists those, one commented line each;
# the README gives the result.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_TSAN:-build-tsan}
JOBS=${JOBS:-$(nproc)}
TESTS="tst_batchloader tst_checkpointwriter tst_trainingcontroller tst_systemsampler"
if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
        -DYOLODECK_BUILD_BENCHMARKS=OFF \
        -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
        -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
        -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" >/dev/null
fi
# shellcheck disable=SC2086
ninja -C "$BUILD" -j "$JOBS" $TESTS
# One OpenMP thread: libgomp's uninstrumented barriers are the bulk of the false reports, and the
# units under test are YoloDeck's own threads, not LibTorch's kernels.
export TSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0"
export QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
cd "$BUILD"
ctest --output-on-failure -R "^($(echo $TESTS | tr ' ' '|'))\$"
