/*
 * pt_syscalls: the x86-64 syscall table (see pt_syscalls.h for what a row means) and the
 * generic part of output capture. Sizes are the kernel's x86-64 ABI sizes of the structs the
 * call writes (struct stat 144, struct rusage 144, struct utsname 390, siginfo_t 128, ...).
 * Rows marked U are unsupported: recording stops there with the syscall's name.
 */
#define _GNU_SOURCE
#include "pt_syscalls.h"
#include "pt_sysbuf.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/futex.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "pt_sc_i386_names.h"

#define X32_SYSCALL_BIT 0x40000000ull

#define EMU PT_SC_EMULATE
#define EXE PT_SC_EXECUTE
#define SPC PT_SC_SPECIAL
#define ALW PT_SCF_OUT_ALWAYS
#define FDW PT_SCF_FD_WRITE
#define BLK PT_SCF_BLOCKS
#define LOC PT_SCF_LOCAL
#define FDR PT_SCF_FD_READ
#define IND PT_SCF_INDIRECT

#define FIX(a, sz)                                                                                 \
    {                                                                                              \
        a, PT_OUT_FIXED, -1, sz                                                                    \
    }
#define RET(a)                                                                                     \
    {                                                                                              \
        a, PT_OUT_RET, -1, 0                                                                       \
    }
#define ARGSZ(a, sa, el)                                                                           \
    {                                                                                              \
        a, PT_OUT_ARGSZ, sa, el                                                                    \
    }
#define RETSZ(a, el)                                                                               \
    {                                                                                              \
        a, PT_OUT_RETSZ, -1, el                                                                    \
    }
#define SOCK(a, sa, cap)                                                                           \
    {                                                                                              \
        a, PT_OUT_SOCKLEN, sa, cap                                                                 \
    }

/* A regular row, an irregular row (decoder function), an unsupported row. */
#define R(nr, nm, na, md, fl, ...) [nr] = {nm, na, md, fl, {__VA_ARGS__}, NULL, NULL}
#define I(nr, nm, na, md, fl, fn) [nr] = {nm, na, md, fl, {{0}}, fn, NULL}
#define U(nr, nm, na, why) [nr] = {nm, na, PT_SC_UNSUPPORTED, 0, {{0}}, NULL, why}

#define NOSYSV "System V IPC is not supported yet"
#define NOAIO "asynchronous I/O (io_*, io_uring) is not supported yet"
#define PRIV "a privileged system-administration call; pytt does not record it"

enum {
    S_STAT = 144,
    S_STATFS = 120,
    S_RUSAGE = 144,
    S_UTS = 390,
    S_SYSINFO = 112,
    S_TMS = 32,
    S_TS = 16,
    S_ITIMER = 32,
    S_RLIM = 16,
    S_SIGINFO = 128,
    S_STATX = 256,
    S_EPEV = 12,
    S_POLLFD = 8,
    S_SOCKADDR = 128,
    S_MMSG = 64,
};

