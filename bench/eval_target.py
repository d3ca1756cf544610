"""Targets of bench/run_eval_bench.py. `big MB`: a program of about MB megabytes of RSS (a list
of small bytes objects), stopped at `pause()`. `loop N`: a loop of N iterations; its body line
`total += i` is where a conditional breakpoint goes, and the line under `if i == N - 1` is where
the unconditional breakpoint of the same moment goes."""
import sys


def pause(data):
    return len(data)  # the stop


def big(mb):
    data = [bytes(100) for _ in range(mb * 7000)]  # ~ 140 bytes of RSS each
    pause(data)


class Box:
    def __init__(self):
        self.n = 0
        self.label = "box"


def loop(n):
    total = 0
    box = Box()
    for i in range(n):
        total += i  # conditional breakpoint
        box.n = i
        if i == n - 1:
            total += 0  # unconditional breakpoint
    return total


if __name__ == "__main__":
    if sys.argv[1] == "big":
        big(int(sys.argv[2]))
    else:
        print(loop(int(sys.argv[2])))
