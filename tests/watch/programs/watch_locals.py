"""Places named through locals (test_watch.py, check_locals): an instance's attribute (inline
values from 3.11), a __slots__ member, a list item moved by insertions in front of it, a dict
value; each changes at every iteration of work's loop, and the objects die when work returns."""


class P:
    def __init__(self):
        self.count = 0


class S:
    __slots__ = ("v",)


def work(n):
    p = P()
    s = S()
    lst = [0, 0, 0]
    d = {"k": 1}
    for i in range(n):  # LOOP
        p.count += 1
        s.v = i * 3
        lst[1] = lst[1] + i
        if i % 3 == 0:
            lst.insert(0, -i)
            lst.append(i)
        d["k"] = d["k"] + 2
    return p


work(12)
print("END")
