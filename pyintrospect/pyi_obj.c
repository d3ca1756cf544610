/*
 * pyi_obj: reading basic Python objects out of the tracee: an object's type and what builtin it
 * is (or derives from), type names (tp_name, __module__, __qualname__), str contents (PEP 393:
 * compact ASCII, compact latin-1/UCS-2/UCS-4, legacy), small ints, list/tuple items, dict
 * lookups by str key and attribute lookup through a type's MRO. Counts and lengths read from the
 * tracee are checked against caps before any allocation.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PYI_TPFLAGS_TYPE_SUBCLASS (1UL << 31)

int pyi_obj_type(struct pyi_session *s, pt_addr obj, pt_addr *type)
{
    if (pyi_rd_ptr(s, obj, PYI_F_OB_TYPE, type) != 0) {
        return -1;
    }
    if (!*type) {
        return pt_fail("object at 0x%llx has no type", (unsigned long long)obj);
    }
    return 0;
}

int pyi_type_flags(struct pyi_session *s, pt_addr type, unsigned long *flags)
{
    int64_t v;
    if (pyi_rd(s, type, PYI_F_TP_FLAGS, &v) != 0) {
        return -1;
    }
    *flags = (unsigned long)v;
    return 0;
}

bool pyi_is_type(struct pyi_session *s, pt_addr obj)
{
    pt_addr t;
    unsigned long f;
    return pyi_obj_type(s, obj, &t) == 0 && pyi_type_flags(s, t, &f) == 0 &&
           (f & PYI_TPFLAGS_TYPE_SUBCLASS);
}

/* Non-empty valid UTF-8 without control characters: what a C-level name must look like. */
bool pyi_utf8_text(const char *t)
{
    const unsigned char *p = (const unsigned char *)t;
    if (!*p) {
        return false;
    }
    while (*p) {
        int more = *p < 0x80             ? 0
                   : (*p & 0xe0) == 0xc0 ? 1
                   : (*p & 0xf0) == 0xe0 ? 2
                   : (*p & 0xf8) == 0xf0 ? 3
                                         : -1;
        if (more < 0 || *p < 0x20 || *p == 0x7f) {
            return false;
        }
        p++;
        for (; more > 0; more--, p++) {
            if ((*p & 0xc0) != 0x80) {
                return false;
            }
        }
    }
    return true;
}

/* Builtin types by the kind of their instances. */
static const struct {
    enum pyi_sym sym;
    enum pyi_kind kind;
} pyi_builtin_types[] = {
    {PYI_Y_BOOL_TYPE, PYI_K_BOOL},
    {PYI_Y_LONG_TYPE, PYI_K_INT},
    {PYI_Y_FLOAT_TYPE, PYI_K_FLOAT},
    {PYI_Y_COMPLEX_TYPE, PYI_K_COMPLEX},
    {PYI_Y_UNICODE_TYPE, PYI_K_STR},
    {PYI_Y_BYTES_TYPE, PYI_K_BYTES},
    {PYI_Y_BYTEARRAY_TYPE, PYI_K_BYTEARRAY},
    {PYI_Y_LIST_TYPE, PYI_K_LIST},
    {PYI_Y_TUPLE_TYPE, PYI_K_TUPLE},
    {PYI_Y_DICT_TYPE, PYI_K_DICT},
    {PYI_Y_SET_TYPE, PYI_K_SET},
    {PYI_Y_FROZENSET_TYPE, PYI_K_FROZENSET},
    {PYI_Y_RANGE_TYPE, PYI_K_RANGE},
    {PYI_Y_FUNCTION_TYPE, PYI_K_FUNCTION},
    {PYI_Y_METHOD_TYPE, PYI_K_METHOD},
    {PYI_Y_CFUNCTION_TYPE, PYI_K_CFUNCTION},
    {PYI_Y_MODULE_TYPE, PYI_K_MODULE},
    {PYI_Y_CODE_TYPE, PYI_K_CODE},
    {PYI_Y_CELL_TYPE, PYI_K_CELL},
    {PYI_Y_TYPE_TYPE, PYI_K_TYPE},
    {PYI_Y_BASEEXC_TYPE, PYI_K_EXCEPTION},
    {PYI_Y_MEMBERDESCR_TYPE, PYI_K_MEMBERDESCR},
    {PYI_Y_PROPERTY_TYPE, PYI_K_PROPERTY},
    {PYI_Y_OBJECT_TYPE, PYI_K_OBJECT},
};

