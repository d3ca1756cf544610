# nondeterministic
# Clocks (vDSO and syscalls): time, monotonic, perf_counter, sleep, datetime.now, clock_gettime.
import datetime
import time

t0 = time.time()
print("time", repr(t0))
print("time_ns", time.time_ns())
print("monotonic", repr(time.monotonic()))
print("perf_counter", repr(time.perf_counter()))
print("process_time", repr(time.process_time()))
print("thread_time", repr(time.thread_time()))
for name in ("CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_MONOTONIC_RAW", "CLOCK_BOOTTIME",
             "CLOCK_REALTIME_COARSE" if hasattr(time, "CLOCK_REALTIME_COARSE") else "CLOCK_REALTIME"):
    print(name, time.clock_gettime_ns(getattr(time, name)))
print("getres", time.clock_getres(time.CLOCK_MONOTONIC))
a = time.monotonic()
time.sleep(0.05)
b = time.monotonic()
print("slept", repr(b - a), "ge_0.05", b - a >= 0.05)
print("now", datetime.datetime.now().isoformat())
print("utcnow", datetime.datetime.now(datetime.timezone.utc).isoformat())
print("ctime", time.ctime())
print("localtime", time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime()))
samples = [time.perf_counter_ns() for _ in range(5)]
print("perf_samples", samples)
print("monotonic_sorted", samples == sorted(samples))
print("END clocks")
