"""A loop hot enough that its frame and a breakpoint in it are hit millions of times
(tests/nav/test_reverse.py: reverse-next and reverse-continue must find the nearest hit without
trapping at every one)."""
import sys


def main(n):
    total = 0
    for i in range(n):
        total += i % 7
    result = total
    return result


print(main(int(sys.argv[1])))
