"""The programs of bench/run_real_bench.py and the inputs they work on. Each maker returns a
Program: the command to run, the directory to run it in, the modules it needs (to skip it with
a reason when its Debian package is missing), prepare() that writes its inputs into its own
directory once, and reset() that puts back, before every run, whatever a run changes (so that
native and recorded runs do the same work). Sizes aim at 0.3-3 s natively on a 2-core machine;
`smoke` makes them tiny. Inputs are generated with fixed seeds: nothing large is committed.
Stdlib only."""
import json
import os
import random
import shutil
import subprocess
import textwrap

STDLIB = "/usr/lib/python3.11"


class Program:
    def __init__(self, name, desc, directory, argv, modules=(), package="", statuses=(0,),
                 same_output=True, prepare=None, reset=None):
        self.name, self.desc, self.cwd, self.argv = name, desc, directory, argv
        self.modules, self.package, self.statuses = list(modules), package, statuses
        self.same_output = same_output
        self._prepare, self._reset = prepare, reset

    def prepare(self):
        shutil.rmtree(self.cwd, ignore_errors=True)
        os.makedirs(self.cwd)
        if self._prepare:
            self._prepare(self.cwd)

    def reset(self):
        if self._reset:
            self._reset(self.cwd)


def script_program(name, desc, d, python, filename, script, **kw):
    """A Program that runs one generated script, `filename`, written into its directory."""
    return Program(name, desc, d, [python, filename],
                   prepare=lambda d: write(os.path.join(d, filename), script), **kw)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text).lstrip("\n"))


def stdlib_dir(python):
    """The stdlib directory of `python` (where pyflakes/compileall/tarfile read from)."""
    return subprocess.run([python, "-c", "import os; print(os.path.dirname(os.__file__))"],
                          capture_output=True, text=True, timeout=60).stdout.strip() or STDLIB


def rm_pycache(root):
    for d, subdirs, _ in os.walk(root):
        if "__pycache__" in subdirs:
            shutil.rmtree(os.path.join(d, "__pycache__"), ignore_errors=True)


# ---- pytest / unittest: a generated suite ------------------------------------------------------

def _suite_module(i, n_tests, style):
    lines = ["import json, math, re, collections", ""]
    if style == "unittest":
        lines += ["import unittest", "", f"class Test{i}(unittest.TestCase):"]
        for t in range(n_tests):
            lines += [f"    def test_{t}(self):",
                      f"        d = {{str(k): k * {t + 1} for k in range(200)}}",
                      "        self.assertEqual(json.loads(json.dumps(d)), d)",
                      "        self.assertAlmostEqual(math.fsum(d.values()), "
                      f"{199 * 100 * (t + 1)})",
                      ""]
        return "\n".join(lines) + "\n"
    lines += ["import pytest", ""]
    for t in range(n_tests):
        lines += ["@pytest.mark.parametrize('n', [1, 7, 50])",
                  f"def test_{t}(n, tmp_path):",
                  f"    words = ['w{t}_' + str(k) for k in range(n * 20)]",
                  "    (tmp_path / 'f.txt').write_text(' '.join(words))",
                  "    got = re.findall(r'w\\d+_\\d+', (tmp_path / 'f.txt').read_text())",
                  "    assert collections.Counter(got) == collections.Counter(words)",
                  ""]
    lines += ["class TestFixtures:",
              "    @pytest.fixture",
              "    def data(self):",
              "        return list(range(100))",
              "    def test_sum(self, data):",
              "        assert sum(data) == 4950",
              "    def test_fail_is_expected(self, data):",
              "        with pytest.raises(ZeroDivisionError):",
              "            data[0] / data[0]", ""]
    return "\n".join(lines) + "\n"


