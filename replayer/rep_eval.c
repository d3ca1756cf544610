/*
 * rep_eval: Python evaluated at the current moment of the replay, with no effect on it.
 *
 * The evaluation runs in a throwaway copy of the replay (rep_copy.c), through calls into the
 * interpreter's C API looked up by symbol (the same names in CPython 3.8-3.13, so nothing here
 * depends on a version's layout):
 *   1. PyGC_Disable(): the running frame's value stack may look stale to the collector;
 *   2. PyErr_Fetch(): a stop inside PyTraceBack_Here has an exception set; it is taken out and
 *      offered to expressions as __exception__ (pdb's name);
 *   3. PyDict_New() and PyRun_StringFlags(BOOTSTRAP): a namespace with the helper functions;
 *   4. values bound by address (PyDict_SetItemString), e.g. a function's return value;
 *   5. `_pytt_flush()`: the program's own output still buffered in sys.stdout is flushed and
 *      discarded (the replay prints it when the program flushes it);
 *   6. the request: every item is evaluated in the namespace of its frame (found from the
 *      thread's innermost frame through f_back, checked against the code object pytt sees
 *      there), as a merge of the frame's globals and locals (so comprehensions see the locals),
 *      and the answers come back as one bytes object, read with pyintrospect from the copy.
 * What the copy writes to stdout/stderr during step 6 is captured and handed to the caller.
 * One copy serves a whole request (all the items of a command), and `interact` keeps one for
 * its whole session.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PY_FILE_INPUT 257
#define PY_EVAL_INPUT 258
#define EVAL_ANSWER_MAX (64u << 20)
#define EVAL_DEFAULT_TIMEOUT_NS 5000000000ll

/* The helpers, run once in every copy. Python 3.8+ syntax only. */
static const char BOOTSTRAP[] =
    "import sys\n"
    "_pytt_bind = {}\n"
    "_pytt_nss = {}\n"
    "def _pytt_flush():\n"
    "    for s in (sys.stdout, sys.stderr):\n"
    "        try:\n"
    "            s.flush()\n"
    "        except BaseException:\n"
    "            pass\n"
    "def _pytt_top(ident):\n"
    "    import _thread\n"
    "    if ident == _thread.get_ident():\n"
    "        f = sys._getframe()\n"
    "        while f is not None and f.f_globals is globals():\n"
    "            f = f.f_back\n"
    "        return f\n"
    "    return sys._current_frames().get(ident)\n"
    "def _pytt_ns(ident, depth, code):\n"
    "    ns = _pytt_nss.get((ident, depth))\n"
    "    if ns is None:\n"
    "        f = _pytt_top(ident)\n"
    "        for _ in range(depth):\n"
    "            f = f.f_back if f is not None else None\n"
    "        if f is None or (code and id(f.f_code) != code):\n"
    "            raise RuntimeError('pytt: frame %d of thread %#x is not where pytt sees it' %\n"
    "                               (depth, ident))\n"
    "        ns = dict(f.f_globals)\n"
    "        ns.update(f.f_locals)\n"
    "        ns.update(_pytt_bind)\n"
    "        _pytt_nss[(ident, depth)] = ns\n"
    "    return ns\n"
    "def _pytt_exc(e):\n"
    "    try:\n"
    "        import traceback\n"
    "        return ''.join(traceback.format_exception_only(type(e), e)).rstrip('\\n')\n"
    "    except BaseException:\n"
    "        return '%s: %s' % (type(e).__name__, e)\n"
    "def _pytt_whatis(v):\n"
    "    try:\n"
    "        return 'Method %s' % v.__func__.__code__.co_name\n"
    "    except Exception:\n"
    "        pass\n"
    "    try:\n"
    "        return 'Function %s' % v.__code__.co_name\n"
    "    except Exception:\n"
    "        pass\n"
    "    if v.__class__ is type:\n"
    "        return 'Class %s.%s' % (v.__module__, v.__qualname__)\n"
    "    return str(type(v))\n"
    "def _pytt_one(ident, mode, depth, code, src):\n"
    "    ns = _pytt_ns(ident, depth, code)\n"
    "    if mode == 'i':\n"
    "        import codeop\n"
    "        c = codeop.compile_command(src, '<pytt>', 'single')\n"
    "        if c is None:\n"
    "            return 'm', ''\n"
    "        exec(c, ns)\n"
    "        return 'v', ''\n"
    "    if mode == 'x':\n"
    "        exec(compile(src, '<pytt>', 'single'), ns)\n"
    "        return 'v', ''\n"
    "    v = eval(compile(src, '<pytt>', 'eval'), ns)\n"
    "    if mode == 'r':\n"
    "        return 'v', repr(v)\n"
    "    if mode == 'p':\n"
    "        import pprint\n"
    "        return 'v', pprint.pformat(v)\n"
    "    if mode == 't':\n"
    "        return 'v', 'True' if v else 'False'\n"
    "    if mode == 's':\n"
    "        return 'v', str(v)\n"
    "    return 'v', _pytt_whatis(v)\n"
    "def _pytt_main(ident, items):\n"
    "    e = _pytt_bind.pop('_pytt_exc', None)\n"
    "    if e is not None:\n"
    "        _pytt_bind['__exception__'] = (type(e), e)\n"
    "    out = []\n"
    "    for mode, depth, code, src in items:\n"
    "        try:\n"
    "            st, text = _pytt_one(ident, mode, depth, code,\n"
    "                                 src.decode('utf-8', 'surrogateescape'))\n"
    "        except BaseException as e:\n"
    "            st, text = 'e', _pytt_exc(e)\n"
    "        b = text.encode('utf-8', 'backslashreplace')\n"
    "        out.append(st.encode() + str(len(b)).encode() + b':' + b)\n"
    "    _pytt_flush()\n"
    "    return b''.join(out)\n";

