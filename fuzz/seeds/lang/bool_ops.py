print(1 and 2, 0 and 2, 1 or 2, 0 or 2, None or 'x', '' or [] or 0)
print([] and 1, 'a' and 'b' and 'c')
x = 0
y = x or 10
print(y)
print(not None, bool([]), bool([0]), bool(''), bool(' '), bool(0.0), bool({}))
