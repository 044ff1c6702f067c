def squares(n):
    for i in range(n):
        yield i * i
print(list(squares(5)), sum(squares(10)), max(squares(4)))
g = squares(3)
print(next(g), next(g), next(g), next(g, None))
print(type(g).__name__)
