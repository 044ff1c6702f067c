try:
    1 / 0
except ZeroDivisionError as e:
    print('caught', e, type(e).__name__, e.args)
try:
    [][1]
except (KeyError, IndexError) as e:
    print('lookup', repr(e))
try:
    {}['k']
except LookupError as e:
    print('base class catches', e, repr(e))
try:
    int('x')
except Exception:
    print('generic')
else:
    print('no else')
finally:
    print('finally 1')
try:
    pass
except ValueError:
    print('no')
else:
    print('else runs')
finally:
    print('finally 2')
