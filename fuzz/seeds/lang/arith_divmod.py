print(divmod(7, 2), divmod(-7, 2), divmod(7, -2))
print(divmod(7.5, 2), divmod(-7.5, 2))
print(divmod(0, 5))
