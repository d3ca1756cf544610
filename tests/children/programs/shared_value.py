# Two spawned children hammer one multiprocessing.Value under its lock, computing between
# increments with no syscall, from the moment both are up (a Barrier): each increment reads
# what the other child wrote (shared memory), and each child writes the value it saw after
# each of its increments, so a replay that misses the other's writes prints other numbers, and
# the values show whether the two loops ran at the same time (they interleave) or one after
# the other. The parent polls the value meanwhile and checks the total.
import multiprocessing as mp
import os
import sys
import time


def spin(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


def hammer(value, start, rounds, work):
    seen, acc = [], 0
    start.wait()  # both children are up: their loops overlap
    for k in range(rounds):
        acc += spin(work + k % 5)
        with value.get_lock():
            value.value += 1
            seen.append(value.value)
    lines = "".join(f"W {os.getpid()} {k} saw {v}\n" for k, v in enumerate(seen))
    os.write(1, (lines + f"W {os.getpid()} done acc={acc}\n").encode())


if __name__ == "__main__":
    rounds, work = int(sys.argv[1]), int(sys.argv[2])
    mp.set_start_method("spawn")
    value, start = mp.Value("i", 0), mp.Barrier(2)
    procs = [mp.Process(target=hammer, args=(value, start, rounds, work)) for _ in range(2)]
    for p in procs:
        p.start()
    polls = []
    while any(p.is_alive() for p in procs):
        with value.get_lock():
            polls.append(value.value)
        time.sleep(0.002)
    for p in procs:
        p.join()
    print("P polls nondecreasing", polls == sorted(polls), flush=True)
    print("P final", value.value, "expected", 2 * rounds, flush=True)
    print("END shared_value", flush=True)
