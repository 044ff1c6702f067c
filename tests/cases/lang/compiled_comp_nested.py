def table(n):
    return [[r * c for c in range(1, n + 1)] for r in range(1, n + 1)]
print(table(3))
def pairs(xs, ys):
    return [(x, y) for x in xs if x % 2 for y in ys if y > x]
print(pairs(range(5), [1, 2, 3, 4]))
def flatten(rows):
    return [v for row in rows for v in row]
print(flatten([[1, 2], [], [3]]))
def triangle(n):
    return [[j for j in range(i)] for i in range(n)]
print(triangle(4))
def outer_in_inner_iter(n):
    return [[x for x in range(i, i + 2)] for i in range(n)]
print(outer_in_inner_iter(3))
def tuple_targets(d):
    return [(k, v * 2) for k, v in d.items() if v]
print(tuple_targets({'a': 1, 'b': 0, 'c': 3}))
def nested_tuple_targets(rows):
    return [a + b + c for (a, b), c in rows]
print(nested_tuple_targets([((1, 2), 3), ((4, 5), 6)]))
def enum(seq):
    return [i * s for i, s in enumerate(seq, start=1)]
print(enum('ab'))
print([[y * x for y in range(x)] for x in range(4) if x != 2])
print([(i, j, k) for i in range(2) for j in range(i, 2) for k in range(j, 2)])
