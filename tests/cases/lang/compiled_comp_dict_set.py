def squares(n):
    return {i: i * i for i in range(n)}
print(squares(4))
def dupes(xs):
    return {x % 3: x for x in xs}
print(dupes([1, 2, 3, 4, 5, 6]))
def uniq(s):
    return sorted({c.lower() for c in s if c.isalpha()})
print(uniq('Hello, World'))
def order():
    log = []
    def k(v):
        log.append('k%d' % v)
        return v
    def val(v):
        log.append('v%d' % v)
        return v
    d = {k(i): val(i) for i in range(2)}
    return d, log
print(order())
def over_dict(d):
    return [k for k in d], {v for v in d.values()}, {k: v for k, v in d.items() if v > 1}
print(over_dict({'a': 1, 'b': 2, 'c': 2}))
def over_string(s):
    return [c * i for i, c in enumerate(s)]
print(over_string('xyz'))
def gen(n):
    for i in range(n):
        yield i * 3
def over_generator(n):
    return [v for v in gen(n) if v % 2 == 0], {v: None for v in gen(2)}
print(over_generator(5))
print({(a, b) for a in range(2) for b in range(2)} == {(0, 0), (0, 1), (1, 0), (1, 1)})
def unhashable():
    return {[i]: i for i in range(2)}
unhashable()
