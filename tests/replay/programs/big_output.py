# nondeterministic
# expect: total_bytes
# More than 1 MiB of output, with random content.
import os
import sys

total = 0
i = 0
rnd = os.urandom(4096).hex()
while total < (1 << 20) + 1000:
    line = f"{i:06d} {rnd[(i * 37) % 8000:(i * 37) % 8000 + 64]} {'x' * (i % 50)}\n"
    sys.stdout.write(line)
    total += len(line)
    i += 1
sys.stdout.write(f"total_bytes {total} lines {i}\n")
print("END big_output")