static enum pyi_kind pyi_builtin_kind(struct pyi_session *s, pt_addr type)
{
    for (size_t i = 0; i < sizeof pyi_builtin_types / sizeof pyi_builtin_types[0]; i++) {
        if (s->sym[pyi_builtin_types[i].sym] == type) {
            return pyi_builtin_types[i].kind;
        }
    }
    return PYI_K_OTHER;
}

static enum pyi_kind pyi_singleton_kind(struct pyi_session *s, pt_addr obj)
{
    if (obj == s->sym[PYI_Y_NONE]) {
        return PYI_K_NONE;
    }
    if (obj == s->sym[PYI_Y_ELLIPSIS]) {
        return PYI_K_ELLIPSIS;
    }
    if (obj == s->sym[PYI_Y_NOTIMPL]) {
        return PYI_K_NOTIMPL;
    }
    return PYI_K_OTHER;
}

#define PYI_TPFLAGS_READY (1UL << 12)

/* Is type plausibly a type object: ready, and an instance of a metatype? Results for valid
 * types are cached until pyi_invalidate (types are few and long-lived). */
static bool pyi_type_valid(struct pyi_session *s, pt_addr type)
{
    size_t slot = (size_t)(type >> 4) % PYI_TYPE_CACHE;
    if (s->type_cache[slot] == type) {
        return true;
    }
    pt_addr meta;
    unsigned long flags, mflags;
    if (pyi_type_flags(s, type, &flags) != 0 || !(flags & PYI_TPFLAGS_READY) ||
        pyi_obj_type(s, type, &meta) != 0 || pyi_type_flags(s, meta, &mflags) != 0 ||
        !(mflags & PYI_TPFLAGS_TYPE_SUBCLASS)) {
        return false;
    }
    s->type_cache[slot] = type;
    return true;
}

int pyi_obj_classify(struct pyi_session *s, pt_addr obj, struct pyi_objinfo *out)
{
    memset(out, 0, sizeof *out);
    out->addr = obj;
    out->kind = pyi_singleton_kind(s, obj);
    if (out->kind != PYI_K_OTHER) {
        out->exact = true;
        return 0;
    }
    if (pyi_obj_type(s, obj, &out->type) != 0) {
        return -1;
    }
    if (pyi_builtin_kind(s, out->type) == PYI_K_OTHER && !pyi_type_valid(s, out->type)) {
        return pt_fail("0x%llx is not a Python object (its type 0x%llx is not a type)",
                       (unsigned long long)obj, (unsigned long long)out->type);
    }
    pt_addr t = out->type;
    for (int depth = 0; t && depth < PYI_MAX_MRO; depth++) {
        enum pyi_kind k = pyi_builtin_kind(s, t);
        if (k != PYI_K_OTHER) {
            out->kind = k;
            out->base_type = t;
            out->exact = t == out->type;
            break;
        }
        if (pyi_rd_ptr(s, t, PYI_F_TP_BASE, &t) != 0) {
            return -1;
        }
    }
    if (out->kind != PYI_K_OTHER && !out->exact) {
        pt_addr r1, r2;
        if (pyi_rd_ptr(s, out->type, PYI_F_TP_REPR, &r1) != 0 ||
            pyi_rd_ptr(s, out->base_type, PYI_F_TP_REPR, &r2) != 0) {
            return -1;
        }
        out->own_repr = r1 != r2;
    }
    return 0;
}

