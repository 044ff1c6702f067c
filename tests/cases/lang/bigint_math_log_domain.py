print(math.exp(100))
math.log(-2**2000)
