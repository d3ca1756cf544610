# The main thread aborts (tgkill of itself with SIGABRT) while another thread keeps making
# syscalls. Under --chaos the recorder may switch to the other thread at the tgkill, switch
# back at the other thread's next call, and see that call return before the abort's signal
# stop: the recording then has the other thread's result between the switch and the signal,
# and replay must still deliver the signal before the aborting thread runs on.
import os
import threading
import time


def spin():
    while True:
        time.sleep(0)


threading.Thread(target=spin, daemon=True).start()
time.sleep(0.002)
print("aborting", flush=True)
os.abort()