def make_pytest(d, python, smoke):
    files, tests = (2, 3) if smoke else (8, 8)

    def prepare(d):
        for i in range(files):
            write(os.path.join(d, "tests", f"test_mod{i}.py"), _suite_module(i, tests, "pytest"))
    return Program("pytest", f"pytest -q on a generated suite ({files} files, "
                   f"{files * (tests * 3 + 2)} tests, tmp_path fixtures)", d,
                   [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests",
                    "--basetemp", os.path.join(d, "tmp")],
                   modules=["pytest"], package="python3-pytest", same_output=False,
                   prepare=prepare)


def make_unittest(d, python, smoke):
    files, tests = (2, 3) if smoke else (40, 25)

    def prepare(d):
        for i in range(files):
            write(os.path.join(d, "tests", f"test_u{i}.py"), _suite_module(i, tests, "unittest"))
        write(os.path.join(d, "tests", "__init__.py"), "")
    return Program("unittest", f"python -m unittest discover on a generated suite "
                   f"({files * tests} tests)", d,
                   [python, "-m", "unittest", "discover", "-q", "-s", "tests", "-t", "."],
                   same_output=False, prepare=prepare, reset=lambda d: rm_pycache(d))


# ---- pyflakes, compileall, tarfile: over copies or reads of the stdlib -------------------------

def make_pyflakes(d, python, smoke):
    lib = stdlib_dir(python)
    pkgs = ["json"] if smoke else ["email", "http", "json", "logging"]
    return Program("pyflakes", f"pyflakes over the stdlib packages {', '.join(pkgs)}", d,
                   [python, "-m", "pyflakes"] + [os.path.join(lib, p) for p in pkgs],
                   modules=["pyflakes"], package="python3-pyflakes",
                   statuses=(0, 1))  # 1: it found something to report


def make_compileall(d, python, smoke):
    lib = stdlib_dir(python)
    pkgs = ["json"] if smoke else ["email", "http", "xml", "asyncio", "json", "logging",
                                   "concurrent", "urllib", "importlib", "unittest", "sqlite3"]

    def prepare(d):
        for p in pkgs:
            shutil.copytree(os.path.join(lib, p), os.path.join(d, "tree", p),
                            ignore=shutil.ignore_patterns("__pycache__", "test", "tests"))
    return Program("compileall", f"python -m compileall -f -q of a copy of the stdlib "
                   f"packages {', '.join(pkgs)}", d,
                   [python, "-m", "compileall", "-f", "-q", "tree"], prepare=prepare,
                   reset=lambda d: rm_pycache(os.path.join(d, "tree")))


def make_tarfile(d, python, smoke):
    lib = stdlib_dir(python)
    pkgs = ["json"] if smoke else ["email", "http", "xml", "asyncio", "logging", "unittest",
                                   "importlib", "concurrent"]
    script = f"""
        import hashlib, os, shutil, tarfile, zipfile
        src = {[os.path.join(lib, p) for p in pkgs]!r}
        for name in ("out.tar.gz", "out.zip"):
            if os.path.exists(name):
                os.remove(name)
        shutil.rmtree("x", ignore_errors=True)
        with tarfile.open("out.tar.gz", "w:gz") as t:
            for s in src:
                t.add(s, arcname=os.path.basename(s),
                      filter=lambda i: None if "__pycache__" in i.name else i)
        with tarfile.open("out.tar.gz") as t:
            t.extractall("x")
        with zipfile.ZipFile("out.zip", "w", zipfile.ZIP_DEFLATED) as z:
            for root, _, files in sorted(os.walk("x")):
                for f in sorted(files):
                    z.write(os.path.join(root, f))
        with zipfile.ZipFile("out.zip") as z:
            names = z.namelist()
            h = hashlib.sha256()
            for n in names:
                h.update(z.read(n))
        print(len(names), "files", h.hexdigest())
        """
    return script_program("tarfile", f"tarfile gz + extract, zipfile deflate + read of the "
                          f"stdlib packages {', '.join(pkgs)}", d, python, "archive.py", script)


# ---- sphinx: a generated project ----------------------------------------------------------------

