"""The oracle for stepping: run PROG (as `python3.11 PROG` would, via runpy) under
sys.settrace and print every 'line' event as `FILE:LINE:FUNC`, from the first event in PROG's
module code up to and including the first event at its END_OF_PROGRAM line. With --frame-only,
only events of PROG's module frame (what repeated `next` from the first line visits). With
--no-trace, just run PROG the same way: the recording the events are compared with is made of
this very command, so that both runs start from the same interpreter state (imports made by
runpy and this script)."""
import runpy
import sys

prog = sys.argv[1]
frame_only = "--frame-only" in sys.argv
end_line = next(i for i, text in enumerate(open(prog), 1) if text.startswith("END_OF_PROGRAM"))
events = []
started = False
module_frame = None


def tracer(frame, event, arg):
    global started, module_frame
    if event == "line":
        code = frame.f_code
        if not started and code.co_filename == prog and code.co_name == "<module>":
            started, module_frame = True, frame
        if started and (not frame_only or frame is module_frame):
            events.append(f"{code.co_filename}:{frame.f_lineno}:{code.co_name}")
            if code.co_filename == prog and frame.f_lineno == end_line:
                sys.settrace(None)
                raise SystemExit(0)
    return tracer


if "--no-trace" not in sys.argv:
    sys.settrace(tracer)
try:
    runpy.run_path(prog, run_name="__main__")
except SystemExit:
    pass
sys.settrace(None)
if events:
    print("\n".join(events))
