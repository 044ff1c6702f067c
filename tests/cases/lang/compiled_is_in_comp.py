def nones(xs):
    return [x is None for x in xs], [x for x in xs if x is not None]
print(nones([0, None, '', None, False]))
def membership(words, allowed):
    return [w for w in words if w in allowed], [w not in allowed for w in words]
print(membership(['a', 'b', 'c'], {'a', 'c'}))
print(membership(['a', 'b'], 'xa'))
def dict_in(d):
    return [k in d for k in ['x', 'y', 1]], [v in d.values() for v in [1, 2]]
print(dict_in({'x': 1, 1: 3}))
def sub_in(s):
    return [p in s for p in ['', 'ab', 'ba', s]]
print(sub_in('abc'))
def nested_in(rows):
    return [[c in r for c in 'ab'] for r in rows]
print(nested_in(['a', 'xb', '']))
def identity():
    a = [1]
    b = a
    c = [1]
    return [x is a for x in (a, b, c)], [x == a for x in (a, b, c)], [x in [a] for x in (b, c)]
print(identity())
def range_in(n):
    return [v in range(0, n, 2) for v in [0, 1, 4, n, -2, 2.0]]
print(range_in(6))
def bad_in():
    return [1 in v for v in [[1], 5]]
bad_in()
