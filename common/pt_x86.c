/*
 * pt_x86: x86-64 register numbering for capstone users (see pt_x86.h).
 */
#include "pt_x86.h"

int pt_x86_hw_reg(x86_reg r)
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
