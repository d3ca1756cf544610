# nondeterministic
# args: first "second arg" --flag=3 ünïcode
# argv, environment (including a variable set only for the record run), cwd, pids.
import os
import sys

print("argv", sys.argv[1:])
print("argv0_base", os.path.basename(sys.argv[0]))
for var in ("PATH", "HOME", "LANG", "LC_ALL", "PYTT_RECORD_ONLY_VAR", "PYTT_NOT_SET"):
    print("env", var, os.environ.get(var))
print("environ_count", len(os.environ))
print("getenv_bytes", os.environb.get(b"PYTT_RECORD_ONLY_VAR"))
print("cwd", os.getcwd())
print("pid", os.getpid())
print("ppid", os.getppid())
print("uid", os.getuid(), "gid", os.getgid(), "euid", os.geteuid())
print("executable", sys.executable)
print("flags_hash_randomization", sys.flags.hash_randomization)
print("END argv_env_cwd")
