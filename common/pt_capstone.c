/*
 * pt_capstone: capstone's functions looked up with dlopen on first use (see pt_capstone.h).
 */
#define _GNU_SOURCE
#include "pt_capstone.h"

#include "pt_error.h"

#include <dlfcn.h>
#include <stdio.h>

#define PT_STR2(x) #x
#define PT_STR(x) PT_STR2(x)
/* the soname of the major version pytt was built against (Debian 12: libcapstone.so.4) */
#define PT_CAPSTONE_SONAME "libcapstone.so." PT_STR(CS_API_MAJOR)

static struct pt_capstone_api api;
static int state; /* 0 not tried, 1 loaded, -1 failed */
static char error[512];

static int load(void)
{
    void *h = dlopen(PT_CAPSTONE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(error, sizeof error, "cannot load %s (apt-get install libcapstone4): %s",
                 PT_CAPSTONE_SONAME, dlerror());
        return -1;
    }
    struct {
        void **slot;
        const char *name;
    } syms[] = {
        {(void **)&api.open, "cs_open"},
        {(void **)&api.option, "cs_option"},
        {(void **)&api.disasm, "cs_disasm"},
        {(void **)&api.free, "cs_free"},
        {(void **)&api.close, "cs_close"},
        {(void **)&api.reg_name, "cs_reg_name"},
        {(void **)&api.regs_access, "cs_regs_access"},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        if (!(*syms[i].slot = dlsym(h, syms[i].name))) {
            snprintf(error, sizeof error, "%s has no %s: %s", PT_CAPSTONE_SONAME, syms[i].name,
                     dlerror());
            return -1;
        }
    }
    return 0;
}

const struct pt_capstone_api *pt_capstone(void)
{
    if (state == 0) {
        state = load() == 0 ? 1 : -1;
    }
    return state == 1 ? &api : NULL;
}

const char *pt_capstone_error(void)
{
    return error;
}

cs_err pt_capstone_open(cs_arch arch, cs_mode mode, csh *handle)
{
    const struct pt_capstone_api *a = pt_capstone();
    return a ? a->open(arch, mode, handle) : CS_ERR_MEM;
}

int pt_capstone_x86(csh *cs)
{
    if (pt_capstone_open(CS_ARCH_X86, CS_MODE_64, cs) != CS_ERR_OK) {
        return pt_fail("capstone: cannot open an x86-64 disassembler%s%s", error[0] ? ": " : "",
                       error);
    }
    return 0;
}
