# nondeterministic
# Interleaved writes to stdout and stderr (buffered, flushed, and raw os.write on fds 1 and 2):
# the combined order must be reproduced exactly.
import os
import sys

for i in range(30):
    r = os.urandom(3).hex()
    if i % 3 == 0:
        print("stdout", i, r, flush=True)
    elif i % 3 == 1:
        print("stderr", i, r, file=sys.stderr, flush=True)
    else:
        os.write(1 if i % 2 else 2, f"raw fd {1 if i % 2 else 2} {i} {r}\n".encode())
print("buffered tail on stdout")
print("buffered tail on stderr", file=sys.stderr)
sys.stdout.write("no newline at end of stdout chunk ")
sys.stdout.flush()
os.write(2, b"\x00binary\xff\xfe bytes on stderr\n")
print("END stdout_stderr_interleave")
