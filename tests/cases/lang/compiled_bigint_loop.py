def power3(n):
    x = 1
    for _ in range(n):
        x *= 3
    return x
print(power3(39), power3(40), power3(41))
print(power3(100))
def add_past_max():
    x = 2 ** 63 - 2
    out = []
    for _ in range(3):
        x += 1
        out.append(x)
    return out
print(add_past_max())
def sub_past_min():
    x = -2 ** 63 + 1
    y = x - 1
    z = y - 1
    return y, z, -y, abs(y), y * -1
print(sub_past_min())
def fact(n):
    r = 1
    i = 2
    while i <= n:
        r = r * i
        i += 1
    return r
print(fact(25))
def back_down():
    x = 2 ** 64
    x -= 2 ** 64 - 5
    return x, type(x).__name__, x + 1, x == 5
print(back_down())
def mixed(n):
    big = 10 ** 20
    return big + n, big * 0.5, big // 7, big % 7, -big // 3, big > 1e19, big == 1e20
print(mixed(1))
def count_bits():
    acc = 0
    for i in range(70):
        acc += 1 << i
    return acc, acc.bit_length(), acc == 2 ** 70 - 1
print(count_bits())
