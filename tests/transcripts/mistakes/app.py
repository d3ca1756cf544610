"""Transcript program: a helper module imported late, for loud mistakes."""
import sys


def work(n):
    total = 0
    for i in range(n):
        total += i
    return total


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    import helper
    print(work(3), helper.twice(4))
