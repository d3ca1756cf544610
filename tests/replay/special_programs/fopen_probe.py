"""fopen through libc (ctypes), the way CPython's own start probes files: 40 names that do not
exist (ENOENT, and ENOTDIR under a regular file), then a file that does, read back in the
modes "r", "rb", "re" and "rbe"; one "w" fopen (not read-only: glibc's own path); each result
printed, so a replay that differs shows."""
import ctypes
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.fread.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p]
libc.fwrite.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]

here = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
data = os.path.join(here, "fopen_probe.txt")
with open(data, "w") as f:
    f.write("line one\nline two, a little longer\n")

for i in range(40):
    name = f"{here}/pytt-fopen-missing-{i}.cfg" if i % 4 else f"{data}/not-a-dir-{i}"
    fp = libc.fopen(name.encode(), b"rb")
    print(i, fp is None, os.strerror(ctypes.get_errno()) if fp is None else "")

for mode in (b"r", b"rb", b"re", b"rbe"):
    fp = libc.fopen(data.encode(), mode)
    buf = ctypes.create_string_buffer(256)
    n = libc.fread(buf, 1, 256, fp)
    print(mode.decode(), n, buf.raw[:n].decode().split("\n"), libc.fclose(fp))

out = os.path.join(here, "fopen_probe.out")
fp = libc.fopen(out.encode(), b"w")
print("w", libc.fwrite(b"written", 1, 7, fp), libc.fclose(fp), open(out).read())
