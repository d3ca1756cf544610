"""Target of test_tlog.py: a traced line whose values are of every kind `trace` logs inside the
program (ints small and large, negative, floats, short and long str, non-ASCII str, bytes,
None, bools) and some it cannot (a list, an instance, an unbound name), in three threads;
attributes of an instance too. Each thread prints what the traced line saw right after it, as
`T<thread>/<i>: <repr(v)>, <repr(w)>, <repr(box.a)>` (so that a trace of the line interleaves
its rows with the program's output)."""
import sys
import threading

LOCK = threading.Lock()


class Box:
    def __init__(self):
        self.a = 0


def values(seed):
    big = 7 ** 40
    return [seed, -seed, 2 ** 62 + seed, -big - seed, big * big, 0, True, False, None,
            seed / 7, float("inf"), -0.0, 1e300, "s%d" % seed, "x" * 300, "y" * 180,
            "caf\u00e9", "tab\t'q\"", b"by\x00tes", b"z" * 400, [seed], Box()]


def work(name, rounds):
    box = Box()
    vs = values(len(name))
    for i in range(rounds):
        v = vs[i % len(vs)]
        w = vs[(i * 5 + 3) % len(vs)]
        box.a = vs[(i * 3 + 1) % len(vs)]
        probe = v  # TRACED
        with LOCK:  # one write per line: the threads' lines never mix
            sys.stdout.write("T%s/%d: %r, %r, %r\n" % (name, i, probe, w, box.a))
            sys.stdout.flush()


def main():
    threads = [threading.Thread(target=work, args=(n, 60)) for n in ("a", "bb", "ccc")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


main()
