print(sum([2**62, 2**62, 2**62]), sum(range(2**62, 2**62 + 10)), sum(range(5), 2**70))
print(sum([0.5, 2**60]), sum(range(10**6)), sum(range(-2**62, -2**62 - 40, -3)))
print(sum(x * x for x in range(10**6, 10**6 + 100)) * 10**20)
