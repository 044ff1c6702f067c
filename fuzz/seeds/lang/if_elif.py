for x in [-5, 0, 5, 50]:
    if x < 0:
        print(x, 'negative')
    elif x == 0:
        print(x, 'zero')
    elif x < 10:
        print(x, 'small')
    else:
        print(x, 'large')
if []: print('no')
else: print('empty list is falsy')
y = 'yes' if 3 > 2 else 'no'
print(y, 1 if 0 else 2 if 0 else 3)
