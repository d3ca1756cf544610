"""Self-report for pyintrospect tracees.

A tracee calls pause() at a known point: it writes, as JSON to the path in sys.argv[1], what
Python itself says about the current stack (file, line, function, f_lasti, source line and the
repr of every local of each frame, as traceback and frame.f_locals give them) plus the results of
evaluating the expressions it was given, then blocks reading stdin until the harness closes it.
Threads call block_thread() to report their own stacks and block on a pipe.
"""
import json
import linecache
import os
import sys
import threading

_REPORT = {"threads": {}, "exprs": [], "extra": {}}
_LOCK = threading.Lock()


def has_custom_repr(v):
    """Does repr(v) run a __repr__ written in Python (which pytt cannot run)?"""
    for k in type(v).__mro__[:-1]:
        r = vars(k).get("__repr__")
        if r is not None and type(r).__name__ == "function":
            return True
    return False


def expected_repr(v, _active=None):
    """repr(v) as pytt must print it: like repr(), except that an object whose __repr__ is
    Python code is shown as object.__repr__ shows it (also inside plain containers)."""
    if has_custom_repr(v):
        return object.__repr__(v)
    active = _active if _active is not None else set()
    return container_repr(v, lambda x: expected_repr(x, active), active)


def container_repr(v, er, active):
    """repr() of a plain container with er() for its items (a cycle as Python prints it), or
    repr(v) of anything else."""
    t = type(v)
    if t not in (list, tuple, dict, set, frozenset) or not v:
        return repr(v)
    if id(v) in active:
        return {list: "[...]", tuple: "(...)", dict: "{...}", set: "set(...)",
                frozenset: "frozenset(...)"}[t]
    active.add(id(v))
    try:
        if t is dict:
            return "{" + ", ".join("%s: %s" % (er(k), er(x)) for k, x in v.items()) + "}"
        body = ", ".join(er(x) for x in v)
        if t is list:
            return "[" + body + "]"
        if t is tuple:
            return "(" + body + ("," if len(v) == 1 else "") + ")"
        return ("{%s}" if t is set else "frozenset({%s})") % body
    finally:
        active.discard(id(v))


import types as _types

# The builtin types pyintrospect renders itself (pyi_obj.c), nearest base first in any MRO.
_PYI_BASES = (bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset,
              range, _types.FunctionType, _types.MethodType, _types.BuiltinFunctionType,
              _types.ModuleType, _types.CodeType, _types.CellType, type, BaseException,
              _types.MemberDescriptorType, property, object)


def _own_repr(v):
    """pyintrospect's test: the type's repr slot differs from its nearest builtin base's."""
    for base in type(v).__mro__:
        if base in _PYI_BASES:
            return type(v).__repr__ is not base.__repr__
    return False


def dump_repr(v, flags=None, _active=None, _in_dict=False):
    """What `pytt dump` prints for v: repr(v), except that an object whose repr needs code is built
    from its fields (namedtuple, enum member, datetime, instance dict not nested in another) or
    shown as object.__repr__ shows it. flags collects 'built' / 'inexact' for the line's note."""
    import datetime
    flags = flags if flags is not None else set()
    active = _active if _active is not None else set()
    er = lambda x, inner=_in_dict: dump_repr(x, flags, active, inner)
    t = type(v)
    if v is None or v is Ellipsis or v is NotImplemented:
        return repr(v)
    if isinstance(v, type):
        if type(t).__repr__ is not type.__repr__:
            flags.add("inexact")
            return "<class '%s%s'>" % ("" if v.__module__ == "builtins" else v.__module__ + ".",
                                       v.__qualname__)
        return repr(v)
    if _own_repr(v):
        flags.add("inexact")
        if t in (datetime.datetime, datetime.date, datetime.time, datetime.timedelta):
            flags.add("built")
            tz = getattr(v, "tzinfo", None)
            if tz is None:
                return repr(v)
            head = repr(v.replace(tzinfo=None))[:-1]
            return "%s, tzinfo=%s)" % (head, er(tz))
        if isinstance(v, tuple) and hasattr(t, "_fields"):
            flags.add("built")
            return "%s(%s)" % (t.__name__, ", ".join(
                "%s=%s" % (f, er(x)) for f, x in zip(t._fields, v)))
        d = getattr(v, "__dict__", None)
        if isinstance(d, dict) and "_name_" in d and "_value_" in d:
            flags.add("built")
            return "<%s.%s: %s>" % (t.__name__, d["_name_"], er(d["_value_"]))
        if isinstance(d, dict) and not _in_dict:
            flags.add("built")
            return "%s(%s)" % (t.__name__, ", ".join(
                "%s=%s" % (k, er(x, True)) for k, x in d.items()
                if not (len(k) > 4 and k.startswith("__") and k.endswith("__"))))
        return object.__repr__(v)
    return container_repr(v, er, active)


