def f(a, *, key=None, flag):
    return a, key, flag
print(f(1, flag=True))
print(f(1, key='k', flag=False))
def g(*args, **kwargs):
    return args, kwargs
print(g(), g(1, 2), g(x=1), g(1, y=2))
def h(a, /, b):
    return a + b
print(h(1, 2), h(1, b=3))
