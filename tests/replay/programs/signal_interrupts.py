# nondeterministic
# A SIGALRM handler raising an exception out of a blocked read() on an empty pipe; then a
# loop that only reads the clock (vDSO, no syscalls) until a deadline while SIGALRM arrives:
# the iteration count depends on every clock value the program saw.
import os
import signal
import sys
import time

sys.stdout.reconfigure(line_buffering=True)


class Timeout(Exception):
    pass


def raise_timeout(signum, frame):
    raise Timeout()


signal.signal(signal.SIGALRM, raise_timeout)
r, w = os.pipe()
signal.setitimer(signal.ITIMER_REAL, 0.03)
try:
    os.read(r, 10)
    print("read returned?")
except Timeout:
    print("blocked read interrupted by the alarm at", time.time())
alarms = []
signal.signal(signal.SIGALRM, lambda s, f: alarms.append(n))
n = 0
signal.setitimer(signal.ITIMER_REAL, 0.01)
end = time.monotonic() + 0.05
while time.monotonic() < end:
    n += 1
print("clock loop iterations", n, "alarm at iteration", alarms)
os.close(r)
os.close(w)
print("END signal_interrupts")
