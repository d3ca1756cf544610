# nondeterministic
# /proc/self/status, /proc/self/maps, /proc/self/stat, /proc/self/fd.
import os

with open("/proc/self/status") as f:
    status = f.read().splitlines()
for line in status:
    if line.split(":")[0] in ("Name", "State", "Pid", "PPid", "TracerPid", "Threads", "VmRSS", "VmSize"):
        print("status", line)
with open("/proc/self/maps") as f:
    maps = f.read().splitlines()
print("maps_count_positive", len(maps) > 5)
for line in maps[:6]:
    print("maps", line)
print("maps_heap", [l.split()[0] for l in maps if l.endswith("[heap]")])
print("maps_stack", [l.split()[0] for l in maps if l.endswith("[stack]")])
with open("/proc/self/stat") as f:
    print("stat_fields_0_3", f.read().split()[:4])
print("fds", sorted(os.listdir("/proc/self/fd")))
print("readlink_exe", os.readlink("/proc/self/exe"))
with open("/proc/self/cmdline", "rb") as f:
    print("cmdline", f.read().split(b"\0")[:2])
with open("/proc/uptime") as f:
    print("uptime", f.read().strip())
print("END proc_self")
