"""The oracle for motions: run PROG (as `python3.11 PROG` would, via runpy) under sys.settrace
and play a pytt command list on it, printing one result per motion command: `FILE:LINE:FUNC`
for a stop, `EXIT` when the motion runs off the end of the program.

    motion_oracle.py OUTFILE PROG CMDFILE [ARGS...]    (results go to OUTFILE)

Semantics (pdb's, restricted to the 'line' events sys.settrace reports, as pytt stops only at
lines; breakpoints stop every motion, as in pdb and gdb):
  (start)     the first line event of PROG's module code, printed first
  step/s      the next line event, in any frame
  next/n      the next line event in the current frame or one of its callers
  until/unt   the next line event in the current frame with a greater line number, or in a
              caller
  finish/fin  the first moment a caller of the current frame runs again: after a normal
              return (or a yield), the caller with the line settrace reports for it then (the
              call's line); after an exception left the frame, the first caller that handles
              it, with its line at its 'exception' event (the line of the call) from 3.11,
              whose handlers start with an instruction without a line; 3.10's handler
              starts on the `except`/`finally` line itself, that of the line event it reports
  continue/c  the next line event at a breakpoint, or the end
  break/b FILE:LINE, tbreak FILE:LINE, delete [N...]   line breakpoints (numbered from 1)
  an empty line repeats the last motion; other commands are ignored."""
import os
import runpy
import sys

outfile = sys.argv[1]
prog = os.path.abspath(sys.argv[2])
with open(sys.argv[3]) as _f:
    commands = _f.read().split("\n")
if commands and commands[-1] == "":
    commands.pop()
sys.argv = [prog] + sys.argv[4:]

MOTIONS = {"s": "step", "step": "step", "n": "next", "next": "next", "unt": "until",
           "until": "until", "fin": "finish", "finish": "finish", "r": "finish",
           "return": "finish", "c": "continue", "cont": "continue", "continue": "continue"}


class Done(BaseException):
    """The commands are exhausted: stop running the program."""


class Player:
    def __init__(self):
        self.i = 0
        self.bps = {}  # id -> [file, line, temporary]
        self.next_id = 1
        self.last = None
        self.motion = None  # (kind, frame, line, ancestors)
        self.started = False
        self.pending = False  # a motion is under way
        self.raising = None  # the frame whose last event was 'exception'
        self.exc_frame = None
        self.out = []

    def emit(self, text):
        self.out.append(text)

    def next_motion(self, frame, line):
        """Run the commands up to the next motion; set it up from the stop at `frame`."""
        while self.i < len(commands):
            cmd = commands[self.i].strip()
            self.i += 1
            if not cmd:
                if self.last is None:
                    continue
                cmd = self.last
            word, _, rest = cmd.partition(" ")
            if word in MOTIONS:
                self.last = cmd
                kind = MOTIONS[word]
                anc, f = [], frame
                while f is not None:
                    anc.append(f)
                    f = f.f_back
                self.motion = (kind, frame, line, anc)
                self.exc_frame = None
                self.pending = True
                return
            if word in ("break", "b", "tbreak"):
                file, _, bp_line = rest.strip().rpartition(":")
                self.bps[self.next_id] = [os.path.abspath(file) if file else prog,
                                          int(bp_line), word == "tbreak"]
                self.next_id += 1
            elif word in ("delete", "d"):
                ids = [int(x) for x in rest.split()] or list(self.bps)
                for k in ids:
                    self.bps.pop(k, None)
        raise Done()

    def stop(self, frame, line):
        self.pending = False
        code = frame.f_code
        self.emit(f"{code.co_filename}:{line}:{code.co_name}")
        self.next_motion(frame, line)

    def at_breakpoint(self, frame):
        for k, (file, line, temp) in list(self.bps.items()):
            if frame.f_code.co_filename == file and frame.f_lineno == line:
                if temp:
                    del self.bps[k]
                return True
        return False

    def on_line(self, frame):
        kind, start, start_line, anc = self.motion
        if self.at_breakpoint(frame):
            return True
        if kind == "step":
            return True
        if kind == "next":
            return any(frame is a for a in anc)
        if kind == "until":
            if frame is start:
                return frame.f_lineno > start_line
            return any(frame is a for a in anc[1:])
        if kind == "finish" and self.exc_frame is not None:
            # An exception left the frame and this ancestor handles it: the stop is the
            # moment before this line event (the handler's first instruction), at the line
            # settrace reported at its 'exception' event; the next motion sees this event.
            if frame is self.exc_frame[0] and sys.version_info < (3, 11):
                self.stop(frame, frame.f_lineno)  # 3.10: this line event is the moment
                return False
            if frame is self.exc_frame[0]:
                self.stop(frame, self.exc_frame[1])
                return self.on_line(frame)
        return False

    def tracer(self, frame, event, arg):
        code = frame.f_code
        if not self.started:
            if event == "line" and code.co_filename == prog and code.co_name == "<module>":
                self.started = True
                self.stop(frame, frame.f_lineno)
            return self.tracer
        kind, start, _, anc = self.motion
        if event == "line":
            r = self.on_line(frame)
            if r:
                self.stop(frame, frame.f_lineno)
        elif kind == "finish":
            if event == "exception" and any(frame is a for a in anc[1:]):
                self.exc_frame = (frame, frame.f_lineno)
            elif event == "return" and self.exc_frame is not None and frame is self.exc_frame[0]:
                self.exc_frame = None  # that caller did not handle it: it unwinds too
            elif event == "return" and frame is start:
                if self.raising is not frame and frame.f_back is not None:
                    self.stop(frame.f_back, frame.f_back.f_lineno)
        if event == "exception":
            self.raising = frame
        elif event == "line" and self.raising is frame:
            self.raising = None
        return self.tracer


player = Player()
sys.settrace(player.tracer)
try:
    runpy.run_path(prog, run_name="__main__")
except Done:
    pass
except SystemExit:
    pass
sys.settrace(None)
if player.pending:
    player.emit("EXIT")  # the program ended during a motion
with open(outfile, "w") as f:
    f.write("".join(line + "\n" for line in player.out))
