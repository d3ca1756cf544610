/*
 * pyintrospect: reading Python state (threads, frames, locals, values, source, bytecode) out of
 * a stopped CPython process, using only its memory and the interpreter's DWARF debug info.
 * Nothing ever runs inside the inspected process.
 *
 * A session (pyi_open) finds the module that holds `_PyRuntime` (the python executable or
 * libpython), its DWARF (inside the file or found by build-id under /usr/lib/debug, or under
 * $PYTT_DEBUG_DIR), the CPython version, and resolves every struct member it will read by name.
 * That is done once. Everything learnt from the tracee's memory after that (threads, frames,
 * code objects) is cached until pyi_invalidate() (or re-checked after pyi_refresh()), which the
 * caller must call whenever the tracee has run. pyi_set_target() points the session at another
 * process with the same layout (a fork of it: a snapshot or a restored checkpoint).
 *
 * The session has a selected thread and a selected frame (frame 0 = innermost), as gdb's:
 * the print, locals, list and dis functions work on the selected frame.
 *
 * Errors: functions return -1 (or NULL) and set the message in common/pt_error.h (pt_errmsg()).
 * Output goes to a caller-supplied FILE *. Memory that cannot be read inside a value prints as
 * `<unreadable ...>` rather than failing the whole command.
 *
 * Supported: CPython 3.10, 3.11, 3.12 and 3.13 (one version layer each, pyi_v3XX.c, chosen
 * once per session). Other versions give a clear "unsupported" error naming these.
 */
#ifndef PYINTROSPECT_H
#define PYINTROSPECT_H

#include "common/pt_mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct pyi_session;

/* ---- session -------------------------------------------------------------------------------- */

/* Open a session on process pid (which must stay stopped while pyintrospect reads it), reading
 * its memory through mem (which must outlive the session or be replaced by pyi_set_target). */
int pyi_open(struct pyi_session **out, pid_t pid, struct pt_mem *mem);
/* The same, looking for separate debug files under debug_root first (a packed trace's). */
int pyi_open_with_debug(struct pyi_session **out, pid_t pid, struct pt_mem *mem,
                        const char *debug_root);

/* Where source text comes from. By default, the file named by co_filename on disk (as
 * linecache reads it). A provider (a replay's trace, which recorded the sources that ran) is
 * asked first: it returns PYI_SRC_TEXT with the text (owned by the provider, valid for the
 * session), PYI_SRC_NONE when the file must not be read from disk (it changed since the
 * recording and its text was not kept), or PYI_SRC_DISK to read the disk; *note, if set, is
 * said once when the file is listed ("the file on disk differs: showing the recorded source"). */
enum { PYI_SRC_DISK = 0, PYI_SRC_TEXT = 1, PYI_SRC_NONE = 2 };
typedef int (*pyi_source_fn)(void *ctx, const char *file, const char **text, size_t *len,
                             const char **note);
void pyi_set_source_provider(struct pyi_session *s, pyi_source_fn fn, void *ctx);
/* The id the program knows a thread of the inspected process by, for a version whose thread
 * states do not name their thread (3.10: found among the tasks): a replay's tasks have other
 * ids than the recording's, which the program saw (gettid is replayed). NULL: the same id. */
typedef pid_t (*pyi_tid_fn)(void *ctx, pid_t tid);
void pyi_set_tid_map(struct pyi_session *s, pyi_tid_fn fn, void *ctx);
void pyi_close(struct pyi_session *s);
/* Point the session at another process with the identical address-space layout (a fork of the
 * same process). Implies pyi_refresh(). */
int pyi_set_target(struct pyi_session *s, pid_t pid, struct pt_mem *mem);
/* Forget everything read from the tracee's memory (threads, frames, code objects); keeps DWARF
 * and layout. Call it whenever the tracee has run. The selected thread is kept (by native
 * thread id) when it still exists; the selected frame goes back to 0. */
void pyi_invalidate(struct pyi_session *s);
/* The same for a stop on a hot path (a replay trapping many dispatches in a row): threads and
 * frames are forgotten, but code objects stay cached and are re-checked once each before
 * their next use (their identifying members, line table and de-quickened bytecode compared
 * with the tracee's: two reads instead of reading the whole code object again). */
void pyi_refresh(struct pyi_session *s);
/* "3.11.2" */
const char *pyi_version(const struct pyi_session *s);
/* CPython 3.13+ export their own offsets table (_Py_DebugOffsets); pyi_open compares it with
 * DWARF. *checked: members compared (0 before 3.13), *differ: how many disagree; returns a
 * description of the disagreements ("" if none). pyintrospect uses DWARF either way. */
const char *pyi_layout_check(const struct pyi_session *s, int *checked, int *differ);
/* Where the session's layout came from: DWARF (and whether it was stored in the layout cache)
 * or that cache (pyi_layout_cache.c), with the file. */