int pyi_type_tpname(struct pyi_session *s, pt_addr type, char **out)
{
    pt_addr p;
    char buf[512];
    if (pyi_rd_ptr(s, type, PYI_F_TP_NAME, &p) != 0) {
        return -1;
    }
    if (!p || pt_mem_read_cstr(s->mem, p, buf, sizeof buf) != 0) {
        return pt_wrap("reading tp_name of type at 0x%llx", (unsigned long long)type);
    }
    if (!pyi_utf8_text(buf)) {
        return pt_fail("tp_name of type at 0x%llx is not text", (unsigned long long)type);
    }
    *out = strdup(buf);
    return *out ? 0 : pt_fail("out of memory");
}

int pyi_type_shortname(struct pyi_session *s, pt_addr type, char **out)
{
    char *full;
    if (pyi_type_tpname(s, type, &full) != 0) {
        return -1;
    }
    const char *dot = strrchr(full, '.');
    if (dot) {
        memmove(full, dot + 1, strlen(dot + 1) + 1);
    }
    *out = full;
    return 0;
}

/* type_module() and type_qualname() of Objects/typeobject.c. */
int pyi_type_module_qualname(struct pyi_session *s, pt_addr type, char **module, char **qualname)
{
    unsigned long flags;
    *module = *qualname = NULL;
    if (pyi_type_flags(s, type, &flags) != 0) {
        return -1;
    }
    if (flags & s->v->tpf_heaptype) {
        pt_addr dict, mod = 0, qn;
        if (s->v->type_dict(s, type, &dict) == 0 && dict &&
            pyi_dict_get_str(s, dict, "__module__", &mod) == 0 && mod) {
            pyi_str_utf8(s, mod, module);
        }
        if (pyi_rd_ptr(s, type, PYI_F_HT_QUALNAME, &qn) != 0 ||
            pyi_str_utf8(s, qn, qualname) != 0) {
            free(*module);
            *module = NULL;
            return -1;
        }
        if (!*module) {
            *module = strdup("builtins");
        }
        return 0;
    }
    char *full;
    if (pyi_type_tpname(s, type, &full) != 0) {
        return -1;
    }
    char *dot = strrchr(full, '.');
    if (dot) {
        *dot = '\0';
        *module = strdup(full);
        *qualname = strdup(dot + 1);
    } else {
        *module = strdup("builtins");
        *qualname = strdup(full);
    }
    free(full);
    return 0;
}

/* ---- str ------------------------------------------------------------------------------------ */

int pyi_str_read(struct pyi_session *s, pt_addr obj, size_t max, struct pyi_ustr *out)
{
    int64_t len;
    unsigned kind, compact, ascii;
    memset(out, 0, sizeof *out);
    if (pyi_rd(s, obj, PYI_F_STR_LENGTH, &len) != 0 ||
        pyi_rd_bits(s, obj, PYI_B_STR_KIND, &kind) != 0 ||
        pyi_rd_bits(s, obj, PYI_B_STR_COMPACT, &compact) != 0 ||
        pyi_rd_bits(s, obj, PYI_B_STR_ASCII, &ascii) != 0) {
        return -1;
    }
    if (len < 0 || len > PYI_MAX_STR || (kind != 1 && kind != 2 && kind != 4)) {
        return pt_fail("implausible str at 0x%llx (length %lld, kind %u)", (unsigned long long)obj,
                       (long long)len, kind);
    }
    pt_addr data;
    if (compact) {
        data = obj + (pt_addr)(ascii ? s->size[PYI_S_ASCII] : s->size[PYI_S_COMPACT]);
    } else if (pyi_rd_ptr(s, obj, PYI_F_STR_DATA, &data) != 0) {
        return -1;
    }
    size_t n = (size_t)len;
    if (max && n > max) {
        n = max;
    }
    out->full_len = (size_t)len;
    out->cp = malloc((n ? n : 1) * sizeof *out->cp);
    uint8_t *raw = malloc((n ? n : 1) * kind);
    if (!out->cp || !raw) {
        free(raw);
        free(out->cp);
        out->cp = NULL;
        return pt_fail("out of memory reading a str of %zu characters", n);
    }
    if (pyi_read(s, data, raw, n * kind) != 0) {
        free(raw);
        free(out->cp);
        out->cp = NULL;
        return pt_wrap("reading the characters of the str at 0x%llx", (unsigned long long)obj);
    }
    for (size_t i = 0; i < n; i++) {
        if (kind == 1) {
            out->cp[i] = raw[i];
        } else if (kind == 2) {
            out->cp[i] = (uint32_t)raw[2 * i] | ((uint32_t)raw[2 * i + 1] << 8);
        } else {
            memcpy(&out->cp[i], raw + 4 * i, 4);
        }
    }
    out->len = n;
    free(raw);
    return 0;
}