enum {
    FN_GC_DISABLE,
    FN_ERR_FETCH,
    FN_ERR_NORMALIZE,
    FN_DICT_NEW,
    FN_DICT_SET,
    FN_DICT_GET,
    FN_RUN,
    FN__COUNT
};
static const char *const fn_names[FN__COUNT] = {
    "PyGC_Disable",         "PyErr_Fetch",          "PyErr_NormalizeException", "PyDict_New",
    "PyDict_SetItemString", "PyDict_GetItemString", "PyRun_StringFlags"};

struct rep_eval_ctx {
    struct rep_session *s;
    struct rep_copy copy;
    pt_addr fn[FN__COUNT];
    pt_addr ns;          /* the bootstrap's namespace in the copy */
    size_t keep;         /* scratch bytes kept across requests (the bootstrap's strings) */
    unsigned long ident; /* the selected thread */
    int output_from;     /* copy.out offset where this request's output starts */
};

/* ---- the session's settings ----------------------------------------------------------------- */

int64_t rep_eval_timeout_ns(const struct rep_session *s)
{
    return s->eval_timeout_ns ? s->eval_timeout_ns : EVAL_DEFAULT_TIMEOUT_NS;
}

int rep_set_eval_timeout(struct rep_session *s, double seconds)
{
    if (!(seconds > 0 && seconds <= 3600)) {
        return pt_fail("the evaluation timeout must be between 0 and 3600 seconds (got %g)",
                       seconds);
    }
    s->eval_timeout_ns = (int64_t)(seconds * 1e9);
    return 0;
}

/* ---- calls into the copy ----------------------------------------------------------------------
 */

static int find_functions(struct rep_session *s, pt_addr fn[FN__COUNT])
{
    struct pyi_session *p = rep_pyi(s);
    if (!p) {
        return -1;
    }
    for (int i = 0; i < FN__COUNT; i++) {
        if (!s->eval_fn[i] && pyi_symbol_addr(p, fn_names[i], &s->eval_fn[i]) < 0) {
            s->eval_fn[i] = 0;
            if (i != FN_GC_DISABLE) { /* 3.8/3.9 lack it: the bootstrap then runs with GC on */
                return pt_wrap("evaluating Python needs the interpreter's %s", fn_names[i]);
            }
            pt_err_clear();
        }
        fn[i] = s->eval_fn[i];
    }
    return 0;
}

