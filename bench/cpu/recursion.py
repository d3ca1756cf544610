"""Recursion benchmark: naive Fibonacci, Ackermann-Peter and a recursive tree build/walk
(deep Python call stacks, frame push/pop).
Usage: recursion.py [N]   (fib(N); the other parts scale with it)"""
import sys

sys.setrecursionlimit(10000)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def ack(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ack(m - 1, 1)
    return ack(m - 1, ack(m, n - 1))


def build(depth):
    return None if depth == 0 else (build(depth - 1), depth, build(depth - 1))


def walk(tree):
    if tree is None:
        return 0
    left, v, right = tree
    return walk(left) + v + walk(right)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 31
print(fib(n), ack(2, n * 8), ack(3, max(1, n // 5)), walk(build(max(1, n - 11))))
