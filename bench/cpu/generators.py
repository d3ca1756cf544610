"""Generators and iterators benchmark: generator pipelines, yield from, generator
expressions, itertools, zip/enumerate/map/filter and a hand-written iterator class.
Usage: generators.py [N]"""
import itertools
import sys


class Countdown:
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return self

    def __next__(self):
        if self.n <= 0:
            raise StopIteration
        self.n -= 1
        return self.n


def numbers(n):
    yield from range(n)


def squares(it):
    for x in it:
        yield x * x


def evens(it):
    for x in it:
        if x % 2 == 0:
            yield x


def windows(it, size):
    buf = []
    for x in it:
        buf.append(x)
        if len(buf) == size:
            yield tuple(buf)
            buf.pop(0)


def run(n):
    a = sum(evens(squares(numbers(n))))
    b = sum(w[0] - w[-1] for w in windows(numbers(n // 2), 4))
    c = sum(i * x for i, x in enumerate(Countdown(n // 2)))
    d = sum(itertools.islice(itertools.accumulate(filter(lambda v: v % 3, map(abs, range(-n, n)))),
                             0, None, 1000))
    e = sum(x + y for x, y in zip(numbers(n // 2), Countdown(n // 2)))
    return a % 1000003, b, c % 1000003, d % 1000003, e


print(*run(int(sys.argv[1]) if len(sys.argv) > 1 else 1700000))
