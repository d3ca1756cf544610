# nondeterministic
# expect: grandchild says hello
# expect: daemon detached
# A double fork (the daemon idiom): the child starts a session and forks again; the grandchild
# writes to the inherited stdout and exits; the parent reaps the child only.
import os
import time

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.close(r)
        print("grandchild says hello", os.getpid() > 0, flush=True)
        os.write(w, b"x")
        os._exit(0)
    os._exit(0)
os.close(w)
os.waitpid(pid, 0)
os.read(r, 1)  # the grandchild has written its line
print("daemon detached", time.time())
print("END tree_double_fork")
