/*
 * pyi_nav: what navigation by Python line needs from the interpreter's state.
 *
 *   - pyi_dispatch_regs: which machine registers hold `next_instr` and `frame` when the
 *     interpreter jumps through opcode_targets. Every handler begins (after at most a few
 *     instructions) with INSTRUCTION_START's store `frame->prev_instr = next_instr`, i.e.
 *     `mov REG1, PREV_INSTR_OFFSET(REG2)` with the offset taken from DWARF; capstone finds it in
 *     each handler and the registers that all handlers agree on are the answer. (A computed goto
 *     reaches every handler from every dispatch, so GCC must keep both values in the same place
 *     at every handler entry.)
 *   - pyi_position: at a dispatch (a Python-clock trap), which code object runs, the offsets
 *     of the instruction about to run and of the frame's previous one, its line, and whether
 *     CPython would report a sys.settrace 'line' event here (pyi_code_line_event).
 *   - pyi_find_code: the code objects of a source file that exist now, for breakpoints: from
 *     the frames on the stack, the functions and classes of loaded modules, and co_consts.
 */
#include "pyintrospect/pyi_internal.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Capstone x86 register -> hardware number (0 rax .. 15 r15), or -1. */
static int hw_reg(x86_reg r)
{
    static const x86_reg order[16] = {
        X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP,
        X86_REG_RSI, X86_REG_RDI, X86_REG_R8,  X86_REG_R9,  X86_REG_R10, X86_REG_R11,
        X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
    };
    for (int i = 0; i < 16; i++) {
        if (order[i] == r) {
            return i;
        }
    }
    return -1;
}

/* Find `mov qword [BASE + off], SRC` among the first instructions of one handler. */
static int scan_handler(struct pyi_session *s, csh cs, pt_addr pc, int64_t off, int *src, int *base)
{
    uint8_t code[96];
    if (pt_mem_read(s->mem, pc, code, sizeof code) < 0) {
        return 0;
    }
    cs_insn *insn;
    size_t n = cs_disasm(cs, code, sizeof code, pc, 12, &insn);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        cs_x86 *x = &insn[i].detail->x86;
        if (insn[i].id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_MEM &&
            x->operands[1].type == X86_OP_REG && x->operands[0].size == 8 &&
            x->operands[0].mem.disp == off && x->operands[0].mem.index == X86_REG_INVALID) {
            *base = hw_reg(x->operands[0].mem.base);
            *src = hw_reg(x->operands[1].reg);
            found = *base >= 0 && *src >= 0;
        }
        if (insn[i].id == X86_INS_JMP || insn[i].id == X86_INS_RET || insn[i].id == X86_INS_CALL) {
            break;
        }
    }
    cs_free(insn, n);
    return found;
}

int pyi_dispatch_regs(struct pyi_session *s, const uint64_t handlers[256], int *instr_reg,
                      int *frame_reg)
{
    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        return pt_fail("capstone: cannot open an x86-64 disassembler");
    }
    cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
    int64_t off = s->m[PYI_F_IF_PREV_INSTR].off;
    int votes[16][16] = {{0}}, best = 0;
    for (int i = 0; i < 256; i++) {
        int src, base;
        if (handlers[i] && scan_handler(s, cs, handlers[i], off, &src, &base)) {
            votes[src][base]++;
        }
    }
    cs_close(&cs);
    for (int a = 0; a < 16; a++) {
        for (int b = 0; b < 16; b++) {
            if (votes[a][b] > best) {
                best = votes[a][b];
                *instr_reg = a;
                *frame_reg = b;
            }
        }
    }
    if (best < 16) {
        return pt_fail("cannot tell which registers hold next_instr and frame in %s's "
                       "bytecode handlers (no `frame->prev_instr = next_instr` store found)",
                       s->pymod_path);
    }
    return 0;
}

