/*
 * pyi_dwarf: turning the version layer's names into numbers with libdw.
 *
 * One pass over the top-level DIEs of every compilation unit of the interpreter's DWARF indexes
 * the struct/union/typedef definitions the version file names, the `_frameowner` enumerators and
 * the static variables that have no unique symbol (Objects/unicodetype_db.h's index1/index2:
 * LTO builds have several `index1.lto_priv.N`, told apart here by their declaring file). Then
 * every member spec ("PyThreadState", "cframe") and dotted path ("interpreters.head") is resolved
 * to an offset, a size and a signedness; anonymous struct/union members are searched through as
 * C11 does. Nothing here is cached across processes: a session resolves once.
 */
#include "pyintrospect/pyi_internal.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#define PYI_NAMES_CAP 512 /* hash slots (power of two) */

struct pyi_wanted {
    const char *name;
    Dwarf_Die die;
    bool found;
};

/* The definitions wanted, found in one pass over the DWARF (kept by the session). */
struct pyi_index {
    struct pyi_wanted slot[PYI_NAMES_CAP];
    /* static variables by declaring file */
    const struct pyi_sym_spec *vars[PYI_Y__COUNT];
    enum pyi_sym var_ids[PYI_Y__COUNT];
    size_t nvars;
};

static bool pyi_peel(Dwarf_Die *die, Dwarf_Die *out);
static bool pyi_member_type(Dwarf_Die *member, Dwarf_Die *type);

static unsigned pyi_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

static struct pyi_wanted *pyi_slot(struct pyi_index *ix, const char *name, bool insert)
{
    unsigned i = pyi_hash(name) & (PYI_NAMES_CAP - 1);
    for (unsigned n = 0; n < PYI_NAMES_CAP; n++, i = (i + 1) & (PYI_NAMES_CAP - 1)) {
        struct pyi_wanted *w = &ix->slot[i];
        if (!w->name) {
            if (!insert) {
                return NULL;
            }
            w->name = name;
            return w;
        }
        if (strcmp(w->name, name) == 0) {
            return w;
        }
    }
    return NULL;
}

/* "Type:path" -> the type part, in a caller buffer. */
static const char *pyi_type_part(const char *spec, char *buf, size_t cap)
{
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(buf, spec, n);
    buf[n] = '\0';
    return buf;
}

static void pyi_index_want(struct pyi_session *s, struct pyi_index *ix)
{
    pyi_slot(ix, "_Py_DebugOffsets", true); /* 3.13+ (pyi_debugoffsets.c) */
    for (int i = 0; i < PYI_F__COUNT; i++) {
        if (s->mspec[i].type) {
            pyi_slot(ix, s->mspec[i].type, true);
        }
    }
    for (int i = 0; i < PYI_S__COUNT; i++) {
        pyi_slot(ix, pyi_layout_sizes[i].type, true);
    }
    for (int i = 0; i < PYI_Y__COUNT; i++) {
        if (pyi_layout_syms[i].decl_file) {
            ix->vars[ix->nvars] = &pyi_layout_syms[i];
            ix->var_ids[ix->nvars++] = (enum pyi_sym)i;
        }
    }
}

static bool pyi_is_definition(Dwarf_Die *die)
{
    bool decl = false;
    Dwarf_Attribute a;
    if (dwarf_attr(die, DW_AT_declaration, &a)) {
        dwarf_formflag(&a, &decl);
    }
    return !decl;
}

static void pyi_index_enum(struct pyi_session *s, Dwarf_Die *die)
{
    Dwarf_Die e;
    if (dwarf_child(die, &e) != 0) {
        return;
    }
    do {
        const char *n = dwarf_diename(&e);
        Dwarf_Attribute a;
        Dwarf_Sword val;
        if (n && dwarf_attr(&e, DW_AT_const_value, &a) && dwarf_formsdata(&a, &val) == 0) {
            if (strcmp(n, "FRAME_OWNED_BY_GENERATOR") == 0) {
                s->frame_owned_by_generator = (int)val;
            } else if (strcmp(n, "FRAME_OWNED_BY_CSTACK") == 0) {
                s->frame_owned_by_cstack = (int)val;
            }
        }
    } while (dwarf_siblingof(&e, &e) == 0);
}

