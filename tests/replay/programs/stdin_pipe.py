# nondeterministic
# stdin: random
# Reads all of stdin (piped from a file), prints its hash and lines.
import hashlib
import os
import sys

data = sys.stdin.buffer.read()
print("stdin_bytes", len(data))
print("sha256", hashlib.sha256(data).hexdigest())
lines = data.decode("utf-8", "replace").splitlines()
print("nlines", len(lines))
for i, line in enumerate(lines[:10]):
    print("line", i, line)
print("eof_read", sys.stdin.buffer.read())
print("stdin_isatty", os.isatty(0))
print("pid", os.getpid())
print("END stdin_pipe")