/* POP_TOP's handler loads TOS from [REG - 8] and moves REG down by 8: REG is stack_pointer. */
static int scan_pop_top(struct pyi_session *s, csh cs, pt_addr pc)
{
    uint8_t code[160];
    cs_insn *insn;
    unsigned loads = 0, drops = 0;
    if (pt_mem_read(s->mem, pc, code, sizeof code) < 0) {
        return -1;
    }
    size_t n = cs_disasm(cs, code, sizeof code, pc, 24, &insn);
    for (size_t i = 0; i < n; i++) {
        cs_x86 *x = &insn[i].detail->x86;
        int id = insn[i].id;
        if (id == X86_INS_JMP || id == X86_INS_RET || id == X86_INS_CALL) {
            break;
        }
        if (x->op_count != 2 || x->operands[0].type != X86_OP_REG) {
            continue;
        }
        int dst = hw_reg(x->operands[0].reg);
        const cs_x86_op *b = &x->operands[1];
        if (id == X86_INS_MOV && b->type == X86_OP_MEM && b->mem.disp == -8 &&
            b->mem.index == X86_REG_INVALID && hw_reg(b->mem.base) >= 0) {
            loads |= 1u << hw_reg(b->mem.base);
        } else if (dst >= 0 && ((id == X86_INS_SUB && b->type == X86_OP_IMM && b->imm == 8) ||
                                (id == X86_INS_ADD && b->type == X86_OP_IMM && b->imm == -8) ||
                                (id == X86_INS_LEA && b->type == X86_OP_MEM && b->mem.disp == -8 &&
                                 hw_reg(b->mem.base) == dst))) {
            drops |= 1u << dst;
        }
    }
    cs_free(insn, n);
    unsigned both = loads & drops;
    return both && !(both & (both - 1)) ? __builtin_ctz(both) : -1;
}

int pyi_stack_reg(struct pyi_session *s, const uint64_t handlers[256], int *stack_reg)
{
    csh cs;
    int op = -1;
    for (int i = 0; i < 256 && op < 0; i++) {
        const char *name = s->v->opname(s, i);
        op = name && strcmp(name, "POP_TOP") == 0 ? i : -1;
    }
    if (op < 0 || !handlers[op]) {
        return pt_fail("no POP_TOP opcode handler");
    }
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        return pt_fail("capstone: cannot open an x86-64 disassembler");
    }
    cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
    *stack_reg = scan_pop_top(s, cs, handlers[op]);
    cs_close(&cs);
    return *stack_reg >= 0 ? 0
                           : pt_fail("cannot tell which register holds the value stack pointer in "
                                     "%s's POP_TOP handler",
                                     s->pymod_path);
}

int pyi_position(struct pyi_session *s, pt_addr frame, pt_addr next_instr, struct pyi_pos *out)
{
    struct pyi_rawframe r;
    struct pyi_code *c;
    memset(out, 0, sizeof *out);
    if (s->v->frame_read(s, frame, &r) != 0 || pyi_code_get(s, r.code, &c) != 0) {
        return -1;
    }
    pt_addr code0 = r.code + (pt_addr)s->m[PYI_F_CO_CODE_ADAPTIVE].off;
    int64_t unit = s->size[PYI_S_CODEUNIT];
    out->frame = frame;
    out->code = r.code;
    out->previous = r.previous;
    out->cur = (int)((int64_t)(next_instr - code0));
    out->prev = r.lasti < 0 ? -2 : (int)(r.lasti * unit);
    if (out->cur < 0 || out->cur >= (int)(c->ncodeunits * (size_t)unit)) {
        return pt_fail("next_instr 0x%llx is outside the code object at 0x%llx",
                       (unsigned long long)next_instr, (unsigned long long)r.code);
    }
    out->line = pyi_code_addr2line_idx(c, (int)(out->cur / unit));
    out->line_of_prev = r.lasti >= 0 ? pyi_code_addr2line_idx(c, r.lasti) : -1;
    out->line_event = s->v->line_event(c, r.lasti < 0 ? -1 : r.lasti, (int)(out->cur / unit));
    snprintf(out->filename, sizeof out->filename, "%s", c->filename ? c->filename : "?");
    snprintf(out->name, sizeof out->name, "%s", c->name ? c->name : "?");
    snprintf(out->qualname, sizeof out->qualname, "%s", c->qualname ? c->qualname : out->name);
    out->opcode = s->opcode_tables ? s->opcode_deopt[c->code[out->cur]] : c->code[out->cur];
    return 0;
}

/* ---- finding code objects by file ------------------------------------------------------- */

struct find_ctx {
    struct pyi_session *s;
    const char *filename;
    int (*fn)(void *ctx, pt_addr code);
    void *ctx;
    pt_addr *seen;
    size_t nseen, cap;
    int depth;
};

static int seen_before(struct find_ctx *f, pt_addr obj)
{
    for (size_t i = 0; i < f->nseen; i++) {
        if (f->seen[i] == obj) {
            return 1;
        }
    }
    if (f->nseen == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->seen = realloc(f->seen, f->cap * sizeof *f->seen);
    }
    f->seen[f->nseen++] = obj;
    return 0;
}

