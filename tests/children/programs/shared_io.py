# Two spawned children do I/O straight from and into shared memory (a multiprocessing.Array)
# through iovecs: os.writev from it, os.readv into it, socket.sendmsg from it. The kernel reads
# and writes those shared pages through pointers held in memory, not named by the syscall's
# arguments. Each child prints what the calls returned and the bytes that went through; the
# parent prints the array's final sum.
import multiprocessing as mp
import os
import socket


def child(arr, start, k, path):
    start.wait()  # both children are up: their loops overlap
    buf = memoryview(arr.get_obj()).cast("B")
    me = os.getpid()
    for r in range(40):
        for i in range(16):
            buf[k * 64 + i] = (r + i + k) % 251
        r_fd, w_fd = os.pipe()
        n = os.writev(w_fd, [b"<", buf[k * 64:k * 64 + 16], b">"])
        os.close(w_fd)
        got = os.read(r_fd, 100)
        os.close(r_fd)
        with open(path, "rb") as f:
            f.seek(r % 8)
            m = os.readv(f.fileno(), [buf[k * 64 + 16:k * 64 + 24], bytearray(4)])
        a, b = socket.socketpair()
        s = a.sendmsg([buf[k * 64:k * 64 + 8]])
        back = b.recv(100)
        a.close()
        b.close()
        print(f"C {me} r{r} writev={n} {got.hex()} readv={m} "
              f"{bytes(buf[k * 64 + 16:k * 64 + 24]).hex()} sendmsg={s} {back.hex()}", flush=True)


if __name__ == "__main__":
    mp.set_start_method("spawn")
    path = os.path.abspath("shared_io.bin")
    with open(path, "wb") as f:
        f.write(bytes(range(32)))
    arr, start = mp.Array("B", 256), mp.Barrier(2)
    ps = [mp.Process(target=child, args=(arr, start, k, path)) for k in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print("P exit", [p.exitcode for p in ps], sum(arr[:]), flush=True)
    print("END shared_io", flush=True)