const char *pyi_layout_source(const struct pyi_session *s);
/* Do code objects carry a qualified name (3.11+)? Without (3.10), pyi_pos.qualname is co_name
 * and `Class.method` can only be matched by its plain name. */
bool pyi_has_qualnames(struct pyi_session *s);
/* Path of the module holding _PyRuntime (the executable or libpython). */
const char *pyi_python_module(const struct pyi_session *s);

/* ---- value rendering options ---------------------------------------------------------------- */
struct pyi_repr_opts {
    size_t max_items; /* items shown per container (list, tuple, dict, set); 0 = no limit */
    size_t max_str;   /* characters of a str / bytes shown; 0 = no limit */
    int max_depth;    /* nesting depth before a container prints as `...`; 0 = no limit */
};
/* Defaults: 10000 items, 100000 characters, depth 200. A container or string cut at a cap ends
 * with "...(truncated)" (e.g. `[0, 1, ...(truncated)]`); deeper nesting prints `...`. */
extern const struct pyi_repr_opts pyi_repr_defaults;
void pyi_set_repr_opts(struct pyi_session *s, const struct pyi_repr_opts *opts);
void pyi_get_repr_opts(const struct pyi_session *s, struct pyi_repr_opts *opts);

/* repr() of the object at addr, as Python's own repr() would print it where pyintrospect knows
 * how (see docs/pyintrospect.md); malloc'd UTF-8. Unreadable memory gives `<unreadable ...>`
 * inside the text, not an error. */
int pyi_repr(struct pyi_session *s, pt_addr obj, char **out);

/* ---- threads -------------------------------------------------------------------------------- */
struct pyi_thread {
    pt_addr tstate;          /* PyThreadState */
    unsigned long thread_id; /* threading.get_ident() */
    pid_t native_tid;        /* OS thread id (0 if unknown) */
    bool holds_gil;
    pt_addr top_frame; /* innermost interpreter frame (0: none) */
};
/* Python threads of the main interpreter, newest first (as PyInterpreterState.threads). The
 * array belongs to the session and is valid until pyi_invalidate. */
int pyi_threads(struct pyi_session *s, const struct pyi_thread **out, size_t *n);
int pyi_select_thread(struct pyi_session *s, size_t index);
/* Select the thread whose native id is tid. */
int pyi_select_thread_tid(struct pyi_session *s, pid_t tid);
/* Index of the selected thread (default: the GIL holder, else the main thread). */
int pyi_selected_thread(struct pyi_session *s, size_t *index);
/* The name `threading` knows the thread by (threading._active[ident]._name): malloc'd in *name,
 * or NULL when threading is not imported or did not start that thread. */
int pyi_thread_name(struct pyi_session *s, size_t index, char **name);
/* `info threads`: one line per thread, `*` on the selected one. */
int pyi_print_threads(struct pyi_session *s, FILE *out);

/* ---- frames of the selected thread ---------------------------------------------------------- */
struct pyi_frame {
    pt_addr iframe; /* the interpreter frame (3.10: PyFrameObject, then _PyInterpreterFrame) */
    pt_addr code;   /* PyCodeObject */
    const char *filename; /* co_filename */
    const char *funcname; /* co_name (what py-bt and tracebacks print) */
    const char *qualname; /* co_qualname */
    int line;             /* current line (PyFrame_GetLineNumber); -1 if unknown */
    int lasti;            /* offset in bytes of the current instruction (frame.f_lasti) */
    int native_index;     /* which _PyEval_EvalFrameDefault call runs it: 0 = innermost */
    bool is_entry;        /* first frame that C call runs */
};
/* Python frames of the selected thread, innermost first; incomplete frames are skipped as
 * CPython does. Valid until pyi_invalidate. */
int pyi_frames(struct pyi_session *s, const struct pyi_frame **out, size_t *n);
/* The innermost Python frame of thread index (as pyi_frames would give it if that thread were
 * selected), the selection unchanged: 1 with *out filled (strings valid until pyi_invalidate),
 * 0 when the thread has no Python frame. */
int pyi_thread_top(struct pyi_session *s, size_t index, struct pyi_frame *out);
/* Frame selection (gdb's frame N / up N / down N); out-of-range moves stop at the ends and
 * fail with a message like gdb's. */
int pyi_frame_select(struct pyi_session *s, size_t index);
int pyi_frame_up(struct pyi_session *s, size_t n);
int pyi_frame_down(struct pyi_session *s, size_t n);
size_t pyi_frame_selected(struct pyi_session *s);

/* ---- data for front ends (pyi_views.c) --------------------------------------------------- */
/* The selected frame's locals, as pyi_print_locals shows them (same order, same rules); fn
 * returns non-zero to stop. */
