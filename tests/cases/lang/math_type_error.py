math.sqrt('4')
