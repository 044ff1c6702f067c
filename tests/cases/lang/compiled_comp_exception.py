def inverses(xs):
    return [1 / x for x in xs]
try:
    inverses([1, 0, 2])
except ZeroDivisionError as e:
    print('caught', e)
def partial():
    out = []
    try:
        out = [out.append(x) or 10 // x for x in [5, 2, 0, 1]]
    except ZeroDivisionError:
        pass
    return out
print(partial())
def key_err(d):
    return {k: d[k] for k in ['a', 'z']}
try:
    key_err({'a': 1})
except KeyError as e:
    print('key', e)
def in_cond(xs):
    return [x for x in xs if x.bit_length() > 1]
try:
    in_cond([1, 2, 'three'])
except AttributeError as e:
    print('attr', e)
def inner_iter_error():
    return [y for x in [[1], 2] for y in x]
try:
    inner_iter_error()
except TypeError as e:
    print('iter', e)
def deep(xs):
    return [[int(v) for v in row] for row in xs]
deep([['1', '2'], ['x']])
