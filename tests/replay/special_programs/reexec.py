# Replaces itself with another python (execve) mid-run: pytt records a single program image
# and must stop the recording with a clear message (exit 125).
import os
import sys
import time

print("first image", os.getpid(), time.time(), flush=True)
os.execv(sys.executable, [sys.executable, "-c", "print('second image')"])
