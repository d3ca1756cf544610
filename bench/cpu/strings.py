"""String building benchmark: str.join, %-formatting, str.format, f-strings, slicing, split,
replace and encoding of generated text.
Usage: strings.py [N]   (N records)"""
import sys


def records(n):
    for i in range(n):
        yield i, f"user{i:05d}", (i * 7919) % 10007 / 100.0


def render(n):
    lines = []
    for i, name, score in records(n):
        tag = "gold" if score > 80 else "silver" if score > 40 else "bronze"
        lines.append(f"{i:>6}|{name:<10}|{score:8.2f}|{tag}")
        lines.append("%d;%s;%.1f" % (i, name.upper(), score))
        lines.append("{0}-{1}-{2}".format(name[::-1], tag[:3], len(name)))
    return "\n".join(lines)


def digest(text):
    counts = {}
    for line in text.split("\n"):
        key = line.replace("|", ";").split(";")[0].strip()[:3]
        counts[key] = counts.get(key, 0) + len(line)
    words = " ".join(sorted(counts)).title()
    return len(text), len(counts), len(words.encode("utf-8")), sum(counts.values()) % 65521


n = int(sys.argv[1]) if len(sys.argv) > 1 else 210000
print(*digest(render(n)))
