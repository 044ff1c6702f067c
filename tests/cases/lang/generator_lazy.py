def noisy(n):
    print("start")
    for i in range(n):
        print("produce", i)
        yield i
    print("end")

g = noisy(3)
print("created", type(g).__name__)
print(next(g))
print("between")
print(list(g))
print(next(g, "exhausted"))

def naturals():
    n = 0
    while True:
        yield n
        n += 1

nat = naturals()
print([next(nat) for _ in range(5)])
for k in naturals():
    if k > 3:
        break
    print("k", k)

def evens_upto(limit):
    for n in naturals():
        if n > limit:
            return
        if n % 2:
            continue
        yield n
print(list(evens_upto(10)))

def pairs():
    for a in range(3):
        for b in range(a):
            yield a, b
    else:
        yield "done"
print(list(pairs()))

def delegate():
    yield "first"
    yield from noisy(2)
    yield from [7, 8]
    x = yield "assigned"
    print("x is", x)
print(list(delegate()))

def fib_gen():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b
f = fib_gen()
print([next(f) for _ in range(10)])
print(sum(x for x in evens_upto(100)))

def batches(data, size):
    for i in range(0, len(data), size):
        yield data[i:i + size]
for batch in batches(list(range(7)), 3):
    print(batch)

def broken():
    yield 1
    raise ValueError("bad item")
b = broken()
print(next(b))
try:
    next(b)
except ValueError as e:
    print("caught", e)
print(next(b, "finished after error"))

def while_else(n):
    while n > 0:
        yield n
        n -= 1
    else:
        yield "liftoff"
print(list(while_else(3)))

def ifs(xs):
    for x in xs:
        if x > 2:
            yield "big"
        elif x > 1:
            yield "mid"
        else:
            pass
print(list(ifs([1, 2, 3])))
print(list(zip(naturals(), "abc")))
def counter():
    total = 0
    for i in range(3):
        total += i
        yield total
c = counter()
print(next(c), next(c))