def dump_line(v):
    """The value and note of a `pytt dump` locals line."""
    flags = set()
    text = dump_repr(v, flags)
    note = ("  # built from fields, not repr()" if "built" in flags else
            "  # repr() needs code: not run in a live process" if "inexact" in flags else "")
    return text + note


def frame_info(f):
    code = f.f_code
    return {
        "file": code.co_filename,
        "line": f.f_lineno,
        "name": code.co_name,
        "qualname": getattr(code, "co_qualname", code.co_name),
        "firstlineno": code.co_firstlineno,
        "lasti": f.f_lasti,
        "source": linecache.getline(code.co_filename, f.f_lineno).strip(),
        "locals": [[k, expected_repr(v)] for k, v in f.f_locals.items()],
        "dump_locals": [[k, dump_line(v)] for k, v in f.f_locals.items()],
    }


def stack_of(f):
    out = []
    while f is not None:
        out.append(frame_info(f))
        f = f.f_back
    return out


def evaluate(frame, exprs):
    for e in exprs:
        try:
            v = eval(e, frame.f_globals, frame.f_locals)
            _REPORT["exprs"].append([e, "ok", expected_repr(v)])
        except Exception as ex:  # the message pytt must reproduce
            _REPORT["exprs"].append([e, "err", "%s: %s" % (type(ex).__name__, ex)])


def block_thread(ready, fd):
    """Report this thread's stack (from the caller up), signal ready, block reading fd."""
    with _LOCK:
        _REPORT["threads"][str(threading.get_native_id())] = {
            "name": threading.current_thread().name,
            "ident": threading.get_ident(),
            "depth": len(stack_of(sys._getframe(1))),
            "stack": stack_of(sys._getframe(1)),
        }
    ready.set(); os.read(fd, 1)


def _dump_locals_now():
    """`pytt dump`'s view of every reported thread's locals as they are now, with all threads
    blocked (their values may have changed since they reported: Event flags)."""
    frames = sys._current_frames()
    for t in _REPORT["threads"].values():
        f = frames.get(t.get("ident"))
        while f is not None and len(stack_of(f)) > t["depth"]:
            f = f.f_back
        for entry in t["stack"]:
            if f is None:
                break
            entry["dump_locals"] = [[k, dump_line(v)] for k, v in f.f_locals.items()]
            f = f.f_back


def pause(exprs=(), extra=None):
    caller = sys._getframe(1)
    evaluate(caller, exprs)
    if extra:
        _REPORT["extra"].update(extra)
    with _LOCK:
        _REPORT["threads"][str(threading.get_native_id())] = {
            "name": threading.current_thread().name,
            "stack": stack_of(caller),
        }
    _dump_locals_now()
    _REPORT["pid"] = os.getpid()
    _REPORT["pause_line"] = sys._getframe().f_lineno + 5
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(_REPORT, f)
    os.rename(tmp, sys.argv[1])
    os.read(0, 1)
