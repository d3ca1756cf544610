# nondeterministic
# ctypes: libc calls made directly (time, getpid, clock_gettime, syscall), libffi closures,
# and raw addresses of C buffers.
import ctypes
import ctypes.util

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
print("libc_time", libc.time(None))
print("libc_getpid", libc.getpid())


class timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


ts = timespec()
libc.clock_gettime(1, ctypes.byref(ts))
print("clock_gettime_monotonic", ts.tv_sec, ts.tv_nsec)
SYS_getrandom = 318
buf = ctypes.create_string_buffer(16)
print("raw_getrandom", libc.syscall(SYS_getrandom, buf, 16, 0), buf.raw.hex())
print("raw_gettid_eq_pid", libc.syscall(186) == libc.getpid())
print("buffer_addr", hex(ctypes.addressof(buf)))
CMPFUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
arr = (ctypes.c_int * 8)(5, 3, 8, 1, 9, 2, 7, 4)
libc.qsort(arr, len(arr), ctypes.sizeof(ctypes.c_int), CMPFUNC(lambda a, b: a[0] - b[0]))
print("qsort_via_closure", list(arr))
p = libc.malloc(64)
print("malloc_nonnull", p != 0, hex(p))
libc.free(ctypes.c_void_p(p))
print("END ctypes_libc")
