/*
 * pytt_preload.h: what the syscall buffer library's two files (pytt_preload.c, the wrappers;
 * pytt_preload_dir.c, its directory streams) share. Internal to the library.
 */
#ifndef PYTT_PRELOAD_H
#define PYTT_PRELOAD_H

#include <dlfcn.h>

#define EXPORT __attribute__((visibility("default")))

/* real_NAME(): the next definition of NAME after the library's (libc's), looked up once. */
#define REAL(name, type)                                                                           \
    static type real_##name(void)                                                                  \
    {                                                                                              \
        static type fn;                                                                            \
        if (!fn) {                                                                                 \
            fn = (type)dlsym(RTLD_NEXT, #name);                                                    \
        }                                                                                          \
        return fn;                                                                                 \
    }

/* Does the library record or replay this thread's calls now (then its wrappers buffer, and
 * opendir returns the library's own directory stream)? */
int pytt_buffering(void);

#endif
