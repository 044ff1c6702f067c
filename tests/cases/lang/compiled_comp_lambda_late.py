fs = [lambda: i * 10 for i in range(3)]
print([f() for f in fs])
def in_func():
    fs = [lambda: i for i in range(3)]
    gs = [lambda i=i: i for i in range(3)]
    hs = [(lambda v: lambda: v)(i) for i in range(3)]
    return [f() for f in fs], [g() for g in gs], [h() for h in hs]
print(in_func())
def nested_late():
    return [[lambda: (i, j) for j in range(2)] for i in range(2)]
print([[f() for f in row] for row in nested_late()])
def adders(n):
    return {k: (lambda x: x + k) for k in range(n)}
a = adders(3)
print([a[k](100) for k in a])
def loop_closures():
    out = []
    for i in range(3):
        out.append(lambda: i)
    i = 'after'
    return [f() for f in out]
print(loop_closures())
