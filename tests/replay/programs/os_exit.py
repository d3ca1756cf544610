# nondeterministic
# status: 7
# expect: flushed
# os._exit(7): no interpreter finalization, buffered output is lost.
import os
import sys
import time

print("flushed", time.time(), flush=True)
print("stderr line", os.urandom(4).hex(), file=sys.stderr)
print("buffered on stdout, lost on os._exit")
os._exit(7)
