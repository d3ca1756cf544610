# nondeterministic
# os.fork() without exec: the child computes and answers through a pipe and its exit status
# (it writes nothing to stdout itself); the parent gets SIGCHLD with a handler installed.
import os
import signal
import time

chld = []
signal.signal(signal.SIGCHLD, lambda s, f: chld.append(s))
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, f"child pid {os.getpid()} ppid {os.getppid()} t {time.time()}".encode())
    os._exit(9)
os.close(w)
data = b""
while True:
    chunk = os.read(r, 1024)
    if not chunk:
        break
    data += chunk
os.close(r)
wpid, st = os.waitpid(pid, 0)
print("from child", data)
print("child pid matches", wpid == pid, "exit", os.waitstatus_to_exitcode(st))
time.sleep(0.01)
print("sigchld seen", len(chld) > 0)
print("parent pid", os.getpid())
print("END fork_child")
