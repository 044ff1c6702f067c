x = 10
name = 'bob'
print(f'{x=}')
print(f'{x = }')
print(f'{name=}')
print(f'{x*2=}')
print(f'{x=:.2f}')
