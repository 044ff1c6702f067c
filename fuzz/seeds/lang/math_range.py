math.exp(1000)
