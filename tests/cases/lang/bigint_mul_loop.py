x = 1
for i in range(1, 31):
    x *= i
print(x)
y = 3
for _ in range(6):
    y = y * y
print(y, len(str(y)))
9223372036854775807 * 9223372036854775807