/* A code object: report it if it belongs to the file, and visit the code in its co_consts. */
static int visit_code(struct find_ctx *f, pt_addr code)
{
    struct pyi_code *c;
    pt_addr consts, *items = NULL;
    size_t n = 0;
    if (seen_before(f, code) || f->depth > 64 || pyi_code_get(f->s, code, &c) != 0) {
        pt_err_clear();
        return 0;
    }
    if ((!f->filename || (c->filename && strcmp(c->filename, f->filename) == 0)) &&
        f->fn(f->ctx, code) != 0) {
        return 1;
    }
    if (pyi_rd_ptr(f->s, code, PYI_F_CO_CONSTS, &consts) != 0 ||
        pyi_tuple_items(f->s, consts, &items, &n) != 0) {
        pt_err_clear();
        return 0;
    }
    int stop = 0;
    f->depth++;
    for (size_t i = 0; i < n && !stop; i++) {
        struct pyi_objinfo oi;
        if (pyi_obj_classify(f->s, items[i], &oi) == 0 && oi.kind == PYI_K_CODE) {
            stop = visit_code(f, items[i]);
        }
    }
    f->depth--;
    free(items);
    return stop;
}

static int visit_object(struct find_ctx *f, pt_addr obj);

static int dict_value_cb(void *ctx, pt_addr key, pt_addr value)
{
    return visit_object(ctx, value);
}

/* Functions (their code), classes (their dicts), code objects. */
static int visit_object(struct find_ctx *f, pt_addr obj)
{
    struct pyi_objinfo oi;
    pt_addr code, dict;
    if (!obj || pyi_obj_classify(f->s, obj, &oi) != 0) {
        pt_err_clear();
        return 0;
    }
    switch (oi.kind) {
    case PYI_K_FUNCTION:
        return pyi_rd_ptr(f->s, obj, PYI_F_FUNC_CODE, &code) == 0 ? visit_code(f, code) : 0;
    case PYI_K_CODE:
        return visit_code(f, obj);
    case PYI_K_TYPE:
        if (f->depth > 8 || seen_before(f, obj) || pyi_rd_ptr(f->s, obj, PYI_F_TP_DICT, &dict) ||
            !dict) {
            return 0;
        }
        f->depth++;
        int stop = f->s->v->dict_iter(f->s, dict, dict_value_cb, f);
        f->depth--;
        return stop > 0;
    default:
        return 0;
    }
}

static int module_cb(void *ctx, pt_addr key, pt_addr module)
{
    struct find_ctx *f = ctx;
    pt_addr dict, file;
    struct pyi_objinfo oi;
    if (pyi_obj_classify(f->s, module, &oi) != 0 || oi.kind != PYI_K_MODULE ||
        pyi_rd_ptr(f->s, module, PYI_F_MOD_DICT, &dict) != 0 || !dict ||
        pyi_dict_get_str(f->s, dict, "__file__", &file) != 0 || !file) {
        pt_err_clear();
        return 0;
    }
    bool same = !f->filename;
    if (f->filename && (pyi_str_eq(f->s, file, f->filename, &same) != 0 || !same)) {
        pt_err_clear();
        return 0;
    }
    return f->s->v->dict_iter(f->s, dict, dict_value_cb, f) > 0;
}

int pyi_find_code(struct pyi_session *s, const char *filename, int (*fn)(void *ctx, pt_addr code),
                  void *ctx)
{
    struct find_ctx f = {.s = s, .filename = filename, .fn = fn, .ctx = ctx};
    const struct pyi_frame *frames;
    size_t n = 0;
    int stop = 0;
    if (pyi_frames(s, &frames, &n) == 0) {
        for (size_t i = 0; i < n && !stop; i++) {
            stop = visit_code(&f, frames[i].code);
        }
    }
    pt_err_clear();
    pt_addr interp, modules;
    if (!stop && pyi_rd_ptr(s, s->sym[PYI_Y_RUNTIME], PYI_F_RT_INTERP_HEAD, &interp) == 0 &&
        pyi_rd_ptr(s, interp, PYI_F_IS_MODULES, &modules) == 0 && modules) {
        stop = s->v->dict_iter(s, modules, module_cb, &f) > 0;
    }
    pt_err_clear();
    free(f.seen);
    return stop;
}

int pyi_find_code_in(struct pyi_session *s, pt_addr root, const char *filename,
                     int (*fn)(void *ctx, pt_addr code), void *ctx)
{
    struct find_ctx f = {.s = s, .filename = filename, .fn = fn, .ctx = ctx};
    int stop = visit_code(&f, root);
    pt_err_clear();
    free(f.seen);
    return stop;
}

