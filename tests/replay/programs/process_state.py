# same-as-native
# The process state a program inherits must be the same under `pytt record` as natively (the
# recorded output is compared with a native run's): open file descriptors and the number the
# next open() gets, signal dispositions and mask (and SIGINT still raising KeyboardInterrupt),
# environment variable names, umask, rlimits, stdio modes. (Not the CPU affinity: pytt pins
# the tracee to one CPU by design, see PYTT_CPU.)
import os
import resource
import signal
import sys

fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
print("open_fds_during_listdir", fds)
for fd in fds:
    if fd > 2:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = "(the listdir fd, gone)"
        print("inherited_fd", fd, target)
fd = os.open("/dev/null", os.O_RDONLY)
print("first_new_fd", fd)
os.close(fd)
print("stdio_blocking", [os.get_blocking(i) for i in range(3)])
print("stdio_cloexec", [not os.get_inheritable(i) for i in range(3)])
disp = {s.name: str(signal.getsignal(s)) for s in signal.Signals
        if s not in (signal.SIGKILL, signal.SIGSTOP)}
print("dispositions", disp)
print("sigmask", sorted(s.name for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
try:
    os.kill(os.getpid(), signal.SIGINT)
    print("SIGINT did not raise KeyboardInterrupt")
except KeyboardInterrupt:
    print("SIGINT raised KeyboardInterrupt")
print("env_names", sorted(os.environ))
old = os.umask(0o022)
os.umask(old)
print("umask", oct(old))
for name in ("RLIMIT_NOFILE", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_AS", "RLIMIT_NPROC",
             "RLIMIT_MEMLOCK"):
    print(name, resource.getrlimit(getattr(resource, name)))
print("priority", os.getpriority(os.PRIO_PROCESS, 0))
print("argv", sys.argv[1:], "flags", sys.flags.optimize, sys.flags.dont_write_bytecode)
print("END process_state")
