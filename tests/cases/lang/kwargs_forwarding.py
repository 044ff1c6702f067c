def inner(a, b=2, *args, c=3, **kw):
    return (a, b, args, c, sorted(kw.items()))
def outer(*args, **kwargs):
    return inner(*args, **kwargs)
print(outer(1), outer(1, 5, 6, 7, c=9, z=1, y=2))
print(inner(**{"a": 10, "c": 0}))
