# nondeterministic
# Child processes writing straight to the inherited stdout/stderr (subprocess.run without
# capture, os.system, a forked Python child): their output is part of the run's output.
import os
import subprocess
import sys
import time

print("parent first", time.time(), flush=True)
subprocess.run(["/bin/echo", "child echo says hi"])
subprocess.run(["/bin/sh", "-c", "echo child stderr $$ >&2"])
os.system("echo via os.system $$")
pid = os.fork()
if pid == 0:
    print("forked python child", os.getpid(), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
sys.stdout.flush()
print("END subprocess_inherit_stdout")
