def append_to(x, acc=[]):
    acc.append(x)
    return acc
print(append_to(1), append_to(2), append_to(3, []), append_to(4))
def counter(d={}):
    for k in 'aba':
        d[k] = d.get(k, 0) + 1
    return d
print(counter(), counter())
base = 10
def uses_default(x=base):
    return x
base = 20
print(uses_default(), uses_default(5))
def order(a=print('default a evaluated') or 1, b=print('default b evaluated') or 2):
    return a, b
print('after def')
print(order(), order(0))
def again():
    return append_to(5), uses_default()
print(again())
def safe_append(x, acc=None):
    if acc is None:
        acc = []
    acc.append(x)
    return acc
print(safe_append(1), safe_append(2))
def kwonly_default(*, opts=set()):
    opts.add(len(opts))
    return sorted(opts)
print(kwonly_default(), kwonly_default())
