# nondeterministic
# Less common syscalls and libraries: getaddrinfo/gethostbyname (NSS, /etc/hosts), setlocale
# (locale archive), eventfd, sigwait/sigtimedwait, pidfd_open + poll, anonymous private mmap,
# importing readline (libreadline, terminfo), set_wakeup_fd, prlimit, posix_spawn.
import mmap
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import time
import locale

sys.stdout.reconfigure(line_buffering=True)
print("getaddrinfo", sorted(set(a[4][0] for a in socket.getaddrinfo("localhost", 80))))
print("gethostbyname", socket.gethostbyname("localhost"), "time", time.time())
print("setlocale", locale.setlocale(locale.LC_ALL, ""))
efd = os.eventfd(0)
os.eventfd_write(efd, 5)
print("eventfd", os.eventfd_read(efd))
os.close(efd)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
os.kill(os.getpid(), signal.SIGUSR1)
print("sigwait", signal.sigwait({signal.SIGUSR1}))
print("sigtimedwait", signal.sigtimedwait({signal.SIGUSR1}, 0.02))
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
p = subprocess.Popen(["/bin/sleep", "0.05"])
pfd = os.pidfd_open(p.pid)
pl = select.poll()
pl.register(pfd, select.POLLIN)
print("pidfd_ready", pl.poll(2000) != [], "status", p.wait(), "pid", p.pid)
os.close(pfd)
m = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
m[:3] = os.urandom(3)
print("anon_private", m[:3].hex())
import readline  # noqa: E402
print("readline", getattr(readline, "__file__", "builtin"))
r, w = os.pipe()
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
signal.signal(signal.SIGUSR2, lambda *a: None)
os.kill(os.getpid(), signal.SIGUSR2)
print("wakeup_fd_byte", os.read(r, 10))
signal.set_wakeup_fd(-1)
print("prlimit", resource.prlimit(0, resource.RLIMIT_NOFILE))
pid = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", "exit 4"], os.environ)
print("posix_spawn", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), pid > 0)
print("END misc_syscalls")
