class A:
    def __init__(self, v=0):
        self.v = v
a = A(3)
b = type(a)(7)
print(b.v, type(b) is A, A.__name__)
