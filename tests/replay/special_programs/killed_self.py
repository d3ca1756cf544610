# Prints some lines (flushed), then kills itself with SIGKILL mid-run: exit status 137.
import os
import time

for i in range(5):
    print("line", i, os.urandom(4).hex(), time.time(), flush=True)
print("about to SIGKILL", os.getpid(), flush=True)
os.kill(os.getpid(), 9)
print("never printed")
