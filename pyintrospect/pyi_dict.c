/*
 * pyi_dict: dict items in insertion order, and an instance's attributes, per version
 * (Objects/dictobject.c, Include/internal/pycore_dict.h, Objects/object.c).
 *
 * Keys objects: 3.10 has dk_size and one entry kind (PyDictKeyEntry), its index bytes sized by
 * dk_size; 3.11+ have dk_log2_size, dk_log2_index_bytes and dk_kind (unicode-only keys use the
 * smaller PyDictUnicodeEntry). Entries follow the index table (DK_ENTRIES).
 * Split tables keep the values apart (ma_values): 3.10 a plain array in entry order; 3.11 and
 * 3.12 PyDictValues preceded by the insertion order ([-2] = count, [-3-i] = i-th index); 3.13
 * PyDictValues with capacity/size and the order after values[capacity].
 * Instance attributes: a dict at tp_dictoffset (all versions); 3.11's managed dict and values
 * pointers in the words before the object; 3.12's one tagged word (values | 1, or the dict);
 * 3.13's values inline after tp_basicsize (Py_TPFLAGS_INLINE_VALUES) and the managed dict in the
 * word before. Values without a dict use the type's shared keys (ht_cached_keys).
 */
#include "pyintrospect/pyi_internal.h"

#include "common/pt_cond.h"

#include <stdlib.h>
#include <string.h>

struct pyi_keys {
    int64_t nentries;
    pt_addr entries;
    int64_t entry_size;
    enum pyi_field key_f, value_f;
};

#define PYI_DICT_KEYS_GENERAL 0

/* 3.11+ keys objects. */
static int pyi_keys_read(struct pyi_session *s, pt_addr keys, struct pyi_keys *k)
{
    int64_t log2_size, log2_index_bytes, kind;
    if (pyi_rd(s, keys, PYI_F_DK_LOG2_INDEX_BYTES, &log2_index_bytes) != 0 ||
        pyi_rd(s, keys, PYI_F_DK_KIND, &kind) != 0 ||
        pyi_rd(s, keys, PYI_F_DK_NENTRIES, &k->nentries) != 0 ||
        pyi_rd(s, keys, PYI_F_DK_LOG2_SIZE, &log2_size) != 0) {
        return -1;
    }
    /* USABLE_FRACTION: at most 2/3 of the 1 << dk_log2_size slots hold entries */
    if (log2_size < 0 || log2_size > PYI_MAX_DICT_LOG2 || log2_index_bytes > log2_size + 3 ||
        k->nentries < 0 || k->nentries > (1LL << log2_size)) {
        return pt_fail("implausible dict keys object at 0x%llx", (unsigned long long)keys);
    }
    /* DK_ENTRIES / DK_UNICODE_ENTRIES */
    k->entries = keys + (pt_addr)s->m[PYI_F_DK_INDICES].off + (1ULL << log2_index_bytes);
    bool general = kind == PYI_DICT_KEYS_GENERAL;
    k->entry_size = general ? s->size[PYI_S_DKENTRY] : s->size[PYI_S_DKUENTRY];
    k->key_f = general ? PYI_F_DKE_KEY : PYI_F_DKU_KEY;
    k->value_f = general ? PYI_F_DKE_VALUE : PYI_F_DKU_VALUE;
    return 0;
}

/* 3.10 keys objects: DK_IXSIZE by dk_size. */
static int pyi_keys_read_310(struct pyi_session *s, pt_addr keys, struct pyi_keys *k)
{
    int64_t size;
    if (pyi_rd(s, keys, PYI_F_DK_SIZE, &size) != 0 ||
        pyi_rd(s, keys, PYI_F_DK_NENTRIES, &k->nentries) != 0) {
        return -1;
    }
    if (size <= 0 || size > (1LL << PYI_MAX_DICT_LOG2) || (size & (size - 1)) || k->nentries < 0 ||
        k->nentries > size) {
        return pt_fail("implausible dict keys object at 0x%llx", (unsigned long long)keys);
    }
    int64_t ix = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffLL ? 4 : 8;
    k->entries = keys + (pt_addr)s->m[PYI_F_DK_INDICES].off + (pt_addr)(size * ix);
    k->entry_size = s->size[PYI_S_DKENTRY];
    k->key_f = PYI_F_DKE_KEY;
    k->value_f = PYI_F_DKE_VALUE;
    return 0;
}

