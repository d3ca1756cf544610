/*
 * pyi_nav: what navigation by Python line needs from the interpreter's state.
 *
 *   - pyi_dispatch_regs: which machine registers hold `next_instr` and `frame` when the
 *     interpreter jumps through opcode_targets. From 3.11 every handler begins (after at most a
 *     few instructions) with INSTRUCTION_START's store of next_instr into the frame
 *     (`frame->prev_instr = next_instr`, 3.13: `frame->instr_ptr`), i.e.
 *     `mov REG1, OFFSET(REG2)` with the offset taken from DWARF; capstone finds it in each
 *     handler and the registers that all handlers agree on are the answer. (A computed goto
 *     reaches every handler from every dispatch, so GCC must keep both values in the same place
 *     at every handler entry.) The same scan notes the handlers that read that member before
 *     storing it (they need the previous instruction: 3.11's DO_TRACING, 3.12+'s
 *     INSTRUMENTED_LINE), which pyi_present must then leave alone. 3.10's handlers store
 *     nothing; its dispatch sites do, before jumping: `f->f_lasti = INSTR_OFFSET()` (a 32-bit
 *     store at f_lasti's offset: the frame register) and NEXTOPARG's load of the instruction
 *     word through next_instr (a 16-bit load at offset 0 or -2: the next_instr register).
 *   - pyi_position: at a dispatch (a Python-clock trap), which code object runs, the offsets
 *     of the instruction about to run and of the frame's previous one, its line, and whether
 *     CPython would report a sys.settrace 'line' event here (pyi_line_event). The previous
 *     instruction is the frame's own member from 3.11; 3.10's frame has already moved on, so it
 *     is the last dispatch the caller saw in the same frame, else the instruction before.
 *   - pyi_present: making a stop visible (see pyintrospect.h).
 *   - pyi_find_code: the code objects of a source file that exist now, for breakpoints: from
 *     the frames on the stack, the functions and classes of loaded modules, and co_consts.
 */
#include "pyintrospect/pyi_internal.h"

#include "common/pt_x86.h"

#include "common/pt_capstone.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pyi_cs_open(csh *cs)
{
    if (pt_capstone_x86(cs) < 0) {
        return -1;
    }
    cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON);
    return 0;
}

static bool is_mem_at(const cs_x86_op *op, int64_t off)
{
    return op->type == X86_OP_MEM && op->mem.disp == off && op->mem.index == X86_REG_INVALID;
}

/* Among the first instructions of one handler, `mov qword [BASE + off], SRC`. */
static int scan_handler(struct pyi_session *s, csh cs, pt_addr pc, int64_t off, int *src, int *base)
{
    uint8_t code[96];
    if (pt_mem_read(s->mem, pc, code, sizeof code) < 0) {
        return 0;
    }
    cs_insn *insn;
    size_t n = cs_disasm(cs, code, sizeof code, pc, 16, &insn);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        cs_x86 *x = &insn[i].detail->x86;
        if (insn[i].id == X86_INS_MOV && x->op_count == 2 && is_mem_at(&x->operands[0], off) &&
            x->operands[1].type == X86_OP_REG && x->operands[0].size == 8) {
            *base = pt_x86_hw_reg(x->operands[0].mem.base);
            *src = pt_x86_hw_reg(x->operands[1].reg);
            found = *base >= 0 && *src >= 0;
        }
        if (insn[i].id == X86_INS_JMP || insn[i].id == X86_INS_RET || insn[i].id == X86_INS_CALL) {
            break;
        }
    }
    cs_free(insn, n);
    return found;
}

/* Does some path from the handler's entry load [frame + off] before storing it? The paths are
 * followed through direct jumps (a handler often tests something first and branches), up to a
 * few dozen instructions and until the store or a call, return or indirect jump. */
