# pytt dap tests: a threaded program.
import threading


def worker(n, out):
    acc = 0
    for i in range(n):
        acc += i
    out.append(acc)


out = []
threads = [threading.Thread(target=worker, args=(1000 * (k + 1), out), name=f"w{k}") for k in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("sums", sorted(out))