int pyi_each_local(struct pyi_session *s, int (*fn)(void *ctx, const char *name, pt_addr value),
                   void *ctx);
/* Globals of the selected frame's module as pyi_print_globals shows them (dict order, without
 * dunder names). */
int pyi_each_global(struct pyi_session *s, int (*fn)(void *ctx, const char *name, pt_addr value),
                    void *ctx);
/* Values with children, for variable views that expand: a list's or tuple's items (named "0",
 * "1", ...), a set's elements (in table order), a dict's entries (named by repr() of the key)
 * or an instance's attributes (its __dict__ or inline values). */
enum { PYI_CHILD_NONE, PYI_CHILD_ITEMS, PYI_CHILD_SET, PYI_CHILD_ENTRIES, PYI_CHILD_ATTRS };
struct pyi_value_info {
    char type[128];   /* tp_name */
    int kind;         /* PYI_CHILD_*: NONE when there is nothing to expand */
    size_t nchildren; /* how many */
};
int pyi_value_info(struct pyi_session *s, pt_addr obj, struct pyi_value_info *out);
/* Children start .. start+count-1 (count 0: all) of obj, in the order above: fn gets the name,
 * the key object (dict entries; 0 otherwise) and the value; non-zero stops. */
int pyi_each_child(struct pyi_session *s, pt_addr obj, size_t start, size_t count,
                   int (*fn)(void *ctx, const char *name, pt_addr key, pt_addr value), void *ctx);
/* Every name the selected frame can see: its locals, then its globals, then the builtins
 * (a name may come more than once). */
int pyi_scope_names(struct pyi_session *s, int (*fn)(void *ctx, const char *name), void *ctx);
/* `dis` as rows: fn gets each line pyi_print_dis_code prints (without its newline; "" for the
 * blank line before a new source line) and whether it is the current instruction's. */
int pyi_dis_each(struct pyi_session *s, pt_addr code, int lasti,
                 int (*fn)(void *ctx, const char *text, bool current), void *ctx);

/* ---- formatting (all write to out) ---------------------------------------------------------- */
enum {
    PYI_BT_LOCALS = 1 << 0,   /* bt -full: locals under each frame */
    PYI_BT_NATIVE = 1 << 1,   /* bt -native: native frames, _PyEval_EvalFrameDefault expanded */
    PYI_BT_NOSOURCE = 1 << 2, /* no source line under each frame */
};
/* `#N FILE:LINE in FUNC` then the stripped source line indented by 4 (as traceback prints it),
 * innermost first; with PYI_BT_LOCALS each frame's locals follow, indented by 8. */
int pyi_print_bt(struct pyi_session *s, FILE *out, unsigned flags);
/* One frame's header line, as bt prints it. */
int pyi_print_frame(struct pyi_session *s, FILE *out, size_t index);
/* Locals of the selected frame: `name = repr` per line in co_varnames order, then cells and
 * free variables (their cell contents); unbound locals are skipped, like frame.f_locals. */
int pyi_print_locals(struct pyi_session *s, FILE *out);
/* pdb's `args`: the selected frame's arguments (positional, keyword-only, *args, **kwargs) as
 * `name = repr`, `name = *** undefined ***` for an unbound one. */
int pyi_print_args(struct pyi_session *s, FILE *out);
/* Globals of the selected frame's module, in dict order, without dunder names. */
int pyi_print_globals(struct pyi_session *s, FILE *out);
/* The built-in evaluator (pyi_eval.c): a Python expression evaluated on the selected frame from
 * memory, without running code, wherever that gives exactly Python's answer: names (local ->
 * cell/free -> global -> builtins), plain attributes, subscripts of exact lists/tuples/strs/
 * dicts, int/float/str/bool arithmetic and comparisons, `is`, `in`, and/or/not. Anything else
 * (calls, properties and other descriptors, __getattr__, objects whose repr() is Python code,
 * errors) "needs code": the caller then evaluates in the interpreter (replayer/rep_eval.c). */
enum { PYI_EVAL_OK = 0, PYI_EVAL_NEEDS_CODE = 2 };
/* PYI_EVAL_OK: *text = repr(value) (malloc'd), *addr (may be NULL) = the object (0 for a value
 * computed by pytt); PYI_EVAL_NEEDS_CODE: *text says what needed code; -1 on a memory error. */
int pyi_eval(struct pyi_session *s, const char *expr, char **text, pt_addr *addr);
/* The same in the frame at address frame (a dispatch's frame register) instead of the selected
 * one: no thread or stack walk (retroactive tracepoints evaluate at every hit). */