int pyi_str_utf8(struct pyi_session *s, pt_addr obj, char **out)
{
    struct pyi_ustr u;
    *out = NULL;
    if (!obj) {
        return pt_fail("NULL str");
    }
    if (pyi_str_read(s, obj, PYI_MAX_NAME, &u) != 0) {
        return -1;
    }
    struct pyi_buf b;
    pyi_buf_init(&b);
    for (size_t i = 0; i < u.len; i++) {
        pyi_buf_put_utf8(&b, u.cp[i]);
    }
    free(u.cp);
    *out = pyi_buf_take(&b);
    return *out ? 0 : -1;
}

/* A bit-field of a local copy of a struct. */
static unsigned pyi_bits_local(struct pyi_session *s, const uint8_t *copy, enum pyi_bits b)
{
    const struct pyi_bitfield *bf = &s->bits[b];
    uint64_t v = 0;
    memcpy(&v, copy + bf->byte_off, (size_t)(bf->bit_off + bf->bit_size + 7) / 8);
    return (unsigned)((v >> bf->bit_off) & ((1ULL << bf->bit_size) - 1));
}

/* The common case in one read: obj is a compact ASCII str (an identifier) and name is ASCII.
 * 1: decided (*eq), 0: not this case. */
static int pyi_str_eq_ascii(struct pyi_session *s, pt_addr obj, const char *name, bool *eq)
{
    uint8_t buf[512];
    size_t head = (size_t)s->size[PYI_S_ASCII], n = strlen(name);
    int64_t len;
    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p >= 0x80) {
            return 0;
        }
    }
    if (head + n > sizeof buf || pyi_read(s, obj, buf, head + n) != 0) {
        pt_err_clear();
        return 0;
    }
    if (!pyi_bits_local(s, buf, PYI_B_STR_COMPACT) || !pyi_bits_local(s, buf, PYI_B_STR_ASCII) ||
        pyi_rd_local(s, buf, head, PYI_F_STR_LENGTH, &len) != 0) {
        pt_err_clear();
        return 0;
    }
    *eq = len == (int64_t)n && memcmp(buf + head, name, n) == 0;
    return 1;
}

int pyi_str_eq(struct pyi_session *s, pt_addr obj, const char *name, bool *eq)
{
    char *t;
    *eq = false;
    if (pyi_str_eq_ascii(s, obj, name, eq)) {
        return 0;
    }
    if (pyi_str_utf8(s, obj, &t) != 0) {
        return -1;
    }
    *eq = strcmp(t, name) == 0;
    free(t);
    return 0;
}

/* ---- ints, sequences, dicts
 * ---------------------------------------------------------------------- */

