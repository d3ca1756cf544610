# nondeterministic
# expect: fork child 0
# expect: spawn child 2
# expect: forkserver child 1
# multiprocessing with each start method: fork (a copy of the recorded process, with pytt's
# page and the Python clock), forkserver and spawn (fresh interpreters, a server process, the
# resource tracker). Children print to the inherited stdout.
import multiprocessing as mp
import os
import time


def work(tag, n):
    print(f"{tag} child {n} pid>0 {os.getpid() > 0}", flush=True)


if __name__ == "__main__":
    for n, method in enumerate(["fork", "forkserver", "spawn"]):
        ctx = mp.get_context(method)
        p = ctx.Process(target=work, args=(method, n))
        p.start()
        p.join()
        print(method, "exit", p.exitcode, flush=True)
    print("time", time.time())
    print("END tree_mp_start_methods")
