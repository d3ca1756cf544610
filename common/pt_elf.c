/*
 * pt_elf: the ELF interpreter of a binary, and the "is this a CPython with debug info" check
 * made when the recorded command execs a program.
 */
#define _GNU_SOURCE
#include "pt_elf.h"

#include "pt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int elf_open(const char *path, int *fd, Elf **elf)
{
    elf_version(EV_CURRENT);
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
        return pt_fail_errno("open(%s)", path);
    }
    *elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
    if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
        if (*elf) {
            elf_end(*elf);
        }
        close(*fd);
        return pt_fail("%s is not an ELF file", path);
    }
    return 0;
}

static void elf_close(int fd, Elf *elf)
{
    elf_end(elf);
    close(fd);
}

int pt_is_elf(const char *path)
{
    char magic[4];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return 0;
    }
    int ok = read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
    close(fd);
    return ok;
}

int pt_elf_interp(const char *path, char *out, size_t cap)
{
    int fd;
    Elf *elf;
    out[0] = '\0';
    if (elf_open(path, &fd, &elf) < 0) {
        return -1;
    }
    size_t nph;
    if (elf_getphdrnum(elf, &nph) == 0) {
        for (size_t i = 0; i < nph; i++) {
            GElf_Phdr ph;
            if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP && ph.p_filesz < cap) {
                if (pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz) {
                    out[ph.p_filesz] = '\0';
                }
            }
        }
    }
    elf_close(fd, elf);
    return 0;
}

/* ---- CPython detection ------------------------------------------------------------------- */

static Elf_Scn *find_section(Elf *elf, const char *want)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
        return NULL;
    }
    for (Elf_Scn *s = elf_nextscn(elf, NULL); s; s = elf_nextscn(elf, s)) {
        GElf_Shdr sh;
        const char *name;
        if (gelf_getshdr(s, &sh) && (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
            strcmp(name, want) == 0) {
            return s;
        }
    }
    return NULL;
}

