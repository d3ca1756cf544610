# Maps the files named on the command line privately, read-only, and prints a digest of each
# mapping: data files the replay must reproduce though their mtime changed since.
import hashlib
import mmap
import sys

for path in sys.argv[1:]:
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
        print(path.rsplit("/", 1)[-1], len(m), hashlib.sha1(m[:]).hexdigest()[:16])
        m.close()
print("END mmap_data")
