def add(a, b=10, *args, scale=1, **kw):
    return (a + b + sum(args)) * scale, kw
print(add(1))
print(add(1, 2))
print(add(1, 2, 3, 4))
print(add(1, scale=2))
print(add(a=5, b=6, extra='x'))
print(add(*[1, 2, 3], **{'scale': 3, 'z': 0}))
def noret():
    pass
print(noret())
def early(x):
    if x:
        return 'yes'
    return
print(early(1), early(0))
