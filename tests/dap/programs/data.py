# Values that change at known lines, for the DAP data breakpoint tests (tests/dap/data.test.js).
# A comment "# change: NAME" marks the line that changes NAME; the tests find them by it.


class Box:
    def __init__(self):
        self.level = 0


counter = 0
box = Box()
items = [0, 0, 0]
table = {"k": "a"}  # change: table
tags = {"x", "y"}


def work(n):
    acc = 1
    for _ in range(n):
        acc = acc * 2  # change: acc
    return acc


def peek():
    counter = -1  # a local that hides the global
    return counter  # peek


def main():
    global counter
    total = 0  # change: total 0
    total += 5  # change: total 5
    counter = 1  # change: counter 1
    peek()
    box.level = 7  # change: box.level
    items[1] = 42  # change: items[1]
    table["k"] = "b"  # change: table['k']
    total += work(2)  # change: total 9
    counter = 2  # change: counter 2
    total += work(1)  # change: total 11
    counter = 3  # change: counter 3
    print(total, counter, box.level, items, table, len(tags))


main()
