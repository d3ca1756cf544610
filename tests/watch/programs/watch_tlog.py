"""Target of test_tlog.py: a traced line whose values are of every kind `trace` logs inside the
program (ints small and large, negative, floats, short and long str, non-ASCII str, bytes,
None, bools) and some it cannot (a list, an instance, an unbound name), in three threads;
attributes of an instance too. Each thread prints what the traced line sees, as
`T<thread>/<i>: <repr(v)>, <repr(w)>, <repr(box.a)>`, after the line."""
import threading


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
    out = []
    for i in range(rounds):
        v = vs[i % len(vs)]
        w = vs[(i * 5 + 3) % len(vs)]
        box.a = vs[(i * 3 + 1) % len(vs)]
        probe = v  # TRACED
        out.append("T%s/%d: %r, %r, %r" % (name, i, probe, w, box.a))
    return out


def main():
    results = {}
    threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, work(n, 60)))
               for n in ("a", "bb", "ccc")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in ("a", "bb", "ccc"):
        print("\n".join(results[n]))


main()
