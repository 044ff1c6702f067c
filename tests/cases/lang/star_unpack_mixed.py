first, *middle, last = range(6)
print(first, middle, last)
a, (b, c), *rest = [1, (2, 3), 4, 5]
print(a, b, c, rest)
print([*range(3), *"ab", *(9,)], {**{"a": 1}, "b": 2})
