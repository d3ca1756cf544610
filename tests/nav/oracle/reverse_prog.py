# Program for test_reverse.py: a loop whose body calls a helper (breakpoint / reverse-finish
# targets) and a failing division at the end (uncaught exception, exit status 1).
def helper(k):
    doubled = k * 2
    return doubled + 1


def loop(n):
    acc = 0
    for i in range(n):
        acc = acc + helper(i)
    return acc


total = loop(6)
print("total", total)


def divide(a, b):
    q = a // b
    return q


for d in (3, 2, 1, 0):
    print(divide(12, d))