int pyi_long_value(struct pyi_session *s, pt_addr obj, int64_t *out, bool *overflow)
{
    int sign, bits;
    uint32_t *d;
    size_t n;
    if (s->v->long_read(s, obj, &sign, &d, &n, &bits) != 0) {
        return -1;
    }
    uint64_t v = 0;
    *overflow = false;
    for (size_t i = n; i-- > 0;) {
        if (v >> (63 - bits)) {
            *overflow = true;
            break;
        }
        v = (v << bits) | d[i];
    }
    free(d);
    *out = sign < 0 ? -(int64_t)v : (int64_t)v;
    return 0;
}

int pyi_seq_items(struct pyi_session *s, pt_addr obj, enum pyi_kind kind, pt_addr **items,
                  size_t *n, size_t max, size_t *full_n)
{
    int64_t size;
    pt_addr base;
    *items = NULL;
    *n = 0;
    if (pyi_rd(s, obj, PYI_F_OB_SIZE, &size) != 0) {
        return -1;
    }
    if (size < 0 || size > PYI_MAX_ITEMS) {
        return pt_fail("implausible size %lld of the sequence at 0x%llx", (long long)size,
                       (unsigned long long)obj);
    }
    if (kind == PYI_K_LIST) {
        if (pyi_rd_ptr(s, obj, PYI_F_LIST_ITEM, &base) != 0) {
            return -1;
        }
    } else {
        base = obj + (pt_addr)s->m[PYI_F_TUPLE_ITEM].off;
    }
    if (full_n) {
        *full_n = (size_t)size;
    }
    size_t cnt = (size_t)size;
    if (max && cnt > max) {
        cnt = max;
    }
    *items = malloc((cnt ? cnt : 1) * sizeof **items);
    if (!*items) {
        return pt_fail("out of memory");
    }
    if (cnt && pyi_read(s, base, *items, cnt * sizeof **items) != 0) {
        free(*items);
        *items = NULL;
        return pt_wrap("reading the items of the sequence at 0x%llx", (unsigned long long)obj);
    }
    *n = cnt;
    return 0;
}

int pyi_seq_item(struct pyi_session *s, pt_addr obj, enum pyi_kind kind, size_t i, pt_addr *out)
{
    pt_addr base = obj + (pt_addr)s->m[PYI_F_TUPLE_ITEM].off;
    if (kind == PYI_K_LIST && pyi_rd_ptr(s, obj, PYI_F_LIST_ITEM, &base) != 0) {
        return -1;
    }
    if (pyi_read_ptr(s, base + i * 8, out) != 0) {
        return pt_wrap("reading item %zu of the sequence at 0x%llx", i, (unsigned long long)obj);
    }
    return 0;
}

int pyi_tuple_items(struct pyi_session *s, pt_addr tuple, pt_addr **items, size_t *n)
{
    return pyi_seq_items(s, tuple, PYI_K_TUPLE, items, n, PYI_MAX_LOCALS, NULL);
}

struct pyi_getstr_ctx {
    struct pyi_session *s;
    const char *key;
    pt_addr value, slot; /* slot: where the value is kept (pyi_dict.c's iter_slot) */
};

static int pyi_getstr_cb(void *ctx, pt_addr key, pt_addr value)
{
    struct pyi_getstr_ctx *c = ctx;
    struct pyi_objinfo oi;
    bool eq = false;
    if (pyi_obj_classify(c->s, key, &oi) != 0 || oi.kind != PYI_K_STR) {
        return 0; /* an unreadable or non-str key cannot be the one */
    }
    if (pyi_str_eq(c->s, key, c->key, &eq) == 0 && eq) {
        c->value = value;
        c->slot = c->s->iter_slot;
        return 1;
    }
    return 0;
}

int pyi_dict_get_str_slot(struct pyi_session *s, pt_addr dict, const char *key, pt_addr *value,
                          pt_addr *slot)
{
    struct pyi_getstr_ctx c = {s, key, 0, 0};
    if (s->v->dict_iter(s, dict, pyi_getstr_cb, &c) != 0) {
        return -1;
    }
    *value = c.value;
    *slot = c.slot;
    return 0;
}

