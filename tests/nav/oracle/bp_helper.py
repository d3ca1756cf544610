"""Imported by bp_program.py after its first breakpoints are set: breakpoints here start
pending and must take effect when this module's code starts."""
from __main__ import probe

SCALE = 3
probe("helper_mod", None, {"SCALE": SCALE})


def helper_fn(k):
    doubled = k * SCALE
    probe("helper_fn", locals())
    return doubled
