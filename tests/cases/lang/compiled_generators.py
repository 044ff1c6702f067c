def countdown(n):
    while n > 0:
        yield n
        n -= 1
def use_gen():
    out = []
    for v in countdown(3):
        out.append(v)
    return out, list(countdown(2)), sum(countdown(4)), [v * 2 for v in countdown(3)]
print(use_gen())
def pairs(xs):
    it = iter(xs)
    for a in it:
        yield a, next(it, None)
print(list(pairs([1, 2, 3, 4, 5])))
def closure_gen(k):
    def gen(n):
        for i in range(n):
            yield i * k
    return gen
def consume():
    g = closure_gen(10)
    return [list(g(3)), next(g(5)), max(g(4))]
print(consume())
def manual():
    g = countdown(2)
    out = [next(g), next(g)]
    try:
        next(g)
    except StopIteration:
        out.append('stop')
    return out
print(manual())
def gen_early(n):
    for i in range(n):
        if i == 2:
            return
        yield i
def get_early():
    return list(gen_early(5)), list(gen_early(1))
print(get_early())
def delegating():
    yield 0
    yield from countdown(2)
    yield from [9, 8]
print(list(delegating()))
def lazy():
    log = []
    def g():
        for i in range(3):
            log.append('make %d' % i)
            yield i
    for v in g():
        log.append('use %d' % v)
        if v == 1:
            break
    return log
print(lazy())
def gen_err():
    yield 1
    raise ValueError('inside generator')
def drive():
    return [v for v in gen_err()]
drive()
