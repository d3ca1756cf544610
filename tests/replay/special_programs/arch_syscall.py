"""Makes one raw syscall whose ABI is chosen by a 'plan' read from a file (argv[1]):

    a 5-byte plan ending in x: mprotect(page, 4096, PROT_READ | PROT_WRITE) through the 64-bit `syscall`
    ... ending in i: the same registers, but `int 0x80`: the 32-bit ABI, where eax=10 is unlink(ebx)
    ... ending in g: getpid through `int 0x80` (i386 number 20)

rdi/rsi/rdx and eax are the same for x and i: a trace of the x run, with its read() data edited
from x to i, makes a replayed program issue i386 unlink(argv[2]) with exactly the registers the
recorded mprotect had. pytt must refuse such a call at record and never run it at replay.
"""
import ctypes
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
PROT_RWX, MAP_PRIVATE_ANON_32BIT = 7, 0x02 | 0x20 | 0x40  # MAP_32BIT: i386 pointers fit

low = libc.mmap(None, 8192, PROT_RWX, MAP_PRIVATE_ANON_32BIT, -1, 0)
assert low and low < 1 << 32, hex(low or 0)
victim = os.fsencode(os.path.abspath(sys.argv[2])) + b"\0"
ctypes.memmove(low + 4096, victim, len(victim))

fd = os.open(sys.argv[1], os.O_RDONLY)
plan = os.read(fd, 5)
os.close(fd)
kind = plan[4:5]
nr = 20 if kind == b"g" else 10
insn = b"\xcd\x80" if kind in (b"i", b"g") else b"\x0f\x05"
code = (b"\x53"                                             # push rbx
        + b"\x48\xbf" + (low + 4096).to_bytes(8, "little")  # mov rdi, page
        + b"\xbe\x00\x10\x00\x00"                           # mov esi, 4096
        + b"\xba\x03\x00\x00\x00"                           # mov edx, 3
        + b"\xbb" + (low + 4096).to_bytes(4, "little")      # mov ebx, path
        + b"\xb8" + nr.to_bytes(4, "little")                # mov eax, nr
        + insn
        + b"\x5b\xc3")                                      # pop rbx; ret
ctypes.memmove(low, code, len(code))
fn = ctypes.CFUNCTYPE(ctypes.c_long)(low)
print("result", fn(), flush=True)
