x = 2**63 - 1
print(x + 1, -x - 2, x - (-x))
acc = 9223372036854775000
for i in range(3):
    acc += 500
    print(acc)
acc - 1500
