# nondeterministic
# Signals: os.kill(self, SIGUSR1) with a handler; setitimer/alarm firing during a sleep loop.
import os
import signal
import time

got = []


def on_usr1(signum, frame):
    got.append(("usr1", frame.f_lineno))
    print("handler SIGUSR1 in", frame.f_code.co_name)


signal.signal(signal.SIGUSR1, on_usr1)
os.kill(os.getpid(), signal.SIGUSR1)
print("after kill", got)

ticks = []


def on_alarm(signum, frame):
    ticks.append(time.monotonic())


signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
sleeps = 0
start = time.monotonic()
while len(ticks) < 5 and time.monotonic() - start < 5:
    time.sleep(0.005)
    sleeps += 1
signal.setitimer(signal.ITIMER_REAL, 0)
print("ticks", len(ticks), "sleeps", sleeps, "elapsed", time.monotonic() - start)
print("tick_times", ticks)
print("alarm_prev", signal.alarm(10), "cancel", signal.alarm(0))
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
os.kill(os.getpid(), signal.SIGUSR2)
print("ignored usr2 ok")
blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
os.kill(os.getpid(), signal.SIGUSR1)
print("pending", signal.SIGUSR1 in signal.sigpending(), "handled_yet", len(got))
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
print("after unblock", len(got))
print("END signals")
