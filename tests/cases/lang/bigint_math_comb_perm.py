print(math.comb(100, 50), math.comb(5, 7), math.perm(30, 20), math.perm(5), math.perm(4, 5))
print(math.comb(10**6, 3), math.comb(2**70, 2), math.comb(1000, 500) % 10**9)
math.comb(-1, 2)
