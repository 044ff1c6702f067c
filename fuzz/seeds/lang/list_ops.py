a = [1, 2]
b = a
a += [3]
print(a, b, a is b)
a = a + [4]
print(a, b, a is b)
c = [[0] * 2] * 2
c[0][0] = 1
print(c)
print([1, 2] * 2, 2 * [0], [] * 5, [1] + [], list('ab') + ['c'])
x = [1, 2, 3]
x *= 2
print(x, len(x), 3 in x)
