class Calc:
    def __init__(self, base=0):
        self.base = base
    def add(self, x, y=1, *rest, scale=1, **extra):
        return (self.base + x + y + sum(rest)) * scale, sorted(extra)
    def only(self, x):
        return x + self.base
    def run(self):
        out = []
        for i in range(3):
            out.append(self.add(i))
            out.append(self.add(i, 10))
            out.append(self.add(i, 10, 100, 1000))
        out.append(self.add(1, scale=2, tag=3))
        out.append(self.only(5))
        return out
print(Calc(1).run())
c = Calc()
def call_bad(obj):
    try:
        obj.only()
    except TypeError as e:
        print(e)
    try:
        obj.only(1, 2)
    except TypeError as e:
        print(e)
    try:
        obj.add()
    except TypeError as e:
        print(e)
    try:
        obj.only(1, x=2)
    except TypeError as e:
        print(e)
call_bad(c)
def via_class(obj):
    return Calc.only(obj, 7), Calc.add(obj, 1, 2)
print(via_class(Calc(3)))
def bound_kept(obj):
    m = obj.only
    return [m(i) for i in range(3)]
print(bound_kept(Calc(10)))
Calc.only(5)
