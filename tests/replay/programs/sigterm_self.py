# nondeterministic
# status: 143
# expect: before SIGTERM
# Killed by an uncaught SIGTERM (default action): exit 143; the unflushed line is lost.
import os
import signal
import time

print("before SIGTERM", time.time(), os.getpid(), flush=True)
print("unflushed line, lost")
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(5)
print("not reached")
