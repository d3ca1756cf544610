/*
 * pyi_slots: the memory words a watched place's value depends on, for hardware watchpoints
 * (replayer/rep_hwatch.c). A place (struct pyi_loc) reads through dicts and objects; its value
 * can change only where one of these words is written:
 *   - a dict entry: the entry's value slot and the dict's ma_keys (a resize or clear moves the
 *     entries); while the key is absent, ma_keys and ma_used (an insertion counts);
 *   - an instance attribute in inline values (3.11: the values pointer before the object; 3.12:
 *     the tagged dict-or-values word; 3.13: the managed dict word) and the value's slot; in an
 *     instance dict: the word holding the dict, then the dict's words above;
 *   - a __slots__ member: its word in the object;
 *   - a list item lst[i]: the list's ob_item and ob_size words and the item's slot;
 *   - an object a local named when the place was set: the words above, while its type is the
 *     one it had (its death clears its attributes or items: a write to a watched word);
 *   - a global path NAME.attr / NAME[key]: NAME's entry in its module dict, then the above.
 * The value itself must be immutable (an exact int, float, complex, str, bytes, bool or None):
 * a list or an instance can change in place anywhere, which no 4 words cover. Anything else
 * (a local, a longer path, an attribute that comes from the class, 5 words or more) is "not
 * armable" with the reason, and the caller uses the exact engine. Slots are found by the same
 * iterators that read the values (pyi_dict.c records each item's slot address in s->iter_slot:
 * pyi_dict_get_str_slot, pyi_instance_attr_slot), so the version differences stay there.
 */
#define _GNU_SOURCE
#include "pyintrospect/pyi_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int refuse(struct pyi_slots *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->why, sizeof out->why, fmt, ap);
    va_end(ap);
    out->n = 0;
    return 0;
}

static int add(struct pyi_slots *out, pt_addr addr)
{
    if (out->n == PYI_SLOTS_MAX) {
        return refuse(out, "needs more than %d debug registers", PYI_SLOTS_MAX);
    }
    out->addr[out->n++] = addr;
    return 1;
}

/* Key `name` of a dict: its words, and its value (0 when absent). 1 armed, 0 refused. */
static int dict_words(struct pyi_session *s, pt_addr dict, const char *name, struct pyi_slots *out,
                      pt_addr *value)
{
    pt_addr slot = 0;
    if (pyi_dict_get_str_slot(s, dict, name, value, &slot) != 0) {
        return -1;
    }
    int r = add(out, dict + (pt_addr)s->m[PYI_F_DICT_KEYS].off);
    if (r <= 0) {
        return r;
    }
    return add(out, *value ? slot : dict + (pt_addr)s->m[PYI_F_DICT_USED].off);
}

/* Where an instance's attributes live: the word that holds them (holder), the dict (0: inline
 * values, or none). */
static int attr_home(struct pyi_session *s, pt_addr obj, pt_addr type, pt_addr *holder,
                     pt_addr *dict)
{
    unsigned long flags;
    int64_t off;
    *holder = *dict = 0;
    if (pyi_type_flags(s, type, &flags) != 0) {
        return -1;
    }
    if (s->v->tpf_managed_dict && (flags & s->v->tpf_managed_dict)) {
        pt_addr word, values = 0;
        *holder = obj - (pt_addr)s->v->managed_dict_word * 8;
        if (pyi_read_ptr(s, *holder, &word) != 0) {
            return -1;
        }
        if (s->v->values_word) { /* 3.11: a values pointer of its own */
            pt_addr vw = obj - (pt_addr)s->v->values_word * 8;
            if (pyi_read_ptr(s, vw, &values) != 0) {
                return -1;
            }
            if (values) {
                *holder = vw;
                return 0;
            }
            *dict = word;
            return 0;
        }
        if (!s->v->tpf_inline_values) { /* 3.12: values | 1, or the dict */
            *dict = (word & 1) ? 0 : word;
            return 0;
        }
        *dict = word; /* 3.13: the dict if there is one, else the inline values */
        return 0;
    }
    if (pyi_rd(s, type, PYI_F_TP_DICTOFFSET, &off) != 0) {
        return -1;
    }
    if (off <= 0) {
        return 0;
    }
    *holder = obj + (pt_addr)off;
    return pyi_read_ptr(s, *holder, dict) != 0 ? -1 : 0;
}