int pyi_eval_in(struct pyi_session *s, pt_addr frame, const char *expr, char **text, pt_addr *addr);
/* EXPR evaluated from memory in the frame at address frame (0: the selected frame;
 * PYI_NO_FRAME: no frame, only the bound names exist), names in binds looked up first.
 * PYI_EVAL_OK: *obj = the object (0 for a value pytt computed: *text = its repr);
 * PYI_EVAL_NEEDS_CODE: *text says what needed code (a missing name, attribute or key too);
 * -1 on a memory error. *text is malloc'd (may be NULL when *obj is set). */
#define PYI_NO_FRAME ((pt_addr)-1)
struct pyi_bind {
    const char *name;
    pt_addr obj;
};
int pyi_eval_bound(struct pyi_session *s, pt_addr frame, const char *expr,
                   const struct pyi_bind *binds, size_t nbinds, pt_addr *obj, char **text);
/* bool(EXPR) in the interpreter frame at address frame (0: the selected frame): PYI_EVAL_OK with
 * *truth, PYI_EVAL_NEEDS_CODE with *why, or -1. */
int pyi_eval_truth(struct pyi_session *s, pt_addr frame, const char *expr, int *truth,
                   const char **why);
/* Prints the value as pyintrospect renders it from memory (inexact values in their default
 * form, see below) or what needed code; returns like pyi_eval. For tests and tools. */
int pyi_print_expr(struct pyi_session *s, FILE *out, const char *expr);

/* A breakpoint condition lowered for checking inside the tracee (common/pt_cond.h) at an
 * instruction of `code`: 1 when some of it can be decided there (out, layout filled), 0 when
 * none can (or this version's ints are not readable there), -1 on error. frame: the frame of a
 * hit (0 if none), whose objects tell the classes of `local.attr` operands (without one they
 * stay undecided). */
struct pt_cond;
struct pt_cond_layout;
int pyi_cond_lower(struct pyi_session *s, pt_addr code, pt_addr frame, const char *expr,
                   struct pt_cond *out, struct pt_cond_layout *layout);

/* Tracepoints logged inside the tracee (common/pt_tlog.h). pyi_tlog_layout: the object layout
 * the log copies with (1; 0 when this version's objects cannot be logged). pyi_tlog_lower: the
 * program for the traced instruction instr of code (frame: a hit's frame, whose objects plan
 * attribute chains; 0 if none): 1 when every hit there can be logged (each expression a fast
 * local or an attribute chain from one, and every dispatch of instr a 'line' event), 0 when not,
 * -1 on error. pyi_tlog_site: the line and qualified name of instr. pyi_repr_copy: repr() of
 * the object at obj made from len bytes copied from it (what `print` shows of it). */
struct pt_tlog;
struct pt_tlog_layout;
int pyi_tlog_layout(struct pyi_session *s, struct pt_tlog_layout *layout);
int pyi_tlog_lower(struct pyi_session *s, pt_addr code, pt_addr instr, pt_addr frame,
                   const char *const *exprs, size_t n, struct pt_tlog *out,
                   struct pt_tlog_layout *layout);
int pyi_tlog_site(struct pyi_session *s, pt_addr code, pt_addr instr, int *line, char *qualname,
                  size_t cap);
int pyi_repr_copy(struct pyi_session *s, pt_addr obj, const void *copy, size_t len, char **text);
/* The names of code's arguments, as pdb's `args` lists them (pyi_print_args), into names: how
 * many (0 when more than max or one is too long), -1 on error. */
#define PYI_TLOG_NAME 64
int pyi_tlog_args(struct pyi_session *s, pt_addr code, char names[][PYI_TLOG_NAME], int max);

/* ---- values whose repr() needs code --------------------------------------------------------- */
/* pyintrospect renders what it can compute exactly. An object whose class (or a base) defines its
 * own __repr__ (namedtuples, enums, dataclasses, datetime, deque, Decimal, numpy...), a value cut
 * at a cap, or unreadable memory is "inexact": by default it is shown as object.__repr__ would
 * (`<mod.Cls object at 0x...>`); with PYI_REPR_STRUCTURAL it is built from its fields instead
 * (`P(x=1, y=2)`, `<Color.RED: 1>`, `Cls(attr=value, ...)`). */
enum {
    PYI_REPR_STRUCTURAL = 1 << 0, /* flag: build inexact objects from their fields */
    PYI_REPR_INEXACT = 1 << 0,    /* result: some part is not what repr() prints */
    PYI_REPR_BUILT = 1 << 1,      /* result: some part was built from fields */
};
int pyi_repr_flags(struct pyi_session *s, pt_addr obj, unsigned flags, char **out, unsigned *what);
/* How locals/globals/bt -full/dump render values (default 0): PYI_REPR_STRUCTURAL makes them
 * build inexact values from fields and mark the line `# built from fields, not repr()`. */