static const struct pt_syscall table[PT_NSYSCALLS] = {
    R(0, "read", 3, EMU, FDR | BLK, RET(1)),
    R(1, "write", 3, EMU, FDW | BLK),
    R(2, "open", 3, EMU, BLK),
    R(3, "close", 1, EMU, LOC),
    R(4, "stat", 2, EMU, LOC, FIX(1, S_STAT)),
    R(5, "fstat", 2, EMU, FDR, FIX(1, S_STAT)),
    R(6, "lstat", 2, EMU, LOC, FIX(1, S_STAT)),
    R(7, "poll", 3, EMU, BLK, ARGSZ(0, 1, S_POLLFD)),
    R(8, "lseek", 3, EMU, FDR),
    R(9, "mmap", 6, SPC, LOC),
    R(10, "mprotect", 3, EXE, LOC),
    R(11, "munmap", 2, EXE, LOC),
    R(12, "brk", 1, EXE, LOC),
    R(13, "rt_sigaction", 4, EXE, LOC),
    R(14, "rt_sigprocmask", 4, EXE, LOC),
    R(15, "rt_sigreturn", 0, EXE, LOC),
    I(16, "ioctl", 3, EMU, IND, pt_sc_out_ioctl),
    R(17, "pread64", 4, EMU, FDR | BLK, RET(1)),
    R(18, "pwrite64", 4, EMU, BLK),
    I(19, "readv", 3, EMU, FDR | BLK | IND, pt_sc_out_iovec_ret),
    R(20, "writev", 3, EMU, FDW | BLK | IND),
    R(21, "access", 2, EMU, LOC),
    R(22, "pipe", 1, EMU, 0, FIX(0, 8)),
    I(23, "select", 5, EMU, ALW | BLK, pt_sc_out_select),
    R(24, "sched_yield", 0, EMU, LOC | BLK),
    R(25, "mremap", 5, SPC, LOC),
    R(26, "msync", 3, EMU, 0),
    U(27, "mincore", 3, NULL),
    R(28, "madvise", 3, EXE, LOC),
    U(29, "shmget", 3, NOSYSV),
    U(30, "shmat", 3, NOSYSV),
    U(31, "shmctl", 3, NOSYSV),
    R(32, "dup", 1, EMU, 0),
    R(33, "dup2", 2, EMU, 0),
    R(34, "pause", 0, EMU, BLK),
    R(35, "nanosleep", 2, EMU, ALW | LOC | BLK, FIX(1, S_TS)),
    R(36, "getitimer", 2, EMU, LOC, FIX(1, S_ITIMER)),
    R(37, "alarm", 1, EMU, 0),
    R(38, "setitimer", 3, EMU, 0, FIX(2, S_ITIMER)),
    R(39, "getpid", 0, EMU, LOC),
    R(40, "sendfile", 4, EMU, BLK, FIX(2, 8)),
    R(41, "socket", 3, EMU, 0),
    R(42, "connect", 3, EMU, BLK),
    R(43, "accept", 3, EMU, BLK, SOCK(1, 2, S_SOCKADDR)),
    R(44, "sendto", 6, EMU, BLK),
    R(45, "recvfrom", 6, EMU, BLK, RET(1), SOCK(4, 5, S_SOCKADDR)),
    R(46, "sendmsg", 3, EMU, BLK | IND),
    I(47, "recvmsg", 3, EMU, BLK | IND, pt_sc_out_recvmsg),
    R(48, "shutdown", 2, EMU, 0),
    R(49, "bind", 3, EMU, 0),
    R(50, "listen", 2, EMU, 0),
    R(51, "getsockname", 3, EMU, 0, SOCK(1, 2, S_SOCKADDR)),
    R(52, "getpeername", 3, EMU, 0, SOCK(1, 2, S_SOCKADDR)),
    R(53, "socketpair", 4, EMU, 0, FIX(3, 8)),
    R(54, "setsockopt", 5, EMU, 0),
    R(55, "getsockopt", 5, EMU, 0, SOCK(3, 4, 4096)),
    R(56, "clone", 5, SPC, PT_SCF_CREATES),
    R(57, "fork", 0, SPC, PT_SCF_CREATES),
    R(58, "vfork", 0, SPC, PT_SCF_CREATES),
    U(59, "execve", 3,
      "the recorded program replaced itself with another program (execve); "
      "pytt records a single program image"),
    R(60, "exit", 1, EXE, LOC),
    R(61, "wait4", 4, EMU, BLK, FIX(1, 4), FIX(3, S_RUSAGE)),
    R(62, "kill", 2, EMU, 0),
    R(63, "uname", 1, EMU, LOC, FIX(0, S_UTS)),
    U(64, "semget", 3, NOSYSV),
    U(65, "semop", 3, NOSYSV),
    U(66, "semctl", 4, NOSYSV),
    U(67, "shmdt", 1, NOSYSV),
    U(68, "msgget", 2, NOSYSV),
    U(69, "msgsnd", 4, NOSYSV),
    U(70, "msgrcv", 5, NOSYSV),
    U(71, "msgctl", 3, NOSYSV),
    I(72, "fcntl", 3, EMU, BLK, pt_sc_out_fcntl),
    R(73, "flock", 2, EMU, BLK),
    R(74, "fsync", 1, EMU, 0),
    R(75, "fdatasync", 1, EMU, 0),
    R(76, "truncate", 2, EMU, 0),
    R(77, "ftruncate", 2, EMU, 0),
    R(78, "getdents", 3, EMU, FDR, RET(1)),
    R(79, "getcwd", 2, EMU, LOC, RET(0)),
    R(80, "chdir", 1, EMU, 0),
    R(81, "fchdir", 1, EMU, 0),
    R(82, "rename", 2, EMU, 0),
    R(83, "mkdir", 2, EMU, 0),
    R(84, "rmdir", 1, EMU, 0),
    R(85, "creat", 2, EMU, 0),
    R(86, "link", 2, EMU, 0),
    R(87, "unlink", 1, EMU, 0),
    R(88, "symlink", 2, EMU, 0),
    R(89, "readlink", 3, EMU, LOC, RET(1)),
    R(90, "chmod", 2, EMU, 0),
    R(91, "fchmod", 2, EMU, 0),
    R(92, "chown", 3, EMU, 0),
    R(93, "fchown", 3, EMU, 0),
    R(94, "lchown", 3, EMU, 0),
    R(95, "umask", 1, EMU, 0),
    R(96, "gettimeofday", 2, EMU, LOC, FIX(0, 16), FIX(1, 8)),
    R(97, "getrlimit", 2, EMU, LOC, FIX(1, S_RLIM)),
    R(98, "getrusage", 2, EMU, LOC, FIX(1, S_RUSAGE)),
    R(99, "sysinfo", 1, EMU, LOC, FIX(0, S_SYSINFO)),
    R(100, "times", 1, EMU, LOC, FIX(0, S_TMS)),
    U(101, "ptrace", 4, "the recorded program uses ptrace itself"),
    R(102, "getuid", 0, EMU, LOC),
    U(103, "syslog", 3, PRIV),
    R(104, "getgid", 0, EMU, LOC),
    R(105, "setuid", 1, EMU, 0),
    R(106, "setgid", 1, EMU, 0),
    R(107, "geteuid", 0, EMU, LOC),
    R(108, "getegid", 0, EMU, LOC),
    R(109, "setpgid", 2, EMU, 0),
    R(110, "getppid", 0, EMU, LOC),
    R(111, "getpgrp", 0, EMU, LOC),
    R(112, "setsid", 0, EMU, 0),
    R(113, "setreuid", 2, EMU, 0),
    R(114, "setregid", 2, EMU, 0),
    R(115, "getgroups", 2, EMU, LOC, RETSZ(1, 4)),
    R(116, "setgroups", 2, EMU, 0),
    R(117, "setresuid", 3, EMU, 0),
    R(118, "getresuid", 3, EMU, LOC, FIX(0, 4), FIX(1, 4), FIX(2, 4)),
    R(119, "setresgid", 3, EMU, 0),
    R(120, "getresgid", 3, EMU, LOC, FIX(0, 4), FIX(1, 4), FIX(2, 4)),
    R(121, "getpgid", 1, EMU, LOC),
    R(122, "setfsuid", 1, EMU, 0),
    R(123, "setfsgid", 1, EMU, 0),
    R(124, "getsid", 1, EMU, LOC),
    R(125, "capget", 2, EMU, LOC, FIX(0, 8), FIX(1, 24)),
    R(126, "capset", 2, EMU, 0),
    R(127, "rt_sigpending", 2, EMU, LOC, ARGSZ(0, 1, 1)),
    R(128, "rt_sigtimedwait", 4, EMU, BLK, FIX(1, S_SIGINFO)),
    R(129, "rt_sigqueueinfo", 3, EMU, 0),
    R(130, "rt_sigsuspend", 2, EMU, BLK),
    R(131, "sigaltstack", 2, EXE, LOC),
    R(132, "utime", 2, EMU, 0),
    R(133, "mknod", 3, EMU, 0),
    U(134, "uselib", 1, NULL),
    R(135, "personality", 1, EMU, 0),
    U(136, "ustat", 2, NULL),
    R(137, "statfs", 2, EMU, LOC, FIX(1, S_STATFS)),
    R(138, "fstatfs", 2, EMU, FDR, FIX(1, S_STATFS)),
    U(139, "sysfs", 3, NULL),
    R(140, "getpriority", 2, EMU, LOC),
    R(141, "setpriority", 3, EMU, 0),
    R(142, "sched_setparam", 2, EMU, 0),
    R(143, "sched_getparam", 2, EMU, LOC, FIX(1, 4)),
    R(144, "sched_setscheduler", 3, EMU, 0),
    R(145, "sched_getscheduler", 1, EMU, LOC),
    R(146, "sched_get_priority_max", 1, EMU, LOC),
    R(147, "sched_get_priority_min", 1, EMU, LOC),
    R(148, "sched_rr_get_interval", 2, EMU, LOC, FIX(1, S_TS)),
    R(149, "mlock", 2, EMU, 0),
    R(150, "munlock", 2, EMU, 0),
    R(151, "mlockall", 1, EMU, 0),
    R(152, "munlockall", 0, EMU, 0),
    U(153, "vhangup", 0, PRIV),
    U(154, "modify_ldt", 3, NULL),
    U(155, "pivot_root", 2, PRIV),
    U(156, "_sysctl", 1, NULL),
    I(157, "prctl", 5, EMU, 0, pt_sc_out_prctl),
    R(158, "arch_prctl", 2, EXE, LOC),
    U(159, "adjtimex", 1, PRIV),
    R(160, "setrlimit", 2, EMU, 0),
    U(161, "chroot", 1, PRIV),
    R(162, "sync", 0, EMU, 0),
    U(163, "acct", 1, PRIV),
    U(164, "settimeofday", 2, PRIV),
    U(165, "mount", 5, PRIV),
    U(166, "umount2", 2, PRIV),
    U(167, "swapon", 2, PRIV),
    U(168, "swapoff", 1, PRIV),
    U(169, "reboot", 4, PRIV),
    U(170, "sethostname", 2, PRIV),
    U(171, "setdomainname", 2, PRIV),
    U(172, "iopl", 1, PRIV),
    U(173, "ioperm", 3, PRIV),
    U(174, "create_module", 2, PRIV),
    U(175, "init_module", 3, PRIV),
    U(176, "delete_module", 2, PRIV),
    U(177, "get_kernel_syms", 1, NULL),
    U(178, "query_module", 5, NULL),
    U(179, "quotactl", 4, PRIV),
    U(180, "nfsservctl", 3, NULL),
    U(181, "getpmsg", 5, NULL),
    U(182, "putpmsg", 5, NULL),
    U(183, "afs_syscall", 5, NULL),
    U(184, "tuxcall", 3, NULL),
    U(185, "security", 3, NULL),
    R(186, "gettid", 0, EMU, LOC),
    R(187, "readahead", 3, EMU, FDR),
    R(188, "setxattr", 5, EMU, 0),
    R(189, "lsetxattr", 5, EMU, 0),
    R(190, "fsetxattr", 5, EMU, 0),
    R(191, "getxattr", 4, EMU, LOC, RET(2)),
    R(192, "lgetxattr", 4, EMU, LOC, RET(2)),
    R(193, "fgetxattr", 4, EMU, FDR, RET(2)),
    R(194, "listxattr", 3, EMU, LOC, RET(1)),
    R(195, "llistxattr", 3, EMU, LOC, RET(1)),
    R(196, "flistxattr", 3, EMU, FDR, RET(1)),
    R(197, "removexattr", 2, EMU, 0),
    R(198, "lremovexattr", 2, EMU, 0),
    R(199, "fremovexattr", 2, EMU, 0),
    R(200, "tkill", 2, EMU, 0),
    R(201, "time", 1, EMU, LOC, FIX(0, 8)),
    I(202, "futex", 6, EMU, LOC | BLK, pt_sc_out_futex),
    R(203, "sched_setaffinity", 3, EMU, 0),
    R(204, "sched_getaffinity", 3, EMU, LOC, RET(2)),
    U(205, "set_thread_area", 1, NULL),
    U(206, "io_setup", 2, NOAIO),
    U(207, "io_destroy", 1, NOAIO),
    U(208, "io_getevents", 5, NOAIO),
    U(209, "io_submit", 3, NOAIO),
    U(210, "io_cancel", 3, NOAIO),
    U(211, "get_thread_area", 1, NULL),
    U(212, "lookup_dcookie", 3, NULL),
    R(213, "epoll_create", 1, EMU, 0),
    U(214, "epoll_ctl_old", 4, NULL),
    U(215, "epoll_wait_old", 4, NULL),
    U(216, "remap_file_pages", 5, NULL),
    R(217, "getdents64", 3, EMU, FDR, RET(1)),
    R(218, "set_tid_address", 1, EMU, LOC),
    R(219, "restart_syscall", 0, EMU, 0),
    U(220, "semtimedop", 4, NOSYSV),
    R(221, "fadvise64", 4, EMU, FDR),
    R(222, "timer_create", 3, EMU, 0, FIX(2, 4)),
    R(223, "timer_settime", 4, EMU, 0, FIX(3, S_ITIMER)),
    R(224, "timer_gettime", 2, EMU, 0, FIX(1, S_ITIMER)),
    R(225, "timer_getoverrun", 1, EMU, 0),
    R(226, "timer_delete", 1, EMU, 0),
    U(227, "clock_settime", 2, PRIV),
    R(228, "clock_gettime", 2, EMU, LOC, FIX(1, S_TS)),
    R(229, "clock_getres", 2, EMU, LOC, FIX(1, S_TS)),
    R(230, "clock_nanosleep", 4, EMU, ALW | LOC | BLK, FIX(3, S_TS)),
    R(231, "exit_group", 1, EXE, LOC),
    R(232, "epoll_wait", 4, EMU, BLK, RETSZ(1, S_EPEV)),
    R(233, "epoll_ctl", 4, EMU, 0),
    R(234, "tgkill", 3, EMU, 0),
    R(235, "utimes", 2, EMU, 0),
    U(236, "vserver", 5, NULL),
    R(237, "mbind", 6, EMU, 0),
    R(238, "set_mempolicy", 3, EMU, 0),
    U(239, "get_mempolicy", 5, NULL),
    U(240, "mq_open", 4, "POSIX message queues are not supported yet"),
    U(241, "mq_unlink", 1, "POSIX message queues are not supported yet"),
    U(242, "mq_timedsend", 5, "POSIX message queues are not supported yet"),
    U(243, "mq_timedreceive", 5, "POSIX message queues are not supported yet"),
    U(244, "mq_notify", 2, "POSIX message queues are not supported yet"),
    U(245, "mq_getsetattr", 3, "POSIX message queues are not supported yet"),
    U(246, "kexec_load", 4, PRIV),
    R(247, "waitid", 5, EMU, BLK, FIX(2, S_SIGINFO), FIX(4, S_RUSAGE)),
    U(248, "add_key", 5, NULL),
    U(249, "request_key", 4, NULL),
    U(250, "keyctl", 5, NULL),
    R(251, "ioprio_set", 3, EMU, 0),
    R(252, "ioprio_get", 2, EMU, 0),
    R(253, "inotify_init", 0, EMU, 0),
    R(254, "inotify_add_watch", 3, EMU, 0),
    R(255, "inotify_rm_watch", 2, EMU, 0),
    U(256, "migrate_pages", 4, NULL),
    R(257, "openat", 4, EMU, BLK),
    R(258, "mkdirat", 3, EMU, 0),
    R(259, "mknodat", 4, EMU, 0),
    R(260, "fchownat", 5, EMU, 0),
    R(261, "futimesat", 3, EMU, 0),
    R(262, "newfstatat", 4, EMU, LOC, FIX(2, S_STAT)),
    R(263, "unlinkat", 3, EMU, 0),
    R(264, "renameat", 4, EMU, 0),
    R(265, "linkat", 5, EMU, 0),
    R(266, "symlinkat", 3, EMU, 0),
    R(267, "readlinkat", 4, EMU, LOC, RET(2)),
    R(268, "fchmodat", 3, EMU, 0),
    R(269, "faccessat", 3, EMU, LOC),
    I(270, "pselect6", 6, EMU, ALW | BLK | IND, pt_sc_out_select),
    R(271, "ppoll", 5, EMU, BLK, ARGSZ(0, 1, S_POLLFD), FIX(2, S_TS)),
    U(272, "unshare", 1, PRIV),
    R(273, "set_robust_list", 2, EMU, LOC),
    U(274, "get_robust_list", 3, NULL),
    R(275, "splice", 6, EMU, BLK, FIX(1, 8), FIX(3, 8)),
    R(276, "tee", 4, EMU, BLK),
    R(277, "sync_file_range", 4, EMU, 0),
    U(278, "vmsplice", 4, NULL),
    U(279, "move_pages", 6, NULL),
    R(280, "utimensat", 4, EMU, 0),
    R(281, "epoll_pwait", 6, EMU, BLK, RETSZ(1, S_EPEV)),
    R(282, "signalfd", 3, EMU, 0),
    R(283, "timerfd_create", 2, EMU, 0),
    R(284, "eventfd", 1, EMU, 0),
    R(285, "fallocate", 4, EMU, 0),
    R(286, "timerfd_settime", 4, EMU, 0, FIX(3, S_ITIMER)),
    R(287, "timerfd_gettime", 2, EMU, 0, FIX(1, S_ITIMER)),
    R(288, "accept4", 4, EMU, BLK, SOCK(1, 2, S_SOCKADDR)),
    R(289, "signalfd4", 4, EMU, 0),
    R(290, "eventfd2", 2, EMU, 0),
    R(291, "epoll_create1", 1, EMU, 0),
    R(292, "dup3", 3, EMU, 0),
    R(293, "pipe2", 2, EMU, 0, FIX(0, 8)),
    R(294, "inotify_init1", 1, EMU, 0),
    I(295, "preadv", 5, EMU, FDR | BLK | IND, pt_sc_out_iovec_ret),
    R(296, "pwritev", 5, EMU, BLK | IND),
    R(297, "rt_tgsigqueueinfo", 4, EMU, 0),
    U(298, "perf_event_open", 5, NULL),
    I(299, "recvmmsg", 5, EMU, BLK | IND, pt_sc_out_recvmmsg),
    U(300, "fanotify_init", 2, PRIV),
    U(301, "fanotify_mark", 5, PRIV),
    R(302, "prlimit64", 4, EMU, 0, FIX(3, S_RLIM)),
    U(303, "name_to_handle_at", 5, NULL),
    U(304, "open_by_handle_at", 3, NULL),
    U(305, "clock_adjtime", 2, PRIV),
    R(306, "syncfs", 1, EMU, 0),
    R(307, "sendmmsg", 4, EMU, BLK | IND, RETSZ(1, S_MMSG)),
    U(308, "setns", 2, PRIV),
    R(309, "getcpu", 3, EMU, LOC, FIX(0, 4), FIX(1, 4)),
    U(310, "process_vm_readv", 6, NULL),
    U(311, "process_vm_writev", 6, NULL),
    R(312, "kcmp", 5, EMU, 0),
    U(313, "finit_module", 3, PRIV),
    R(314, "sched_setattr", 3, EMU, 0),
    R(315, "sched_getattr", 4, EMU, LOC, ARGSZ(1, 2, 1)),
    R(316, "renameat2", 5, EMU, 0),
    U(317, "seccomp", 3, NULL),
    R(318, "getrandom", 3, EMU, LOC, RET(0)),
    R(319, "memfd_create", 2, EMU, 0),
    U(320, "kexec_file_load", 5, PRIV),
    U(321, "bpf", 3, PRIV),
    U(322, "execveat", 5,
      "the recorded program replaced itself with another program "
      "(execveat); pytt records a single program image"),
    U(323, "userfaultfd", 1, NULL),
    R(324, "membarrier", 3, EMU, LOC),
    R(325, "mlock2", 3, EMU, 0),
    R(326, "copy_file_range", 6, EMU, BLK, FIX(1, 8), FIX(3, 8)),
    I(327, "preadv2", 6, EMU, FDR | BLK | IND, pt_sc_out_iovec_ret),
    R(328, "pwritev2", 6, EMU, BLK | IND),
    R(329, "pkey_mprotect", 4, EXE, 0),
    R(330, "pkey_alloc", 2, EXE, 0),
    R(331, "pkey_free", 1, EXE, 0),
    R(332, "statx", 5, EMU, LOC, FIX(4, S_STATX)),
    U(333, "io_pgetevents", 6, NOAIO),
    R(334, "rseq", 4, SPC, LOC),
    R(424, "pidfd_send_signal", 4, EMU, 0),
    U(425, "io_uring_setup", 2, NOAIO),
    U(426, "io_uring_enter", 6, NOAIO),
    U(427, "io_uring_register", 4, NOAIO),
    U(428, "open_tree", 3, PRIV),
    U(429, "move_mount", 5, PRIV),
    U(430, "fsopen", 2, PRIV),
    U(431, "fsconfig", 5, PRIV),
    U(432, "fsmount", 3, PRIV),
    U(433, "fspick", 3, PRIV),
    R(434, "pidfd_open", 2, EMU, 0),
    R(435, "clone3", 2, SPC, PT_SCF_CREATES),
    R(436, "close_range", 3, EMU, 0),
    R(437, "openat2", 4, EMU, BLK),
    U(438, "pidfd_getfd", 3, NULL),
    R(439, "faccessat2", 4, EMU, LOC),
    U(440, "process_madvise", 5, NULL),
    R(441, "epoll_pwait2", 6, EMU, BLK, RETSZ(1, S_EPEV)),
    U(442, "mount_setattr", 5, PRIV),
    U(443, "quotactl_fd", 4, PRIV),
    U(444, "landlock_create_ruleset", 3, NULL),
    U(445, "landlock_add_rule", 4, NULL),
    U(446, "landlock_restrict_self", 2, NULL),
    U(447, "memfd_secret", 1, NULL),
    U(448, "process_mrelease", 2, NULL),
    U(449, "futex_waitv", 5, NULL),
    R(450, "set_mempolicy_home_node", 4, EMU, 0),
    U(451, "cachestat", 4, NULL),
    R(452, "fchmodat2", 4, EMU, 0),
    U(453, "map_shadow_stack", 3, NULL),
    U(454, "futex_wake", 4, NULL),
    U(455, "futex_wait", 6, NULL),
    U(456, "futex_requeue", 4, NULL),
    U(457, "statmount", 4, NULL),
    U(458, "listmount", 4, NULL),
    U(459, "lsm_get_self_attr", 4, NULL),
    U(460, "lsm_set_self_attr", 4, NULL),
    U(461, "lsm_list_modules", 3, NULL),
    U(462, "mseal", 3, NULL),
};