/* Split values: cb(key of entry ix, values[ix]) for each ix of order[0..n); the entries and
 * values are read in two reads (an instance's attributes are read at every hit of a condition
 * on one of them). */
static int pyi_values_by_order(struct pyi_session *s, pt_addr vbase, const struct pyi_keys *k,
                               const uint8_t *order, int64_t n, int (*cb)(void *, pt_addr, pt_addr),
                               void *ctx)
{
    enum { MAXN = 255, MAXE = 64 };
    uint8_t entries[MAXN * MAXE];
    pt_addr vals[MAXN];
    if (k->nentries > MAXN || k->entry_size > MAXE) {
        return pt_fail("implausible split dict (%lld entries)", (long long)k->nentries);
    }
    size_t ne = (size_t)k->nentries;
    if (ne && (pyi_read(s, k->entries, entries, ne * (size_t)k->entry_size) != 0 ||
               pyi_read(s, vbase, vals, ne * 8) != 0)) {
        return pt_wrap("reading split dict entries at 0x%llx", (unsigned long long)k->entries);
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t ix = order[i];
        pt_addr key;
        if (ix >= k->nentries) {
            return pt_fail("split dict order names entry %lld of %lld", (long long)ix,
                           (long long)k->nentries);
        }
        memcpy(&key, entries + ix * k->entry_size + s->m[k->key_f].off, sizeof key);
        s->iter_slot = vbase + (pt_addr)ix * 8;
        if (vals[ix] && cb(ctx, key, vals[ix])) {
            break;
        }
    }
    return 0;
}

/* 3.11/3.12 split values: the insertion order bytes precede values ([-2] = count, [-3-i] =
 * i-th index), as get_index_from_order / _PyDictValues_AddToInsertionOrder. */
static int pyi_values_iter_311(struct pyi_session *s, pt_addr values, const struct pyi_keys *k,
                               int64_t limit, int (*cb)(void *, pt_addr, pt_addr), void *ctx)
{
    uint8_t pre[2 + 256], order[256];
    if (pyi_read(s, values - 2, pre + 256, 2) != 0) {
        return pt_wrap("reading the insertion order of dict values at 0x%llx",
                       (unsigned long long)values);
    }
    int64_t used = pre[256];
    if (limit >= 0 && used > limit) {
        used = limit;
    }
    if (used > 0 && pyi_read(s, values - 2 - (pt_addr)used, pre + 256 - used, (size_t)used) != 0) {
        return -1;
    }
    for (int64_t i = 0; i < used; i++) {
        order[i] = pre[256 - 1 - i];
    }
    return pyi_values_by_order(s, values + (pt_addr)s->m[PYI_F_DV_VALUES].off, k, order, used, cb,
                               ctx);
}

/* 3.13 values: size entries, the order after values[capacity] (get_insertion_order_array). */
static int pyi_values_iter_313(struct pyi_session *s, pt_addr values, const struct pyi_keys *k,
                               int (*cb)(void *, pt_addr, pt_addr), void *ctx)
{
    int64_t cap, size;
    uint8_t order[256];
    pt_addr vbase = values + (pt_addr)s->m[PYI_F_DV_VALUES].off;
    if (pyi_rd(s, values, PYI_F_DV_CAPACITY, &cap) != 0 ||
        pyi_rd(s, values, PYI_F_DV_SIZE, &size) != 0 || size > cap ||
        (size && pyi_read(s, vbase + (pt_addr)cap * 8, order, (size_t)size) != 0)) {
        return pt_wrap("reading the dict values at 0x%llx", (unsigned long long)values);
    }
    return pyi_values_by_order(s, vbase, k, order, size, cb, ctx);
}

