# nondeterministic
# expect: killed tasks ok 40
# Descendants killed while pytt handles their stops: a child's thread loops on syscalls while
# its main thread calls os._exit (the kernel kills the looping thread wherever it is), and the
# parent kills busy children with SIGKILL. A ptrace request on such a task fails (ESRCH) until
# its death is reported; the recording must go on (CI once lost a recording of tree_venv so).
import os
import signal
import subprocess
import sys
import time

SPIN = """
import os, threading, time
def spin():
    while True:
        os.stat("/")
for _ in range(3):
    threading.Thread(target=spin, daemon=True).start()
time.sleep(0.002)
os._exit(7)
"""

done = 0
for i in range(20):
    r = subprocess.run([sys.executable, "-c", SPIN])
    done += r.returncode == 7
for i in range(20):
    p = subprocess.Popen([sys.executable, "-c", "import os\nwhile True: os.getppid()"])
    time.sleep(0.005 * (i % 4))
    p.send_signal(signal.SIGKILL)
    done += p.wait() == -signal.SIGKILL
print("killed tasks ok", done)
print("time", time.time())
print("END tree_killed_tasks")