static int defines_symbol(Elf *elf, const char *want)
{
    Elf_Scn *s = find_section(elf, ".dynsym");
    GElf_Shdr sh;
    if (!s || !gelf_getshdr(s, &sh)) {
        return 0;
    }
    Elf_Data *d = elf_getdata(s, NULL);
    size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    for (size_t i = 0; d && i < n; i++) {
        GElf_Sym sym;
        const char *name;
        if (gelf_getsym(d, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
            (name = elf_strptr(elf, sh.sh_link, sym.st_name)) && strcmp(name, want) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The DT_NEEDED entry naming libpythonX.Y, if any. */
static int needed_libpython(Elf *elf, char *out, size_t cap)
{
    Elf_Scn *s = find_section(elf, ".dynamic");
    GElf_Shdr sh;
    if (!s || !gelf_getshdr(s, &sh)) {
        return 0;
    }
    Elf_Data *d = elf_getdata(s, NULL);
    size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    for (size_t i = 0; d && i < n; i++) {
        GElf_Dyn dyn;
        const char *name;
        if (gelf_getdyn(d, (int)i, &dyn) && dyn.d_tag == DT_NEEDED &&
            (name = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val)) &&
            strncmp(name, "libpython", 9) == 0) {
            snprintf(out, cap, "%s", name);
            return 1;
        }
    }
    return 0;
}

/* Find the file the dynamic loader would use for soname, next to the exe or in system dirs. */
static int locate_library(const char *exe, const char *soname, char *out, size_t cap)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", exe);
    char *slash = strrchr(dir, '/');
    const char *cands[] = {"../lib", "/usr/lib/x86_64-linux-gnu", "/usr/local/lib", "/usr/lib"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        int n;
        if (cands[i][0] == '.' && slash) {
            *slash = '\0';
            n = snprintf(out, cap, "%s/%s/%s", dir, cands[i], soname);
            *slash = '/';
        } else {
            n = snprintf(out, cap, "%s/%s", cands[i], soname);
        }
        if (n < 0 || (size_t)n >= cap) {
            continue; /* a path too long to be a candidate */
        }
        if (access(out, R_OK) == 0) {
            char *real = realpath(out, NULL);
            if (real) {
                snprintf(out, cap, "%s", real);
                free(real);
            }
            return 0;
        }
    }
    return pt_fail("cannot find %s (needed by %s)", soname, exe);
}

static void version_from_name(const char *name, char *out, size_t cap)
{
    const char *p = strstr(name, "python");
    out[0] = '\0';
    if (p) {
        p += 6;
        size_t n = 0;
        while ((p[n] >= '0' && p[n] <= '9') || p[n] == '.') {
            n++;
        }
        while (n && p[n - 1] == '.') {
            n--;
        }
        snprintf(out, cap, "%.*s", (int)n, p);
    }
}

static const char *debug_root(void)
{
    const char *d = getenv("PYTT_DEBUG_DIR");
    return d && *d ? d : "/usr/lib/debug";
}

static int find_debug_info(const char *image, int fd, Elf *elf, struct pt_pyinfo *info)
{
    if (find_section(elf, ".debug_info")) {
        snprintf(info->debug_file, sizeof info->debug_file, "%s", image);
        return 0;
    }
    uint8_t id[64];
    int n = pt_elf_build_id_fd(fd, id, sizeof id);
    if (n < 2) {
        return pt_fail("%s has no DWARF debug info and no build-id to find it by", image);
    }
    char hex[160];
    int k = 0;
    for (int i = 1; i < n; i++) {
        k += snprintf(hex + k, sizeof hex - (size_t)k, "%02x", id[i]);
    }
    snprintf(info->debug_file, sizeof info->debug_file, "%s/.build-id/%02x/%s.debug", debug_root(),
             id[0], hex);
    if (access(info->debug_file, R_OK) == 0) {
        return 0;
    }
    const char *base = strrchr(image, '/') ? strrchr(image, '/') + 1 : image;
    char pkg[64];
    if (strncmp(base, "libpython", 9) == 0) {
        snprintf(pkg, sizeof pkg, "libpython%s-dbg", info->version);
    } else {
        snprintf(pkg, sizeof pkg, "python%s-dbg", info->version);
    }
    return pt_fail("no DWARF debug info for %s (build-id %02x%s; looked for %s). pytt reads "
                   "Python's state through it: install it with `apt-get install %s`",
                   image, id[0], hex, info->debug_file, pkg);
}

/* The last interpreter found usable, and the identities of the files that said so:
 * `pytt record` checks its program before running the command (rec_precheck.c) and again when
 * it is exec'd, and a check costs ~0.1 ms (the symbol table searched for _PyRuntime). */
struct pt_pycheck_file {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};
static struct {
    int valid;
    char exe[PATH_MAX];
    struct pt_pycheck_file exe_id, image_id;
    struct pt_pyinfo info;
} last_check;

static int file_id(const char *path, struct pt_pycheck_file *id)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    memset(id, 0, sizeof *id);
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->size = st.st_size;
    id->mtime = st.st_mtim;
    id->ctime = st.st_ctim;
    return 0;
}

static int same_file(const char *path, const struct pt_pycheck_file *id)
{
    struct pt_pycheck_file now;
    return file_id(path, &now) == 0 && memcmp(&now, id, sizeof now) == 0;
}

/* Was exe (still the same file, as is its libpython) found usable by the last check? */
static int checked_before(const char *exe, struct pt_pyinfo *info)
{
    if (!last_check.valid || strcmp(exe, last_check.exe) != 0 ||
        !same_file(exe, &last_check.exe_id) ||
        !same_file(last_check.info.image, &last_check.image_id) ||
        access(last_check.info.debug_file, R_OK) != 0) {
        return 0;
    }
    *info = last_check.info;
    return 1;
}

static int check_python(const char *exe, struct pt_pyinfo *info, int *is_python);

int pt_check_python(const char *exe, struct pt_pyinfo *info, int *is_python)
{
    if (checked_before(exe, info)) {
        *is_python = 1;
        return 0;
    }
    struct pt_pycheck_file exe_id; /* (as it was before the check read it) */
    int have_id = file_id(exe, &exe_id) == 0;
    int rc = check_python(exe, info, is_python);
    last_check.valid = 0;
    if (rc == 0 && have_id && strlen(exe) < sizeof last_check.exe &&
        file_id(info->image, &last_check.image_id) == 0) {
        last_check.valid = 1;
        snprintf(last_check.exe, sizeof last_check.exe, "%s", exe);
        last_check.exe_id = exe_id;
        last_check.info = *info;
    }
    return rc;
}

static int check_python(const char *exe, struct pt_pyinfo *info, int *is_python)
{
    int fd, rc = -1;
    Elf *elf;
    *is_python = 0;
    memset(info, 0, sizeof *info);
    if (elf_open(exe, &fd, &elf) < 0) {
        return pt_wrap("%s is not a CPython interpreter", exe);
    }
    char soname[256];
    if (defines_symbol(elf, "_PyRuntime")) {
        snprintf(info->image, sizeof info->image, "%s", exe);
        version_from_name(exe, info->version, sizeof info->version);
        *is_python = 1;
        rc = find_debug_info(exe, fd, elf, info);
    } else if (needed_libpython(elf, soname, sizeof soname)) {
        *is_python = 1;
        version_from_name(soname, info->version, sizeof info->version);
        if (locate_library(exe, soname, info->image, sizeof info->image) == 0) {
            int lfd;
            Elf *lelf;
            if (elf_open(info->image, &lfd, &lelf) == 0) {
                rc = find_debug_info(info->image, lfd, lelf, info);
                elf_close(lfd, lelf);
            }
        }
    } else {
        pt_fail("%s is not a CPython interpreter (it neither defines _PyRuntime nor links "
                "libpython); run `pytt record python3.11 script.py`",
                exe);
    }
    elf_close(fd, elf);
    return rc;
}