/* The entries of a combined table, read a chunk at a time, empty (deleted) slots skipped. */
static int pyi_entries_iter(struct pyi_session *s, pt_addr dict, const struct pyi_keys *k,
                            int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx)
{
    enum { CHUNK = 1024 };
    int64_t koff = s->m[k->key_f].off, voff = s->m[k->value_f].off;
    uint8_t *buf = malloc((size_t)(CHUNK * k->entry_size));
    if (!buf) {
        return pt_fail("out of memory");
    }
    int rc = 0;
    for (int64_t i = 0; i < k->nentries && rc == 0; i += CHUNK) {
        int64_t n = k->nentries - i < CHUNK ? k->nentries - i : CHUNK;
        if (pyi_read(s, k->entries + (pt_addr)(i * k->entry_size), buf,
                     (size_t)(n * k->entry_size)) != 0) {
            rc = pt_wrap("reading entries %lld.. of dict at 0x%llx", (long long)i,
                         (unsigned long long)dict);
            break;
        }
        for (int64_t j = 0; j < n; j++) {
            pt_addr key, value;
            memcpy(&key, buf + j * k->entry_size + koff, sizeof key);
            memcpy(&value, buf + j * k->entry_size + voff, sizeof value);
            s->iter_slot = k->entries + (pt_addr)((i + j) * k->entry_size + voff);
            if (value && key && cb(ctx, key, value)) {
                rc = 1;
                break;
            }
        }
    }
    free(buf);
    return rc < 0 ? -1 : 0;
}

/* The dict's keys and values pointers and its item count. */
static int pyi_dict_head(struct pyi_session *s, pt_addr dict, pt_addr *keys, pt_addr *values,
                         int64_t *used)
{
    if (pyi_rd_ptr(s, dict, PYI_F_DICT_KEYS, keys) != 0 ||
        pyi_rd_ptr(s, dict, PYI_F_DICT_VALUES, values) != 0 ||
        pyi_rd(s, dict, PYI_F_DICT_USED, used) != 0) {
        return pt_wrap("reading dict at 0x%llx", (unsigned long long)dict);
    }
    return 0;
}

/* _PyDict_Next, 3.10: a split table's values are in entry order. */
int pyi_dict_iter_310(struct pyi_session *s, pt_addr dict,
                      int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx)
{
    pt_addr keys, values;
    int64_t used;
    struct pyi_keys k;
    if (pyi_dict_head(s, dict, &keys, &values, &used) != 0 || pyi_keys_read_310(s, keys, &k)) {
        return pt_wrap("reading dict at 0x%llx", (unsigned long long)dict);
    }
    if (!values) {
        return pyi_entries_iter(s, dict, &k, cb, ctx);
    }
    uint8_t order[256];
    int64_t n = k.nentries < 256 ? k.nentries : 256;
    for (int64_t i = 0; i < n; i++) {
        order[i] = (uint8_t)i;
    }
    return pyi_values_by_order(s, values, &k, order, n, cb, ctx);
}

/* _PyDict_Next from 3.11: combined entries, or split values (values_iter: the version's). */
static int pyi_dict_iter_keys(struct pyi_session *s, pt_addr dict, bool order_after,
                              int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx)
{
    pt_addr keys, values;
    int64_t used;
    struct pyi_keys k;
    if (pyi_dict_head(s, dict, &keys, &values, &used) != 0 || pyi_keys_read(s, keys, &k) != 0) {
        return pt_wrap("reading dict at 0x%llx", (unsigned long long)dict);
    }
    if (!values) {
        return pyi_entries_iter(s, dict, &k, cb, ctx);
    }
    return order_after ? pyi_values_iter_313(s, values, &k, cb, ctx)
                       : pyi_values_iter_311(s, values, &k, used, cb, ctx);
}

int pyi_dict_iter_311(struct pyi_session *s, pt_addr dict,
                      int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx)
{
    return pyi_dict_iter_keys(s, dict, false, cb, ctx);
}

int pyi_dict_iter_313(struct pyi_session *s, pt_addr dict,
                      int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx)
{
    return pyi_dict_iter_keys(s, dict, true, cb, ctx);
}

/* ---- instance attributes -------------------------------------------------------------------- */

static int pyi_type_flag(struct pyi_session *s, pt_addr type, unsigned long flag, bool *set)
{
    unsigned long flags;
    if (pyi_type_flags(s, type, &flags) != 0) {
        return -1;
    }
    *set = flag && (flags & flag);
    return 0;
}

/* The type's shared keys (ht_cached_keys), for values that have no dict. */
static int pyi_cached_keys(struct pyi_session *s, pt_addr type, struct pyi_keys *k)
{
    pt_addr keys;
    if (pyi_rd_ptr(s, type, PYI_F_HT_CACHED_KEYS, &keys) != 0 || !keys ||
        pyi_keys_read(s, keys, k) != 0) {
        return pt_wrap("reading the cached keys of type at 0x%llx", (unsigned long long)type);
    }
    return 0;
}