void pyi_set_value_style(struct pyi_session *s, unsigned flags);
/* The exact repr of some objects, from elsewhere (the interpreter): used wherever those objects
 * are rendered, until cleared. */
int pyi_set_repr_overrides(struct pyi_session *s, const pt_addr *objs, char *const *texts,
                           size_t n);
void pyi_clear_repr_overrides(struct pyi_session *s);
/* While collecting, the printing functions (locals, globals, bt -full) note every value they
 * print whose rendering is inexact. */
void pyi_collect_inexact(struct pyi_session *s, bool on);
size_t pyi_inexact_values(struct pyi_session *s, const pt_addr **objs);
/* `list`: pdb's format, `->` on the current line. first=last=0: 11 lines around the current
 * line; last < first: last is a count. Source is read from co_filename on disk. */
int pyi_print_list(struct pyi_session *s, FILE *out, int first, int last);
/* The lines pdb's longlist shows for a code object (inspect.getsourcelines): a module's whole
 * file; a function's or class's block from its decorators to its last statement. */
int pyi_code_source_block(struct pyi_session *s, pt_addr code, int *first, int *last);
/* `dis`: the selected frame's code as dis.disassemble(code, lasti) prints it (de-quickened,
 * CACHE entries hidden, `-->` on the current instruction, exception table). When f_lasti is
 * one of an instruction's inline caches (a frame suspended in a Python-to-Python CALL), the
 * instruction owning that cache gets the `-->`, where dis.disassemble would mark nothing. */
int pyi_print_dis(struct pyi_session *s, FILE *out);
/* dis of any code object (lasti -1: no marker). */
int pyi_print_dis_code(struct pyi_session *s, FILE *out, pt_addr code, int lasti);
/* All threads with their stacks (and locals with PYI_BT_LOCALS), as `py-spy dump` does. */
int pyi_print_dump(struct pyi_session *s, FILE *out, unsigned flags);

/* ---- data locations (pyi_watch.c): what `watch`, `last` and `history` follow ------------- */
/* An expression resolved once, at the moment it is set, to the place its value lives:
 *   LOCAL   a fast local (or cell) NAME of the functions running `code` (every call of it);
 *   GLOBAL  key NAME of the module dict `obj` (a bare name at module level, or not a local);
 *   ATTR    attribute NAME of the object `obj` (what `X.NAME` named then);
 *   ITEM    item KEY of the container `obj`: `key` the key object, or keytext a literal.
 * Reading it later gives its value's text (repr(), built from fields where repr() needs code,
 * so changes inside an instance show), or a note in <...> when it has none (unbound, no such
 * attribute or key; <no object> while obj's address holds no object of its type). Changes in
 * place count: the text is the value's, not the reference's. */
enum { PYI_LOC_LOCAL = 1, PYI_LOC_GLOBAL, PYI_LOC_ATTR, PYI_LOC_ITEM };
struct pyi_loc {
    int kind;
    pt_addr code;      /* LOCAL */
    pt_addr obj;       /* GLOBAL: the dict; ATTR, ITEM: the object */
    pt_addr key;       /* ITEM: the key object (0: keytext) */
    pt_addr type;      /* obj's type when resolved: another type there later reads as
                        * <no object> (before it is made, after it is freed) */
    char name[256];    /* LOCAL, GLOBAL, ATTR */
    char keytext[256]; /* ITEM with a literal key (an int or str pytt computed) */
    char func[256];    /* LOCAL: the function's qualified name, for messages */
    /* ATTR, ITEM named through a global (NAME.attr where NAME is not a local): the path is
     * evaluated again at every read from module dict rootdict's entry root (gdb's rule for an
     * expression: `lst[1]` follows `lst` when it is rebound, and before `lst` exists it is
     * <not defined>); prefix is the expression before the last accessor. Through a local, the
     * object it names when set is followed (obj). */
    pt_addr rootdict;
    char root[256];
    char prefix[512];
};
/* Resolve expr (NAME, NAME.attr..., NAME[key]...) in the selected frame. Fails with what was
 * wrong: an expression that is not a name followed by .attr / [key], a prefix that cannot be
 * read from memory, a value that needs code to read (a property). */
int pyi_loc_resolve(struct pyi_session *s, const char *expr, struct pyi_loc *out);
/* The same with the path's first name taken from the selected frame's module globals even
 * where a local of the same name hides it (an entry of a Globals view). */
int pyi_loc_resolve_global(struct pyi_session *s, const char *expr, struct pyi_loc *out);
/* The place in words: "local x of f (every call)", "global x", "attribute of plain, through
 * the global plain", "item of the object at 0x...". */
void pyi_loc_describe(const struct pyi_loc *loc, char *buf, size_t cap);
/* The value now: 1 with *text (malloc'd) when it has one, 0 with *text a note (<unbound>...),
 * -1 on error. LOCAL reads the frame at address frame (which must run loc->code). */
