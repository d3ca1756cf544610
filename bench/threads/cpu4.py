"""Four threads computing at once (the GIL serializes them natively too): each runs an
object/float/dict mix for argv[1] rounds."""
import sys
import threading


class P:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm(self):
        return (self.x * self.x + self.y * self.y) ** 0.5


def work(n, out, k):
    d = {}
    total = 0.0
    for i in range(n):
        p = P(i * 0.5, k - i)
        total += p.norm()
        d[i % 97] = d.get(i % 97, 0) + 1
    out[k] = (round(total, 3), len(d))


n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
out = {}
ts = [threading.Thread(target=work, args=(n, out, k)) for k in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(out.items()))
