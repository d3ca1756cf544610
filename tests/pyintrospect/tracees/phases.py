"""Two stops of one program, and a fork, for pyi_invalidate and pyi_set_target: the first pause
has `phase = 1`; when released, the program changes its locals, forks, and parent and child
each pause again (`who` tells them apart; the child reports to ARGV[1] + ".child")."""
import os
import sys

import pyi_tracee


def step(phase, history):
    who = "original"
    if phase == 1:
        pyi_tracee.pause()
        return
    pid = os.fork()
    who = "child" if pid == 0 else "parent"
    history.append(who)
    if pid == 0:
        sys.argv[1] += ".child"
    pyi_tracee._REPORT["threads"].clear()
    pyi_tracee.pause()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def main():
    history = []
    step(1, history)
    history.append("between")
    step(2, history)


main()
