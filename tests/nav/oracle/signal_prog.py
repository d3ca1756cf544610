"""Python signal handlers run in the middle of a busy loop (SIGALRM every millisecond until
five have been handled): tests/nav/test_reverse.py stops in the handler with a breakpoint,
forwards and backwards, and steps across handler calls both ways."""
import signal

hits = []


def handler(signum, frame):
    hits.append(signum)


signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
total = 0
i = 0
while len(hits) < 5:
    total += i
    i += 1
signal.setitimer(signal.ITIMER_REAL, 0, 0)
print(len(hits))
