# nondeterministic
# status: 139
# expect: Fatal Python error: Segmentation fault
# expect: before crash
# A crash: SIGSEGV from a NULL read in C code, faulthandler's traceback on stderr, exit 139.
import ctypes
import faulthandler
import resource
import time

resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file in the work directory
faulthandler.enable()
print("before crash", time.time(), flush=True)
ctypes.string_at(0)
