def noisy(i):
    print("produce", i)
    return i

g = (noisy(x) * 10 for x in range(3))
print("created")
print(next(g))
print("between")
print(list(g))
print(next(g, "done"))

evens = (n for n in range(10**12) if n % 2 == 0)
print(next(evens), next(evens), next(evens))
print(any(n > 5 for n in range(10**15)))
print(sum(x * x for x in range(1000)))
pairs = ((a, b) for a in range(3) for b in range(a) if a + b > 1)
print(list(pairs))
print(type(pairs).__name__)
total = 0
def side(v):
    global total
    total += v
    return v
h = (side(v) for v in [1, 2, 3])
print(total)
print(next(h), total)
try:
    bad = (1 / 0 for _ in [1])
    print("made")
    next(bad)
except ZeroDivisionError as e:
    print("ZeroDivisionError:", e)
try:
    (x for x in 5)
except TypeError as e:
    print("TypeError:", e)
print(dict((k, k * k) for k in range(4)))
print(max(len(w) for w in ["a", "bbb", "cc"]))
print(sorted((w for w in "hello"), reverse=True))
x = 100
print(list(x for x in range(3)), x)