/* The syscall buffer library's requests to pytt (pt_sysbuf.h): a HELLO is logged and replayed
 * like an emulated call; the others never become events. */
static const struct pt_syscall sysbuf_row = {"pytt_sysbuf", 3, PT_SC_EMULATE, 0, {{0}}, NULL, NULL};

/* The trace format since which each call runs unseen under the syscall buffer (0: never). */
static const uint8_t unseen_since[PT_NSYSCALLS] = {
    [SYS_rt_sigaction] = 5,
    [SYS_rt_sigprocmask] = 5,
    [SYS_brk] = 8,
};

int pt_sc_unseen(int nr, unsigned version)
{
    return nr >= 0 && nr < PT_NSYSCALLS && unseen_since[nr] && version >= unseen_since[nr];
}

const struct pt_syscall *pt_syscall(int nr)
{
    if (nr == PT_SYSBUF_NR) {
        return &sysbuf_row;
    }
    if (nr < 0 || nr >= PT_NSYSCALLS) {
        return NULL;
    }
    return &table[nr];
}

const char *pt_syscall_name(int nr)
{
    static char buf[32];
    const struct pt_syscall *sc = pt_syscall(nr);
    if (sc && sc->name) {
        return sc->name;
    }
    snprintf(buf, sizeof buf, "syscall_%d", nr);
    return buf;
}

