"""CPU-bound target for bench/run_reverse_bench.py: object, float and dict work in a loop that
runs for about SECONDS seconds natively (argv[1], default 30), calling marker() every
MARK iterations (a breakpoint target) and once at the very start (first_call())."""
import sys


class Particle:
    def __init__(self, x, v):
        self.x = x
        self.v = v

    def step(self, dt):
        self.x += self.v * dt
        if self.x > 100.0 or self.x < 0.0:
            self.v = -self.v


def first_call():
    return 0


def marker(i):
    return i


def main(iterations):
    first_call()
    ps = [Particle(float(i), 1.0 + i / 10.0) for i in range(20)]
    counts = {}
    for i in range(iterations):
        for p in ps:
            p.step(0.01)
        k = int(ps[i % 20].x) % 50
        counts[k] = counts.get(k, 0) + 1
        if i % 20000 == 0:
            marker(i)
    print(len(counts), sum(counts.values()))


main(int(float(sys.argv[1] if len(sys.argv) > 1 else 30) * 750000))
