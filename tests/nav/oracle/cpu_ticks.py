"""CPU-bound program for tests/nav/test_determinism.py: no syscalls while it computes, so only
the Python clock places its end; replays must end at the very tick the recording ended at."""
import sys


def collatz_len(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def work(limit):
    best, best_n = 0, 0
    table = {}
    for n in range(1, limit):
        s = collatz_len(n)  # BP:work
        table[n % 97] = table.get(n % 97, 0) + s
        if s > best:
            best, best_n = s, n
    return best, best_n, sum(table.values())


print(*work(int(sys.argv[1]) if len(sys.argv) > 1 else 12000))
