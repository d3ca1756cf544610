# nondeterministic
# Addresses of objects (ASLR: heap, mmap'd arenas, stack-allocated frames) via id() and repr.
import sys


class Thing:
    pass


objs = [object(), Thing(), [], {}, "a" * 1000, bytearray(10 ** 6), 10 ** 30]
for o in objs:
    print(type(o).__name__, hex(id(o)))
print("repr", repr(Thing()).split(" at ")[1])
print("func", repr(lambda: 0).split(" at ")[1])
print("big_alloc", hex(id(bytearray(1 << 24))))
many = [str(i) * 3 for i in range(20000)]
print("many_ids", [hex(id(x)) for x in many[::5000]])
print("sorted_by_id", [x for x in sorted(many[:8], key=id)])
print("allocated_blocks_positive", sys.getallocatedblocks() > 0)
print("END object_ids")
