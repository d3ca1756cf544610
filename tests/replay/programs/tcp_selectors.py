# nondeterministic
# A TCP server and client on 127.0.0.1 in ONE thread with selectors (non-blocking, port 0).
import os
import selectors
import socket

sel = selectors.DefaultSelector()
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
srv.setblocking(False)
port = srv.getsockname()[1]
print("port", port)
sel.register(srv, selectors.EVENT_READ, "accept")

NCLIENTS = 3
clients = []
for i in range(NCLIENTS):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    err = c.connect_ex(("127.0.0.1", port))
    clients.append(c)
    msg = f"hello {i} {os.urandom(6).hex()}\n".encode()
    sel.register(c, selectors.EVENT_WRITE, ("client", i, msg, bytearray()))
    print("client", i, "connect_ex_in_progress", err in (0, 115))

served = 0
done = 0
iterations = 0
while done < NCLIENTS and iterations < 1000:
    iterations += 1
    for key, mask in sel.select(timeout=2):
        data = key.data
        if data == "accept":
            conn, addr = srv.accept()
            conn.setblocking(False)
            print("accepted_from_port", addr[1])
            sel.register(conn, selectors.EVENT_READ, ("server", bytearray()))
        elif data[0] == "server":
            chunk = key.fileobj.recv(4096)
            if chunk:
                data[1].extend(chunk)
                if data[1].endswith(b"\n"):
                    key.fileobj.sendall(b"echo:" + bytes(data[1]))
                    served += 1
            else:
                sel.unregister(key.fileobj)
                key.fileobj.close()
        elif data[0] == "client":
            _, i, msg, buf = data
            if mask & selectors.EVENT_WRITE:
                key.fileobj.send(msg)
                sel.modify(key.fileobj, selectors.EVENT_READ, data)
            else:
                chunk = key.fileobj.recv(4096)
                buf.extend(chunk)
                if buf.endswith(b"\n"):
                    print("client", i, "got", bytes(buf))
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    done += 1
print("served", served, "done", done, "iterations", iterations)
sel.close()
srv.close()
print("END tcp_selectors")
