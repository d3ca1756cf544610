# nondeterministic
# Anonymous and memfd-backed shared mappings, mmap.resize (mremap), buffer addresses.
import ctypes
import mmap
import os

m = mmap.mmap(-1, 1 << 16)
m[:8] = os.urandom(8)
print("anon_head", m[:8].hex())
cbuf = ctypes.c_char.from_buffer(m)
addr = ctypes.addressof(cbuf)
del cbuf
print("anon_addr", hex(addr))
m.resize(1 << 18)
print("resized", len(m), "head_kept", m[:8].hex())
m.close()

fd = os.memfd_create("pytt-memfd")
os.ftruncate(fd, 8192)
os.write(fd, os.urandom(16))
mm = mmap.mmap(fd, 8192)
print("memfd_head", mm[:16].hex())
mm[100:104] = b"abcd"
os.lseek(fd, 100, os.SEEK_SET)
print("memfd_read_back", os.read(fd, 4))
print("memfd_fstat_size", os.fstat(fd).st_size)
mm.close()
os.close(fd)
print("END mmap_anon")
