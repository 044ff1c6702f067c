def size(xs):
    return len(xs)
print(size([1, 2, 3]))
len = lambda xs: 'shadowed'
print(size([1, 2, 3]))
del len
print(size([1, 2, 3]))
def local_shadow():
    out = []
    for max in range(3):
        out.append(max)
    return out
print(local_shadow(), max(4, 9))
def use_print(v):
    print('value', v)
use_print(1)
print = None
try:
    use_print(2)
except TypeError as e:
    msg = str(e)
del print
print('restored:', msg)
