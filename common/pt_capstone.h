/*
 * pt_capstone: capstone, loaded when first used. Linked normally, libcapstone's 1.3 MB of
 * relocated tables cost every pytt process ~1.4 ms at start (`pytt record python3.11 -c pass`
 * ~16 ms natively), although recording needs a disassembler only for CPython 3.10's main loop
 * and the debugger only for a few navigation and display commands. So the few capstone
 * functions pytt calls are looked up with dlopen/dlsym on first use; a .c file that calls
 * capstone includes this header (after <capstone/capstone.h>, which gives the types) and calls
 * the functions by their usual names. If the library cannot be loaded, cs_open fails with
 * CS_ERR_MEM and pt_capstone_error() says why.
 */
#ifndef PT_CAPSTONE_H
#define PT_CAPSTONE_H

#include <capstone/capstone.h>

struct pt_capstone_api {
    cs_err (*open)(cs_arch arch, cs_mode mode, csh *handle);
    cs_err (*option)(csh handle, cs_opt_type type, size_t value);
    size_t (*disasm)(csh handle, const uint8_t *code, size_t code_size, uint64_t address,
                     size_t count, cs_insn **insn);
    void (*free)(cs_insn *insn, size_t count);
    cs_err (*close)(csh *handle);
    const char *(*reg_name)(csh handle, unsigned int reg_id);
    cs_err (*regs_access)(csh handle, const cs_insn *insn, cs_regs regs_read,
                          uint8_t *regs_read_count, cs_regs regs_write, uint8_t *regs_write_count);
};

/* The functions, loaded on the first call (NULL if the library cannot be loaded). */
const struct pt_capstone_api *pt_capstone(void);
/* Why the library could not be loaded ("" if it was). */
const char *pt_capstone_error(void);
/* An x86-64 disassembler in *cs: 0, or -1 with the reason (pt_error.h). */
int pt_capstone_x86(csh *cs);
/* cs_open that loads the library first. */
cs_err pt_capstone_open(cs_arch arch, cs_mode mode, csh *handle);

/* The calls below only happen on a handle cs_open gave, so the library is loaded. */
#define cs_open(a, m, h) pt_capstone_open((a), (m), (h))
#define cs_option(h, t, v) (pt_capstone()->option((h), (t), (v)))
#define cs_disasm(h, c, n, a, k, i) (pt_capstone()->disasm((h), (c), (n), (a), (k), (i)))
#define cs_free(i, n) (pt_capstone()->free((i), (n)))
#define cs_close(h) (pt_capstone()->close((h)))
#define cs_reg_name(h, r) (pt_capstone()->reg_name((h), (r)))
#define cs_regs_access(h, i, r, nr, w, nw)                                                         \
    (pt_capstone()->regs_access((h), (i), (r), (nr), (w), (nw)))

#endif
