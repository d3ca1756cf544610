# nondeterministic
# random (seeded from the OS), os.urandom, os.getrandom, secrets, uuid4, SystemRandom.
import os
import random
import secrets
import uuid

print("random", random.random(), random.randint(0, 10**9))
print("sample", random.sample(range(100), 5))
print("urandom", os.urandom(16).hex())
print("getrandom", os.getrandom(16).hex())
print("getrandom_nb", len(os.getrandom(8, os.GRND_NONBLOCK)))
print("token_hex", secrets.token_hex(16))
print("token_urlsafe", secrets.token_urlsafe(12))
print("choice", secrets.choice(["a", "b", "c", "d", "e", "f"]))
print("uuid4", uuid.uuid4())
print("uuid1_node", uuid.uuid1().hex[:8])
sr = random.SystemRandom()
print("sysrandom", sr.random())
r = random.Random()
print("fresh_Random", r.getrandbits(64))
with open("/dev/urandom", "rb") as f:
    print("dev_urandom", f.read(8).hex())
print("END randomness")