/* 0 returned, 1 the copy ended (c->end), -1 error. */
static int call(struct rep_eval_ctx *e, int f, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                uint64_t a4, uint64_t *ret)
{
    uint64_t args[5] = {a0, a1, a2, a3, a4}, ignored;
    return rep_copy_call(&e->copy, e->fn[f], args, 5, ret ? ret : &ignored);
}

static int put_str(struct rep_eval_ctx *e, const char *str, pt_addr *at)
{
    return rep_copy_put(&e->copy, str, strlen(str) + 1, at);
}

/* Run Python source in the namespace: 0 with *ret (NULL if it raised), 1 ended, -1 error. */
static int run(struct rep_eval_ctx *e, const char *src, int start, uint64_t *ret)
{
    pt_addr at;
    size_t mark = e->copy.scratch_used;
    if (put_str(e, src, &at) < 0) {
        return -1;
    }
    int rc = call(e, FN_RUN, at, (uint64_t)start, e->ns, e->ns, 0, ret);
    rep_copy_reset_scratch(&e->copy, mark);
    return rc;
}

static int bind_value(struct rep_eval_ctx *e, pt_addr dict, const char *name, uint64_t obj)
{
    pt_addr at;
    size_t mark = e->copy.scratch_used;
    if (put_str(e, name, &at) < 0) {
        return -1;
    }
    int rc = call(e, FN_DICT_SET, dict, at, obj, 0, 0, NULL);
    rep_copy_reset_scratch(&e->copy, mark);
    return rc;
}

/* A pending exception (a stop inside PyTraceBack_Here): take it out, bind it. */
static int take_exception(struct rep_eval_ctx *e, pt_addr bind)
{
    uint64_t exc[3] = {0, 0, 0};
    pt_addr at;
    if (rep_copy_put(&e->copy, exc, sizeof exc, &at) < 0) {
        return -1;
    }
    int rc = call(e, FN_ERR_FETCH, at, at + 8, at + 16, 0, 0, NULL);
    if (rc != 0 || pt_mem_read(&e->copy.mem, at, exc, sizeof exc) < 0 || !exc[0]) {
        return rc;
    }
    rc = call(e, FN_ERR_NORMALIZE, at, at + 8, at + 16, 0, 0, NULL);
    if (rc != 0 || pt_mem_read(&e->copy.mem, at, exc, sizeof exc) < 0 || !exc[1]) {
        return rc;
    }
    return bind_value(e, bind, "_pytt_exc", exc[1]);
}

static int fail_ended(struct rep_eval_ctx *e)
{
    char why[256];
    return pt_fail("%s", rep_copy_end_str(&e->copy, why, sizeof why));
}

static int bootstrap(struct rep_eval_ctx *e, const struct rep_eval_bind *binds, size_t nbinds)
{
    uint64_t ret, bind;
    int rc = e->fn[FN_GC_DISABLE] ? call(e, FN_GC_DISABLE, 0, 0, 0, 0, 0, NULL) : 0;
    if (rc == 0) {
        rc = call(e, FN_DICT_NEW, 0, 0, 0, 0, 0, &e->ns);
    }
    if (rc == 0 && !e->ns) {
        return pt_fail("PyDict_New failed in the copy of the replay");
    }
    if (rc == 0) {
        rc = run(e, BOOTSTRAP, PY_FILE_INPUT, &ret);
        if (rc == 0 && !ret) {
            return pt_fail("the evaluation helpers failed to start in the copy of the replay");
        }
    }
    pt_addr key;
    if (rc == 0 && (rc = put_str(e, "_pytt_bind", &key)) == 0) {
        rc = call(e, FN_DICT_GET, e->ns, key, 0, 0, 0, &bind);
    }
    if (rc == 0) {
        rc = take_exception(e, bind);
    }
    for (size_t i = 0; rc == 0 && i < nbinds; i++) {
        rc = bind_value(e, bind, binds[i].name, binds[i].object);
    }
    uint64_t retval;
    const char *func, *why;
    if (rc == 0 && rep_return_value(e->s, &retval, &func, &why) == 1) {
        rc = bind_value(e, bind, "__return__", retval); /* pdb's name after a return */
    }
    if (rc == 0) {
        e->copy.discard_output = 1; /* the program's own buffered output: not the evaluation's */
        rc = run(e, "_pytt_flush()", PY_EVAL_INPUT, &ret);
        e->copy.discard_output = 0;
    }
    e->keep = e->copy.scratch_used;
    return rc > 0 ? fail_ended(e) : rc;
}

