class Logged:
    def __init__(self, a):
        self.log = []
        self.a = a
    def __setattr__(self, name, value):
        if name != 'log':
            self.log.append((name, value))
        object.__setattr__(self, name, value)
    def bump(self, n):
        for i in range(n):
            self.a = self.a + i
        self.a += 100
        return self.a
o = Logged(1)
print(o.bump(3), o.log)
class Frozen:
    def __init__(self, v):
        object.__setattr__(self, 'v', v)
    def __setattr__(self, name, value):
        raise AttributeError('frozen: ' + name)
    def try_set(self):
        try:
            self.v = 2
        except AttributeError as e:
            return str(e)
f = Frozen(1)
print(f.try_set(), f.v)
class Plain:
    def __init__(self):
        self.x = 0
    def inc(self):
        self.x += 1
        return self.x
p = Plain()
print(p.inc(), p.inc())
def intercept(self, name, value):
    object.__setattr__(self, name, ('intercepted', value))
Plain.__setattr__ = intercept
print(p.inc())
q = Plain()
print(q.x)