static bool handler_reads(struct pyi_session *s, csh cs, pt_addr entry, int64_t off, int frame)
{
    enum { MAXBLOCKS = 16, MAXINSNS = 96 };
    pt_addr todo[MAXBLOCKS], seen[MAXBLOCKS];
    int ntodo = 0, nseen = 0, budget = MAXINSNS;
    bool reads = false;
    todo[ntodo++] = entry;
    while (ntodo && !reads && budget > 0) {
        pt_addr pc = todo[--ntodo];
        bool dup = false;
        for (int k = 0; k < nseen; k++) {
            dup = dup || seen[k] == pc;
        }
        if (dup || nseen == MAXBLOCKS) {
            continue;
        }
        seen[nseen++] = pc;
        uint8_t code[128];
        cs_insn *in;
        if (pt_mem_read(s->mem, pc, code, sizeof code) < 0) {
            continue;
        }
        size_t n = cs_disasm(cs, code, sizeof code, pc, 24, &in);
        for (size_t i = 0; i < n && budget-- > 0; i++) {
            const cs_x86 *x = &in[i].detail->x86;
            bool mov = in[i].id == X86_INS_MOV && x->op_count == 2;
            if (mov && is_mem_at(&x->operands[0], off) &&
                pt_x86_hw_reg(x->operands[0].mem.base) == frame) {
                break; /* stored first on this path */
            }
            if (mov && is_mem_at(&x->operands[1], off) &&
                pt_x86_hw_reg(x->operands[1].mem.base) == frame) {
                reads = true;
                break;
            }
            bool jump = false;
            for (int g = 0; g < in[i].detail->groups_count; g++) {
                jump = jump || in[i].detail->groups[g] == CS_GRP_JUMP;
            }
            if (jump && x->op_count == 1 && x->operands[0].type == X86_OP_IMM &&
                ntodo < MAXBLOCKS) {
                todo[ntodo++] = (pt_addr)x->operands[0].imm;
            }
            if (in[i].id == X86_INS_JMP || in[i].id == X86_INS_RET || in[i].id == X86_INS_CALL) {
                break;
            }
        }
        if (n) {
            cs_free(in, n);
        }
    }
    return reads;
}

static int pyi_best_vote(int votes[16][16], int *a_out, int *b_out)
{
    int best = 0;
    for (int a = 0; a < 16; a++) {
        for (int b = 0; b < 16; b++) {
            if (votes[a][b] > best) {
                best = votes[a][b];
                *a_out = a;
                *b_out = b;
            }
        }
    }
    return best;
}

/* 3.11+: the handlers' first store of next_instr into the frame. */
int pyi_dispatch_regs_store(struct pyi_session *s, const uint64_t handlers[256], int *instr_reg,
                            int *frame_reg)
{
    csh cs;
    if (pyi_cs_open(&cs) < 0) {
        return -1;
    }
    int64_t off = s->m[PYI_F_IF_INSTR].off;
    int votes[16][16] = {{0}};
    for (int i = 0; i < 256; i++) {
        int src, base;
        if (handlers[i] && scan_handler(s, cs, handlers[i], off, &src, &base)) {
            votes[src][base]++;
        }
    }
    int found = pyi_best_vote(votes, instr_reg, frame_reg);
    for (int i = 0; found >= 16 && i < 256; i++) {
        s->reads_instr[i] = handlers[i] && handler_reads(s, cs, handlers[i], off, *frame_reg);
    }
    cs_close(&cs);
    if (found < 16) {
        return pt_fail("cannot tell which registers hold next_instr and frame in %s's "
                       "bytecode handlers (no `frame->%s = next_instr` store found)",
                       s->pymod_path, s->mspec[PYI_F_IF_INSTR].path);
    }
    return 0;
}

/* One dispatch site of 3.10 (an indirect jump): look back over the block before it for the
 * f_lasti store and the instruction word's load. */
