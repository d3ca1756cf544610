# nondeterministic
# socket.socketpair: stream and datagram pairs, send/recv, shutdown, peek.
import os
import socket

a, b = socket.socketpair()
msg = os.urandom(12)
a.sendall(msg)
print("peek", b.recv(4, socket.MSG_PEEK).hex())
got = b.recv(100)
print("stream_roundtrip", got == msg, got.hex())
b.sendall(b"reply " + msg.hex().encode())
print("reply", a.recv(100))
a.shutdown(socket.SHUT_WR)
print("eof_after_shutdown", b.recv(10))
print("fds", a.fileno() > 2, b.fileno() > 2)
a.close(); b.close()

d1, d2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(3):
    d1.send(f"dgram {i} {os.getpid()}".encode())
for i in range(3):
    print("dgram", d2.recv(64))
d2.setblocking(False)
try:
    d2.recv(64)
except BlockingIOError as e:
    print("eagain", e.errno)
d1.close(); d2.close()
print("END socketpair")
