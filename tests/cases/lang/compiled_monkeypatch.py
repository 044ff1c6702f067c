class Base:
    def who(self):
        return 'base'
class Child(Base):
    pass
def ask(objs):
    return [o.who() for o in objs]
b, c = Base(), Child()
print(ask([b, c]))
def who2(self):
    return 'patched base'
Base.who = who2
print(ask([b, c]))
Child.who = lambda self: 'child own'
print(ask([b, c]))
del Child.who
print(ask([b, c]))
def loop_calls(o, n):
    out = []
    for i in range(n):
        if i == 1:
            type(o).who = lambda self: 'changed in loop'
        out.append(o.who())
    return out
print(loop_calls(Child(), 3))
del Base.who
ask([b])
