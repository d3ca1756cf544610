# Starts a thread: pytt record is expected to refuse it (exit 125, message mentioning threads).
import threading
import time

print("starting a thread", flush=True)
out = []
t = threading.Thread(target=lambda: out.append(time.time()))
t.start()
t.join()
print("thread ran", len(out))
