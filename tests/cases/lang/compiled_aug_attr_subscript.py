class Box:
    def __init__(self):
        self.n = 0
        self.items = []
        self.name = 'b'
        self.t = (1,)
    def update(self):
        for i in range(3):
            self.n += i
            self.items += [i]
            self.name += str(i)
            self.t += (i,)
        return self.n, self.items, self.name, self.t
b = Box()
alias = b.items
print(b.update(), alias)
def subscripts():
    d = {'a': 1}
    xs = [1, 2.5, 'x', [0]]
    inner = xs[3]
    d['a'] += 1
    d.setdefault('b', [])
    d['b'] += [1]
    xs[0] *= 10
    xs[1] -= 0.5
    xs[2] += 'y'
    xs[-1] += [1]
    xs[0:2] += []
    m = [[1, 2], [3, 4]]
    for r in range(2):
        for c in range(2):
            m[r][c] **= 2
    return d, xs, inner, m
print(subscripts())
def order():
    log = []
    def obj():
        log.append('obj')
        return data
    def key():
        log.append('key')
        return 0
    def val():
        log.append('val')
        return 5
    data = [1]
    obj()[key()] += val()
    return data, log
print(order())
def missing_key():
    d = {}
    try:
        d['x'] += 1
    except KeyError as e:
        print('KeyError', e)
missing_key()
t = ([1],)
try:
    t[0] += [2]
except TypeError as e:
    print(e)
print(t)
def in_func():
    u = ([1],)
    u[0] += [3]
in_func()
