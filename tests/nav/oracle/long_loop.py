"""A CPU-bound loop long enough to interrupt (tests/nav/test_interrupt.py): about SECONDS
seconds natively (argv[1]), calling first_call() once at the start."""
import sys


def first_call():
    return 0


def work(n):
    total = 0
    for i in range(n):
        total += (i * 7) % 13
    return total


first_call()
print(work(int(float(sys.argv[1]) * 18_000_000)))