def make_sphinx(d, python, smoke):
    pages = 3 if smoke else 10

    def prepare(d):
        write(os.path.join(d, "src", "conf.py"), """
            project = "bench"
            extensions = ["sphinx.ext.autodoc", "sphinx.ext.todo"]
            html_theme = "basic"
            """)
        toc = "\n".join(f"   page{i}" for i in range(pages))
        write(os.path.join(d, "src", "index.rst"),
              "Bench\n=====\n\n.. toctree::\n   :maxdepth: 2\n\n" + toc + "\n")
        rng = random.Random(15)
        for i in range(pages):
            body = [f"Page {i}", "=" * (5 + len(str(i))), ""]
            for s in range(6):
                body += [f"Section {i}.{s}", "-" * 20, ""]
                body += [" ".join(rng.choice(["lorem", "ipsum", "*dolor*", "``sit``", "amet",
                                              "consectetur", ":ref:`genindex`"])
                                  for _ in range(60)), ""]
                body += [".. code-block:: python", "",
                         f"   def f{s}(x):", f"       return x * {s}", ""]
                body += ["* item one", "* item two with **bold**", ""]
                body += [f".. note:: note {i}.{s}", ""]
            write(os.path.join(d, "src", f"page{i}.rst"), "\n".join(body) + "\n")
    return Program("sphinx", f"sphinx-build -b html -E -a -q of a generated project "
                   f"({pages + 1} pages)", d,
                   [python, "-m", "sphinx", "-b", "html", "-E", "-a", "-q", "src", "out"],
                   modules=["sphinx"], package="python3-sphinx", prepare=prepare,
                   reset=lambda d: shutil.rmtree(os.path.join(d, "out"), ignore_errors=True))


# ---- json.tool on a large file ------------------------------------------------------------------

def make_jsontool(d, python, smoke):
    n = 500 if smoke else 30000

    def prepare(d):
        rng = random.Random(7)
        data = [{"id": i, "name": f"user{i}", "score": rng.random() * 100,
                 "tags": [rng.choice("abcdefgh") * rng.randint(1, 5) for _ in range(4)],
                 "nested": {"a": [1, 2, 3], "b": None, "c": i % 2 == 0}} for i in range(n)]
        with open(os.path.join(d, "big.json"), "w") as f:
            json.dump(data, f, separators=(",", ":"))
    return Program("json.tool", f"python -m json.tool --sort-keys on a generated "
                   f"{n}-record JSON file, written to a file", d,
                   [python, "-m", "json.tool", "--sort-keys", "big.json", "pretty.json"],
                   prepare=prepare)


# ---- flask, jinja2, pygments, yaml ---------------------------------------------------------------

def make_flask(d, python, smoke):
    n = 20 if smoke else 300
    script = f"""
        from flask import Flask, jsonify, render_template_string, request
        app = Flask(__name__)
        PAGE = ("<ul>{{% for u in users %}}<li>{{{{ u.name|title }}}}: {{{{ u.n }}}}</li>"
                "{{% endfor %}}</ul>")

        @app.route("/users/<int:n>")
        def users(n):
            return render_template_string(PAGE, users=[dict(name=f"u{{i}}", n=i * n)
                                                       for i in range(20)])

        @app.route("/api", methods=["POST"])
        def api():
            body = request.get_json()
            return jsonify(total=sum(body["values"]), count=len(body["values"]))

        client = app.test_client()
        size = 0
        for i in range({n}):
            r = client.get(f"/users/{{i}}")
            assert r.status_code == 200
            size += len(r.data)
            r = client.post("/api", json={{"values": list(range(i % 50))}})
            size += r.get_json()["total"]
        print("bytes+totals", size)
        """
    return script_program("flask", f"flask test client: {n} GET (jinja template) + {n} POST "
                          "(JSON)", d, python, "app.py", script, modules=["flask"],
                          package="python3-flask")


