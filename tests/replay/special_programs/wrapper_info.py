# Prints how the interpreter was reached (venv / pyenv shim) plus nondeterministic values.
import os
import sys
import time

print("executable", sys.executable)
print("prefix", sys.prefix, "base_prefix", sys.base_prefix)
print("in_venv", sys.prefix != sys.base_prefix)
print("version", sys.version.split()[0])
print("pyenv_version_env", os.environ.get("PYENV_VERSION"))
print("pid", os.getpid(), "time", time.time(), "rand", os.urandom(6).hex())
print("set_order", list({"one", "two", "three", "four", "five"}))
print("END wrapper_info")
