print(math.factorial(30), math.factorial(0), math.factorial(25) // math.factorial(23))
print(len(str(math.factorial(1000))), math.factorial(100) % (10**9 + 7))
math.factorial(2**70)