def make_jinja2(d, python, smoke):
    n = 10 if smoke else 400
    script = f"""
        import os
        from jinja2 import Environment, FileSystemLoader, select_autoescape
        os.makedirs("tpl", exist_ok=True)
        with open("tpl/base.html", "w") as f:
            f.write("<html><title>{{% block title %}}{{% endblock %}}</title>"
                    "<body>{{% block body %}}{{% endblock %}}</body></html>")
        with open("tpl/page.html", "w") as f:
            f.write("{{% extends 'base.html' %}}{{% block title %}}{{{{ title }}}}{{% endblock %}}"
                    "{{% block body %}}{{% for row in rows %}}<tr>{{% for c in row %}}"
                    "<td>{{{{ c|e }}}}</td>{{% endfor %}}</tr>{{% endfor %}}"
                    "{{{{ rows|length }}}} {{{{ title|upper }}}}{{% endblock %}}")
        env = Environment(loader=FileSystemLoader("tpl"), autoescape=select_autoescape())
        total = 0
        for i in range({n}):
            t = env.get_template("page.html")
            rows = [[f"<{{i}}&{{j}}>" for j in range(10)] for _ in range(30)]
            total += len(t.render(title=f"page {{i}}", rows=rows))
        print("rendered", total)
        """
    return script_program("jinja2", f"jinja2 FileSystemLoader: {n} renders of an inherited, "
                          "autoescaped template", d, python, "render.py", script,
                          modules=["jinja2"], package="python3-jinja2")


def make_pygments(d, python, smoke):
    lib = stdlib_dir(python)
    files = ["json/decoder.py"] if smoke else ["argparse.py", "typing.py", "inspect.py"]
    script = f"""
        import sys
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
        total = 0
        for p in {[os.path.join(lib, f) for f in files]!r}:
            with open(p) as f:
                total += len(highlight(f.read(), PythonLexer(), HtmlFormatter(linenos=True)))
        print("html bytes", total)
        """
    return script_program("pygments", f"pygments HTML highlighting of stdlib "
                          f"{', '.join(files)}", d, python, "hl.py", script,
                          modules=["pygments"], package="python3-pygments")


def make_yaml(d, python, smoke):
    n = 100 if smoke else 1000

    def prepare(d):
        rng = random.Random(3)
        with open(os.path.join(d, "data.yaml"), "w") as f:
            for i in range(n):
                f.write(f"- id: {i}\n  name: item-{i}\n  price: {rng.random() * 50:.3f}\n"
                        f"  tags: [{', '.join(rng.choice(['x', 'y', 'z']) for _ in range(3))}]\n"
                        f"  meta: {{ok: {str(i % 3 == 0).lower()}, note: \"n{i}\"}}\n")
        write(os.path.join(d, "y.py"), """
            import yaml
            with open("data.yaml") as f:
                data = yaml.safe_load(f)
            text = yaml.safe_dump(data, sort_keys=True)
            print(len(data), len(text), sum(x["price"] for x in data) > 0)
            """)
    return Program("yaml", f"PyYAML safe_load + safe_dump of a generated {n}-item document",
                   d, [python, "y.py"], modules=["yaml"], package="python3-yaml",
                   prepare=prepare)


# ---- numpy, sqlite3, csv ------------------------------------------------------------------------

def make_numpy(d, python, smoke):
    n = 60 if smoke else 500
    script = f"""
        import numpy as np
        rng = np.random.default_rng(42)
        a = rng.random(({n}, {n}))
        b = rng.random(({n}, {n}))
        c = a @ b
        inv = np.linalg.inv(c + np.eye({n}) * {n})
        s = np.linalg.svd(a, compute_uv=False)
        f = np.fft.rfft(rng.random({n} * 2000))
        x = np.sort(rng.integers(0, 1000, {n} * 2000))
        print(round(float(np.trace(inv)), 6), round(float(s[0]), 6),
              round(float(np.abs(f).sum()), 3), int(np.unique(x).size))
        """
    return script_program("numpy", f"numpy: {n}x{n} matmul, inv, svd, rfft, sort/unique", d,
                          python, "np.py", script, modules=["numpy"], package="python3-numpy")


