/*
 * pt_fileid: file identities (see pt_fileid.h): size, mtime, ELF build-id (read with libelf
 * from the program headers' notes) and a content hash over an mmap of the file.
 */
#define _GNU_SOURCE
#include "pt_fileid.h"

#include "pt_error.h"
#include "pt_fidcache.h"
#include "pt_file.h"
#include "pt_hash.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The NT_GNU_BUILD_ID note, from the program headers' PT_NOTE segments. */
static int elf_build_id(Elf *elf, uint8_t *out, size_t cap)
{
    size_t nph;
    if (elf_getphdrnum(elf, &nph) != 0) {
        return 0;
    }
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE) {
            continue;
        }
        Elf_Data *d = elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz, ELF_T_NHDR);
        size_t off = 0, noff, doff;
        GElf_Nhdr nh;
        while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                memcmp((char *)d->d_buf + noff, "GNU", 4) == 0 && nh.n_descsz <= cap) {
                memcpy(out, (char *)d->d_buf + doff, nh.n_descsz);
                return (int)nh.n_descsz;
            }
        }
    }
    return 0;
}

int pt_elf_build_id_fd(int fd, uint8_t *out, size_t cap)
{
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    int n = 0;
    if (elf && elf_kind(elf) == ELF_K_ELF) {
        n = elf_build_id(elf, out, cap);
    }
    if (elf) {
        elf_end(elf);
    }
    return n;
}

static int hash_fd(const char *path, int fd, size_t size, uint64_t *out)
{
    if (size == 0) {
        *out = pt_hash64("", 0);
        return 0;
    }
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        return pt_fail_errno("mmap(%s)", path);
    }
    *out = pt_hash64(p, size);
    munmap(p, size);
    return 0;
}

static int64_t mtime_of(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Identity of the open file; with_hash 0 leaves the hash 0. */
static int id_of_fd(const char *path, int fd, const struct stat *st, struct pt_fileid *id,
                    int with_hash)
{
    memset(id, 0, sizeof *id);
    id->size = (uint64_t)st->st_size;
    id->mtime_ns = mtime_of(st);
    id->bid_len = (uint8_t)pt_elf_build_id_fd(fd, id->bid, sizeof id->bid);
    return with_hash ? hash_fd(path, fd, (size_t)st->st_size, &id->hash) : 0;
}

int pt_fileid_of(const char *path, struct pt_fileid *id)
{
    struct stat st;
    int fd = pt_open_regular(path, &st);
    if (fd < 0) {
        return pt_wrap("identifying %s", path);
    }
    if (pt_fidcache_lookup(&st, id)) {
        close(fd);
        return 0;
    }
    int rc = id_of_fd(path, fd, &st, id, 1);
    close(fd);
    if (rc == 0) {
        pt_fidcache_store(&st, id);
    }
    return rc;
}

int pt_fileid_matches(const char *path, const struct pt_fileid *want, struct pt_fileid *now)
{
    struct stat st;
    int fd = pt_open_regular(path, &st);
    if (fd < 0) {
        return -1;
    }
    int rc = id_of_fd(path, fd, &st, now, 0);
    if (rc == 0 && now->mtime_ns != want->mtime_ns && now->size == want->size) {
        rc = hash_fd(path, fd, (size_t)st.st_size, &now->hash);
    } else {
        now->hash = want->hash; /* unchanged mtime: the content is taken as unchanged */
    }
    close(fd);
    return rc < 0 ? -1 : pt_fileid_equal(now, want);
}

int pt_fileid_equal(const struct pt_fileid *a, const struct pt_fileid *b)
{
    return a->size == b->size && a->bid_len == b->bid_len &&
           memcmp(a->bid, b->bid, a->bid_len) == 0 &&
           (a->mtime_ns == b->mtime_ns || a->hash == b->hash);
}

const char *pt_fileid_str(const struct pt_fileid *id)
{
    static char buf[192];
    int n = 0;
    if (id->bid_len) {
        n = snprintf(buf, sizeof buf, "build-id ");
        for (int i = 0; i < id->bid_len && n < (int)sizeof buf - 3; i++) {
            n += snprintf(buf + n, sizeof buf - (size_t)n, "%02x", id->bid[i]);
        }
        n += snprintf(buf + n, sizeof buf - (size_t)n, ", ");
    }
    snprintf(buf + n, sizeof buf - (size_t)n, "hash %016llx, %llu bytes, modified %lld.%09lld",
             (unsigned long long)id->hash, (unsigned long long)id->size,
             (long long)(id->mtime_ns / 1000000000), (long long)(id->mtime_ns % 1000000000));
    return buf;
}

const char *pt_fileid_name(const struct pt_fileid *id)
{
    static char buf[80];
    int n = 0;
    for (int i = 0; i < id->bid_len; i++) {
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%02x", id->bid[i]);
    }
    snprintf(buf + n, sizeof buf - (size_t)n, "%sh%016llx", n ? "-" : "",
             (unsigned long long)id->hash);
    return buf;
}
