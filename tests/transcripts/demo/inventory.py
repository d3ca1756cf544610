"""pytt's demo program: a tiny inventory simulation whose output depends on the clock, on
random numbers and on the process id, so that two native runs never print the same thing,
while `pytt replay` reproduces one recorded run exactly."""
import os
import random
import time
import uuid


class Item:
    def __init__(self, name, price, count):
        self.name = name
        self.price = price
        self.count = count

    def value(self):
        return self.price * self.count


def restock(items, rng):
    for item in items:
        item.count += rng.randint(0, 5)


def total(items):
    result = 0
    for item in items:
        result += item.value()
    return result


def main():
    rng = random.Random(os.urandom(8))
    items = [Item("apple", 3, 10), Item("pear", 5, 4), Item("plum", 2, 7)]
    started = time.time()
    for day in range(3):
        restock(items, rng)
        print(f"day {day}: stock value {total(items)}")
    print(f"order id {uuid.uuid4()} from pid {os.getpid()}")
    print(f"started at {started:.6f}")


if __name__ == "__main__":
    main()