int pyi_loc_read(struct pyi_session *s, const struct pyi_loc *loc, pt_addr frame, char **text);
/* The memory words whose writes are the only way the place's value can change now (for
 * hardware watchpoints, pyi_slots.c): 1 with out->addr[0..n), 0 when the place cannot be
 * covered by PYI_SLOTS_MAX words (out->why says why: a local, a mutable value, ...), -1 on
 * error. Valid until one of the words is written: then ask again. */
#define PYI_SLOTS_MAX 4
struct pyi_slots {
    pt_addr addr[PYI_SLOTS_MAX];
    int n;
    char why[160];
};
int pyi_loc_slots(struct pyi_session *s, const struct pyi_loc *loc, struct pyi_slots *out);

/* ---- native code ---------------------------------------------------------------------------- */
/* The native pc of the selected thread (needs the thread ptrace-stopped). */
int pyi_native_pc(struct pyi_session *s, pt_addr *pc);
/* `x/Ni ADDR`: count instructions from addr (capstone, AT&T syntax as gdb), `=>` on pc. */
int pyi_print_native_disas(struct pyi_session *s, FILE *out, pt_addr addr, int count, pt_addr pc);
/* `disas`: the function containing pc (at most 2000 instructions). */
int pyi_print_native_function(struct pyi_session *s, FILE *out, pt_addr pc);

/* ---- line tables (for stepping by Python line) ---------------------------------------------- */
struct pyi_code_info {
    const char *filename, *name, *qualname;
    int firstlineno;
    size_t ncodeunits;  /* bytecode length in code units (2 bytes each) */
    int firsttraceable; /* offset in bytes of the first traceable instruction */
};
/* The code object of obj: obj itself if it is a code object, a function's __code__, or the
 * __code__ of a bound method's function. */
int pyi_code_of(struct pyi_session *s, pt_addr obj, pt_addr *code);
/* The code object's identity (strings valid until pyi_invalidate). */
int pyi_code_info(struct pyi_session *s, pt_addr code, struct pyi_code_info *out);
/* Line of the instruction at byte offset (PyCode_Addr2Line): -1 = no line; offset < 0 gives
 * co_firstlineno. Returns 0 or -1 on error. */
int pyi_code_addr2line(struct pyi_session *s, pt_addr code, int offset, int *line);

/* One instruction of a code object (CACHE entries are not instructions). */
struct pyi_instr {
    int offset;       /* bytes */
    int line;         /* -1 = none */
    int opcode;       /* de-quickened */
    bool line_start;  /* dis.findlinestarts lists it */
    bool seq_event;   /* reached by falling through from the previous instruction, CPython
                       * reports a 'line' event here (line differs from the previous
                       * instruction's, or the previous is before the first traceable one) */
    bool jump_target; /* a jump or exception handler can land here: a 'line' event is then
                       * possible too (see pyi_code_line_event) */
    bool traced;      /* the tracing machinery sees it at all (not after EXTENDED_ARG, not
                       * before _co_firsttraceable, not RESUME) */
};
/* Iterate the instructions of a code object: *it starts at 0; returns 1 with *out filled, 0 at
 * the end, -1 on error. */
int pyi_code_next_instr(struct pyi_session *s, pt_addr code, size_t *it, struct pyi_instr *out);
/* The exact dynamic rule (ceval's maybe_call_line_trace): executing the instruction at byte
 * offset cur right after the one at prev (the previous instruction started in this frame, -2
 * for "just entered"), does CPython report a 'line' event? Returns 1 / 0, -1 on error. */
int pyi_code_line_event(struct pyi_session *s, pt_addr code, int prev, int cur);

/* ---- navigation (pyi_nav.c): stepping by line and breakpoints ---------------------------- */
/* Which registers (hardware numbers: 0 rax, 1 rcx, 2 rdx, 3 rbx, ..., 15 r15) hold next_instr
 * and the frame pointer at every bytecode dispatch; handlers[i] is opcode i's handler. Found by
 * decoding the interpreter's code (the handlers' first store to the frame, or 3.10's dispatch
 * sites), never assumed. */
int pyi_dispatch_regs(struct pyi_session *s, const uint64_t handlers[256], int *instr_reg,
                      int *frame_reg);
/* Mark in family[] every opcode an instruction whose opcode is now `op` can be dispatched as
 * later: its specialized and instrumented forms and its base (pytt's sparse watch tables, which
 * route only those through a watch trampoline), and the opcodes that stand for another one
 * (3.12+'s INSTRUMENTED_LINE/INSTRUCTION). Fails for those two: their instruction's own
 * opcode is elsewhere. */