int pyi_code_line_addrs(struct pyi_session *s, pt_addr code, int line, pt_addr *addrs, size_t max,
                        size_t *n)
{
    size_t it = 0;
    struct pyi_instr in;
    int rc;
    *n = 0;
    pt_addr code0 = code + (pt_addr)s->m[PYI_F_CO_CODE_ADAPTIVE].off;
    while ((rc = pyi_code_next_instr(s, code, &it, &in)) == 1) {
        if (in.line == line && in.traced && (in.seq_event || in.jump_target) && *n < max) {
            addrs[(*n)++] = code0 + (pt_addr)in.offset;
        }
    }
    return rc;
}

int pyi_code_instr_addr(struct pyi_session *s, pt_addr code, int offset, pt_addr *addr)
{
    *addr = code + (pt_addr)s->m[PYI_F_CO_CODE_ADAPTIVE].off + (pt_addr)offset;
    return 0;
}

int pyi_code_first_line_addr(struct pyi_session *s, pt_addr code, pt_addr *addr, int *line)
{
    size_t it = 0;
    struct pyi_instr in;
    int rc;
    pt_addr code0 = code + (pt_addr)s->m[PYI_F_CO_CODE_ADAPTIVE].off;
    while ((rc = pyi_code_next_instr(s, code, &it, &in)) == 1) {
        if (in.traced && in.line >= 0 && in.opcode != s->v->op_resume) {
            *addr = code0 + (pt_addr)in.offset;
            *line = in.line;
            return 0;
        }
    }
    return rc < 0 ? -1
                  : pt_fail("code object at 0x%llx has no traced line", (unsigned long long)code);
}

int pyi_opcode_family(struct pyi_session *s, int base, uint8_t member[256])
{
    if (!s->opcode_tables) {
        return pt_fail("the interpreter's _PyOpcode_Deopt table is not available");
    }
    for (int i = 0; i < 256; i++) {
        member[i] = s->opcode_deopt[i] == base;
    }
    return 0;
}

int pyi_opcode_resume(struct pyi_session *s)
{
    return s->v->op_resume;
}

int pyi_frame_offsets(struct pyi_session *s, int64_t *prev_instr, int64_t *previous)
{
    *prev_instr = s->m[PYI_F_IF_PREV_INSTR].off;
    *previous = s->m[PYI_F_IF_PREVIOUS].off;
    return *prev_instr >= 0 && *previous >= 0 ? 0 : pt_fail("frame layout unknown");
}

const char *pyi_source_text(struct pyi_session *s, const char *file, int line, size_t *len)
{
    return pyi_source_line(s, file, line, len);
}

int pyi_frame_code_name(struct pyi_session *s, pt_addr frame, char *name, size_t ncap, char *file,
                        size_t fcap)
{
    struct pyi_rawframe r;
    struct pyi_code *c;
    if (s->v->frame_read(s, frame, &r) != 0 || pyi_code_get(s, r.code, &c) != 0) {
        return -1;
    }
    snprintf(name, ncap, "%s", c->name ? c->name : "?");
    snprintf(file, fcap, "%s", c->filename ? c->filename : "?");
    return 0;
}

int pyi_frame_instr(struct pyi_session *s, pt_addr frame, pt_addr *instr)
{
    struct pyi_rawframe r;
    size_t it = 0;
    struct pyi_instr in;
    int rc, owner = -1;
    if (s->v->frame_read(s, frame, &r) != 0) {
        return -1;
    }
    /* prev_instr may point into the inline caches of the instruction (a CALL that pushed a
     * frame sets it to its last cache entry): take the instruction that owns that offset. */
    int lasti = r.lasti * (int)s->size[PYI_S_CODEUNIT];
    while ((rc = pyi_code_next_instr(s, r.code, &it, &in)) == 1 && in.offset <= lasti) {
        owner = in.offset;
    }
    if (rc < 0 || owner < 0) {
        return rc < 0 ? -1 : pt_fail("frame at 0x%llx has not started", (unsigned long long)frame);
    }
    *instr = r.code + (pt_addr)s->m[PYI_F_CO_CODE_ADAPTIVE].off + (pt_addr)owner;
    return 0;
}

int pyi_returned_value(struct pyi_session *s, pt_addr caller, pt_addr next_instr,
                       pt_addr stack_pointer, pt_addr *value, const char **why)
{
    if (!s->v->returned_value) {
        *why = "this CPython version's return values are not known to pytt";
        return 0;
    }
    return s->v->returned_value(s, caller, next_instr, stack_pointer, value, why);
}

int pyi_symbol_addr(struct pyi_session *s, const char *name, pt_addr *addr)
{
    int64_t size;
    return pyi_dbg_symbol(s, name, addr, &size);
}

