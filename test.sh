#!/bin/sh
# Install what is missing, build, and run pytt's whole test suite (CTest, 2 jobs).
# Benchmarks (label "bench") are not tests: run bench/run_bench.py for figures.
set -eu
cd "$(dirname "$0")"
./install-deps.sh
./build.sh
ctest --test-dir build -j2 --output-on-failure -LE bench "$@"