static int pyi_attrs_dict(struct pyi_session *s, pt_addr dict,
                          int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found)
{
    *found = dict != 0;
    return dict ? s->v->dict_iter(s, dict, cb, ctx) : 0;
}

/* A dict at tp_dictoffset (_PyObject_GetDictPtr; a negative offset is not followed). */
int pyi_attrs_dictoffset(struct pyi_session *s, pt_addr obj, pt_addr type,
                         int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found)
{
    int64_t off;
    pt_addr dict = 0;
    *found = false;
    if (pyi_rd(s, type, PYI_F_TP_DICTOFFSET, &off) != 0 ||
        (off > 0 && pyi_read_ptr(s, obj + (pt_addr)off, &dict) != 0)) {
        return -1;
    }
    return pyi_attrs_dict(s, dict, cb, ctx, found);
}

/* Does type have a managed dict (Py_TPFLAGS_MANAGED_DICT)? Then *dict is the word at
 * managed_dict_word words before the object. */
static int pyi_managed_word(struct pyi_session *s, pt_addr obj, pt_addr type, bool *managed,
                            pt_addr *dict)
{
    *dict = 0;
    if (pyi_type_flag(s, type, s->v->tpf_managed_dict, managed) != 0) {
        return -1;
    }
    if (*managed && pyi_read_ptr(s, obj - (pt_addr)s->v->managed_dict_word * 8, dict) != 0) {
        return pt_wrap("reading the managed dict of the object at 0x%llx", (unsigned long long)obj);
    }
    return 0;
}

/* 3.11: values and dict in the words before the object (_PyObject_ValuesPointer,
 * _PyObject_ManagedDictPointer). */
int pyi_attrs_311(struct pyi_session *s, pt_addr obj, pt_addr type,
                  int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found)
{
    pt_addr dict, values = 0;
    bool managed;
    struct pyi_keys k;
    *found = false;
    if (pyi_managed_word(s, obj, type, &managed, &dict) != 0) {
        return -1;
    }
    if (!managed) {
        return pyi_attrs_dictoffset(s, obj, type, cb, ctx, found);
    }
    if (pyi_read_ptr(s, obj - (pt_addr)s->v->values_word * 8, &values) != 0) {
        return pt_wrap("reading the values of the object at 0x%llx", (unsigned long long)obj);
    }
    if (!values) {
        return pyi_attrs_dict(s, dict, cb, ctx, found);
    }
    *found = true;
    return pyi_cached_keys(s, type, &k) != 0 ? -1 : pyi_values_iter_311(s, values, &k, -1, cb, ctx);
}

/* 3.12: one word before the object holds the dict, or the values less 1 (an odd address)
 * (_PyObject_DictOrValuesPointer, _PyDictOrValues_IsValues). */
int pyi_attrs_312(struct pyi_session *s, pt_addr obj, pt_addr type,
                  int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found)
{
    pt_addr word;
    bool managed;
    struct pyi_keys k;
    *found = false;
    if (pyi_managed_word(s, obj, type, &managed, &word) != 0) {
        return -1;
    }
    if (!managed) {
        return pyi_attrs_dictoffset(s, obj, type, cb, ctx, found);
    }
    if (!(word & 1)) {
        return pyi_attrs_dict(s, word, cb, ctx, found);
    }
    *found = true;
    return pyi_cached_keys(s, type, &k) != 0 ? -1
                                             : pyi_values_iter_311(s, word + 1, &k, -1, cb, ctx);
}

/* 3.13: the managed dict if there is one (its values may be the inline ones), else the inline
 * values after tp_basicsize if valid (_PyObject_InlineValues, _PyObject_ManagedDictPointer). */
