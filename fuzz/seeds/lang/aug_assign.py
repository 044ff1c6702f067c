x = 10
x += 5; print(x)
x -= 3; print(x)
x *= 2; print(x)
x /= 4; print(x)
x //= 2; print(x)
x **= 2; print(x)
x %= 3; print(x)
n = 6
n &= 3; n |= 8; n ^= 1; n <<= 2; n >>= 1
print(n)
s = 'a'
s += 'b'; s *= 2
print(s)
d = {'k': 1}
d['k'] += 10
l = [1, 2]
l[0] -= 5
print(d, l)
