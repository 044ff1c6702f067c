# Pure-Python benchmark: loops, function calls, attribute access, list building.
# Run by bench/pure_python.sh under both CPython 3.11 and lessonrun; both must print the same.
class Particle:
    def __init__(self, x, v):
        self.x = x
        self.v = v

    def step(self, dt):
        self.x = self.x + self.v * dt


def make(n):
    out = []
    for i in range(n):
        out.append(Particle(i * 0.5, (i % 7) - 3.0))
    return out


def simulate(ps, steps):
    for _ in range(steps):
        for p in ps:
            p.step(0.01)
    total = 0.0
    for p in ps:
        total += p.x
    return total


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def squares(n):
    return [i * i for i in range(n) if i % 3]


def count_words(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts


ps = make(1000)
print(round(simulate(ps, 200), 6))
print(fib(22))
acc = 0
i = 0
while i < 300000:
    acc += i & 7
    i += 1
print(acc)
print(len(squares(200000)))
words = ["w" + str(i % 100) for i in range(100000)]
print(len(count_words(words)))