static void vote_site(const cs_insn *in, size_t j, int64_t lasti_off, int64_t unit,
                      int frame_votes[16], int instr_votes[16])
{
    for (size_t k = j; k-- > 0 && j - k <= 16;) {
        const cs_x86 *x = &in[k].detail->x86;
        if (in[k].id == X86_INS_JMP || in[k].id == X86_INS_CALL || in[k].id == X86_INS_RET) {
            break;
        }
        if (in[k].id == X86_INS_MOV && x->op_count == 2 && is_mem_at(&x->operands[0], lasti_off) &&
            x->operands[0].size == 4 && x->operands[1].type == X86_OP_REG &&
            pt_x86_hw_reg(x->operands[0].mem.base) >= 0) {
            frame_votes[pt_x86_hw_reg(x->operands[0].mem.base)]++;
        }
        if (in[k].id == X86_INS_MOVZX && x->op_count == 2 && x->operands[1].type == X86_OP_MEM &&
            x->operands[1].size == unit && x->operands[1].mem.index == X86_REG_INVALID &&
            (x->operands[1].mem.disp == 0 || x->operands[1].mem.disp == -unit) &&
            pt_x86_hw_reg(x->operands[1].mem.base) >= 0) {
            instr_votes[pt_x86_hw_reg(x->operands[1].mem.base)]++;
        }
    }
}

static int pyi_vote_max(const int votes[16], int *reg)
{
    int best = 0;
    for (int r = 0; r < 16; r++) {
        if (votes[r] > best) {
            best = votes[r];
            *reg = r;
        }
    }
    return best;
}

/* 3.10: the dispatch sites of _PyEval_EvalFrameDefault (DISPATCH() and, with the clock's
 * routing, the main loop's switch). */
