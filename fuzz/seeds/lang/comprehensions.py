print([x * x for x in range(6) if x % 2 == 0])
print([(i, j) for i in range(3) for j in range(i)])
print({x: x ** 2 for x in range(4)}, {c for c in 'hello'} == set('helo'))
print({k: v for k, v in zip('abc', [1, 2, 3]) if v != 2})
print(list(x + 1 for x in [1, 2]), sum(1 for _ in range(7)), max(len(w) for w in ['a', 'abc']))
print([[j for j in range(i)] for i in range(4)])
print([y for x in [[1, 2], [3]] for y in x], [v if v > 1 else -v for v in range(4)])
x = 'outer'
print([x for x in 'ab'], x)
