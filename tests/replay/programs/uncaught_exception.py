# nondeterministic
# status: 1
# expect: Traceback (most recent call last)
# expect: ValueError: bad value
# An uncaught exception: traceback on stderr, exit status 1.
import os
import sys


def inner(v):
    raise ValueError(f"bad value {v}")


print("before", os.getpid())
sys.stdout.flush()
print("to stderr", os.urandom(4).hex(), file=sys.stderr)
inner(os.urandom(4).hex())
