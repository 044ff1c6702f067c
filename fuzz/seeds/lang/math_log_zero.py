math.log(0)
