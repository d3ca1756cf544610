/*
 * pyi_layout_cache: what pyi_dwarf_resolve learns from an interpreter's DWARF (member offsets,
 * type sizes, bitfields, the static variables found in DWARF, the frame-owner enumerators),
 * kept in a small file so that the next session on the same interpreter does not read the
 * DWARF at all. Reading it is most of a session's start: Debian's python3.11-dbg ships its
 * DWARF zlib-compressed, and libdw inflates every debug section (~45 MB) before the first
 * lookup (~130 ms, then ~50 ms of indexing), where the file below is ~10 KB.
 *
 * The file is named by a hash of everything the result depends on, so it can never be stale:
 * the interpreter's build-id, the DWARF's own file (path, device, inode, size, mtime, ctime: the
 * file libdwfl found, the separate debug file or the interpreter itself), and pytt's executable
 * (the same: a rebuilt pytt may resolve differently). The DWARF must
 * still be there: without it there is no key, and the session fails as it always did (missing
 * debug info is reported, not hidden by a cache). Versions whose runtime carries
 * _Py_DebugOffsets (3.13+) are not cached: that check reads DWARF and the process at each open.
 *
 * Where: layout/ in the per-user cache directory (common/pt_cachedir.h); PYTT_CACHE_DIR=off (or
 * no writable place) disables it. Written to a temporary name and
 * renamed. A file that does not match (size, magic, the table sizes, its checksum, values out
 * of range) is ignored and rewritten: the cache only ever saves time.
 */
#define _GNU_SOURCE
#include "pyintrospect/pyi_internal.h"

#include "common/pt_cachedir.h"
#include "common/pt_hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAYOUT_MAGIC "PYTTLAY1"

struct layout_file {
    char magic[8];
    uint32_t nfields, nsizes, nbits, nsyms;
    uint32_t member_size, bitfield_size, pad[2];
    struct pyi_member m[PYI_F__COUNT];
    int64_t size[PYI_S__COUNT];
    struct pyi_bitfield bits[PYI_B__COUNT];
    pt_addr sym[PYI_Y__COUNT]; /* DWARF variables only, less the module's bias; 0 otherwise */
    int64_t sym_size[PYI_Y__COUNT];
    int64_t sym_elem[PYI_Y__COUNT];
    int64_t owned_by_generator, owned_by_cstack;
    uint64_t hash; /* pt_hash64 of everything before it */
};

/* The cache directory (created), or NULL when there is none. */
static char *cache_dir(void)
{
    char dir[4096];
    if (pt_cache_path("layout/", dir, sizeof dir) < 0 || pt_mkdir_parents(dir) < 0) {
        return NULL;
    }
    dir[strlen(dir) - 1] = '\0';
    return strdup(dir);
}

/* Fold a file's identity into h; 0 if it cannot be stat'ed. */
static int fold_file(uint64_t *h, const char *path)
{
    struct stat st;
    if (!path || stat(path, &st) != 0) {
        return 0;
    }
    uint64_t id[7] = {(uint64_t)st.st_dev,          (uint64_t)st.st_ino,
                      (uint64_t)st.st_size,         (uint64_t)st.st_mtim.tv_sec,
                      (uint64_t)st.st_mtim.tv_nsec, (uint64_t)st.st_ctim.tv_sec,
                      (uint64_t)st.st_ctim.tv_nsec}; /* any change sets the ctime */
    *h = pt_hash64(id, sizeof id) ^ (*h * 0x9e3779b97f4a7c15ull);
    *h = pt_hash64(path, strlen(path)) ^ (*h * 0x9e3779b97f4a7c15ull);
    return 1;
}

/* Does the ELF file at path have a .debug_info section? */
static int has_dwarf(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    int found = 0;
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    size_t shstrndx;
    if (e && elf_getshdrstrndx(e, &shstrndx) == 0) {
        for (Elf_Scn *scn = elf_nextscn(e, NULL); scn && !found; scn = elf_nextscn(e, scn)) {
            GElf_Shdr sh;
            const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
            found = name && strcmp(name, ".debug_info") == 0 && sh.sh_type != SHT_NOBITS;
        }
    }
    if (e) {
        elf_end(e);
    }
    close(fd);
    return found;
}

/* The cache file's path for this interpreter, or NULL (no DWARF found, no cache place). */
static char *layout_path(struct pyi_session *s)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    const char *mainfile = NULL, *debugfile = NULL;
    int n = dwfl_module_build_id(s->pymod, &bits, &vaddr);
    dwfl_module_info(s->pymod, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
    const char *dwarf_file = debugfile && has_dwarf(debugfile) ? debugfile
                             : mainfile && has_dwarf(mainfile) ? mainfile
                                                               : NULL;
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    uint64_t h = n > 0 ? pt_hash64(bits, (size_t)n) : 0;
    if (n <= 0 || !dwarf_file || len <= 0) {
        return NULL;
    }
    self[len] = '\0';
    h ^= (uint64_t)s->hexversion;
    if (!fold_file(&h, dwarf_file) || !fold_file(&h, self)) {
        return NULL;
    }
    char *dir = cache_dir(), *path = NULL;
    if (dir && asprintf(&path, "%s/%016llx", dir, (unsigned long long)h) < 0) {
        path = NULL;
    }
    free(dir);
    return path;
}

static pt_addr module_bias(struct pyi_session *s)
{
    GElf_Addr bias = 0;
    return dwfl_module_getelf(s->pymod, &bias) ? (pt_addr)bias : 0;
}

