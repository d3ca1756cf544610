/*
 * pt_maps: a process's memory map as /proc/PID/maps gives it, and which of its pages hold
 * memory of their own (/proc/PID/pagemap: present or swapped, and not a page of a file or of
 * shared memory: written since mapped, or anonymous). Used to log and rebuild the state the
 * loader leaves (recorder/rec_loader.c, replayer/rep_loader.c).
 */
#ifndef PT_MAPS_H
#define PT_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pt_vma {
    uint64_t lo, hi, off;
    uint32_t prot; /* PROT_* */
    int shared;
    uint64_t dev, ino; /* dev as makedev(major, minor) */
    char path[4096];   /* "" for anonymous memory, "[heap]", "[stack]", ... */
};

/* Read pid's map into *out (malloc'd, *n entries). */
int pt_maps_read(pid_t pid, struct pt_vma **out, size_t *n);
/* Is this one of the kernel's pages every process gets ([vdso], [vvar], [vsyscall], ...)? */
int pt_vma_is_kernels(const struct pt_vma *v);
/* /proc/PID/pagemap, opened (close it with close(2)); -1 on error. */
int pt_pagemap_open(pid_t pid);
/* Call fn(ud, addr, len) for each run of pages in [lo, hi) that hold memory of their own
 * (pagemap: a descriptor from pt_pagemap_open). */
int pt_maps_own_pages(int pagemap, uint64_t lo, uint64_t hi,
                      int (*fn)(void *ud, uint64_t addr, uint64_t len), void *ud);

#endif
