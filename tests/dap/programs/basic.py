# pytt dap tests: breakpoints, stack, scopes, values with children, steps both ways.
import sys


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


def add(a, b):
    s = a + b
    return s


def main():
    total = 0
    items = [10, 20, 30]
    table = {"k": 7, "p": Point(1, 2)}
    for i in items:
        total = add(total, i)
        print("total", total)
    big = list(range(250))
    print("big", len(big), "table", table["k"])
    return total


result = main()
print("result", result)