static bool pyi_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void pyi_index_var(struct pyi_session *s, struct pyi_index *ix, Dwarf_Die *die)
{
    Dwarf_Attribute a;
    if (!dwarf_attr(die, DW_AT_location, &a)) {
        return;
    }
    const char *name = NULL;
    Dwarf_Attribute na;
    if (dwarf_attr_integrate(die, DW_AT_name, &na)) {
        name = dwarf_formstring(&na);
    }
    if (!name) {
        return;
    }
    for (size_t i = 0; i < ix->nvars; i++) {
        if (strcmp(name, ix->vars[i]->name) != 0 || s->sym[ix->var_ids[i]]) {
            continue;
        }
        const char *file = dwarf_decl_file(die);
        if (!file || !pyi_ends_with(file, ix->vars[i]->decl_file)) {
            continue;
        }
        Dwarf_Op *ops;
        size_t nops;
        if (dwarf_getlocation(&a, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_addr) {
            s->sym[ix->var_ids[i]] = ops[0].number + s->bias;
            Dwarf_Die t;
            Dwarf_Word sz;
            if (dwarf_attr_integrate(die, DW_AT_type, &na) && dwarf_formref_die(&na, &t) &&
                dwarf_aggregate_size(&t, &sz) == 0) {
                s->sym_size[ix->var_ids[i]] = (int64_t)sz;
                Dwarf_Die p, e, ep;
                if (pyi_peel(&t, &p) && dwarf_tag(&p) == DW_TAG_array_type &&
                    pyi_member_type(&p, &e) && pyi_peel(&e, &ep) &&
                    dwarf_aggregate_size(&ep, &sz) == 0) {
                    s->sym_elem[ix->var_ids[i]] = (int64_t)sz;
                }
            }
        }
    }
}

static void pyi_index_die(struct pyi_session *s, struct pyi_index *ix, Dwarf_Die *die)
{
    int tag = dwarf_tag(die);
    if (tag == DW_TAG_variable) {
        pyi_index_var(s, ix, die);
        return;
    }
    if (tag == DW_TAG_enumeration_type) {
        if (s->frame_owned_by_generator < 0 || s->frame_owned_by_cstack < 0) {
            pyi_index_enum(s, die);
        }
        return;
    }
    if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_typedef) {
        return;
    }
    const char *name = dwarf_diename(die);
    if (!name) {
        return;
    }
    struct pyi_wanted *w = pyi_slot(ix, name, false);
    Dwarf_Die target;
    if (w && !w->found && pyi_is_definition(die) && pyi_peel(die, &target) &&
        pyi_is_definition(&target)) {
        w->die = *die;
        w->found = true;
    }
}

static int pyi_index_build(struct pyi_session *s, struct pyi_index *ix)
{
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie, die;
    while (dwarf_get_units(s->dwarf, cu, &cu, NULL, NULL, &cudie, NULL) == 0) {
        if (dwarf_child(&cudie, &die) != 0) {
            continue;
        }
        do {
            pyi_index_die(s, ix, &die);
        } while (dwarf_siblingof(&die, &die) == 0);
    }
    return 0;
}

/* Peel typedefs and qualifiers. */
static bool pyi_peel(Dwarf_Die *die, Dwarf_Die *out)
{
    *out = *die;
    for (int i = 0; i < 32; i++) {
        int tag = dwarf_tag(out);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
            tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type) {
            return true;
        }
        Dwarf_Attribute a;
        if (!dwarf_attr_integrate(out, DW_AT_type, &a) || !dwarf_formref_die(&a, out)) {
            return false;
        }
    }
    return false;
}

static bool pyi_member_type(Dwarf_Die *member, Dwarf_Die *type)
{
    Dwarf_Attribute a;
    return dwarf_attr_integrate(member, DW_AT_type, &a) && dwarf_formref_die(&a, type);
}

