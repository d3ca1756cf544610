"""A thread pool doing I/O: 8 workers each write, read back and hash small files, stat them
and sleep briefly, argv[1] tasks in all."""
import concurrent.futures as cf
import hashlib
import os
import sys
import tempfile
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
d = tempfile.mkdtemp(prefix="pytt-io-pool-")


def task(i):
    path = os.path.join(d, f"f{i % 32}")
    with open(path, "wb") as f:
        f.write(os.urandom(64) * 32)
    with open(path, "rb") as f:
        h = hashlib.sha1(f.read()).hexdigest()
    os.stat(path)
    if i % 10 == 0:
        time.sleep(0.001)
    return len(h)


with cf.ThreadPoolExecutor(max_workers=8) as ex:
    total = sum(ex.map(task, range(n)))
for name in os.listdir(d):
    os.unlink(os.path.join(d, name))
os.rmdir(d)
print(total)
