"""Transcript program: dies of an uncaught exception raised by C code called from its own
innermost frame (int() of a bad value), two calls deep."""


def parse_line(line):
    key, value = line.split("=")
    number = int(value)
    return key, number


def load(lines):
    config = {}
    for line in lines:
        key, number = parse_line(line)
        config[key] = number
    return config


print(load(["a=1", "b=2"]))
print(load(["c=3", "d=four"]))
