"""Target of bench/run_watch_bench.py: N iterations of a small loop body (a few bytecode
instructions each) that changes the global obj's attr every STRIDE iterations and runs a traced
line (`TRACED`) every iteration."""
import sys


class Obj:
    def __init__(self):
        self.attr = 0


obj = Obj()


def main(n, stride):
    acc = 0
    for i in range(n):
        acc += i & 7  # TRACED
        if i % stride == 0:
            obj.attr += 1
    print(acc, obj.attr)


main(int(sys.argv[1]), int(sys.argv[2]))