int pyi_dict_get_str(struct pyi_session *s, pt_addr dict, const char *key, pt_addr *value)
{
    pt_addr slot;
    return pyi_dict_get_str_slot(s, dict, key, value, &slot);
}

int pyi_type_dict_plain(struct pyi_session *s, pt_addr type, pt_addr *dict)
{
    return pyi_rd_ptr(s, type, PYI_F_TP_DICT, dict);
}

/* 3.12+: a static builtin type's dict lives in the interpreter, at index tp_subclasses - 1
 * (_PyStaticType_GetState / managed_static_type_index_get). */
int pyi_type_dict_static(struct pyi_session *s, pt_addr type, pt_addr *dict)
{
    unsigned long flags;
    int64_t index;
    pt_addr interp;
    if (pyi_type_dict_plain(s, type, dict) != 0 || pyi_type_flags(s, type, &flags) != 0) {
        return -1;
    }
    if (*dict || !(flags & s->v->tpf_static_builtin)) {
        return 0;
    }
    const struct pyi_member *arr = &s->m[PYI_F_IS_TYPES_BUILTINS];
    if (pyi_rd(s, type, PYI_F_TP_SUBCLASSES, &index) != 0 ||
        pyi_rd_ptr(s, s->sym[PYI_Y_RUNTIME], PYI_F_RT_INTERP_MAIN, &interp) != 0) {
        return -1;
    }
    index -= 1;
    if (index < 0 || arr->elem_size <= 0 || (arr->size && index * arr->elem_size >= arr->size)) {
        return pt_fail("static builtin type at 0x%llx has no state index (%lld)",
                       (unsigned long long)type, (long long)index);
    }
    pt_addr state = interp + (pt_addr)arr->off + (pt_addr)(index * arr->elem_size);
    return pyi_rd_ptr(s, state, PYI_F_SBT_TP_DICT, dict);
}

/* _PyType_Lookup: the MRO's dicts in order (tp_base chain if tp_mro is not set yet). */
int pyi_instance_attr_slot(struct pyi_session *s, pt_addr obj, pt_addr type, const char *name,
                           pt_addr *value, pt_addr *slot)
{
    struct pyi_getstr_ctx c = {s, name, 0, 0};
    bool found;
    if (s->v->instance_attrs(s, obj, type, pyi_getstr_cb, &c, &found) != 0) {
        return -1;
    }
    *value = c.value;
    *slot = c.slot;
    return 0;
}

int pyi_instance_attr(struct pyi_session *s, pt_addr obj, pt_addr type, const char *name,
                      pt_addr *value)
{
    pt_addr slot;
    return pyi_instance_attr_slot(s, obj, type, name, value, &slot);
}

/* CPython's own method cache idea (typeobject.c): a type's version tag changes whenever the
 * type or a base is modified, so (type, tag, name) -> result stays true for the whole run. */
int pyi_type_version(struct pyi_session *s, pt_addr type, unsigned *tag)
{
    unsigned long flags;
    int64_t t;
    *tag = 0;
    if (!pyi_has(s, PYI_F_TP_VERSION_TAG)) {
        return 0;
    }
    if (pyi_type_flags(s, type, &flags) != 0 || pyi_rd(s, type, PYI_F_TP_VERSION_TAG, &t) != 0) {
        return -1;
    }
    if (!s->v->tpf_valid_version_tag || (flags & s->v->tpf_valid_version_tag)) {
        *tag = (unsigned)t;
    }
    return 0;
}

