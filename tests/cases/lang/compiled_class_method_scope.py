y = 'global y'
class A:
    y = 'class y'
    z = 'class z'
    def read_y(self):
        return y
    def read_z_via_class(self):
        return A.z, self.z, type(self).z
    def loop(self):
        out = []
        for _ in range(2):
            out.append(y)
        return out
a = A()
print(a.read_y(), a.read_z_via_class(), a.loop())
def make_class():
    local = 'enclosing local'
    class B:
        attr = local
        def get(self):
            return local
    return B
B = make_class()
print(B.attr, B().get())
class C:
    z = 1
    def read_z(self):
        return z
C().read_z()
