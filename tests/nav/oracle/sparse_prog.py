"""Breakpoint hits far apart (tests/nav/test_reverse.py: reverse-continue over spans longer
than a cheap replay takes the sparse pass, rep_reverse.c): two threads each call work() three
times; the line after the loop starts with the second half of a fused pair on 3.11/3.12
(STORE_FAST v, then LOAD_FAST v). Each call prints its thread, call number and v."""
import sys
import threading


def work(tag, k, n):
    acc = 0
    for i in range(n):
        acc += i * i % 11
    v = acc + k
    w = v + 1
    sys.stdout.write(f"{tag} {k} {v}\n")
    sys.stdout.flush()
    return w


def run(tag, n):
    for k in range(3):
        work(tag, k, n)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
t = threading.Thread(target=run, args=("T", n))
t.start()
run("M", n)
t.join()
