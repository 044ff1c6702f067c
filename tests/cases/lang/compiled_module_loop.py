total = 0
for i in range(5):
    total += i
print(total, i)
squares = {}
n = 0
while n < 4:
    squares[n] = n * n
    n += 1
else:
    print('while done', n)
print(squares)
for k, v in squares.items():
    if v > 3:
        break
print(k, v)
acc = []
for word in 'one two three'.split():
    for ch in word:
        if ch in 'aeiou':
            continue
        acc.append(ch)
print(''.join(acc))
for j in []:
    pass
try:
    print(j)
except NameError as e:
    print(e)
x = 10
x += 1.5
x = [x, x]
x += [1]
s = 'a'
s *= 3
print(x, s)
for q in range(3):
    def f():
        return q
print(f())
result = [f() for _ in range(2)]
print(result)
for m in range(2):
    print(undefined_in_loop)
