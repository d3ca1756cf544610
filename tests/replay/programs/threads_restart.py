# nondeterministic
# expect: acquired True
# expect: poll after restart [(3, 1)]
# Calls the kernel restarts with restart_syscall: a traced process is woken by every signal,
# even one it ignores (SIGCHLD here: a child exits), and a timed futex wait, nanosleep or poll
# interrupted so is continued by restart_syscall, which is that call again. The recorder must
# treat it as that call: a thread waiting in it may block (another thread must run: the worker
# that releases the lock here), and what it writes is that call's (poll's revents).
import os
import select
import subprocess
import threading
import time

lock = threading.Lock()
lock.acquire()


def worker():
    time.sleep(0.3)  # the SIGCHLD of the child below comes while main waits
    sum(range(10000))
    lock.release()


child = subprocess.Popen(["sleep", "0.1"])
threading.Thread(target=worker).start()
t0 = time.monotonic()
print("acquired", lock.acquire(timeout=20), flush=True)
child.wait()

r, w = os.pipe()
os.dup2(r, 3) if r != 3 else None
p = select.poll()
p.register(3, select.POLLIN)
first = subprocess.Popen(["sleep", "0.1"])  # its exit interrupts the poll below
writer = subprocess.Popen(["sh", "-c", "sleep 0.4; printf x >&%d" % w], pass_fds=(w,))
print("poll after restart", p.poll(20000), flush=True)
first.wait()
writer.wait()
print("waited", time.monotonic() - t0 < 15, time.time())
print("END threads_restart")
