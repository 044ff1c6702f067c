values = [1, 2.5, -3, 0.1]
print(sum(values), sum(values) / len(values), max(values), min(values))
print(str(1) + str(2), int('1') + int('2'), float('1.5') * 2)
print(round(sum(values), 2), f'{sum(values):.3f}', '%.1f' % sum(values))
print(1e3, 1.0e-3, 2.5e+2, 1_000_000, 0x10, 0o17, 0b11, 1_0.0_1)
