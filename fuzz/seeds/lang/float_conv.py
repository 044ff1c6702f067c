print(float(3), float('1.5'), float(' 2.5 '), float('1e3'), float('-inf'), float('nan'))
print(float(True), float('1_000.5'), float('.5'), float('5.'))
print(int(3.9), int(-3.9), int('42'), int(' -7 '), int('1_000'), int(True))
print(int('ff', 16), int('0x1f', 16), int('101', 2), int('777', 8))
