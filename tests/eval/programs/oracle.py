"""Evaluation oracle: at each `report(...)` line the program evaluates a list of expressions in
the calling frame (as pytt does: a merge of its globals and locals) and prints, as JSON lines,
repr() of each value (or the exception as 'Name: message', or pprint.pformat for `pp` items).
A breakpoint on that line sees the same state, so pytt's `print EXPR` there must print exactly
what the program printed. Covers every form the shell takes and the stdlib types whose repr is
code: namedtuple, dataclass, enum, datetime, Decimal, deque, Counter, OrderedDict, defaultdict,
and user classes with __repr__, properties, __slots__, descriptors, __getattr__."""
import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import json
import math
import os
import pprint
import sys

GLOBAL_LIMIT = 100
P = collections.namedtuple("P", "x y")


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 3


@dataclasses.dataclass
class Item:
    name: str
    price: float
    count: int = 1

    @property
    def total(self):
        return self.price * self.count


class Tagged:
    def __init__(self, tag):
        self.tag = tag

    def __repr__(self):
        return "Tagged<%s>" % self.tag

    def shout(self):
        return self.tag.upper()


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = [1, 2]


class Doubler:
    """A non-data descriptor and a data descriptor."""

    def __get__(self, obj, owner):
        return "class-level" if obj is None else obj.base * 2


class Checked:
    def __get__(self, obj, owner):
        return -1 if obj is None else obj.base + 1000

    def __set__(self, obj, value):
        raise AttributeError("read-only")


class Described:
    twice = Doubler()
    checked = Checked()

    def __init__(self):
        self.base = 21
        self.__dict__["checked"] = "shadowed by the data descriptor"


class Dynamic:
    def __init__(self):
        self.real = 1

    def __getattr__(self, name):
        return "dyn:" + name


class Cls:
    cls_attr = "at class level"

    @classmethod
    def make(cls):
        return cls()

    @staticmethod
    def helper(v):
        return v + 1


def report(exprs, frame):
    ns = dict(frame.f_globals)
    ns.update(frame.f_locals)
    for e in exprs:
        kind, src = ("pp", e[3:]) if e.startswith("pp ") else ("p", e)
        try:
            v = eval(src, ns)
            text = pprint.pformat(v) if kind == "pp" else repr(v)
        except Exception as ex:
            text = "*** %s: %s" % (type(ex).__name__, ex)
        print(json.dumps([e, text]))


def scenario(items, factor):
    nt = P(3, 4)
    color = Color.GREEN
    level = Level.HIGH
    dt = datetime.datetime(2024, 2, 29, 13, 45, 7, 123)
    day = datetime.date(2023, 12, 31)
    delta = datetime.timedelta(days=2, seconds=5)
    dec = decimal.Decimal("3.14159")
    frac = fractions.Fraction(3, 9)
    dq = collections.deque([1, 2, 3], maxlen=5)
    counts = collections.Counter("abracadabra")
    od = collections.OrderedDict([("z", 1), ("a", 2)])
    dd = collections.defaultdict(list, {"k": [1]})
    tagged = Tagged("hi")
    slotted = Slotted()
    described = Described()
    dynamic = Dynamic()
    item = Item("pen", 1.5, 4)
    data = {"b": 2, "a": 1, "c": 3, "d": 4}
    words = ["delta", "alpha", "charlie", "bravo"]
    big = 2 ** 100
    neg = -7
    ratio = 2.5
    nan = float("nan")
    text = "héllo wörld"
    raw = b"\x00ab\xff"
    nested = {"list": [1, (2, 3), {4}], "none": None}
    err = ValueError("bad value", 42)

    def inner(k):
        return k * factor

    report(EXPRS_SCENARIO, sys._getframe())
    return inner(2)


EXPRS_SCENARIO = [
    # names, attributes, subscripts, constants
    "items", "factor", "GLOBAL_LIMIT", "len", "os.sep", "math.pi", "nested['list'][1][0]",
    "data['c']", "words[-1]", "text[1]", "raw", "big", "nan", "None", "True", "...",
    # arithmetic, comparisons, boolean
    "factor * 3 + 1", "neg // 2", "neg % 3", "ratio * 2", "ratio / 0.5", "big + 1",
    "2 ** 10", "7 / 2", "-ratio", "~neg", "text + '!'", "'ab' * 3", "1 < factor <= 3",
    "factor == 2 and neg < 0", "not items", "factor if neg < 0 else 0", "'é' in text",
    "nested['none'] is None", "items is not None", "0.1 + 0.2", "1e300 * 10",
    # calls, comprehensions, literals, f-strings
    "len(items)", "sorted(data.items())[:3]", "[w.upper() for w in words if 'a' in w]",
    "{k: v * 2 for k, v in data.items()}", "{i % 3 for i in range(10)}", "sum(items)",
    "max(words, key=len)", "f'{ratio:.3f}/{factor}'", "text.split()", "inner(5)",
    "(lambda z: z + factor)(1)", "list(map(str, items))", "divmod(neg, 3)", "abs(neg)",
    "[1, (2, 3), {'a': [4]}]", "dict(zip('ab', [1, 2]))", "isinstance(item, Item)",
    # stdlib types whose repr is code
    "nt", "nt.x", "nt[1]", "nt._asdict()", "color", "color.name", "color.value", "Color",
    "level", "level + 1", "dt", "dt.year", "dt.date()", "day", "delta", "dt - delta",
    "dec", "dec * 2", "frac", "dq", "counts.most_common(2)", "od", "dd", "item",
    "item.total", "item.name", "err", "err.args", "type(err).__name__",
    # user classes: __repr__, properties, slots, descriptors, __getattr__, dunders
    "tagged", "tagged.tag", "tagged.shout()", "tagged.shout", "slotted.a", "slotted.b",
    "described.twice", "described.checked", "Described.twice", "Described.checked",
    "dynamic.real", "dynamic.missing", "item.__class__", "tagged.__dict__",
    "Cls.cls_attr", "Cls.make", "Cls.helper(1)", "Cls.make().cls_attr", "type(slotted)",
    # errors
    "undefined_name", "items[99]", "data['zz']", "1 / 0", "factor.nope", "int('x')",
    # pretty-printing
    "pp data", "pp [list(range(12))] * 3", "pp item",
]


EXPRS_CALLER = ["scenario", "result", "result * 2", "[r for r in range(result)]"]


def main():
    result = scenario([3, 1, 2], 2)
    report(EXPRS_CALLER, sys._getframe())
    print(json.dumps(["done", result]))


main()
