# nondeterministic
# getrusage, os.times, uname, hostname, cpu counts and affinity, loadavg, rlimits, umask.
import os
import resource
import socket
import sys

ru = resource.getrusage(resource.RUSAGE_SELF)
print("rusage", ru.ru_utime, ru.ru_stime, ru.ru_maxrss, ru.ru_minflt)
print("times", os.times()[:4])
print("uname", os.uname().sysname, os.uname().machine, os.uname().release)
print("hostname", socket.gethostname())
print("cpu_count", os.cpu_count(), "affinity", sorted(os.sched_getaffinity(0)))
print("loadavg", os.getloadavg())
print("rlimit_nofile", resource.getrlimit(resource.RLIMIT_NOFILE))
print("rlimit_stack", resource.getrlimit(resource.RLIMIT_STACK))
old = os.umask(0o027)
print("umask", oct(old), oct(os.umask(old)))
print("getpriority", os.getpriority(os.PRIO_PROCESS, 0))
print("sysconf_pagesize", os.sysconf("SC_PAGESIZE"), "clk_tck", os.sysconf("SC_CLK_TCK"))
print("sid_pgrp_positive", os.getsid(0) > 0, os.getpgrp() > 0)
print("pid", os.getpid())
print("byteorder", sys.byteorder)
print("END resource_info")
