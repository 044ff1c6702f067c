def ints(n):
    a = 7
    a += n
    a -= 2
    a *= 3
    a //= 4
    a %= 5
    a **= 3
    a <<= 2
    a >>= 1
    a |= 1
    a &= 0xff
    a ^= 3
    return a
print(ints(4), ints(-4))
def floats(x):
    y = 1
    y += x
    y /= 4
    y *= 1.5
    y -= 0.1
    y //= 0.25
    y %= 0.7
    return y
print(floats(2.5), floats(-3.0))
def strings():
    s = ''
    for c in 'abc':
        s += c * 2
    s *= 2
    return s
print(strings())
def tuples():
    t = (1,)
    alias = t
    t += (2, 3)
    t *= 2
    return t, alias
print(tuples())
def lists():
    xs = [1]
    alias = xs
    xs += [2]
    xs += (3, 4)
    xs += 'ab'
    xs *= 2
    ys = [0]
    other = ys
    ys = ys + [1]
    return xs, alias is xs, ys, other
print(lists())
g = [0]
gi = 5
def globals_aug():
    global gi
    gi += 1
    gi **= 2
    g[0] += 1
    g.extend([gi])
glist_alias = g
globals_aug()
print(gi, g, glist_alias)
def bad():
    s = 'a'
    s -= 'b'
bad()
