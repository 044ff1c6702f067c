print(math.log(2**2000), math.log2(2**2000), math.log10(10**500), math.log(2**2000, 2))
print(math.log(10**30), math.log10(2**3000 + 12345), math.log2(3**2000), math.sqrt(2**1000))
print(math.prod(range(1, 30)), math.fsum([2**70, 1]), math.isclose(2**100, 2**100 + 1), math.pow(2**100, 2))
math.sqrt(2**2000)