def make_sqlite(d, python, smoke):
    n = 2000 if smoke else 150000
    script = f"""
        import os, sqlite3
        if os.path.exists("bench.db"):
            os.remove("bench.db")
        con = sqlite3.connect("bench.db")
        con.execute("create table t (id integer primary key, name text, grp int, v real)")
        with con:
            con.executemany("insert into t values (?, ?, ?, ?)",
                            ((i, f"name{{i}}", i % 97, i * 0.5) for i in range({n})))
        con.execute("create index t_grp on t (grp)")
        with con:
            for i in range(2000):
                con.execute("update t set v = v + 1 where id = ?", (i * 7,))
        rows = con.execute("select grp, count(*), sum(v) from t group by grp "
                           "order by grp").fetchall()
        like = con.execute("select count(*) from t where name like '%77%'").fetchone()[0]
        con.close()
        print(len(rows), rows[0], rows[-1], like)
        """
    return script_program("sqlite3", f"sqlite3 file database: {n} inserts, index, 2000 "
                          "updates in one transaction, group-by and LIKE queries", d, python,
                          "db.py", script)


def make_csv(d, python, smoke):
    n = 2000 if smoke else 120000

    def prepare(d):
        rng = random.Random(11)
        with open(os.path.join(d, "data.csv"), "w") as f:
            f.write("id,city,amount,date\n")
            for i in range(n):
                f.write(f"{i},{rng.choice(['Oslo', 'Lyon', 'Porto', 'Graz'])},"
                        f"{rng.random() * 1000:.2f},2024-{rng.randint(1, 12):02d}-"
                        f"{rng.randint(1, 28):02d}\n")
        write(os.path.join(d, "c.py"), """
            import collections, csv, datetime, decimal, statistics
            by_city = collections.defaultdict(list)
            with open("data.csv", newline="") as f:
                for row in csv.DictReader(f):
                    d = datetime.date.fromisoformat(row["date"])
                    by_city[(row["city"], d.month)].append(decimal.Decimal(row["amount"]))
            with open("summary.csv", "w", newline="") as f:
                w = csv.writer(f)
                for key in sorted(by_city):
                    v = by_city[key]
                    w.writerow([*key, len(v), sum(v), statistics.median(v)])
            print(len(by_city), sum(len(v) for v in by_city.values()))
            """)
    return Program("csv", f"csv.DictReader of a generated {n}-row file, decimal, datetime, "
                   f"statistics, csv.writer", d, [python, "c.py"], prepare=prepare)


def make_pip(d, python, smoke):
    return Program("pip-list", "python -m pip list (reads the metadata of every installed "
                   "distribution)", d,
                   [python, "-m", "pip", "list", "--disable-pip-version-check"],
                   modules=["pip"], package="python3-pip")


PROGRAMS = [
    ("pytest", make_pytest, "pytest -q on a generated suite"),
    ("unittest", make_unittest, "unittest discover on a generated suite"),
    ("pyflakes", make_pyflakes, "pyflakes over stdlib packages"),
    ("compileall", make_compileall, "compileall -f of a copied stdlib tree"),
    ("sphinx", make_sphinx, "sphinx-build html of a generated project"),
    ("json.tool", make_jsontool, "json.tool --sort-keys on a large generated file"),
    ("flask", make_flask, "flask test client with jinja templates and JSON"),
    ("jinja2", make_jinja2, "jinja2 template rendering"),
    ("pygments", make_pygments, "pygments HTML highlighting of stdlib modules"),
    ("yaml", make_yaml, "PyYAML load + dump"),
    ("numpy", make_numpy, "numpy linear algebra, FFT, sorting"),
    ("sqlite3", make_sqlite, "sqlite3 file database"),
    ("csv", make_csv, "csv + decimal + statistics over a generated file"),
    ("tarfile", make_tarfile, "tarfile/zipfile archive and extract of stdlib packages"),
    ("pip-list", make_pip, "pip list"),
]
