def maybe(flag):
    if flag:
        x = 'set'
    return x
print(maybe(True))
try:
    maybe(False)
except UnboundLocalError as e:
    print('fresh frame:', e)
class M:
    def maybe(self, flag):
        if flag:
            y = 'set'
        return y
m = M()
print(m.maybe(True))
try:
    m.maybe(False)
except UnboundLocalError as e:
    print('fresh method frame:', e)
def make(k):
    def get():
        return k
    return get
getters = [make(i) for i in range(3)]
make(99)
print([g() for g in getters])
def gens(k):
    return (x * k for x in range(3))
g1 = gens(1)
g2 = gens(10)
gens(100)
print(list(g1), list(g2))
def comps(k):
    return [lambda: k + i for i in range(2)]
c1 = comps(1)
c2 = comps(100)
print([f() for f in c1 + c2])
def outer(n):
    if n == 0:
        return []
    v = 'level%d' % n
    rest = outer(n - 1)
    return [v] + rest + [v]
print(outer(3))
def args_raise(a, b):
    return a + b
def call_with_bad_arg():
    try:
        args_raise(1, 1 // 0)
    except ZeroDivisionError:
        pass
    return args_raise('x', 'y')
print(call_with_bad_arg())
def nested_calls(a, b):
    return a * b
print(nested_calls(nested_calls(2, 3), nested_calls(4, nested_calls(1, 5))))
