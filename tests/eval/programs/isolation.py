"""Isolation target: state an evaluation could disturb (a list, a file path it could create,
the output) around one stop; what the program prints at the end must not change."""
import os
import sys


def main(path):
    items = [1, 2, 3]
    total = 0
    for i in range(5):
        total += i
    print("items", items, total, os.path.exists(path))  # the stop
    items.append(4)
    print("end", items, flush=True)


main(sys.argv[1])
