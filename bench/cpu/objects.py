"""Object-heavy benchmark (in the spirit of pyperformance's richards/raytrace): class instances,
attribute reads and writes, method calls, inheritance and properties.
Usage: objects.py [N]   (N rounds of the simulation; deterministic)"""
import sys


class Vec:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def add(self, other):
        return Vec(self.x + other.x, self.y + other.y)

    def scale(self, k):
        return Vec(self.x * k, self.y * k)

    def dot(self, other):
        return self.x * other.x + self.y * other.y


class Body:
    def __init__(self, ident, pos, vel):
        self.ident = ident
        self.pos = pos
        self.vel = vel
        self.hits = 0

    @property
    def energy(self):
        return self.vel.dot(self.vel)

    def step(self, dt):
        self.pos = self.pos.add(self.vel.scale(dt))
        if self.pos.x < 0 or self.pos.x > 1000:
            self.vel = Vec(-self.vel.x, self.vel.y)
            self.hits += 1
        if self.pos.y < 0 or self.pos.y > 1000:
            self.vel = Vec(self.vel.x, -self.vel.y)
            self.hits += 1


class HeavyBody(Body):
    def step(self, dt):
        Body.step(self, dt / 2)
        Body.step(self, dt / 2)


class World:
    def __init__(self, n):
        self.bodies = []
        for i in range(n):
            cls = HeavyBody if i % 5 == 0 else Body
            self.bodies.append(cls(i, Vec(i * 37 % 1000, i * 91 % 1000),
                                   Vec((i % 7) - 3, (i % 11) - 5)))

    def tick(self, dt):
        for b in self.bodies:
            b.step(dt)

    def total_energy(self):
        return sum(b.energy for b in self.bodies)


def main(rounds):
    w = World(200)
    for _ in range(rounds):
        w.tick(1.5)
    print(round(w.total_energy(), 3), sum(b.hits for b in w.bodies))


main(int(sys.argv[1]) if len(sys.argv) > 1 else 6000)
