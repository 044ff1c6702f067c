class Meters:
    def __init__(self, v):
        self.v = v
    def __add__(self, o):
        if isinstance(o, Meters):
            return Meters(self.v + o.v)
        if isinstance(o, (int, float)):
            return Meters(self.v + o)
        return NotImplemented
    __radd__ = __add__
    def __repr__(self):
        return f"{self.v}m"
print(Meters(1) + Meters(2), Meters(1) + 2, 3 + Meters(1), sum([Meters(1), Meters(2)], Meters(0)))
Meters(1) + "x"