int pyi_opcode_family(struct pyi_session *s, int op, uint8_t family[256]);
/* Does this version's frame forget its previous instruction by the time of a dispatch (3.10)?
 * Then the caller tells pyi_position the last dispatch it saw (struct pyi_dispatch.last_*). */
bool pyi_needs_last_dispatch(const struct pyi_session *s);
/* Then, the offset of the frame member that is non-zero while sys.settrace traces the frame
 * (3.10: f_trace), -1 if none: the last dispatch of a traced frame is also kept apart, since
 * a trace function's own instructions (untraced) run between two of its instructions. */
int64_t pyi_frame_traced_offset(const struct pyi_session *s);
/* A dispatch: the registers at a clock trap, and the opcode whose trampoline trapped. */
struct pyi_dispatch {
    pt_addr frame, next_instr; /* the dispatch registers (pyi_dispatch_regs) */
    int opcode;                /* the opcode dispatched (raw: specialized, instrumented...) */
    /* the dispatch before it, and the last dispatch of a traced frame, when
     * pyi_needs_last_dispatch: 0 if unknown */
    pt_addr last_frame, last_instr, traced_frame, traced_instr;
};
/* Where Python is at a dispatch: the frame about to run the instruction at next_instr. */
struct pyi_pos {
    pt_addr frame, code, previous; /* previous: the calling Python frame (0 for the outermost) */
    pt_addr instr;                 /* the dispatch value of the instruction (what a breakpoint
                                    * address from pyi_code_line_addrs is compared with) */
    int cur;                       /* byte offset of the instruction about to run */
    int prev;                      /* byte offset of the frame's previous instruction, -2 if none */
    int line;                      /* line of cur, -1 if none */
    int line_of_prev;              /* line of prev, -1 if none */
    int opcode;                    /* de-quickened opcode at cur */
    bool line_event;               /* sys.settrace would report a 'line' event here */
    bool frame_start;              /* the frame starts here (3.11+: RESUME; 3.10: offset 0) */
    bool c_stack;                  /* 3.12+: the eval loop's own instructions in a frame the C
                                    * stack owns (returning to C), not Python code */
    char filename[1024];           /* co_filename */
    char name[256];                /* co_name */
    char qualname[512];            /* co_qualname (3.10: co_name) */
};
int pyi_position(struct pyi_session *s, const struct pyi_dispatch *d, struct pyi_pos *out);
/* Make a stop visible: every view of the frame (line, dis, locals) shows the instruction about
 * to run. Where it is invisible to the program, the frame's instruction member is set as the
 * handler itself sets it first (3.11/3.12 prev_instr, 3.13 instr_ptr; 3.10's f_lasti already
 * is); where the handler reads it first (3.11's DO_TRACING, 3.12+'s INSTRUMENTED_LINE) or the
 * instruction has no line (an exception handler's start: the frame keeps showing the
 * instruction it came from), the session only remembers it until the next pyi_refresh. Drops
 * what was read from the tracee (as pyi_invalidate). */
int pyi_present(struct pyi_session *s, const struct pyi_dispatch *d, const struct pyi_pos *pos);
/* Is a sys.settrace/setprofile/sys.monitoring callback running (tstate->tracing)? CPython
 * reports no events in its code, and pyi_position no line events. */
bool pyi_in_callback(struct pyi_session *s);
/* The frame and its callers (Python frames only), innermost first, at most max. */
int pyi_frame_callers(struct pyi_session *s, pt_addr frame, pt_addr *out, size_t max, size_t *n);
/* How to trap a frame starting (pending breakpoints, the main script's start): opcodes whose
 * every dispatch to trap (3.11+: RESUME and its specialized or instrumented forms), or the
 * offset of a 32-bit frame member that is 0 then (3.10: f_lasti; -1 if unused). */
int pyi_frame_start_watch(struct pyi_session *s, uint8_t trap_op[256], int64_t *zero_off);
/* Call fn for each code object of source file `filename` (NULL: of any file) that exists now
 * (reachable from the stack and from loaded modules' functions and classes, nested code through
 * co_consts); fn returns non-zero to stop. Returns 1 if stopped, 0 otherwise. */
int pyi_find_code(struct pyi_session *s, const char *filename, int (*fn)(void *ctx, pt_addr code),
                  void *ctx);
/* Call fn with the __file__ of each loaded module (sys.modules order; modules without one
 * skipped): a few reads per module, where pyi_find_code(NULL) reads every code object. fn
 * returns non-zero to stop. Returns 1 if stopped, 0 otherwise. */
int pyi_module_files(struct pyi_session *s, int (*fn)(void *ctx, const char *file), void *ctx);
/* The same, from one code object and the code nested in it (co_consts). */
int pyi_find_code_in(struct pyi_session *s, pt_addr root, const char *filename,
                     int (*fn)(void *ctx, pt_addr code), void *ctx);
