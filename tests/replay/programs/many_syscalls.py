# nondeterministic
# Thousands of small syscalls: 3000 64-byte os.read calls and 500 stat calls on a temp file.
import hashlib
import os
import tempfile

with tempfile.NamedTemporaryFile(prefix="pytt-many-") as f:
    f.write(os.urandom(3000 * 64))
    f.flush()
    h = hashlib.sha256()
    fd = os.open(f.name, os.O_RDONLY)
    n = 0
    while True:
        b = os.read(fd, 64)
        if not b:
            break
        h.update(b)
        n += 1
    os.close(fd)
    sizes = set()
    for i in range(500):
        sizes.add(os.stat(f.name).st_size)
    print("reads", n, "sha256", h.hexdigest(), "sizes", sorted(sizes))
    print("mtime_ns", os.stat(f.name).st_mtime_ns)
print("END many_syscalls")
