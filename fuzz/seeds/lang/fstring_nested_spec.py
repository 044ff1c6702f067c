width = 10
prec = 3
val = 3.14159265
print(f'{val:{width}.{prec}f}|')
print(f'{val:>{width}}|')
print(f'{"hi":{"*"}^{width}}|')
print(f'{val:.{prec}e}')