int pyi_attrs_313(struct pyi_session *s, pt_addr obj, pt_addr type,
                  int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found)
{
    pt_addr dict;
    bool managed, inl;
    int64_t basic, valid = 0;
    struct pyi_keys k;
    *found = false;
    if (pyi_managed_word(s, obj, type, &managed, &dict) != 0 ||
        pyi_type_flag(s, type, s->v->tpf_inline_values, &inl) != 0) {
        return -1;
    }
    if (!managed) {
        return pyi_attrs_dictoffset(s, obj, type, cb, ctx, found);
    }
    if (dict || !inl) {
        return pyi_attrs_dict(s, dict, cb, ctx, found);
    }
    if (pyi_rd(s, type, PYI_F_TP_BASICSIZE, &basic) != 0 ||
        pyi_rd(s, obj + (pt_addr)basic, PYI_F_DV_VALID, &valid) != 0) {
        return -1;
    }
    if (!valid) {
        return 0;
    }
    *found = true;
    return pyi_cached_keys(s, type, &k) != 0
               ? -1
               : pyi_values_iter_313(s, obj + (pt_addr)basic, &k, cb, ctx);
}

/* ---- attributes for the in-tracee conditions (pyi_cond.c, common/pt_cond.h) ---------------- */

/* name's entry among keys (its index, where its key pointer is and what it is): 1, or 0 if
 * the keys do not hold it. An entry, once there, keeps its index: shared keys only grow. */
static int pyi_keys_index(struct pyi_session *s, const struct pyi_keys *k, const char *name,
                          struct pt_cond_step *st)
{
    int64_t koff = s->m[k->key_f].off;
    for (int64_t i = 0; i < k->nentries && i < 255; i++) {
        pt_addr at = k->entries + (pt_addr)(i * k->entry_size + koff), key;
        bool eq = false;
        if (pyi_read_ptr(s, at, &key) != 0) {
            return -1;
        }
        if (key && pyi_str_eq(s, key, name, &eq) == 0 && eq) {
            st->index = (uint32_t)i;
            st->key_at = at;
            st->key = key;
            return 1;
        }
        pt_err_clear();
    }
    return 0;
}

/* The type's shared keys if it has them (*keys = 0 if not: a static type has no
 * PyHeapTypeObject around it). */
static int pyi_shared_keys(struct pyi_session *s, pt_addr type, pt_addr *keys)
{
    bool heap;
    *keys = 0;
    if (pyi_type_flag(s, type, s->v->tpf_heaptype, &heap) != 0) {
        return -1;
    }
    return heap ? pyi_rd_ptr(s, type, PYI_F_HT_CACHED_KEYS, keys) : 0;
}

/* 3.11, 3.12: a managed dict's values (the values pointer, or the tagged word, before the
 * object) are at the name's index among the type's shared keys. */
int pyi_inline_attr_311(struct pyi_session *s, pt_addr type, const char *name,
                        struct pt_cond_step *st)
{
    bool managed;
    pt_addr keys;
    struct pyi_keys k;
    if (pyi_type_flag(s, type, s->v->tpf_managed_dict, &managed) != 0 ||
        (managed && pyi_shared_keys(s, type, &keys) != 0)) {
        return -1;
    }
    if (!managed || !keys) {
        return 0;
    }
    return pyi_keys_read(s, keys, &k) != 0 ? -1 : pyi_keys_index(s, &k, name, st);
}

/* 3.13: the values inline after tp_basicsize (Py_TPFLAGS_INLINE_VALUES). */
int pyi_inline_attr_313(struct pyi_session *s, pt_addr type, const char *name,
                        struct pt_cond_step *st)
{
    bool inl;
    if (pyi_type_flag(s, type, s->v->tpf_inline_values, &inl) != 0) {
        return -1;
    }
    if (!inl) {
        return 0;
    }
    return pyi_rd(s, type, PYI_F_TP_BASICSIZE, &st->base) != 0
               ? -1
               : pyi_inline_attr_311(s, type, name, st);
}

/* 3.10: an instance dict at tp_dictoffset that shares the type's keys (a split table) keeps
 * the value at the name's index in ma_values. The type may drop its shared keys for new ones,
 * so the keys object and its entry's key are checked too. */
int pyi_inline_attr_310(struct pyi_session *s, pt_addr type, const char *name,
                        struct pt_cond_step *st)
{
    pt_addr keys;
    struct pyi_keys k;
    if (pyi_rd(s, type, PYI_F_TP_DICTOFFSET, &st->base) != 0 ||
        pyi_shared_keys(s, type, &keys) != 0) {
        return -1;
    }
    if (st->base <= 0 || !keys) {
        return 0; /* no dict, or one whose place depends on the object's size */
    }
    st->keys = keys;
    return pyi_keys_read_310(s, keys, &k) != 0 ? -1 : pyi_keys_index(s, &k, name, st);
}
