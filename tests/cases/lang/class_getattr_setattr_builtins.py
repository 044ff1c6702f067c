class C:
    pass
c = C()
setattr(c, "k", 10)
print(getattr(c, "k"), getattr(c, "nope", "dflt"), hasattr(c, "k"))
delattr(c, "k")
print(hasattr(c, "k"))
getattr(c, "k")
