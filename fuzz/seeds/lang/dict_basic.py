d = {'a': 1, 'b': 2}
d['c'] = 3
d['a'] = 10
print(d, len(d), d['b'], 'a' in d, 'z' in d)
print(d.get('a'), d.get('z'), d.get('z', 0))
print(list(d.keys()), list(d.values()), list(d.items()))
print(d.keys(), d.values(), d.items())
del d['b']
print(d, d.pop('c'), d.pop('zz', 'dflt'), d)
print(d.setdefault('n', []), d.setdefault('a', 99), d)
d.update({'x': 1}, y=2); d.update([('z', 3)])
print(d)
print(dict(a=1, b=2), dict([(1, 2), (3, 4)]), dict({'k': 'v'}), dict())
