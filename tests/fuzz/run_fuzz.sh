#!/bin/sh
# Build the trace-reader fuzz target with clang (libFuzzer, ASan, UBSan) and run it for a
# bounded time on a seed corpus made from real traces. Exit 77 (skipped) when clang or
# libFuzzer is missing (./install-deps.sh installs clang and libclang-rt-14-dev).
#     run_fuzz.sh SOURCE_DIR BUILD_DIR PYTT SECONDS
set -eu
src=$1 build=$2 pytt=$3 secs=$4
if ! command -v clang >/dev/null 2>&1; then
    echo "SKIP fuzz.trace_reader: clang is not installed (apt-get install clang libclang-rt-14-dev)"
    exit 77
fi
mkdir -p "$build"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
    > "$build/probe.c"
if ! clang -fsanitize=fuzzer "$build/probe.c" -o "$build/probe" 2>/dev/null; then
    echo "SKIP fuzz.trace_reader: clang has no libFuzzer (apt-get install libclang-rt-14-dev)"
    exit 77
fi
CC=clang cmake -S "$src/tests/fuzz/project" -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j2 >/dev/null
corpus=$build/corpus
rm -rf "$corpus" "$build/traces"
mkdir -p "$corpus" "$build/traces"
# Seeds: real traces of a few small programs, and a cut one, in the input format. A cache of
# their own: the copies of mapped files make chunks of several zstd frames (common/pt_chunk.h),
# compressed now in the first recording, taken from the cache in the others.
export PYTT_CACHE_DIR="$build/cache"
rm -rf "$PYTT_CACHE_DIR"
i=0
for code in 'print(0)' 'print(1)' 'import json, os; print(json.dumps(os.listdir(".")))' \
            'import signal, os; signal.signal(signal.SIGUSR1, lambda *a: print("sig")); os.kill(os.getpid(), signal.SIGUSR1)'; do
    "$pytt" record -o "$build/traces/t$i" -- /usr/bin/python3.11 -c "$code" >/dev/null 2>&1 || true
    i=$((i + 1))
done
/usr/bin/python3 - "$build/traces" "$corpus" <<'PY'
import os, struct, sys
src, out = sys.argv[1], sys.argv[2]
def part(path, cap=65535):
    data = open(path, "rb").read() if os.path.exists(path) else b""
    data = data[:cap]
    return struct.pack("<H", len(data)) + data
for n, t in enumerate(sorted(os.listdir(src))):
    d = os.path.join(src, t)
    ev = open(os.path.join(d, "events"), "rb").read()
    seed = part(os.path.join(d, "header")) + part(os.path.join(d, "meta")) + \
        part(os.path.join(d, "sources"))
    open(os.path.join(out, f"seed{n}"), "wb").write(seed + ev[:200000])
    open(os.path.join(out, f"cut{n}"), "wb").write(seed + ev[:len(ev) // 3])
PY
cd "$build"
status=0
./fuzz_trace -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 -max_len=300000 \
    -print_final_stats=1 "$corpus" > fuzz.log 2>&1 || status=$?
grep -v '^"' fuzz.log | tail -20
rm -rf /dev/shm/pytt-fuzz-*
exit $status
