/*
 * pyi_opcodes: from the bytecode in memory to the base instructions dis shows, per version.
 *
 * - 3.10 has no specialization: the bytecode is what the compiler wrote.
 * - 3.11 quickens in place: specialized opcodes map back to their base through the
 *   interpreter's own _PyOpcode_Deopt, and each base opcode is followed by _PyOpcode_Caches[op]
 *   CACHE units, zeroed in the de-quickened form (deopt_code of Objects/codeobject.c).
 * - 3.12+ also instruments in place when sys.settrace, sys.setprofile or sys.monitoring ask for
 *   events (Python/instrumentation.c): INSTRUMENTED_X stands for X (the interpreter's
 *   DE_INSTRUMENT table), INSTRUMENTED_LINE keeps the instruction it replaced in
 *   code->_co_monitoring->lines[i].original_opcode and INSTRUMENTED_INSTRUCTION in
 *   per_instruction_opcodes[i], as _Py_GetBaseOpcode reads them.
 * Names, argument kinds and (as a fallback) cache sizes are the version's data (pyi_opdata.c);
 * names come from the interpreter's _PyOpcode_OpName where it has one.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

static void pyi_load_opnames(struct pyi_session *s)
{
    if (!s->sym[PYI_Y_OPCODE_OPNAME]) {
        return;
    }
    for (int i = 0; i < 256; i++) {
        pt_addr p;
        char name[64];
        if (pyi_read_ptr(s, s->sym[PYI_Y_OPCODE_OPNAME] + (pt_addr)i * 8, &p) == 0 && p &&
            pt_mem_read_cstr(s->mem, p, name, sizeof name) == 0 && name[0] && name[0] != '<') {
            s->opnames[i] = strdup(name);
        }
    }
}

/* DE_INSTRUMENT from the interpreter; entries missing there (or mapping an opcode to itself)
 * come from the names (INSTRUMENTED_X -> X). */
static void pyi_load_deinstrument(struct pyi_session *s)
{
    uint8_t mem[256] = {0};
    if (!s->sym[PYI_Y_DE_INSTRUMENT] ||
        pt_mem_read(s->mem, s->sym[PYI_Y_DE_INSTRUMENT], mem, 256)) {
        memset(mem, 0, sizeof mem);
    }
    for (int i = 0; i < 256; i++) {
        s->de_instrument[i] = mem[i] && mem[i] != i ? mem[i] : s->v->ops->deinstrument[i];
    }
}

void pyi_opcodes_load(struct pyi_session *s)
{
    if (s->sym[PYI_Y_OPCODE_DEOPT] && s->sym[PYI_Y_OPCODE_CACHES] &&
        pt_mem_read(s->mem, s->sym[PYI_Y_OPCODE_DEOPT], s->opcode_deopt, 256) == 0 &&
        pt_mem_read(s->mem, s->sym[PYI_Y_OPCODE_CACHES], s->opcode_caches, 256) == 0) {
        s->opcode_tables = true;
    } else {
        for (int i = 0; i < 256; i++) {
            s->opcode_deopt[i] = (uint8_t)i;
            s->opcode_caches[i] = s->v->ops->caches[i];
        }
    }
    pyi_load_opnames(s);
    pyi_load_deinstrument(s);
}

const char *pyi_opname(struct pyi_session *s, int op)
{
    if (op < 0 || op > 255) {
        return NULL;
    }
    return s->opnames[op] ? s->opnames[op] : s->v->ops->opname[op];
}

enum pyi_argkind pyi_argkind(struct pyi_session *s, int op)
{
    return op < 0 || op > 255 ? PYI_ARG_NONE : (enum pyi_argkind)s->v->ops->argkind[op];
}

int pyi_ncaches(struct pyi_session *s, int op)
{
    return op < 0 || op > 255 ? 0 : s->opcode_caches[op];
}

int pyi_base_opcode(struct pyi_session *s, const struct pyi_code *c, int op, int index)
{
    if (op < 0 || op > 255) {
        return op;
    }
    if (c && index >= 0 && (size_t)index < c->ncodeunits &&
        (op == s->v->ops->instrumented_line || op == s->v->ops->instrumented_instruction)) {
        return c->deopt[2 * index];
    }
    if (s->de_instrument[op]) {
        op = s->de_instrument[op];
    }
    return s->opcode_deopt[op];
}

int pyi_opcode_family(struct pyi_session *s, int op, uint8_t family[256])
{
    const struct pyi_opdata *o = s->v->ops;
    if (op < 0 || op > 255 || op == o->instrumented_line || op == o->instrumented_instruction) {
        return pt_fail("opcode %d stands for another one kept outside the bytecode", op);
    }
    int base = pyi_base_opcode(s, NULL, op, -1);
    for (int i = 0; i < 256; i++) {
        int own = i != o->instrumented_line && i != o->instrumented_instruction;
        family[i] = (uint8_t)(family[i] || !own || pyi_base_opcode(s, NULL, i, -1) == base);
    }
    return 0;
}

/* Where an instruction's opcode really is: in the bytecode, or (instrumented code, 3.12+) in
 * the monitoring data (pyi_deopt_instrumented). */
