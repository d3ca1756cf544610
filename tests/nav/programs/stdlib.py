# Stepping through calls into the standard library (pure-Python modules already loaded at
# start-up) and back.
import os

parts = ["usr", "lib", "python3.11"]
path = os.path.join("/", *parts)
root, ext = os.path.splitext("archive.tar.gz")
norm = os.path.normpath("/a/./b/../c")
END_OF_PROGRAM = True