/* A __slots__ member's word (0 when name is not one). */
static int member_word(struct pyi_session *s, pt_addr obj, pt_addr type, const char *name,
                       pt_addr *word, bool *other)
{
    pt_addr descr = 0, def;
    int64_t off;
    struct pyi_objinfo oi;
    *word = 0;
    *other = false;
    if (pyi_type_lookup(s, type, name, &descr) != 0) {
        return -1;
    }
    if (!descr) {
        return 0;
    }
    if (pyi_obj_classify(s, descr, &oi) != 0) {
        return -1;
    }
    if (oi.kind != PYI_K_MEMBERDESCR) {
        *other = true; /* found on the class: what the instance lacks comes from there */
        return 0;
    }
    if (pyi_rd_ptr(s, descr, PYI_F_MEMBERDESCR_MEMBER, &def) != 0 ||
        pyi_rd(s, def, PYI_F_MEMBERDEF_OFFSET, &off) != 0 || off <= 0 || off > (1 << 20)) {
        return -1;
    }
    *word = obj + (pt_addr)off;
    return 0;
}

/* Attribute `name` of obj: its words and value. */
static int attr_words(struct pyi_session *s, pt_addr obj, const char *name, struct pyi_slots *out,
                      pt_addr *value)
{
    pt_addr type, word, holder, dict;
    bool other;
    *value = 0;
    if (pyi_obj_type(s, obj, &type) != 0 || member_word(s, obj, type, name, &word, &other) != 0) {
        return -1;
    }
    if (word) {
        return pyi_read_ptr(s, word, value) != 0 ? -1 : add(out, word);
    }
    if (attr_home(s, obj, type, &holder, &dict) != 0) {
        return -1;
    }
    if (!holder) {
        return refuse(out, "the object has no instance attributes");
    }
    int r = add(out, holder);
    if (r <= 0) {
        return r;
    }
    if (dict) {
        r = dict_words(s, dict, name, out, value);
    } else {
        pt_addr slot = 0;
        if (pyi_instance_attr_slot(s, obj, type, name, value, &slot) != 0) {
            return -1;
        }
        r = *value ? add(out, slot) : refuse(out, "the attribute is not set yet");
    }
    if (r > 0 && !*value && other) {
        return refuse(out, "the attribute comes from the class");
    }
    return r;
}

/* The text of a str literal key ('k' or "k", no escapes), or NULL. */
static char *str_literal(const char *text)
{
    size_t n = strlen(text);
    if (n < 2 || (text[0] != '\'' && text[0] != '"') || text[n - 1] != text[0] ||
        memchr(text + 1, '\\', n - 2) || memchr(text + 1, text[0], n - 2)) {
        return NULL;
    }
    return strndup(text + 1, n - 2);
}

/* Item i (a literal int >= 0) of a list: its ob_item and ob_size words, and the item's slot
 * while i is in range (an insertion before it moves the items: their slots are written). */
static int list_words(struct pyi_session *s, const struct pyi_loc *loc, pt_addr obj,
                      struct pyi_slots *out, pt_addr *value)
{
    char *end;
    long long i = loc->key ? -1 : strtoll(loc->keytext, &end, 10);
    int64_t size;
    pt_addr items;
    if (i < 0 || loc->key || *end) {
        return refuse(out, "a list index that is not a literal int >= 0");
    }
    if (pyi_rd(s, obj, PYI_F_OB_SIZE, &size) != 0 || pyi_rd_ptr(s, obj, PYI_F_LIST_ITEM, &items)) {
        return -1;
    }
    int r = add(out, obj + (pt_addr)s->m[PYI_F_LIST_ITEM].off);
    if (r > 0) {
        r = add(out, obj + (pt_addr)s->m[PYI_F_OB_SIZE].off);
    }
    if (r > 0 && i < size && items) {
        if (pyi_read_ptr(s, items + (pt_addr)i * 8, value) != 0) {
            return -1;
        }
        r = add(out, items + (pt_addr)i * 8);
    }
    return r;
}

