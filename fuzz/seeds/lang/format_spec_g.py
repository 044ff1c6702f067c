vals = [0.0, 1.0, 100.0, 123456.0, 1234567.0, 0.0001, 0.00001, 1e16, 1.5e-10, 2.5, 0.1 + 0.2]
for v in vals:
    print(format(v, 'g'), format(v, '.2g'), format(v, '#g'), format(v, '.3'), format(v, '.10g'), str(v))
