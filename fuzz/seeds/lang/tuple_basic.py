t = (1, 2, 3)
u = 1, 2
v = (5,)
w = ()
print(t, u, v, w, len(t), t[0], t[-1], t.index(2), t.count(1))
print(t + u, u * 2, (1, (2, 3)), tuple([4, 5]), tuple('ab'))
print(type(v).__name__, (1) == 1, (1,) == 1)
