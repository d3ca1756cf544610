# pytt dap tests: exception breakpoints (raised, uncaught).
def risky(n):
    if n == 2:
        raise ValueError("bad n")
    return n


def main():
    done = []
    for n in range(4):
        try:
            done.append(risky(n))
        except ValueError:
            print("caught", n)
    print("done", done)
    raise KeyError("the end")


main()
