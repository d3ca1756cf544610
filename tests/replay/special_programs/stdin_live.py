# Reads stdin from a live pipe fed slowly by the harness, polling with a short timeout: prints
# every chunk with how many polls timed out before it (nondeterministic) until EOF.
import os
import select
import time

p = select.poll()
p.register(0, select.POLLIN | select.POLLHUP)
timeouts = 0
chunks = 0
while True:
    ev = p.poll(10)
    if not ev:
        timeouts += 1
        continue
    data = os.read(0, 4096)
    if not data:
        break
    chunks += 1
    print("chunk", chunks, "after_timeouts", timeouts, repr(data), time.monotonic(), flush=True)
print("eof after", chunks, "chunks,", timeouts, "timeouts")
print("END stdin_live")
