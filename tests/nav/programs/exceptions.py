# try/except/finally, raise across frames, with statements, exceptions caught in callers.
class Resource:
    def __enter__(self):
        self.open = True
        return self

    def __exit__(self, *exc):
        self.open = False
        return False


def fail(n):
    if n > 1:
        return fail(n - 1)
    raise ValueError(n)


def guarded():
    try:
        fail(3)
    except ValueError as e:
        caught = e.args[0]
    finally:
        done = True
    return caught


with Resource() as r:
    value = guarded()
try:
    {}["missing"]
except KeyError:
    value += 1
END_OF_PROGRAM = True
