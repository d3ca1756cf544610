"""Transcript program: prints one line per step of a loop."""
for n in range(5):
    print("step", n)
print("finished")
