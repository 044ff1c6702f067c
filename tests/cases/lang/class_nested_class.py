class Outer:
    class Inner:
        def hi(self):
            return "inner hi"
    def make(self):
        return self.Inner()
print(Outer().make().hi(), Outer.Inner.__name__)
