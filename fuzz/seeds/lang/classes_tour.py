class Animal:
    kind = "animal"
    count = 0
    def __init__(self, name):
        self.name = name
        Animal.count += 1
    def speak(self):
        return f"{self.name} makes a sound"
    def __repr__(self):
        return f"Animal({self.name!r})"

class Dog(Animal):
    def __init__(self, name, breed):
        super().__init__(name)
        self.breed = breed
    def speak(self):
        return super().speak() + " (woof)"
    def __str__(self):
        return f"Dog {self.name}"

d = Dog("Rex", "lab")
print(d.speak(), d.kind, Animal.count)
print(d, [d], repr(d))
print(isinstance(d, Animal), issubclass(Dog, Animal), type(d).__name__, type(d))
class V:
    def __init__(self, x, y): self.x, self.y = x, y
    def __add__(self, o): return V(self.x + o.x, self.y + o.y)
    def __eq__(self, o): return isinstance(o, V) and (self.x, self.y) == (o.x, o.y)
    def __len__(self): return 2
    def __getitem__(self, i): return (self.x, self.y)[i]
    def __repr__(self): return f"V({self.x}, {self.y})"
    def __call__(self, k): return V(self.x * k, self.y * k)
    @property
    def norm2(self): return self.x ** 2 + self.y ** 2
    @staticmethod
    def zero(): return V(0, 0)
    @classmethod
    def unit(cls): return cls(1, 1)
v = V(1, 2) + V(3, 4)
print(v, v == V(4, 6), v != V(4, 6), len(v), list(v), v(2), v.norm2, V.zero(), V.unit())
class MyError(ValueError):
    def __init__(self, code):
        super().__init__(f"bad code {code}")
        self.code = code
try:
    raise MyError(42)
except ValueError as e:
    print(type(e).__name__, e, e.code, e.args)
class Temp:
    def __init__(self): self._c = 0
    @property
    def c(self): return self._c
    @c.setter
    def c(self, v):
        if v < -273: raise ValueError("too cold")
        self._c = v
t = Temp(); t.c = 5; print(t.c)
class Rec:
    def __setattr__(self, k, v):
        print("set", k, v)
        object.__setattr__(self, k, v)
    def __getattr__(self, k):
        return k.upper()
r = Rec(); r.a = 1; print(r.a, r.zzz)
class Ctx:
    def __enter__(self): print("enter"); return self
    def __exit__(self, t, v, tb): print("exit", t.__name__ if t else None, v); return True
with Ctx() as c:
    raise KeyError("k")
print("after")
class Count:
    def __init__(self, n): self.n = n; self.i = 0
    def __iter__(self): return self
    def __next__(self):
        if self.i >= self.n: raise StopIteration
        self.i += 1
        return self.i
print(list(Count(3)), sum(Count(4)))
raise MyError(7)
