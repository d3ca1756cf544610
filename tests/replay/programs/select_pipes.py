# nondeterministic
# select.poll and select.select (and epoll) on pipes.
import os
import select
import time

r1, w1 = os.pipe()
r2, w2 = os.pipe()
print("select_empty", select.select([r1, r2], [], [], 0.01))
os.write(w2, os.urandom(4).hex().encode())
rl, wl, xl = select.select([r1, r2], [w1], [], 1.0)
print("select_ready", rl == [r2], wl == [w1])
print("read_r2", os.read(r2, 100))
p = select.poll()
p.register(r1, select.POLLIN)
p.register(r2, select.POLLIN)
t0 = time.monotonic()
print("poll_timeout", p.poll(30), "waited_ge_30ms", time.monotonic() - t0 >= 0.03)
os.write(w1, b"poll me")
print("poll_ready", p.poll(1000) == [(r1, select.POLLIN)])
print("read_r1", os.read(r1, 100))
os.close(w1)
print("poll_hup", p.poll(0))
ep = select.epoll()
ep.register(r2, select.EPOLLIN)
os.write(w2, b"epoll " + str(time.time()).encode())
print("epoll", [(fd == r2, ev) for fd, ev in ep.poll(1)])
print("read_again", os.read(r2, 100))
ep.close()
for fd in (r1, r2, w2):
    os.close(fd)
print("END select_pipes")