int rep_eval_open(struct rep_session *s, const struct rep_eval_bind *binds, size_t nbinds,
                  struct rep_eval_ctx **out)
{
    struct rep_eval_ctx *e = calloc(1, sizeof *e);
    const struct pyi_thread *threads;
    size_t n, sel;
    struct pyi_session *p = rep_pyi(s);
    *out = NULL;
    if (!e) {
        return pt_fail("out of memory");
    }
    e->s = s;
    e->copy.pid = -1;
    if (!p || pyi_threads(p, &threads, &n) < 0 || pyi_selected_thread(p, &sel) < 0 ||
        find_functions(s, e->fn) < 0) {
        free(e);
        return -1;
    }
    e->ident = threads[sel].thread_id;
    if (rep_copy_open(s, &e->copy, rep_eval_timeout_ns(s)) < 0) {
        free(e);
        return -1;
    }
    if (bootstrap(e, binds, nbinds) < 0) {
        rep_eval_close(e);
        return -1;
    }
    *out = e;
    return 0;
}

void rep_eval_close(struct rep_eval_ctx *e)
{
    if (e) {
        rep_copy_close(&e->copy);
        free(e);
    }
}

/* ---- requests ------------------------------------------------------------------------------- */

static void put_bytes_literal(struct pt_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    pt_buf_put(b, "b'", 2);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\'' && *p != '\\') {
            pt_buf_u8(b, *p);
        } else {
            char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
            pt_buf_put(b, esc, 4);
        }
    }
    pt_buf_u8(b, '\'');
}

static void put_fmt(struct pt_buf *b, const char *fmt, unsigned long long a, unsigned long long c)
{
    char tmp[96];
    int n = snprintf(tmp, sizeof tmp, fmt, a, c);
    pt_buf_put(b, tmp, (size_t)n);
}

static const char mode_char[] = {
    [REP_EVAL_REPR] = 'r',    [REP_EVAL_PPRINT] = 'p', [REP_EVAL_EXEC] = 'x',
    [REP_EVAL_WHATIS] = 'w',  [REP_EVAL_TRUTH] = 't',  [REP_EVAL_STR] = 's',
    [REP_EVAL_INTERACT] = 'i'};

/* Which frame an item means: its index in the selected thread and that frame's code object. */
static int item_frame(struct rep_eval_ctx *e, const struct rep_eval_item *it, size_t *index,
                      pt_addr *code)
{
    struct pyi_session *p = rep_pyi(e->s);
    const struct pyi_frame *frames;
    size_t n;
    if (!p || pyi_frames(p, &frames, &n) < 0) {
        return -1;
    }
    *index = it->frame < 0 ? pyi_frame_selected(p) : (size_t)it->frame;
    if (*index >= n) {
        return pt_fail("no frame %zu", *index);
    }
    *code = frames[*index].code;
    return 0;
}

static int build_request(struct rep_eval_ctx *e, const struct rep_eval_item *items, size_t n,
                         struct pt_buf *src)
{
    put_fmt(src, "_pytt_out = _pytt_main(%llu, [", e->ident, 0);
    for (size_t i = 0; i < n; i++) {
        size_t index = 0;
        pt_addr code = 0;
        if (item_frame(e, &items[i], &index, &code) < 0) {
            return -1;
        }
        put_fmt(src, "('%c', ", (unsigned char)mode_char[items[i].mode], 0);
        put_fmt(src, "%llu, %llu, ", index, code);
        put_bytes_literal(src, items[i].expr);
        pt_buf_put(src, "), ", 3);
    }
    pt_buf_put(src, "])\n", 4); /* with the NUL */
    return 0;
}

