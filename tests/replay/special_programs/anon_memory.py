"""Anonymous memory the interpreter maps and unmaps: a recursion going back and forth over the
end of CPython's 16 KiB data-stack chunks (each crossing maps a chunk, each return unmaps it),
in the main thread and in a second one at the same time, and mmap.mmap's private anonymous
maps, and two munmap calls the kernel refuses; then a shared anonymous map (pytt must see memory shared by a fork unmapped: from then
on munmap stops) and the same again. Every value printed, so a replay that differs shows."""
import mmap
import threading


def down(n):
    return 0 if n == 0 else 1 + down(n - 1)


def thrash(rounds, depth, out):
    total = 0
    for i in range(rounds):
        total += down(depth + i % 7)
    out.append(total)


def private_maps(n):
    sums = []
    for i in range(n):
        m = mmap.mmap(-1, 65536 * (1 + i % 3), flags=mmap.MAP_PRIVATE)
        m[:5] = b"hello"
        m[-3:] = bytes([i % 256, 1, 2])
        sums.append(sum(m[:5]) + m[-3])
        m.close()
    return sums


def phase(name):
    res = []
    t = threading.Thread(target=thrash, args=(150, 300, res))
    t.start()
    thrash(150, 300, res)
    t.join()
    print(name, sorted(res), private_maps(12))


def bad_unmaps():
    """munmap calls the kernel refuses (an unaligned address, a zero length): replay makes
    them again and gets the same EINVAL."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    m = mmap.mmap(-1, 8192, flags=mmap.MAP_PRIVATE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))
    out = [(libc.munmap(base + 1, 4096), ctypes.get_errno()), (libc.munmap(base, 0), ctypes.get_errno())]
    del base
    m.close()
    return out


print("refused", bad_unmaps())
phase("private")
shared = mmap.mmap(-1, 4096)  # MAP_SHARED | MAP_ANONYMOUS
shared[:4] = b"abcd"
phase("with-shared")
print("shared", shared[:4])
shared.close()
phase("after-shared")
