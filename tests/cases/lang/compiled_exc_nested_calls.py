def level3(x):
    return {'a': 1}[x]
def level2(x):
    return level3(x) + 1
def level1(x):
    try:
        return level2(x)
    finally:
        print('finally in level1')
def outer():
    try:
        level1('b')
    except KeyError as e:
        print('outer caught', repr(e))
    return level1('a')
print(outer())
def reraise():
    try:
        1 / 0
    except ZeroDivisionError:
        print('handling')
        raise
try:
    reraise()
except ZeroDivisionError as e:
    print('reraised:', e)
def convert():
    try:
        int('x')
    except ValueError as e:
        raise TypeError('converted') from e
try:
    convert()
except TypeError as e:
    print(e)
def loop_catch():
    out = []
    for v in ['1', 'x', '3', None]:
        try:
            out.append(int(v))
        except ValueError:
            out.append('bad')
        except TypeError as e:
            out.append(type(e).__name__)
        else:
            out.append('ok')
    return out
print(loop_catch())
class Custom(Exception):
    pass
def raiser(n):
    if n == 0:
        raise Custom('bottom reached')
    return raiser(n - 1)
def top():
    for i in range(3):
        pass
    return raiser(i)
top()
