x = 5
print(1 < x < 10, 1 < x > 10, 0 <= x <= 5 == 5, x is not None, x in range(10) in [True])
