# Writes a 64 KiB file of fresh random bytes and reads it twice, 80 times, 30 ms apart,
# printing a digest of each read: each first read's data goes into the trace (the second is
# logged as a reference to it, pt_dedup.h), so a small file system fills up mid-run.
import hashlib
import os
import sys
import time

path = sys.argv[1]
for i in range(80):
    with open(path, "wb") as f:
        f.write(os.urandom(1 << 16))
    for again in range(2):
        with open(path, "rb") as f:
            print("read", i, again, hashlib.sha1(f.read()).hexdigest()[:12], flush=True)
    time.sleep(0.03)
print("END fill_reads")
