# Generators, comprehensions, closures, lambdas, decorators, class methods, recursion.
def gen(n):
    for i in range(n):
        yield i * 2
    return "done"


def deco(f):
    def wrapper(*a):
        return f(*a) + 1
    return wrapper


@deco
def twice(x):
    return x * 2


class Counter:
    def __init__(self):
        self.n = 0

    def bump(self, k=1):
        self.n += k
        return self


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


squares = [v * v for v in gen(4)]
evens = {k: k % 2 == 0 for k in range(3)}
f = lambda q: q + 1
c = Counter().bump().bump(f(2))
t = twice(3) + fact(5)
total = sum(x for x in squares if x)
END_OF_PROGRAM = True
