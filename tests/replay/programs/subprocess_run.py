# nondeterministic
# subprocess.run with captured output.
import subprocess

r = subprocess.run(["/bin/echo", "hello", "from", "echo"], capture_output=True)
print("echo", r.returncode, r.stdout, r.stderr)
r = subprocess.run(["/bin/date", "+%s%N"], capture_output=True, text=True)
print("date", r.returncode, r.stdout.strip())
r = subprocess.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 7"], capture_output=True)
print("sh", r.returncode, r.stdout, r.stderr)
r = subprocess.run(["/bin/cat"], input=b"piped input\n", stdout=subprocess.PIPE)
print("cat", r.returncode, r.stdout)
out = subprocess.check_output(["/bin/sh", "-c", "echo $$"])
print("child_pid_line", out.strip().isdigit(), out.strip())
p = subprocess.Popen(["/bin/sleep", "0.01"])
print("popen_pid_positive", p.pid > 0, "wait", p.wait())
print("END subprocess_run")
