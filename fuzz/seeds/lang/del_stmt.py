x = 1
del x
try:
    x
except NameError as e:
    print(e)
a = [1, 2, 3, 4]
del a[0], a[-1]
print(a)
d = {'a': 1, 'b': 2}
del d['a']
print(d)