int pyi_dispatch_regs_sites(struct pyi_session *s, const uint64_t handlers[256], int *instr_reg,
                            int *frame_reg)
{
    pt_addr lo;
    int64_t size;
    csh cs;
    if (pyi_dbg_symbol(s, "_PyEval_EvalFrameDefault", &lo, &size) != 0 || size <= 0 ||
        size > (1 << 20)) {
        return pt_wrap("finding the eval loop's dispatch sites");
    }
    uint8_t *code = malloc((size_t)size);
    if (!code || pt_mem_read(s->mem, lo, code, (size_t)size) < 0 || pyi_cs_open(&cs) < 0) {
        free(code);
        return pt_fail("reading _PyEval_EvalFrameDefault in %s", s->pymod_path);
    }
    cs_insn *in;
    size_t n = cs_disasm(cs, code, (size_t)size, lo, 0, &in);
    int frame_votes[16] = {0}, instr_votes[16] = {0};
    for (size_t j = 0; j < n; j++) {
        const cs_x86 *x = &in[j].detail->x86;
        if (in[j].id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type != X86_OP_IMM) {
            vote_site(in, j, s->m[PYI_F_IF_INSTR].off, s->size[PYI_S_CODEUNIT], frame_votes,
                      instr_votes);
        }
    }
    if (n) {
        cs_free(in, n);
    }
    cs_close(&cs);
    free(code);
    if (pyi_vote_max(frame_votes, frame_reg) < 16 || pyi_vote_max(instr_votes, instr_reg) < 16) {
        return pt_fail("cannot tell which registers hold next_instr and frame at %s's dispatch "
                       "sites (no `f->f_lasti = INSTR_OFFSET()` store found)",
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
        if (id == X86_INS_JMP || id == X86_INS_RET) {
            break; /* not a call: 3.12+'s Py_DECREF calls tp_dealloc before stack_pointer moves */
        }
        if (x->op_count != 2 || x->operands[0].type != X86_OP_REG) {
            continue;
        }
        int dst = pt_x86_hw_reg(x->operands[0].reg);
        const cs_x86_op *b = &x->operands[1];
        if (id == X86_INS_MOV && b->type == X86_OP_MEM && b->mem.disp == -8 &&
            b->mem.index == X86_REG_INVALID && pt_x86_hw_reg(b->mem.base) >= 0) {
            loads |= 1u << pt_x86_hw_reg(b->mem.base);
        } else if (dst >= 0 && ((id == X86_INS_SUB && b->type == X86_OP_IMM && b->imm == 8) ||
                                (id == X86_INS_ADD && b->type == X86_OP_IMM && b->imm == -8) ||
                                (id == X86_INS_LEA && b->type == X86_OP_MEM && b->mem.disp == -8 &&
                                 pt_x86_hw_reg(b->mem.base) == dst))) {
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
        const char *name = pyi_opname(s, i);
        op = name && strcmp(name, "POP_TOP") == 0 ? i : -1;
    }
    if (op < 0 || !handlers[op]) {
        return pt_fail("no POP_TOP opcode handler");
    }
    if (pyi_cs_open(&cs) != 0) {
        return -1;
    }
    *stack_reg = scan_pop_top(s, cs, handlers[op]);
    cs_close(&cs);
    return *stack_reg >= 0 ? 0
                           : pt_fail("cannot tell which register holds the value stack pointer in "
                                     "%s's POP_TOP handler",
                                     s->pymod_path);
}

int pyi_dispatch_regs(struct pyi_session *s, const uint64_t handlers[256], int *instr_reg,
                      int *frame_reg)
{
    return s->v->dispatch_regs(s, handlers, instr_reg, frame_reg);
}

bool pyi_needs_last_dispatch(const struct pyi_session *s)
{
    return s->facts->keep_last_dispatch;
}

int64_t pyi_frame_traced_offset(const struct pyi_session *s)
{
    return s->facts->keep_last_dispatch && s->m[PYI_F_FO_TRACE].off >= 0 ? s->m[PYI_F_FO_TRACE].off
                                                                         : -1;
}

/* The frame's previous instruction (code unit index, -1: none) at a dispatch of cur. */
static int pyi_prev_instr(struct pyi_session *s, const struct pyi_dispatch *d,
                          const struct pyi_rawframe *r, struct pyi_code *c, int cur)
{
    if (!s->facts->keep_last_dispatch) {
        return r->lasti; /* the frame's own member, not yet overwritten */
    }
    int64_t unit = s->size[PYI_S_CODEUNIT];
    if (r->lasti >= 0 && r->lasti != cur) {
        return r->lasti; /* EXTENDED_ARG dispatched cur without moving f_lasti */
    }
    if (d->last_frame == d->frame && d->last_instr >= c->code0) {
        return (int)((int64_t)(d->last_instr - c->code0) / unit) - s->v->dispatch_ahead;
    }
    if (cur == 0 || pyi_code_scan(s, c) != 0) {
        pt_err_clear();
        return -1; /* a frame starting */
    }
    int64_t traced = 0;
    if (d->traced_frame == d->frame && d->traced_instr >= c->code0 &&
        pyi_rd(s, d->frame, PYI_F_FO_TRACE, &traced) == 0 && traced) {
        /* its trace function ran since: its previous instruction is the last traced one */
        return (int)((int64_t)(d->traced_instr - c->code0) / unit) - s->v->dispatch_ahead;
    }
    pt_err_clear();
    return c->iprev[cur]; /* returned from a call, resumed, or unknown: the one before */
}

/* The Python frame that called frame `f` (3.12+: past the C stack's frames between them). */
static int pyi_python_caller(struct pyi_session *s, pt_addr previous, pt_addr *out)
{
    for (int hop = 0; previous && s->frame_owned_by_cstack >= 0 && hop < 8; hop++) {
        int64_t owner;
        if (pyi_rd(s, previous, PYI_F_IF_OWNER, &owner) != 0) {
            return -1;
        }
        if (owner != s->frame_owned_by_cstack) {
            break;
        }
        if (pyi_rd_ptr(s, previous, PYI_F_IF_PREVIOUS, &previous) != 0) {
            return -1;
        }
    }
    *out = previous;
    return 0;
}

/* Is a trace, profile or monitoring callback running (tstate->tracing)? CPython reports no
 * event at all then (call_trace / call_one_instrument), so neither does stepping. The thread
 * running is the GIL holder. */
bool pyi_in_callback(struct pyi_session *s)
{
    pt_addr interp, tstate = 0;
    int64_t tracing = 0;
    if (pyi_rd_ptr(s, s->sym[PYI_Y_RUNTIME], PYI_F_RT_INTERP_HEAD, &interp) != 0 ||
        s->v->gil_holder(s, interp, &tstate) != 0 || !tstate ||
        pyi_rd(s, tstate, PYI_F_TS_TRACING, &tracing) != 0) {
        pt_err_clear();
        return false;
    }
    return tracing > 0;
}

int pyi_position(struct pyi_session *s, const struct pyi_dispatch *d, struct pyi_pos *out)
{
    struct pyi_rawframe r;
    struct pyi_code *c;
    memset(out, 0, sizeof *out);
    if (s->v->frame_read(s, d->frame, &r) != 0) {
        return -1;
    }
    if (r.cstack) {
        /* 3.12+: the entry frame's own instructions (returning to C): not Python code */
        out->frame = d->frame;
        out->instr = d->next_instr;
        out->c_stack = true;
        out->cur = out->prev = -2;
        out->line = out->line_of_prev = out->opcode = -1;
        snprintf(out->filename, sizeof out->filename, "<C stack>");
        snprintf(out->name, sizeof out->name, "<C stack>");
        snprintf(out->qualname, sizeof out->qualname, "<C stack>");
        return 0;
    }
    if (pyi_code_get(s, r.code, &c) != 0) {
        return -1;
    }
    int64_t unit = s->size[PYI_S_CODEUNIT];
    int cur = (int)((int64_t)(d->next_instr - c->code0) / unit) - s->v->dispatch_ahead;
    out->frame = d->frame;
    out->code = r.code;
    out->instr = d->next_instr;
    if (pyi_python_caller(s, r.previous, &out->previous) != 0) {
        return -1;
    }
    if (d->next_instr < c->code0 || cur < 0 || (size_t)cur >= c->ncodeunits) {
        return pt_fail("next_instr 0x%llx is outside the code object at 0x%llx",
                       (unsigned long long)d->next_instr, (unsigned long long)r.code);
    }
    int prev = pyi_prev_instr(s, d, &r, c, cur);
    out->cur = (int)(cur * unit);
    out->prev = prev < 0 ? -2 : (int)(prev * unit);
    out->line = pyi_code_addr2line_idx(c, cur);
    out->line_of_prev = prev >= 0 ? pyi_code_addr2line_idx(c, prev) : -1;
    out->line_event = pyi_line_event(s, c, prev, cur) && !pyi_in_callback(s);
    out->opcode = c->deopt[2 * cur];
    out->frame_start = s->v->ops->resume >= 0 ? out->opcode == s->v->ops->resume : cur == 0;
    snprintf(out->filename, sizeof out->filename, "%s", c->filename ? c->filename : "?");
    snprintf(out->name, sizeof out->name, "%s", c->name ? c->name : "?");
    snprintf(out->qualname, sizeof out->qualname, "%s", c->qualname ? c->qualname : out->name);
    return 0;
}

int pyi_present(struct pyi_session *s, const struct pyi_dispatch *d, const struct pyi_pos *pos)
{
    int64_t unit = s->size[PYI_S_CODEUNIT];
    pt_addr code0 = d->next_instr - (pt_addr)(pos->cur + s->v->dispatch_ahead * unit);
    bool writes = s->v->dispatch_ahead == 0 && d->opcode >= 0 && d->opcode < 256 &&
                  !s->reads_instr[d->opcode];
    if (writes && pos->line >= 0) {
        /* exactly the handler's first store: frame->prev_instr (instr_ptr) = next_instr */
        pt_addr v = code0 + (pt_addr)pos->cur;
        if (pt_mem_write(s->mem, d->frame + (pt_addr)s->m[PYI_F_IF_INSTR].off, &v, 8) < 0) {
            return pt_wrap("presenting the stop in frame 0x%llx", (unsigned long long)d->frame);
        }
    }
    pyi_invalidate(s);
    if (pos->line >= 0) {
        s->stop_frame = d->frame;
        s->stop_lasti = (int)(pos->cur / unit);
    }
    return 0;
}

int pyi_frame_callers(struct pyi_session *s, pt_addr frame, pt_addr *out, size_t max, size_t *n)
{
    *n = 0;
    for (pt_addr f = frame; f && *n < max;) {
        struct pyi_rawframe r;
        if (s->v->frame_read(s, f, &r) != 0) {
            return f == frame ? -1 : (pt_err_clear(), 0); /* a caller being torn down */
        }
        if (!r.cstack) {
            out[(*n)++] = f;
        }
        f = r.previous;
    }
    return 0;
}

int pyi_frame_start_watch(struct pyi_session *s, uint8_t trap_op[256], int64_t *zero_off)
{
    memset(trap_op, 0, 256);
    *zero_off = -1;
    if (s->v->ops->resume < 0) {
        *zero_off = s->m[PYI_F_IF_INSTR].off; /* 3.10: f_lasti is 0 at a frame's first dispatch */
        return 0;
    }
    for (int op = 0; op < 256; op++) {
        trap_op[op] = pyi_base_opcode(s, NULL, op, -1) == s->v->ops->resume;
    }
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
        if (f->depth > 8 || seen_before(f, obj) || f->s->v->type_dict(f->s, obj, &dict) || !dict) {
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

struct files_ctx {
    struct pyi_session *s;
    int (*fn)(void *ctx, const char *file);
    void *ctx;
};

static int module_file_cb(void *ctx, pt_addr key, pt_addr module)
{
    struct files_ctx *f = ctx;
    pt_addr dict, file;
    struct pyi_objinfo oi;
    char *text = NULL;
    if (pyi_obj_classify(f->s, module, &oi) != 0 || oi.kind != PYI_K_MODULE ||
        pyi_rd_ptr(f->s, module, PYI_F_MOD_DICT, &dict) != 0 || !dict ||
        pyi_dict_get_str(f->s, dict, "__file__", &file) != 0 || !file ||
        pyi_obj_classify(f->s, file, &oi) != 0 || oi.kind != PYI_K_STR ||
        pyi_str_utf8(f->s, file, &text) != 0) {
        pt_err_clear();
        return 0;
    }
    int stop = f->fn(f->ctx, text);
    free(text);
    return stop;
}

int pyi_module_files(struct pyi_session *s, int (*fn)(void *ctx, const char *file), void *ctx)
{
    struct files_ctx f = {s, fn, ctx};
    pt_addr interp, modules;
    int stop = 0;
    if (pyi_rd_ptr(s, s->sym[PYI_Y_RUNTIME], PYI_F_RT_INTERP_HEAD, &interp) == 0 &&
        pyi_rd_ptr(s, interp, PYI_F_IS_MODULES, &modules) == 0 && modules) {
        stop = s->v->dict_iter(s, modules, module_file_cb, &f) > 0;
    }
    pt_err_clear();
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

/* What the dispatch register holds for the instruction at offset 0 of code. */
static int pyi_dispatch_base(struct pyi_session *s, pt_addr code, pt_addr *base)
{
    struct pyi_code *c;
    if (pyi_code_get(s, code, &c) != 0) {
        return -1;
    }
    *base = c->code0 + (pt_addr)(s->v->dispatch_ahead * s->size[PYI_S_CODEUNIT]);
    return 0;
}

int pyi_code_line_addrs(struct pyi_session *s, pt_addr code, int line, pt_addr *addrs, size_t max,
                        size_t *n)
{
    size_t it = 0;
    struct pyi_instr in;
    int rc;
    *n = 0;
    pt_addr code0;
    if (pyi_dispatch_base(s, code, &code0) != 0) {
        return -1;
    }
    while ((rc = pyi_code_next_instr(s, code, &it, &in)) == 1) {
        if (in.line == line && in.traced && (in.seq_event || in.jump_target) && *n < max) {
            addrs[(*n)++] = code0 + (pt_addr)in.offset;
        }
    }
    return rc;
}

int pyi_code_instr_addr(struct pyi_session *s, pt_addr code, int offset, pt_addr *addr)
{
    pt_addr base;
    if (pyi_dispatch_base(s, code, &base) != 0) {
        return -1;
    }
    *addr = base + (pt_addr)offset;
    return 0;
}

int pyi_code_first_line_addr(struct pyi_session *s, pt_addr code, pt_addr *addr, int *line)
{
    size_t it = 0;
    struct pyi_instr in;
    int rc;
    pt_addr code0;
    if (pyi_dispatch_base(s, code, &code0) != 0) {
        return -1;
    }
    while ((rc = pyi_code_next_instr(s, code, &it, &in)) == 1) {
        if (in.traced && in.line >= 0 && in.opcode != s->v->ops->resume) {
            *addr = code0 + (pt_addr)in.offset;
            *line = in.line;
            return 0;
        }
    }
    return rc < 0 ? -1
                  : pt_fail("code object at 0x%llx has no traced line", (unsigned long long)code);
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
    pt_addr code0;
    while ((rc = pyi_code_next_instr(s, r.code, &it, &in)) == 1 && in.offset <= lasti) {
        owner = in.offset;
    }
    if (rc < 0 || owner < 0) {
        return rc < 0 ? -1 : pt_fail("frame at 0x%llx has not started", (unsigned long long)frame);
    }
    if (pyi_dispatch_base(s, r.code, &code0) != 0) {
        return -1;
    }
    *instr = code0 + (pt_addr)owner;
    return 0;
}

bool pyi_knows_returned_values(struct pyi_session *s)
{
    return s->v->returned_value != NULL;
}

bool pyi_returned_any_caller(struct pyi_session *s)
{
    return s->v->returned_any_caller;
}

int pyi_returned_value(struct pyi_session *s, pt_addr caller, pt_addr next_instr,
                       pt_addr stack_pointer, const struct pyi_pos *callee, pt_addr *value,
                       const char **why)
{
    if (!s->v->returned_value) {
        *why = "this CPython version's return values are not known to pytt";
        return 0;
    }
    return s->v->returned_value(s, caller, next_instr, stack_pointer, callee, value, why);
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
        s->v->raised(s, t[i].tstate, &type, &tb) != 0) {
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
    struct pyi_rawframe r;
    if (n == 0) {
        return 0;
    }
    if (s->v->frame_read(s, f[0].iframe, &r) != 0) {
        return -1;
    }
    *frame_obj = r.frame_obj; /* 3.10: the frame is its frame object */
    return 0;
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

int pyi_frame_name_is(struct pyi_session *s, pt_addr frame, const char *name, bool *eq)
{
    pt_addr code, nameobj;
    *eq = false;
    if (pyi_rd_ptr(s, frame, PYI_F_IF_CODE, &code) != 0 ||
        pyi_rd_ptr(s, code, PYI_F_CO_NAME, &nameobj) != 0) {
        return -1;
    }
    return pyi_str_eq(s, nameobj, name, eq);
}

int pyi_frame_brief(struct pyi_session *s, pt_addr frame, pt_addr *previous, char *name,
                    size_t ncap, char *file, size_t fcap)
{
    pt_addr code, nameobj, fileobj;
    char *t = NULL;
    name[0] = file[0] = '\0';
    if (pyi_rd_ptr(s, frame, PYI_F_IF_PREVIOUS, previous) != 0 ||
        pyi_python_caller(s, *previous, previous) != 0 ||
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
