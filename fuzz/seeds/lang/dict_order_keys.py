d = {}
d[3] = 'c'; d[1] = 'a'; d[2] = 'b'
print(d)
d[1] = 'A'
print(d)
del d[3]
d[3] = 'C'
print(d)
print({1: 'int', 1.0: 'float', True: 'bool'})
print({(1, 2): 'tuple', None: 'none', 'k': 'str'})
e = {'a': 1}
e2 = e.copy(); e2['b'] = 2
print(e, e2, e == {'a': 1}, e != e2)
print({**e, 'c': 3}, e | {'d': 4})
