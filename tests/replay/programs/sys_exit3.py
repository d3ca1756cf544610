# nondeterministic
# status: 3
# expect: exiting with 3
# sys.exit(3) after some output on both streams.
import os
import sys
import time

print("time", time.time())
print("warning on stderr", os.getpid(), file=sys.stderr)
print("exiting with 3")
sys.exit(3)
