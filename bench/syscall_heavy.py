"""Syscall-heavy benchmark: N os.read() calls of 64 bytes from a file, plus N/4 os.stat() calls.
Usage: syscall_heavy.py [N]   (default 20000)"""
import os
import sys
import tempfile

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
with tempfile.NamedTemporaryFile(prefix="pytt-bench-") as f:
    f.write(b"x" * (64 * n))
    f.flush()
    fd = os.open(f.name, os.O_RDONLY)
    total = 0
    for _ in range(n):
        total += len(os.read(fd, 64))
    os.close(fd)
    size = 0
    for _ in range(n // 4):
        size = os.stat(f.name).st_size
print(total, size)
