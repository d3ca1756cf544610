# nondeterministic
# status: 139
# expect: Fatal Python error: Segmentation fault
# expect: before crash
# A general-protection fault (a non-canonical address: SIGSEGV with si_code SI_KERNEL) while a
# SIGSEGV handler is installed (faulthandler, as pytest enables it). The handler runs, then the
# process dies of SIGSEGV: exit 139 as natively. pytt took this SIGSEGV for an asynchronous
# signal, held it back, and the faulting load re-ran forever.
import ctypes
import faulthandler
import resource
import time

resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file in the work directory
faulthandler.enable()
print("before crash", time.time(), flush=True)
ctypes.string_at(0xdead000000000000, 8)
