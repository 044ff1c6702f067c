def make_counter():
    n = 0
    def inc(step):
        nonlocal n
        for _ in range(step):
            n += 1
        return n
    def get():
        return n
    return inc, get
inc, get = make_counter()
print(inc(3), inc(2), get())
def outer():
    vals = []
    total = 0
    def add(v):
        nonlocal total
        total = total + v
        vals.append(total)
    for i in range(4):
        add(i)
    return total, vals
print(outer())
def three_levels():
    a = 1
    def mid():
        def inner():
            nonlocal a
            a *= 10
            return a
        return inner() + inner()
    r = mid()
    return r, a
print(three_levels())
def shadow():
    x = 'outer'
    def inner():
        x = 'inner'
        return x
    return inner(), x
print(shadow())
