# nondeterministic
# A MAP_SHARED file mapping and write()/pwrite()/ftruncate() on the same file must stay
# coherent (one page cache): what pwrite writes is visible through the map, what the map
# writes is visible to pread, and a file extended with pwrite shows through a resized map.
import mmap
import os
import sys
import tempfile

sys.stdout.reconfigure(line_buffering=True)  # a divergence shows at the line where it happens

with tempfile.TemporaryDirectory(prefix="pytt-mmapcoh-") as d:
    p = os.path.join(d, "f.bin")
    with open(p, "wb") as f:
        f.write(os.urandom(8192))
    fd = os.open(p, os.O_RDWR)
    m = mmap.mmap(fd, 8192)
    print("before", m[:4].hex())
    os.pwrite(fd, b"WXYZ", 0)
    print("after pwrite, via map", m[:4])
    os.lseek(fd, 200, os.SEEK_SET)
    os.write(fd, b"write()")
    print("after write, via map", m[200:207])
    m[100:104] = b"MAPW"
    print("after map write, via pread", os.pread(fd, 4, 100))
    os.ftruncate(fd, 16384)
    os.pwrite(fd, b"TAIL", 9000)
    m.resize(16384)
    print("after extend, via map", m[9000:9004])
    m.close()
    os.close(fd)
print("END mmap_coherence")
