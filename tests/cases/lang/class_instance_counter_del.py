class Thing:
    pass
t = Thing()
t.x = 1
del t.x
print(hasattr(t, "x"))
del t.x
