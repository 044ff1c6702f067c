def factory(prefix):
    count = 0
    class Greeter:
        tag = prefix.upper()
        def greet(self, names):
            nonlocal count
            count += len(names)
            return [prefix + n for n in names if n]
        def total(self):
            return count
    return Greeter
G = factory('hi ')
g = G()
print(g.greet(['a', '', 'b']), g.greet(['c']), g.total(), G.tag)
H = factory('yo ')
print(H().greet(['z']), H().total(), g.total())
def methods_see_enclosing():
    scale = 3
    class P:
        def __init__(self, v):
            self.v = v * scale
        def scaled(self):
            return [self.v * scale * i for i in range(3)]
    return P(2).scaled()
print(methods_see_enclosing())
def class_var_vs_local():
    name = 'local'
    class Q:
        name = 'class attr'
        seen = name
        def get(self):
            return name
    return Q.seen, Q().get()
print(class_var_vs_local())
