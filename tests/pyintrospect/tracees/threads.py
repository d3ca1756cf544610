"""Three Python threads with different stacks and locals, all stopped at known points, for
`pytt dump`. Worker threads report their stacks and block on a pipe; the main thread pauses on
stdin, then releases them."""
import os
import threading

import pyi_tracee


def worker_leaf(tag, r, ready):
    payload = {"tag": tag, "items": list(range(5))}
    pyi_tracee.block_thread(ready, r)
    return payload


def leaf_generator(tag, r, ready):
    state = "in a generator frame"
    yield worker_leaf(tag, r, ready)


def worker(tag, r, ready):
    depth = len(tag)
    if tag == "beta":
        return next(leaf_generator(tag, r, ready))
    return worker_leaf(tag, r, ready)


def main():
    r, w = os.pipe()
    readies, threads = [], []
    for tag in ["alpha", "beta"]:
        ready = threading.Event()
        th = threading.Thread(target=worker, args=(tag, r, ready), name="worker-" + tag)
        th.start()
        readies.append(ready)
        threads.append(th)
    for ready in readies:
        ready.wait()
    mood = "waiting"
    pyi_tracee.pause()
    os.write(w, b"xx")
    for th in threads:
        th.join()


main()
