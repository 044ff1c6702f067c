def first_n(xs, n):
    for i, x in enumerate(xs):
        if i == n:
            return
        yield x
print(list(first_n("abcdef", 3)), list(first_n([], 2)))
