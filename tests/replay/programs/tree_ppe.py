# nondeterministic
# expect: executor 0 sum 285
# expect: executor 3 sum 285
# concurrent.futures.ProcessPoolExecutor with one forked worker, four times over: the
# manager thread polls call_queue.full(), a semaphore in a /dev/shm page that the parent
# decrements (put) and the worker increments back (get) between two of the parent's syscalls.
# Compared with the bytes last logged, such a page looked unchanged and replay kept the
# parent's decrement: the queue looked full and replay diverged in about 1 recording in 3
# (recorder/rec_gate.c compares with the bytes at the moment the gate opens).
import concurrent.futures as cf
import os


def sq(x):
    return x * x


if __name__ == "__main__":
    for k in range(4):
        with cf.ProcessPoolExecutor(1) as ex:
            print("executor", k, "sum", sum(ex.map(sq, range(10))), flush=True)
            print("worker pid", ex.submit(os.getpid).result(), "parent", os.getpid())
    print("END tree_ppe")