int pt_sc_may_block(const struct pt_syscall *sc, int nr, const uint64_t args[6])
{
    if (!sc || !(sc->flags & PT_SCF_BLOCKS)) {
        return 0;
    }
    if (nr == SYS_futex) { /* only the waiting operations wait: wakes return at once */
        switch ((int)(args[1] & FUTEX_CMD_MASK)) {
        case FUTEX_WAIT:
        case FUTEX_WAIT_BITSET:
        case FUTEX_LOCK_PI:
        case FUTEX_LOCK_PI2:
        case FUTEX_WAIT_REQUEUE_PI:
            return 1;
        }
        return 0;
    }
    return 1;
}

static unsigned futex_used_args(uint64_t op)
{
    switch ((int)(op & FUTEX_CMD_MASK)) {
    case FUTEX_WAKE:
    case FUTEX_FD:
        return 0x07u; /* uaddr, op, val */
    case FUTEX_WAIT:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI:
        return 0x0fu; /* and the timeout */
    case FUTEX_UNLOCK_PI:
        return 0x03u;
    case FUTEX_WAKE_BITSET:
        return 0x27u; /* uaddr, op, val, val3 */
    case FUTEX_WAIT_BITSET:
        return 0x2fu;
    case FUTEX_REQUEUE:
        return 0x1fu; /* uaddr, op, val, val2 (in the timeout's place), uaddr2 */
    case FUTEX_WAIT_REQUEUE_PI:
        return 0x1fu;
    }
    return 0x3fu; /* CMP_REQUEUE, WAKE_OP, CMP_REQUEUE_PI: all six */
}

