"""The descriptor calls the syscall buffer makes without a stop since opens are buffered:
opens of regular files and directories (read-only, O_CREAT, O_TRUNC of an empty file, O_EXCL),
directory listings (os.listdir, os.scandir, os.walk, os.fwalk: the library's own directory
streams), dup/dup2/dup3 (a file dup'ed over stdout and back: replay must show exactly what
reached the real stdout), ftruncate, an mmap of a file opened through the buffer, terminal
queries on a pipe and on the output file, symbolic links read (readlink, readlinkat, realpath;
a name that is no link, one that does not exist), and the same listings from a second
thread."""
import hashlib
import mmap
import os
import sys
import tempfile
import termios
import threading
import fcntl
import struct

d = tempfile.mkdtemp(prefix="pytt_sysbuf_fs_")
for sub in ("a", "b", "b/c"):
    os.mkdir(os.path.join(d, sub))
for i in range(40):
    with open(os.path.join(d, ("a", "b", "b/c")[i % 3], f"f{i:02d}.txt"), "w") as f:
        f.write(f"file {i} " + "x" * i + "\n")


def listing(top):
    h = hashlib.sha256()
    for name in sorted(os.listdir(top)):
        h.update(name.encode())
    for e in sorted(os.scandir(top), key=lambda e: e.name):
        h.update(f"{e.name}:{e.is_dir()}:{e.is_file()}".encode())
    for root, dirs, files in os.walk(top):
        dirs.sort()
        h.update(f"{os.path.relpath(root, top)}:{sorted(files)}".encode())
        for name in sorted(files):
            with open(os.path.join(root, name)) as f:
                h.update(f.read().encode())
    for root, dirs, files, rootfd in os.fwalk(top):
        dirs.sort()
        h.update(f"{os.path.relpath(root, top)}:{sorted(files)}:{os.fstat(rootfd).st_nlink}".encode())
    return h.hexdigest()[:16]


print("listing", listing(d))

# an O_CREAT file, written, truncated, mapped, read back
p = os.path.join(d, "made.bin")
fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"0123456789" * 1000)
os.ftruncate(fd, 4096 * 2)
m = mmap.mmap(fd, 4096 * 2, mmap.MAP_PRIVATE, mmap.PROT_READ)
print("mapped", len(m), hashlib.sha256(m[:]).hexdigest()[:16])
m.close()
os.ftruncate(fd, 25)
os.lseek(fd, 0, os.SEEK_SET)
print("truncated", os.read(fd, 100))
os.close(fd)
# O_TRUNC of an empty file, and of one that is not (that one stops)
open(os.path.join(d, "empty"), "w").close()
with open(os.path.join(d, "empty"), "w") as f:
    f.write("now not empty")
with open(os.path.join(d, "empty"), "w") as f:
    f.write("rewritten")
print("rewritten", open(os.path.join(d, "empty")).read())
try:
    os.open(os.path.join(d, "missing", "x"), os.O_RDONLY)
except FileNotFoundError as e:
    print("missing", e.errno)
try:
    os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL)
except FileExistsError as e:
    print("exists", e.errno)

# dup, dup2 over stdout and back, dup3
sys.stdout.flush()
saved = os.dup(1)
out = os.open(os.path.join(d, "captured.txt"), os.O_RDWR | os.O_CREAT, 0o600)
os.dup2(out, 1)
os.write(1, b"this line goes to the file, not to the output\n")
os.dup2(saved, 1, inheritable=False)
os.close(saved)
os.lseek(out, 0, os.SEEK_SET)
print("captured", os.read(out, 200))
two = os.dup(out)
print("dup", os.fstat(two).st_size == os.fstat(out).st_size)
os.close(two)
os.close(out)

# terminal queries (on a pipe and a regular file: no pseudo-terminal, pytt does not record
# openpty's TIOCGPTPEER yet)
r, w = os.pipe()
print("pipe isatty", os.isatty(r))
for fd in (r, 1):
    try:
        print("terminal_size", tuple(os.get_terminal_size(fd)))
    except OSError as e:
        print("terminal_size", e.errno)
    try:
        print("tcgetattr", len(termios.tcgetattr(fd)))
    except termios.error as e:
        print("tcgetattr", e.args[0])
print("winsize", len(fcntl.ioctl(r, termios.FIONREAD, b"\0" * 4)))
os.close(r)
os.close(w)

# symbolic links: read one by one, through a directory descriptor, and resolved by realpath
links = []
for i in range(20):
    links.append(os.path.join(d, f"link{i:02d}"))
    os.symlink(f"a/f{3 * (i % 14):02d}.txt", links[-1])
print("readlink", [os.readlink(p) for p in links])
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
print("readlinkat", os.readlink("link05", dir_fd=dfd))
os.close(dfd)
print("realpath", os.path.relpath(os.path.realpath(links[7]), d))
for name in ("a", "missing-link"):
    try:
        os.readlink(os.path.join(d, name))
    except OSError as e:
        print("readlink", name, e.errno)
for p in links:
    os.unlink(p)


def worker(out):
    out.append(listing(d))


res = []
t = threading.Thread(target=worker, args=(res,))
t.start()
res.append(listing(os.path.join(d, "b")))
t.join()
print("threads", sorted(res))

for root, dirs, files in os.walk(d, topdown=False):
    for name in files:
        os.unlink(os.path.join(root, name))
    for name in dirs:
        os.rmdir(os.path.join(root, name))
os.rmdir(d)
print("END sysbuf_fs")
