class Mul:
    def __init__(self, k):
        self.k = k
    def __call__(self, x, y=0):
        return x * self.k + y
def apply_all(fs, v):
    return [f(v) for f in fs]
print(apply_all([Mul(2), Mul(3), abs, str, lambda z: -z], -4))
def make_adder(n):
    def add(x):
        return x + n
    return add
def curried():
    return make_adder(1)(2), make_adder(make_adder(3)(4))(5)
print(curried())
def call_in_loop(m):
    total = 0
    for i in range(4):
        total += m(i, 1)
    return total
print(call_in_loop(Mul(10)))
def call_types():
    return int('7'), float(2), list('ab'), dict(a=1), type(3)(4.9), bool(), tuple(range(2))
print(call_types())
def bound_as_value():
    s = 'a-b-c'
    split = s.split
    append = [].append
    return split('-'), append(1)
print(bound_as_value())
def not_callable():
    values = [1, 'x', None]
    out = []
    for v in values:
        try:
            v()
        except TypeError as e:
            out.append(str(e))
    return out
for line in not_callable():
    print(line)
def call_wrong_args():
    m = Mul(2)
    return m(1, 2, 3)
call_wrong_args()
