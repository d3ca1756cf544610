# nondeterministic
# json + os.walk over a temp tree (getdents order is filesystem-dependent, printed unsorted).
import json
import os
import random
import tempfile

with tempfile.TemporaryDirectory(prefix="pytt-walk-") as root:
    for i in range(4):
        sub = os.path.join(root, f"dir{i}", f"sub{random.randint(0, 99)}")
        os.makedirs(sub)
        for j in range(3):
            with open(os.path.join(sub, f"f{j}.json"), "w") as f:
                json.dump({"i": i, "j": j, "r": random.random(), "tags": list({"a", "b", "c"})}, f)
    walked = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        walked.append((rel, list(dirnames), list(filenames)))
        for fn in filenames:
            with open(os.path.join(dirpath, fn)) as f:
                obj = json.load(f)
            print("json", rel, fn, obj["r"], obj["tags"])
    print("walk_raw_order", walked)
    with os.scandir(root) as it:
        print("scandir", [(e.name, e.is_dir()) for e in it])
    print("dumps", json.dumps({"nested": {"k": [1, 2.5, None, True]}, "rand": random.random()}, sort_keys=True))
print("END json_walk")
