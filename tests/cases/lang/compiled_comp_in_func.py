def scale(xs, factor):
    offset = 10
    return [x * factor + offset for x in xs]
print(scale([1, 2], 3))
def shadowing():
    x = 'kept'
    ys = [x for x in range(3)]
    return x, ys
print(shadowing())
def param_in_cond(limit, xs=(5, 1, 7, 3)):
    return [x for x in xs if x < limit]
print(param_in_cond(6))
def uses_global_and_local(k):
    return [G * k + i for i in range(3)]
G = 100
print(uses_global_and_local(2))
def comp_of_comp(m):
    rows = [[m * i + j for j in range(m)] for i in range(m)]
    return [sum(r) for r in rows]
print(comp_of_comp(3))
def comp_in_loop(n):
    out = []
    for i in range(n):
        out.append([i + j for j in range(i)])
    return out
print(comp_in_loop(4))
def comp_sees_updated_local():
    base = 1
    a = [base + i for i in range(2)]
    base = 10
    b = [base + i for i in range(2)]
    return a, b
print(comp_sees_updated_local())
def genexp_in_func(xs):
    n = 2
    return sum(x ** n for x in xs), max((x for x in xs), default=None)
print(genexp_in_func([1, 2, 3]), genexp_in_func([]))
