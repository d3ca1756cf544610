# Reads a 64 KiB file of random bytes 80 times, 30 ms apart, printing a digest of each read:
# every read's data goes into the trace, so a small file system fills up mid-run.
import hashlib
import os
import sys
import time

path = sys.argv[1]
with open(path, "wb") as f:
    f.write(os.urandom(1 << 16))
for i in range(80):
    with open(path, "rb") as f:
        print("read", i, hashlib.sha1(f.read()).hexdigest()[:12], flush=True)
    time.sleep(0.03)
print("END fill_reads")
