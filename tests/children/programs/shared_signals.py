# Two spawned children increment one shared multiprocessing.Value under its lock while an
# interval timer interrupts them every 2 ms (computing, waiting for the lock, or inside the
# lock's own calls) with a handler that increments another shared Value under its lock. Each
# child writes samples of the values it read and what its handler saw; the parent prints both
# totals.
import multiprocessing as mp
import os
import signal


def spin(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


def child(value, ticks, start):
    hits = []

    def on_alarm(sig, frame):
        with ticks.get_lock():
            ticks.value += 1
            hits.append(ticks.value)
    signal.signal(signal.SIGALRM, on_alarm)
    start.wait()
    signal.setitimer(signal.ITIMER_REAL, 0.002, 0.002)
    seen = []
    for k in range(200):
        spin(2000)
        with value.get_lock():
            value.value += 1
            seen.append(value.value)
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    os.write(1, f"C {os.getpid()} seen {seen[::20]} last {seen[-1]} hits {len(hits)} "
                f"{hits[-3:]}\n".encode())


if __name__ == "__main__":
    mp.set_start_method("spawn")
    value, ticks, start = mp.Value("i", 0), mp.Value("i", 0), mp.Barrier(2)
    procs = [mp.Process(target=child, args=(value, ticks, start)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("P", value.value, ticks.value, flush=True)
    print("END shared_signals", flush=True)
