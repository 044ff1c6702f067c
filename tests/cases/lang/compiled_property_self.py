class Temp:
    def __init__(self, c):
        self.celsius = c
    @property
    def celsius(self):
        return self._c
    @celsius.setter
    def celsius(self, v):
        if v < -273.15:
            raise ValueError('below absolute zero')
        self._c = v
    @property
    def fahrenheit(self):
        return self.celsius * 9 / 5 + 32
    def warm(self, n):
        for _ in range(n):
            self.celsius += 10
        return self.fahrenheit
t = Temp(0)
print(t.warm(3), t.celsius, t._c)
try:
    t.celsius = -300
except ValueError as e:
    print(e)
def readonly(obj):
    obj.fahrenheit = 1
try:
    readonly(t)
except AttributeError as e:
    print('readonly:', e)
class Late:
    def __init__(self):
        self.x = 'instance dict'
    def read(self):
        return self.x
class Sub(Late):
    pass
o = Late()
s = Sub()
print(o.read(), o.read(), s.read())
Late.x = property(lambda self: 'property wins')
print(o.read(), o.x)
print(s.read())
def write(obj):
    try:
        obj.x = 'new'
    except AttributeError:
        return 'refused', obj.x
print(write(s))
Late.x = property(lambda self: 'getter', lambda self, v: print('setter got', v))
write(s)
print(s.read())
