# Prints 60 numbered lines, 50 ms apart (flushed), for tests that stop pytt record mid-run.
import time

for i in range(60):
    print("line", i, time.monotonic(), flush=True)
    time.sleep(0.05)
print("END slow_lines")
