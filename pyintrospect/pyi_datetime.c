/*
 * pyi_datetime: datetime objects rendered from their C fields (Modules/_datetimemodule.c's
 * date_repr, datetime_repr, time_repr and delta_repr), for `pytt dump`, which cannot run their
 * repr. The layout (PyDateTime_Date, _DateTime, _Time, _Delta in Include/datetime.h) comes from
 * DWARF where _datetime is built into the interpreter; elsewhere these objects stay opaque.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

enum dt_kind { DT_NONE, DT_DATE, DT_DATETIME, DT_TIME, DT_DELTA };

static enum dt_kind dt_kind_of(struct pyi_session *s, pt_addr type)
{
    static const char *const names[] = {"datetime.date", "datetime.datetime", "datetime.time",
                                        "datetime.timedelta"};
    char *name = NULL;
    enum dt_kind k = DT_NONE;
    if (pyi_type_tpname(s, type, &name) == 0) {
        for (int i = 0; i < 4; i++) {
            if (strcmp(name, names[i]) == 0) {
                k = (enum dt_kind)(i + 1);
            }
        }
    }
    free(name);
    pt_err_clear();
    return k;
}

static bool read_bytes(struct pyi_session *s, pt_addr obj, enum pyi_field f, uint8_t *b, size_t n)
{
    return pyi_has(s, f) && pyi_read(s, obj + (pt_addr)s->m[f].off, b, n) == 0;
}

/* ", tzinfo=" is left to the caller; the fold and the closing parenthesis follow it. */
static bool tz_and_fold(struct pyi_session *s, pt_addr obj, enum pyi_field hastz,
                        enum pyi_field tzf, enum pyi_field foldf, struct pyi_buf *out,
                        pt_addr *tzinfo)
{
    int64_t has = 0, fold = 0;
    if (pyi_rd(s, obj, hastz, &has) != 0 || pyi_rd(s, obj, foldf, &fold) != 0 ||
        (has && pyi_rd_ptr(s, obj, tzf, tzinfo) != 0)) {
        return false;
    }
    if (fold) {
        pyi_buf_puts(out, ", fold=1");
    }
    return true;
}

static bool dt_time(struct pyi_session *s, const uint8_t *d, struct pyi_buf *out, bool lead)
{
    int h = d[0], m = d[1], sec = d[2], us = d[3] << 16 | d[4] << 8 | d[5];
    pyi_buf_printf(out, "%s%d, %d", lead ? ", " : "", h, m);
    if (sec || us) {
        pyi_buf_printf(out, ", %d", sec);
    }
    if (us) {
        pyi_buf_printf(out, ", %d", us);
    }
    return true;
}

static bool dt_delta(struct pyi_session *s, pt_addr obj, struct pyi_buf *out)
{
    int64_t days, secs, us;
    if (pyi_rd(s, obj, PYI_F_DELTA_DAYS, &days) != 0 ||
        pyi_rd(s, obj, PYI_F_DELTA_SECONDS, &secs) != 0 ||
        pyi_rd(s, obj, PYI_F_DELTA_US, &us) != 0) {
        return false;
    }
    const char *sep = "";
    pyi_buf_puts(out, "datetime.timedelta(");
    if (days) {
        pyi_buf_printf(out, "days=%lld", (long long)days);
        sep = ", ";
    }
    if (secs) {
        pyi_buf_printf(out, "%sseconds=%lld", sep, (long long)secs);
        sep = ", ";
    }
    if (us) {
        pyi_buf_printf(out, "%smicroseconds=%lld", sep, (long long)us);
    }
    if (!days && !secs && !us) {
        pyi_buf_putc(out, '0');
    }
    return true;
}

bool pyi_datetime_fields(struct pyi_session *s, pt_addr obj, pt_addr type, struct pyi_buf *out,
                         pt_addr *tzinfo)
{
    uint8_t d[10];
    enum dt_kind k = dt_kind_of(s, type);
    size_t mark = out->len;
    bool ok = false;
    *tzinfo = 0;
    if (k == DT_DELTA) {
        ok = dt_delta(s, obj, out);
    } else if ((k == DT_DATE || k == DT_DATETIME) &&
               read_bytes(s, obj, k == DT_DATE ? PYI_F_DATE_DATA : PYI_F_DT_DATA, d,
                          k == DT_DATE ? 4 : 10)) {
        pyi_buf_printf(out, "datetime.%s(%d, %d, %d", k == DT_DATE ? "date" : "datetime",
                       d[0] << 8 | d[1], d[2], d[3]);
        ok = k == DT_DATE ||
             (dt_time(s, d + 4, out, true) &&
              tz_and_fold(s, obj, PYI_F_DT_HASTZ, PYI_F_DT_TZINFO, PYI_F_DT_FOLD, out, tzinfo));
    } else if (k == DT_TIME && read_bytes(s, obj, PYI_F_TIME_DATA, d, 6)) {
        pyi_buf_puts(out, "datetime.time(");
        ok = dt_time(s, d, out, false) &&
             tz_and_fold(s, obj, PYI_F_TIME_HASTZ, PYI_F_TIME_TZINFO, PYI_F_TIME_FOLD, out, tzinfo);
    }
    if (!ok) {
        out->len = mark;
        pt_err_clear();
    }
    return ok;
}
