# bench: multiprocessing.Pool(4) with the spawn start method maps a CPU-bound function over
# TASKS tasks (argv[1]; each sums SIZE squares, argv[2]) and prints the total.
import multiprocessing as mp
import sys


def work(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


if __name__ == "__main__":
    tasks, size = int(sys.argv[1]), int(sys.argv[2])
    mp.set_start_method("spawn")
    with mp.Pool(4) as pool:
        total = sum(pool.map(work, [size] * tasks, chunksize=1))
    print("total", total)
