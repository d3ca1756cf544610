/*
 * pt_x86: small x86-64 facts shared by the code that decodes the interpreter with capstone
 * (the clock's switch routing, pyintrospect's dispatch registers).
 */
#ifndef PT_X86_H
#define PT_X86_H

#include <capstone/capstone.h>

/* Hardware register number (0 rax, 1 rcx, 2 rdx, 3 rbx, ... 15 r15) of a 64-bit capstone
 * register, or -1. */
int pt_x86_hw_reg(x86_reg r);

#endif
