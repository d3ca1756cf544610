# nondeterministic
# A socketserver.ThreadingTCPServer (a thread per connection) answering client threads.
import socket
import socketserver
import threading
import time


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(1024)
        self.request.sendall(data.upper() + b" " + str(threading.active_count() > 1).encode())


server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
port = server.server_address[1]
st = threading.Thread(target=server.serve_forever, daemon=True)
st.start()
answers = []


def client(i):
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(f"hello {i}".encode())
        answers.append(c.recv(1024))


cs = [threading.Thread(target=client, args=(i,)) for i in range(6)]
for c in cs:
    c.start()
for c in cs:
    c.join()
server.shutdown()
server.server_close()
print(sorted(answers), time.time())
print("END threads_sockets")
