# nondeterministic
# Large single read/write syscalls (8 MiB) on a temp file and a 1 MiB round-trip through a pipe.
import hashlib
import os
import tempfile

data = os.urandom(1 << 20) * 8
with tempfile.TemporaryFile() as f:
    n = os.write(f.fileno(), data)
    print("written", n)
    os.lseek(f.fileno(), 0, os.SEEK_SET)
    back = os.read(f.fileno(), len(data) + 10)
    print("read", len(back), "equal", back == data)
    print("sha256", hashlib.sha256(back).hexdigest())
    os.lseek(f.fileno(), 0, os.SEEK_SET)
    got = f.readinto(bytearray(3 << 20))
    print("readinto", got)
r, w = os.pipe()
os.set_blocking(w, False)
chunk = os.urandom(1 << 16)
sent = 0
try:
    while True:
        sent += os.write(w, chunk)
except BlockingIOError:
    pass
print("pipe_capacity_bytes", sent)
received = b""
while len(received) < sent:
    received += os.read(r, 1 << 20)
print("pipe_roundtrip", len(received), hashlib.sha1(received).hexdigest())
os.close(r); os.close(w)
print("END large_io")
