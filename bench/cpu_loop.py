"""CPU-bound benchmark: arithmetic and object work, no syscalls inside the loop.
Usage: cpu_loop.py [ITERATIONS]   (default 3500000: ~1.5 s natively on the reference machine)"""
import sys


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y


def work(n):
    acc = 0
    d = {}
    pts = []
    for i in range(n):
        acc = (acc * 1103515245 + i) % 2147483648
        p = Point(i, acc & 0xFFFF)
        if i % 7 == 0:
            pts.append(p)
        d[i & 1023] = d.get(i & 1023, 0) + p.y
        s = str(i)
        acc ^= len(s) + ord(s[-1]) % 3
        if len(pts) > 500:
            pts = sorted(pts, key=lambda q: q.y)[:100]
    return acc, len(d), sum(d.values()) % 1000003, len(pts)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 3500000
print(*work(n))
