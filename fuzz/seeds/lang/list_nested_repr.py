a = [1, 2.5, 'a', None, True, [3, [4]], (5,), {'k': [6]}, ()]
print(a)
a
