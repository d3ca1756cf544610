# nondeterministic
# mmap of a temp file: write, map, read and modify through the map, msync, reread via read().
import mmap
import os
import tempfile

with tempfile.TemporaryDirectory(prefix="pytt-mmap-") as d:
    p = os.path.join(d, "mapped.bin")
    payload = os.urandom(8192)
    with open(p, "wb") as f:
        f.write(payload)
    print("file", p)
    with open(p, "r+b") as f:
        m = mmap.mmap(f.fileno(), 0)
        print("len", len(m), "head", m[:16].hex(), "tail", m[-8:].hex())
        print("same_as_written", m[:] == payload)
        m[0:4] = b"PYTT"
        m[4096:4100] = os.urandom(4)
        m.flush()
        print("modified_head", m[:8].hex(), "page2", m[4096:4104].hex())
        m.seek(100)
        print("read_via_map", m.read(8).hex())
        print("find", m.find(b"PYTT"))
        m.close()
    with open(p, "rb") as f:
        data = f.read()
    print("reread_head", data[:8].hex(), "page2", data[4096:4104].hex())
    # Read-only private mapping of the same file.
    with open(p, "rb") as f:
        m2 = mmap.mmap(f.fileno(), 4096, access=mmap.ACCESS_COPY)
        m2[0:4] = b"COPY"
        print("private_copy", m2[:8].hex())
        m2.close()
    with open(p, "rb") as f:
        print("file_unchanged_by_copy", f.read(4))
print("END mmap_file")
