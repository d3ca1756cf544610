"""Condition oracle: a loop whose state varies from iteration to iteration; at the top of each
iteration the program evaluates every condition of CONDS itself (as pytt does: in a merge of
the frame's globals and locals) and prints, as JSON, the iteration and the indexes of those that
are true and of those that raise. Each condition then gets its own line below (`t = K`), where a
conditional breakpoint `break conditions.py:LINE if COND` must stop exactly at the iterations
where it was true or raised (pdb's rule: a condition that raises stops)."""
import json
import sys


class Box:
    def __init__(self):
        self.count = 0
        self.label = "box"

    @property
    def double(self):
        return self.count * 2


class Other:
    def __init__(self, count):
        self.label = "other"
        self.count = count


LIMIT = 7

CONDS = [
    "i == 5",
    "i != 0 and i < 3",
    "i >= 30",
    "x > 3",
    "3 <= i < 6",
    "not flag",
    "flag",
    "opt is None",
    "opt is not None and opt > 10",
    "i % 7 == 3",
    "i * 2 + 1 == 21",
    "f > 4.5",
    "f == 2.25",
    "s == 'bb'",
    "s",
    "s + 'x' == 'ax'",
    "lst[0] == 9",
    "d['k'] == 2",
    "'b' in s",
    "i in lst",
    "box.count == 3",
    "box.double > 6",
    "len(lst) > 1 and lst[1] == 12",
    "s.startswith('a')",
    "i > LIMIT * 4",
    "-i < -35",
    "i // 4 == 2 or i == 0",
    "1 / (i % 10) > 0.3",
    "big == 2 ** 70 + i",
    "undefined_name == 1 if i == 13 else False",
    "flag and not opt",
    "(i == 1) == (x == 3)",
    "obj.count == 2",
    "obj.count > 1 and i < 30",
]


def loop(n):
    box = Box()
    big = 2 ** 70
    boxes = [Box(), Other(2), Box()]
    vars(boxes[2])  # this one keeps its attributes in a dict, not inline values
    for i in range(n):
        x = i * 3 % 7
        flag = i % 3 == 0
        opt = None if i % 4 == 1 else i
        f = i / 4
        s = ("a", "bb", "", "abc")[i % 4]
        lst = [i % 11] * (1 + i % 3) + ([12] if i % 5 == 0 else [])
        d = {"k": i % 4}
        box.count = i % 5
        big = 2 ** 70 + (i if i % 6 == 0 else 0)
        obj = boxes[i % 3] if i % 13 else Other(i % 4)  # classes vary under the same name
        if obj is not boxes[1]:
            obj.count = i % 4
        if i == 21:
            del boxes[0].count  # an attribute gone: AttributeError from then on
        if i == 25:
            boxes[0].count = 2
        check(sys._getframe())
        t = 0
        t = 1
        t = 2
        t = 3
        t = 4
        t = 5
        t = 6
        t = 7
        t = 8
        t = 9
        t = 10
        t = 11
        t = 12
        t = 13
        t = 14
        t = 15
        t = 16
        t = 17
        t = 18
        t = 19
        t = 20
        t = 21
        t = 22
        t = 23
        t = 24
        t = 25
        t = 26
        t = 27
        t = 28
        t = 29
        t = 30
        t = 31
        t = 32
        t = 33
    return t


def check(frame):
    ns = dict(frame.f_globals)
    ns.update(frame.f_locals)
    true, raised = [], []
    for k, c in enumerate(CONDS):
        try:
            if eval(c, ns):
                true.append(k)
        except Exception:
            raised.append(k)
    print(json.dumps([ns["i"], true, raised]))


loop(40)
