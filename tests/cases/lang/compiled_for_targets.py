class Walker:
    def __init__(self):
        self.i = None
        self.log = []
    def walk(self, n):
        for self.i in range(n):
            self.log.append(self.i)
        return self.i
w = Walker()
print(w.walk(3), w.log, w.i)
def subscript_target():
    a = [0, 0]
    seen = []
    for a[0] in 'xyz':
        seen.append(list(a))
    return a, seen
print(subscript_target())
def dict_target():
    d = {}
    for d['k'] in range(3):
        pass
    return d
print(dict_target())
def starred(rows):
    return [(h, t) for h, *t in rows]
print(starred([[1, 2, 3], [4], 'ab']))
def starred_loop(rows):
    out = []
    for first, *mid, last in rows:
        out.append((first, mid, last))
    return out
print(starred_loop([(1, 2), (1, 2, 3, 4)]))
def nested(rows):
    out = []
    for (a, b), [c] in rows:
        out.append(a + b + c)
    return out
print(nested([((1, 2), [3]), ((4, 5), [6])]))
def bad_unpack(rows):
    for a, b in rows:
        pass
try:
    bad_unpack([(1, 2), (1, 2, 3)])
except ValueError as e:
    print(e)
try:
    bad_unpack([(1,)])
except ValueError as e:
    print(e)
try:
    starred_loop([(1,)])
except ValueError as e:
    print(e)
bad_unpack([5])
