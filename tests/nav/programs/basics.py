# Functions, loops with break/continue, conditionals, superinstruction-prone assignments.
def add(a, b):
    c = a
    d = b
    return c + d


def loop(n):
    total = 0
    for i in range(n):
        if i == 2:
            continue
        if i == 5:
            break
        total = add(total, i)
    while total > 3:
        total -= 4
    return total


x = 1
y = 2
z = add(x, y)
w = loop(8)
result = [z, w]
END_OF_PROGRAM = True
