def between(lo, x, hi):
    return lo <= x < hi
print([between(0, v, 3) for v in range(-1, 5)])
def trace(tag, v, log):
    log.append(tag)
    return v
def chain_once():
    log = []
    r = trace('a', 1, log) < trace('b', 2, log) < trace('c', 3, log)
    return r, log
print(chain_once())
def chain_short():
    log = []
    r = trace('a', 5, log) < trace('b', 2, log) < trace('c', 3, log)
    return r, log
print(chain_short())
def mixed_ops(x):
    return 1 < x == 2 != 3, x is not None in [True], 0 < x <= 2.0 < 3
print(mixed_ops(2), mixed_ops(1))
def in_loop():
    out = []
    for a in range(3):
        for b in range(3):
            if a < b < 2 or a == b == 2:
                out.append((a, b))
    return out
print(in_loop())
def not_chain(x):
    return not 0 < x < 10, (0 < x) < 10
print(not_chain(5), not_chain(50))
def bad_chain():
    return 1 < 2 < 'x'
bad_chain()
