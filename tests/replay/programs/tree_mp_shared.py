# nondeterministic
# expect: pool sum 2664667000
# expect: value 3000 anon b'hello'
# Memory shared with unrecorded children: multiprocessing's semaphores (Pool's queues' locks,
# a Lock) and a shared Value in /dev/shm pages, and shared anonymous memory a fork child
# writes. The children's writes reach the parent with no syscall in between, so the recorder
# runs them only while the parent waits in one and logs what they wrote when it returns
# (recorder/rec_gate.c); without that every Pool recording diverged at replay.
import mmap
import multiprocessing as mp
import os
import time


def sq(x):
    return x * x


def bump(v, lock, n):
    for _ in range(n):
        with lock:
            v.value += 1


if __name__ == "__main__":
    with mp.Pool(4) as p:
        print("pool sum", sum(p.map(sq, range(2000), chunksize=5)), flush=True)
    v = mp.Value("i", 0, lock=False)
    lock = mp.Lock()
    ps = [mp.Process(target=bump, args=(v, lock, 1000)) for _ in range(3)]
    for p in ps:
        p.start()
    seen = []
    while True:  # the parent reads the shared counter while the children write it
        with lock:
            seen.append(v.value)
        if seen[-1] >= 3000:
            break
        time.sleep(0.0005)
    for p in ps:
        p.join()
    anon = mmap.mmap(-1, 4096)
    pid = os.fork()
    if pid == 0:
        anon[0:5] = b"hello"
        os._exit(0)
    os.waitpid(pid, 0)
    print("value", v.value, "anon", anon[0:5], flush=True)
    print("polls", len(seen), "time", time.time())
    print("END tree_mp_shared")
