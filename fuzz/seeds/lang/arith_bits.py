print(5 & 3, 5 | 3, 5 ^ 3, ~5, ~-1)
print(1 << 10, 1024 >> 3, -16 >> 2)
print(True & False, True | False, True ^ True)
