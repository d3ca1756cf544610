# nondeterministic
# File read/write/stat/listdir/tempfile: prints temp names, inode numbers and timestamps.
import os
import tempfile

with tempfile.TemporaryDirectory(prefix="pytt-fileio-") as d:
    print("tmpdir", d)
    p = os.path.join(d, "data.txt")
    with open(p, "w") as f:
        for i in range(20):
            f.write(f"line {i} {os.urandom(4).hex()}\n")
    st = os.stat(p)
    print("size", st.st_size, "ino", st.st_ino, "mtime_ns", st.st_mtime_ns, "mode", oct(st.st_mode))
    with open(p) as f:
        lines = f.readlines()
    print("nlines", len(lines), "first", lines[0].strip(), "last", lines[-1].strip())
    with open(p, "rb") as f:
        f.seek(7)
        print("seek7", f.read(10))
    with open(p, "a") as f:
        f.write("appended\n")
    print("size_after_append", os.path.getsize(p))
    fd, named = tempfile.mkstemp(dir=d, suffix=".bin")
    os.write(fd, os.urandom(100))
    os.close(fd)
    print("mkstemp", os.path.basename(named))
    with tempfile.NamedTemporaryFile(dir=d, delete=False) as nt:
        nt.write(b"x" * 10)
    print("named", os.path.basename(nt.name))
    print("listdir", sorted(os.listdir(d)))
    print("exists", os.path.exists(p), os.path.exists(p + ".nope"))
    try:
        open(os.path.join(d, "missing"))
    except FileNotFoundError as e:
        print("enoent", e.errno)
    os.unlink(named)
    print("after_unlink", sorted(os.listdir(d)))
    print("lstat_dir_nlink", os.lstat(d).st_nlink, "dir_mtime_ns", os.stat(d).st_mtime_ns)
print("END file_io")
