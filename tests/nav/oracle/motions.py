"""Motion oracle program (tests/nav/test_motions.py): calls to finish out of, a loop to until
past, a call of ~1M bytecode dispatches to next over, exceptions raised across frames (3 and 12
frames deep), a generator, a `while` loop, a function called by C code (sorted's key). Lines carrying a `# M:NAME` marker are named by the test."""
import sys

HEAVY = int(sys.argv[1]) if len(sys.argv) > 1 else 110000


def inner(x):
    y = x * 2  # M:inner_first
    z = y + 1
    return z  # M:inner_return


def middle(x):
    a = inner(x)  # M:middle_call
    b = a + inner(a)  # M:middle_call2
    return b


def heavy(n):
    s = 0
    for i in range(n):
        s += i & 7
    return s  # M:heavy_return


def loop_until(n):
    total = 0  # M:loop_first
    for i in range(n):
        total += i  # M:loop_body
        total -= 1  # M:loop_last
    after = total  # M:after_loop
    return after


def while_until(n):
    k = 0  # M:while_first
    while k < n:
        k += 1
        k += 0  # M:while_last
    return k


def key_of(v):
    return -v  # M:key_body


def sort_via_c(values):
    ordered = sorted(values, key=key_of)  # M:sort_call
    return ordered[0]


def thrower(depth):
    if depth == 0:
        raise KeyError("deep")  # M:raise
    return thrower(depth - 1)  # M:rethrow


def catcher():
    try:
        thrower(3)  # M:catch_call
        unreached = 1
    except KeyError:  # M:except_line
        caught = True
    return caught


def deep_catcher():
    try:
        thrower(12)  # M:deep_call
        unreached = 2
    except KeyError:  # M:deep_except
        caught = 2
    return caught


def gen_values(n):
    for i in range(n):  # M:gen_for
        yield i * i  # M:yield


def consume():
    tot = 0
    for v in gen_values(3):  # M:consume_for
        tot += v
    return tot


def main():
    r = middle(5)  # M:main_middle
    h = heavy(HEAVY)  # M:main_heavy
    u = loop_until(5)  # M:main_until
    w = while_until(3)  # M:main_while
    s = sort_via_c([3, 1, 2])  # M:main_sort
    c = catcher()  # M:main_catcher
    d = deep_catcher()  # M:main_deep
    g = consume()  # M:main_consume
    print(r, h, u, w, s, c, d, g)


main()
