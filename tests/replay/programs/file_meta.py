# nondeterministic
# File metadata and less common file syscalls: rename, symlink, readlink, utime, chmod, flock,
# fcntl, truncate, pread/pwrite, sendfile, copy_file_range, dup2, O_APPEND, statvfs.
import fcntl
import os
import shutil
import tempfile

with tempfile.TemporaryDirectory(prefix="pytt-meta-") as d:
    a = os.path.join(d, "a")
    with open(a, "wb") as f:
        f.write(os.urandom(256))
    os.symlink(a, os.path.join(d, "link"))
    print("readlink_base", os.path.basename(os.readlink(os.path.join(d, "link"))))
    os.rename(a, os.path.join(d, "b"))
    b = os.path.join(d, "b")
    print("dangling", os.path.exists(os.path.join(d, "link")), os.path.lexists(os.path.join(d, "link")))
    os.chmod(b, 0o640)
    os.utime(b, ns=(1_000_000_000_123, 2_000_000_000_456))
    st = os.stat(b)
    print("mode", oct(st.st_mode & 0o777), "mtime_ns", st.st_mtime_ns, "ctime_ns", st.st_ctime_ns)
    fd = os.open(b, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("fl_getfl_rdwr", fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDWR)
    print("pread", os.pread(fd, 8, 100).hex())
    os.pwrite(fd, b"PWRITE", 10)
    print("pread_after_pwrite", os.pread(fd, 6, 10))
    os.truncate(b, 128)
    print("size_after_truncate", os.fstat(fd).st_size)
    fcntl.flock(fd, fcntl.LOCK_UN)
    c = os.open(os.path.join(d, "c"), os.O_WRONLY | os.O_CREAT, 0o600)
    print("sendfile", os.sendfile(c, fd, 0, 64))
    print("copy_file_range", os.copy_file_range(fd, c, 32, 64))
    os.close(c)
    c = os.open(os.path.join(d, "c"), os.O_WRONLY | os.O_APPEND)
    os.lseek(c, 0, os.SEEK_SET)
    os.write(c, b"appended")
    print("append_pos", os.lseek(c, 0, os.SEEK_CUR))
    os.close(c)
    print("c_size", os.path.getsize(os.path.join(d, "c")))
    dupfd = os.dup(fd)
    os.dup2(fd, dupfd)
    print("dup_same_inode", os.fstat(dupfd).st_ino == os.fstat(fd).st_ino, "ino", os.fstat(fd).st_ino)
    os.close(dupfd)
    os.close(fd)
    shutil.copy2(b, os.path.join(d, "copy"))
    print("copy2_mtime", os.stat(os.path.join(d, "copy")).st_mtime_ns)
    sv = os.statvfs(d)
    print("statvfs_bsize_positive", sv.f_bsize > 0, "bavail", sv.f_bavail)
    print("access", os.access(b, os.R_OK), os.access(os.path.join(d, "nope"), os.F_OK))
    os.mkdir(os.path.join(d, "sub"))
    os.rmdir(os.path.join(d, "sub"))
    print("final_listing", sorted(os.listdir(d)))
print("END file_meta")