static int plausible(const struct layout_file *f)
{
    if (memcmp(f->magic, LAYOUT_MAGIC, 8) != 0 || f->nfields != PYI_F__COUNT ||
        f->nsizes != PYI_S__COUNT || f->nbits != PYI_B__COUNT || f->nsyms != PYI_Y__COUNT ||
        f->member_size != sizeof(struct pyi_member) ||
        f->bitfield_size != sizeof(struct pyi_bitfield) ||
        f->hash != pt_hash64(f, offsetof(struct layout_file, hash))) {
        return 0;
    }
    for (int i = 0; i < PYI_F__COUNT; i++) {
        const struct pyi_member *m = &f->m[i];
        if (m->off < -1 || m->off > (1 << 20) || m->size < 0 || m->size > (1 << 20) ||
            m->elem_size < 0 || m->elem_size > (1 << 20)) {
            return 0;
        }
    }
    for (int i = 0; i < PYI_S__COUNT; i++) {
        if (f->size[i] < -1 || f->size[i] > (1 << 24)) {
            return 0;
        }
    }
    for (int i = 0; i < PYI_B__COUNT; i++) {
        const struct pyi_bitfield *b = &f->bits[i];
        if (b->byte_off < -1 || b->byte_off > (1 << 20) || b->bit_off < 0 || b->bit_off > 63 ||
            b->bit_size < 0 || b->bit_size > 64) {
            return 0;
        }
    }
    return 1;
}

/* Keep the directory small: each rebuilt pytt keys new files. Beyond LAYOUT_KEEP files, the
 * ones modified longest ago go (a file in use is read whole at open: removing it is harmless). */
#define LAYOUT_KEEP 64

const char *pyi_layout_source(const struct pyi_session *s)
{
    return s->layout_note[0] ? s->layout_note : "from DWARF";
}

int pyi_layout_cache_load(struct pyi_session *s)
{
    char *path = layout_path(s);
    struct layout_file f;
    FILE *in = path ? fopen(path, "rb") : NULL;
    size_t got = in ? fread(&f, 1, sizeof f, in) : 0;
    int extra = in ? fgetc(in) : EOF;
    if (in) {
        fclose(in);
    }
    if (got != sizeof f || extra != EOF || !plausible(&f)) {
        free(path);
        return 0;
    }
    snprintf(s->layout_note, sizeof s->layout_note, "from the layout cache %s (DWARF not read)",
             path);
    pt_addr bias = module_bias(s);
    memcpy(s->m, f.m, sizeof s->m);
    memcpy(s->size, f.size, sizeof s->size);
    memcpy(s->bits, f.bits, sizeof s->bits);
    for (int i = 0; i < PYI_Y__COUNT; i++) {
        s->sym[i] = f.sym[i] ? f.sym[i] + bias : 0;
        s->sym_size[i] = f.sym_size[i];
        s->sym_elem[i] = f.sym_elem[i];
    }
    s->frame_owned_by_generator = (int)f.owned_by_generator;
    s->frame_owned_by_cstack = (int)f.owned_by_cstack;
    s->layout_cached = true;
    free(path);
    return 1;
}

void pyi_layout_cache_store(struct pyi_session *s)
{
    snprintf(s->layout_note, sizeof s->layout_note, "from DWARF (not cached: %s)",
             s->dbgoff_checked || s->dbgoff_differ || s->notes[0]
                 ? "the runtime's _Py_DebugOffsets is checked against DWARF at each start"
                 : "no cache directory, or no DWARF file to key it by");
    if (s->dbgoff_checked || s->dbgoff_differ || s->notes[0]) {
        return; /* 3.13+: _Py_DebugOffsets is checked against DWARF at each open */
    }
    char *path = layout_path(s), *tmp = NULL;
    if (!path || asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) < 0) {
        free(path);
        return;
    }
    struct layout_file f;
    memset(&f, 0, sizeof f);
    memcpy(f.magic, LAYOUT_MAGIC, 8);
    f.nfields = PYI_F__COUNT;
    f.nsizes = PYI_S__COUNT;
    f.nbits = PYI_B__COUNT;
    f.nsyms = PYI_Y__COUNT;
    f.member_size = sizeof(struct pyi_member);
    f.bitfield_size = sizeof(struct pyi_bitfield);
    memcpy(f.m, s->m, sizeof f.m);
    memcpy(f.size, s->size, sizeof f.size);
    memcpy(f.bits, s->bits, sizeof f.bits);
    pt_addr bias = module_bias(s);
    for (int i = 0; i < PYI_Y__COUNT; i++) {
        if (pyi_layout_syms[i].decl_file && s->sym[i]) { /* the ELF symbols are looked up anew */
            f.sym[i] = s->sym[i] - bias;
            f.sym_size[i] = s->sym_size[i];
            f.sym_elem[i] = s->sym_elem[i];
        }
    }
    f.owned_by_generator = s->frame_owned_by_generator;
    f.owned_by_cstack = s->frame_owned_by_cstack;
    f.hash = pt_hash64(&f, offsetof(struct layout_file, hash));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int ok = fd >= 0 && write(fd, &f, sizeof f) == (ssize_t)sizeof f;
    if (fd >= 0) {
        ok = close(fd) == 0 && ok;
    }
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp); /* a full disk or a read-only home: the next session reads DWARF again */
        snprintf(s->layout_note, sizeof s->layout_note,
                 "from DWARF (not cached: writing %s failed)", path);
    } else {
        snprintf(s->layout_note, sizeof s->layout_note, "from DWARF (now in the layout cache %s)",
                 path);
        pt_cache_prune(path, LAYOUT_KEEP, UINT64_MAX);
    }
    free(tmp);
    free(path);
}
