a, b = 1, 2
s = (f'a={a} '
     f'b={b}')
print(s)
print(f'''multi
{a + b}''')
d = {'k': 5}
print(f"{d['k']} {d}")
print(f'{a:03d} {b:+d} {-a:+d} {1000000:,} {1234567.891:,.2f} {0.256:.1%}')