/* fcntl commands that take no third argument. */
static int fcntl_no_arg(uint64_t cmd)
{
    switch ((int)cmd) {
    case F_GETFD:
    case F_GETFL:
    case F_GETOWN:
    case F_GETSIG:
    case F_GETLEASE:
    case F_GETPIPE_SZ:
    case F_GET_SEALS:
        return 1;
    }
    return 0;
}

unsigned pt_sc_used_args(const struct pt_syscall *sc, int nr, const uint64_t args[6])
{
    unsigned all = sc ? (1u << sc->nargs) - 1 : 0x3fu;
    switch (nr) {
    case SYS_futex:
        return futex_used_args(args[1]) & all;
    case SYS_open:
        return (args[1] & (O_CREAT | __O_TMPFILE)) ? all : all & 0x3u;
    case SYS_openat:
        return (args[2] & (O_CREAT | __O_TMPFILE)) ? all : all & 0x7u;
    case SYS_fcntl:
        return fcntl_no_arg(args[1]) ? all & 0x3u : all;
    }
    return all;
}

int pt_sc_abi_of(uint32_t audit_arch, uint64_t nr)
{
    if (audit_arch != AUDIT_ARCH_X86_64) {
        return PT_ABI_I386;
    }
    return (nr & X32_SYSCALL_BIT) ? PT_ABI_X32 : PT_ABI_X86_64;
}

