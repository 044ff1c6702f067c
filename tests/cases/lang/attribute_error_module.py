math.nothing
