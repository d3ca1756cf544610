"""Code objects freed and new ones made at the same addresses: exec of generated sources whose
line layouts differ, under the same file name. Stepping (forwards and backwards) must read
each code object afresh, not trust one cached at the same address."""
SOURCES = [
    "a = 1\nb = 2\nc = a + b\n",
    "a = 1\n\nb = 2\n\n\nc = a + b\n",
    "a = 1; b = 2\nc = a + b\n",
    "def f():\n    return 3\n\nc = f()\n",
]


def run(src):
    code = compile(src, "<generated>", "exec")
    ns = {}
    exec(code, ns)
    return ns["c"]


total = 0
for i in range(12):
    total += run(SOURCES[i % len(SOURCES)])
result = total
END_OF_PROGRAM = True
