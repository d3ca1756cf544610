# A parent that runs two Python children: one writes to the inherited stdout, the other's
# output is captured through a pipe and printed by the parent.
import os
import subprocess
import sys

child = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sub_child.py")
print(f"P {os.getpid()} start", flush=True)
r = subprocess.run([sys.executable, child, "inherit", "3"])
print(f"P first child status {r.returncode}", flush=True)
r = subprocess.run([sys.executable, child, "captured", "2"], stdout=subprocess.PIPE)
print(f"P got {r.stdout!r} status {r.returncode}", flush=True)
print("END sub_parent", flush=True)
