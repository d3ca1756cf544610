# nondeterministic
# Hash randomization: set iteration order of strings, hash() values, dict of sets.
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma"]
s = set(words)
print("set_order", list(s))
print("frozenset_order", list(frozenset(w.upper() for w in words)))
print("hash_alpha", hash("alpha"))
print("hash_bytes", hash(b"alpha"))
print("hash_int", hash(12345))
d = {}
for w in s:
    d.setdefault(len(w), set()).add(w)
print("grouped", {k: sorted(v) for k, v in sorted(d.items())})
print("grouped_raw_order", [list(v) for k, v in sorted(d.items())])
print("END set_order")
