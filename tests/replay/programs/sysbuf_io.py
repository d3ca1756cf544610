"""The calls the syscall buffer makes without a stop (reads, preads, seeks, stats, clock
reads, getpid, getrandom, writes and pwrites to regular files), from two threads at once, around
descriptors that stop being regular files: a pipe dup'ed over a file's descriptor must be read
the ordinary way (its writer is another thread that runs only when the reader blocks)."""
import hashlib
import os
import tempfile
import threading
import time

d = tempfile.mkdtemp(prefix="pytt_sysbuf_")
path = os.path.join(d, "data.bin")
with open(path, "wb") as f:
    for i in range(2000):
        f.write(b"line %05d %s\n" % (i, b"x" * (i % 37)))


def reader(name, rounds, out):
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY)
    for r in range(rounds):
        os.lseek(fd, (r * 977) % 20000, os.SEEK_SET)
        h.update(os.read(fd, 300))
        h.update(os.pread(fd, 64, (r * 131) % 30000))
        st = os.fstat(fd)
        h.update(str(st.st_size).encode())
        h.update(str(os.stat(path).st_size).encode())
        try:
            os.stat(path + ".missing")
        except FileNotFoundError:
            h.update(b"missing")
        t0 = time.monotonic()
        h.update(b"t" if time.monotonic() >= t0 else b"f")
        h.update(str(os.getpid() > 0).encode())
    os.close(fd)
    out[name] = h.hexdigest()[:16]


out = {}
threads = [threading.Thread(target=reader, args=(f"r{i}", 300, out)) for i in range(2)]
for t in threads:
    t.start()
reader("main", 200, out)
for t in threads:
    t.join()
print("readers", sorted(out.items()))

# writes to a regular file, read back
wpath = os.path.join(d, "written.txt")
fd = os.open(wpath, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
for i in range(500):
    os.write(fd, b"%d," % i)
os.pwrite(fd, b"HEAD", 0)
os.lseek(fd, 0, os.SEEK_SET)
back = os.read(fd, 100000)
print("written", len(back), hashlib.sha256(back).hexdigest()[:16])

# the same descriptor number, now a pipe whose writer is another thread
r, w = os.pipe()
os.dup2(r, fd)
os.close(r)


def writer():
    time.sleep(0.05)
    os.write(w, b"through the pipe")
    os.close(w)


t = threading.Thread(target=writer)
t.start()
print("pipe", os.read(fd, 100))
t.join()
os.close(fd)
print("random", len(os.urandom(16)), len(os.urandom(200)))
os.unlink(path)
os.unlink(wpath)
os.rmdir(d)
print("END sysbuf_io")
