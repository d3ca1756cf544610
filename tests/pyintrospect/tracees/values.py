"""Values of every kind pyintrospect renders, held in locals of a few nested frames, then a
pause. The harness compares pytt's locals/print output with the reprs reported here."""
import collections
import os
import sys

import pyi_tracee

GLOBAL_NUMBER = 42
GLOBAL_TEXT = "glöbal"


class Point:
    cls_attr = "class level"

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5


class Slotted:
    __slots__ = ("a", "unset")

    def __init__(self):
        self.a = [1, 2]


class Custom:
    def __repr__(self):
        return "Custom!"


class Outer:
    class Inner:
        pass


class MyInt(int): pass
class MyFloat(float): pass
class MyStr(str): pass
class MyBytes(bytes): pass
class MyByteArray(bytearray): pass
class MyList(list): pass
class MyTuple(tuple): pass
class MyDict(dict): pass
class MySet(set): pass
class MyFrozen(frozenset): pass
class MyError(ValueError): pass


Pair = collections.namedtuple("Pair", "left right")


def nest(depth):
    v = []
    for _ in range(depth):
        v = [v]
    return v


def scalars():
    none_ = None
    yes, no = True, False
    ints = [0, 1, -1, 2**30 - 1, 2**30, -(2**30), 2**62, -(2**63), 2**64, 10**100]
    huge = -(7**1500)
    floats = [0.0, -0.0, 1.5, 0.1, 1 / 3, 2 / 3, 1e16, 1e15, 123456789012345678.0, 1e-4, 1e-5,
              5e-324, 1.7976931348623157e308, float("inf"), -float("inf"), float("nan"),
              2.5e-7, 100.0, 1e22, 9007199254740993.0, 0.3, 2.0**-1074 * 3, 1e23, 8.5e-309]
    cplx = [1j, -1j, 1 + 2j, complex(-0.0, -1), complex(1.5, float("nan")),
            complex(0, float("inf")), complex(-0.0, 0.0), complex(0.0, -0.0), 1e16 + 1e-5j]
    return locals()


def texts():
    empty = ""
    plain = "abc"
    apos = "it's"
    dquote = 'say "hi"'
    both = "both ' and \""
    ctrl = "tab\tnl\nret\r\x00\x1f\x7f\\"
    latin = "é ñandú \xa0\xad\x85"
    greek = "Ωμέγα"
    cjk = "日本語 \u3000 \u2028 \u200b"
    astral = "\U0001F600 \U00010000 \U000E0001 \U0010FFFF"
    lone = "\ud800x\udfff"
    unassigned = "\u0378 \uffff \ufdd0 \U0003FFFD"
    combining = "e\u0301 \u0300"
    longish = "x" * 1000 + "é"
    legacy_ascii = MyStr("abc")
    legacy_latin = MyStr("héllo")
    legacy_bmp = MyStr("日本")
    legacy_astral = MyStr("\U0001F600")
    raw_bytes = [b"", b"abc", b"it's", b'"q"', b"'\"", b"\x00\xff\n\t\\", bytes(range(256))]
    barr = bytearray(b"xy\x00")
    mybytes = [MyBytes(b"m"), MyByteArray(b"n")]
    return locals()


def containers():
    e_list, e_tuple, e_dict, e_set, e_frozen = [], (), {}, set(), frozenset()
    one_tuple = (1,)
    nested = [1, [2, [3, (4, {"five": 5})]]]
    big_list = list(range(10000))
    big_dict = {i: str(i) for i in range(10000)}
    deep = nest(100)
    cyc_list = [1]
    cyc_list.append(cyc_list)
    cyc_dict = {"k": 1}
    cyc_dict["self"] = cyc_dict
    cyc_tuple = ([],)
    cyc_tuple[0].append(cyc_tuple)
    reordered = {i: i for i in range(10)}
    del reordered[3]
    reordered[3] = "again"
    mixed_keys = {1: "int", "s": "str", (1, 2): "tuple", None: "none", 2.5: "float"}
    small_set = {3, 1, 2}
    str_set = {"b", "a", "c"}
    holed_set = set(range(40))
    for i in range(0, 40, 3):
        holed_set.discard(i)
    frozen = frozenset({1, 2})
    ranges = [range(10), range(1, 10, 3), range(-5, 5), range(0, 2**70), range(5, 0, -1)]
    return locals()


def objects():
    p = Point(1, "two")
    inst_dict = p.__dict__
    slotted = Slotted()
    custom = Custom()
    pair = Pair(1, 2)
    func = nest
    lam = lambda q: q  # noqa: E731
    meth = p.norm
    builtin_fn = len
    builtin_meth = [].append
    classes = [Point, int, Outer.Inner, object, type, MyError]
    mods = [os, sys, collections, pyi_tracee]
    excs = [ValueError("bad"), KeyError("k"), OSError(2, "No such file"), MyError("a", 1),
            Exception(), StopIteration()]
    subclassed = [MyInt(5), MyFloat(1.5), MyList([1, 2]), MyTuple((1,)), MyDict(a=1),
                  MySet({1}), MySet(), MyFrozen({2}), MyFrozen(), MyStr("s")]
    singletons = [None, Ellipsis, NotImplemented, True, False]
    code = nest.__code__
    return locals()


def frame_with_closure(scal, txt, cont, obj):
    captured = "from the enclosing frame"
    counter = [0]

    def inner(arg):
        local_in_inner = arg * 2
        note = captured
        pyi_tracee.pause(
            exprs=[
                "arg", "local_in_inner", "captured", "counter[0]", "GLOBAL_NUMBER",
                "GLOBAL_TEXT", "len", "os.sep", "missing_name", "obj['p'].x", "obj['p'].y",
                "obj['p'].cls_attr", "obj['p'].norm", "obj['p'].z", "obj['slotted'].a",
                "obj['slotted'].unset", "obj['slotted'].a[1]", "obj['pair'].left",
                "cont['nested'][1][1][1]['five']", "cont['nested'][-1][0]",
                "cont['big_list'][9999]", "cont['big_list'][10000]", "cont['e_dict']['x']",
                "cont['mixed_keys'][1]", "cont['mixed_keys']['s']", "cont['big_dict'][77]",
                "scal['ints'][-1]", "txt['latin']", "Point.cls_attr", "Point.nope",
                "os.nope", "GLOBAL_NUMBER.real_nope", "Outer.Inner", "obj['inst_dict']['x']",
                "sys.maxsize", "None",
            ]
        )
        return note

    return inner(21) + str(counter)


def main():
    scal = scalars()
    txt = texts()
    cont = containers()
    obj = objects()
    frame_with_closure(scal, txt, cont, obj)


main()
