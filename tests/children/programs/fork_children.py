# Children that are forks, not exec'd interpreters: a 'fork' Pool and an os.fork() child.
import multiprocessing as mp
import os


def sq(x):
    return x * x


if __name__ == "__main__":
    mp.set_start_method("fork")
    pool = mp.Pool(2)
    print("P", pool.map(sq, range(6)), flush=True)
    pool.close()
    pool.join()
    pid = os.fork()
    if pid == 0:
        os.write(1, b"F child\n")
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    print("P fork child status", os.waitstatus_to_exitcode(status), flush=True)
    print("END fork_children", flush=True)
