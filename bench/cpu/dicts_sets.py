"""Dict and set churn benchmark: inserts, lookups, deletes, updates, comprehensions, set
algebra, dict views and resizes, with int, str and tuple keys.
Usage: dicts_sets.py [N]"""
import sys


def churn(n):
    d = {}
    seen = set()
    total = 0
    for i in range(n):
        k = (i * 2654435761) % 100003
        d[k] = d.get(k, 0) + 1
        sk = "k%d" % (k % 5000)
        if sk in seen:
            seen.discard(sk)
        else:
            seen.add(sk)
        if i % 3 == 0 and (k - 1) in d:
            del d[k - 1]
        t = (k % 17, k % 19)
        d[t] = d.get(t, 0) + k
        if i % 1000 == 999:
            evens = {key for key in seen if int(key[1:]) % 2 == 0}
            odds = seen - evens
            total += len(evens & odds) + len(evens | odds) + len(evens ^ seen)
            inv = {v: key for key, v in d.items() if isinstance(key, int) and v > 1}
            total += len(inv)
    return len(d), len(seen), total, sum(v for v in d.values()) % 1000003


print(*churn(int(sys.argv[1]) if len(sys.argv) > 1 else 200000))
