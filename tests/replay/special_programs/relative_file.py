# Reads a file by a relative path and prints the cwd: replay must not depend on either still
# existing (or on where the trace directory is).
import os
import time

with open("relative.txt") as f:
    print("content", f.read().strip())
print("cwd", os.getcwd(), "listing", sorted(os.listdir(".")))
print("time", time.time(), "pid", os.getpid())
print("END relative_file")
