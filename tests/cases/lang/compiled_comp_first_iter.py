def make(n):
    print('make', n)
    return range(n)
print([x for x in make(2) for y in make(x + 1)])
def first_iter_in_func():
    data = [1, 2, 3]
    return [d for d in data]
print(first_iter_in_func())
class Config:
    names = ['a', 'b', 'c']
    upper = [n.upper() for n in names]
    size = 2
    pairs = [(n, i) for n in names for i in range(2)]
print(Config.upper, Config.pairs)
class Broken:
    size = 2
    try:
        bad = [n for n in range(3) for i in range(size)]
    except NameError as e:
        print('class inner clause:', e)
    try:
        bad2 = [n for n in range(3) if n < size]
    except NameError as e:
        print('class cond:', e)
    ok = [n for n in range(size)]
print(Broken.ok)
data = [3, 4]
it = (x for x in data)
data = [100]
print(list(it))
