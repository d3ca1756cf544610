# Reads a file (argv[1]) and environment variables, prints the clock and local time: used to
# check that changing the file, the environment and the clock after recording does not change
# what replay reproduces.
import datetime
import os
import sys
import time

with open(sys.argv[1]) as f:
    print("file_content", repr(f.read()))
print("file_mtime_ns", os.stat(sys.argv[1]).st_mtime_ns)
for var in ("TZ", "PYTT_CHANGED_VAR", "PYTT_EXTRA_VAR", "HOME"):
    print("env", var, os.environ.get(var))
print("time", repr(time.time()))
print("localtime", time.strftime("%Y-%m-%d %H:%M:%S %Z %z", time.localtime()))
print("datetime_now", datetime.datetime.now().isoformat())
print("monotonic", repr(time.monotonic()))
print("END changed_inputs")
