# nondeterministic
# Passing a file descriptor over a unix socket (SCM_RIGHTS) and reading through it.
import os
import socket

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
r, w = os.pipe()
token = os.urandom(8).hex().encode()
os.write(w, token)
os.close(w)
socket.send_fds(a, [b"fd follows"], [r])
msg, fds, flags, addr = socket.recv_fds(b, 1024, 4)
print("msg", msg, "nfds", len(fds))
print("read_through_passed_fd", os.read(fds[0], 100), "expected", token)
print("fd_numbers_differ", fds[0] != r)
os.close(r)
for fd in fds:
    os.close(fd)
a.close(); b.close()
print("END scm_rights")
