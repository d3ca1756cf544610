# A child: greet(name, n) prints its arguments and a random token n times, then exits 3.
import os
import sys


def greet(name, n):
    token = os.urandom(4).hex()
    for i in range(n):
        print(f"C {os.getpid()} name={name!r} n={n!r} i={i} token={token}", flush=True)
    return token


greet(sys.argv[1], int(sys.argv[2]))
sys.exit(3)