static struct pyi_lookup_slot *pyi_lookup_slot(struct pyi_session *s, pt_addr type,
                                               const char *name, unsigned *tag)
{
    unsigned t;
    if (strlen(name) >= sizeof s->lookups[0].name || pyi_type_version(s, type, &t) != 0 || t == 0) {
        pt_err_clear();
        return NULL;
    }
    *tag = t;
    size_t h = (size_t)(type >> 4) ^ (size_t)t * 2654435761u;
    for (const char *p = name; *p; p++) {
        h = h * 31 + (unsigned char)*p;
    }
    return &s->lookups[h % PYI_LOOKUP_CACHE];
}

static int pyi_type_lookup_mro(struct pyi_session *s, pt_addr type, const char *name,
                               pt_addr *value);

int pyi_type_lookup(struct pyi_session *s, pt_addr type, const char *name, pt_addr *value)
{
    unsigned tag = 0;
    struct pyi_lookup_slot *slot = pyi_lookup_slot(s, type, name, &tag);
    if (slot && slot->type == type && slot->tag == tag && strcmp(slot->name, name) == 0) {
        *value = slot->value;
        return 0;
    }
    if (pyi_type_lookup_mro(s, type, name, value) != 0) {
        return -1;
    }
    if (slot) {
        slot->type = type;
        slot->tag = tag;
        slot->value = *value;
        snprintf(slot->name, sizeof slot->name, "%s", name);
    }
    return 0;
}

/* _PyType_Lookup: the MRO's dicts in order (tp_base chain if tp_mro is not set yet). */
static int pyi_type_lookup_mro(struct pyi_session *s, pt_addr type, const char *name,
                               pt_addr *value)
{
    pt_addr mro, dict;
    *value = 0;
    if (pyi_rd_ptr(s, type, PYI_F_TP_MRO, &mro) != 0) {
        return -1;
    }
    pt_addr *items = NULL;
    size_t n = 0;
    if (mro && pyi_tuple_items(s, mro, &items, &n) != 0) {
        return -1;
    }
    pt_addr t = type;
    for (size_t i = 0; i < (mro ? n : PYI_MAX_MRO) && t; i++) {
        if (mro) {
            t = items[i];
        }
        if (s->v->type_dict(s, t, &dict) != 0 ||
            (dict && pyi_dict_get_str(s, dict, name, value) != 0)) {
            free(items);
            return -1;
        }
        if (*value) {
            break;
        }
        if (!mro && pyi_rd_ptr(s, t, PYI_F_TP_BASE, &t) != 0) {
            return -1;
        }
    }
    free(items);
    return 0;
}

/* ---- bytes read from another process of the same image -------------------------------------- */

static int pyi_bytes_contents(struct pyi_session *s, pt_addr obj, size_t max, char **data,
                              size_t *len)
{
    pt_addr type;
    int64_t n;
    if (pyi_obj_type(s, obj, &type) != 0) {
        return -1;
    }
    if (type != s->sym[PYI_Y_BYTES_TYPE]) {
        return pt_fail("0x%llx is not a bytes object", (unsigned long long)obj);
    }
    if (pyi_rd(s, obj, PYI_F_OB_SIZE, &n) != 0) {
        return -1;
    }
    if (n < 0 || (size_t)n > max) {
        return pt_fail("bytes object of implausible size %lld", (long long)n);
    }
    *data = malloc((size_t)n + 1);
    if (!*data) {
        return pt_fail("out of memory");
    }
    if (n && pyi_read(s, obj + (pt_addr)s->m[PYI_F_BYTES_SVAL].off, *data, (size_t)n) != 0) {
        free(*data);
        *data = NULL;
        return -1;
    }
    (*data)[n] = '\0';
    *len = (size_t)n;
    return 0;
}

int pyi_bytes_read_from(struct pyi_session *s, struct pt_mem *mem, pt_addr obj, size_t max,
                        char **data, size_t *len)
{
    struct pt_mem *keep = s->mem;
    s->mem = mem; /* same image, same layout: only where the bytes come from changes */
    int rc = pyi_bytes_contents(s, obj, max, data, len);
    s->mem = keep;
    return rc;
}
