# nondeterministic
# status: 134
# expect: AssertionError
# The race the threads work is built for: thread 1, under a lock, reads a shared counter, adds
# a random increment and asserts the counter is old + increment; thread 2 increments the same
# counter without the lock. The assertion fails sooner or later; threading.excepthook prints
# the traceback and aborts (exit 134).
import os
import random
import sys
import threading


class Shared:
    def __init__(self):
        self.count = 0


g_value = Shared()
lock = threading.Lock()


def thread_fn_1():
    rng = random.Random()
    while True:
        with lock:
            old_value = g_value.count
            increment = rng.randint(1, 10)
            g_value.count += increment
            assert g_value.count == old_value + increment


def thread_fn_2():
    while True:
        g_value.count += 1


def hook(args):
    sys.__excepthook__(args.exc_type, args.exc_value, args.exc_traceback)
    print("count when it failed:", g_value.count, file=sys.stderr)
    sys.stderr.flush()
    os.abort()


threading.excepthook = hook
t1 = threading.Thread(target=thread_fn_1)
t2 = threading.Thread(target=thread_fn_2, daemon=True)
t1.start()
t2.start()
t1.join()