static int64_t pyi_member_loc(Dwarf_Die *member)
{
    Dwarf_Attribute a;
    Dwarf_Word off = 0;
    if (dwarf_attr(member, DW_AT_data_member_location, &a)) {
        if (dwarf_formudata(&a, &off) != 0) {
            return -1;
        }
    }
    return (int64_t)off;
}

/* Find member `name` in struct/union die (searching anonymous members); adds its offset. */
static bool pyi_find_member(Dwarf_Die *sdie, const char *name, size_t nlen, Dwarf_Die *out,
                            int64_t *off, int depth)
{
    Dwarf_Die c;
    if (depth > 8 || dwarf_child(sdie, &c) != 0) {
        return false;
    }
    do {
        if (dwarf_tag(&c) != DW_TAG_member) {
            continue;
        }
        const char *n = dwarf_diename(&c);
        int64_t loc = pyi_member_loc(&c);
        if (n && strlen(n) == nlen && memcmp(n, name, nlen) == 0) {
            *out = c;
            *off += loc < 0 ? 0 : loc;
            return true;
        }
        Dwarf_Die t, p;
        if (!n && pyi_member_type(&c, &t) && pyi_peel(&t, &p)) {
            int64_t sub = *off + (loc < 0 ? 0 : loc);
            if (pyi_find_member(&p, name, nlen, out, &sub, depth + 1)) {
                *off = sub;
                return true;
            }
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

static bool pyi_lookup_type(struct pyi_index *ix, const char *type, Dwarf_Die *out)
{
    struct pyi_wanted *w = pyi_slot(ix, type, false);
    return w && w->found && pyi_peel(&w->die, out);
}

/* Resolve "a.b.c" in type; *member gets the last member DIE. */
static bool pyi_resolve_path(struct pyi_index *ix, const char *type, const char *path,
                             Dwarf_Die *member, int64_t *off)
{
    Dwarf_Die cur;
    if (!pyi_lookup_type(ix, type, &cur)) {
        return false;
    }
    *off = 0;
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!pyi_find_member(&cur, p, n, member, off, 0)) {
            return false;
        }
        if (!dot) {
            return true;
        }
        Dwarf_Die t;
        if (!pyi_member_type(member, &t) || !pyi_peel(&t, &cur)) {
            return false;
        }
        p = dot + 1;
    }
}

static void pyi_fill_member(struct pyi_session *s, Dwarf_Die *member, int64_t off,
                            struct pyi_member *m)
{
    m->off = off;
    Dwarf_Die t, p;
    if (!pyi_member_type(member, &t) || !pyi_peel(&t, &p)) {
        return;
    }
    Dwarf_Word sz;
    int tag = dwarf_tag(&p);
    if (tag == DW_TAG_pointer_type) {
        m->size = s->ptr_size;
    } else if (tag == DW_TAG_array_type) {
        Dwarf_Die e, ep;
        if (pyi_member_type(&p, &e) && pyi_peel(&e, &ep) && dwarf_aggregate_size(&ep, &sz) == 0) {
            m->elem_size = (int)sz;
        }
    } else if (dwarf_aggregate_size(&p, &sz) == 0) {
        m->size = (int)sz;
    }
    Dwarf_Attribute a;
    Dwarf_Word enc;
    if (tag == DW_TAG_base_type && dwarf_attr(&p, DW_AT_encoding, &a) &&
        dwarf_formudata(&a, &enc) == 0) {
        m->is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
    }
}

static int pyi_resolve_members(struct pyi_session *s, struct pyi_index *ix)
{
    for (int i = 0; i < PYI_F__COUNT; i++) {
        const struct pyi_member_spec *sp = &s->mspec[i];
        struct pyi_member *m = &s->m[i];
        m->off = -1;
        if (!sp->type) {
            continue;
        }
        Dwarf_Die member;
        int64_t off;
        if (pyi_resolve_path(ix, sp->type, sp->path, &member, &off)) {
            pyi_fill_member(s, &member, off, m);
        } else if (!sp->optional) {
            return pt_fail("DWARF of %s has no member %s.%s (not a CPython %s layout?)",
                           s->pymod_path, sp->type, sp->path, s->v->name);
        }
    }
    return 0;
}

static int pyi_resolve_sizes(struct pyi_session *s, struct pyi_index *ix)
{
    for (int i = 0; i < PYI_S__COUNT; i++) {
        Dwarf_Die d;
        Dwarf_Word sz;
        const char *t = pyi_layout_sizes[i].type;
        if (!pyi_lookup_type(ix, t, &d) || dwarf_aggregate_size(&d, &sz) != 0) {
            if (pyi_layout_sizes[i].optional) {
                s->size[i] = -1;
                continue;
            }
            return pt_fail("DWARF of %s has no type %s", s->pymod_path, t);
        }
        s->size[i] = (int64_t)sz;
    }
    return 0;
}

static int pyi_resolve_bits(struct pyi_session *s, struct pyi_index *ix)
{
    for (int i = 0; i < PYI_B__COUNT; i++) {
        char tbuf[128];
        const char *spec = pyi_layout_bits[i];
        const char *type = pyi_type_part(spec, tbuf, sizeof tbuf);
        const char *path = strchr(spec, ':') + 1;
        Dwarf_Die member;
        int64_t off;
        if (!pyi_resolve_path(ix, type, path, &member, &off)) {
            return pt_fail("DWARF of %s has no bit-field %s.%s", s->pymod_path, type, path);
        }
        Dwarf_Attribute a;
        Dwarf_Word bsize = 0, boff = 0, bytesz = 0;
        if (!dwarf_attr(&member, DW_AT_bit_size, &a) || dwarf_formudata(&a, &bsize) != 0) {
            return pt_fail("%s.%s is not a bit-field in DWARF", type, path);
        }
        int64_t total;
        if (dwarf_attr(&member, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &boff) == 0) {
            total = off * 8 + (int64_t)boff; /* DWARF 5: from the start of the struct */
        } else if (dwarf_attr(&member, DW_AT_bit_offset, &a) && dwarf_formudata(&a, &boff) == 0 &&
                   dwarf_attr(&member, DW_AT_byte_size, &a) && dwarf_formudata(&a, &bytesz) == 0) {
            total = off * 8 + (int64_t)(bytesz * 8 - boff - bsize); /* DWARF 2-4, little-endian */
        } else {
            return pt_fail("%s.%s: unsupported bit-field encoding", type, path);
        }
        s->bits[i].byte_off = total / 8;
        s->bits[i].bit_off = (int)(total % 8);
        s->bits[i].bit_size = (int)bsize;
    }
    return 0;
}

int pyi_dwarf_member(struct pyi_session *s, const char *type, const char *path, int64_t *off,
                     int *size)
{
    Dwarf_Die member;
    struct pyi_member m = {0};
    if (!s->dwidx || !pyi_resolve_path(s->dwidx, type, path, &member, off)) {
        return 0;
    }
    pyi_fill_member(s, &member, *off, &m);
    *size = m.size;
    return 1;
}

void pyi_dwarf_free(struct pyi_session *s)
{
    free(s->dwidx);
    s->dwidx = NULL;
}

int pyi_dwarf_resolve(struct pyi_session *s)
{
    struct pyi_index *ix = calloc(1, sizeof *ix);
    if (!ix) {
        return pt_fail("out of memory");
    }
    s->frame_owned_by_generator = -1;
    s->frame_owned_by_cstack = -1;
    pyi_index_want(s, ix);
    int r = pyi_index_build(s, ix);
    if (r == 0) {
        r = pyi_resolve_members(s, ix);
    }
    if (r == 0) {
        r = pyi_resolve_sizes(s, ix);
    }
    if (r == 0) {
        r = pyi_resolve_bits(s, ix);
    }
    if (r == 0 && s->mspec[PYI_F_IF_OWNER].type && s->frame_owned_by_generator < 0) {
        r = pt_fail("DWARF of %s has no enumerator FRAME_OWNED_BY_GENERATOR", s->pymod_path);
    }
    s->dwidx = ix; /* kept for pyi_dwarf_member until pyi_close */
    return r;
}
