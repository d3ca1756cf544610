# nondeterministic
# expect: venv python ok
# `python -m venv` with pip: ensurepip runs further Pythons (children of a child that exec'd a
# fresh interpreter, with no pytt page); then the new venv's own python runs.
import os
import subprocess
import sys
import tempfile
import time

with tempfile.TemporaryDirectory() as d:
    env = os.path.join(d, "env")
    subprocess.run([sys.executable, "-m", "venv", env], check=True)
    names = sorted(os.listdir(os.path.join(env, "bin")))
    print("bin has pip", "pip" in names, "python" in names)
    r = subprocess.run([os.path.join(env, "bin", "python"), "-c",
                        "import sys; print('venv python ok', sys.prefix != sys.base_prefix)"],
                       check=True)
print("time", time.time())
print("END tree_venv")
