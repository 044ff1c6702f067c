class R:
    @property
    def v(self):
        return 1
r = R()
print(r.v)
r.v = 2
