# Imports an extension module from the directory given as argv[1] (put first on sys.path), so
# that the copied .so is mmap'd by the dynamic loader.
import os
import sys
import time

sys.path.insert(0, sys.argv[1])
modname = sys.argv[2]
mod = __import__(modname)
print("imported", modname, "from", mod.__file__)
print("time", time.time(), "pid", os.getpid())
print("END ext_import")