/* The answer: per item, a status letter, a decimal length, ':' and that many bytes. */
static int parse_answer(const char *a, size_t len, struct rep_eval_item *items, size_t n)
{
    const char *p = a, *end = a + len;
    for (size_t i = 0; i < n; i++) {
        char *colon;
        if (p >= end || !strchr("vem", *p)) {
            return pt_fail("malformed answer from the copy of the replay");
        }
        char st = *p++;
        unsigned long long k = strtoull(p, &colon, 10);
        if (colon >= end || *colon != ':' || k > (size_t)(end - colon - 1)) {
            return pt_fail("malformed answer from the copy of the replay");
        }
        items[i].status = st == 'v' ? REP_EVAL_VALUE : st == 'e' ? REP_EVAL_RAISED : REP_EVAL_MORE;
        items[i].text = strndup(colon + 1, (size_t)k);
        p = colon + 1 + k;
    }
    return 0;
}

static int read_answer(struct rep_eval_ctx *e, struct rep_eval_item *items, size_t n)
{
    uint64_t obj;
    pt_addr key;
    char *data;
    size_t len;
    int rc = put_str(e, "_pytt_out", &key);
    if (rc == 0) {
        rc = call(e, FN_DICT_GET, e->ns, key, 0, 0, 0, &obj);
    }
    if (rc != 0) {
        return rc > 0 ? fail_ended(e) : -1;
    }
    if (!obj) {
        return pt_fail("the evaluation helpers failed in the copy of the replay");
    }
    if (pyi_bytes_read_from(rep_pyi(e->s), &e->copy.mem, obj, EVAL_ANSWER_MAX, &data, &len) < 0) {
        return pt_wrap("reading the evaluation's answer");
    }
    rc = parse_answer(data, len, items, n);
    free(data);
    return rc;
}

static void fill_report(struct rep_eval_ctx *e, struct rep_eval_report *r)
{
    struct pt_buf *o = &e->copy.out;
    size_t from = (size_t)e->output_from < o->len ? (size_t)e->output_from : o->len;
    r->output_len = o->len - from;
    r->output = malloc(r->output_len + 1);
    if (r->output) {
        if (r->output_len) { /* o->data is NULL when nothing was written */
            memcpy(r->output, o->data + from, r->output_len);
        }
        r->output[r->output_len] = '\0';
    }
    r->output_cut = e->copy.out_cut;
    r->refused = e->copy.refused;
    snprintf(r->refused_first, sizeof r->refused_first, "%s", e->copy.refused_first);
    r->ended = e->copy.end;
    if (r->ended) {
        rep_copy_end_str(&e->copy, r->why, sizeof r->why);
    }
}

int rep_eval_run(struct rep_eval_ctx *e, struct rep_eval_item *items, size_t n,
                 struct rep_eval_report *report)
{
    struct pt_buf src;
    uint64_t ret;
    memset(report, 0, sizeof *report);
    for (size_t i = 0; i < n; i++) {
        items[i].status = REP_EVAL_NOT_RUN;
        items[i].text = NULL;
    }
    if (e->copy.end) {
        fill_report(e, report);
        return 0;
    }
    pt_buf_init(&src);
    e->output_from = (int)e->copy.out.len;
    e->copy.refused = 0; /* counted per request */
    e->copy.refused_first[0] = '\0';
    int rc = build_request(e, items, n, &src);
    if (rc == 0) {
        rc = run(e, (const char *)src.data, PY_FILE_INPUT, &ret);
        if (rc == 0 && !ret) {
            rc = pt_fail("the evaluation helpers failed in the copy of the replay");
        }
    }
    pt_buf_free(&src);
    if (rc == 0) {
        rc = read_answer(e, items, n);
    }
    rep_copy_reset_scratch(&e->copy, e->keep);
    fill_report(e, report);
    return rc > 0 ? 0 : rc; /* the copy ended: the report says how, items stay NOT_RUN */
}

int rep_evaluate(struct rep_session *s, struct rep_eval_item *items, size_t n,
                 const struct rep_eval_bind *binds, size_t nbinds, struct rep_eval_report *report)
{
    struct rep_eval_ctx *e;
    memset(report, 0, sizeof *report);
    if (rep_eval_open(s, binds, nbinds, &e) < 0) {
        return -1;
    }
    int rc = rep_eval_run(e, items, n, report);
    rep_eval_close(e);
    return rc;
}

void rep_eval_items_free(struct rep_eval_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].text);
        items[i].text = NULL;
    }
}

