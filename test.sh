#!/bin/sh
# Install what is missing, build, and run pytt's whole test suite (CTest, 2 jobs); then the same
# suite (less the fuzz target, itself sanitized) against a second build of pytt with
# AddressSanitizer and UBSan, where any report fails the test (exit status 99). The
# record/replay tests also run with the syscall buffer off (PYTT_NO_SYSCALLBUF=1).
# Benchmarks (label "bench") are not tests: run bench/run_bench.py for figures.
# PYTT_TEST_SANITIZE=0 skips the sanitized run.
set -eu
cd "$(dirname "$0")"
./install-deps.sh
./build.sh
ctest --test-dir build -j2 --output-on-failure -LE bench "$@"
# the record/replay tests again with the in-process syscall buffer off (issue 15: both ways)
PYTT_NO_SYSCALLBUF=1 ctest --test-dir build -j2 --output-on-failure -L replay -E mutation "$@"
[ "${PYTT_TEST_SANITIZE:-1}" = 0 ] && exit 0
cmake -S . -B build-san -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYTT_SANITIZE=ON >/dev/null
cmake --build build-san -j"$(nproc)"
ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    PYTT_TEST_TIMEOUT_SCALE=3 \
    ctest --test-dir build-san -j2 --output-on-failure -LE 'bench|fuzz' "$@"
