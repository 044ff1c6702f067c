class Celsius:
    def __init__(self, t):
        self._t = t
    @property
    def t(self):
        return self._t
    @t.setter
    def t(self, v):
        if v < -273.15:
            raise ValueError("below absolute zero")
        self._t = v
    @property
    def f(self):
        return self._t * 9 / 5 + 32
c = Celsius(100)
print(c.t, c.f)
c.t = 0
print(c.t, c.f)
try:
    c.t = -300
except ValueError as e:
    print("error:", e)
c.f = 3
