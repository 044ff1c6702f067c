name = 'Ada'
n = 3
x = 3.14159
print(f'{name} has {n} items')
print(f'{x:.2f} {x:8.3f}| {n:5d}| {n:<5}| {n:^5}| {name:>6}|')
print(f'{n!r} {name!r} {name!s} {[1, 2]}')
print(f'{n * 2 + 1} {name.upper()} {len(name)} {"nested"} {x if n > 2 else 0}')
print(f'{{literal}} {n}}}')
