a = [1, 2]
b = a
c = [1, 2]
print(a is b, a is c, a is not c, a == c)
print(None is None, 2 in a, 3 in a, 3 not in a)
print('ell' in 'hello', 'x' not in 'hello')
print('a' in {'a': 1}, 1 in {'a': 1}, 2 in range(5), 5 in range(5), 4 in range(0, 10, 2), 5 in range(0, 10, 2))
print((1, 2) in [(1, 2), (3, 4)], 1 in (1.0, 2))