const char *pt_sc_foreign_str(int abi, uint64_t nr)
{
    static char buf[128];
    size_t n_i386 = sizeof pt_sc_i386_names / sizeof pt_sc_i386_names[0];
    if (abi == PT_ABI_I386) {
        const char *name = nr < n_i386 ? pt_sc_i386_names[nr] : NULL;
        snprintf(buf, sizeof buf, "32-bit (int 0x80) syscall %s (i386 number %llu)",
                 name ? name : "unknown", (unsigned long long)nr);
    } else if (abi == PT_ABI_X32) {
        uint64_t base = nr & ~X32_SYSCALL_BIT;
        snprintf(buf, sizeof buf, "x32 syscall %s (number 0x%llx)",
                 base < PT_NSYSCALLS ? pt_syscall_name((int)base) : "unknown",
                 (unsigned long long)nr);
    } else {
        snprintf(buf, sizeof buf, "syscall %s", pt_syscall_name((int)nr));
    }
    return buf;
}

static int regular_out(const struct pt_sc_out *o, const struct pt_sc_call *c, struct pt_mem *mem,
                       pt_sc_region_fn emit, void *ud)
{
    pt_addr addr = c->args[o->arg];
    uint64_t len = 0;
    uint32_t socklen;
    if (addr == 0) {
        return 0;
    }
    switch (o->kind) {
    case PT_OUT_FIXED:
        len = o->size;
        break;
    case PT_OUT_RET:
        len = c->ret > 0 ? (uint64_t)c->ret : 0;
        break;
    case PT_OUT_ARGSZ:
        len = c->args[o->sizearg] * o->size;
        break;
    case PT_OUT_RETSZ:
        len = c->ret > 0 ? (uint64_t)c->ret * o->size : 0;
        break;
    case PT_OUT_SOCKLEN:
        if (c->args[o->sizearg] == 0 ||
            pt_mem_read(mem, c->args[o->sizearg], &socklen, sizeof socklen) < 0) {
            return 0;
        }
        if (emit(ud, c->args[o->sizearg], sizeof socklen) < 0) {
            return -1;
        }
        len = socklen < o->size ? socklen : o->size;
        break;
    }
    return len ? emit(ud, addr, len) : 0;
}

int pt_sc_outputs(const struct pt_syscall *sc, const struct pt_sc_call *c, struct pt_mem *mem,
                  pt_sc_region_fn emit, void *ud)
{
    if (c->ret < 0 && !(sc->flags & PT_SCF_OUT_ALWAYS)) {
        return 0;
    }
    for (int i = 0; i < 3 && sc->out[i].kind != PT_OUT_NONE; i++) {
        if (regular_out(&sc->out[i], c, mem, emit, ud) < 0) {
            return -1;
        }
    }
    if (sc->irregular) {
        return sc->irregular(c, mem, emit, ud);
    }
    return 0;
}
