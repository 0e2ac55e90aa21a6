#!/usr/bin/env bash
# Configures BUILD (default build-asan) for the sanitizer pass and the fuzz drivers, which share it:
# clang, AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer's coverage in every library.
# Used by scripts/test-asan.sh and scripts/fuzz.sh; a folder already configured so is left as is,
# one configured with another compiler is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-asan}
if [ -f "$BUILD/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' "$BUILD/CMakeCache.txt"; then
    echo "$BUILD was configured with another compiler; the sanitizers and libFuzzer need clang:" \
        "remove it or pass another build folder." >&2
    exit 2
fi
if [ -f "$BUILD/build.ninja" ] && grep -q '^YOLODECK_BUILD_FUZZERS:BOOL=ON' "$BUILD/CMakeCache.txt" &&
    grep -q '^YOLODECK_BUILD_UI:BOOL=ON' "$BUILD/CMakeCache.txt"; then
    exit 0
fi
# UBSan's vptr and function checks read the RTTI of every polymorphic type they meet, and LibTorch
# does not export some of it (typeinfo for c10::DynamicType): the checkpoint code would not link.
# The other undefined-behaviour checks stay on. -O1 keeps the suite's training fast enough; -g1
# gives file:line in every report (in the Debug flags, which CMake puts last: its default "-g"
# there would otherwise win and build full debug info).
SANITIZE="-fsanitize=address,undefined -fno-sanitize=vptr,function -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DYOLODECK_BUILD_UI=ON -DYOLODECK_BUILD_BENCHMARKS=OFF -DYOLODECK_BUILD_FUZZERS=ON \
    -DCMAKE_CXX_FLAGS="$SANITIZE -fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
    -DCMAKE_EXE_LINKER_FLAGS="$SANITIZE" -DCMAKE_SHARED_LINKER_FLAGS="$SANITIZE" >/dev/null