/* Item loc->key / keytext of obj (a dict with a str key, a list with a literal index). */
static int item_words(struct pyi_session *s, const struct pyi_loc *loc, pt_addr obj,
                      struct pyi_slots *out, pt_addr *value)
{
    struct pyi_objinfo oi;
    char *key = NULL;
    if (pyi_obj_classify(s, obj, &oi) != 0) {
        return -1;
    }
    if (oi.kind == PYI_K_LIST && oi.exact) {
        return list_words(s, loc, obj, out, value);
    }
    if (oi.kind != PYI_K_DICT || !oi.exact) {
        return refuse(out, "an item of a container other than a dict or a list");
    }
    if (loc->key) {
        struct pyi_objinfo ki;
        if (pyi_obj_classify(s, loc->key, &ki) != 0) {
            return -1;
        }
        if (ki.kind == PYI_K_STR && ki.exact && pyi_str_utf8(s, loc->key, &key) != 0) {
            return -1;
        }
    } else {
        key = str_literal(loc->keytext);
    }
    if (!key) {
        return refuse(out, "a dict key that is not a str");
    }
    int r = dict_words(s, obj, key, out, value);
    free(key);
    return r;
}

static int immutable(struct pyi_session *s, pt_addr value, struct pyi_slots *out)
{
    struct pyi_objinfo oi;
    if (!value) {
        return 1;
    }
    if (pyi_obj_classify(s, value, &oi) != 0) {
        return -1;
    }
    switch (oi.kind) {
    case PYI_K_NONE:
    case PYI_K_BOOL:
    case PYI_K_INT:
    case PYI_K_FLOAT:
    case PYI_K_COMPLEX:
    case PYI_K_STR:
    case PYI_K_BYTES:
        if (oi.exact) {
            return 1;
        }
        break;
    default:
        break;
    }
    return refuse(out, "its value can change in place");
}

int pyi_loc_slots(struct pyi_session *s, const struct pyi_loc *loc, struct pyi_slots *out)
{
    pt_addr obj = 0, value = 0;
    int r;
    memset(out, 0, sizeof *out);
    switch (loc->kind) {
    case PYI_LOC_GLOBAL:
        r = dict_words(s, loc->obj, loc->name, out, &value);
        break;
    case PYI_LOC_ATTR:
    case PYI_LOC_ITEM:
        if (!loc->rootdict) { /* the object a local named when set: followed while it lives
                               * (its death clears the words watched: a write) */
            pt_addr type = 0;
            if (pyi_obj_type(s, loc->obj, &type) != 0 || type != loc->type) {
                pt_err_clear();
                return refuse(out, "the object is not there");
            }
            r = loc->kind == PYI_LOC_ATTR ? attr_words(s, loc->obj, loc->name, out, &value)
                                          : item_words(s, loc, loc->obj, out, &value);
            break;
        }
        if (strcmp(loc->prefix, loc->root) != 0) {
            return refuse(out, "a path longer than NAME.attr or NAME[key]");
        }
        r = dict_words(s, loc->rootdict, loc->root, out, &obj);
        if (r <= 0 || !obj) {
            break; /* the root is not bound yet: its entry's words */
        }
        r = loc->kind == PYI_LOC_ATTR ? attr_words(s, obj, loc->name, out, &value)
                                      : item_words(s, loc, obj, out, &value);
        break;
    default:
        return refuse(out, "a local (every call of its function)");
    }
    if (r <= 0) {
        return r;
    }
    return immutable(s, value, out);
}
