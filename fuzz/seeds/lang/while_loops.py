n = 0
while n < 5:
    n += 1
    if n == 2:
        continue
    print(n)
else:
    print('done', n)
k = 10
while True:
    k -= 3
    if k < 0:
        break
print(k)
while False:
    pass
else:
    print('while-else')