/* The instructions of `code` where a 'line' event for `line` can fire, as dispatch values
 * (pyi_pos.instr). */
int pyi_code_line_addrs(struct pyi_session *s, pt_addr code, int line, pt_addr *addrs, size_t max,
                        size_t *n);
/* Address of the instruction at byte offset `offset` of `code` (what next_instr holds there). */
int pyi_code_instr_addr(struct pyi_session *s, pt_addr code, int offset, pt_addr *addr);
/* The first instruction of `code` that reports a 'line' event, and its line. */
int pyi_code_first_line_addr(struct pyi_session *s, pt_addr code, pt_addr *addr, int *line);
/* Line `line` of source file `file` (no newline), or NULL; owned by the session. */
const char *pyi_source_text(struct pyi_session *s, const char *file, int line, size_t *len);
/* The dispatch value (as pyi_pos.instr) of the instruction a frame is executing (or last
 * executed): for a caller, its call. */
int pyi_frame_instr(struct pyi_session *s, pt_addr frame, pt_addr *instr);
/* The least that tells a frame apart, cheaply: its Python caller, co_name and (if fcap)
 * co_filename. */
int pyi_frame_brief(struct pyi_session *s, pt_addr frame, pt_addr *previous, char *name,
                    size_t ncap, char *file, size_t fcap);
/* Is the co_name of the code a frame runs `name`? The fewest reads (no caller, no copy of the
 * name): for checking many frame starts in a row. */
int pyi_frame_name_is(struct pyi_session *s, pt_addr frame, const char *name, bool *eq);
/* co_name and co_filename of the code a frame runs. */
int pyi_frame_code_name(struct pyi_session *s, pt_addr frame, char *name, size_t ncap, char *file,
                        size_t fcap);
/* Address of a function or object of the interpreter, by symbol name. */
int pyi_symbol_addr(struct pyi_session *s, const char *name, pt_addr *addr);
/* The exception the selected thread is raising: its type name (tp_name), and whether it has
 * no traceback yet (the frame where it is raised, not one it passes). */
int pyi_raised_exception(struct pyi_session *s, char *type_name, size_t cap, bool *fresh);
/* The frame object (PyFrameObject, 0 if none was made) of the innermost frame: at a raise, what
 * PyTraceBack_Here records in the traceback entry it adds. */
int pyi_raising_frame_object(struct pyi_session *s, pt_addr *frame_obj);
/* The exception that ended the program, as the interpreter left it for post-mortem debugging
 * (sys.last_traceback, sys.last_type): the frame object of its traceback's innermost entry
 * (where it was raised) and its type name. Returns 1, or 0 if there is none, -1 on error. */
int pyi_uncaught(struct pyi_session *s, pt_addr *frame_obj, char *type_name, size_t cap);
/* Which register holds the value stack pointer at every handler entry (found in POP_TOP's
 * handler, which loads [REG - 8] and moves REG down by 8). */
int pyi_stack_reg(struct pyi_session *s, const uint64_t handlers[256], int *stack_reg);
/* The value a call returned into frame `caller`, read at the caller's first dispatch after the
 * call (next_instr and the stack pointer register's value), before it runs (gdb's "Value
 * returned"): 1 with *value, 0 when it is not available there (*why says why), -1 on error. */
/* callee: where the function was when `finish` started. */
int pyi_returned_value(struct pyi_session *s, pt_addr caller, pt_addr next_instr,
                       pt_addr stack_pointer, const struct pyi_pos *callee, pt_addr *value,
                       const char **why);
/* Does the version layer know where a returned value is (pyi_returned_value)? */
bool pyi_knows_returned_values(struct pyi_session *s);
/* Is it known whoever called the function (3.10), or only when the caller's eval loop ran the
 * call itself (3.11+: the finished frame was not an entry frame)? */
bool pyi_returned_any_caller(struct pyi_session *s);

/* ---- values in a copy of the process (an evaluation, replayer/rep_eval.c) ------------------- */
/* The contents of the bytes object obj, read through mem: another process with the same
 * image (a fork of the inspected one). At most max bytes; *data is malloc'd, NUL-terminated. */
int pyi_bytes_read_from(struct pyi_session *s, struct pt_mem *mem, pt_addr obj, size_t max,
                        char **data, size_t *len);

/* ---- live processes ------------------------------------------------------------------------- */
/* Seize and interrupt every thread of pid (PTRACE_SEIZE + PTRACE_INTERRUPT, for /proc/PID/task),
 * wait until all are stopped. */
struct pyi_attach;
int pyi_attach(pid_t pid, struct pyi_attach **out);
/* Detach from every thread (they continue) and free. */
void pyi_detach(struct pyi_attach *a);

#endif