void rep_eval_report_free(struct rep_eval_report *r)
{
    free(r->output);
    r->output = NULL;
}

/* ---- memory first --------------------------------------------------------------------------- */

void rep_set_eval_path(struct rep_session *s, int path)
{
    s->eval_path = path;
}

int rep_eval_path(const struct rep_session *s)
{
    return s->eval_path;
}

/* The built-in evaluator: 1 answered (item filled), 0 needs code, -1 error. */
static int from_memory(struct rep_session *s, struct rep_eval_item *it)
{
    struct pyi_session *p = rep_pyi(s);
    const char *why = NULL;
    char *text = NULL;
    int truth, rc;
    if (!p) {
        return -1;
    }
    if (it->mode == REP_EVAL_TRUTH) {
        rc = pyi_eval_truth(p, 0, it->expr, &truth, &why);
        text = rc == PYI_EVAL_OK ? strdup(truth ? "True" : "False")
               : why             ? strdup(why)
                                 : strdup("this expression");
    } else {
        rc = pyi_eval(p, it->expr, &text, NULL);
    }
    if (rc < 0) {
        return -1;
    }
    if (rc != PYI_EVAL_OK && s->eval_path != REP_PATH_MEMORY) {
        free(text);
        return 0;
    }
    it->status = rc == PYI_EVAL_OK ? REP_EVAL_VALUE : REP_EVAL_RAISED;
    it->text = text;
    return 1;
}

int rep_eval_expr_memory(struct rep_session *s, struct rep_eval_item *item)
{
    item->text = NULL;
    item->status = REP_EVAL_NOT_RUN;
    if (item->frame >= 0 || (item->mode != REP_EVAL_REPR && item->mode != REP_EVAL_TRUTH)) {
        return 0;
    }
    return from_memory(s, item);
}

int rep_eval_expr(struct rep_session *s, struct rep_eval_item *item, struct rep_eval_report *report)
{
    memset(report, 0, sizeof *report);
    item->text = NULL;
    item->status = REP_EVAL_NOT_RUN;
    int memory_ok = (item->mode == REP_EVAL_REPR || item->mode == REP_EVAL_TRUTH) &&
                    item->frame < 0 && s->eval_path != REP_PATH_COPY;
    if (memory_ok) {
        int rc = from_memory(s, item);
        if (rc != 0) {
            report->from_memory = 1;
            return rc < 0 ? -1 : 0;
        }
    }
    return rep_evaluate(s, item, 1, NULL, 0, report);
}

/* ---- repr() of objects by address ----------------------------------------------------------- */

int rep_repr_objects(struct rep_session *s, const uint64_t *objs, size_t n, char **texts,
                     struct rep_eval_report *report)
{
    struct rep_eval_bind *binds = calloc(n ? n : 1, sizeof *binds);
    struct rep_eval_item *items = calloc(n ? n : 1, sizeof *items);
    char(*names)[32] = calloc(n ? n : 1, sizeof *names);
    int rc = -1;
    memset(report, 0, sizeof *report);
    if (binds && items && names) {
        for (size_t i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "_pytt_o%zu", i);
            binds[i] = (struct rep_eval_bind){names[i], objs[i]};
            items[i] = (struct rep_eval_item){REP_EVAL_REPR, names[i], -1, 0, NULL};
        }
        rc = rep_evaluate(s, items, n, binds, n, report);
    }
    for (size_t i = 0; i < n; i++) {
        texts[i] = NULL;
        if (rc == 0 && items[i].status == REP_EVAL_VALUE) {
            texts[i] = items[i].text;
            items[i].text = NULL;
        } else if (rc == 0 && items[i].status == REP_EVAL_RAISED) {
            const char *last = strrchr(items[i].text, '\n');
            if (asprintf(&texts[i], "<repr() raised %s>", last ? last + 1 : items[i].text) < 0) {
                texts[i] = NULL;
            }
        } else if (rc == 0 && asprintf(&texts[i], "<repr() not evaluated: %s>", report->why) < 0) {
            texts[i] = NULL;
        }
    }
    if (items) {
        rep_eval_items_free(items, n);
    }
    free(binds);
    free(items);
    free(names);
    return rc;
}
