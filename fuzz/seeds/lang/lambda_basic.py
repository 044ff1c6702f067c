sq = lambda x: x * x
print(sq(5), (lambda a, b=2: a ** b)(3), (lambda *a: len(a))(1, 2, 3), (lambda: 'const')())
print(list(map(lambda x: x + 1, [1, 2])), list(filter(lambda x: x % 2, range(6))))
print(sorted([(1, 'b'), (2, 'a')], key=lambda t: t[1]))
compose = lambda f, g: lambda x: f(g(x))
print(compose(str, sq)(4) + '!')
