# nondeterministic
# Asynchronous signals landing in a CPU loop without syscalls: the handler records the loop
# counter at which it ran, so replay must deliver each signal at the same point of execution.
import signal
import time

i = 0
seen = []


def on_alarm(signum, frame):
    seen.append(i)


signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.01, 0.01)
x = 0
while len(seen) < 8 and i < 50_000_000:
    i += 1
    x = (x * 31 + i) & 0xFFFFFFFF
signal.setitimer(signal.ITIMER_REAL, 0)
print("loop_counters_at_signal", seen)
print("final", i, x)
print("time", time.time())
print("END signal_busy_loop")
