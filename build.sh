#!/bin/sh
# Configure and build pytt into ./build (used by ./demo.sh and ./test.sh).
set -eu
cd "$(dirname "$0")"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
