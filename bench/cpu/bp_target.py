"""Breakpoint-speed benchmark (bench/run_cpu_bench.py): a hot loop of N iterations (~11 bytecode
dispatches each: ~11M for the default N), then one call of target(), whose marked line is hit
exactly once. `continue` to a breakpoint there should cost about as much as replaying the whole
run with -a: the breakpoint must not slow the code that does not reach it.
Usage: bp_target.py [N]"""
import sys


def hot(n):
    acc = 0
    for i in range(n):
        acc = (acc + i * 3) & 0xFFFF
    return acc


def target(v):
    w = v + 1  # BP:target
    return w


print(target(hot(int(sys.argv[1]) if len(sys.argv) > 1 else 1000000)))
