class Base:
    def __init__(self, name):
        self.name = name
    def hello(self):
        return "Base hello " + self.name
class Mid(Base):
    def hello(self):
        return "Mid+" + super().hello()
class Leaf(Mid):
    def __init__(self, name, n):
        super().__init__(name)
        self.n = n
    def hello(self):
        return "Leaf+" + super().hello() + str(self.n)
x = Leaf("z", 3)
print(x.hello())
print(isinstance(x, Base), isinstance(x, Mid), isinstance(3, Base))
print(issubclass(Leaf, Base), issubclass(Base, Leaf), issubclass(Leaf, object))
print([c.__name__ for c in Leaf.__mro__])