int pyi_raised_exception(struct pyi_session *s, char *type_name, size_t cap, bool *fresh)
{
    const struct pyi_thread *t;
    size_t n, i;
    pt_addr type, tb;
    char *name = NULL;
    if (pyi_threads(s, &t, &n) != 0 || pyi_selected_thread(s, &i) != 0 ||
        pyi_rd_ptr(s, t[i].tstate, PYI_F_TS_CUREXC_TYPE, &type) != 0 ||
        pyi_rd_ptr(s, t[i].tstate, PYI_F_TS_CUREXC_TRACEBACK, &tb) != 0) {
        return -1;
    }
    if (!type) {
        return pt_fail("no exception is being raised");
    }
    *fresh = tb == 0;
    if (pyi_type_tpname(s, type, &name) != 0) {
        return -1;
    }
    snprintf(type_name, cap, "%s", name);
    free(name);
    return 0;
}

int pyi_raising_frame_object(struct pyi_session *s, pt_addr *frame_obj)
{
    const struct pyi_frame *f;
    size_t n;
    *frame_obj = 0;
    if (pyi_frames(s, &f, &n) != 0) {
        return -1;
    }
    return n ? pyi_rd_ptr(s, f[0].iframe, PYI_F_IF_FRAME_OBJ, frame_obj) : 0;
}

/* sys.<name> (0 if unset or None is not distinguished: the caller checks the type). */
static int pyi_sys_attr(struct pyi_session *s, const char *name, pt_addr *value)
{
    pt_addr interp, modules, sys = 0, dict;
    *value = 0;
    if (pyi_rd_ptr(s, s->sym[PYI_Y_RUNTIME], PYI_F_RT_INTERP_HEAD, &interp) != 0 ||
        pyi_rd_ptr(s, interp, PYI_F_IS_MODULES, &modules) != 0 || !modules ||
        pyi_dict_get_str(s, modules, "sys", &sys) != 0 || !sys ||
        pyi_rd_ptr(s, sys, PYI_F_MOD_DICT, &dict) != 0 || !dict) {
        return -1;
    }
    return pyi_dict_get_str(s, dict, name, value);
}

int pyi_uncaught(struct pyi_session *s, pt_addr *frame_obj, char *type_name, size_t cap)
{
    pt_addr tb, next, type;
    struct pyi_objinfo oi;
    char *name = NULL;
    if (s->m[PYI_F_TB_NEXT].off < 0 || s->m[PYI_F_TB_FRAME].off < 0) {
        return pt_fail("this interpreter's debug info does not describe PyTracebackObject");
    }
    if (pyi_sys_attr(s, "last_traceback", &tb) != 0 || !tb || pyi_obj_classify(s, tb, &oi) != 0 ||
        oi.kind == PYI_K_NONE) {
        pt_err_clear();
        return 0;
    }
    for (int guard = 0; guard < 100000; guard++) { /* innermost: the last of the tb_next chain */
        if (pyi_rd_ptr(s, tb, PYI_F_TB_NEXT, &next) != 0) {
            return -1;
        }
        if (!next || pyi_obj_classify(s, next, &oi) != 0 || oi.kind == PYI_K_NONE) {
            break;
        }
        tb = next;
    }
    if (pyi_rd_ptr(s, tb, PYI_F_TB_FRAME, frame_obj) != 0 || !*frame_obj) {
        return -1;
    }
    type_name[0] = '\0';
    if (pyi_sys_attr(s, "last_type", &type) == 0 && type && pyi_type_tpname(s, type, &name) == 0) {
        snprintf(type_name, cap, "%s", name);
    }
    free(name);
    pt_err_clear();
    return 1;
}

int pyi_frame_brief(struct pyi_session *s, pt_addr frame, pt_addr *previous, char *name,
                    size_t ncap, char *file, size_t fcap)
{
    pt_addr code, nameobj, fileobj;
    char *t = NULL;
    name[0] = file[0] = '\0';
    if (pyi_rd_ptr(s, frame, PYI_F_IF_PREVIOUS, previous) != 0 ||
        pyi_rd_ptr(s, frame, PYI_F_IF_CODE, &code) != 0 ||
        pyi_rd_ptr(s, code, PYI_F_CO_NAME, &nameobj) != 0 || pyi_str_utf8(s, nameobj, &t) != 0) {
        return -1;
    }
    snprintf(name, ncap, "%s", t);
    free(t);
    t = NULL;
    if (fcap && (pyi_rd_ptr(s, code, PYI_F_CO_FILENAME, &fileobj) != 0 ||
                 pyi_str_utf8(s, fileobj, &t) != 0)) {
        return -1;
    }
    if (t) {
        snprintf(file, fcap, "%s", t);
        free(t);
    }
    return 0;
}
