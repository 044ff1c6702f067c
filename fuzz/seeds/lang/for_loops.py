for i in range(3):
    print(i, end=' ')
print()
for c in 'hi':
    print(c)
for i, v in enumerate(['a', 'b'], start=1):
    print(i, v)
for a, b in zip([1, 2, 3], 'xyz'):
    print(a, b)
for i in range(10):
    if i % 2 == 0:
        continue
    if i > 6:
        break
    print('odd', i)
for i in []:
    print('never')
else:
    print('else runs when no break')
for i in range(3):
    if i == 1:
        break
else:
    print('not printed')
print('loop var after loop:', i)
