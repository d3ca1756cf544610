"""Starts a daemon (double fork, new session) that outlives the recorded program: after the
program has exited it waits, then writes argv[1]. Under pytt record it must neither be killed
nor left stopped when pytt exits."""
import os
import sys
import time

marker = sys.argv[1]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in (0, 1, 2):
            os.close(fd)
        time.sleep(0.5)
        with open(marker, "w") as f:
            f.write(f"daemon {os.getpid()} survived\n")
        os._exit(0)
    os._exit(0)
time.sleep(0.05)
print("parent done", time.time())
