def mix(i, f, b):
    return [i + f, f + i, i * f, i - f, i / 2, i // 2, -i // 2, i % -3, f // 0.5, b + b, b * 3.5, b - i, i / b, True / 2]
print(mix(7, 0.5, True))
def equals(i, f):
    return i == f, f == i, i != f, i < f, f <= i, hash(i) == hash(f)
print(equals(3, 3.0), equals(3, 3.5))
def int_float_big():
    n = 2 ** 53 + 1
    return n == float(n), n > float(n), float(n) < n, 2 ** 53 == 2.0 ** 53
print(int_float_big())
def bools():
    t, f = True, False
    return t + t, t * 10, f - t, t / 4, -t, ~t, t & f, t | f, t ^ t, t == 1, t is True, (t - 0) is True
print(bools())
def loop_types():
    acc = 0
    for v in [1, 2.0, True, 3]:
        acc = acc + v
    return acc, type(acc).__name__
print(loop_types())
def divisions(a, b):
    return a / b, a // b, a % b, divmod(a, b)
print(divisions(-7, 2), divisions(7, -2.0), divisions(-7.5, 2))
def pow_mix():
    return 2 ** -1, 2 ** 0.5, 0 ** 0, 2.0 ** 3
print(pow_mix())
def int_true_div():
    return 1 / 3, 10 ** 20 / 3, 7 / 7
print(int_true_div())
def float_zero():
    x = 0.0
    return 1 % x
float_zero()
