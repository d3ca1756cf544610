# Parent and a subprocess'd Python child print SECRET_TOKEN and PLAIN_VAR.
import os
import subprocess
import sys

if len(sys.argv) > 1:
    print(f"C {os.getpid()} {os.environ['SECRET_TOKEN']} {os.environ['PLAIN_VAR']}", flush=True)
else:
    print(f"P {os.environ['SECRET_TOKEN']}", flush=True)
    subprocess.run([sys.executable, __file__, "child"], check=True)
    print("END env_child", flush=True)