struct pyi_raw_src {
    int (*opcode)(struct pyi_session *s, struct pyi_code *c, void *ctx, size_t i, int *op);
    void *ctx;
};

/* The de-quickened form: base opcode, its argument, then its caches zeroed, instruction by
 * instruction (cache units hold counters, not opcodes). */
static int pyi_deopt_fill(struct pyi_session *s, struct pyi_code *c, const struct pyi_raw_src *src)
{
    size_t n = c->ncodeunits;
    c->deopt = malloc(2 * n + 1);
    if (!c->deopt) {
        return pt_fail("out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        int op = c->code[2 * i];
        if (src && src->opcode(s, c, src->ctx, i, &op) != 0) {
            free(c->deopt);
            c->deopt = NULL;
            return -1;
        }
        if (s->de_instrument[op]) {
            op = s->de_instrument[op];
        }
        op = s->opcode_deopt[op];
        int caches = s->opcode_caches[op];
        c->deopt[2 * i] = (uint8_t)op;
        c->deopt[2 * i + 1] = c->code[2 * i + 1];
        while (caches-- > 0 && i + 1 < n) {
            i++;
            c->deopt[2 * i] = 0;
            c->deopt[2 * i + 1] = 0;
        }
    }
    return 0;
}

int pyi_deopt_none(struct pyi_session *s, struct pyi_code *c)
{
    c->deopt = malloc(2 * c->ncodeunits + 1);
    if (!c->deopt) {
        return pt_fail("out of memory");
    }
    memcpy(c->deopt, c->code, 2 * c->ncodeunits);
    return 0;
}

/* deopt_code (Objects/codeobject.c, 3.11). */
int pyi_deopt_tables(struct pyi_session *s, struct pyi_code *c)
{
    if (!s->opcode_tables) {
        return pt_fail("cannot read _PyOpcode_Deopt/_PyOpcode_Caches in %s", s->pymod_path);
    }
    return pyi_deopt_fill(s, c, NULL);
}

/* One byte per code unit from an array of the monitoring data (lines[i].original_opcode or
 * per_instruction_opcodes[i]), read once per code object. */
static int pyi_monitoring_bytes(struct pyi_session *s, const struct pyi_code *c,
                                enum pyi_field array, size_t stride, size_t field_off, uint8_t *out)
{
    pt_addr mon, arr;
    if (pyi_rd_ptr(s, c->addr, PYI_F_CO_MONITORING, &mon) != 0 || !mon ||
        pyi_rd_ptr(s, mon, array, &arr) != 0 || !arr) {
        return pt_fail("code object at 0x%llx is instrumented but has no monitoring data",
                       (unsigned long long)c->addr);
    }
    uint8_t *buf = malloc(c->ncodeunits * stride + 1);
    if (!buf || pyi_read(s, arr, buf, c->ncodeunits * stride) != 0) {
        free(buf);
        return buf ? pt_wrap("reading the instrumentation of the code object at 0x%llx",
                             (unsigned long long)c->addr)
                   : pt_fail("out of memory");
    }
    for (size_t i = 0; i < c->ncodeunits; i++) {
        out[i] = buf[i * stride + field_off];
    }
    free(buf);
    return 0;
}

/* The monitoring data an instrumented code object's opcodes come from, read on first need. */
struct pyi_instrumented {
    uint8_t *line, *instr;
};

/* _Py_GetBaseOpcode's first two steps: INSTRUMENTED_LINE, then INSTRUMENTED_INSTRUCTION, keep
 * the instruction they replaced in the monitoring data. */
static int pyi_instrumented_opcode(struct pyi_session *s, struct pyi_code *c, void *ctx, size_t i,
                                   int *op)
{
    const struct pyi_opdata *o = s->v->ops;
    struct pyi_instrumented *m = ctx;
    size_t n = c->ncodeunits;
    if (*op == o->instrumented_line) {
        if (!m->line &&
            (!(m->line = malloc(n + 1)) ||
             pyi_monitoring_bytes(s, c, PYI_F_MON_LINES, (size_t)s->size[PYI_S_LINEDATA],
                                  (size_t)s->m[PYI_F_LINEDATA_OPCODE].off, m->line))) {
            return m->line ? -1 : pt_fail("out of memory");
        }
        *op = m->line[i];
    }
    if (*op == o->instrumented_instruction) {
        if (!m->instr &&
            (!(m->instr = malloc(n + 1)) ||
             pyi_monitoring_bytes(s, c, PYI_F_MON_PER_INSTR_OPCODES, 1, 0, m->instr))) {
            return m->instr ? -1 : pt_fail("out of memory");
        }
        *op = m->instr[i];
    }
    return 0;
}

/* _Py_GetBaseOpcode for every instruction (Python/instrumentation.c, 3.12+). */
int pyi_deopt_instrumented(struct pyi_session *s, struct pyi_code *c)
{
    struct pyi_instrumented m = {NULL, NULL};
    struct pyi_raw_src src = {pyi_instrumented_opcode, &m};
    int rc = pyi_deopt_fill(s, c, &src);
    free(m.line);
    free(m.instr);
    return rc;
}
