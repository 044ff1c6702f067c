class Registry:
    _items = {}
    @classmethod
    def register(cls, name):
        def deco(f):
            cls._items[name] = f
            return f
        return deco
    @classmethod
    def names(cls):
        return sorted(cls._items)
@Registry.register("relu")
def relu(x):
    return max(0, x)
@Registry.register("id")
def ident(x):
    return x
print(Registry.names(), Registry._items["relu"](-3), relu(4))
