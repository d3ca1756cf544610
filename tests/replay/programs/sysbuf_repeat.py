"""Reads the same file data again and again through the syscall buffer (pread of 64 random
pages, from three threads), rewrites pages and reads them again, copies one page's bytes over
another (equal data at another offset), reads through a file object, and reads two holes of a
sparse file (all zeros, at offsets the test edits). Each digest printed covers every byte read,
so a replay that gave back wrong bytes prints something else. The trace logs each distinct
page once (common/pt_dedup.h); the last line says how many bytes were read."""
import hashlib
import os
import tempfile
import threading

PAGE, NP, ROUNDS = 4096, 64, 30
HOLE_A, HOLE_B = 0xA1B2C3000, 0xC3D2E1000
d = tempfile.mkdtemp(prefix="pytt_repeat_")
path = os.path.join(d, "pages.bin")
with open(path, "wb") as f:
    f.write(os.urandom(PAGE * NP))
fd = os.open(path, os.O_RDWR)
total = [0]
lock = threading.Lock()


def scan(name, rounds, out):
    h = hashlib.sha256()
    n = 0
    for r in range(rounds):
        for p in range(NP):
            b = os.pread(fd, PAGE, ((p * 7 + r) % NP) * PAGE)
            h.update(b)
            n += len(b)
    with lock:
        total[0] += n
    out[name] = h.hexdigest()[:16]


out = {}
threads = [threading.Thread(target=scan, args=(f"t{i}", ROUNDS, out)) for i in range(2)]
for t in threads:
    t.start()
scan("main", ROUNDS, out)
for t in threads:
    t.join()
print("scans", sorted(out.items()))

# the program changes pages, then reads the new bytes (and the old ones elsewhere) again
for p in range(0, NP, 5):
    os.pwrite(fd, os.urandom(PAGE), p * PAGE)
os.pwrite(fd, os.pread(fd, PAGE, 3 * PAGE), 40 * PAGE)  # page 40 now equals page 3
out = {}
scan("after", 3, out)
print("after rewrite", out["after"], os.pread(fd, PAGE, 40 * PAGE) == os.pread(fd, PAGE, 3 * PAGE))

# through a file object (read(2) of the buffered reader's size), twice from the start
h = hashlib.sha256()
for again in range(2):
    with open(path, "rb", buffering=PAGE) as f:
        while True:
            b = f.read(PAGE)
            if not b:
                break
            h.update(b)
            total[0] += len(b)
print("file object", h.hexdigest()[:16])

# holes of a sparse file: the same zeros at two offsets
sparse = os.path.join(d, "sparse.bin")
with open(sparse, "wb") as f:
    f.truncate(HOLE_B + 2 * PAGE)
sfd = os.open(sparse, os.O_RDONLY)
za = os.pread(sfd, PAGE, HOLE_A)
zb = os.pread(sfd, PAGE, HOLE_B)
total[0] += len(za) + len(zb)
print("holes", len(za), len(zb), za == zb == bytes(PAGE))
os.close(sfd)
os.close(fd)
print("END sysbuf_repeat read", total[0])
