nan = float('nan')
inf = float('inf')
def cmp(a, b):
    return [a == b, a != b, a < b, a <= b, a > b, a >= b]
print(cmp(nan, nan), cmp(nan, 1), cmp(1, nan), cmp(nan, inf))
def chained(x):
    return 0 < x < 1, x == x, x != x, not (x < 0)
print(chained(nan), chained(0.5))
def filter_nan(xs):
    return [x for x in xs if x == x], [x != x for x in xs]
print(filter_nan([1.0, nan, 2.0, nan]))
def minmax(xs):
    return max(xs), min(xs)
print(minmax([1.0, nan, 3.0]), minmax([nan, 1.0, 3.0]))
def infs():
    return inf - inf, inf * 0, inf > 10 ** 400, -inf < -10 ** 400, inf == inf
print(infs())
def math_nan():
    return math.isnan(nan), math.isnan(inf - inf), math.isinf(-inf), nan + 1
print(math_nan())
def sort_nan():
    return sorted([3.0, 1.0, 2.0]), 1.0 in [nan, 1.0]
print(sort_nan())
