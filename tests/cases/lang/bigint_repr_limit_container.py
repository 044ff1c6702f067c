x = [1, 2**20000]
print(len(x))
print(x)
