# Operands read in place by compiled arithmetic (locals, globals, self.attr, literals) must keep
# Python's order of evaluation, fall back for non-numbers, and overflow into big ints.
x = 10
def bump():
    global x
    x = 1000
    return 1
print(x + bump(), x)          # the left operand is read before the right is evaluated
x = 10
def f(a):
    return a * a * a * a * a * a * a * a * a * a
print(f(100000), f(2.5))
class P:
    def __init__(self):
        self.x = 3
        self.name = "p"
        self.f = 1.5
    @property
    def double(self):
        return self.x * 2
    def go(self, k):
        return self.x + k, k - self.x, self.f * k, self.name + "!", self.x < k, k >= self.f
print(P().go(4), P().go(2.0))
class Q(P):
    @property
    def y(self):
        return 7
    def go2(self, k):
        return self.x + k, self.y * k, self.double - k
print(Q().go2(5))
def mixed(a, b):
    return a + b, a < b, a == b, b - a, a * 0.5
print(mixed(1, 2.5), mixed(True, 2), mixed(2**62, 2**62))
def unbound():
    r = 1 + z
    z = 2
try:
    unbound()
except UnboundLocalError as e:
    print(e)
nan = float("nan")
def cmp(a):
    return a < nan, a == nan, a != nan, nan >= a
print(cmp(1.0), cmp(1))
i = 0
total = 0
while i < 10:
    total += i * i - i % 3
    i += 1
print(total, i)
def huge():
    n = 3
    for _ in range(70):
        n *= 3
        n += 1
    return n
print(huge())
class R:
    def __init__(self):
        self.v = "a"
    def s(self):
        return self.v * 3 + self.v
print(R().s())
def strs(a):
    return a + a, a * 2
print(strs("ab"), strs([1]))
s = 0
for k in range(5):
    s -= k
print(s)
try:
    q = P()
    q.x = None
    print(q.go(1))
except TypeError as e:
    print(e)
