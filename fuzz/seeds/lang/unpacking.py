a, b = 1, 2
a, b = b, a
print(a, b)
(c, d), e = (3, 4), 5
print(c, d, e)
first, *rest = [1, 2, 3, 4]
print(first, rest)
*init, last = 'abc'
print(init, last)
h, *mid, t = range(5)
print(h, mid, t)
x, *y = [1]
print(x, y)
[p, q] = 'pq'
print(p, q)
for i, (j, k) in enumerate([(1, 2), (3, 4)]):
    print(i, j, k)
m = n = o = 7
print(m, n, o)
