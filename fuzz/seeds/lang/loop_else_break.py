def find(items, target):
    for i, v in enumerate(items):
        if v == target:
            print('found at', i)
            break
    else:
        print('not found')
find([1, 2, 3], 2)
find([1, 2, 3], 5)
n = 0
while n < 3:
    n += 1
    if n == 10:
        break
else:
    print('while completed', n)
