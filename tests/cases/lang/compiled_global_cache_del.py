a = 1
b = 2
c = 3
d = 4
def read_all():
    return a, b, c, d
print(read_all())
del b
print(a, c, d)
print(read_all.__name__)
try:
    read_all()
except NameError as e:
    print(e)
b = 'new b'
print(read_all())
del a
del c
a = 'A'
c = 'C'
print(read_all())
def write_all():
    global a, b, c, d
    for v in range(2):
        d = v
        c = d + 1
        b = c + 1
        a = b + 1
write_all()
print(read_all())
