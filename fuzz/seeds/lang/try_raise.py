def check(x):
    if x < 0:
        raise ValueError(f'negative: {x}')
    return x
for v in [1, -2]:
    try:
        print(check(v))
    except ValueError as err:
        print('error:', err)
try:
    raise KeyError('key')
except KeyError as e:
    print(e, repr(e), str(e))
try:
    raise RuntimeError
except RuntimeError as e:
    print(repr(e), repr(str(e)))
try:
    try:
        raise TypeError('inner')
    except TypeError:
        print('handling, re-raising')
        raise
except TypeError as e:
    print('outer got', e)
e = ValueError('a', 2)
print(e, repr(e), e.args, isinstance(e, Exception), isinstance(e, ValueError))
