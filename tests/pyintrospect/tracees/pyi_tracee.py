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
    t = type(v)
    if t not in (list, tuple, dict, set, frozenset) or not v:
        return repr(v)
    active = _active if _active is not None else set()
    if id(v) in active:
        return {list: "[...]", tuple: "(...)", dict: "{...}", set: "set(...)",
                frozenset: "frozenset(...)"}[t]
    active.add(id(v))
    try:
        if t is dict:
            body = ", ".join("%s: %s" % (expected_repr(k, active), expected_repr(x, active))
                             for k, x in v.items())
            return "{" + body + "}"
        body = ", ".join(expected_repr(x, active) for x in v)
        if t is list:
            return "[" + body + "]"
        if t is tuple:
            return "(" + body + ("," if len(v) == 1 else "") + ")"
        return ("{%s}" if t is set else "frozenset({%s})") % body
    finally:
        active.discard(id(v))


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
            "stack": stack_of(sys._getframe(1)),
        }
    ready.set(); os.read(fd, 1)


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
    _REPORT["pid"] = os.getpid()
    _REPORT["pause_line"] = sys._getframe().f_lineno + 5
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(_REPORT, f)
    os.rename(tmp, sys.argv[1])
    os.read(0, 1)
