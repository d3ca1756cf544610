# nondeterministic
# zlib compress/decompress and hashlib digests of random data.
import hashlib
import os
import zlib

data = os.urandom(1000) + b"abc" * 3000
c = zlib.compress(data, 6)
print("compressed_len", len(c), "crc32", zlib.crc32(data), "adler32", zlib.adler32(data))
print("roundtrip", zlib.decompress(c) == data)
co = zlib.compressobj(9, zlib.DEFLATED, -15)
raw = co.compress(data) + co.flush()
print("raw_deflate_len", len(raw))
for name in ("md5", "sha1", "sha256", "sha512", "blake2b", "sha3_256"):
    print(name, hashlib.new(name, data).hexdigest())
print("pbkdf2", hashlib.pbkdf2_hmac("sha256", b"pw", os.urandom(8), 1000).hex())
print("END zlib_hashlib")
