class A:
    def greet(self):
        return 'method'
    plain = lambda self: 'lambda as method'
    builtin = len
    @staticmethod
    def stat(x):
        return 'static %s' % x
    @classmethod
    def cls(cls, x):
        return 'class %s %s' % (cls.__name__, x)
def use(a):
    out = [a.greet(), a.plain(), a.stat(1), a.cls(2)]
    out.append(a.builtin([1, 2, 3]))
    a.greet = lambda: 'instance attr'
    out.append(a.greet())
    del a.greet
    out.append(a.greet())
    return out
print(use(A()))
class B(A):
    pass
print(use(B()))
def free_function(self, v):
    return ('free', type(self).__name__, v)
A.extra = free_function
def call_extra(a):
    return a.extra(1)
print(call_extra(A()), call_extra(B()))
class Holder:
    def __init__(self, fn):
        self.fn = fn
    def apply(self, x):
        return self.fn(x)
print(Holder(abs).apply(-3), Holder(lambda v: v * 2).apply(4))
def missing(a):
    return a.nope(1)
missing(A())
