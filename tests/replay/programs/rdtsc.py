# nondeterministic
# The CPU's time-stamp counter read directly (rdtsc, rdtscp) through machine code the program
# maps itself: pytt traps both instructions, records the values, and replay returns them.
import ctypes
import mmap

RDTSC = bytes.fromhex("0f31" "48c1e220" "4809d0" "c3")          # rdtsc; shl rdx,32; or rax,rdx; ret
RDTSCP = bytes.fromhex("0f01f9" "48c1e220" "4809d0" "c3")       # rdtscp; ...


def function(code):
    buf = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    buf.write(code)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    return buf, ctypes.CFUNCTYPE(ctypes.c_uint64)(addr)


keep1, rdtsc = function(RDTSC)
keep2, rdtscp = function(RDTSCP)
values = [rdtsc() for _ in range(3)] + [rdtscp() for _ in range(3)]
print("tsc values", values)
print("increasing", all(b >= a for a, b in zip(values, values[1:])))
print("END rdtsc")
