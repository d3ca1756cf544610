#!/bin/sh
# What trace safety costs: two pytt builds measured interleaved (OLD first, then NEW, each
# round): the mean of 20 `pytt record -- python3.11 -c pass` (startup: file identities, copied
# small mappings), `pytt replay -a` of bench/syscall_heavy.py 20000 (per-syscall replay cost),
# and that trace's events size.
#     bench/trace_cost.sh OLD_PYTT NEW_PYTT [ROUNDS]
set -eu
old=$1 new=$2 rounds=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ms() { s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
for b in old new; do
    eval p=\$$b
    "$p" record -o "$work/heavy_$b" -- /usr/bin/python3.11 "$here/syscall_heavy.py" 20000 \
        >/dev/null 2>&1
    echo "events_bytes $b $(stat -c %s "$work/heavy_$b/events")"
done
r=0
while [ $r -lt "$rounds" ]; do
    for b in old new; do
        eval p=\$$b
        t=0
        for i in $(seq 20); do
            rm -rf "$work/x"
            t=$((t + $(ms "$p" record -o "$work/x" -- /usr/bin/python3.11 -c pass)))
        done
        echo "record_pass_ms $b $((t / 20))"
        echo "replay_heavy_ms $b $(ms "$p" replay "$work/heavy_$b" -a)"
    done
    r=$((r + 1))
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
