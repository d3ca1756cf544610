# pytt dap tests: a long run, to pause and to disconnect in the middle of.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000000
acc = 0
for i in range(n):
    acc += i % 7
print("acc", acc)
