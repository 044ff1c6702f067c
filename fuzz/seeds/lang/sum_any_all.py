print(sum([1, 2, 3]), sum([0.1] * 10), sum(range(101)), sum([1, 2], 10))
print(sum([[1], [2]], []), sum(x * x for x in range(4)))
print(any([0, 0, 1]), any([]), all([1, 2]), all([]), all([1, 0]))
print(any(x > 2 for x in [1, 2, 3]), all(c.isdigit() for c in '123'))
