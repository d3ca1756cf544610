# nondeterministic
# expect: status 200
# A threaded HTTP server started as a child Python (http.server runs a thread per request) and
# fetched from: the child's threads and the interpreter it exec'd are descendants pytt traces
# but does not record.
import os
import socket
import subprocess
import sys
import time
import urllib.request

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
root = os.path.dirname(os.path.abspath(__file__))
server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                           "--directory", root, str(port)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for attempt in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/tree_server_child.py",
                                        timeout=5) as r:
                body = r.read()
                print("status", r.status, len(body), attempt > 0, time.time())
                break
        except OSError:
            time.sleep(0.05)
    else:
        print("server never answered")
finally:
    server.terminate()
    server.wait()
print("END tree_server_child")
