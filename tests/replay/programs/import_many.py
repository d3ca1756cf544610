# nondeterministic
# Importing many stdlib modules (lots of stat/open/read/mmap of .py, .pyc and .so files).
import sys
import time

t0 = time.perf_counter()
import argparse, asyncio, collections, csv, dataclasses, decimal, email.message, fractions  # noqa
import http.client, inspect, ipaddress, logging, pathlib, pickle, statistics, string  # noqa
import textwrap, typing, unittest, urllib.parse, xml.etree.ElementTree as ET, zipfile  # noqa
import _bz2, _lzma, _json, _decimal, array, bisect, heapq  # noqa
print("import_seconds", time.perf_counter() - t0)
print("n_modules", len(sys.modules))
print("decimal", decimal.Decimal(1) / decimal.Decimal(7))
print("fractions", fractions.Fraction(3, 9))
print("ip", ipaddress.ip_address("127.0.0.1").is_loopback)
root = ET.fromstring("<a><b x='1'/><b x='2'/></a>")
print("xml", [b.get("x") for b in root])
print("module_id", hex(id(decimal)))
print("so_files", sorted(m.__name__ for m in (_bz2, _lzma, _decimal) if getattr(m, "__file__", "").endswith(".so")))
print("END import_many")
