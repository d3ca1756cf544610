# nondeterministic
# expect: 2 b
# expect: pipe done
# Shell pipelines: the shell execs, then forks the pipeline's programs (grandchildren of the
# recorded process, children of a program that has no pytt page). Their output goes straight
# to the inherited stdout; os.system and subprocess with shell=True.
import os
import subprocess
import time

subprocess.run("printf 'b\\na\\nb\\n' | sort | uniq -c", shell=True, check=True)
r = subprocess.run("echo $$ | wc -c; date +%N | cat | cat", shell=True, capture_output=True)
print("captured", r.returncode, len(r.stdout.split()), time.time())
os.system("echo system $(echo nested | tr a-z A-Z) | cat")
print("pipe done", flush=True)
print("END tree_shell_pipeline")
