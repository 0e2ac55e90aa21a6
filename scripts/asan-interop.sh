#!/usr/bin/env bash
# Builds the Ultralytics reader's tests with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ and runs them: the pickle reader on hostile opcode streams and 1,200 fuzzed files
# through the whole reader. Needs the packages of scripts/install-deps.sh (python3-torch makes the
# test files). The full sanitizer build of the project is issue 12's `make test-asan`.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DYOLODECK_BUILD_UI=OFF -DYOLODECK_BUILD_BENCHMARKS=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -O1" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
ninja -C build-asan tst_picklereader tst_ultralyticsfuzz
# LibTorch and Qt are not instrumented; a damaged zip may ask for a huge buffer, which must come
# back as an error (bad_alloc), not as ASan's abort. Leaks inside LibTorch's static registries are
# not the reader's.
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export QT_QPA_PLATFORM=offscreen OMP_WAIT_POLICY=PASSIVE
build-asan/tests/auto/interop/tst_picklereader
build-asan/tests/auto/interop/tst_ultralyticsfuzz
